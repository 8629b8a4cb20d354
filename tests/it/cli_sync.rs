//! `scalelite servers sync` and `servers yaml` (Scalelite's `rake servers:sync` / `servers:yaml`,
//! behaviour doc §10.1) as real processes against a real gateway: creation, update, enabling,
//! the keep/cordon/force treatment of servers missing from the file, dry runs, stdin, the
//! validation messages (checked before any change), and the yaml → sync round trip.
use crate::cli_support::*;
use crate::common::*;
use serde_json::{json, Value};

/// Write `yaml` to a file in `dir`; returns its path.
fn file(dir: &tempfile::TempDir, name: &str, yaml: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, yaml).expect("write sync file");
    path.to_string_lossy().into_owned()
}

fn lines(out: &str) -> Vec<&str> {
    out.lines().collect()
}

async fn ids(gw: &Gateway) -> Vec<String> {
    let list = run(gw, &["servers", "list", "--json"]).await.json();
    let ids = list.as_array().expect("array").iter();
    ids.map(|s| s["id"].as_str().unwrap_or("").to_string())
        .collect()
}

on_both_stores!(sync_creates_updates_removes_and_dry_run_changes_nothing);
async fn sync_creates_updates_removes_and_dry_run_changes_nothing(store: Store) {
    let (a, b) = (sim("secret-a").await, sim("secret-b").await);
    let gw = Gateway::start_on(&store, &[]).await;
    let x = add(&gw, "http://127.0.0.1:1/bigbluebutton/api/", "s").await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "servers:\n  sim-a:\n    url: {}\n    secret: secret-a\n    tag: t1\n  \
         sim-b:\n    url: {}\n    secret: secret-b\n    enabled: false\n    load_multiplier: 2\n",
        a.url(),
        b.url()
    );
    let path = file(&dir, "servers.yml", &yaml);

    let planned = [
        "[sim-a] Server created",
        "[sim-b] Server created",
        &format!("[{x}] Server removed"),
        "Dry run: nothing was changed",
    ];
    let r = run(&gw, &["servers", "sync", &path, "--dry-run"]).await;
    assert_eq!(lines(r.ok()), planned);
    let r = run_with(&gw, &["servers", "sync", "-", "--dry-run"], &[], &yaml).await;
    assert_eq!(lines(r.ok()), planned, "the file read from stdin");
    assert_eq!(ids(&gw).await, vec![x.clone()], "a dry run changes nothing");

    let r = run(&gw, &["servers", "sync", &path]).await;
    let done = [
        "[sim-a] Server created",
        "[sim-a] Server enabled",
        "[sim-b] Server created",
        &format!("[{x}] Server removed"),
    ];
    assert_eq!(lines(r.ok()), done);
    assert_eq!(ids(&gw).await, ["sim-a", "sim-b"]);
    let sa = gw.wait_server("sim-a", |s| s["online"] == "online").await;
    assert_eq!(
        (&sa["state"], &sa["tag"], &sa["url"]),
        (&json!("enabled"), &json!("t1"), &Value::from(a.url()))
    );
    let sb = gw.server_info("sim-b").await;
    assert_eq!(
        (&sb["state"], &sb["load_multiplier"]),
        (&json!("disabled"), &json!("2.0"))
    );
    // In line with the file: nothing to do.
    assert_eq!(run(&gw, &["servers", "sync", &path]).await.ok(), "");

    // A changed secret and multiplier are updated (the secret is not printed).
    let changed = yaml
        .replace("secret: secret-a", "secret: other")
        .replace("load_multiplier: 2", "load_multiplier: 1.5");
    let path = file(&dir, "changed.yml", &changed);
    let r = run(&gw, &["servers", "sync", &path]).await;
    assert_eq!(
        lines(r.ok()),
        [
            "[sim-a] Server updated: secret=*****",
            "[sim-b] Server updated: load_multiplier=1.5"
        ]
    );
    assert_eq!(gw.server_info("sim-a").await["secret"], "other");
}

