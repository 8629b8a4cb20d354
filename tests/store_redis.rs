//! The store suite (tests/store_suite) and Redis-only examples against `RedisStore`, on the Redis
//! at REDIS_URL (default redis://127.0.0.1:6379), each test in its own namespace whose keys are
//! deleted at the end: adopting keys written by Scalelite, the exact keys we write, two
//! connections racing, leases, and an unreachable or mute Redis.
mod store_suite;

use scalelite::store::voice_bridge::BridgePolicy;
use scalelite::store::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store_suite::DynStore;
use ServerState::{Cordoned, Disabled, Enabled};

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

async fn open(namespace: &str, ttl_secs: u64) -> RedisStore {
    let ttl = Duration::from_secs(ttl_secs);
    RedisStore::connect(&redis_url(), namespace, ttl)
        .await
        .expect("connect to REDIS_URL")
}

/// A fresh namespace with a plain connection for raw commands; its keys go when it is dropped
/// (also when the test fails).
struct Ns {
    name: String,
    raw: redis::Connection,
}

impl Ns {
    fn new() -> Ns {
        let name = format!("scalelite_test_{}", uuid::Uuid::new_v4().simple());
        let client = redis::Client::open(redis_url()).unwrap();
        let raw = client.get_connection().expect("a Redis at REDIS_URL");
        Ns { name, raw }
    }

    async fn store(&self, ttl_secs: u64) -> RedisStore {
        open(&self.name, ttl_secs).await
    }

    /// Run `"CMD key arg…"` (split on blanks, `''` = empty) on `<namespace>:key`.
    fn run<T: redis::FromRedisValue>(&mut self, line: &str) -> T {
        let mut words = line
            .split_whitespace()
            .map(|w| if w == "''" { "" } else { w });
        let mut c = redis::cmd(words.next().unwrap());
        c.arg(format!("{}:{}", self.name, words.next().unwrap()));
        c.arg(words.collect::<Vec<_>>());
        c.query(&mut self.raw)
            .unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    fn hash(&mut self, key: &str) -> HashMap<String, String> {
        self.run(&format!("HGETALL {key}"))
    }

    fn score(&mut self, set: &str, id: &str) -> Option<f64> {
        self.run(&format!("ZSCORE {set} {id}"))
    }

    fn member(&mut self, set: &str, id: &str) -> bool {
        self.run(&format!("SISMEMBER {set} {id}"))
    }
}

/// `"field=value …"` as a hash (`''` = empty).
fn fields(pairs: &str) -> HashMap<String, String> {
    let pair = |p: &str| {
        p.replace("''", "")
            .split_once('=')
            .map(|(k, v)| (k.into(), v.into()))
    };
    pairs.split_whitespace().filter_map(pair).collect()
}

impl Drop for Ns {
    fn drop(&mut self) {
        use redis::Commands;
        let pattern = format!("{}:*", self.name);
        let keys: Vec<String> = match self.raw.scan_match(&pattern) {
            Ok(keys) => keys.filter_map(Result::ok).collect(),
            Err(_) => return,
        };
        if !keys.is_empty() {
            let _: redis::RedisResult<()> = self.raw.del(keys);
        }
    }
}

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

const POLICY: BridgePolicy = BridgePolicy {
    len: 9,
    use_external: false,
};

fn new_meeting(id: &str, server: &str, pw: &str, tenant: Option<&str>) -> NewMeeting {
    NewMeeting {
        id: id.into(),
        server_id: server.into(),
        moderator_pw: pw.into(),
        requested_bridge: None,
        tenant_id: tenant.map(String::from),
    }
}

fn change(state: Option<ServerState>, online: Option<bool>) -> ServerChange {
    ServerChange {
        state,
        online,
        ..Default::default()
    }
}

/// Keys written the way Scalelite writes them are read, joined, listed, ended and updated the
/// way Scalelite would (behaviour doc §4.1, §4.2, §5.4).
#[tokio::test]
async fn adopts_scalelite_keys() {
    let mut ns = Ns::new();
    // A legacy server (no state) enabled with a load, its counters under the bare id (Q10); a
    // cordoned one; a disabled one; a meeting on each live server; an expired meeting's leftovers.
    for line in [
        "HSET server:legacy url=https://l/ secret=ls online=true load_multiplier=2.0",
        "SADD servers legacy cord dis",
        "SADD server_enabled legacy",
        "ZADD server_load 3 legacy",
        "HSET legacy healthy_counter 0 unhealthy_counter 1",
        "HSET server:cord url=https://c/ secret=cs online=true state=cordoned tag=blue",
        "HSET server:cord meetings 2 users 5 largest_meeting 4 videos 1 bbb_version 2.7.3",
        "ZADD cordoned_server_load 4 cord",
        "HSET server:dis url=https://d/ secret=ds online=false state=disabled",
        "HSET meeting:m1 server_id legacy moderator_pw mp voice_bridge 71234 tenant_id ''",
        "HSET meeting:m2 server_id cord moderator_pw mp voice_bridge 71235 tenant_id ''",
        "EXPIRE meeting:m1 3600",
        "EXPIRE meeting:m2 3600",
        "SADD meetings m1 m2 gone",
        "HSET voice_bridges 71234 m1 71235 m2 75555 gone",
    ] {
        ns.run::<()>(&line.replace('=', " "));
    }
    let store = ns.store(3600).await;
    let mut servers = store.servers().await.unwrap();
    servers.sort_by(|a, b| a.id.cmp(&b.id));
    let ids: Vec<&str> = servers.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["cord", "dis", "legacy"]);
    let (c, d, l) = (&servers[0], &servers[1], &servers[2]);
    assert_eq!(
        (l.state, l.enabled, l.load, l.online),
        (None, true, Some(3.0), true)
    );
    assert_eq!((l.url.as_str(), l.secret.as_str()), ("https://l/", "ls"));
    assert_eq!((l.multiplier(), l.unhealthy_counter), (2.0, 1));
    assert!(l.is_available());
    assert_eq!(
        (c.state, c.load, c.tag.as_deref()),
        (Some(Cordoned), Some(4.0), Some("blue"))
    );
    let stats = (
        c.stats.meetings,
        c.stats.users,
        c.stats.largest_meeting,
        c.stats.videos,
    );
    assert_eq!(
        (stats, c.bbb_version.as_deref()),
        ((2, 5, 4, 1), Some("2.7.3"))
    );
    assert!(!c.is_available() && c.accepts_joins());
    assert_eq!(
        (d.effective_state(), d.load, d.online),
        (Disabled, None, false)
    );
    assert_eq!(store.server("legacy").await.unwrap().as_ref(), Some(l));

