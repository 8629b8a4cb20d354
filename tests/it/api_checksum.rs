//! Incoming checksums, the checksum policy (LOADBALANCER_SECRETS, LOADBALANCER_CHECKSUM_ALGORITHM),
//! routing to `unsupportedRequest` and the content-type rules, over HTTP against the real binary
//! (behaviour doc §1.1, §2.1, §2.4, §12.1 1–3, 9, 11, 18–19, 80, 90–91, 110–111).
use crate::common::*;
use scalelite::bbb::Algorithm;
use serde_json::{json, Value};

const ALL: [Algorithm; 4] = [
    Algorithm::Sha1,
    Algorithm::Sha256,
    Algorithm::Sha384,
    Algorithm::Sha512,
];

fn digest(algo: Algorithm, parts: &[&str]) -> String {
    let bytes: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
    algo.hex_digest(&bytes)
}

/// The checksum at the end of a query the load balancer sent upstream.
fn checksum_of(raw_query: &str) -> String {
    raw_query
        .rsplit("checksum=")
        .next()
        .unwrap_or_default()
        .to_string()
}

on_both_stores!(incoming_checksums_are_checked);
/// §12.1 90, 91, 110, 111 and §2.1: any of the four algorithms (SHA384 too, unlike Scalelite:
/// quirk Q2 is fixed), in lower-case hex, over the exact query, with a configured secret.
async fn incoming_checksums_are_checked(store: Store) {
    let gw = Gateway::start_on(&store, &[]).await;
    let q = "meetingID=m%201&fullName=a+b";
    for algo in ALL {
        let r = gw
            .get_url(&gw.api_signed("isMeetingRunning", q, SECRET, algo))
            .await;
        assert_eq!(r.returncode(), "SUCCESS", "{algo:?}: {}", r.body);
        assert_eq!(r.xml("running").as_deref(), Some("false"));
    }
    let good = gw.api("isMeetingRunning", q);
    let upper = {
        let (base, sum) = good.split_once("checksum=").expect("checksum");
        format!("{base}checksum={}", sum.to_uppercase())
    };
    let refused = [
        upper,
        gw.api_signed("isMeetingRunning", q, "wrong", Algorithm::Sha256),
        good.replace("m%201", "m%202"), // another query
        good.replace("isMeetingRunning", "getMeetingInfo"), // another action
        gw.url(&format!("{API}isMeetingRunning?{q}")), // no checksum
        gw.url(&format!("{API}isMeetingRunning?{q}&checksum=")),
        gw.url(&format!("{API}getMeetings")),
        gw.url(&format!("{API}getRecordings")),
        gw.url(&format!("{API}publishRecordings")),
        gw.url(&format!("{API}getRecordings?checksum={}", "x".repeat(40))),
        gw.url(&format!(
            "{API}publishRecordings?checksum={}",
            "x".repeat(40)
        )),
    ];
    for url in refused {
        gw.get_url(&url)
            .await
            .assert_failed("checksumError", Some(CHECKSUM_ERROR));
    }
}

on_both_stores!(form_body_checksums_and_additional_secrets);
/// §12.1 18, 19: parameters and checksum in a form body; only the (empty) query is hashed. A
/// secret from LOADBALANCER_SECRETS works like LOADBALANCER_SECRET.
async fn form_body_checksums_and_additional_secrets(store: Store) {
    let s = sim("sim-secret").await;
    let gw = Gateway::start_on(&store, &[("LOADBALANCER_SECRETS", "test-2:test-3")]).await;
    gw.add_server(&s).await;
    for m in ["SHA1_meeting", "SHA256_meeting"] {
        gw.create_ok(&format!("meetingID={m}")).await;
    }
    let url = gw.url(&format!("{API}getMeetingInfo"));
    let sha1 = digest(Algorithm::Sha1, &["getMeetingInfo", "test-2"]);
    let body = format!("meetingID=SHA1_meeting&checksum={sha1}");
    let r = gw.send("POST", &url, Some(FORM), &body).await;
    r.assert_xml("meetingID", "SHA1_meeting");
    let sha256 = digest(Algorithm::Sha256, &["getMeetingInfo", SECRET]);
    let body = format!("meetingID=SHA256_meeting&checksum={sha256}");
    let r = gw.send("POST", &url, Some(FORM), &body).await;
    r.assert_xml("meetingID", "SHA256_meeting");

    // The body is never part of the hashed string.
    let over_body = digest(
        Algorithm::Sha256,
        &["getMeetingInfo", "meetingID=SHA1_meeting", SECRET],
    );
    let body = format!("meetingID=SHA1_meeting&checksum={over_body}");
    let r = gw.send("POST", &url, Some(FORM), &body).await;
    r.assert_failed("checksumError", Some(CHECKSUM_ERROR));

    let q = "meetingID=SHA1_meeting";
    let r = gw
        .get_url(&gw.api_signed("getMeetingInfo", q, "test-3", Algorithm::Sha512))
        .await;
    r.assert_xml("meetingID", "SHA1_meeting");
    let r = gw
        .get_url(&gw.api_signed("getMeetingInfo", q, "test-4", Algorithm::Sha1))
        .await;
    r.assert_failed("checksumError", Some(CHECKSUM_ERROR));
}

