//! The app's IndexedDB store, with a schema version and migrations from day one.
//!
//! `MIGRATIONS[i]` upgrades a database at version `i` to `i + 1`; opening at `SCHEMA_VERSION`
//! runs every step the stored database has not had yet, inside the browser's upgrade
//! transaction, so an interrupted upgrade leaves the old version intact. Values are stored as
//! plain JS objects (serde-wasm-bindgen), so records written by older app versions still load
//! (every struct has `#[serde(default)]`).

use idb::{Database, DatabaseEvent, Factory, TransactionMode};
use serde::{Serialize, de::DeserializeOwned};
use wasm_bindgen::JsValue;

pub const DB_NAME: &str = "bitsmith";

/// Object stores. `kv` holds small keyed records (settings, progress); later versions add the
/// model library's stores.
pub const STORE_KV: &str = "kv";
pub const STORE_META: &str = "meta";

type Migration = fn(&Database) -> Result<(), idb::Error>;

/// The ordered schema history. Append, never edit: a shipped step has already run on users'
/// machines.
const MIGRATIONS: &[Migration] = &[
    // 0 → 1: key-value records and a meta store that remembers when each step ran.
    |db| {
        db.create_object_store(STORE_KV, idb::ObjectStoreParams::new())?;
        db.create_object_store(STORE_META, idb::ObjectStoreParams::new())?;
        Ok(())
    },
    // 1 → 2: the model library (`crate::library`): chunk records keyed [store, index], model
    // manifests and resumable downloads keyed by id (all keys out of line).
    |db| {
        for name in [
            crate::library::STORE_CHUNKS,
            crate::library::STORE_MODELS,
            crate::library::STORE_PENDING,
        ] {
            db.create_object_store(name, idb::ObjectStoreParams::new())?;
        }
        Ok(())
    },
];

pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// A storage failure, with the browser's own words kept for the message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    #[error("storage is not available in this browser: {0}")]
    Unavailable(String),
    #[error("storage failed: {0}")]
    Failed(String),
    #[error("a stored record could not be read: {0}")]
    Corrupt(String),
}

impl From<idb::Error> for StoreError {
    fn from(e: idb::Error) -> Self {
        StoreError::Failed(e.to_string())
    }
}

/// An open database.
#[derive(Clone)]
pub struct Store {
    db: std::rc::Rc<Database>,
}

impl Store {
    /// Opens (creating or migrating) the app's database.
    pub async fn open() -> Result<Store, StoreError> {
        Self::open_named(DB_NAME).await
    }

    /// Opens a database by name (tests use their own).
    pub async fn open_named(name: &str) -> Result<Store, StoreError> {
        let factory = Factory::new().map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let mut request = factory.open(name, Some(SCHEMA_VERSION))?;
        request.on_upgrade_needed(|event| {
            let (Ok(db), Ok(old)) = (event.database(), event.old_version()) else {
                return;
            };
            for step in MIGRATIONS.iter().skip(old as usize) {
                // An error here aborts the upgrade transaction; the open then fails with it.
                if step(&db).is_err() {
                    return;
                }
            }
        });
        let db = request.await?;
        Ok(Store {
            db: std::rc::Rc::new(db),
        })
    }

    /// The open connection, for modules with their own object stores (the model library).
    pub fn database(&self) -> std::rc::Rc<Database> {
        self.db.clone()
    }

    /// The stored database's version (after migrations, `SCHEMA_VERSION`).
    pub fn version(&self) -> u32 {
        self.db.version().unwrap_or(0)
    }

    pub fn store_names(&self) -> Vec<String> {
        self.db.store_names()
    }

    /// Reads a record; `None` when absent.
    pub async fn get<T: DeserializeOwned>(
        &self,
        store: &str,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let tx = self.db.transaction(&[store], TransactionMode::ReadOnly)?;
        let value = tx.object_store(store)?.get(JsValue::from_str(key))?.await?;
        tx.await?;
        match value {
            None => Ok(None),
            Some(v) if v.is_undefined() => Ok(None),
            Some(v) => serde_wasm_bindgen::from_value(v)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(e.to_string())),
        }
    }

    /// Writes a record and waits until the transaction has committed.
    pub async fn put<T: Serialize>(
        &self,
        store: &str,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let js =
            serde_wasm_bindgen::to_value(value).map_err(|e| StoreError::Failed(e.to_string()))?;
        let tx = self.db.transaction(&[store], TransactionMode::ReadWrite)?;
        tx.object_store(store)?
            .put(&js, Some(&JsValue::from_str(key)))?
            .await?;
        let result = tx.commit()?.await?;
        if result.is_aborted() {
            return Err(StoreError::Failed("the write was aborted".into()));
        }
        Ok(())
    }

    /// Closes the connection (tests reopen to prove persistence).
    pub fn close(&self) {
        self.db.close();
    }
}
