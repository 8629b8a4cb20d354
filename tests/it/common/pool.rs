//! A pool of simulated servers whose loads only the load balancer changes, for tests that check
//! load bookkeeping exactly.

use super::{Gateway, Store};
use scalelite::simulator::BbbSimulator;
use serde_json::Value;

/// A pool whose loads only the load balancer changes. The servers are added through a gateway
/// with the fast test poller; then a second gateway on the same data dir and store polls once at start-up
/// (load = participants of the simulators' own meetings) and never again, so no poll races a
/// load read.
pub struct Pool {
    pub gw: Gateway,
    pub ids: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Pool {
    /// The servers' loads, in the order they were added.
    pub async fn loads(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for id in &self.ids {
            let s = self.gw.server_info(id).await;
            out.push(s["load"].as_f64().unwrap_or_else(|| panic!("no load: {s}")));
        }
        out
    }
}

fn restarted(s: &Value) -> bool {
    s["bbb_version"] == "restarted" && s["online"] == "online"
}

/// Start a [`Pool`] on `store` of `servers` (each with its extra admin fields) and the extra
/// `env`.
pub async fn pool(store: &Store, servers: &[(&BbbSimulator, Value)], env: &[(&str, &str)]) -> Pool {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_str().expect("utf-8 path").to_string();
    let mut vars = vec![("SCALELITE_DATA_DIR", path.as_str())];
    vars.extend([("LOAD_MIN_USER_COUNT", "0"), ("LOAD_JOIN_BUFFER_TIME", "0")]);
    vars.extend_from_slice(env);
    let mut ids = Vec::new();
    {
        let gw = Gateway::start_on(store, &vars).await;
        for (sim, extra) in servers {
            ids.push(gw.add_server_with(sim, extra.clone()).await);
        }
    }
    // The first gateway was killed holding the poller lease (on Redis), which would keep the
    // second one from its start-up poll: a dead instance's lease is dropped as if it had expired.
    if let Store::Redis(ns) = store {
        let _: () = redis::cmd("DEL")
            .arg(ns.key("lease:poller"))
            .query(&mut ns.connection())
            .expect("drop the poller lease");
    }
    for (sim, _) in servers {
        sim.set_version("restarted");
    }
    vars.push(("POLL_INTERVAL", "3600"));
    let gw = Gateway::start_on(store, &vars).await;
    // The version is asked for after the load is stored: then the only poll is over.
    for id in &ids {
        gw.wait_server(id, restarted).await;
    }
    Pool { gw, ids, _dir: dir }
}
