//! The store suite (store_suite) run against the embedded store, each test on a fresh state
//! file in its own temporary directory.

use crate::store_suite::{Backend, DynStore};
use scalelite::store::{EmbeddedStore, Store};
use std::sync::Arc;
use std::time::Duration;

/// A temporary directory holding the state file.
struct Embedded(tempfile::TempDir);

impl Backend for Embedded {
    fn new() -> Embedded {
        Embedded(tempfile::tempdir().unwrap())
    }

    async fn open(&self, ttl_secs: u64) -> DynStore {
        let ttl = Duration::from_secs(ttl_secs);
        let store = EmbeddedStore::open(&self.0.path().join("state.db"), ttl)
            .expect("open the embedded store");
        Arc::new(store) as Arc<dyn Store>
    }
}

crate::store_suite::suite!(Embedded);