    // Join adds 1 × load_multiplier to an available server only (§5.4).
    let m1 = store.join("m1").await.unwrap().expect("m1");
    let got = (
        m1.server_id.as_str(),
        m1.moderator_pw.as_str(),
        m1.voice_bridge.as_str(),
    );
    assert_eq!((got, &m1.tenant_id), (("legacy", "mp", "71234"), &None));
    assert_eq!(ns.score("server_load", "legacy"), Some(5.0));
    assert_eq!(store.join("m2").await.unwrap().unwrap().server_id, "cord");
    assert_eq!(ns.score("cordoned_server_load", "cord"), Some(4.0));
    assert_eq!(ns.score("server_load", "cord"), None);
    assert!(store.join("gone").await.unwrap().is_none());

    // The listing skips the expired meeting and cleans its index entry and voice bridge (Q11).
    let mut listed: Vec<String> = store
        .meetings()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    listed.sort();
    assert_eq!(listed, ["m1", "m2"]);
    assert!(!ns.member("meetings", "gone"));
    assert!(!ns.run::<bool>("HEXISTS voice_bridges 75555"));

    let again = new_meeting("m1", "dis", "other", None);
    let (found, created) = store.create_or_find_meeting(again, &POLICY).await.unwrap();
    assert_eq!((found, created), (m1, false));
    store.delete_meeting("m1").await.unwrap();
    assert!(!ns.run::<bool>("EXISTS meeting:m1"));
    assert!(!ns.member("meetings", "m1"));
    assert!(!ns.run::<bool>("HEXISTS voice_bridges 71234"));
    assert!(ns.run::<bool>("HEXISTS voice_bridges 71235"));

