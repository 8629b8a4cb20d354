//! The store suite (tests/store_suite) run against `RedisStore`, on the Redis at REDIS_URL
//! (default redis://127.0.0.1:6379), each test in its own namespace whose keys are deleted at
//! the end. The Redis-only examples are in store_redis_layout.rs (Scalelite's key layout) and
//! store_redis_trouble.rs (racing connections, leases, an unreachable or mute Redis); the
//! helpers they share are in tests/store_suite/redis.rs.
mod store_suite;

use std::sync::Arc;
use store_suite::redis::{open, Ns};
use store_suite::DynStore;

macro_rules! suite {
    ($($name:ident: $ttl:expr),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let ns = Ns::new();
            store_suite::$name(Arc::new(ns.store($ttl).await) as DynStore).await;
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
    let ns = Ns::new();
    let name = ns.name.clone();
    store_suite::persistence(|| {
        let name = name.clone();
        async move { Arc::new(open(&name, 3600).await) as DynStore }
    })
    .await;
}
