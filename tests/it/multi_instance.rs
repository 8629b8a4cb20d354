//! Several `scalelite serve` instances on one Redis behave as one: a meeting created through
//! one is joined and ended through another, racing creates land on one server, admin changes
//! reach every instance within a second, one poller runs at a time and is taken over when its
//! instance dies, Redis trouble gives BBB errors and heals by itself, and a Redis written by
//! Scalelite is adopted in place.
use crate::common::*;
use std::time::{Duration, Instant};

/// Poll fast, and keep the poller lease short (its TTL is 3 intervals + 2 × the cycle bound).
const FAST: [(&str, &str); 4] = [
    ("POLL_INTERVAL", "0.2"),
    ("POLLER_WAIT_TIMEOUT", "0.5"),
    ("CONNECT_TIMEOUT", "0.5"),
    ("RESPONSE_TIMEOUT", "0.5"),
];

async fn instance(ns: &Namespace) -> Gateway {
    let mut env = ns.env();
    env.extend(FAST);
    Gateway::start(&env).await
}

#[tokio::test]
async fn a_meeting_created_through_one_instance_is_served_by_another() {
    let ns = Namespace::new();
    let sim = sim("multi-secret").await;
    let (a, b) = (instance(&ns).await, instance(&ns).await);
    a.add_server(&sim).await;
    a.create_ok("meetingID=shared&name=Shared").await;
    b.join("meetingID=shared&fullName=Jane")
        .await
        .assert_redirects_to(&sim);
    b.get("getMeetingInfo", "meetingID=shared")
        .await
        .assert_xml("meetingID", "shared");
    b.get("end", "meetingID=shared")
        .await
        .assert_key("sentEndMeetingRequest");
    a.get("getMeetingInfo", "meetingID=shared")
        .await
        .assert_failed("notFound", Some(NOT_FOUND));
    assert!(sim.meeting("shared").is_none());
}

#[tokio::test]
async fn racing_creates_of_one_meeting_land_on_one_server() {
    let ns = Namespace::new();
    let (s1, s2) = (sim("race-1").await, sim("race-2").await);
    let (a, b) = (instance(&ns).await, instance(&ns).await);
    a.add_server(&s1).await;
    a.add_server(&s2).await;
    // Ten creates of one meeting at once, half through each instance.
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..10 {
        let gw = if i % 2 == 0 { &a } else { &b };
        let (http, url) = (
            gw.http.clone(),
            gw.api("create", "meetingID=race&name=Race"),
        );
        calls.spawn(async move { http.get(url).send().await?.text().await });
    }
    while let Some(done) = calls.join_next().await {
        let body = done.expect("task").expect("response");
        assert!(body.contains("<returncode>SUCCESS</returncode>"), "{body}");
    }
    let on1 = s1.meeting("race").is_some();
    let on2 = s2.meeting("race").is_some();
    assert!(
        on1 != on2,
        "the meeting must exist on exactly one server (s1 {on1}, s2 {on2})"
    );
    let owner = if on1 { &s1 } else { &s2 };
    for gw in [&a, &b] {
        gw.join("meetingID=race&fullName=x")
            .await
            .assert_redirects_to(owner);
    }
}

#[tokio::test]
async fn an_admin_change_through_one_instance_is_obeyed_by_the_other_within_a_second() {
    let ns = Namespace::new();
    let sim = sim("admin-secret").await;
    let (a, b) = (instance(&ns).await, instance(&ns).await);
    let id = a.add_server(&sim).await;
    a.create_ok("meetingID=m&name=M").await;
    b.join("meetingID=m&fullName=x")
        .await
        .assert_redirects_to(&sim);
    a.set_state(&id, "disable").await;
    let start = Instant::now();
    eventually("B refuses joins on the disabled server", || async {
        let r = b.join("meetingID=m&fullName=x").await;
        r.xml("messageKey").as_deref() == Some("serverUnavailable")
    })
    .await;
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        start.elapsed()
    );
}

/// The instances sign upstream calls differently, so each poll names its poller: A signs with
/// SHA256 (the default), B with SHA512 (the strongest it allows). The checksum length of a
/// getMeetings the server received says which instance sent it.
fn pollers(sim: &BbbSimulator) -> Vec<usize> {
    sim.requests_for("getMeetings")
        .iter()
        .map(|r| r.param("checksum").map(str::len).unwrap_or_default())
        .collect()
}

/// Clear what `sim` received, then collect the checksum lengths of the next `n` polls.
async fn next_polls(sim: &BbbSimulator, n: usize) -> Vec<usize> {
    sim.clear_requests();
    eventually("polls go on", || async { pollers(sim).len() >= n }).await;
    pollers(sim)
}