on_both_stores!(servers_missing_from_the_file_are_kept_cordoned_or_emptied);
async fn servers_missing_from_the_file_are_kept_cordoned_or_emptied(store: Store) {
    let (a, b) = (sim("secret-a").await, sim("secret-b").await);
    let gw = Gateway::start_on(&store, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let entry = |id: &str, s: &BbbSimulator, secret: &str, enabled: bool| {
        format!(
            "  {id}:\n    url: {}\n    secret: {secret}\n    enabled: {enabled}\n",
            s.url()
        )
    };
    let both = format!(
        "servers:\n{}{}",
        entry("sim-a", &a, "secret-a", true),
        entry("sim-b", &b, "secret-b", false)
    );
    run(&gw, &["servers", "sync", &file(&dir, "both.yml", &both)])
        .await
        .ok();
    gw.wait_server("sim-a", |s| s["load"].is_number()).await;
    gw.create_ok("meetingID=m1&name=M1").await;
    assert!(a.meeting("m1").is_some(), "only sim-a takes meetings");

    let only_b = file(
        &dir,
        "b.yml",
        &format!("servers:\n{}", entry("sim-b", &b, "secret-b", true)),
    );
    let r = run(&gw, &["servers", "sync", &only_b]).await;
    assert_eq!(
        lines(r.ok()),
        [
            "[sim-b] Server enabled",
            "[sim-a] Server not empty. Cordoned for removal"
        ]
    );
    let state = gw.server_info("sim-a").await["state"].clone();
    assert!(state == "cordoned" || state == "disabled", "{state}");
    assert!(a.meeting("m1").is_some(), "cordon mode ends nothing");

    let r = run(&gw, &["servers", "sync", &only_b, "--mode", "keep"]).await;
    assert_eq!(lines(r.ok()), ["[sim-a] Server not removed"]);

    let forced = [
        "[sim-a] Server not empty. Ending meetings now...",
        "[sim-a] Try to end meeting id=m1",
        "[sim-a] Server removed",
    ];
    let r = run(
        &gw,
        &["servers", "sync", &only_b, "--mode", "force", "--dry-run"],
    )
    .await;
    assert_eq!(lines(r.ok())[..3], forced);
    assert!(a.meeting("m1").is_some(), "a dry run ends nothing");
    assert_eq!(ids(&gw).await, ["sim-a", "sim-b"]);

    let r = run(&gw, &["servers", "sync", &only_b, "--mode", "force"]).await;
    assert_eq!(lines(r.ok()), forced);
    assert!(a.meeting("m1").is_none(), "ended on BBB");
    assert_eq!(ids(&gw).await, ["sim-b"]);
}

on_both_stores!(the_whole_file_is_validated_before_any_change);
async fn the_whole_file_is_validated_before_any_change(store: Store) {
    let gw = Gateway::start_on(&store, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "servers:\n  good:\n    secret: s\n  bad id:\n    secret: s\n",
            "Server id=bad id contains invalid characters",
        ),
        (
            "servers:\n  a:\n    url: https://a.example.com/bigbluebutton/api\n",
            "Server id=a has no secret",
        ),
        (
            "servers:\n  a:\n    secret: s\n    foo: 1\n",
            "Server id=a has bad parameters: [\"foo\"]",
        ),
        (
            "servers:\n  a:\n    secret: s\n    load_multiplier: 0\n",
            "Server id=a has invalid load_multiplier=0",
        ),
        (
            "servers:\n  a:\n    secret: s\n    url: bbb.example.com\n",
            "Server id=a has invalid url=bbb.example.com",
        ),
        ("servers:\n  - a\n", "Servers parameter not a hash"),
        ("just text\n", "Invalid YAML document"),
    ];
    for (i, (yaml, message)) in cases.iter().enumerate() {
        let path = file(&dir, &format!("{i}.yml"), yaml);
        run(&gw, &["servers", "sync", &path])
            .await
            .fails_with(&format!("ERROR: {message}"));
    }
    let path = file(&dir, "ok.yml", "servers:\n  a:\n    secret: s\n");
    run(&gw, &["servers", "sync", &path, "--mode", "wipe"])
        .await
        .fails_with("ERROR: Unknown sync mode 'wipe' (choose: keep cordon force)");
    assert!(ids(&gw).await.is_empty(), "nothing was created");
}

on_both_stores!(yaml_dumps_what_sync_reads);
async fn yaml_dumps_what_sync_reads(store: Store) {
    let (a, b) = (sim("secret-a").await, sim("secret-b").await);
    let gw = Gateway::start_on(&store, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "servers:\n  sim-a:\n    url: {}\n    secret: secret-a\n    tag: t1\n    load_multiplier: 1.5\n  \
         sim-b:\n    url: {}\n    secret: secret-b\n    enabled: false\n",
        a.url(),
        b.url()
    );
    run(&gw, &["servers", "sync", &file(&dir, "s.yml", &yaml)])
        .await
        .ok();
    gw.wait_server("sim-a", |s| {
        s["online"] == "online" && s["load"].is_number()
    })
    .await;

    let out = run(&gw, &["servers", "yaml"]).await.ok().to_string();
    assert!(out.starts_with("---\nservers:\n"), "{out}");
    let doc: Value = serde_yaml::from_str(&out).expect("YAML");
    assert_eq!(
        doc["servers"]["sim-a"],
        json!({ "url": a.url(), "secret": "secret-a", "load_multiplier": 1.5, "tag": "t1", "enabled": true })
    );
    assert_eq!(doc["servers"]["sim-b"]["enabled"], false);
    assert_eq!(doc["servers"]["sim-b"]["load_multiplier"], 1.0);
    assert_eq!(run(&gw, &["servers", "yaml", "--json"]).await.json(), doc);

    let verbose: Value =
        serde_yaml::from_str(run(&gw, &["servers", "yaml", "--verbose"]).await.ok()).expect("YAML");
    let va = &verbose["servers"]["sim-a"];
    assert_eq!(
        (&va["state"], &va["online"], &va["bbb_version"]),
        (&json!("enabled"), &json!(true), &json!("3.0.0"))
    );
    assert!(va["load"].is_number());
    assert_eq!(verbose["servers"]["sim-b"]["load"], -1.0);

    // What yaml prints, sync reads back as "nothing to change".
    let r = run_with(&gw, &["servers", "sync", "-", "--dry-run"], &[], &out).await;
    assert_eq!(r.ok(), "Dry run: nothing was changed\n");
}
