//! Redis-only examples on Scalelite's key layout (behaviour doc §4.1, §4.2, §5.4), against
//! `RedisStore` on the Redis at REDIS_URL, each test in its own namespace: keys written by
//! Scalelite are adopted in place, and the keys we write are exactly the ones Scalelite writes.

use crate::store_suite::redis::{change, fields, new_meeting, Ns, POLICY};
use scalelite::store::*;
use std::time::Duration;
use ServerState::{Cordoned, Disabled, Enabled};

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
