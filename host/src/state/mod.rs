//! State stores: where stateful operators keep their state between batches and across
//! restarts.
//!
//! A store is an ordered map of bytes to bytes plus the input offsets its contents
//! reflect, written together in one atomic batch: after a crash the store is exactly as
//! of some checkpoint, and the operator skips the input rows that checkpoint already
//! holds, so no row is counted twice. [`SledStore`] keeps it on disk under the data
//! directory; [`MemoryStore`] in memory, for queries without one (push queries).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// A change to apply at a checkpoint.
#[derive(Debug, Default)]
pub struct WriteBatch {
    pub puts: Vec<(Vec<u8>, Vec<u8>)>,
    pub deletes: Vec<Vec<u8>>,
    /// Per input partition, the next offset not yet reflected in the store.
    pub offsets: Vec<(i32, i64)>,
}

impl WriteBatch {
    pub fn is_empty(&self) -> bool {
        self.puts.is_empty() && self.deletes.is_empty() && self.offsets.is_empty()
    }
}

/// One operator's state.
pub trait StateStore: Send {
    /// Every entry, in key order.
    fn entries(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>, String>;

    /// The entries whose keys are in `[from, to)`, in key order.
    fn range(&self, from: &[u8], to: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, String>;

    /// The entries whose keys start with `prefix`, in key order.
    fn prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, String>;

    /// The offsets of the last checkpoint.
    fn offsets(&self) -> Result<Vec<(i32, i64)>, String>;

    /// Applies `batch` atomically and durably.
    fn write(&mut self, batch: WriteBatch) -> Result<(), String>;
}

/// Entries and offsets share one sled tree, told apart by their first byte, so one
/// `apply_batch` covers both.
const OFFSET_TAG: u8 = 0;
const ENTRY_TAG: u8 = 1;

/// A store on disk (sled).
pub struct SledStore {
    db: sled::Db,
}

/// The stores open in this process, by directory: sled locks a directory for one
/// handle, and a pull query reads the store its query writes through a clone of it.
fn open_stores() -> &'static Mutex<HashMap<PathBuf, sled::Db>> {
    static OPEN: OnceLock<Mutex<HashMap<PathBuf, sled::Db>>> = OnceLock::new();
    OPEN.get_or_init(Default::default)
}

impl SledStore {
    /// Opens (or creates) the store in `dir`, or shares the handle already open.
    pub fn open(dir: &Path) -> Result<SledStore, String> {
        let mut open = open_stores().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(db) = open.get(dir) {
            return Ok(SledStore { db: db.clone() });
        }
        std::fs::create_dir_all(dir).map_err(|e| format!("creating state directory {}: {e}", dir.display()))?;
        let db = sled::Config::new()
            .path(dir)
            .flush_every_ms(None)
            .open()
            .map_err(|e| format!("opening state store {}: {e}", dir.display()))?;
        open.insert(dir.to_owned(), db.clone());
        Ok(SledStore { db })
    }

    /// Closes the stores under `dir` (before it is deleted).
    pub fn forget(dir: &Path) {
        open_stores().lock().unwrap_or_else(|p| p.into_inner()).retain(|path, _| !path.starts_with(dir));
    }
}

fn tagged(tag: u8, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.push(tag);
    k.extend_from_slice(key);
    k
}

impl StateStore for SledStore {
    fn entries(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>, String> {
        self.db
            .scan_prefix([ENTRY_TAG])
            .map(|kv| kv.map(|(k, v)| (k[1..].to_vec(), v.to_vec())).map_err(|e| e.to_string()))
            .collect()
    }

    fn range(&self, from: &[u8], to: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, String> {
        self.db
            .range(tagged(ENTRY_TAG, from)..tagged(ENTRY_TAG, to))
            .map(|kv| kv.map(|(k, v)| (k[1..].to_vec(), v.to_vec())).map_err(|e| e.to_string()))
            .collect()
    }

    fn prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, String> {
        self.db
            .scan_prefix(tagged(ENTRY_TAG, prefix))
            .map(|kv| kv.map(|(k, v)| (k[1..].to_vec(), v.to_vec())).map_err(|e| e.to_string()))
            .collect()
    }

    fn offsets(&self) -> Result<Vec<(i32, i64)>, String> {
        let mut out = Vec::new();
        for kv in self.db.scan_prefix([OFFSET_TAG]) {
            let (k, v) = kv.map_err(|e| e.to_string())?;
            let (Ok(p), Ok(o)) = (<[u8; 4]>::try_from(&k[1..]), <[u8; 8]>::try_from(&v[..])) else {
                return Err("the state store's offsets are corrupt".into());
            };
            out.push((i32::from_be_bytes(p), i64::from_be_bytes(o)));
        }
        Ok(out)
    }

    fn write(&mut self, batch: WriteBatch) -> Result<(), String> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut b = sled::Batch::default();
        for (k, v) in batch.puts {
            b.insert(tagged(ENTRY_TAG, &k), v);
        }
        for k in batch.deletes {
            b.remove(tagged(ENTRY_TAG, &k));
        }
        for (p, o) in batch.offsets {
            b.insert(tagged(OFFSET_TAG, &p.to_be_bytes()), o.to_be_bytes().to_vec());
        }
        self.db.apply_batch(b).map_err(|e| e.to_string())?;
        self.db.flush().map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// A store in memory: gone when the query ends.
#[derive(Default)]
pub struct MemoryStore {
    entries: BTreeMap<Vec<u8>, Vec<u8>>,
    offsets: BTreeMap<i32, i64>,
}

impl StateStore for MemoryStore {
    fn entries(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>, String> {
        Ok(self.entries.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    fn range(&self, from: &[u8], to: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, String> {
        Ok(self.entries.range(from.to_vec()..to.to_vec()).map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    fn prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, String> {
        Ok(self
            .entries
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn offsets(&self) -> Result<Vec<(i32, i64)>, String> {
        Ok(self.offsets.iter().map(|(p, o)| (*p, *o)).collect())
    }

    fn write(&mut self, batch: WriteBatch) -> Result<(), String> {
        self.entries.extend(batch.puts);
        for k in batch.deletes {
            self.entries.remove(&k);
        }
        self.offsets.extend(batch.offsets);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sled_store_keeps_entries_and_offsets_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut store = SledStore::open(dir.path()).unwrap();
            store
                .write(WriteBatch {
                    puts: vec![
                        (b"b".to_vec(), b"2".to_vec()),
                        (b"a".to_vec(), b"1".to_vec()),
                        (b"c".to_vec(), b"3".to_vec()),
                    ],
                    deletes: vec![],
                    offsets: vec![(0, 10), (3, 7)],
                })
                .unwrap();
            store.write(WriteBatch { puts: vec![], deletes: vec![b"c".to_vec()], offsets: vec![(0, 12)] }).unwrap();
            // A second handle on the same directory shares the first.
            let shared = SledStore::open(dir.path()).unwrap();
            assert_eq!(shared.offsets().unwrap(), vec![(0, 12), (3, 7)]);
        }
        // Reopened from disk.
        SledStore::forget(dir.path());
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(store.entries().unwrap(), vec![(b"a".to_vec(), b"1".to_vec()), (b"b".to_vec(), b"2".to_vec())]);
        assert_eq!(store.range(b"b", b"z").unwrap(), vec![(b"b".to_vec(), b"2".to_vec())]);
        assert_eq!(store.prefix(b"a").unwrap(), vec![(b"a".to_vec(), b"1".to_vec())]);
        assert_eq!(store.offsets().unwrap(), vec![(0, 12), (3, 7)]);
    }
}
