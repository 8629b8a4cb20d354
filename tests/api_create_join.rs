//! create and join over HTTP against the real binary (behaviour doc §12.1 29–44, 47–50, 69–80):
//! what the BBB server receives, placement and tags, voice bridges, loads and join redirects.
mod common;
use common::*;
use scalelite::bbb::Algorithm;
use scalelite::simulator::RecordedRequest;
use serde_json::{json, Value};

const EXT: (&str, &str) = ("USE_EXTERNAL_VOICE_BRIDGE", "true");
const MISSING_ID: &str = "You must specify a meeting ID for the meeting.";
const UNAVAILABLE: &str = "The server for this meeting is disabled/offline.";
const NO_SERVERS: &str = "Could not find any available servers.";
const CREATE_FAILED: &str = "Unable to create meeting on server.";

async fn sim(secret: &str) -> BbbSimulator {
    BbbSimulator::start(secret).await.expect("simulator")
}

/// `q` as `sim` must receive it for `action`: signed (SHA256) with the simulator's secret.
fn upstream(action: &str, q: &str, sim: &BbbSimulator) -> String {
    let secret = sim.secret();
    let parts = [action.as_bytes(), q.as_bytes(), secret.as_bytes()];
    format!("{q}&checksum={}", Algorithm::Sha256.hex_digest(&parts))
}

/// The join redirect for `q` on `sim`.
fn join_url(q: &str, sim: &BbbSimulator) -> String {
    format!("{}join?{}", sim.url(), upstream("join", q, sim))
}

/// The creates `sim` received, each checked to be a GET that BBB accepts.
fn creates(sim: &BbbSimulator) -> Vec<RecordedRequest> {
    let all = sim.requests_for("create");
    for c in &all {
        assert!(c.checksum_ok && c.method == "GET", "{c:?}");
    }
    all
}

fn last_create(sim: &BbbSimulator) -> RecordedRequest {
    creates(sim).pop().expect("a create reached the simulator")
}

/// Assert the last create `sim` received carried exactly the parameters `q`, in that order.
fn assert_sent(sim: &BbbSimulator, q: &str) {
    assert_eq!(last_create(sim).raw_query, upstream("create", q, sim));
}

fn sent_param(sim: &BbbSimulator, key: &str) -> String {
    let c = last_create(sim);
    c.param(key)
        .unwrap_or_else(|| panic!("no {key}"))
        .to_string()
}

async fn create_ok(gw: &Gateway, q: &str) -> Response {
    let r = gw.get("create", q).await;
    assert_eq!(r.returncode(), "SUCCESS", "{}", r.body);
    r
}

async fn join(gw: &Gateway, q: &str) -> Response {
    gw.get("join", q).await
}

/// Assert a join redirect goes to `sim`.
fn assert_on(r: &Response, sim: &BbbSimulator) {
    let url = r.location();
    assert!(url.starts_with(&format!("{}join?", sim.url())), "{url}");
}

fn key(r: &Response) -> String {
    r.xml("messageKey").unwrap_or_default()
}

