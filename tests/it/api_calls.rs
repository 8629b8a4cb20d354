//! Black-box tests of the proxied BBB calls (behaviour-doc §12.1): getMeetings (4–8, 10),
//! getMeetingInfo (13–17), isMeetingRunning (22–26), end (61–66), insertDocument (87–89).
//! Calls unknown to Scalelite and upstream failures are in `api_edges`.
use crate::common::*;
use serde_json::json;

pub(crate) const UNREACHABLE: &str = "Unable to access meeting on server.";

/// The meetingIDs of a getMeetings answer, sorted (servers are asked concurrently).
fn meeting_ids(r: &Response) -> Vec<String> {
    r.assert_success();
    let mut ids: Vec<String> = r
        .body
        .split("<meetingID>")
        .skip(1)
        .filter_map(|s| s.split("</meetingID>").next())
        .map(String::from)
        .collect();
    ids.sort();
    ids
}

/// One gateway with one server holding meeting `M` (moderator password `test-password`).
/// The server is never taken offline by failed polls, so upstream failures can be staged.
pub(crate) async fn with_meeting(store: &Store) -> (Gateway, BbbSimulator) {
    let sim = BbbSimulator::start("sim-secret").await.unwrap();
    let gw = Gateway::start_on(store, &[("SERVER_UNHEALTHY_THRESHOLD", "1000")]).await;
    gw.add_server(&sim).await;
    gw.create_ok("meetingID=M&name=M&moderatorPW=test-password")
        .await;
    sim.clear_requests();
    (gw, sim)
}

on_both_stores!(get_meetings_merges_servers_and_hides_tenant_meetings);
async fn get_meetings_merges_servers_and_hides_tenant_meetings(store: Store) {
    // §12.1 lines 4 (GET) and 10 (POST); meetings with a tenant-id are hidden without multitenancy.
    let s1 = BbbSimulator::start("s1").await.unwrap();
    let s2 = BbbSimulator::start("s2").await.unwrap();
    let gw = Gateway::start_on(&store, &[]).await;
    gw.add_server(&s1).await;
    gw.add_server(&s2).await;
    s1.add_meeting("test-meeting-1", 1, 1);
    s2.add_meeting("test-meeting-2", 1, 1);
    s2.add_meeting("tenant-meeting", 1, 1);
    s2.set_meeting_metadata("tenant-meeting", "tenant-id", "t1");
    for r in [
        gw.get("getMeetings", "").await,
        gw.post_form("getMeetings", "").await,
    ] {
        assert_eq!(
            meeting_ids(&r),
            ["test-meeting-1", "test-meeting-2"],
            "{}",
            r.body
        );
        assert!(!r.body.contains("tenant-meeting"), "{}", r.body);
    }
}

on_both_stores!(get_meetings_leaves_out_a_server_that_times_out);
async fn get_meetings_leaves_out_a_server_that_times_out(store: Store) {
    // §12.1 line 5. Deliberate difference (Q4): Scalelite fails the whole call with
    // internalError "Unable to access server."; we answer with the servers that did answer.
    let s1 = BbbSimulator::start("s1").await.unwrap();
    let s2 = BbbSimulator::start("s2").await.unwrap();
    let gw = Gateway::start_on(&store, &[("SERVER_UNHEALTHY_THRESHOLD", "1000")]).await;
    gw.add_server(&s1).await;
    gw.add_server(&s2).await;
    s1.add_meeting("test-meeting-1", 1, 1);
    s2.add_meeting("test-meeting-2", 1, 1);
    s2.set_mode(Mode::Hang);
    let r = gw.get("getMeetings", "").await;
    assert_eq!(meeting_ids(&r), ["test-meeting-1"], "{}", r.body);
}

on_both_stores!(get_meetings_without_servers);
async fn get_meetings_without_servers(store: Store) {
    // §12.1 line 6.
    let gw = Gateway::start_on(&store, &[]).await;
    let r = gw.get("getMeetings", "").await;
    assert_eq!(r.status, 200);
    r.assert_no_meetings();
    assert!(
        r.body.contains("<meetings/>") || r.body.contains("<meetings></meetings>"),
        "{}",
        r.body
    );
}

