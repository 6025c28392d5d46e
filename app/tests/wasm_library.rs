//! The model library in a real browser's IndexedDB: chunks and manifest round trip, a damaged
//! chunk is caught on read, a model exists only once its manifest is written, downloads count
//! their chunks atomically, and garbage collection removes exactly the orphans.
//!
//! Run: `scripts/test_wasm.sh bitsmith-app:wasm_library`.

#![cfg(target_arch = "wasm32")]

use bitsmith_app::library::{
    ChunkReader, ChunkWriter, LibError, Library, Manifest, Pending, PendingFile, WriteLock,
    hash::checksum_hex,
};
use bitsmith_app::store::Store;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn library() -> Library {
    let name = format!("bitsmith-lib-test-{}", js_sys::Math::random());
    Library::from_store(&Store::open_named(&name).await.unwrap())
}

async fn sleep_ms(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let global: web_sys::Window = wasm_bindgen::JsCast::unchecked_into(js_sys::global());
        let _ = global.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Writes `data` under `id` (small chunks, so a few KB make several records).
async fn write(lib: &Library, id: &str, data: &[u8], chunk: u32) -> Manifest {
    let mut w = ChunkWriter::new(lib, id, chunk);
    // Uneven pushes: chunk boundaries must not depend on how the bytes arrive.
    for piece in data.chunks(777) {
        w.push(piece).await.unwrap();
    }
    let (checksums, size, _) = w.finish().await.unwrap();
    Manifest {
        id: id.into(),
        name: id.into(),
        file_name: format!("{id}.gguf"),
        size,
        chunk_size: chunk,
        checksums,
        ..Manifest::default()
    }
}

#[wasm_bindgen_test]
async fn a_model_round_trips_and_appears_only_with_its_manifest() {
    let lib = library().await;
    let data = bytes(10_000, 1);
    let m = write(&lib, "m1", &data, 4096).await;
    assert_eq!(m.checksums.len(), 3);
    assert_eq!(m.checksums[0], checksum_hex(&data[..4096]));
    // Chunks alone are not a model.
    assert!(lib.list().await.unwrap().is_empty());
    assert_eq!(lib.count_chunks("m1").await.unwrap(), 3);
    lib.commit_manifest(&m, None).await.unwrap();
    let listed = lib.list().await.unwrap();
    assert_eq!(listed, vec![m.clone()]);
    let mut r = ChunkReader::for_model(&lib, &m);
    assert_eq!(r.read(0, 10_000).await.unwrap(), data);
    assert_eq!(r.read(4000, 8200).await.unwrap(), data[4000..8200]);
    assert_eq!(r.read(9999, 10_000).await.unwrap(), data[9999..]);
    assert!(r.read(9999, 10_001).await.is_err());
    lib.delete("m1").await.unwrap();
    assert!(lib.list().await.unwrap().is_empty());
    assert_eq!(lib.count_chunks("m1").await.unwrap(), 0);
    assert_eq!(
        lib.manifest("m1").await,
        Err(LibError::NotFound("m1".into()))
    );
}

#[wasm_bindgen_test]
async fn a_damaged_or_missing_chunk_is_reported_not_returned() {
    let lib = library().await;
    let data = bytes(9000, 2);
    let m = write(&lib, "m2", &data, 4096).await;
    lib.commit_manifest(&m, None).await.unwrap();
    // Overwrite chunk 0 with other bytes of the same length.
    let mut w = ChunkWriter::new(&lib, "m2", 4096);
    w.push(&bytes(4096, 9)).await.unwrap();
    let mut r = ChunkReader::for_model(&lib, &m);
    match r.read(0, 100).await {
        Err(LibError::Corrupt { index, why, .. }) => {
            assert_eq!(index, 0);
            assert!(why.contains("checksum"), "{why}");
        }
        other => panic!("expected a checksum error, got {other:?}"),
    }
    // The undamaged chunks still read.
    assert_eq!(r.read(8192, 9000).await.unwrap(), data[8192..9000]);
    // A manifest that claims more chunks than exist.
    let mut longer = m.clone();
    longer.size = 20_000;
    longer.checksums.extend(["0".repeat(16), "1".repeat(16)]);
    assert!(longer.is_consistent());
    let mut r = ChunkReader::for_model(&lib, &longer);
    match r.read(16_384, 16_390).await {
        Err(LibError::Corrupt { why, .. }) => assert!(why.contains("missing"), "{why}"),
        other => panic!("expected a missing chunk, got {other:?}"),
    }
    // A manifest whose chunk list does not cover its size is never committed.
    longer.checksums.pop();
    assert!(matches!(
        lib.commit_manifest(&longer, None).await,
        Err(LibError::Corrupt { .. })
    ));
}

#[wasm_bindgen_test]
async fn a_download_counts_each_chunk_in_the_same_transaction() {
    let lib = library().await;
    let data = bytes(10_000, 3);
    let p = Pending {
        id: "d1".into(),
        name: "d1".into(),
        files: vec![PendingFile {
            name: "x.gguf".into(),
            url: "https://example.invalid/x.gguf".into(),
            size: data.len() as u64,
            store: "d1".into(),
            ..PendingFile::default()
        }],
        created_ms: 0.0,
    };
    lib.put_pending(&p).await.unwrap();
    let mut w = ChunkWriter::resume(&lib, p.clone(), 0, 4096);
    w.push(&data[..5000]).await.unwrap();
    // One whole chunk committed; the 904 buffered bytes are not counted.
    let stored = lib.pending("d1").await.unwrap().unwrap();
    assert_eq!(stored.files[0].done, 4096);
    assert_eq!(stored.files[0].checksums, vec![checksum_hex(&data[..4096])]);
    drop(w);
    // Resume from the record: the next chunk continues at byte 4096.
    let mut w = ChunkWriter::resume(&lib, stored, 0, 4096);
    assert_eq!(w.committed(), 4096);
    w.push(&data[4096..]).await.unwrap();
    let (_, _, done) = w.finish().await.unwrap();
    let done = done.unwrap();
    assert!(done.files[0].complete());
    let f = &done.files[0];
    let mut r = ChunkReader::for_staged(&lib, "x", f, 4096);
    assert_eq!(r.read(0, data.len() as u64).await.unwrap(), data);
}

#[wasm_bindgen_test]
async fn garbage_collection_removes_only_orphans() {
    let lib = library().await;
    // A model, a pending download, an orphan, and a store a live writer holds.
    let kept = write(&lib, "kept", &bytes(5000, 4), 4096).await;
    lib.commit_manifest(&kept, None).await.unwrap();
    let p = Pending {
        id: "dl".into(),
        files: vec![PendingFile {
            store: "dl/0".into(),
            size: 9000,
            ..PendingFile::default()
        }],
        ..Pending::default()
    };
    lib.put_pending(&p).await.unwrap();
    write(&lib, "dl/0", &bytes(4096, 5), 4096).await;
    write(&lib, "orphan", &bytes(9000, 6), 4096).await;
    let lock = WriteLock::acquire("busy").await.unwrap().unwrap();
    write(&lib, "busy", &bytes(100, 7), 4096).await;
    // A second writer cannot take a held lock.
    assert!(WriteLock::acquire("busy").await.unwrap().is_none());
    assert_eq!(lib.collect_garbage().await.unwrap(), 1);
    assert_eq!(lib.count_chunks("orphan").await.unwrap(), 0);
    assert_eq!(lib.count_chunks("kept").await.unwrap(), 2);
    assert_eq!(lib.count_chunks("dl/0").await.unwrap(), 1);
    assert_eq!(lib.count_chunks("busy").await.unwrap(), 1);
    // Once its writer is gone, the unfinished store is garbage too.
    drop(lock);
    // The browser releases the lock asynchronously, once the promise the lock held settles.
    sleep_ms(50).await;
    assert_eq!(lib.collect_garbage().await.unwrap(), 1);
    assert_eq!(lib.count_chunks("busy").await.unwrap(), 0);
    // Discarding the download takes its staged chunks with it.
    lib.delete("dl").await.unwrap();
    assert_eq!(lib.count_chunks("dl/0").await.unwrap(), 0);
    assert!(lib.pending_list().await.unwrap().is_empty());
}