on_both_stores!(sha256_only_policy);
/// §2.1 step 4, §2.4: only the listed algorithms are accepted; the strongest signs upstream.
async fn sha256_only_policy(store: Store) {
    let s = sim("sim-secret").await;
    let gw = Gateway::start_on(&store, &[("LOADBALANCER_CHECKSUM_ALGORITHM", "SHA256")]).await;
    gw.add_server(&s).await;
    for algo in [Algorithm::Sha1, Algorithm::Sha384, Algorithm::Sha512] {
        let url = gw.api_signed("create", "meetingID=m1", SECRET, algo);
        gw.get_url(&url)
            .await
            .assert_failed("checksumError", Some(CHECKSUM_ERROR));
    }
    assert!(s.requests_for("create").is_empty());
    gw.create_ok("meetingID=m1").await;
    let sent = s.requests_for("create");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].checksum_ok, "{:?}", sent[0]);
    assert_eq!(checksum_of(&sent[0].raw_query).len(), 64);
    let polls = s.requests_for("getMeetings");
    assert!(!polls.is_empty() && polls.iter().all(|p| checksum_of(&p.raw_query).len() == 64));
}

/// An admin call signed with `algo`.
async fn admin(
    gw: &Gateway,
    action: &str,
    query: &str,
    algo: Algorithm,
    body: Option<Value>,
) -> Value {
    let url = gw.admin_signed(action, query, SECRET, algo);
    let req = match body {
        Some(b) => gw.http.post(url).json(&b),
        None => gw.http.get(url),
    };
    gw.call(req).await.json()
}

on_both_stores!(sha1_sha512_policy_signs_upstream_with_sha512);
/// `SHA1:SHA512`: SHA1 and SHA512 in, SHA512 out (create, poll, join redirect).
async fn sha1_sha512_policy_signs_upstream_with_sha512(store: Store) {
    let s = sim("sim-secret").await;
    let gw = Gateway::start_on(
        &store,
        &[("LOADBALANCER_CHECKSUM_ALGORITHM", "SHA1:SHA512")],
    )
    .await;
    // The admin API follows the same policy: the harness's SHA256 signature is refused.
    gw.admin_get("getServers", "")
        .await
        .assert_failed("checksumError", Some(CHECKSUM_ERROR));
    let server = json!({ "server": { "url": s.url(), "secret": s.secret() } });
    let id = admin(&gw, "addServer", "", Algorithm::Sha512, Some(server)).await["id"].clone();
    let id = id.as_str().expect("id").to_string();
    let enable = json!({ "id": id, "server": { "state": "enable" } });
    admin(&gw, "updateServer", "", Algorithm::Sha1, Some(enable)).await;
    let q = format!("id={id}");
    eventually("server online", || async {
        let info = admin(&gw, "getServerInfo", &q, Algorithm::Sha512, None).await;
        info["online"] == "online" && info["load"].is_number()
    })
    .await;

    let url = gw.api_signed("create", "meetingID=m1", SECRET, Algorithm::Sha256);
    gw.get_url(&url)
        .await
        .assert_failed("checksumError", Some(CHECKSUM_ERROR));
    let url = gw.api_signed("create", "meetingID=m1", SECRET, Algorithm::Sha1);
    assert_eq!(gw.get_url(&url).await.returncode(), "SUCCESS");
    let sent = s.requests_for("create");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].checksum_ok, "{:?}", sent[0]);
    let (q, sum) = sent[0].raw_query.split_once("&checksum=").expect("signed");
    assert_eq!(sum, digest(Algorithm::Sha512, &["create", q, &s.secret()]));
    let poll = s.requests_for("getMeetings").pop().expect("a poll");
    assert_eq!(checksum_of(&poll.raw_query).len(), 128);

    let q = "meetingID=m1&fullName=x";
    let r = gw
        .get_url(&gw.api_signed("join", q, SECRET, Algorithm::Sha512))
        .await;
    let expected = digest(Algorithm::Sha512, &["join", q, &s.secret()]);
    assert_eq!(
        r.location(),
        format!("{}join?{q}&checksum={expected}", s.url())
    );
}