    // Enabling the cordoned server carries its load back into server_load.
    let s = store
        .update_server("cord", change(Some(Enabled), None))
        .await
        .unwrap();
    assert_eq!((s.enabled, s.load), (true, Some(4.0)));
    assert_eq!(ns.hash("server:cord")["state"], "enabled");
    assert!(ns.member("server_enabled", "cord"));
    assert_eq!(ns.score("server_load", "cord"), Some(4.0));
    assert_eq!(ns.score("cordoned_server_load", "cord"), None);
    // A legacy server stays legacy (no state field) when other fields change.
    store
        .update_server("legacy", change(None, Some(false)))
        .await
        .unwrap();
    let want = fields("url=https://l/ secret=ls online=false load_multiplier=2.0");
    assert_eq!(ns.hash("server:legacy"), want);
    assert!(ns.member("server_enabled", "legacy"));
    assert_eq!(ns.score("server_load", "legacy"), Some(5.0));
}

/// What we write is what Scalelite writes: the same hash fields, sets and sorted sets.
#[tokio::test]
async fn writes_keys_as_scalelite_does() {
    let mut ns = Ns::new();
    let store = ns.store(3600).await;
    let n1 = Server::new("n1".into(), "https://n1/".into(), "sec".into());
    store.add_server(n1).await.unwrap();
    let mut want = fields("url=https://n1/ secret=sec online=false");
    assert_eq!(ns.hash("server:n1"), want);
    assert!(ns.member("servers", "n1") && !ns.member("server_enabled", "n1"));
    assert!(
        !ns.run::<bool>("EXISTS n1"),
        "counters before the first poll"
    );

    let enable = ServerChange {
        tag: Some(Some("blue".into())),
        load_multiplier: Some("1.5".into()),
        ..change(Some(Enabled), None)
    };
    store.update_server("n1", enable).await.unwrap();
    want.extend(fields("state=enabled tag=blue load_multiplier=1.5"));
    assert_eq!(ns.hash("server:n1"), want);
    assert!(ns.member("server_enabled", "n1"));
    assert_eq!(
        ns.score("server_load", "n1"),
        None,
        "a load before the first poll"
    );

    let poll = ServerChange {
        online: Some(true),
        load: Some(Some(3.0)),
        stats: Some(ServerStats {
            meetings: 2,
            users: 7,
            largest_meeting: 5,
            videos: 1,
        }),
        counters: Some((1, 2)),
        bbb_version: Some("2.7.3".into()),
        ..Default::default()
    };
    store.update_server("n1", poll).await.unwrap();
    want.extend(fields(
        "online=true meetings=2 users=7 largest_meeting=5 videos=1",
    ));
    want.extend(fields("bbb_version=2.7.3"));
    assert_eq!(ns.hash("server:n1"), want);
    assert_eq!(
        ns.hash("n1"),
        fields("healthy_counter=1 unhealthy_counter=2")
    );
    assert_eq!(ns.score("server_load", "n1"), Some(3.0));

    store
        .update_server("n1", change(Some(Cordoned), None))
        .await
        .unwrap();
    assert_eq!(ns.hash("server:n1")["state"], "cordoned");
    assert_eq!(ns.score("server_load", "n1"), None);
    assert_eq!(ns.score("cordoned_server_load", "n1"), Some(3.0));
    assert!(!ns.member("server_enabled", "n1"));
    let untag = ServerChange {
        tag: Some(None),
        ..change(Some(Disabled), None)
    };
    store.update_server("n1", untag).await.unwrap();
    let h = ns.hash("server:n1");
    assert_eq!((h["state"].as_str(), h.get("tag")), ("disabled", None));
    assert_eq!(ns.score("cordoned_server_load", "n1"), None);
    assert_eq!(ns.score("server_load", "n1"), None);

    let mut old = Server::new("old".into(), "https://old/".into(), "sec".into());
    (old.enabled, old.load, old.online) = (true, Some(2.0), true);
    store.add_server(old).await.unwrap();
    assert_eq!(
        ns.hash("server:old"),
        fields("url=https://old/ secret=sec online=true")
    );
    assert!(ns.member("server_enabled", "old"));
    assert_eq!(ns.score("server_load", "old"), Some(2.0));

    let new = new_meeting("m", "old", "pw", None);
    let (m, _) = store.create_or_find_meeting(new, &POLICY).await.unwrap();
    let vb = &m.voice_bridge;
    let want = fields(&format!(
        "server_id=old moderator_pw=pw voice_bridge={vb} tenant_id=''"
    ));
    assert_eq!(ns.hash("meeting:m"), want);
    let ttl: i64 = ns.run("TTL meeting:m");
    assert!((3590..=3600).contains(&ttl), "TTL {ttl}");
    assert!(ns.member("meetings", "m"));
    assert_eq!(ns.run::<String>(&format!("HGET voice_bridges {vb}")), "m");
    let tenant = new_meeting("t", "old", "pw", Some("t1"));
    store.create_or_find_meeting(tenant, &POLICY).await.unwrap();
    assert_eq!(ns.hash("meeting:t")["tenant_id"], "t1");

    let lease = store.lease("poller", "me", Duration::from_secs(10));
    assert!(lease.await.unwrap());
    assert_eq!(ns.run::<String>("GET lease:poller"), "me");
    let pttl: i64 = ns.run("PTTL lease:poller");
    assert!((1..=10_000).contains(&pttl), "PTTL {pttl}");

    store.delete_server("n1").await.unwrap();
    assert!(!ns.run::<bool>("EXISTS server:n1") && !ns.run::<bool>("EXISTS n1"));
    assert!(!ns.member("servers", "n1") && !ns.member("server_enabled", "n1"));
}

