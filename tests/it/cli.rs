//! The `scalelite` operator commands (Scalelite's rake tasks, behaviour doc §10.1–§10.4) run as
//! real processes against a real gateway: servers list/add/update/enable/cordon/disable/panic/
//! remove, status, meetings list/end, poll, `--json`, and the error texts and exit codes.
//! `servers sync` and `servers yaml` are in cli_sync.rs.
use crate::cli_support::*;
use crate::common::*;
use serde_json::{json, Value};

const NEVER: (&str, &str) = ("POLL_INTERVAL", "3600");

on_both_stores!(servers_add_list_update_and_remove);
async fn servers_add_list_update_and_remove(store: Store) {
    let sim = sim("sim-secret").await;
    // No periodic polls: the server stays offline until it is enabled (which polls it).
    let gw = Gateway::start_on(&store, &[NEVER]).await;
    let r = run(&gw, &["servers"]).await;
    assert_eq!(
        (r.ok(), r.err.as_str()),
        ("", "No servers are configured\n")
    );

    let url = sim.url();
    let r = run(
        &gw,
        &[
            "servers",
            "add",
            &url,
            "sim-secret",
            "--load-multiplier",
            "2",
            "--tag",
            "t1",
        ],
    )
    .await;
    let id = r
        .ok()
        .strip_prefix("OK\nid: ")
        .expect("OK and id")
        .trim()
        .to_string();
    let listed = run(&gw, &["servers", "list"]).await;
    assert_eq!(
        listed.ok(),
        format!(
            "id: {id}\n\turl: {url}\n\tsecret: sim-secret\n\tdisabled\n\tload: unavailable\n\
             \tload multiplier: 2.0\n\tbbb version: \n\ttag: t1\n\toffline\n"
        )
    );
    let list = run(&gw, &["servers", "list", "--json"]).await.json();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["state"], "disabled");
    assert_eq!(list[0]["stats"]["meetings"], 0);

    let r = run(&gw, &["servers", "enable", &id]).await;
    assert_eq!(r.ok(), format!("Enabling server {id}...\nOK\n"));
    gw.wait_server(&id, |s| s["state"] == "enabled" && s["load"].is_number())
        .await;
    let r = run(&gw, &["servers", "cordon", &id]).await;
    assert_eq!(r.ok(), format!("Cordoning server {id}...\nOK\n"));
    assert_eq!(gw.server_info(&id).await["state"], "cordoned");

    let args = [
        "servers",
        "update",
        &id,
        "--secret",
        "new-secret",
        "--load-multiplier",
        "abc",
    ];
    let r = run(&gw, &args).await;
    assert_eq!(
        r.ok(),
        format!(
            "Updating server {id}...\n\
             WARNING! Load-multiplier was not readable or 0, so it is now 1\nOK\n"
        )
    );
    let info = gw.server_info(&id).await;
    assert_eq!(
        (&info["secret"], &info["load_multiplier"], &info["tag"]),
        (&json!("new-secret"), &json!("1.0"), &json!("t1"))
    );
    run(&gw, &["servers", "update", &id, "--tag", ""])
        .await
        .ok();
    assert_eq!(gw.server_info(&id).await["tag"], "");

    let r = run(&gw, &["servers", "remove", &id]).await;
    assert_eq!(r.ok(), format!("Removing server {id}...\nOK\n"));
    assert_eq!(
        gw.admin_get("getServerInfo", &format!("id={id}"))
            .await
            .status,
        404
    );
}

on_both_stores!(unknown_ids_bad_input_and_unreachable_instance);
async fn unknown_ids_bad_input_and_unreachable_instance(store: Store) {
    let gw = Gateway::start_on(&store, &[]).await;
    for cmd in ["enable", "cordon", "remove", "disable", "panic", "update"] {
        run(&gw, &["servers", cmd, "nope"])
            .await
            .fails_with("ERROR: No server found with id: nope");
    }
    run(&gw, &["servers", "add", "ftp://bbb.example.com/", "s"])
        .await
        .fails_with("Error: Server URL must start with http:// or https://");
    run(&gw, &["meetings", "list", "nope"])
        .await
        .fails_with("ERROR: No meeting found with id: nope");
    // A secret the instance does not know: its checksumError, explained.
    let r = run_with(&gw, &["status"], &[("LOADBALANCER_SECRET", "wrong")], "").await;
    assert_eq!(r.code, 1);
    assert!(r.err.contains("checksumError"), "{}", r.err);
    // An explicit --url where nothing listens.
    let r = run(&gw, &["status", "--url", "http://127.0.0.1:1"]).await;
    assert_eq!(r.code, 1);
    assert!(
        r.err
            .starts_with("ERROR: cannot reach the scalelite admin API at http://127.0.0.1:1"),
        "{}",
        r.err
    );
    // The admin calls added for the CLI leave the tenant calls' answer alone.
    gw.admin_get("getTenants", "")
        .await
        .assert_json(412, json!({ "message": "Multitenancy is disabled" }));
    // No secret at all: the configuration is refused (exit 2) before anything is sent.
    let r = run_with(&gw, &["status"], &[("LOADBALANCER_SECRET", "")], "").await;
    assert_eq!(r.code, 2, "{}", r.err);
}

