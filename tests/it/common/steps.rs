//! A gateway whose poller runs only when asked: no periodic polls (POLL_INTERVAL 3600), each poll
//! asked for with the admin `pollNow` (what `scalelite poll` sends) and waited for on the
//! poll-cycle counter of its metrics endpoint, so a test counts polls exactly.

use super::{eventually, free_port, BbbSimulator, Gateway, Store};
use serde_json::json;
use std::time::Duration;

impl Gateway {
    /// Start with `env` (later entries win) and no periodic polls; returns once the cycle every
    /// start runs is done.
    pub async fn start_stepped(env: &[(&str, &str)]) -> Gateway {
        Gateway::start_stepped_on(&Store::Embedded, env).await
    }

    /// `start_stepped` on `store`.
    pub async fn start_stepped_on(store: &Store, env: &[(&str, &str)]) -> Gateway {
        let metrics_port = free_port();
        let listen = format!("127.0.0.1:{metrics_port}");
        let mut all = vec![
            ("POLL_INTERVAL", "3600"),
            ("SCALELITE_METRICS_LISTEN", listen.as_str()),
        ];
        all.extend_from_slice(env);
        let mut gw = Gateway::start_on(store, &all).await;
        gw.hold(metrics_port);
        eventually("the first poll cycle", || async {
            gw.poll_cycles().await >= 1
        })
        .await;
        gw
    }

    fn metrics_url(&self) -> String {
        let listen = self
            .env
            .iter()
            .rev()
            .find(|(k, _)| k == "SCALELITE_METRICS_LISTEN")
            .map(|(_, v)| v.clone())
            .expect("a gateway started with start_stepped");
        format!("http://{listen}/metrics")
    }

    /// Poll cycles completed so far.
    pub async fn poll_cycles(&self) -> u64 {
        let text = self.get_url(&self.metrics_url()).await.body;
        text.lines()
            .find_map(|l| l.strip_prefix("scalelite_poll_cycle_duration_seconds_count "))
            .map(|v| v.trim().parse::<f64>().expect("count") as u64)
            .unwrap_or(0)
    }

    /// Wait until exactly `n` poll cycles have completed, and check no further one follows.
    pub async fn wait_cycles(&self, n: u64) {
        eventually(&format!("poll cycle {n}"), || async {
            self.poll_cycles().await >= n
        })
        .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            self.poll_cycles().await,
            n,
            "more poll cycles than asked for"
        );
    }

    /// One poll cycle: pollNow, then wait until it has completed.
    pub async fn poll_step(&self) {
        let before = self.poll_cycles().await;
        let r = self.admin_post("pollNow", json!({})).await;
        r.assert_json(200, json!({ "success": "Poll requested" }));
        self.wait_cycles(before + 1).await;
    }

    /// Add `sim` (with `extra` fields) and enable it; the enable polls every server once, which
    /// this waits for. Returns the id.
    pub async fn add_server_stepped(&self, sim: &BbbSimulator, extra: serde_json::Value) -> String {
        let before = self.poll_cycles().await;
        let id = self.add_and_enable(sim, extra).await;
        self.wait_cycles(before + 1).await;
        id
    }

    /// The server's `online` field.
    pub async fn online(&self, id: &str) -> String {
        let s = self.server_info(id).await;
        s["online"].as_str().expect("online").to_string()
    }
}
