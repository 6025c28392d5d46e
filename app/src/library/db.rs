//! The library's IndexedDB side (wasm only). See the [module docs](super).

use std::rc::Rc;

use idb::{Database, KeyRange, Query, TransactionMode};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use serde::{Serialize, de::DeserializeOwned};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::IdbTransaction;

use super::hash::checksum_hex;
use super::{
    LibError, Manifest, Pending, STORE_CHUNKS, STORE_MODELS, STORE_PENDING, chunk_spans, owner_of,
};
use crate::store::Store;

/// A handle on the library (cheap to clone).
#[derive(Clone)]
pub struct Library {
    db: Rc<Database>,
}

fn storage(e: impl std::fmt::Display) -> LibError {
    LibError::Storage(e.to_string())
}

fn is_quota(e: &JsValue) -> bool {
    e.dyn_ref::<web_sys::DomException>()
        .is_some_and(|d| d.name() == "QuotaExceededError")
}

/// Maps an idb error, recognising a quota failure however the browser reports it.
fn map_idb(e: idb::Error) -> LibError {
    match &e {
        idb::Error::DomException(d) if d.name() == "QuotaExceededError" => LibError::Quota,
        other if other.to_string().contains("QuotaExceededError") => LibError::Quota,
        _ => storage(e),
    }
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, LibError> {
    serde_wasm_bindgen::to_value(v).map_err(storage)
}

fn from_js<T: DeserializeOwned>(v: JsValue) -> Result<T, LibError> {
    serde_wasm_bindgen::from_value(v).map_err(storage)
}

/// `[store, index]`: chunks of one store sort together, in order.
fn chunk_key(store: &str, index: u32) -> JsValue {
    Array::of2(&JsValue::from_str(store), &JsValue::from(index)).into()
}

/// Every chunk key of `store`: arrays compare element by element and any array sorts after any
/// number, so `[store]` ≤ key ≤ `[store, []]` holds exactly the keys `[store, n]`.
fn store_range(store: &str) -> Result<KeyRange, LibError> {
    let lower: JsValue = Array::of1(&JsValue::from_str(store)).into();
    let upper: JsValue = Array::of2(&JsValue::from_str(store), &Array::new()).into();
    KeyRange::bound(&lower, &upper, None, None).map_err(storage)
}

/// Every chunk key of the staged stores of pending download `id` (`id/0`, `id/1`, …).
fn staged_range(id: &str) -> Result<KeyRange, LibError> {
    let lower: JsValue = Array::of1(&JsValue::from_str(&format!("{id}/"))).into();
    let upper: JsValue = Array::of1(&JsValue::from_str(&format!("{id}/\u{ffff}"))).into();
    KeyRange::bound(&lower, &upper, None, None).map_err(storage)
}

impl Library {
    /// The library in the app's database (opening it runs the store's migrations).
    pub async fn open() -> Result<Library, LibError> {
        let store = Store::open().await.map_err(storage)?;
        Ok(Library::from_store(&store))
    }

    pub fn from_store(store: &Store) -> Library {
        Library {
            db: store.database(),
        }
    }

    /// Runs a read-write transaction over `stores`: `fill` queues the requests, then the
    /// transaction is committed and its outcome checked (a quota abort becomes `Quota`).
    async fn write(
        &self,
        stores: &[&str],
        fill: impl FnOnce(&idb::Transaction) -> Result<(), LibError>,
    ) -> Result<(), LibError> {
        let tx = self
            .db
            .transaction(stores, TransactionMode::ReadWrite)
            .map_err(map_idb)?;
        // A second handle on the same transaction, to read its error after it ends.
        let raw: IdbTransaction = tx
            .object_store(stores[0])
            .map_err(map_idb)?
            .transaction()
            .into();
        if let Err(e) = fill(&tx) {
            let _ = tx.abort();
            return Err(e);
        }
        let outcome = tx.commit().map_err(map_idb)?.await;
        if let Some(err) = raw.error()
            && (err.name() == "QuotaExceededError" || is_quota(&err.clone().into()))
        {
            return Err(LibError::Quota);
        }
        match outcome {
            Ok(r) if r.is_committed() => Ok(()),
            Ok(_) => Err(LibError::Storage(
                raw.error()
                    .map(|e| format!("{}: {}", e.name(), e.message()))
                    .unwrap_or_else(|| "the write was aborted".into()),
            )),
            Err(e) => Err(map_idb(e)),
        }
    }

    /// Every model, newest first.
    pub async fn list(&self) -> Result<Vec<Manifest>, LibError> {
        let mut out: Vec<Manifest> = self
            .get_all(STORE_MODELS)
            .await?
            .into_iter()
            // A record an older or newer version cannot read is skipped, not fatal.
            .filter_map(|v| from_js(v).ok())
            .collect();
        out.sort_by(|a: &Manifest, b| b.created_ms.total_cmp(&a.created_ms));
        Ok(out)
    }

    /// Every resumable download.
    pub async fn pending_list(&self) -> Result<Vec<Pending>, LibError> {
        Ok(self
            .get_all(STORE_PENDING)
            .await?
            .into_iter()
            .filter_map(|v| from_js(v).ok())
            .collect())
    }

    async fn get_all(&self, store: &str) -> Result<Vec<JsValue>, LibError> {
        let tx = self
            .db
            .transaction(&[store], TransactionMode::ReadOnly)
            .map_err(map_idb)?;
        let values = tx
            .object_store(store)
            .map_err(map_idb)?
            .get_all(None, None)
            .map_err(map_idb)?
            .await
            .map_err(map_idb)?;
        Ok(values)
    }

    async fn get(&self, store: &str, key: JsValue) -> Result<Option<JsValue>, LibError> {
        let tx = self
            .db
            .transaction(&[store], TransactionMode::ReadOnly)
            .map_err(map_idb)?;
        let v = tx
            .object_store(store)
            .map_err(map_idb)?
            .get(Query::Key(key))
            .map_err(map_idb)?
            .await
            .map_err(map_idb)?;
        Ok(v.filter(|v| !v.is_undefined() && !v.is_null()))
    }

    pub async fn manifest(&self, id: &str) -> Result<Manifest, LibError> {
        match self.get(STORE_MODELS, JsValue::from_str(id)).await? {
            Some(v) => from_js(v),
            None => Err(LibError::NotFound(id.to_string())),
        }
    }

    pub async fn pending(&self, id: &str) -> Result<Option<Pending>, LibError> {
        self.get(STORE_PENDING, JsValue::from_str(id))
            .await?
            .map(from_js)
            .transpose()
    }

    /// Writes a manifest (the commit point of a model) and, in the same transaction, removes
    /// the pending download it completes.
    pub async fn commit_manifest(
        &self,
        m: &Manifest,
        done_pending: Option<&str>,
    ) -> Result<(), LibError> {
        if !m.is_consistent() {
            return Err(LibError::Corrupt {
                model: m.name.clone(),
                index: m.n_chunks(),
                why: "does not cover the file size".into(),
            });
        }
        let value = to_js(m)?;
        let key = JsValue::from_str(&m.id);
        let stores: &[&str] = if done_pending.is_some() {
            &[STORE_MODELS, STORE_PENDING]
        } else {
            &[STORE_MODELS]
        };
        self.write(stores, |tx| {
            tx.object_store(STORE_MODELS)
                .map_err(map_idb)?
                .put(&value, Some(&key))
                .map_err(map_idb)?;
            if let Some(p) = done_pending {
                tx.object_store(STORE_PENDING)
                    .map_err(map_idb)?
                    .delete(Query::Key(JsValue::from_str(p)))
                    .map_err(map_idb)?;
            }
            Ok(())
        })
        .await
    }

    /// Updates a stored manifest (e.g. to add measurements), keeping its bytes.
    pub async fn update_manifest(&self, m: &Manifest) -> Result<(), LibError> {
        self.manifest(&m.id).await?;
        self.commit_manifest(m, None).await
    }

    pub async fn put_pending(&self, p: &Pending) -> Result<(), LibError> {
        let value = to_js(p)?;
        let key = JsValue::from_str(&p.id);
        self.write(&[STORE_PENDING], |tx| {
            tx.object_store(STORE_PENDING)
                .map_err(map_idb)?
                .put(&value, Some(&key))
                .map_err(map_idb)?;
            Ok(())
        })
        .await
    }

    /// Deletes a model or a pending download and all its chunks, in one transaction.
    pub async fn delete(&self, id: &str) -> Result<(), LibError> {
        let own = store_range(id)?;
        let staged = staged_range(id)?;
        let key = JsValue::from_str(id);
        self.write(&[STORE_CHUNKS, STORE_MODELS, STORE_PENDING], |tx| {
            tx.object_store(STORE_MODELS)
                .map_err(map_idb)?
                .delete(Query::Key(key.clone()))
                .map_err(map_idb)?;
            tx.object_store(STORE_PENDING)
                .map_err(map_idb)?
                .delete(Query::Key(key))
                .map_err(map_idb)?;
            let chunks = tx.object_store(STORE_CHUNKS).map_err(map_idb)?;
            chunks.delete(Query::KeyRange(own)).map_err(map_idb)?;
            chunks.delete(Query::KeyRange(staged)).map_err(map_idb)?;
            Ok(())
        })
        .await
    }

    /// Deletes the chunks of one store (a write that failed or was cancelled).
    pub async fn delete_store(&self, store: &str) -> Result<(), LibError> {
        let range = store_range(store)?;
        self.write(&[STORE_CHUNKS], |tx| {
            tx.object_store(STORE_CHUNKS)
                .map_err(map_idb)?
                .delete(Query::KeyRange(range))
                .map_err(map_idb)?;
            Ok(())
        })
        .await
    }

    /// Writes one chunk and, in the same transaction, the pending download that counts it.
    async fn put_chunk(
        &self,
        store: &str,
        index: u32,
        data: &[u8],
        pending: Option<&Pending>,
    ) -> Result<(), LibError> {
        let key = chunk_key(store, index);
        let value: JsValue = Uint8Array::from(data).buffer().into();
        let pending = pending
            .map(|p| Ok::<_, LibError>((to_js(p)?, JsValue::from_str(&p.id))))
            .transpose()?;
        let stores: &[&str] = if pending.is_some() {
            &[STORE_CHUNKS, STORE_PENDING]
        } else {
            &[STORE_CHUNKS]
        };
        self.write(stores, |tx| {
            tx.object_store(STORE_CHUNKS)
                .map_err(map_idb)?
                .put(&value, Some(&key))
                .map_err(map_idb)?;
            if let Some((v, k)) = &pending {
                tx.object_store(STORE_PENDING)
                    .map_err(map_idb)?
                    .put(v, Some(k))
                    .map_err(map_idb)?;
            }
            Ok(())
        })
        .await
    }

    /// The raw bytes of a chunk, unchecked (`None` when missing).
    async fn chunk(&self, store: &str, index: u32) -> Result<Option<Vec<u8>>, LibError> {
        Ok(self
            .get(STORE_CHUNKS, chunk_key(store, index))
            .await?
            .map(|v| Uint8Array::new(&v).to_vec()))
    }

    /// The number of chunk records of a store (tests and diagnostics).
    pub async fn count_chunks(&self, store: &str) -> Result<u32, LibError> {
        let tx = self
            .db
            .transaction(&[STORE_CHUNKS], TransactionMode::ReadOnly)
            .map_err(map_idb)?;
        tx.object_store(STORE_CHUNKS)
            .map_err(map_idb)?
            .count(Some(Query::KeyRange(store_range(store)?)))
            .map_err(map_idb)?
            .await
            .map_err(map_idb)
    }

    /// Deletes chunks no manifest or pending download owns and no live writer holds (see the
    /// [module docs](super)). Returns how many chunk stores were removed.
    pub async fn collect_garbage(&self) -> Result<u32, LibError> {
        let held = held_locks().await;
        let keys = {
            let tx = self
                .db
                .transaction(&[STORE_CHUNKS], TransactionMode::ReadOnly)
                .map_err(map_idb)?;
            tx.object_store(STORE_CHUNKS)
                .map_err(map_idb)?
                .get_all_keys(None, None)
                .map_err(map_idb)?
                .await
                .map_err(map_idb)?
        };
        let mut stores: Vec<String> = keys
            .iter()
            .filter_map(|k| Array::from(k).get(0).as_string())
            .collect();
        stores.dedup();
        if stores.is_empty() {
            return Ok(0);
        }
        let models: Vec<String> = self.list().await?.into_iter().map(|m| m.id).collect();
        let pending = self.pending_list().await?;
        let orphans: Vec<String> = stores
            .into_iter()
            .filter(|s| {
                let owned = models.contains(s)
                    || pending
                        .iter()
                        .any(|p| p.files.iter().any(|f| &f.store == s));
                let writing = held
                    .iter()
                    .any(|h| *h == lock_name(s) || *h == lock_name(owner_of(s)));
                !owned && !writing
            })
            .collect();
        if orphans.is_empty() {
            return Ok(0);
        }
        let ranges = orphans
            .iter()
            .map(|s| store_range(s))
            .collect::<Result<Vec<_>, _>>()?;
        self.write(&[STORE_CHUNKS], |tx| {
            let chunks = tx.object_store(STORE_CHUNKS).map_err(map_idb)?;
            for r in ranges {
                chunks.delete(Query::KeyRange(r)).map_err(map_idb)?;
            }
            Ok(())
        })
        .await?;
        Ok(orphans.len() as u32)
    }
}

/// Reads byte ranges of a stored file, checking every chunk it loads against its checksum.
/// Keeps the last chunk, so sequential small reads load each chunk once.
pub struct ChunkReader {
    lib: Library,
    store: String,
    /// For messages.
    name: String,
    size: u64,
    chunk_size: u32,
    checksums: Vec<String>,
    cached: Option<(u32, Rc<Vec<u8>>)>,
}

impl ChunkReader {
    pub fn for_model(lib: &Library, m: &Manifest) -> ChunkReader {
        ChunkReader {
            lib: lib.clone(),
            store: m.id.clone(),
            name: m.name.clone(),
            size: m.size,
            chunk_size: m.chunk_size,
            checksums: m.checksums.clone(),
            cached: None,
        }
    }

    /// A staged (downloaded, not yet converted) file.
    pub fn for_staged(
        lib: &Library,
        name: &str,
        f: &super::PendingFile,
        chunk_size: u32,
    ) -> ChunkReader {
        ChunkReader {
            lib: lib.clone(),
            store: f.store.clone(),
            name: name.to_string(),
            size: f.size,
            chunk_size,
            checksums: f.checksums.clone(),
            cached: None,
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn n_chunks(&self) -> u32 {
        self.checksums.len() as u32
    }

    /// Chunk `index`, checked.
    pub async fn chunk(&mut self, index: u32) -> Result<Rc<Vec<u8>>, LibError> {
        if let Some((i, data)) = &self.cached
            && *i == index
        {
            return Ok(data.clone());
        }
        let corrupt = |why: &str| LibError::Corrupt {
            model: self.name.clone(),
            index,
            why: why.to_string(),
        };
        let want = self
            .checksums
            .get(index as usize)
            .ok_or_else(|| corrupt("is beyond the end"))?;
        let data = self
            .lib
            .chunk(&self.store, index)
            .await?
            .ok_or_else(|| corrupt("is missing"))?;
        let expected_len = (self.size - u64::from(index) * u64::from(self.chunk_size))
            .min(u64::from(self.chunk_size)) as usize;
        if data.len() != expected_len {
            return Err(corrupt("has the wrong length"));
        }
        if checksum_hex(&data) != *want {
            return Err(corrupt("does not match its checksum"));
        }
        let data = Rc::new(data);
        self.cached = Some((index, data.clone()));
        Ok(data)
    }

    /// Bytes `start..end` of the file.
    pub async fn read(&mut self, start: u64, end: u64) -> Result<Vec<u8>, LibError> {
        if end > self.size || start > end {
            return Err(LibError::Corrupt {
                model: self.name.clone(),
                index: (end / u64::from(self.chunk_size.max(1))) as u32,
                why: format!("range {start}..{end} is outside the file"),
            });
        }
        let mut out = Vec::with_capacity((end - start) as usize);
        for (index, r) in chunk_spans(start, end, self.chunk_size) {
            let c = self.chunk(index).await?;
            out.extend_from_slice(&c[r]);
        }
        Ok(out)
    }

    /// Drops the cached chunk (frees its memory).
    pub fn forget(&mut self) {
        self.cached = None;
    }
}

/// Appends bytes to a store, one chunk record at a time. For a download, each chunk commits
/// together with the pending record that counts it.
pub struct ChunkWriter {
    lib: Library,
    store: String,
    chunk_size: u32,
    buf: Vec<u8>,
    checksums: Vec<String>,
    written: u64,
    /// The download this write belongs to, and which of its files.
    pending: Option<(Pending, usize)>,
}

impl ChunkWriter {
    /// A writer for a new store.
    pub fn new(lib: &Library, store: &str, chunk_size: u32) -> ChunkWriter {
        ChunkWriter {
            lib: lib.clone(),
            store: store.to_string(),
            chunk_size,
            buf: Vec::new(),
            checksums: Vec::new(),
            written: 0,
            pending: None,
        }
    }

    /// A writer that continues file `k` of a download after the bytes it has stored.
    pub fn resume(lib: &Library, pending: Pending, k: usize, chunk_size: u32) -> ChunkWriter {
        let f = &pending.files[k];
        ChunkWriter {
            lib: lib.clone(),
            store: f.store.clone(),
            chunk_size,
            buf: Vec::new(),
            checksums: f.checksums.clone(),
            written: f.done,
            pending: Some((pending, k)),
        }
    }

    /// Bytes committed so far.
    pub fn committed(&self) -> u64 {
        self.written
    }

    pub fn pending(&self) -> Option<&Pending> {
        self.pending.as_ref().map(|(p, _)| p)
    }

    pub async fn push(&mut self, mut data: &[u8]) -> Result<(), LibError> {
        let cs = self.chunk_size as usize;
        while !data.is_empty() {
            let take = (cs - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == cs {
                self.flush().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), LibError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let index = self.checksums.len() as u32;
        let sum = checksum_hex(&self.buf);
        let len = self.buf.len() as u64;
        if let Some((p, k)) = &mut self.pending {
            let f = &mut p.files[*k];
            f.checksums.push(sum.clone());
            f.done += len;
        }
        let r = self
            .lib
            .put_chunk(
                &self.store,
                index,
                &self.buf,
                self.pending.as_ref().map(|(p, _)| p),
            )
            .await;
        if let Err(e) = r {
            // Undo the count: the chunk did not commit.
            if let Some((p, k)) = &mut self.pending {
                let f = &mut p.files[*k];
                f.checksums.pop();
                f.done -= len;
            }
            return Err(e);
        }
        self.checksums.push(sum);
        self.written += len;
        self.buf.clear();
        Ok(())
    }

    /// Writes the last partial chunk; returns the checksums and the byte count.
    pub async fn finish(mut self) -> Result<(Vec<String>, u64, Option<Pending>), LibError> {
        self.flush().await?;
        Ok((self.checksums, self.written, self.pending.map(|(p, _)| p)))
    }
}

/// `navigator.locks`, where the browser has it (workers included).
fn locks() -> Option<JsValue> {
    let nav = Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok()?;
    let l = Reflect::get(&nav, &JsValue::from_str("locks")).ok()?;
    (!l.is_undefined() && !l.is_null()).then_some(l)
}

fn lock_name(store: &str) -> String {
    format!("bitsmith-write:{store}")
}

/// The names of every Web Lock held or requested in this origin (empty without the API).
async fn held_locks() -> Vec<String> {
    let Some(locks) = locks() else {
        return Vec::new();
    };
    let query = Reflect::get(&locks, &JsValue::from_str("query"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    let Some(query) = query else {
        return Vec::new();
    };
    let Ok(p) = query.call0(&locks) else {
        return Vec::new();
    };
    let Ok(snapshot) = JsFuture::from(Promise::from(p)).await else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for list in ["held", "pending"] {
        if let Ok(arr) = Reflect::get(&snapshot, &JsValue::from_str(list)) {
            for info in Array::from(&arr).iter() {
                if let Some(n) = Reflect::get(&info, &JsValue::from_str("name"))
                    .ok()
                    .and_then(|n| n.as_string())
                {
                    names.push(n);
                }
            }
        }
    }
    names
}

/// A Web Lock held while a store is being written; the browser releases it when the tab or
/// worker goes away, which is how garbage collection tells a live write from an abandoned one.
pub struct WriteLock {
    release: Option<Function>,
}

impl WriteLock {
    /// Takes the lock for `store` if no one holds it (`None` when another tab does). Without
    /// the Web Locks API, writes go unlocked.
    pub async fn acquire(store: &str) -> Result<Option<WriteLock>, LibError> {
        let Some(locks) = locks() else {
            return Ok(Some(WriteLock { release: None }));
        };
        let mut release = None;
        let hold = Promise::new(&mut |resolve, _| release = Some(resolve));
        let mut granted = None;
        let got = Promise::new(&mut |resolve, _| granted = Some(resolve));
        let granted = granted.expect("Promise::new runs its executor at once");
        let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
            let _ = granted.call1(&JsValue::NULL, &lock);
            hold.into()
        });
        let opts = Object::new();
        Reflect::set(&opts, &JsValue::from_str("ifAvailable"), &JsValue::TRUE)
            .map_err(|e| storage(format!("{e:?}")))?;
        let request: Function = Reflect::get(&locks, &JsValue::from_str("request"))
            .and_then(|f| f.dyn_into())
            .map_err(|e| storage(format!("{e:?}")))?;
        request
            .call3(
                &locks,
                &JsValue::from_str(&lock_name(store)),
                &opts,
                &callback,
            )
            .map_err(|e| storage(format!("{e:?}")))?;
        let lock = JsFuture::from(got)
            .await
            .map_err(|e| storage(format!("{e:?}")))?;
        if lock.is_null() || lock.is_undefined() {
            return Ok(None);
        }
        Ok(Some(WriteLock { release }))
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        if let Some(f) = self.release.take() {
            let _ = f.call0(&JsValue::NULL);
        }
    }
}