/// Two connections racing: one create wins, no load change is lost, no deleted server returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_connections_lose_nothing() {
    let mut ns = Ns::new();
    let stores = [
        Arc::new(ns.store(3600).await),
        Arc::new(ns.store(3600).await),
    ];
    for id in ["s1", "s2", "s3"] {
        let mut s = Server::new(id.into(), format!("https://{id}/"), "x".into());
        (s.state, s.load, s.load_multiplier) = (Some(Enabled), Some(0.0), Some("1.5".into()));
        stores[0].add_server(s).await.unwrap();
    }
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let store = stores[i % 2].clone();
        let new = new_meeting("same", ["s1", "s2"][i % 2], &format!("pw{i}"), None);
        tasks.spawn(async move { store.create_or_find_meeting(new, &POLICY).await.unwrap() });
    }
    let results = tasks.join_all().await;
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
    let winner = results[0].0.clone();
    assert!(results.iter().all(|(m, _)| *m == winner), "{results:?}");

    // 20 × (5 increments of 1 + 5 joins × 1.5 + 1 update of other fields), from both sides.
    let id = winner.server_id.clone();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..220usize {
        let (store, id) = (stores[i % 2].clone(), id.clone());
        tasks.spawn(async move {
            match i % 11 {
                10 => {
                    let poll = ServerChange {
                        counters: Some((i as u32, 0)),
                        ..change(None, Some(i % 2 == 0))
                    };
                    store.update_server(&id, poll).await.map(|_| ())
                }
                n if n % 2 == 0 => store
                    .increment_load(&id, 1.0)
                    .await
                    .map(|l| assert!(l.is_some())),
                _ => store.join("same").await.map(|m| assert!(m.is_some())),
            }
        });
    }
    tasks.join_all().await.into_iter().for_each(Result::unwrap);
    let load = stores[1].server(&id).await.unwrap().unwrap().load;
    assert_eq!(load, Some(250.0));
    assert_eq!(ns.score("server_load", &id), Some(250.0));

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40usize {
        let store = stores[i % 2].clone();
        tasks.spawn(async move {
            if i == 20 {
                return store.delete_server("s3").await;
            }
            match store
                .update_server("s3", change(None, Some(i % 2 == 0)))
                .await
            {
                Ok(_) | Err(StoreError::ServerNotFound(_)) => Ok(()),
                Err(e) => Err(e),
            }
        });
    }
    tasks.join_all().await.into_iter().for_each(Result::unwrap);
    let s3 = stores[0].server("s3").await.unwrap();
    assert!(s3.is_none(), "deleted server came back");
    assert!(!ns.run::<bool>("EXISTS server:s3") && !ns.member("servers", "s3"));
    assert!(ns.score("server_load", "s3").is_none());
}

