//! BBB shortcuts on the gateway (create, join) and what the simulated BBB servers received:
//! the exact signed query BBB expects, the creates and their parameters.

use super::{Gateway, Response};
use scalelite::bbb::Algorithm;
use scalelite::simulator::{BbbSimulator, RecordedRequest};

/// A simulated BBB server with this secret.
pub async fn sim(secret: &str) -> BbbSimulator {
    BbbSimulator::start(secret).await.expect("simulator")
}

/// A moderator's join of meeting `id`.
pub fn join_query(id: &str) -> String {
    format!("meetingID={id}&fullName=Jane&role=MODERATOR")
}

impl Gateway {
    /// A create that must succeed.
    pub async fn create_ok(&self, query: &str) -> Response {
        let r = self.get("create", query).await;
        r.assert_success();
        r
    }

    pub async fn join(&self, query: &str) -> Response {
        self.get("join", query).await
    }

    /// Assert that a moderator's join of `meeting` ([`join_query`]) redirects to `sim`.
    pub async fn assert_joins_on(&self, meeting: &str, sim: &BbbSimulator) {
        self.join(&join_query(meeting))
            .await
            .assert_redirects_to(sim);
    }
}

/// `q` as `sim` must receive it for `action`: signed (SHA256) with the simulator's secret.
pub fn upstream(action: &str, q: &str, sim: &BbbSimulator) -> String {
    let secret = sim.secret();
    let parts = [action.as_bytes(), q.as_bytes(), secret.as_bytes()];
    format!("{q}&checksum={}", Algorithm::Sha256.hex_digest(&parts))
}

/// The join redirect for `q` on `sim`.
pub fn join_url(q: &str, sim: &BbbSimulator) -> String {
    format!("{}join?{}", sim.url(), upstream("join", q, sim))
}

/// The creates `sim` received, each checked to be a GET that BBB accepts.
pub fn creates(sim: &BbbSimulator) -> Vec<RecordedRequest> {
    let all = sim.requests_for("create");
    for c in &all {
        assert!(c.checksum_ok && c.method == "GET", "{c:?}");
    }
    all
}

pub fn last_create(sim: &BbbSimulator) -> RecordedRequest {
    creates(sim).pop().expect("a create reached the simulator")
}

/// Assert the last create `sim` received carried exactly the parameters `q`, in that order.
pub fn assert_sent(sim: &BbbSimulator, q: &str) {
    assert_eq!(last_create(sim).raw_query, upstream("create", q, sim));
}

/// A parameter of the last create `sim` received, which must have it.
pub fn sent_param(sim: &BbbSimulator, key: &str) -> String {
    let c = last_create(sim);
    c.param(key)
        .unwrap_or_else(|| panic!("no {key}"))
        .to_string()
}

/// The parameters of a request a simulator received, without the checksum.
pub fn params(r: &RecordedRequest) -> Vec<(String, Option<String>)> {
    r.params
        .iter()
        .filter(|(k, _)| k != "checksum")
        .cloned()
        .collect()
}

/// One parameter with a value, as [`params`] lists it.
pub fn kv(k: &str, v: &str) -> (String, Option<String>) {
    (k.to_string(), Some(v.to_string()))
}