on_both_stores!(get_meetings_asks_only_online_servers_that_are_not_disabled);
async fn get_meetings_asks_only_online_servers_that_are_not_disabled(store: Store) {
    // §12.1 lines 7 and 8: cordoned and enabled servers count; an offline one and one disabled
    // through the admin API do not. Five good polls bring a server online, so the offline one
    // (which answers again) stays offline while we ask.
    let gw = Gateway::start_on(&store, &[("SERVER_HEALTHY_THRESHOLD", "5")]).await;
    let mut sims = Vec::new();
    for i in 1..=4 {
        let sim = BbbSimulator::start(&format!("s{i}")).await.unwrap();
        sim.add_meeting(&format!("test-meeting-{i}"), 2, 1);
        sims.push(sim);
    }
    sims[2].stop().await;
    let (id1, _, id4) = tokio::join!(
        gw.add_server(&sims[0]),
        gw.add_server(&sims[1]),
        gw.add_server(&sims[3])
    );
    let server = json!({ "url": sims[2].url(), "secret": "s3" });
    let r = gw
        .admin_post("addServer", json!({ "server": server }))
        .await;
    let id3 = r.json()["id"].as_str().unwrap().to_string();
    gw.set_state(&id3, "enable").await;
    // Cordon S1 only once its meeting weighs in, or the poller would disable it at once.
    gw.wait_server(&id1, |s| s["load"].as_f64().is_some_and(|l| l > 0.0))
        .await;
    gw.set_state(&id1, "cordon").await;
    gw.set_state(&id4, "disable").await;
    sims[2].restart().await.unwrap();
    let r = gw.get("getMeetings", "").await;
    // Not test-meeting-3 (offline server) nor test-meeting-4 (disabled server).
    assert_eq!(
        meeting_ids(&r),
        ["test-meeting-1", "test-meeting-2"],
        "{}",
        r.body
    );
    // The premises held while we asked.
    assert_eq!(gw.server_info(&id3).await["online"], "offline");
    assert_eq!(gw.server_info(&id1).await["state"], "cordoned");
    let s4 = gw.server_info(&id4).await;
    assert_eq!(s4["state"], "disabled");
    assert_eq!(s4["online"], "online");
}

on_both_stores!(get_meeting_info_and_is_meeting_running);
async fn get_meeting_info_and_is_meeting_running(store: Store) {
    // §12.1 lines 13, 15, 16, 17 (getMeetingInfo) and 22, 24, 25, 26 (isMeetingRunning).
    let (gw, sim) = with_meeting(&store).await;
    for r in [
        gw.get("getMeetingInfo", "meetingID=M").await,
        gw.post_form("getMeetingInfo", "meetingID=M").await,
    ] {
        r.assert_success()
            .assert_xml("meetingID", "M")
            .assert_xml("moderatorPW", "test-password");
    }
    for r in [
        gw.get("isMeetingRunning", "meetingID=M").await,
        gw.post_form("isMeetingRunning", "meetingID=M").await,
    ] {
        r.assert_success().assert_xml("running", "true");
    }
    // Upstream gets exactly meetingID, as a signed GET, even when the client POSTed a form.
    for action in ["getMeetingInfo", "isMeetingRunning"] {
        let reqs = sim.requests_for(action);
        assert_eq!(reqs.len(), 2, "{reqs:?}");
        for q in reqs {
            assert!(q.checksum_ok && q.method == "GET", "{q:?}");
            assert_eq!(params(&q), vec![kv("meetingID", "M")]);
        }
    }
    for action in ["getMeetingInfo", "isMeetingRunning"] {
        gw.get(action, "")
            .await
            .assert_failed("missingParamMeetingID", Some(MISSING_ID));
    }
    gw.get("getMeetingInfo", "meetingID=test")
        .await
        .assert_failed("notFound", Some(NOT_FOUND));
    sim.clear_requests();
    let r = gw.get("isMeetingRunning", "meetingID=test").await;
    r.assert_success().assert_xml("running", "false");
    assert!(
        sim.requests_for("isMeetingRunning").is_empty(),
        "an unknown meeting needs no upstream call"
    );
}

