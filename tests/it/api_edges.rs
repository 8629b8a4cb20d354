//! Black-box tests of the edges of the proxied calls: BBB calls unknown to Scalelite (forwarded
//! with a meetingID, the catch-all without one, checked before the checksum), how upstream
//! failures reach the client, and a meeting whose server record is gone.
use super::api_calls::{with_meeting, UNREACHABLE};
use crate::common::*;
use serde_json::json;

on_both_stores!(calls_unknown_to_scalelite);
async fn calls_unknown_to_scalelite(store: Store) {
    // A BBB 3.x call with a meetingID goes to the owner, re-signed; without one it is refused.
    let (gw, sim) = with_meeting(&store).await;
    let r = gw.get("sendChatMessage", "meetingID=M&message=hi").await;
    r.assert_success().assert_xml("action", "sendChatMessage");
    let reqs = sim.requests_for("sendChatMessage");
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert!(reqs[0].checksum_ok, "{:?}", reqs[0]);
    assert_eq!(
        params(&reqs[0]),
        vec![kv("meetingID", "M"), kv("message", "hi")]
    );

    sim.clear_requests();
    gw.get("sendChatMessage", "message=hi")
        .await
        .assert_failed("unsupportedRequest", Some(UNSUPPORTED));
    gw.get("fooBar", "")
        .await
        .assert_failed("unsupportedRequest", Some(UNSUPPORTED));
    assert!(
        sim.requests_for("sendChatMessage").is_empty() && sim.requests_for("fooBar").is_empty()
    );
}

on_both_stores!(upstream_errors_reach_the_client_as_bbb_envelopes);
async fn upstream_errors_reach_the_client_as_bbb_envelopes(store: Store) {
    // §0.2 / §0.4: BBB's own error is passed through; an answer without returncode (garbage,
    // an HTTP error page) becomes internalError, still HTTP 200.
    let (gw, sim) = with_meeting(&store).await;
    sim.set_mode(Mode::Fail);
    gw.get("getMeetingInfo", "meetingID=M")
        .await
        .assert_failed("simulatedFailure", Some("Simulated failure"));
    gw.get("sendChatMessage", "meetingID=M&message=hi")
        .await
        .assert_failed("simulatedFailure", Some("Simulated failure"));
    for mode in [Mode::Garbage, Mode::HttpError(500)] {
        sim.set_mode(mode);
        let r = gw.get("getMeetingInfo", "meetingID=M").await;
        r.assert_failed("internalError", Some("Response did not include returncode"));
        assert!(!r.body.contains("<html>"), "{}", r.body);
        let r = gw.get("end", "meetingID=M&password=test-password").await;
        r.assert_failed("internalError", Some("Response did not include returncode"));
    }
    // An HTTP 5xx is a failure even when its body says SUCCESS.
    sim.set_mode(Mode::HttpErrorXml(500));
    let r = gw.get("getMeetingInfo", "meetingID=M").await;
    r.assert_failed("internalError", Some(UNREACHABLE));
    let r = gw.get("end", "meetingID=M&password=test-password").await;
    r.assert_failed("internalError", Some(UNREACHABLE));
    sim.set_mode(Mode::Normal);
    gw.get("getMeetingInfo", "meetingID=M")
        .await
        .assert_success()
        .assert_xml("meetingID", "M");
}

on_both_stores!(unknown_calls_route_before_the_checksum);
/// An unknown call without a meetingID is Scalelite's catch-all, checked before the checksum:
/// unsupportedRequest signed, unsigned or badly signed, by GET or by form POST. With a meetingID
/// the checksum counts: a bad or missing one is checksumError and nothing is forwarded.
async fn unknown_calls_route_before_the_checksum(store: Store) {
    let (gw, sim) = with_meeting(&store).await;
    let raw = |action: &str, query: &str| gw.url(&format!("{API}{action}?{query}"));
    let unsupported = [
        gw.get("fooBar", "name=x").await,
        gw.get_url(&raw("fooBar", "name=x")).await,
        gw.get_url(&raw("fooBar", "name=x&checksum=bad")).await,
        gw.post_form("fooBar", "name=x").await,
        gw.send("POST", &raw("fooBar", ""), Some(FORM), "name=x")
            .await,
        gw.send("POST", &raw("fooBar", "checksum=bad"), Some(FORM), "name=x")
            .await,
    ];
    for r in unsupported {
        r.assert_failed("unsupportedRequest", Some(UNSUPPORTED));
    }
    let bad_checksum = [
        gw.get_url(&raw("sendChatMessage", "meetingID=M&message=hi"))
            .await,
        gw.get_url(&raw(
            "sendChatMessage",
            "meetingID=M&message=hi&checksum=bad",
        ))
        .await,
        gw.send(
            "POST",
            &raw("sendChatMessage", ""),
            Some(FORM),
            "meetingID=M",
        )
        .await,
        gw.send(
            "POST",
            &raw("sendChatMessage", "checksum=bad"),
            Some(FORM),
            "meetingID=M",
        )
        .await,
    ];
    for r in bad_checksum {
        r.assert_failed("checksumError", Some(CHECKSUM_ERROR));
    }
    let forwarded = [
        sim.requests_for("fooBar"),
        sim.requests_for("sendChatMessage"),
    ];
    assert!(forwarded.iter().all(Vec::is_empty), "{forwarded:?}");
}

on_both_stores!(is_meeting_running_after_its_server_was_deleted);
/// A meeting whose server record was deleted is not running (as an unknown meeting), and
/// getMeetingInfo keeps answering notFound; neither asks any server.
async fn is_meeting_running_after_its_server_was_deleted(store: Store) {
    let sim = BbbSimulator::start("sim-secret").await.unwrap();
    let gw = Gateway::start_on(&store, &[]).await;
    let id = gw.add_server(&sim).await;
    gw.create_ok("meetingID=M&name=M").await;
    let r = gw.get("isMeetingRunning", "meetingID=M").await;
    r.assert_success().assert_xml("running", "true");
    let r = gw.admin_post("deleteServer", json!({ "id": id })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    sim.clear_requests();

    for r in [
        gw.get("isMeetingRunning", "meetingID=M").await,
        gw.post_form("isMeetingRunning", "meetingID=M").await,
    ] {
        r.assert_success().assert_xml("running", "false");
        assert!(r.xml("messageKey").is_none(), "{}", r.body);
    }
    gw.get("getMeetingInfo", "meetingID=M")
        .await
        .assert_failed("notFound", Some(NOT_FOUND));
    assert!(
        sim.requests_for("isMeetingRunning").is_empty(),
        "{:?}",
        sim.requests()
    );
}
