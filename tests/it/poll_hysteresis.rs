//! The poller's hysteresis (behaviour doc §5.5 steps 3 and 6), poll by poll: no periodic polls,
//! each poll asked for with the admin `pollNow` and waited for on the poll-cycle counter of the
//! metrics endpoint (tests/common/steps.rs). So the exact number of polls before a server goes
//! offline (SERVER_UNHEALTHY_THRESHOLD) or online (SERVER_HEALTHY_THRESHOLD) is asserted, and
//! that a poll of the other kind resets the count.
use crate::common::*;
use serde_json::json;

/// A stepped gateway with these thresholds.
async fn stepped(unhealthy: &str, healthy: &str) -> Gateway {
    Gateway::start_stepped(&[
        ("SERVER_UNHEALTHY_THRESHOLD", unhealthy),
        ("SERVER_HEALTHY_THRESHOLD", healthy),
    ])
    .await
}

/// One poll; checks it asked the server once and returns the server's state after it.
async fn poll(gw: &Gateway, id: &str, sim: &BbbSimulator) -> String {
    let polls = sim.requests_for("getMeetings").len();
    gw.poll_step().await;
    assert_eq!(
        sim.requests_for("getMeetings").len(),
        polls + 1,
        "one poll asks the server once"
    );
    gw.online(id).await
}

/// Add and enable `sim`: the enable polls it once. Returns its id and state after that poll.
async fn add(gw: &Gateway, sim: &BbbSimulator) -> (String, String) {
    sim.clear_requests();
    let id = gw.add_server_stepped(sim, json!({})).await;
    assert_eq!(sim.requests_for("getMeetings").len(), 1);
    let state = gw.online(&id).await;
    (id, state)
}

async fn load_is_known(gw: &Gateway, id: &str) {
    let info = gw.server_info(id).await;
    assert!(info["load"].is_number(), "{info}");
}

/// SERVER_HEALTHY_THRESHOLD 3 and SERVER_UNHEALTHY_THRESHOLD 2: online exactly at the third good
/// poll, offline exactly at the second failed one, online again exactly three good polls later.
#[tokio::test]
async fn online_and_offline_after_exactly_the_threshold_polls() {
    let sim = sim("hysteresis-secret").await;
    let gw = stepped("2", "3").await;
    let (id, first) = add(&gw, &sim).await;
    assert_eq!(first, "offline", "online after 1 good poll; threshold 3");
    assert_eq!(poll(&gw, &id, &sim).await, "offline", "after 2 good polls");
    assert_eq!(poll(&gw, &id, &sim).await, "online", "after 3 good polls");
    load_is_known(&gw, &id).await;

    sim.set_mode(Mode::Fail);
    assert_eq!(poll(&gw, &id, &sim).await, "online", "after 1 failed poll");
    assert_eq!(
        poll(&gw, &id, &sim).await,
        "offline",
        "after 2 failed polls"
    );
    assert_eq!(gw.server_info(&id).await["load"], "unavailable");
    assert_eq!(poll(&gw, &id, &sim).await, "offline", "still failing");

    sim.set_mode(Mode::Normal);
    assert_eq!(poll(&gw, &id, &sim).await, "offline", "after 1 good poll");
    assert_eq!(poll(&gw, &id, &sim).await, "offline", "after 2 good polls");
    assert_eq!(poll(&gw, &id, &sim).await, "online", "after 3 good polls");
    load_is_known(&gw, &id).await;
}

/// A good poll between failed ones resets the failure count: fail, ok, fail does not take a
/// server offline with SERVER_UNHEALTHY_THRESHOLD 2; a second failure in a row does.
#[tokio::test]
async fn a_good_poll_resets_the_failure_count() {
    let sim = sim("reset-secret").await;
    let gw = stepped("2", "1").await;
    let (id, first) = add(&gw, &sim).await;
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
        assert_eq!(poll(&gw, &id, &sim).await, expected, "after {what}");
    }
}

/// A failed poll between good ones resets the success count of an offline server: with
/// SERVER_HEALTHY_THRESHOLD 3, ok, ok, fail, ok, ok stays offline; the third good poll in a row
/// brings it online.
#[tokio::test]
async fn a_failed_poll_resets_the_success_count() {
    let sim = sim("reset-ok-secret").await;
    let gw = stepped("2", "3").await;
    let (id, first) = add(&gw, &sim).await;
    assert_eq!(first, "offline", "after ok");
    for (mode, expected, what) in [
        (Mode::Normal, "offline", "ok, ok"),
        (Mode::Fail, "offline", "ok, ok, fail"),
        (Mode::Normal, "offline", "ok, ok, fail, ok"),
        (Mode::Normal, "offline", "ok, ok, fail, ok, ok"),
        (Mode::Normal, "online", "ok, ok, fail, ok, ok, ok"),
    ] {
        sim.set_mode(mode);
        assert_eq!(poll(&gw, &id, &sim).await, expected, "after {what}");
    }
}
