//! The poller's hysteresis (behaviour doc §5.5 steps 3 and 6), poll by poll: no periodic polls
//! (POLL_INTERVAL 3600), each poll asked for with the admin `pollNow` (what `scalelite poll`
//! sends) and waited for on the poll-cycle counter of the metrics endpoint. So the exact number
//! of polls before a server goes offline (SERVER_UNHEALTHY_THRESHOLD) or online
//! (SERVER_HEALTHY_THRESHOLD) is asserted, and that a poll of the other kind resets the count.
mod common;
use common::*;
use serde_json::json;

/// A gateway that polls only when asked, with its metrics on a port of its own.
struct Stepped {
    gw: Gateway,
    metrics: String,
}

impl Stepped {
    async fn start(unhealthy: &str, healthy: &str) -> Stepped {
        let listen = format!("127.0.0.1:{}", free_port());
        let gw = Gateway::start(&[
            ("POLL_INTERVAL", "3600"),
            ("SERVER_UNHEALTHY_THRESHOLD", unhealthy),
            ("SERVER_HEALTHY_THRESHOLD", healthy),
            ("SCALELITE_METRICS_LISTEN", listen.as_str()),
        ])
        .await;
        let s = Stepped {
            gw,
            metrics: format!("http://{listen}/metrics"),
        };
        // The cycle every start runs (no servers yet).
        let gw = &s.gw;
        let url = s.metrics.clone();
        eventually("the first poll cycle", || async {
            cycles_at(gw, &url).await >= 1
        })
        .await;
        s
    }

    async fn cycles(&self) -> u64 {
        cycles_at(&self.gw, &self.metrics).await
    }

    /// Wait until exactly `n` poll cycles have completed, and check no further one follows.
    async fn wait_cycles(&self, n: u64) {
        eventually(&format!("poll cycle {n}"), || async {
            self.cycles().await >= n
        })
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(self.cycles().await, n, "more poll cycles than asked for");
    }

    /// One poll: pollNow, then wait until its cycle has completed. Returns the server's state.
    async fn poll(&self, id: &str, sim: &BbbSimulator) -> String {
        let before = self.cycles().await;
        let polls = sim.requests_for("getMeetings").len();
        let r = self.gw.admin_post("pollNow", json!({})).await;
        r.assert_json(200, json!({ "success": "Poll requested" }));
        self.wait_cycles(before + 1).await;
        assert_eq!(
            sim.requests_for("getMeetings").len(),
            polls + 1,
            "one poll asks the server once"
        );
        self.online(id).await
    }

    async fn online(&self, id: &str) -> String {
        let s = self.gw.server_info(id).await;
        s["online"].as_str().expect("online").to_string()
    }

    /// Add `sim` and enable it; the enable polls it once (the result is that poll's state).
    async fn add(&self, sim: &BbbSimulator) -> (String, String) {
        let r = self
            .gw
            .admin_post(
                "addServer",
                json!({ "server": { "url": sim.url(), "secret": sim.secret() } }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].as_str().expect("id").to_string();
        assert_eq!(self.online(&id).await, "offline");
        sim.clear_requests();
        let before = self.cycles().await;
        self.gw.set_state(&id, "enable").await;
        self.wait_cycles(before + 1).await;
        assert_eq!(sim.requests_for("getMeetings").len(), 1);
        let state = self.online(&id).await;
        (id, state)
    }
}

async fn cycles_at(gw: &Gateway, url: &str) -> u64 {
    let text = gw.get_url(url).await.body;
    text.lines()
        .find_map(|l| l.strip_prefix("scalelite_poll_cycle_duration_seconds_count "))
        .map(|v| v.trim().parse::<f64>().expect("count") as u64)
        .unwrap_or(0)
}

/// SERVER_HEALTHY_THRESHOLD 3 and SERVER_UNHEALTHY_THRESHOLD 2: online exactly at the third good
/// poll, offline exactly at the second failed one, online again exactly three good polls later.
#[tokio::test]
async fn online_and_offline_after_exactly_the_threshold_polls() {
    let sim = sim("hysteresis-secret").await;
    let s = Stepped::start("2", "3").await;
    let (id, first) = s.add(&sim).await;
    assert_eq!(first, "offline", "online after 1 good poll; threshold 3");
    assert_eq!(s.poll(&id, &sim).await, "offline", "after 2 good polls");
    assert_eq!(s.poll(&id, &sim).await, "online", "after 3 good polls");
    gw_load_is_known(&s, &id).await;

    sim.set_mode(Mode::Fail);
    assert_eq!(s.poll(&id, &sim).await, "online", "after 1 failed poll");
    assert_eq!(s.poll(&id, &sim).await, "offline", "after 2 failed polls");
    assert_eq!(s.gw.server_info(&id).await["load"], "unavailable");
    assert_eq!(s.poll(&id, &sim).await, "offline", "still failing");

    sim.set_mode(Mode::Normal);
    assert_eq!(s.poll(&id, &sim).await, "offline", "after 1 good poll");
    assert_eq!(s.poll(&id, &sim).await, "offline", "after 2 good polls");
    assert_eq!(s.poll(&id, &sim).await, "online", "after 3 good polls");
    gw_load_is_known(&s, &id).await;
}

async fn gw_load_is_known(s: &Stepped, id: &str) {
    let info = s.gw.server_info(id).await;
    assert!(info["load"].is_number(), "{info}");
}

/// A good poll between failed ones resets the failure count: fail, ok, fail does not take a
/// server offline with SERVER_UNHEALTHY_THRESHOLD 2; a second failure in a row does.
#[tokio::test]
async fn a_good_poll_resets_the_failure_count() {
    let sim = sim("reset-secret").await;
    let s = Stepped::start("2", "1").await;
    let (id, first) = s.add(&sim).await;
    assert_eq!(
        first, "online",
        "SERVER_HEALTHY_THRESHOLD 1: online at the first good poll"
    );
    for (mode, expected, what) in [
        (Mode::Fail, "online", "fail"),
        (Mode::Normal, "online", "fail, ok"),
        (Mode::Fail, "online", "fail, ok, fail"),
        (Mode::Normal, "online", "fail, ok, fail, ok"),
        (Mode::Fail, "online", "ok, fail"),
        (Mode::Fail, "offline", "ok, fail, fail"),
    ] {
        sim.set_mode(mode);
        assert_eq!(s.poll(&id, &sim).await, expected, "after {what}");
    }
}

/// A failed poll between good ones resets the success count of an offline server: with
/// SERVER_HEALTHY_THRESHOLD 3, ok, ok, fail, ok, ok stays offline; the third good poll in a row
/// brings it online.
#[tokio::test]
async fn a_failed_poll_resets_the_success_count() {
    let sim = sim("reset-ok-secret").await;
    let s = Stepped::start("2", "3").await;
    let (id, first) = s.add(&sim).await;
    assert_eq!(first, "offline", "after ok");
    for (mode, expected, what) in [
        (Mode::Normal, "offline", "ok, ok"),
        (Mode::Fail, "offline", "ok, ok, fail"),
        (Mode::Normal, "offline", "ok, ok, fail, ok"),
        (Mode::Normal, "offline", "ok, ok, fail, ok, ok"),
        (Mode::Normal, "online", "ok, ok, fail, ok, ok, ok"),
    ] {
        sim.set_mode(mode);
        assert_eq!(s.poll(&id, &sim).await, expected, "after {what}");
    }
}