#[tokio::test]
async fn one_poller_at_a_time_and_a_dead_one_is_replaced() {
    const A: usize = 64; // SHA256
    const B: usize = 128; // SHA512
    let ns = Namespace::new();
    let sim = sim("lease-secret").await;
    let mut a = instance(&ns).await;
    a.add_server(&sim).await;
    let mut env = ns.env();
    env.extend(FAST);
    env.push(("LOADBALANCER_CHECKSUM_ALGORITHM", "SHA256:SHA512"));
    let b = Gateway::start(&env).await;
    let lease = ns.key("lease:poller");
    let holder = |ns: &Namespace| -> Option<String> {
        redis::cmd("GET")
            .arg(&lease)
            .query(&mut ns.connection())
            .ok()
    };
    // B is up and would poll every 0.2 s if it ran a poller: ten polls (about 2 s, several
    // intervals of both instances) all come from one instance, A, which started first.
    let first = holder(&ns).expect("a lease holder");
    let seen = next_polls(&sim, 10).await;
    assert!(
        seen.iter().all(|&l| l == A),
        "polls from more than one instance (64: A, 128: B): {seen:?}"
    );
    assert_eq!(holder(&ns).as_deref(), Some(first.as_str()));

    // A dies: B takes the lease over and becomes the only poller.
    a.kill();
    eventually("another instance takes the poller over", || async {
        matches!(holder(&ns), Some(h) if h != first)
    })
    .await;
    let seen = next_polls(&sim, 10).await;
    assert!(
        seen.iter().all(|&l| l == B),
        "after A died, polls not from B alone (64: A, 128: B): {seen:?}"
    );
    // The survivor still serves: its poller keeps the server online.
    let id = b.admin_get("getServers", "").await.json()[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    b.wait_server(&id, |s| s["online"] == "online").await;

    // A new instance (signing with SHA256 again) joins: B keeps the poller, A' stays idle.
    let _a2 = instance(&ns).await;
    let seen = next_polls(&sim, 10).await;
    assert!(
        seen.iter().all(|&l| l == B),
        "a newcomer polls beside the lease holder (64: A', 128: B): {seen:?}"
    );
}

#[tokio::test]
async fn redis_trouble_gives_bbb_errors_and_heals_by_itself() {
    let mut redis = OwnRedis::start();
    let ns = Namespace::on(&redis.url());
    let sim = sim("trouble-secret").await;
    let gw = instance(&ns).await;
    gw.add_server(&sim).await;
    gw.create_ok("meetingID=t&name=T").await;
    redis.stop();
    let start = Instant::now();
    let r = gw.join("meetingID=t&fullName=x").await;
    r.assert_failed("internalError", None);
    assert!(
        r.xml("message").unwrap_or_default().contains("redis"),
        "{}",
        r.body
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    let health = gw.get_url(&gw.url("/health_check")).await;
    assert_eq!(health.status, 503, "{}", health.body);
    redis.resume();
    eventually("the gateway recovers without a restart", || async {
        gw.join("meetingID=t&fullName=x").await.status == 302
    })
    .await;
    assert_eq!(gw.get_url(&gw.url("/health_check")).await.status, 200);
}

#[tokio::test]
async fn a_redis_written_by_scalelite_is_adopted_in_place() {
    let ns = Namespace::new();
    let sim = sim("adopt-secret").await;
    sim.add_meeting("legacy-meeting", 3, 1);
    let mpw = sim.meeting("legacy-meeting").expect("meeting").moderator_pw;
    let mut con = ns.connection();
    let k = |s: &str| ns.key(s);
    // Exactly what Scalelite writes: a legacy enabled server (no state field) with its load in
    // server_load, and a meeting with its voice bridge.
    let _: () = redis::pipe()
        .hset_multiple(
            k("server:bbb-1"),
            &[
                ("url", sim.url().as_str()),
                ("secret", "adopt-secret"),
                ("online", "true"),
                ("load_multiplier", "1.0"),
            ],
        )
        .sadd(k("servers"), "bbb-1")
        .sadd(k("server_enabled"), "bbb-1")
        .zadd(k("server_load"), "bbb-1", 4)
        .hset_multiple(
            k("meeting:legacy-meeting"),
            &[
                ("server_id", "bbb-1"),
                ("moderator_pw", mpw.as_str()),
                ("voice_bridge", "712345678"),
                ("tenant_id", ""),
            ],
        )
        .expire(k("meeting:legacy-meeting"), 86400)
        .sadd(k("meetings"), "legacy-meeting")
        .hset(k("voice_bridges"), "712345678", "legacy-meeting")
        .query(&mut con)
        .expect("scalelite keys");
    let gw = instance(&ns).await;
    let servers = gw.admin_get("getServers", "").await;
    assert_eq!(servers.status, 200, "{}", servers.body);
    let s = &servers.json()[0];
    assert_eq!(s["id"], "bbb-1");
    assert_eq!(s["state"], "enabled");
    assert_eq!(s["online"], "online");
    gw.join("meetingID=legacy-meeting&fullName=x")
        .await
        .assert_redirects_to(&sim);
    let r = gw
        .get("end", &format!("meetingID=legacy-meeting&password={mpw}"))
        .await;
    r.assert_key("sentEndMeetingRequest");
    let left: bool = redis::cmd("EXISTS")
        .arg(k("meeting:legacy-meeting"))
        .query(&mut con)
        .expect("exists");
    assert!(!left, "the meeting hash is gone");
}
