//! create over HTTP against the real binary (behaviour doc §12.1 31–35, 37–42, 44, 49, 50, 76):
//! what the BBB server receives, loads, placement by load and tags, generated passwords and voice
//! bridges, the duration cap, slides, and re-placement away from hung and cordoned servers.
use crate::common::*;
use serde_json::json;

const EXT: (&str, &str) = ("USE_EXTERNAL_VOICE_BRIDGE", "true");
const CREATE_FAILED: &str = "Unable to create meeting on server.";

on_both_stores!(create_forwards_exactly_the_client_params_and_counts_load_once);
/// §12.1 32 and 44; a re-create stays on its server and adds no load.
async fn create_forwards_exactly_the_client_params_and_counts_load_once(store: Store) {
    let (s1, s2) = (sim("secret-1").await, sim("secret-2").await);
    s2.add_meeting("busy", 1, 0);
    let p = pool(&store, &[(&s1, json!({})), (&s2, json!({}))], &[EXT]).await;
    assert_eq!(p.loads().await, [0.0, 1.0]);

    let q = "meetingID=test-meeting-1&moderatorPW=mp&voiceBridge=1234567";
    let r = p.gw.create_ok(q).await;
    assert_eq!(r.xml("voiceBridge").as_deref(), Some("1234567"));
    assert_sent(&s1, q);
    assert!(creates(&s2).is_empty());
    assert_eq!(p.loads().await, [1.0, 1.0]);

    // One join makes s1 the busier server; a re-create must still go to s1 and add nothing.
    let r = p.gw.join("meetingID=test-meeting-1&fullName=a").await;
    assert_eq!(r.status, 302);
    assert_eq!(p.loads().await, [2.0, 1.0]);
    p.gw.create_ok(q).await.assert_key("duplicateWarning");
    assert_eq!(creates(&s1).len(), 2);
    assert_sent(&s1, q);
    assert!(creates(&s2).is_empty());
    assert_eq!(p.loads().await, [2.0, 1.0]);

    // §12.1 44: without CREATE_EXCLUDE_PARAMS empty values are forwarded; least load wins.
    let q = "meetingID=test-meeting-2&test4=&test2=&moderatorPW=test-password&voiceBridge=7654321";
    p.gw.create_ok(q).await;
    assert_sent(&s2, q);
    assert_eq!(p.loads().await, [2.0, 2.0]);
}

fn assert_bridge(vb: &str, len: usize) {
    let digits = vb.bytes().all(|b| b.is_ascii_digit());
    let ok = vb.len() == len && digits && !vb.starts_with('0');
    assert!(ok, "voice bridge {vb}");
}