/// One holder at a time; renewal keeps the lease, expiry and release hand it over.
#[tokio::test]
async fn lease_is_held_by_one_holder() {
    let ns = Ns::new();
    let (a, b) = (ns.store(3600).await, ns.store(3600).await);
    let ttl = Duration::from_millis(400);
    let take = |s: &RedisStore, name: &'static str, holder: &'static str| {
        let s = s.clone();
        async move { s.lease(name, holder, ttl).await.unwrap() }
    };
    assert!(take(&a, "poller", "a").await);
    assert!(!take(&b, "poller", "b").await);
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(take(&a, "poller", "a").await, "renewal refused");
        assert!(!take(&b, "poller", "b").await, "renewed lease taken");
    }
    let start = Instant::now();
    while !take(&b, "poller", "b").await {
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "expired lease kept"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "taken before it expired"
    );
    assert!(!take(&a, "poller", "a").await);
    a.release("poller", "a").await.unwrap();
    assert!(!take(&a, "poller", "a").await, "released by a non-holder");
    b.release("poller", "b").await.unwrap();
    assert!(take(&a, "poller", "a").await, "release did not hand over");
    assert!(take(&b, "importer", "b").await, "leases are per name");
}

/// Every call fails with Unavailable within a few seconds: nothing listening, or a peer that
/// accepts connections and never answers.
#[tokio::test]
async fn unreachable_redis_is_unavailable() {
    macro_rules! unavailable {
        ($call:expr) => {{
            let start = Instant::now();
            let r = $call.await.map(|_| ());
            assert!(matches!(&r, Err(StoreError::Unavailable(m)) if m.starts_with("redis")), "{r:?}");
            assert!(start.elapsed() < Duration::from_secs(4), "took {:?}", start.elapsed());
        }};
    }
    let ttl = Duration::from_secs(60);
    let dead = RedisStore::connect("redis://127.0.0.1:1", "x", ttl)
        .await
        .unwrap();
    unavailable!(dead.ping());
    unavailable!(dead.servers());
    unavailable!(dead.server("a"));
    unavailable!(dead.add_server(Server::new("a".into(), "u".into(), "s".into())));
    unavailable!(dead.update_server("a", change(None, Some(true))));
    unavailable!(dead.increment_load("a", 1.0));
    unavailable!(dead.join("m"));
    unavailable!(dead.meetings());
    unavailable!(dead.create_or_find_meeting(new_meeting("m", "a", "p", None), &POLICY));
    unavailable!(dead.touch_meetings(&["m".to_string()]));
    unavailable!(dead.lease("poller", "me", ttl));

    // Through a relay that stops answering (connections stay open) and later works again: calls
    // fail in time, and the store recovers since a connection that timed out is replaced.
    let real = url::Url::parse(&redis_url()).unwrap();
    let target = format!(
        "{}:{}",
        real.host_str().unwrap(),
        real.port().unwrap_or(6379)
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut proxy = real.clone();
    proxy.set_host(Some("127.0.0.1")).unwrap();
    proxy
        .set_port(Some(listener.local_addr().unwrap().port()))
        .unwrap();
    let mute = Arc::new(AtomicBool::new(false));
    let flag = mute.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = tokio::net::TcpStream::connect(&target).await.unwrap();
            let ((cr, cw), (ur, uw)) = (client.into_split(), upstream.into_split());
            tokio::spawn(relay(cr, uw, flag.clone()));
            tokio::spawn(relay(ur, cw, flag.clone()));
        }
    });
    let store = RedisStore::connect(proxy.as_str(), "x", ttl).await.unwrap();
    store.ping().await.unwrap();
    mute.store(true, SeqCst);
    tokio::join!(
        async { unavailable!(store.ping()) },
        async { unavailable!(store.join("m")) },
        async { unavailable!(store.update_server("a", change(None, Some(true)))) },
    );
    mute.store(false, SeqCst);
    let start = Instant::now();
    while let Err(e) = store.ping().await {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "not recovered: {e}"
        );
    }
    assert!(RedisStore::connect("no url", "x", ttl).await.is_err());
}

/// Copy bytes until the connection closes; while `mute`, swallow them and hang forever.
async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mute: Arc<AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buf).await {
        if mute.load(SeqCst) {
            std::future::pending::<()>().await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
