#!/usr/bin/env python3
"""Draws the app icons (PNG, no image library needed): the Bitsmith mark, a stylised 'B' made of
quantization steps, on the brand colour. Re-run to regenerate public/icons/."""
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "public" / "icons"
BG = (15, 92, 77)
FG = (255, 255, 255)


def png(path, size, pixels):
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    path.write_bytes(data)


def draw(size, safe):
    """safe: fraction of the canvas the mark may use (maskable icons keep it in the inner 80%)."""
    px = [[BG] * size for _ in range(size)]
    inner = size * safe
    off = (size - inner) / 2
    # A staircase (a quantized ramp) rising left to right: 6 steps.
    steps = 6
    for i in range(steps):
        x0 = off + inner * (0.12 + i * 0.76 / steps)
        x1 = x0 + inner * 0.76 / steps * 0.82
        y1 = off + inner * 0.86
        y0 = y1 - inner * (0.16 + i * 0.12)
        for y in range(int(y0), int(y1)):
            for x in range(int(x0), int(x1)):
                px[y][x] = FG
    return px


OUT.mkdir(parents=True, exist_ok=True)
png(OUT / "icon-192.png", 192, draw(192, 1.0))
png(OUT / "icon-512.png", 512, draw(512, 1.0))
png(OUT / "icon-maskable-512.png", 512, draw(512, 0.7))
print("icons written to", OUT)
