//! The store test suite, written against `Arc<dyn Store>` so that every implementation (the
//! embedded store and Redis) runs the same examples: server store semantics (behaviour
//! doc §12.6, §4.1), meetings and voice bridges (§4.2, §6.3), meeting TTL and persistence.
//! Each function takes a fresh, empty store; the TTL ones say which TTL it must have.
//! Server examples are in `servers.rs`, meeting and voice-bridge ones in `meetings.rs`.
//! [`suite!`] lists them all once and expands to one test each for a [`Backend`]
//! (store_embedded.rs, store_redis.rs).

mod meetings;
pub mod redis;
mod servers;

pub use meetings::*;
pub use servers::*;

use scalelite::store::voice_bridge::BridgePolicy;
use scalelite::store::*;
use std::future::Future;
use std::sync::Arc;

pub type DynStore = Arc<dyn Store>;

/// Where one test keeps its store's state (a temporary directory, a Redis namespace); it is
/// removed when dropped.
pub(crate) trait Backend {
    /// Fresh, empty state.
    fn new() -> Self;
    /// A store on this state with a meeting TTL of `ttl_secs`; every store opened on it sees
    /// the same state.
    async fn open(&self, ttl_secs: u64) -> DynStore;
}

/// Every example of the suite as a test on a fresh `$backend` (a [`Backend`] type): the one
/// list of the suite's tests, expanded once per store.
macro_rules! suite {
    ($backend:ty) => {
        $crate::store_suite::suite!(@each $backend;
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
        );

        #[tokio::test]
        async fn persistence() {
            use $crate::store_suite::Backend as _;
            let state = <$backend>::new();
            $crate::store_suite::persistence(|| state.open(3600)).await;
        }
    };
    (@each $backend:ty; $($name:ident: $ttl:expr),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            use $crate::store_suite::Backend as _;
            let state = <$backend>::new();
            $crate::store_suite::$name(state.open($ttl).await).await;
        }
    )*};
}
pub(crate) use suite;

const POLICY: BridgePolicy = BridgePolicy {
    len: 9,
    use_external: false,
};
const EXTERNAL: BridgePolicy = BridgePolicy {
    len: 9,
    use_external: true,
};

fn legacy(id: &str, enabled: bool, load: Option<f64>) -> Server {
    let mut s = Server::new(
        id.into(),
        format!("https://{id}.example.com/bigbluebutton/api/"),
        format!("{id}-secret"),
    );
    s.enabled = enabled;
    s.load = load;
    s
}

fn with_state(id: &str, state: ServerState, load: Option<f64>) -> Server {
    Server {
        state: Some(state),
        enabled: state == ServerState::Enabled,
        ..legacy(id, false, load)
    }
}

fn state(s: ServerState) -> ServerChange {
    ServerChange {
        state: Some(s),
        ..Default::default()
    }
}

fn load(l: Option<f64>) -> ServerChange {
    ServerChange {
        load: Some(l),
        ..Default::default()
    }
}

fn online() -> ServerChange {
    ServerChange {
        online: Some(true),
        ..Default::default()
    }
}

/// Add a server; the store must accept it.
async fn add(store: &DynStore, server: Server) -> Server {
    store.add_server(server).await.unwrap()
}

/// Change a server; the store must accept the change.
async fn update(store: &DynStore, id: &str, change: ServerChange) -> Server {
    store.update_server(id, change).await.unwrap()
}

/// The ids of all servers, in the store's order.
async fn server_ids(store: &DynStore) -> Vec<String> {
    let servers = store.servers().await.unwrap();
    servers.into_iter().map(|s| s.id).collect()
}

async fn get(store: &DynStore, id: &str) -> Server {
    store
        .server(id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("server {id} missing"))
}

fn new_meeting(id: &str, server: &str, bridge: Option<&str>) -> NewMeeting {
    NewMeeting {
        id: id.into(),
        server_id: server.into(),
        moderator_pw: format!("{id}-pw"),
        requested_bridge: bridge.map(String::from),
        tenant_id: None,
    }
}

async fn place(store: &DynStore, id: &str, bridge: Option<&str>, policy: &BridgePolicy) -> Meeting {
    let (m, created) = store
        .create_or_find_meeting(new_meeting(id, "s1", bridge), policy)
        .await
        .unwrap();
    assert!(created, "{id} already existed");
    m
}

/// Everything written survives re-opening the same store; deletions stay deleted and voice
/// bridges stay reserved. `open` must open the same underlying state every time.
pub async fn persistence<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = open().await;
    add(&store, legacy("b", false, None)).await;
    add(&store, legacy("c", true, Some(1.0))).await;
    add(&store, with_state("a", ServerState::Enabled, None)).await;
    let change = ServerChange {
        url: Some("https://moved.example.com/bigbluebutton/api/".into()),
        tag: Some(Some("blue".into())),
        load_multiplier: Some("1.5".into()),
        online: Some(true),
        load: Some(Some(3.0)),
        stats: Some(ServerStats {
            meetings: 2,
            users: 7,
            largest_meeting: 5,
            videos: 1,
        }),
        counters: Some((0, 1)),
        bbb_version: Some("2.7.3".into()),
        ..Default::default()
    };
    let a = update(&store, "a", change).await;
    let b = update(&store, "b", state(ServerState::Cordoned)).await;
    store.delete_server("c").await.unwrap();
    let m1 = place(&store, "m1", Some("71234"), &EXTERNAL).await;
    let m2 = place(&store, "m2", None, &POLICY).await;
    let m3 = place(&store, "m3", Some("75555"), &EXTERNAL).await;
    store.delete_meeting("m3").await.unwrap();
    drop(store);

    let store = open().await;
    assert_eq!(store.server("a").await.unwrap(), Some(a));
    assert_eq!(store.server("b").await.unwrap(), Some(b));
    assert!(
        store.server("c").await.unwrap().is_none(),
        "a deleted server came back"
    );
    assert_eq!(store.servers().await.unwrap().len(), 2);
    assert_eq!(store.meeting("m1").await.unwrap(), Some(m1.clone()));
    assert_eq!(store.meeting("m2").await.unwrap(), Some(m2));
    assert!(
        store.meeting("m3").await.unwrap().is_none(),
        "a deleted meeting came back"
    );
    assert_eq!(store.meetings().await.unwrap().len(), 2);
    let x = place(&store, "x", Some(&m1.voice_bridge), &EXTERNAL).await;
    assert_ne!(
        x.voice_bridge, m1.voice_bridge,
        "voice bridge reservation lost"
    );
    assert_eq!(
        place(&store, "y", Some(&m3.voice_bridge), &EXTERNAL)
            .await
            .voice_bridge,
        m3.voice_bridge
    );
}