async fn set_state(gw: &Gateway, id: &str, state: &str) {
    let body = json!({ "id": id, "server": { "state": state } });
    let r = gw.admin_post("updateServer", body).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A pool whose loads only the load balancer changes. The servers are added through a gateway
/// with the fast test poller; then a second gateway on the same data dir polls once at start-up
/// (load = participants of the simulators' own meetings) and never again, so no poll races a
/// load read.
struct Pool {
    gw: Gateway,
    ids: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Pool {
    async fn loads(&self) -> Vec<f64> {
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

async fn pool(servers: &[(&BbbSimulator, Value)], env: &[(&str, &str)]) -> Pool {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_str().expect("utf-8 path").to_string();
    let mut vars = vec![("SCALELITE_DATA_DIR", path.as_str())];
    vars.extend([("LOAD_MIN_USER_COUNT", "0"), ("LOAD_JOIN_BUFFER_TIME", "0")]);
    vars.extend_from_slice(env);
    let mut ids = Vec::new();
    {
        let gw = Gateway::start(&vars).await;
        for (sim, extra) in servers {
            ids.push(gw.add_server_with(sim, extra.clone()).await);
        }
    }
    for (sim, _) in servers {
        sim.set_version("restarted");
    }
    vars.push(("POLL_INTERVAL", "3600"));
    let gw = Gateway::start(&vars).await;
    // The version is asked for after the load is stored: then the only poll is over.
    for id in &ids {
        gw.wait_server(id, restarted).await;
    }
    Pool { gw, ids, _dir: dir }
}

#[tokio::test]
async fn create_without_any_server_and_join_of_unknown_meetings() {
    let gw = Gateway::start(&[]).await;
    let r = gw.get("create", "meetingID=test-meeting-1").await; // §12.1 30
    r.assert_failed("internalError", Some(NO_SERVERS));
    let r = join(&gw, "fullName=x").await; // §12.1 69, 70
    r.assert_failed("missingParamMeetingID", Some(MISSING_ID));
    let r = join(&gw, "meetingID=test-meeting-1").await;
    let not_found =
        "We could not find a meeting with that meeting ID - perhaps the meeting is not yet running?";
    r.assert_failed("notFound", Some(not_found));
}

/// §12.1 32 and 44; a re-create stays on its server and adds no load.
#[tokio::test]
async fn create_forwards_exactly_the_client_params_and_counts_load_once() {
    let (s1, s2) = (sim("secret-1").await, sim("secret-2").await);
    s2.add_meeting("busy", 1, 0);
    let p = pool(&[(&s1, json!({})), (&s2, json!({}))], &[EXT]).await;
    assert_eq!(p.loads().await, [0.0, 1.0]);

    let q = "meetingID=test-meeting-1&moderatorPW=mp&voiceBridge=1234567";
    let r = create_ok(&p.gw, q).await;
    assert_eq!(r.xml("voiceBridge").as_deref(), Some("1234567"));
    assert_sent(&s1, q);
    assert!(creates(&s2).is_empty());
    assert_eq!(p.loads().await, [1.0, 1.0]);

    // One join makes s1 the busier server; a re-create must still go to s1 and add nothing.
    let r = join(&p.gw, "meetingID=test-meeting-1&fullName=a").await;
    assert_eq!(r.status, 302);
    assert_eq!(p.loads().await, [2.0, 1.0]);
    let r = create_ok(&p.gw, q).await;
    assert_eq!(key(&r), "duplicateWarning", "{}", r.body);
    assert_eq!(creates(&s1).len(), 2);
    assert_sent(&s1, q);
    assert!(creates(&s2).is_empty());
    assert_eq!(p.loads().await, [2.0, 1.0]);

    // §12.1 44: without CREATE_EXCLUDE_PARAMS empty values are forwarded; least load wins.
    let q = "meetingID=test-meeting-2&test4=&test2=&moderatorPW=test-password&voiceBridge=7654321";
    create_ok(&p.gw, q).await;
    assert_sent(&s2, q);
    assert_eq!(p.loads().await, [2.0, 2.0]);
}

/// §12.1 29, 36, 71, 72, 74 (80 is in api_checksum.rs); a join never calls the BBB server.
#[tokio::test]
async fn join_redirects_to_the_signed_server_url_without_calling_it() {
    let s = sim("secret-1").await;
    let p = pool(&[(&s, json!({ "load_multiplier": "7" }))], &[]).await;
    let r = p.gw.get("create", "name=x").await;
    r.assert_failed("missingParamMeetingID", Some(MISSING_ID));
    create_ok(&p.gw, "meetingID=test-meeting-1&moderatorPW=mp").await;
    assert_eq!(p.loads().await, [7.0]);

    s.clear_requests();
    let q = "meetingID=test-meeting-1&password=test-password&fullName=test-name";
    let r = join(&p.gw, q).await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert_eq!(r.location(), join_url(q, &s));
    let reached = s.requests();
    assert!(reached.is_empty(), "join reached BBB: {reached:?}");
    assert_eq!(p.loads().await, [14.0]);

    // §12.1 74: without JOIN_EXCLUDE_PARAMS empty values stay.
    let q = format!("{q}&test1=&test2=");
    assert_eq!(join(&p.gw, &q).await.location(), join_url(&q, &s));
    assert!(s.requests_for("join").is_empty());

    assert_eq!(p.loads().await, [21.0]);
}

fn assert_bridge(vb: &str, len: usize) {
    let digits = vb.bytes().all(|b| b.is_ascii_digit());
    let ok = vb.len() == len && digits && !vb.starts_with('0');
    assert!(ok, "voice bridge {vb}");
}

/// Without USE_EXTERNAL_VOICE_BRIDGE the load balancer picks the voice bridge; without a
/// moderatorPW it makes one, which BBB then knows and the load balancer ends meetings with.
#[tokio::test]
async fn generated_moderator_password_and_voice_bridges() {
    let s = sim("secret-1").await;
    let gw = Gateway::start(&[("VOICE_BRIDGE_LEN", "6")]).await;
    let id = gw.add_server(&s).await;
    let r = create_ok(&gw, "meetingID=gen&name=Gen&voiceBridge=1234567").await;
    let (pw, vb) = (sent_param(&s, "moderatorPW"), sent_param(&s, "voiceBridge"));
    let alnum = pw.chars().all(|ch| ch.is_ascii_alphanumeric());
    assert!(pw.len() == 8 && alnum, "{pw}");
    assert_bridge(&vb, 6);
    let q = format!("meetingID=gen&name=Gen&voiceBridge={vb}&moderatorPW={pw}");
    assert_sent(&s, &q);
    assert_eq!(r.xml("moderatorPW"), Some(pw.clone()));

    let mut seen = std::collections::HashSet::from([vb.clone()]);
    for i in 0..5 {
        create_ok(&gw, &format!("meetingID=vb{i}&voiceBridge=1234567")).await;
        let other = sent_param(&s, "voiceBridge");
        assert_bridge(&other, 6);
        assert!(seen.insert(other.clone()), "{other} handed out twice");
    }
    // A re-create keeps the meeting's number and sends the client's (absent) password.
    create_ok(&gw, "meetingID=gen&voiceBridge=555555").await;
    assert_sent(&s, &format!("meetingID=gen&voiceBridge={vb}"));

    // Joining with the password makes a moderator on the BBB server.
    let r = join(&gw, &format!("meetingID=gen&fullName=M&password={pw}")).await;
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

/// §12.1 39–42 and 76; external voice bridges are used but never shared.
#[tokio::test]
async fn duration_cap_external_voice_bridges_and_disabled_servers() {
    let s = sim("secret-1").await;
    let gw = Gateway::start(&[EXT, ("MAX_MEETING_DURATION", "3600")]).await;
    let id = gw.add_server(&s).await;
    let q = "meetingID=d1&moderatorPW=test-password&voiceBridge=1234561";
    create_ok(&gw, q).await;
    assert_sent(&s, &format!("{q}&duration=3600"));
    for (i, asked, sent) in [(2, "5000", "3600"), (3, "0", "3600"), (4, "1200", "1200")] {
        let q = format!("meetingID=d{i}&moderatorPW=pw&voiceBridge=123456{i}&duration=");
        create_ok(&gw, &format!("{q}{asked}")).await;
        assert_sent(&s, &format!("{q}{sent}"));
    }
    let r = create_ok(&gw, "meetingID=d5&voiceBridge=1234561&duration=60").await;
    let vb = sent_param(&s, "voiceBridge");
    assert_bridge(&vb, 9);
    assert_eq!(r.xml("voiceBridge"), Some(vb));

    set_state(&gw, &id, "disable").await;
    let r = join(&gw, "meetingID=d1&fullName=x").await;
    r.assert_failed("serverUnavailable", Some(UNAVAILABLE));
}

/// §12.1 35 and the Q8 fix: unlike Scalelite, a create the server does not answer is rolled
/// back (mapping and load) and tried on the next server.
#[tokio::test]
async fn create_on_hung_servers_rolls_back_and_moves_on() {
    let (hung, ok) = (sim("secret-1").await, sim("secret-2").await);
    ok.add_meeting("busy", 2, 0);
    let p = pool(&[(&hung, json!({})), (&ok, json!({}))], &[EXT]).await;
    hung.set_mode(Mode::Hang);
    ok.set_mode(Mode::Hang);
    let q = "meetingID=test-meeting-1&moderatorPW=mp&voiceBridge=1234567";
    let r = p.gw.get("create", q).await;
    r.assert_failed("internalError", Some(CREATE_FAILED));
    assert_eq!(p.loads().await, [0.0, 2.0]);
    let r = join(&p.gw, "meetingID=test-meeting-1&fullName=x").await;
    r.assert_failed("notFound", None);

    // The least-loaded server still hangs: the meeting lands on the next one.
    ok.set_mode(Mode::Normal);
    create_ok(&p.gw, q).await;
    assert_eq!(hung.requests_for("create").len(), 2);
    assert_sent(&ok, q);
    assert_eq!(p.loads().await, [0.0, 3.0]);
    let r = join(&p.gw, "meetingID=test-meeting-1&fullName=x").await;
    assert_on(&r, &ok);
    hung.stop().await;
}

/// §12.1 31, 37, 38: tags choose among servers before load does; untagged meetings never
/// land on tagged servers.
#[tokio::test]
async fn tags_place_meetings() {
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
    let p = pool(&servers, &[EXT]).await;

    // Required tag: C although B is less loaded; the tag is forwarded without its `!`.
    let q = "meetingID=t38&moderatorPW=mp&voiceBridge=1000001&meta_server-tag=test-tag";
    create_ok(&p.gw, &format!("{q}!")).await;
    assert_sent(&c, q);
    // Optional tag nobody has: untagged B (not A, the least loaded), tag not forwarded.
    let q = "meetingID=t37&moderatorPW=mp&voiceBridge=1000002";
    create_ok(&p.gw, &format!("{q}&meta_server-tag=missing-tag")).await;
    assert_sent(&b, q);
    let q = "meetingID=plain&moderatorPW=mp&voiceBridge=1000003";
    create_ok(&p.gw, q).await;
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

/// §12.1 43, 47, 48, 73, 75, 78, 79: exclusions, defaults and overrides of create and join.
#[tokio::test]
async fn parameter_policies_shape_create_and_join() {
    let s = sim("secret-1").await;
    let env = [
        EXT,
        ("CREATE_EXCLUDE_PARAMS", "test4,test2"),
        ("DEFAULT_CREATE_PARAMS", "param1=not-param1,param2=param2"),
        ("OVERRIDE_CREATE_PARAMS", "param3=param3,param4=param4"),
        ("JOIN_EXCLUDE_PARAMS", "test1,test2"),
        ("DEFAULT_JOIN_PARAMS", "param1=not-param1,param2=param2"),
        ("OVERRIDE_JOIN_PARAMS", "param3=param3,param4=param4"),
    ];
    let p = pool(&[(&s, json!({}))], &env).await;
    let client = "param1=param1&param3=not-param3";
    // Default-only keys first, client values beat defaults, overrides beat the client.
    let merged = "param1=param1&param3=param3&param4=param4";
    let q = "meetingID=test-meeting-1&moderatorPW=test-password&voiceBridge=1234567";
    let excluded = q.replacen('&', "&test4=&test2=&", 1);
    create_ok(&p.gw, &format!("{excluded}&{client}")).await;
    assert_sent(&s, &format!("param2=param2&{q}&{merged}"));
    assert_eq!(p.loads().await, [1.0]);

    let q = "meetingID=test-meeting-1&password=test-password&fullName=test-name";
    let r = join(&p.gw, &format!("{q}&test1=&test2=&{client}")).await;
    assert_eq!(r.status, 302, "{}", r.body);
    let expected = join_url(&format!("param2=param2&{q}&{merged}"), &s);
    assert_eq!(r.location(), expected);
}

/// POST with `content_type` and `body`; returns the answer's body.
async fn post(gw: &Gateway, url: &str, content_type: &str, body: &str) -> String {
    let r = gw.http.post(url).header("content-type", content_type);
    let r = r.body(body.to_string()).send().await.expect("post");
    r.text().await.unwrap_or_default()
}

/// §12.1 49, 50: a form POST becomes an upstream GET; pre-uploaded slides are POSTed on as is.
#[tokio::test]
async fn create_by_post_form_and_with_slides() {
    let s = sim("secret-1").await;
    let p = pool(&[(&s, json!({}))], &[EXT]).await;
    // The parameters are all in the body: the checksum covers `create` and an empty query.
    let (url, form_type) = (p.gw.api("create", ""), "application/x-www-form-urlencoded");
    let form = "meetingID=test-meeting-1&moderatorPW=mp&voiceBridge=123";
    let ok = "<returncode>SUCCESS</returncode>";
    let body = post(&p.gw, &url, form_type, form).await;
    assert!(body.contains(ok), "{body}");
    assert_sent(&s, form);
    assert_eq!(p.loads().await, [1.0]);

    let slides = r#"<modules><module name="presentation"><document url="http://example.com/sample.pdf" filename="sample.pdf"/></module></modules>"#;
    let q = "meetingID=test-meeting-2&moderatorPW=mp&voiceBridge=124";
    let body = post(&p.gw, &p.gw.api("create", q), "text/xml", slides).await;
    assert!(body.contains(ok), "{body}");
    let c = s.requests_for("create").pop().expect("create");
    assert_eq!(c.method, "POST");
    assert_eq!(c.content_type.as_deref(), Some("application/xml"));
    assert_eq!(c.raw_query, upstream("create", q, &s));
    assert_eq!(c.body, slides.as_bytes());
    assert!(c.checksum_ok);
    assert_eq!(p.loads().await, [2.0]);
}

/// §12.1 33, 34: a meeting pinned to a cordoned server stays only while BBB says it runs.
#[tokio::test]
async fn recreate_on_a_cordoned_server() {
    let (s, c) = (sim("secret-s").await, sim("secret-c").await);
    s.add_meeting("busy", 5, 0);
    let p = pool(&[(&s, json!({})), (&c, json!({}))], &[EXT]).await;
    let q33 = "meetingID=m33&moderatorPW=mp&voiceBridge=1000033";
    let q34 = "meetingID=m34&moderatorPW=mp&voiceBridge=1000034";
    create_ok(&p.gw, q33).await;
    create_ok(&p.gw, q34).await;
    assert_eq!(creates(&c).len(), 2);
    set_state(&p.gw, &p.ids[1], "cordon").await;

    c.end_meeting("m33");
    create_ok(&p.gw, q33).await;
    assert_sent(&s, q33);
    assert_on(&join(&p.gw, "meetingID=m33&fullName=x").await, &s);

    create_ok(&p.gw, q34).await;
    assert_eq!(creates(&c).len(), 3);
    assert_sent(&c, q34);
    assert_on(&join(&p.gw, "meetingID=m34&fullName=x").await, &c);
    let asked = c.requests_for("isMeetingRunning");
    let asked: Vec<_> = asked.into_iter().map(|r| r.raw_query).collect();
    let running = |m: &str| upstream("isMeetingRunning", &format!("meetingID={m}"), &c);
    assert_eq!(asked, [running("m33"), running("m34")]);
    assert_eq!(creates(&s).len(), 1);
}

/// §12.1 77. When the poller marks a server offline it forgets the server's meetings one by one
/// while it ends them on BBB (as Scalelite does): until a meeting is forgotten its joins are
/// refused, afterwards it is unknown.
#[tokio::test]
async fn join_on_a_server_the_poller_marked_offline_is_refused() {
    let s = sim("secret-1").await;
    let gw = Gateway::start(&[("RESPONSE_TIMEOUT", "1")]).await;
    let id = gw.add_server(&s).await;
    let meetings = ["o1", "o2", "o3"];
    for m in meetings {
        create_ok(&gw, &format!("meetingID={m}")).await;
    }
    // A hung server keeps each `end` of the clean-up waiting, so the meetings go slowly.
    s.set_mode(Mode::Hang);
    gw.wait_server(&id, |s| s["online"] == "offline").await;
    let mut answers = Vec::new();
    for m in meetings {
        answers.push(join(&gw, &format!("meetingID={m}&fullName=x")).await);
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
        key(&join(&gw, "meetingID=o3&fullName=x").await) == "notFound"
    })
    .await;
}