/// The `end` calls `sim` received for `meeting`.
fn ends(sim: &BbbSimulator, meeting: &str) -> Vec<scalelite::simulator::RecordedRequest> {
    let all = sim.requests_for("end");
    all.into_iter()
        .filter(|r| r.param("meetingID") == Some(meeting))
        .collect()
}

on_both_stores!(disable_asks_before_clearing_and_panic_clears);
async fn disable_asks_before_clearing_and_panic_clears(store: Store) {
    let sim = sim("sim-secret").await;
    let gw = Gateway::start_on(&store, &[]).await;
    let id = gw.add_server(&sim).await;
    let created = gw.create_ok("meetingID=m1&name=M1").await;
    let moderator_pw = created.xml("moderatorPW").expect("moderatorPW");
    gw.wait_server(&id, |s| s["load"].as_f64() > Some(0.0))
        .await;

    let r = run_with(&gw, &["servers", "disable", &id], &[], "no\n").await;
    let expected = format!(
        "Disabling server {id}...\nWARNING: You are trying to disable a server with active load. \
         You should use the cordon option if you do not want to clear all the meetings\n\
         If you still wish to continue please enter `yes`\nOK\n"
    );
    assert_eq!(r.ok(), expected);
    assert_eq!(gw.server_info(&id).await["state"], "enabled");
    assert!(sim.meeting("m1").is_some(), "not ended without a yes");

    let r = run(&gw, &["servers", "disable", &id, "--yes"]).await;
    assert_eq!(
        r.ok(),
        format!("Disabling server {id}...\nClearing Meeting id=m1\nOK\n")
    );
    assert!(sim.meeting("m1").is_none());
    assert_eq!(
        ends(&sim, "m1")[0].param("password"),
        Some(moderator_pw.as_str())
    );
    assert_eq!(gw.server_info(&id).await["state"], "disabled");

    run(&gw, &["servers", "enable", &id]).await.ok();
    gw.wait_server(&id, |s| s["load"].is_number()).await;
    gw.create_ok("meetingID=m2&name=M2").await;
    let r = run(&gw, &["servers", "panic", &id, "--keep-state"]).await;
    assert_eq!(
        r.ok(),
        format!("Panicking server {id}...\nClearing Meeting id=m2\nOK\n")
    );
    assert!(sim.meeting("m2").is_none());
    assert_eq!(gw.server_info(&id).await["state"], "enabled");

    gw.create_ok("meetingID=m3&name=M3").await;
    let r = run(&gw, &["servers", "panic", &id, "--skip-end-calls"]).await;
    assert_eq!(
        r.ok(),
        format!("Panicking server {id}...\nClearing Meeting id=m3\nOK\n")
    );
    assert!(
        ends(&sim, "m3").is_empty(),
        "no end call with --skip-end-calls"
    );
    assert!(sim.meeting("m3").is_some());
    assert_eq!(gw.server_info(&id).await["state"], "disabled");
}

