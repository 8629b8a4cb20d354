//! The store suite (tests/store_suite) run against the embedded store, each test on a fresh
//! state file in its own temporary directory.
mod store_suite;

use scalelite::store::{EmbeddedStore, Store};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use store_suite::DynStore;

fn open(dir: &Path, ttl: Duration) -> DynStore {
    let store = EmbeddedStore::open(&dir.join("state.db"), ttl).expect("open the embedded store");
    Arc::new(store) as Arc<dyn Store>
}

macro_rules! suite {
    ($($name:ident: $ttl:expr),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let dir = tempfile::tempdir().unwrap();
            store_suite::$name(open(dir.path(), Duration::from_secs($ttl))).await;
        }
    )*};
}

suite! {
    servers_find_and_add: 3600,
    servers_update: 3600,
    servers_state_changes_carry_load: 3600,
    increment_load_only_on_available_servers: 3600,
    servers_delete: 3600,
    meetings_create_or_find: 3600,
    voice_bridges_unique_and_released: 3600,
    voice_bridge_exhaustion: 3600,
    meeting_expiry: 1,
    touch_extends_ttl: 2,
}

#[tokio::test]
async fn persistence() {
    let dir = tempfile::tempdir().unwrap();
    store_suite::persistence(|| {
        let store = open(dir.path(), Duration::from_secs(3600));
        async move { store }
    })
    .await;
}
