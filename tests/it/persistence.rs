//! Restart persistence through the real binary (SIGKILL, then the same data dir, port and, on
//! Redis, namespace): servers with their state, tag and multiplier, meeting placement and voice
//! bridges survive, deletions stay deleted; servers declared in the YAML file (SCALELITE_CONFIG)
//! are seeded and used; `scalelite serve --test` validates the configuration without starting
//! (no store involved: those run once).
use crate::common::*;
use serde_json::json;
use std::process::{Command, Output};

/// The voiceBridge of the last create the simulator received for `meeting`.
fn bridge_sent(sim: &BbbSimulator, meeting: &str) -> Option<String> {
    sim.requests_for("create")
        .iter()
        .rev()
        .find(|r| r.param("meetingID") == Some(meeting))
        .and_then(|r| r.param("voiceBridge").map(String::from))
}

/// The fields of a server an operator sets (load and online are the poller's).
fn settings(s: &serde_json::Value) -> serde_json::Value {
    json!([
        s["id"],
        s["url"],
        s["secret"],
        s["tag"],
        s["state"],
        s["load_multiplier"]
    ])
}

on_both_stores!(servers_and_meetings_survive_a_restart);
async fn servers_and_meetings_survive_a_restart(store: Store) {
    let a = BbbSimulator::start("secret-a").await.unwrap();
    let b = BbbSimulator::start("secret-b").await.unwrap();
    let c = BbbSimulator::start("secret-c").await.unwrap();
    // A poll interval of 1 s: a meeting wrongly brought back by the restart would be forgotten
    // by the poller only after two polls, so the check right after the restart sees it.
    let mut gw = Gateway::start_on(
        &store,
        &[
            ("USE_EXTERNAL_VOICE_BRIDGE", "true"),
            ("POLL_INTERVAL", "1"),
        ],
    )
    .await;
    let id_a = gw
        .add_server_with(&a, json!({ "load_multiplier": "2.5" }))
        .await;
    let id_b = gw.add_server_with(&b, json!({ "tag": "blue" })).await;
    let id_c = gw.add_server(&c).await;
    let r = gw.admin_post("deleteServer", json!({ "id": id_c })).await;
    assert_eq!(r.status, 200, "{}", r.body);

    gw.create_ok("meetingID=m1&name=M1&voiceBridge=71234").await;
    gw.create_ok("meetingID=m2&name=M2&meta_server-tag=blue")
        .await;
    gw.create_ok("meetingID=m3&name=M3").await;
    assert!(a.meeting("m1").is_some() && b.meeting("m2").is_some() && a.meeting("m3").is_some());
    assert_eq!(bridge_sent(&a, "m1").as_deref(), Some("71234"));
    gw.get("end", "meetingID=m3")
        .await
        .assert_key("sentEndMeetingRequest");
    // m2 keeps b loaded (a young meeting weighs 15), so the cordon is not turned into disabled.
    gw.set_state(&id_b, "cordon").await;
    let before = gw.admin_get("getServers", "").await.json();

    gw.restart().await;

    gw.join(&join_query("m3"))
        .await
        .assert_failed("notFound", None);
    gw.assert_joins_on("m1", &a).await;
    gw.assert_joins_on("m2", &b).await; // a cordoned server still takes joins
    gw.get("getMeetingInfo", "meetingID=m1")
        .await
        .assert_success();

    let after = gw.admin_get("getServers", "").await.json();
    let list = |v: &serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(settings)
            .collect::<Vec<_>>()
    };
    assert_eq!(list(&after), list(&before));
    let mut ids = vec![id_a.clone(), id_b.clone()];
    ids.sort();
    let got: Vec<&str> = after
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, ids, "the deleted server came back");
    let sa = gw.server_info(&id_a).await;
    assert_eq!(
        (sa["state"].as_str(), sa["load_multiplier"].as_str()),
        (Some("enabled"), Some("2.5")),
        "{sa}"
    );
    let sb = gw.server_info(&id_b).await;
    assert_eq!(
        (sb["state"].as_str(), sb["tag"].as_str()),
        (Some("cordoned"), Some("blue")),
        "{sb}"
    );
    assert_eq!(
        gw.admin_get("getServerInfo", &format!("id={id_c}"))
            .await
            .status,
        404
    );

    // Re-creating m1 keeps its stored voice bridge; a lost record would take the client's new one.
    gw.create_ok("meetingID=m1&name=M1&voiceBridge=79999").await;
    assert_eq!(bridge_sent(&a, "m1").as_deref(), Some("71234"));
    // New meetings still go to the enabled server.
    gw.create_ok("meetingID=m4&name=M4").await;
    assert!(a.meeting("m4").is_some());
}

on_both_stores!(servers_declared_in_the_config_file_are_seeded_and_used);
async fn servers_declared_in_the_config_file_are_seeded_and_used(store: Store) {
    let a = BbbSimulator::start("secret-a").await.unwrap();
    let off = BbbSimulator::start("secret-off").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scalelite.yaml");
    let yaml = format!(
        "servers:\n  - id: yaml-a\n    url: \"{}\"\n    secret: \"{}\"\n    load_multiplier: 1.5\n  \
         - id: yaml-off\n    url: \"{}\"\n    secret: \"{}\"\n    tag: green\n    enabled: false\n",
        a.url(),
        a.secret(),
        off.url(),
        off.secret()
    );
    std::fs::write(&path, yaml).unwrap();
    let mut gw = Gateway::start_on(&store, &[("SCALELITE_CONFIG", path.to_str().unwrap())]).await;

    let s = gw
        .wait_server("yaml-a", |s| {
            s["online"] == "online" && s["load"].is_number()
        })
        .await;
    assert_eq!(
        settings(&s),
        json!(["yaml-a", a.url(), "secret-a", "", "enabled", "1.5"])
    );
    // Never set: a JSON number, as Scalelite shows it (a stored multiplier is a string).
    let s = gw.server_info("yaml-off").await;
    assert_eq!(
        settings(&s),
        json!([
            "yaml-off",
            off.url(),
            "secret-off",
            "green",
            "disabled",
            1.0
        ])
    );
    gw.create_ok("meetingID=m1&name=M1").await;
    assert!(a.meeting("m1").is_some());
    gw.get("create", "meetingID=m2&name=M2&meta_server-tag=green!")
        .await
        .assert_failed("serverTagUnavailable", None);

    // Seeding a server that exists keeps the operator's state: a disabled one stays disabled.
    gw.set_state("yaml-a", "disable").await;
    gw.restart().await;
    assert_eq!(gw.server_info("yaml-a").await["state"], "disabled");
}

fn check_config(env: &[(&str, &str)], config: Option<&std::path::Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scalelite"));
    cmd.args(["serve", "--test"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOADBALANCER_SECRET", SECRET);
    if let Some(p) = config {
        cmd.arg("--config").arg(p);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run scalelite serve --test")
}

#[test]
fn serve_test_lists_every_problem_and_exits_non_zero() {
    let out = check_config(
        &[("PORT", "abc"), ("LOADBALANCER_CHECKSUM_ALGORITHM", "md5")],
        None,
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("- "))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("PORT") && l.contains("abc")),
        "{stderr}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("LOADBALANCER_CHECKSUM_ALGORITHM") && l.contains("md5")),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, "bogus_key: 1\n").unwrap();
    let out = check_config(&[], Some(&path));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bogus_key"));
}

#[test]
fn serve_test_accepts_a_valid_configuration_without_starting() {
    let out = check_config(&[("PORT", "3999")], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("configuration OK"));
}
