//! Zero-downtime upgrade (Pingora's hand-over, as `systemctl reload` does it, see
//! packaging/scalelite.service): the running process gets SIGQUIT and offers its listening
//! sockets on SCALELITE_DATA_DIR/upgrade.sock, a new `scalelite serve -u` takes them over, the old
//! one drains and exits. Joins sent all the while — on kept-alive connections and on a fresh
//! connection each — must every one be answered with the exact signed redirect.
use crate::common::*;
use scalelite::bbb::Algorithm;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A `scalelite serve` process of this test (killed when dropped).
struct Proc(Child);

impl Proc {
    fn spawn(port: u16, dir: &std::path::Path, env: &[(&str, &str)], upgrade: bool) -> Proc {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_scalelite"));
        cmd.arg("serve");
        if upgrade {
            cmd.arg("-u");
        }
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PORT", port.to_string())
            .env("SCALELITE_DATA_DIR", dir)
            .env("LOADBALANCER_SECRET", SECRET)
            .env("POLL_INTERVAL", "1")
            .env("RUST_LOG", "warn")
            .env("SCALELITE_METRICS_LISTEN", "off")
            .stdout(Stdio::null())
            .stderr(if std::env::var("SCALELITE_TEST_LOG").is_ok() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        for (k, v) in env {
            cmd.env(k, v);
        }
        Proc(cmd.spawn().expect("spawn scalelite"))
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    fn running(&mut self) -> bool {
        self.0.try_wait().expect("try_wait").is_none()
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill {sig} {}", self.pid());
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn client(keep_alive: bool) -> reqwest::Client {
    let b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10));
    let b = if keep_alive {
        b
    } else {
        b.pool_max_idle_per_host(0)
    };
    b.build().expect("client")
}

fn url(port: u16, path: &str) -> String {
    format!("http://127.0.0.1:{port}{path}")
}

async fn admin_post(http: &reqwest::Client, port: u16, action: &str, body: Value) -> Value {
    let u = url(
        port,
        &signed(ADMIN_API, action, "", SECRET, Algorithm::Sha256),
    );
    let r = http.post(u).json(&body).send().await.expect("admin call");
    r.json().await.expect("admin JSON")
}

async fn wait_ready(http: &reqwest::Client, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http.get(url(port, "/health_check")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        assert!(Instant::now() < deadline, "scalelite did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A join that was not the expected redirect.
struct Failure {
    /// When, since the join loops started.
    at: Duration,
    /// On a connection of its own (not a kept-alive one).
    fresh: bool,
    /// The connection was closed without any answer.
    unanswered: bool,
    what: String,
}

/// What the join loop saw: answers that were right, and every other one.
#[derive(Default)]
struct Tally {
    ok: usize,
    failures: Vec<Failure>,
}

/// Joins on one client until `stop`, each checked against `expected`.
async fn join_loop(
    keep_alive: bool,
    t0: Instant,
    join: String,
    expected: String,
    stop: Arc<AtomicBool>,
) -> Tally {
    let http = client(keep_alive);
    let conn = if keep_alive { "kept-alive" } else { "fresh" };
    let mut t = Tally::default();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        match http.get(&join).send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let location = r
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let body = r.text().await.unwrap_or_default();
                if status == 302 && location == expected {
                    t.ok += 1;
                } else {
                    t.failures.push(Failure {
                        at: t0.elapsed(),
                        fresh: !keep_alive,
                        unanswered: false,
                        what: format!(
                            "{conn} connection, {:?} after the start: {status} \
                             location={location:?} body={body}",
                            t0.elapsed()
                        ),
                    });
                }
            }
            Err(e) => t.failures.push(Failure {
                at: t0.elapsed(),
                fresh: !keep_alive,
                unanswered: !e.is_timeout(),
                what: format!(
                    "{conn} connection, {:?} after the start: request error: {e:?}",
                    t0.elapsed()
                ),
            }),
        }
    }
    t
}

/// The old process's graceful shutdown (src/app/mod.rs: graceful_shutdown_timeout_seconds):
/// it stops serving new requests this long before it exits.
const DRAIN: Duration = Duration::from_secs(5);

/// Upgrade while joining: no failed join, except for one known defect of Pingora's (see
/// `known_drop`, and the README's note on upgrades).
async fn upgrade_under_joins(store_env: &[(&str, &str)]) {
    let bbb = sim("upgrade-bbb-secret").await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let reserved = free_port();
    let port = reserved.get();
    let http = client(true);
    let mut old = Proc::spawn(port, tmp.path(), store_env, false);
    wait_ready(&http, port).await;

    let added = admin_post(
        &http,
        port,
        "addServer",
        json!({ "server": { "url": bbb.url(), "secret": bbb.secret() } }),
    )
    .await;
    let id = added["id"].as_str().expect("id").to_string();
    admin_post(
        &http,
        port,
        "updateServer",
        json!({ "id": id, "server": { "state": "enable" } }),
    )
    .await;
    let create = url(
        port,
        &signed(
            API,
            "create",
            "meetingID=up&name=Up",
            SECRET,
            Algorithm::Sha256,
        ),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let body = http
            .get(&create)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if body.contains("<returncode>SUCCESS</returncode>") {
            break;
        }
        assert!(Instant::now() < deadline, "create never succeeded: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(bbb.meeting("up").is_some());

    // The redirect is deterministic: the same query signed with the server's secret.
    let q = join_query("up");
    let join = url(port, &signed(API, "join", &q, SECRET, Algorithm::Sha256));
    let expected = join_url(&q, &bbb);
    let first = http.get(&join).send().await.unwrap();
    assert_eq!(first.status(), 302);
    assert_eq!(first.headers()["location"].to_str().unwrap(), expected);

    let t0 = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let mut loops = Vec::new();
    for keep_alive in [true, true, false, false] {
        loops.push(tokio::spawn(join_loop(
            keep_alive,
            t0,
            join.clone(),
            expected.clone(),
            stop.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The hand-over, in the order the systemd unit does it.
    let old_pid = old.pid();
    old.signal("-QUIT");
    let quit_at = t0.elapsed();
    let mut new = Proc::spawn(port, tmp.path(), store_env, true);
    assert_ne!(new.pid(), old_pid);
    let deadline = Instant::now() + Duration::from_secs(30);
    while old.running() {
        assert!(new.running(), "the new process exited during the hand-over");
        assert!(Instant::now() < deadline, "the old process never exited");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let exited_at = t0.elapsed();
    // Keep joining on the new process alone for a while.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop.store(true, Ordering::Relaxed);
    let mut ok = 0;
    let mut failures = Vec::new();
    for l in loops {
        let t = l.await.expect("join loop");
        assert!(t.ok > 0, "a join loop got no answer at all");
        ok += t.ok;
        failures.extend(t.failures);
    }
    // Known defect: when the old process's drain begins (DRAIN before it exits), Pingora drops
    // the connections it has accepted but not yet read a request from (pingora-proxy answers
    // its shutdown notification while waiting for a request header by closing the
    // connection), so a join on a brand-new connection at that instant gets no answer at all.
    // Tolerated here on fresh connections, closed unanswered, within 0.75 s of that moment —
    // at most one per fresh-connection loop.
    let drain_start = exited_at.saturating_sub(DRAIN);
    let known_drop = |f: &Failure| {
        f.fresh && f.unanswered && f.at.abs_diff(drain_start) < Duration::from_millis(750)
    };
    let (tolerated, failures): (Vec<Failure>, Vec<Failure>) =
        failures.into_iter().partition(known_drop);
    let total = ok + failures.len() + tolerated.len();
    for f in &tolerated {
        eprintln!("known defect (connection dropped at the drain): {}", f.what);
    }
    assert!(
        tolerated.len() <= 2,
        "{} joins dropped at the drain",
        tolerated.len()
    );
    let shown: Vec<&str> = failures.iter().take(10).map(|f| f.what.as_str()).collect();
    assert!(
        failures.is_empty(),
        "{} of {total} joins failed across the upgrade (SIGQUIT {quit_at:?}, old process gone \
         {exited_at:?} after the start), e.g.:\n{}",
        failures.len(),
        shown.join("\n")
    );

    // Only the new process is left, and it serves: the meeting (from the shared store), the
    // server, and a fresh connection's join.
    assert!(new.running(), "the new process is not running");
    let fresh = client(false);
    let r = fresh
        .get(&join)
        .send()
        .await
        .expect("join after the upgrade");
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"].to_str().unwrap(), expected);
    let info = url(
        port,
        &signed(
            ADMIN_API,
            "getServerInfo",
            &format!("id={id}"),
            SECRET,
            Algorithm::Sha256,
        ),
    );
    let s: Value = fresh.get(info).send().await.unwrap().json().await.unwrap();
    assert_eq!(s["online"], "online", "{s}");
    // The port is served by the new process (the old one is gone: it is not in /proc).
    assert!(
        !std::path::Path::new(&format!("/proc/{old_pid}")).exists(),
        "old process {old_pid} still exists"
    );
    eprintln!("{ok} of {total} joins across the upgrade right");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upgrade_hands_the_sockets_over_without_a_failed_join_embedded_store() {
    upgrade_under_joins(&[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upgrade_hands_the_sockets_over_without_a_failed_join_redis_store() {
    let ns = Namespace::new();
    upgrade_under_joins(&ns.env()).await;
}