on_both_stores!(generated_moderator_password_and_voice_bridges);
/// Without USE_EXTERNAL_VOICE_BRIDGE the load balancer picks the voice bridge; without a
/// moderatorPW it makes one, which BBB then knows and the load balancer ends meetings with.
async fn generated_moderator_password_and_voice_bridges(store: Store) {
    let s = sim("secret-1").await;
    let gw = Gateway::start_on(&store, &[("VOICE_BRIDGE_LEN", "6")]).await;
    let id = gw.add_server(&s).await;
    let r = gw
        .create_ok("meetingID=gen&name=Gen&voiceBridge=1234567")
        .await;
    let (pw, vb) = (sent_param(&s, "moderatorPW"), sent_param(&s, "voiceBridge"));
    let alnum = pw.chars().all(|ch| ch.is_ascii_alphanumeric());
    assert!(pw.len() == 8 && alnum, "{pw}");
    assert_bridge(&vb, 6);
    let q = format!("meetingID=gen&name=Gen&voiceBridge={vb}&moderatorPW={pw}");
    assert_sent(&s, &q);
    assert_eq!(r.xml("moderatorPW"), Some(pw.clone()));

    let mut seen = std::collections::HashSet::from([vb.clone()]);
    for i in 0..5 {
        gw.create_ok(&format!("meetingID=vb{i}&voiceBridge=1234567"))
            .await;
        let other = sent_param(&s, "voiceBridge");
        assert_bridge(&other, 6);
        assert!(seen.insert(other.clone()), "{other} handed out twice");
    }
    // A re-create keeps the meeting's number and sends the client's (absent) password.
    gw.create_ok("meetingID=gen&voiceBridge=555555").await;
    assert_sent(&s, &format!("meetingID=gen&voiceBridge={vb}"));

    // Joining with the password makes a moderator on the BBB server.
    let r = gw
        .join(&format!("meetingID=gen&fullName=M&password={pw}"))
        .await;
    let on_bbb = gw.http.get(r.location()).send().await.expect("BBB join");
    assert_eq!(on_bbb.status(), 302);
    let counts = s.meeting("gen").map(|m| (m.participants, m.moderators));
    assert_eq!(counts, Some((1, 1)));
    // panicServer ends the meeting with the stored password.
    let r = gw.admin_post("panicServer", json!({ "id": id })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ends = s.requests_for("end");
    let end = ends.iter().find(|e| e.param("meetingID") == Some("gen"));
    let expected = upstream("end", &format!("meetingID=gen&password={pw}"), &s);
    assert_eq!(end.map(|e| e.raw_query.clone()), Some(expected));
    assert!(s.meeting("gen").is_none());
}

on_both_stores!(duration_cap_external_voice_bridges_and_disabled_servers);
/// §12.1 39–42 and 76; external voice bridges are used but never shared.
async fn duration_cap_external_voice_bridges_and_disabled_servers(store: Store) {
    let s = sim("secret-1").await;
    let gw = Gateway::start_on(&store, &[EXT, ("MAX_MEETING_DURATION", "3600")]).await;
    let id = gw.add_server(&s).await;
    let q = "meetingID=d1&moderatorPW=test-password&voiceBridge=1234561";
    gw.create_ok(q).await;
    assert_sent(&s, &format!("{q}&duration=3600"));
    for (i, asked, sent) in [(2, "5000", "3600"), (3, "0", "3600"), (4, "1200", "1200")] {
        let q = format!("meetingID=d{i}&moderatorPW=pw&voiceBridge=123456{i}&duration=");
        gw.create_ok(&format!("{q}{asked}")).await;
        assert_sent(&s, &format!("{q}{sent}"));
    }
    let r = gw
        .create_ok("meetingID=d5&voiceBridge=1234561&duration=60")
        .await;
    let vb = sent_param(&s, "voiceBridge");
    assert_bridge(&vb, 9);
    assert_eq!(r.xml("voiceBridge"), Some(vb));

    gw.set_state(&id, "disable").await;
    let r = gw.join("meetingID=d1&fullName=x").await;
    r.assert_failed("serverUnavailable", Some(UNAVAILABLE));
}

on_both_stores!(create_on_hung_servers_rolls_back_and_moves_on);
/// §12.1 35 and the Q8 fix: unlike Scalelite, a create the server does not answer is rolled
/// back (mapping and load) and tried on the next server.
async fn create_on_hung_servers_rolls_back_and_moves_on(store: Store) {
    let (hung, ok) = (sim("secret-1").await, sim("secret-2").await);
    ok.add_meeting("busy", 2, 0);
    let p = pool(&store, &[(&hung, json!({})), (&ok, json!({}))], &[EXT]).await;
    hung.set_mode(Mode::Hang);
    ok.set_mode(Mode::Hang);
    let q = "meetingID=test-meeting-1&moderatorPW=mp&voiceBridge=1234567";
    let r = p.gw.get("create", q).await;
    r.assert_failed("internalError", Some(CREATE_FAILED));
    assert_eq!(p.loads().await, [0.0, 2.0]);
    let r = p.gw.join("meetingID=test-meeting-1&fullName=x").await;
    r.assert_failed("notFound", None);

    // The least-loaded server still hangs: the meeting lands on the next one.
    ok.set_mode(Mode::Normal);
    p.gw.create_ok(q).await;
    assert_eq!(hung.requests_for("create").len(), 2);
    assert_sent(&ok, q);
    assert_eq!(p.loads().await, [0.0, 3.0]);
    let r = p.gw.join("meetingID=test-meeting-1&fullName=x").await;
    r.assert_location_on(&ok);
    hung.stop().await;
}

on_both_stores!(tags_place_meetings);
/// §12.1 31, 37, 38: tags choose among servers before load does; untagged meetings never
/// land on tagged servers.
async fn tags_place_meetings(store: Store) {
    let (a, b) = (sim("secret-a").await, sim("secret-b").await);
    let c = sim("secret-c").await;
    b.add_meeting("busy-b", 1, 0);
    c.add_meeting("busy-c", 2, 0);
    let tagged = |t: &str| json!({ "tag": t });
    let servers = [
        (&a, tagged("wrong-tag")),
        (&b, json!({})),
        (&c, tagged("test-tag")),
    ];
    let p = pool(&store, &servers, &[EXT]).await;

    // Required tag: C although B is less loaded; the tag is forwarded without its `!`.
    let q = "meetingID=t38&moderatorPW=mp&voiceBridge=1000001&meta_server-tag=test-tag";
    p.gw.create_ok(&format!("{q}!")).await;
    assert_sent(&c, q);
    // Optional tag nobody has: untagged B (not A, the least loaded), tag not forwarded.
    let q = "meetingID=t37&moderatorPW=mp&voiceBridge=1000002";
    p.gw.create_ok(&format!("{q}&meta_server-tag=missing-tag"))
        .await;
    assert_sent(&b, q);
    let q = "meetingID=plain&moderatorPW=mp&voiceBridge=1000003";
    p.gw.create_ok(q).await;
    assert_sent(&b, q);
    assert!(creates(&a).is_empty());
    assert_eq!(p.loads().await, [0.0, 3.0, 3.0]);

    let msg = |tags: &str| format!("There is no available server with the required tag={tags}.");
    let r = p.gw.get("create", "meetingID=t31&meta_server-tag=x!").await;
    r.assert_failed("serverTagUnavailable", Some(&msg("x")));
    let q = "meetingID=t31&meta_server-tag=nope;x!";
    let r = p.gw.get("create", q).await;
    r.assert_failed("serverTagUnavailable", Some(&msg("nope;x")));
    assert_eq!(creates(&a).len() + creates(&b).len() + creates(&c).len(), 3);
}

on_both_stores!(create_by_post_form_and_with_slides);
/// §12.1 49, 50: a form POST becomes an upstream GET; pre-uploaded slides are POSTed on as is.
async fn create_by_post_form_and_with_slides(store: Store) {
    let s = sim("secret-1").await;
    let p = pool(&store, &[(&s, json!({}))], &[EXT]).await;
    // The parameters are all in the body: the checksum covers `create` and an empty query.
    let form = "meetingID=test-meeting-1&moderatorPW=mp&voiceBridge=123";
    let ok = "<returncode>SUCCESS</returncode>";
    let body = p.gw.post_form("create", form).await.body;
    assert!(body.contains(ok), "{body}");
    assert_sent(&s, form);
    assert_eq!(p.loads().await, [1.0]);

    let q = "meetingID=test-meeting-2&moderatorPW=mp&voiceBridge=124";
    let body = p.gw.post_xml("create", q, SLIDES).await.body;
    assert!(body.contains(ok), "{body}");
    let c = s.requests_for("create").pop().expect("create");
    assert_eq!(c.method, "POST");
    assert_eq!(c.content_type.as_deref(), Some("application/xml"));
    assert_eq!(c.raw_query, upstream("create", q, &s));
    assert_eq!(c.body, SLIDES.as_bytes());
    assert!(c.checksum_ok);
    assert_eq!(p.loads().await, [2.0]);
}

on_both_stores!(recreate_on_a_cordoned_server);
/// §12.1 33, 34: a meeting pinned to a cordoned server stays only while BBB says it runs.
async fn recreate_on_a_cordoned_server(store: Store) {
    let (s, c) = (sim("secret-s").await, sim("secret-c").await);
    s.add_meeting("busy", 5, 0);
    let p = pool(&store, &[(&s, json!({})), (&c, json!({}))], &[EXT]).await;
    let q33 = "meetingID=m33&moderatorPW=mp&voiceBridge=1000033";
    let q34 = "meetingID=m34&moderatorPW=mp&voiceBridge=1000034";
    p.gw.create_ok(q33).await;
    p.gw.create_ok(q34).await;
    assert_eq!(creates(&c).len(), 2);
    p.gw.set_state(&p.ids[1], "cordon").await;

    c.end_meeting("m33");
    p.gw.create_ok(q33).await;
    assert_sent(&s, q33);
    let r = p.gw.join("meetingID=m33&fullName=x").await;
    r.assert_location_on(&s);

    p.gw.create_ok(q34).await;
    assert_eq!(creates(&c).len(), 3);
    assert_sent(&c, q34);
    let r = p.gw.join("meetingID=m34&fullName=x").await;
    r.assert_location_on(&c);
    let asked = c.requests_for("isMeetingRunning");
    let asked: Vec<_> = asked.into_iter().map(|r| r.raw_query).collect();
    let running = |m: &str| upstream("isMeetingRunning", &format!("meetingID={m}"), &c);
    assert_eq!(asked, [running("m33"), running("m34")]);
    assert_eq!(creates(&s).len(), 1);
}

on_both_stores!(multipart_form_fields_are_parameters);
/// A multipart/form-data body: its text fields are parameters like a URL-encoded form's (Rails
/// merges both), its file parts are ignored, and the checksum still covers only the query.
async fn multipart_form_fields_are_parameters(store: Store) {
    let s = sim("sim-secret").await;
    let gw = Gateway::start_on(&store, &[]).await;
    gw.add_server(&s).await;
    let part = |name: &str, value: &str| {
        format!("--B0uNd\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
    };
    let file = "--B0uNd\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.pdf\"\r\n\
                Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n";
    let body = format!(
        "{}{}{file}--B0uNd--\r\n",
        part("meetingID", "multi part"),
        part("name", "Multipart meeting"),
    );
    let ctype = "multipart/form-data; boundary=B0uNd";
    let r = gw
        .send("POST", &gw.api("create", ""), Some(ctype), &body)
        .await;
    r.assert_success();
    let m = s
        .meeting("multi part")
        .expect("created from the multipart fields");
    assert_eq!(m.name, "Multipart meeting");
    let sent = s.requests_for("create");
    assert!(
        !sent[0].params.iter().any(|(k, _)| k == "upload"),
        "{sent:?}"
    );

    let body = format!("{}--B0uNd--\r\n", part("meetingID", "multi part"));
    let r = gw
        .send("POST", &gw.api("getMeetingInfo", ""), Some(ctype), &body)
        .await;
    r.assert_xml("meetingID", "multi part");

    // A body that is not multipart as announced is refused with the call's error envelope.
    let r = gw
        .send(
            "POST",
            &gw.api("getMeetingInfo", ""),
            Some(ctype),
            "no boundary here",
        )
        .await;
    r.assert_failed("internalError", None);
}

on_both_stores!(every_kind_of_create_failure_moves_on_to_the_next_server);
/// Issue 8 (Q8 fixed): a server that fails a new meeting's create in any way — BBB's FAILED, an
/// HTTP 5xx (even with a SUCCESS body), garbage, a timeout, a reset connection — loses its
/// reservation (mapping and load) and the next server in placement order gets the meeting.
async fn every_kind_of_create_failure_moves_on_to_the_next_server(store: Store) {
    let modes = [
        Mode::Fail,
        Mode::HttpErrorXml(500),
        Mode::HttpError(503),
        Mode::Garbage,
        Mode::Hang,
        Mode::Reset,
    ];
    for mode in modes {
        let (bad, good) = (sim("secret-1").await, sim("secret-2").await);
        let other = sim("secret-3").await;
        good.add_meeting("busy", 1, 0);
        other.add_meeting("busier", 2, 0);
        let servers = [(&bad, json!({})), (&good, json!({})), (&other, json!({}))];
        // A pool of its own per mode (on Redis: a namespace of its own).
        let store = match &store {
            Store::Embedded => Store::Embedded,
            Store::Redis(_) => Store::redis(),
        };
        let p = pool(&store, &servers, &[EXT]).await;
        bad.set_mode(mode);
        let q = "meetingID=m&moderatorPW=mp&voiceBridge=1234567";
        let r = p.gw.get("create", q).await;
        r.assert_success();
        assert_eq!(creates(&bad).len(), 1, "{mode:?}");
        assert_sent(&good, q);
        assert!(creates(&other).is_empty(), "{mode:?}");
        assert!(bad.meeting("m").is_none() && good.meeting("m").is_some());
        assert_eq!(p.loads().await, [0.0, 2.0, 2.0], "{mode:?}");
        p.gw.assert_joins_on("m", &good).await;
        bad.stop().await;
    }
}

on_both_stores!(a_create_every_server_fails);
/// When every server fails, the client sees the last BBB error when a server gave one (its
/// reason), else internalError; every server was tried once and nothing stays reserved.
async fn a_create_every_server_fails(store: Store) {
    let (failed, garbage) = (sim("secret-1").await, sim("secret-2").await);
    let reset = sim("secret-3").await;
    garbage.add_meeting("busy", 1, 0);
    reset.add_meeting("busier", 2, 0);
    let servers = [
        (&failed, json!({})),
        (&garbage, json!({})),
        (&reset, json!({})),
    ];
    let p = pool(&store, &servers, &[EXT]).await;
    // BBB's FAILED comes first in placement order, transport failures after it.
    failed.set_mode(Mode::Fail);
    garbage.set_mode(Mode::Garbage);
    reset.set_mode(Mode::Reset);
    let q = "meetingID=m&moderatorPW=mp&voiceBridge=1234567";
    let r = p.gw.get("create", q).await;
    r.assert_failed("simulatedFailure", Some("Simulated failure"));
    let tried: Vec<usize> = [&failed, &garbage, &reset]
        .iter()
        .map(|s| creates(s).len())
        .collect();
    assert_eq!(tried, [1, 1, 1]);
    assert_eq!(p.loads().await, [0.0, 1.0, 2.0]);
    p.gw.join("meetingID=m&fullName=x")
        .await
        .assert_failed("notFound", None);

    // Only transport failures: internalError.
    failed.set_mode(Mode::HttpError(502));
    let r = p.gw.get("create", q).await;
    r.assert_failed("internalError", Some(CREATE_FAILED));
    assert_eq!(p.loads().await, [0.0, 1.0, 2.0]);
    p.gw.join("meetingID=m&fullName=x")
        .await
        .assert_failed("notFound", None);

    // A server that works again takes the meeting.
    reset.set_mode(Mode::Normal);
    p.gw.create_ok(q).await;
    assert_sent(&reset, q);
    assert_eq!(p.loads().await, [0.0, 1.0, 3.0]);
    p.gw.assert_joins_on("m", &reset).await;
}
