//! `scalelite recordings …` run as a real process against a real gateway, on SQLite and on
//! PostgreSQL: import of a directory of tarballs through the spool (a broken one reported, exit
//! 1), list with each filter (table and --json), publish/unpublish moving the files, delete,
//! and check finding a missing, a misplaced and an orphan recording, `--fix` moving the
//! misplaced one back and `--delete-orphans` removing the orphan.
use crate::cli_support::*;
use crate::common::*;
use crate::health::TestDatabase;
use crate::recordings::{recordings_dir, spool, start, tarball, wait_listed};
use serde_json::Value;

async fn cli(gw: &Gateway, args: &[&str]) -> Run {
    let data = gw.dir.to_string_lossy().into_owned();
    run_with(gw, args, &[("SCALELITE_DATA_DIR", data.as_str())], "").await
}

/// The record ids of `recordings list --json <args>`.
async fn listed(gw: &Gateway, args: &[&str]) -> Vec<String> {
    let mut all = vec!["recordings", "list", "--json"];
    all.extend_from_slice(args);
    let list = cli(gw, &all).await.json();
    let mut ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["recordID"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

async fn recordings_commands(database_url: Option<&str>) {
    let gw = start(database_url).await;
    let dirs = recordings_dir(&gw);
    let published = |id: &str| dirs.join("published/presentation").join(id);
    let unpublished = |id: &str| dirs.join("unpublished/presentation").join(id);

    // Import: three tarballs, one of them broken.
    let src = tempfile::tempdir().unwrap();
    std::fs::write(
        src.path().join("a.tar"),
        tarball("rec-a1", "room-1", 1_700_000_000_000),
    )
    .unwrap();
    std::fs::write(
        src.path().join("b.tar"),
        tarball("rec-b2", "room-2", 1_700_000_100_000),
    )
    .unwrap();
    std::fs::write(src.path().join("c.tar"), b"not a tarball").unwrap();
    std::fs::write(src.path().join("notes.txt"), b"not for the spool").unwrap();
    let dir = src.path().to_string_lossy().into_owned();
    let r = cli(&gw, &["recordings", "import", &dir, "--timeout", "60"]).await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.out.contains("imported a.tar\n"), "{r:?}");
    assert!(r.out.contains("imported b.tar\n"), "{r:?}");
    assert!(r.out.contains("FAILED c.tar: "), "{r:?}");
    assert!(r.out.contains("2 imported, 1 failed, 0 waiting"), "{r:?}");
    assert!(r.err.contains("1 of 3 tarballs not imported"), "{r:?}");
    assert!(published("rec-a1").join("slides.svg").exists());

    // List: every filter, JSON and table.
    assert_eq!(listed(&gw, &[]).await, ["rec-a1", "rec-b2"]);
    assert_eq!(listed(&gw, &["--meeting-id", "room-2"]).await, ["rec-b2"]);
    assert_eq!(listed(&gw, &["--record-id", "rec-a"]).await, ["rec-a1"]);
    assert_eq!(
        listed(&gw, &["--state", "unpublished"]).await,
        Vec::<String>::new()
    );
    gw.get("updateRecordings", "recordID=rec-b2&meta_course=Physics")
        .await
        .assert_xml("updated", "true");
    assert_eq!(listed(&gw, &["--meta", "course=Physics"]).await, ["rec-b2"]);
    let both = [
        "--meta",
        "course=Physics",
        "--meta",
        "bbb-origin=Greenlight",
    ];
    assert_eq!(listed(&gw, &both).await, ["rec-b2"]);
    let none = ["--meta", "course=Physics", "--meta", "bbb-origin=Other"];
    assert_eq!(listed(&gw, &none).await, Vec::<String>::new());
    let json = cli(
        &gw,
        &["recordings", "list", "--json", "--record-id", "rec-b2"],
    )
    .await
    .json();
    assert_eq!(json[0]["meetingID"], "room-2");
    assert_eq!(json[0]["metadata"]["course"], "Physics");
    assert_eq!(json[0]["formats"], serde_json::json!(["presentation"]));
    let table = cli(&gw, &["recordings", "list"]).await;
    let lines: Vec<&str> = table.ok().lines().collect();
    assert!(lines[0].starts_with("RECORD ID"), "{lines:?}");
    assert!(lines
        .iter()
        .any(|l| l.starts_with("rec-a1") && l.contains("room-1")));
    assert_eq!(lines.len(), 3, "{lines:?}");
    let bad = cli(&gw, &["recordings", "list", "--meta", "novalue"]).await;
    assert_eq!(bad.code, 1);

    // Unpublish and publish move the files.
    let r = cli(&gw, &["recordings", "unpublish", "rec-a1"]).await;
    assert_eq!(r.ok(), "Unpublishing recording rec-a1... OK\n");
    assert!(unpublished("rec-a1").join("slides.svg").exists());
    assert!(!published("rec-a1").exists());
    assert_eq!(listed(&gw, &["--state", "unpublished"]).await, ["rec-a1"]);
    cli(&gw, &["recordings", "publish", "rec-a1"]).await.ok();
    assert!(published("rec-a1").join("slides.svg").exists());
    let r = cli(&gw, &["recordings", "publish", "nope"]).await;
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("ERROR: No recording found with id: nope"),
        "{r:?}"
    );

    // Delete removes the row and the files.
    spool(
        &gw,
        "c3.tar",
        &tarball("rec-c3", "room-3", 1_700_000_200_000),
    );
    wait_listed(&gw, "rec-c3").await;
    let r = cli(&gw, &["recordings", "delete", "rec-c3"]).await;
    assert_eq!(r.ok(), "Deleting recording rec-c3... OK\n");
    assert!(!published("rec-c3").exists());
    assert_eq!(listed(&gw, &[]).await, ["rec-a1", "rec-b2"]);

    // Check: consistent, then one inconsistency of each kind made by hand.
    assert_eq!(cli(&gw, &["recordings", "check"]).await.ok(), "OK\n");
    std::fs::create_dir_all(unpublished("x").parent().unwrap()).unwrap();
    std::fs::rename(published("rec-a1"), unpublished("rec-a1")).unwrap();
    std::fs::remove_dir_all(published("rec-b2")).unwrap();
    std::fs::create_dir_all(published("ghost")).unwrap();
    std::fs::write(published("ghost").join("data"), b"keep me").unwrap();
    let r = cli(&gw, &["recordings", "check"]).await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.out.contains("missing: rec-b2 presentation"), "{r:?}");
    assert!(
        r.out.contains(
            "misplaced: rec-a1 presentation in unpublished instead of published (use --fix"
        ),
        "{r:?}"
    );
    assert!(
        r.out
            .contains(&format!("orphan: {}", published("ghost").display())),
        "{r:?}"
    );
    assert!(r.err.contains("3 inconsistencies left"), "{r:?}");
    let r = cli(&gw, &["recordings", "check", "--json"]).await;
    let report: Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(report["missing"].as_array().unwrap().len(), 1);
    assert_eq!(report["misplaced"][0]["record_id"], "rec-a1");
    assert_eq!(report["orphans"][0]["record_id"], "ghost");
    assert!(
        unpublished("rec-a1").exists(),
        "check alone changes nothing"
    );

    let r = cli(&gw, &["recordings", "check", "--fix"]).await;
    assert!(r.out.contains("(moved)"), "{r:?}");
    assert!(published("rec-a1").join("slides.svg").exists());
    assert!(!unpublished("rec-a1").exists());
    assert!(
        published("ghost").join("data").exists(),
        "--fix never deletes"
    );
    assert!(r.err.contains("2 inconsistencies left"), "{r:?}");
    let r = cli(&gw, &["recordings", "check", "--delete-orphans"]).await;
    assert!(r.out.contains("(deleted)"), "{r:?}");
    assert!(!published("ghost").exists());
    let r = cli(&gw, &["recordings", "check"]).await;
    assert!(r.err.contains("1 inconsistencies left"), "{r:?}");
    assert!(
        !r.out.contains("misplaced") && !r.out.contains("orphan"),
        "{r:?}"
    );
}

#[tokio::test]
async fn recordings_commands_on_sqlite() {
    recordings_commands(None).await;
}

#[tokio::test]
async fn recordings_commands_on_postgres() {
    let db = TestDatabase::create().await;
    recordings_commands(Some(&db.url)).await;
}