on_both_stores!(status_table_and_json);
async fn status_table_and_json(store: Store) {
    let sim = sim("sim-secret").await;
    let gw = Gateway::start_on(&store, &[]).await;
    let id = gw.add_server_with(&sim, json!({ "tag": "t1" })).await;
    gw.create_ok("meetingID=m1&name=M1&meta_server-tag=t1")
        .await;
    sim.set_participants("m1", 3, 1);
    sim.set_videos("m1", 2);
    eventually("the poller counted the users", || async {
        let rows = run(&gw, &["status", "--json"]).await.json();
        rows[0]["users"] == 3 && rows[0]["videos"] == 2
    })
    .await;
    let rows = run(&gw, &["status", "--json"]).await.json();
    let row = &rows[0];
    assert_eq!(
        (
            &row["hostname"],
            &row["state"],
            &row["status"],
            &row["meetings"]
        ),
        (
            &json!("127.0.0.1"),
            &json!("enabled"),
            &json!("online"),
            &json!(1)
        )
    );
    assert_eq!(
        (&row["largest_meeting"], &row["bbb_version"], &row["tag"]),
        (&json!(3), &json!("3.0.0"), &json!("t1"))
    );
    let load = format!(
        "{:.1}",
        gw.server_info(&id).await["load"].as_f64().expect("load")
    );
    assert_eq!(
        load.len(),
        4,
        "the LOAD column below is as wide as its header: {load}"
    );

    let r = run(&gw, &["status"]).await;
    let lines: Vec<&str> = r.ok().lines().collect();
    assert_eq!(lines[0], "", "a blank line first");
    // Headers centred (the odd space to the left), numbers right-aligned, text left-aligned,
    // one space of padding each side of a cell.
    let head = "  HOSTNAME   STATE   STATUS  MEETINGS  USERS  LARGEST MEETING  VIDEOS  LOAD  BBB VERSION  TAG";
    let row = format!(
        " {:<9}  {:<7}  {:<6}  {:>8}  {:>5}  {:>15}  {:>6}  {:>4}  {:<11}  t1",
        "127.0.0.1", "enabled", "online", 1, 3, 3, 2, load, "3.0.0"
    );
    assert_eq!(lines[1..], [head, row.as_str()]);
}

on_both_stores!(meetings_list_and_end);
async fn meetings_list_and_end(store: Store) {
    let sim = sim("sim-secret").await;
    let gw = Gateway::start_on(&store, &[]).await;
    let id = gw.add_server(&sim).await;
    gw.create_ok("meetingID=m1&name=M1").await;
    gw.create_ok("meetingID=m2&name=M2").await;
    let url = sim.url();
    let block = |m: &str| format!("\nMeetingID: {m}\n\tServer ID: {id}\n\tServer Url: {url}\n");
    let both = format!("{}{}", block("m1"), block("m2"));
    assert_eq!(run(&gw, &["meetings", "list"]).await.ok(), both);
    assert_eq!(run(&gw, &["meetings"]).await.ok(), both);
    let listed = run(&gw, &["meetings", "list", "m2", "--json"]).await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(
        (&listed[0]["id"], &listed[0]["server_id"]),
        (&json!("m2"), &Value::from(id.as_str()))
    );

    let r = run_with(&gw, &["meetings", "end", "m1"], &[], "yes\n").await;
    let prompt = "WARNING: You are trying to clear active meetings.\n\
                  If you still wish to continue please enter `yes`\n";
    assert_eq!(
        (r.ok(), r.err.as_str()),
        (format!("{prompt}OK\n").as_str(), "Clearing Meeting id=m1\n")
    );
    assert!(sim.meeting("m1").is_none() && sim.meeting("m2").is_some());

    let r = run_with(&gw, &["meetings", "end"], &[], "nope\n").await;
    assert_eq!(r.ok(), format!("{prompt}OK\n"));
    assert!(sim.meeting("m2").is_some(), "nothing ended without a yes");
    run(&gw, &["meetings", "end", "m2", "gone", "--yes"])
        .await
        .fails_with("ERROR: No meeting found with id: gone");
    assert!(sim.meeting("m2").is_some(), "an unknown id ends nothing");

    let r = run(&gw, &["meetings", "end", "--yes"]).await;
    assert_eq!(
        (r.ok(), r.err.as_str()),
        ("OK\n", "Clearing Meeting id=m2\n")
    );
    assert!(sim.meeting("m2").is_none());
    let r = run(&gw, &["meetings", "end", "--yes"]).await;
    assert_eq!((r.ok(), r.err.as_str()), ("OK\n", "No meetings to clear\n"));
    assert_eq!(
        run(&gw, &["meetings", "list", "--json"]).await.json(),
        json!([])
    );
}

on_both_stores!(poll_asks_the_instance_to_poll_now);
async fn poll_asks_the_instance_to_poll_now(store: Store) {
    let sim = sim("sim-secret").await;
    let gw = Gateway::start_on(&store, &[NEVER]).await;
    let id = add(&gw, &sim.url(), "sim-secret").await;
    // Added (not enabled) servers wait for the next cycle, an hour away.
    assert_eq!(gw.server_info(&id).await["online"], "offline");
    // An explicit --url (the same instance; PORT would give it too).
    let url = gw.url("");
    assert_eq!(run(&gw, &["poll", "--url", &url]).await.ok(), "OK\n");
    gw.wait_server(&id, |s| {
        s["online"] == "online" && s["bbb_version"] == "3.0.0"
    })
    .await;
}
