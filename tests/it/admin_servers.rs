//! Black-box tests of the admin API's server calls (behaviour-doc §12.2 lines 1–23, §1.3):
//! JSON bodies and status codes, checksum and content-type rules, cordon, panic and delete.
use crate::common::*;
use scalelite::bbb::Algorithm;
use serde_json::json;

/// The fields of a server object, sorted.
const KEYS: &str = "bbb_version id load load_multiplier online secret state tag url";
/// A server URL nobody answers on (the poller just finds it offline).
const DEAD_URL: &str = "http://127.0.0.1:1/bigbluebutton/api/";

async fn add_dead(gw: &Gateway) -> String {
    let r = gw
        .admin_post(
            "addServer",
            json!({ "server": { "url": DEAD_URL, "secret": "s" } }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}

async fn server_count(gw: &Gateway) -> usize {
    server_count_with(gw, SECRET).await
}

/// Which of the simulators holds `meeting`.
fn owner(sims: &[&BbbSimulator], meeting: &str) -> usize {
    sims.iter()
        .position(|s| s.meeting(meeting).is_some())
        .expect("some server has the meeting")
}

on_both_stores!(get_servers_shows_every_field);
async fn get_servers_shows_every_field(store: Store) {
    // §12.2 lines 1 and 2.
    let gw = Gateway::start_on(&store, &[]).await;
    let r = gw.admin_get("getServers", "").await;
    r.assert_error(404, "No servers are configured");
    let sims = [
        BbbSimulator::start("s1").await.unwrap(),
        BbbSimulator::start("s2").await.unwrap(),
        BbbSimulator::start("s3").await.unwrap(),
    ];
    let mut ids = Vec::new();
    for (i, sim) in sims.iter().enumerate() {
        let tag = [json!({ "tag": "t1" }), json!({}), json!({})][i].clone();
        let id = gw.add_server_with(sim, tag).await;
        gw.wait_server(&id, |s| s["bbb_version"] == "3.0.0").await;
        ids.push(id);
    }
    let r = gw.admin_get("getServers", "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let list = r.json().as_array().cloned().unwrap();
    assert_eq!(list.len(), 3, "{}", r.body);
    for (i, sim) in sims.iter().enumerate() {
        let s = list
            .iter()
            .find(|s| s["id"] == ids[i].as_str())
            .expect("listed");
        let mut keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys.join(" "), KEYS, "{s}");
        assert_eq!(s["url"], sim.url().as_str());
        assert_eq!(s["secret"], sim.secret().as_str());
        assert_eq!(s["tag"], if i == 0 { "t1" } else { "" });
        assert_eq!(s["bbb_version"], "3.0.0");
        assert_eq!(s["state"], "enabled");
        assert!(s["load"].is_number(), "{s}");
        assert_eq!(s["load_multiplier"], "1.0");
        assert_eq!(s["online"], "online");
    }
}

on_both_stores!(add_server);
async fn add_server(store: Store) {
    // §12.2 lines 3–6; a new server is disabled, offline and without a load until enabled and polled.
    let gw = Gateway::start_on(&store, &[]).await;
    let body = json!({ "server": { "url": DEAD_URL, "secret": "supersecret", "load_multiplier": 1.5, "tag": "test-tag" } });
    let r = gw.admin_post("addServer", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let s = r.json();
    let id = s["id"].as_str().expect("id").to_string();
    let want = json!({
        "id": id, "url": DEAD_URL, "secret": "supersecret", "tag": "test-tag", "bbb_version": "",
        "state": "disabled", "load": "unavailable", "load_multiplier": "1.5", "online": "offline",
    });
    assert_eq!(s, want);
    assert_eq!(gw.server_info(&id).await, want);
    assert_eq!(server_count(&gw).await, 1);

    let r = gw
        .admin_post(
            "addServer",
            json!({ "server": { "url": DEAD_URL, "secret": "supersecret" } }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["load_multiplier"], "1.0");
    assert_eq!(r.json()["tag"], "");
    assert_eq!(server_count(&gw).await, 2);

    for server in [
        json!({ "url": DEAD_URL }),
        json!({ "secret": "supersecret" }),
    ] {
        let r = gw
            .admin_post("addServer", json!({ "server": server }))
            .await;
        r.assert_error(400, "Server needs a URL and a secret");
    }
    assert_eq!(server_count(&gw).await, 2);

    // No JSON body at all: Rails' parameter-missing error, as XML.
    let r = gw.get_url(&gw.admin("addServer", "")).await;
    r.assert_failed("unsupportedRequest", Some(UNSUPPORTED));
    let r = gw.call(gw.http.post(gw.admin("addServer", ""))).await;
    r.assert_failed(
        "internalError",
        Some("param is missing or the value is empty: server"),
    );
    assert_eq!(server_count(&gw).await, 2);
}

on_both_stores!(add_server_with_hostname_ids);
async fn add_server_with_hostname_ids(store: Store) {
    let gw = Gateway::start_on(&store, &[("SERVER_ID_IS_HOSTNAME", "true")]).await;
    let r = gw
        .admin_post(
            "addServer",
            json!({ "server": { "url": "http://LocalHost:1/bigbluebutton/api/", "secret": "s" } }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["id"], "localhost");
    // Scalelite answers 500 here (quirk); we refuse with a JSON client error.
    let r = gw
        .admin_post(
            "addServer",
            json!({ "server": { "url": "http://localhost:2/other/", "secret": "t" } }),
        )
        .await;
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.body);
    assert!(r.json()["error"].is_string(), "{}", r.body);
    assert_eq!(server_count(&gw).await, 1);
    assert_eq!(gw.server_info("localhost").await["secret"], "s");
}

on_both_stores!(update_server);
async fn update_server(store: Store) {
    // §12.2 lines 7–14, plus unknown ids and a missing body.
    let gw = Gateway::start_on(&store, &[]).await;
    let id = add_dead(&gw).await;
    for (state, shown) in [
        ("enable", "enabled"),
        ("cordon", "cordoned"),
        ("disable", "disabled"),
    ] {
        let r = gw.update_server(&id, json!({ "state": state })).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            (r.json()["id"].as_str(), r.json()["state"].as_str()),
            (Some(id.as_str()), Some(shown))
        );
        assert_eq!(gw.server_info(&id).await["state"], shown);
    }
    let r = gw
        .update_server(&id, json!({ "state": "invalid_state" }))
        .await;
    r.assert_error(400, "Invalid state parameter: invalid_state");

    let r = gw
        .update_server(&id, json!({ "load_multiplier": "2.5" }))
        .await;
    assert_eq!(
        (r.status, &r.json()["load_multiplier"]),
        (200, &json!("2.5"))
    );
    let r = gw.update_server(&id, json!({ "load_multiplier": 0 })).await;
    r.assert_error(400, "Load-multiplier must be a non-zero number");
    assert_eq!(gw.server_info(&id).await["load_multiplier"], "2.5");

    let r = gw.update_server(&id, json!({ "tag": "test-tag" })).await;
    assert_eq!((r.status, &r.json()["tag"]), (200, &json!("test-tag")));
    assert_eq!(gw.server_info(&id).await["tag"], "test-tag");
    let r = gw.update_server(&id, json!({ "tag": "" })).await;
    assert_eq!((r.status, &r.json()["tag"]), (200, &json!("")));
    assert_eq!(gw.server_info(&id).await["tag"], "");

    let r = gw
        .update_server("nonexistent-id", json!({ "state": "enable" }))
        .await;
    r.assert_error(404, "Couldn't find server with id=nonexistent-id");
    let url = gw.admin("updateServer", &format!("id={id}"));
    let r = gw.call(gw.http.post(url)).await;
    r.assert_error(400, "param is missing or the value is empty: server");
}

on_both_stores!(delete_server);
async fn delete_server(store: Store) {
    // §12.2 lines 15 and 16; meetings of a deleted server are gone for clients (Q26).
    let sim = BbbSimulator::start("s").await.unwrap();
    let gw = Gateway::start_on(&store, &[]).await;
    let id = gw.add_server(&sim).await;
    gw.create_ok("meetingID=M&moderatorPW=pw").await;
    let r = gw.admin_post("deleteServer", json!({ "id": id })).await;
    r.assert_json(
        200,
        json!({ "success": format!("Server id={id} was destroyed") }),
    );
    let r = gw.admin_get("getServers", "").await;
    assert_eq!(r.status, 404, "{}", r.body);
    gw.get("getMeetingInfo", "meetingID=M")
        .await
        .assert_failed("notFound", Some(NOT_FOUND));
    gw.get("join", "meetingID=M&fullName=x&role=VIEWER")
        .await
        .assert_failed("notFound", Some(NOT_FOUND));

    let r = gw
        .admin_post("deleteServer", json!({ "id": "nonexistent-id" }))
        .await;
    r.assert_error(404, "Couldn't find server with id=nonexistent-id");
}

on_both_stores!(panic_server_ends_every_meeting);
async fn panic_server_ends_every_meeting(store: Store) {
    // §12.2 lines 17, 18 and 19.
    let sim = BbbSimulator::start("s").await.unwrap();
    let gw = Gateway::start_on(&store, &[]).await;
    let id = gw.add_server(&sim).await;
    for m in ["M1", "M2"] {
        gw.create_ok(&format!("meetingID={m}&moderatorPW=pw")).await;
    }
    let r = gw.admin_post("panicServer", json!({ "id": id })).await;
    let success = json!({ "success": format!("Server id={id} has been disabled and the meetings have been destroyed") });
    r.assert_json(200, success.clone());
    assert!(sim.meetings().is_empty(), "{:?}", sim.meetings());
    let q = sim.requests_for("end");
    let mut ends: Vec<_> = q
        .iter()
        .map(|q| (q.param("meetingID"), q.param("password"), q.checksum_ok))
        .collect();
    ends.sort();
    assert_eq!(
        ends,
        [
            (Some("M1"), Some("pw"), true),
            (Some("M2"), Some("pw"), true)
        ]
    );
    for m in ["M1", "M2"] {
        gw.get("getMeetingInfo", &format!("meetingID={m}"))
            .await
            .assert_failed("notFound", Some(NOT_FOUND));
    }
    assert_eq!(gw.server_info(&id).await["state"], "disabled");

    // keep_state: the meetings go, the state stays.
    let r = gw.update_server(&id, json!({ "state": "enable" })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    gw.wait_server(&id, |s| s["load"].is_number()).await;
    gw.create_ok("meetingID=M3&moderatorPW=pw").await;
    let r = gw
        .admin_post("panicServer", json!({ "id": id, "keep_state": true }))
        .await;
    r.assert_json(200, success);
    assert!(sim.meeting("M3").is_none());
    gw.get("getMeetingInfo", "meetingID=M3")
        .await
        .assert_failed("notFound", Some(NOT_FOUND));
    assert_eq!(gw.server_info(&id).await["state"], "enabled");

    let r = gw
        .admin_post("panicServer", json!({ "id": "nonexistent_id" }))
        .await;
    r.assert_error(404, "Couldn't find server with id=nonexistent_id");
}

on_both_stores!(cordon_keeps_meetings_until_they_end);
async fn cordon_keeps_meetings_until_they_end(store: Store) {
    // §5.3: a cordoned server keeps its meetings joinable, gets no new ones, and is disabled by
    // the poller once its last meeting ended.
    let sims = [
        BbbSimulator::start("a").await.unwrap(),
        BbbSimulator::start("b").await.unwrap(),
    ];
    let gw = Gateway::start_on(&store, &[]).await;
    let ids = [gw.add_server(&sims[0]).await, gw.add_server(&sims[1]).await];
    gw.create_ok("meetingID=m1&moderatorPW=pw").await;
    let o = owner(&[&sims[0], &sims[1]], "m1");
    // Wait for a poll that saw m1, so no earlier poll (load 0) can disable the cordoned server.
    gw.wait_server(&ids[o], |s| s["load"].as_f64().is_some_and(|l| l >= 15.0))
        .await;
    let r = gw
        .update_server(&ids[o], json!({ "state": "cordon" }))
        .await;
    assert_eq!(r.json()["state"], "cordoned", "{}", r.body);

    gw.join("meetingID=m1&fullName=Jane&password=pw")
        .await
        .assert_redirects_to(&sims[o]);
    gw.create_ok("meetingID=m2&moderatorPW=pw").await;
    assert!(sims[1 - o].meeting("m2").is_some() && sims[o].meeting("m2").is_none());
    assert_eq!(gw.server_info(&ids[o]).await["state"], "cordoned");

    sims[o].end_meeting("m1");
    gw.wait_server(&ids[o], |s| s["state"] == "disabled").await;
    assert_eq!(gw.server_info(&ids[1 - o]).await["state"], "enabled");
}

on_both_stores!(admin_checksums_and_content_type);
async fn admin_checksums_and_content_type(store: Store) {
    // §12.2 lines 20–23: real checksums (SHA1 and SHA256), a wrong secret, a non-JSON body.
    let server = json!({ "server": { "url": DEAD_URL, "secret": "supersecret" } });
    for (secret, sha1) in [("sha1-secret", true), ("sha256-secret", false)] {
        let algo = if sha1 {
            Algorithm::Sha1
        } else {
            Algorithm::Sha256
        };
        let gw = Gateway::start_on(&store, &[("LOADBALANCER_SECRET", secret)]).await;
        let add = |secret: &str| gw.http.post(gw.admin_signed("addServer", "", secret, algo));
        let r = gw.call(add(secret).json(&server)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.json()["url"], DEAD_URL);
        if !sha1 {
            continue;
        }
        let r = gw.call(add("sha1-secret-incorrect").json(&server)).await;
        r.assert_failed("checksumError", Some(CHECKSUM_ERROR));
        let form = add(secret).header("content-type", FORM);
        let r = gw.call(form.body("url=x&secret=y")).await;
        r.assert_failed("unsupportedContentType", Some(CONTENT_TYPE));
        assert_eq!(server_count_with(&gw, secret).await, 1);
    }
}

/// Number of servers, asking with a non-default LOADBALANCER secret (SHA256).
async fn server_count_with(gw: &Gateway, secret: &str) -> usize {
    let url = gw.admin_signed("getServers", "", secret, Algorithm::Sha256);
    gw.get_url(&url).await.json().as_array().map_or(0, Vec::len)
}

on_both_stores!(rails_style_inputs_are_understood);
async fn rails_style_inputs_are_understood(store: Store) {
    // Rails reads a JSON body on a GET, and builds `server` from `server[key]=` query params.
    let gw = Gateway::start_on(&store, &[]).await;
    let query = "server%5Burl%5D=http%3A%2F%2Fbbb.example.com%2Fbigbluebutton%2Fapi%2F&server%5Bsecret%5D=s3cret&server%5Btag%5D=eu";
    let r = gw
        .send("POST", &gw.admin("addServer", query), None, "")
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    assert_eq!(created["url"], "http://bbb.example.com/bigbluebutton/api/");
    assert_eq!(created["secret"], "s3cret");
    assert_eq!(created["tag"], "eu");
    let id = created["id"].as_str().expect("id").to_string();
    let body = serde_json::json!({ "id": id }).to_string();
    let r = gw
        .send(
            "GET",
            &gw.admin("getServerInfo", ""),
            Some("application/json"),
            &body,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["id"], id.as_str());
}

on_both_stores!(a_server_added_and_enabled_is_polled_at_once);
async fn a_server_added_and_enabled_is_polled_at_once(store: Store) {
    // With an hour between polls, the admin change itself must trigger the poll that brings
    // the new server online with a load, so it takes meetings right away.
    let sim = BbbSimulator::start("now-secret").await.expect("simulator");
    let gw = Gateway::start_on(&store, &[("POLL_INTERVAL", "3600")]).await;
    let id = gw.add_server(&sim).await;
    let info = gw.server_info(&id).await;
    assert_eq!(info["online"], "online", "{info}");
    gw.create_ok("meetingID=right-away").await;
    assert!(sim.meeting("right-away").is_some());
}
