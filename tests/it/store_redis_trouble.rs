//! Redis-only examples of trouble, against `RedisStore` on the Redis at REDIS_URL, each test in
//! its own namespace: two connections racing on the same keys, leases held by one holder at a
//! time, and calls on an unreachable or mute Redis failing in time and recovering.

use crate::store_suite::redis::{change, new_meeting, redis_url, Ns, POLICY};
use scalelite::store::*;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ServerState::Enabled;

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
    // Namespaces of their own, like every test's: nothing here may meet another test's keys.
    let ns = Ns::new();
    let dead = RedisStore::connect("redis://127.0.0.1:1", &ns.name, ttl)
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
    let store = RedisStore::connect(proxy.as_str(), &ns.name, ttl)
        .await
        .unwrap();
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
    assert!(RedisStore::connect("no url", &ns.name, ttl).await.is_err());
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
