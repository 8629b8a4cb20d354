//! The batch send and the daily prune of `packaging/bbb/` on a BBB-like tree (the fixture of
//! `bbb_scripts`), and shellcheck over the bash scripts.

use crate::bbb_scripts::{expected_entries, tar_list, Bbb, ID_A, ID_B, ID_C};
use std::path::Path;
use std::process::Command;

fn spool_ids(bbb: &Bbb) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(bbb.path("spool"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn the_batch_sends_each_published_recording_once_and_skips_those_sent_before() {
    let bbb = Bbb::new();
    for id in [ID_A, ID_B, ID_C] {
        bbb.publish(id);
    }
    // B was sent before.
    bbb.write(
        &format!("recording/status/published/{ID_B}-sender.done"),
        "",
    );
    std::fs::create_dir_all(bbb.path("spool")).unwrap();
    bbb.configure(&format!(
        "TRANSFER=rsync\nSPOOL_DIR={}",
        bbb.path("spool").display()
    ));

    let out = bbb.run("scalelite-batch-send", &["--dry-run"]);
    assert!(out.status.success());
    assert!(spool_ids(&bbb).is_empty(), "a dry run sends nothing");

    let out = bbb.run("scalelite-batch-send", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("summary: 3 recording(s): 2 sent, 1 skipped"),
        "{stderr}"
    );
    assert_eq!(
        spool_ids(&bbb),
        [format!("{ID_A}.tar"), format!("{ID_C}.tar")]
    );
    let tarball = std::fs::read(bbb.path(&format!("spool/{ID_C}.tar"))).unwrap();
    assert_eq!(tar_list(&tarball), expected_entries(ID_C));
    // One post-publish run per recording although each has two .done files.
    let log = bbb.log("transfer.log");
    for id in [ID_A, ID_C] {
        assert_eq!(log.matches(&format!("packed {id}")).count(), 1, "{log}");
        assert!(bbb.exists(&format!("recording/status/published/{id}-sender.done")));
    }
    assert!(!log.contains(&format!("packed {ID_B}")), "{log}");

    // Run again: everything was sent; --force sends them all anew.
    let out = bbb.run("scalelite-batch-send", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(stderr.contains("0 sent, 3 skipped"), "{stderr}");
    let out = bbb.run("scalelite-batch-send", &["--force"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success() && stderr.contains("3 sent, 0 skipped"),
        "{stderr}"
    );
    assert_eq!(spool_ids(&bbb).len(), 3);
}

#[test]
fn the_batch_reports_failures_in_its_summary_and_exit_status() {
    let bbb = Bbb::new();
    bbb.publish(ID_A);
    bbb.configure("TRANSFER=rsync\nSPOOL_DIR=/nonexistent/dir/spool\nRETRY_ATTEMPTS=1");
    let out = bbb.run("scalelite-batch-send", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("0 sent, 0 skipped (sent before), 1 failed"),
        "{stderr}"
    );
    assert!(
        bbb.exists(&format!("work/{ID_A}.tar")),
        "kept for the next run"
    );
}

fn touch(bbb: &Bbb, rel: &str, when: &str) {
    bbb.write(rel, "");
    let status = Command::new("touch")
        .args(["-d", when])
        .arg(bbb.path(rel))
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn the_prune_deletes_only_recordings_sent_and_raw_dirs_older_than_the_ages() {
    let bbb = Bbb::new();
    touch(
        &bbb,
        &format!("recording/status/published/{ID_A}-sender.done"),
        "5 days ago",
    );
    touch(
        &bbb,
        &format!("recording/status/published/{ID_B}-sender.done"),
        "3 days ago",
    );
    touch(
        &bbb,
        &format!("recording/status/published/{ID_C}-presentation.done"),
        "9 days ago",
    );
    touch(
        &bbb,
        &format!("recording/raw/{ID_A}/events.xml"),
        "5 days ago",
    );
    touch(
        &bbb,
        &format!("recording/raw/{ID_B}/events.xml"),
        "1 day ago",
    );
    bbb.configure("PRUNE_MAXAGE=4\nPRUNE_RAW_MAXAGE=4");

    let out = bbb.run("scalelite_prune_recordings", &["--dry-run"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        bbb.bbb_record_calls().is_empty(),
        "a dry run deletes nothing"
    );
    assert!(bbb.exists(&format!("recording/raw/{ID_A}/events.xml")));
    assert!(bbb
        .log("prune.log")
        .contains(&format!("would delete recording {ID_A}")));

    let out = bbb.run("scalelite_prune_recordings", &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(bbb.bbb_record_calls(), [format!("--delete {ID_A}")]);
    assert!(
        !bbb.exists(&format!("recording/raw/{ID_A}")),
        "old raw recording removed"
    );
    assert!(
        bbb.exists(&format!("recording/raw/{ID_B}/events.xml")),
        "recent raw kept"
    );
    assert!(bbb
        .log("prune.log")
        .contains("1 recording(s) deleted, 1 raw recording(s) removed"));

    // A shorter age makes B due too (the fake bbb-record left A's file); an empty age turns
    // the raw part off.
    bbb.configure("PRUNE_MAXAGE=2\nPRUNE_RAW_MAXAGE=");
    let out = bbb.run("scalelite_prune_recordings", &[]);
    assert!(out.status.success());
    assert_eq!(
        bbb.bbb_record_calls().len(),
        3,
        "{:?}",
        bbb.bbb_record_calls()
    );
    assert!(bbb.bbb_record_calls().contains(&format!("--delete {ID_B}")));
    assert!(bbb.exists(&format!("recording/raw/{ID_B}/events.xml")));
}

#[test]
fn shellcheck_finds_nothing_in_the_bbb_scripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/bbb");
    let scripts = [
        "scalelite-post-publish",
        "scalelite-batch-send",
        "scalelite_prune_recordings",
    ];
    let out = Command::new("shellcheck")
        .args(scripts.iter().map(|s| dir.join(s)))
        .output()
        .expect("shellcheck is installed (.ci/test.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
