// Bitsmith's service worker. scripts/post_build.py replaces the two placeholders below with
// the build's version and the list of files to precache (hashed names from trunk's output), so
// the list is never maintained by hand.
const VERSION = "__BITSMITH_VERSION__";
const PRECACHE = __BITSMITH_PRECACHE__;
const CACHE = `bitsmith-shell-${VERSION}`;
const PREFIX = "bitsmith-shell-";

self.addEventListener("install", (event) => {
  // Precache the whole shell before this version may activate. No skipWaiting here: an update
  // waits until the user agrees to reload (the page sends "skip-waiting").
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(PRECACHE.map((p) => new Request(p, { cache: "reload" }))))
  );
});

self.addEventListener("activate", (event) => {
  // Delete older versions of our own caches (never other caches of this origin), then take
  // control of open pages so the first visit already works offline.
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") {
    self.skipWaiting();
  }
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  // Every in-app route is the same shell: serve index.html for navigations, cache first.
  if (req.mode === "navigate") {
    event.respondWith(
      caches.match("/index.html", { cacheName: CACHE }).then((hit) => hit || fetch(req))
    );
    return;
  }
  // Range requests (model downloads) and anything not precached go to the network untouched.
  if (req.headers.has("range")) return;
  event.respondWith(
    caches.match(req, { cacheName: CACHE, ignoreSearch: true }).then((hit) => hit || fetch(req))
  );
});
