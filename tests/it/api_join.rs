//! join over HTTP against the real binary (behaviour doc §12.1 29, 30, 36, 43, 47, 48, 69–75,
//! 77–79): redirects to the meeting's server without calling it, the load a join adds, the
//! parameter policies of create and join, and refused joins (unknown meetings, offline servers).
use crate::common::*;
use serde_json::json;

const NO_SERVERS: &str = "Could not find any available servers.";

on_both_stores!(create_without_any_server_and_join_of_unknown_meetings);
async fn create_without_any_server_and_join_of_unknown_meetings(store: Store) {
    let gw = Gateway::start_on(&store, &[]).await;
    let r = gw.get("create", "meetingID=test-meeting-1").await; // §12.1 30
    r.assert_failed("internalError", Some(NO_SERVERS));
    let r = gw.join("fullName=x").await; // §12.1 69, 70
    r.assert_failed("missingParamMeetingID", Some(MISSING_ID));
    let r = gw.join("meetingID=test-meeting-1").await;
    r.assert_failed("notFound", Some(NOT_FOUND));
}

on_both_stores!(join_redirects_to_the_signed_server_url_without_calling_it);
/// §12.1 29, 36, 71, 72, 74 (80 is in api_checksum.rs); a join never calls the BBB server.
async fn join_redirects_to_the_signed_server_url_without_calling_it(store: Store) {
    let s = sim("secret-1").await;
    let p = pool(&store, &[(&s, json!({ "load_multiplier": "7" }))], &[]).await;
    let r = p.gw.get("create", "name=x").await;
    r.assert_failed("missingParamMeetingID", Some(MISSING_ID));
    p.gw.create_ok("meetingID=test-meeting-1&moderatorPW=mp")
        .await;
    assert_eq!(p.loads().await, [7.0]);

    s.clear_requests();
    let q = "meetingID=test-meeting-1&password=test-password&fullName=test-name";
    let r = p.gw.join(q).await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert_eq!(r.location(), join_url(q, &s));
    let reached = s.requests();
    assert!(reached.is_empty(), "join reached BBB: {reached:?}");
    assert_eq!(p.loads().await, [14.0]);

    // §12.1 74: without JOIN_EXCLUDE_PARAMS empty values stay.
    let q = format!("{q}&test1=&test2=");
    assert_eq!(p.gw.join(&q).await.location(), join_url(&q, &s));
    assert!(s.requests_for("join").is_empty());

    assert_eq!(p.loads().await, [21.0]);
}

on_both_stores!(parameter_policies_shape_create_and_join);
/// §12.1 43, 47, 48, 73, 75, 78, 79: exclusions, defaults and overrides of create and join.
async fn parameter_policies_shape_create_and_join(store: Store) {
    let s = sim("secret-1").await;
    let env = [
        ("USE_EXTERNAL_VOICE_BRIDGE", "true"),
        ("CREATE_EXCLUDE_PARAMS", "test4,test2"),
        ("DEFAULT_CREATE_PARAMS", "param1=not-param1,param2=param2"),
        ("OVERRIDE_CREATE_PARAMS", "param3=param3,param4=param4"),
        ("JOIN_EXCLUDE_PARAMS", "test1,test2"),
        ("DEFAULT_JOIN_PARAMS", "param1=not-param1,param2=param2"),
        ("OVERRIDE_JOIN_PARAMS", "param3=param3,param4=param4"),
    ];
    let p = pool(&store, &[(&s, json!({}))], &env).await;
    let client = "param1=param1&param3=not-param3";
    // Default-only keys first, client values beat defaults, overrides beat the client.
    let merged = "param1=param1&param3=param3&param4=param4";
    let q = "meetingID=test-meeting-1&moderatorPW=test-password&voiceBridge=1234567";
    let excluded = q.replacen('&', "&test4=&test2=&", 1);
    p.gw.create_ok(&format!("{excluded}&{client}")).await;
    assert_sent(&s, &format!("param2=param2&{q}&{merged}"));
    assert_eq!(p.loads().await, [1.0]);

    let q = "meetingID=test-meeting-1&password=test-password&fullName=test-name";
    let r = p.gw.join(&format!("{q}&test1=&test2=&{client}")).await;
    assert_eq!(r.status, 302, "{}", r.body);
    let expected = join_url(&format!("param2=param2&{q}&{merged}"), &s);
    assert_eq!(r.location(), expected);
}

on_both_stores!(join_on_a_server_the_poller_marked_offline_is_refused);
/// §12.1 77. When the poller marks a server offline it forgets the server's meetings one by one
/// while it ends them on BBB (as Scalelite does): until a meeting is forgotten its joins are
/// refused, afterwards it is unknown.
async fn join_on_a_server_the_poller_marked_offline_is_refused(store: Store) {
    let s = sim("secret-1").await;
    let gw = Gateway::start_on(&store, &[("RESPONSE_TIMEOUT", "1")]).await;
    let id = gw.add_server(&s).await;
    let meetings = ["o1", "o2", "o3"];
    for m in meetings {
        gw.create_ok(&format!("meetingID={m}")).await;
    }
    // A hung server keeps each `end` of the clean-up waiting, so the meetings go slowly.
    s.set_mode(Mode::Hang);
    gw.wait_server(&id, |s| s["online"] == "offline").await;
    let mut answers = Vec::new();
    for m in meetings {
        answers.push(gw.join(&format!("meetingID={m}&fullName=x")).await);
    }
    let ends = s.requests_for("end");
    let ended = |m: &str| ends.iter().any(|e| e.param("meetingID") == Some(m));
    for (m, r) in meetings.iter().zip(&answers) {
        assert_ne!(r.status, 302, "join of {m} sent to an offline server");
        if !ended(m) {
            r.assert_failed("serverUnavailable", Some(UNAVAILABLE));
        }
    }
    let refused = meetings.iter().any(|m| !ended(m));
    assert!(refused, "every meeting already forgotten: {ends:?}");
    s.stop().await;
    eventually("meetings of the offline server forgotten", || async {
        gw.join("meetingID=o3&fullName=x").await.has_key("notFound")
    })
    .await;
}