on_both_stores!(index_needs_no_checksum);
/// §12.1 1–3: the index needs no checksum.
async fn index_needs_no_checksum(store: Store) {
    let gw = Gateway::start_on(&store, &[]).await;
    for (method, path) in [
        ("GET", "/bigbluebutton/api"),
        ("POST", "/bigbluebutton/api/"),
    ] {
        let r = gw.send(method, &gw.url(path), None, "").await;
        assert_eq!(
            (r.status, r.returncode()),
            (200, "SUCCESS".to_string()),
            "{}",
            r.body
        );
        assert_eq!(r.xml("version").as_deref(), Some("2.0"));
        assert!(!r.body.contains("<build>"), "{}", r.body);
    }
    let gw = Gateway::start_on(&store, &[("BUILD_NUMBER", "alpha-1")]).await;
    let r = gw.get_url(&gw.url("/bigbluebutton/api")).await;
    assert_eq!(r.returncode(), "SUCCESS", "{}", r.body);
    assert_eq!(r.xml("version").as_deref(), Some("2.0"));
    assert_eq!(r.xml("build").as_deref(), Some("alpha-1"));
}

on_both_stores!(unknown_paths_and_methods_are_unsupported);
/// §1.0 and §12.1 80: unknown paths and wrong methods reach the catch-all, correctly signed or not.
async fn unknown_paths_and_methods_are_unsupported(store: Store) {
    let gw = Gateway::start_on(&store, &[]).await;
    let calls = [
        ("POST", gw.api("join", "meetingID=m1&fullName=x")),
        ("GET", gw.api("insertDocument", "meetingID=m1")),
        (
            "GET",
            gw.api_signed("getMeetings.xml", "", SECRET, Algorithm::Sha256),
        ),
        ("PUT", gw.api("create", "meetingID=m1")),
        ("DELETE", gw.api("getMeetings", "")),
        ("GET", gw.url("/bigbluebutton/api/create/extra")),
        ("GET", gw.url("/nothing/here")),
    ];
    for (method, url) in calls {
        let r = gw.send(method, &url, None, "").await;
        assert_eq!(
            r.headers["content-type"], "application/xml; charset=utf-8",
            "{method} {url}"
        );
        r.assert_failed("unsupportedRequest", Some(UNSUPPORTED));
    }
}

on_both_stores!(post_content_types);
/// §1.1: a non-empty POST body needs an accepted content type (checked before the checksum);
/// an empty body is always fine.
async fn post_content_types(store: Store) {
    let gw = Gateway::start_on(&store, &[]).await;
    let info = gw.api("getMeetingInfo", "meetingID=m1");
    let insert = gw.api("insertDocument", "meetingID=m1");
    let unsigned = gw.url(&format!("{API}getMeetingInfo?meetingID=m1"));
    let refused = [
        (&info, None, "meetingID=m1"),
        (&info, Some("application/json"), "{}"),
        (&info, Some("text/xml"), "<x/>"),
        (&unsigned, None, "meetingID=m1"),
        (&insert, Some(FORM), "meetingID=m1"),
        (&insert, Some("text/plain"), "<modules/>"),
    ];
    for (url, ctype, body) in refused {
        let r = gw.send("POST", url, ctype, body).await;
        r.assert_failed("unsupportedContentType", Some(CONTENT_TYPE));
    }
    // An empty body needs no content type; multipart and XML with a charset are accepted too.
    let accepted = [
        (&info, None, ""),
        (&info, Some("application/json"), ""),
        (&insert, Some(FORM), ""),
        (&insert, None, ""),
        (&info, Some("multipart/form-data; boundary=x"), "--x--\r\n"),
        (
            &insert,
            Some("application/xml; charset=utf-8"),
            "<modules/>",
        ),
    ];
    for (url, ctype, body) in accepted {
        let r = gw.send("POST", url, ctype, body).await;
        r.assert_failed("notFound", None);
    }
}

on_both_stores!(get_meetings_can_be_disabled);
/// §12.1 9, 11: GET_MEETINGS_API_DISABLED answers "no meetings" without looking at the checksum.
async fn get_meetings_can_be_disabled(store: Store) {
    let s = sim("sim-secret").await;
    s.add_meeting("running", 3, 1);
    let gw = Gateway::start_on(&store, &[("GET_MEETINGS_API_DISABLED", "TRUE")]).await;
    gw.add_server(&s).await;
    let unsigned = gw.url(&format!("{API}getMeetings"));
    let wrong = gw.api_signed("getMeetings", "", "wrong-secret", Algorithm::Sha256);
    for (method, url) in [("GET", &unsigned), ("POST", &unsigned), ("GET", &wrong)] {
        let r = gw.send(method, url, None, "").await;
        r.assert_no_meetings();
        assert!(
            r.body.contains("<meetings/>") && !r.body.contains("running"),
            "{}",
            r.body
        );
    }
}