on_both_stores!(upstream_hang_gives_internal_error_and_a_timed_out_end_keeps_the_meeting);
async fn upstream_hang_gives_internal_error_and_a_timed_out_end_keeps_the_meeting(store: Store) {
    // §12.1 lines 14, 23 and 65. Line 65 differs on purpose (Q5): Scalelite forgets the
    // meeting before asking BBB; we keep it unless BBB ended it or does not know it.
    let (gw, sim) = with_meeting(&store).await;
    sim.set_mode(Mode::Hang);
    let (info, running, end) = tokio::join!(
        gw.get("getMeetingInfo", "meetingID=M"),
        gw.get("isMeetingRunning", "meetingID=M"),
        gw.get("end", "meetingID=M&password=test-password"),
    );
    info.assert_failed("internalError", Some(UNREACHABLE));
    running.assert_failed("internalError", Some(UNREACHABLE));
    end.assert_failed("internalError", Some(UNREACHABLE));
    // The failed proxy's connection is closed: the client must not reuse it.
    assert_eq!(
        info.headers.get("connection").map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
    assert_eq!(
        sim.requests_for("end").len(),
        1,
        "the end call was attempted"
    );
    sim.set_mode(Mode::Normal);
    gw.get("getMeetingInfo", "meetingID=M")
        .await
        .assert_success()
        .assert_xml("meetingID", "M");
    assert!(sim.meeting("M").is_some());
}

on_both_stores!(end_a_meeting);
async fn end_a_meeting(store: Store) {
    // §12.1 lines 61, 62, 63, 64 and 66.
    let (gw, sim) = with_meeting(&store).await;
    gw.get("end", "")
        .await
        .assert_failed("missingParamMeetingID", Some(MISSING_ID));
    gw.get("end", "meetingID=test-meeting-1")
        .await
        .assert_failed("notFound", Some(NOT_FOUND));
    let r = gw
        .get("end", "meetingID=test-meeting-1&password=test-password")
        .await;
    r.assert_failed("notFound", Some(NOT_FOUND));
    assert!(
        sim.requests_for("end").is_empty(),
        "no upstream call for an unknown meeting"
    );

    let r = gw.get("end", "meetingID=M&password=test-password").await;
    r.assert_success().assert_key("sentEndMeetingRequest");
    let reqs = sim.requests_for("end");
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].checksum_ok);
    assert_eq!(
        params(&reqs[0]),
        vec![kv("meetingID", "M"), kv("password", "test-password")]
    );
    assert!(sim.meeting("M").is_none());
    gw.get("getMeetingInfo", "meetingID=M")
        .await
        .assert_failed("notFound", Some(NOT_FOUND));

    // POST form (line 66).
    gw.create_ok("meetingID=M2&moderatorPW=test-password").await;
    let r = gw
        .post_form("end", "meetingID=M2&password=test-password")
        .await;
    r.assert_success().assert_key("sentEndMeetingRequest");
    assert!(sim.meeting("M2").is_none());
    gw.get("getMeetingInfo", "meetingID=M2")
        .await
        .assert_failed("notFound", Some(NOT_FOUND));
}

on_both_stores!(end_with_a_wrong_password_passes_bbbs_error_and_keeps_the_meeting);
async fn end_with_a_wrong_password_passes_bbbs_error_and_keeps_the_meeting(store: Store) {
    // Scalelite would forget the meeting here (Q5); we keep it since BBB did not end it.
    let (gw, sim) = with_meeting(&store).await;
    let r = gw.get("end", "meetingID=M&password=wrong").await;
    r.assert_failed(
        "invalidPassword",
        Some("You must supply the moderator password for this call."),
    );
    assert!(sim.meeting("M").is_some());
    gw.get("getMeetingInfo", "meetingID=M")
        .await
        .assert_success()
        .assert_xml("meetingID", "M");
}

on_both_stores!(insert_document_streams_the_slides_to_the_owner);
async fn insert_document_streams_the_slides_to_the_owner(store: Store) {
    // §12.1 lines 87, 88 and 89.
    let (gw, sim) = with_meeting(&store).await;
    gw.post_xml("insertDocument", "", "")
        .await
        .assert_failed("missingParamMeetingID", Some(MISSING_ID));
    gw.post_xml("insertDocument", "meetingID=test-meeting-1", "")
        .await
        .assert_failed("notFound", Some(NOT_FOUND));
    assert!(sim.requests_for("insertDocument").is_empty());

    gw.post_xml("insertDocument", "meetingID=M&extra=dropped", SLIDES)
        .await
        .assert_success();
    let reqs = sim.requests_for("insertDocument");
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    let q = &reqs[0];
    assert_eq!(q.method, "POST");
    assert!(q.checksum_ok, "{q:?}");
    assert_eq!(
        q.content_type
            .as_deref()
            .map(|c| c.split(';').next().unwrap_or("").trim()),
        Some("application/xml")
    );
    assert_eq!(q.body, SLIDES.as_bytes());
    assert_eq!(params(q), vec![kv("meetingID", "M")]);
}
