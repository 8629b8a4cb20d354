//! publishRecordings (110–118), updateRecordings (121–130) and deleteRecordings (134–139, 141)
//! examples of the original's request spec (behaviour doc §12.1).
use super::{on_both_databases, Spec};
use crate::common::*;

const NO_RECORDINGS: &str = "We could not find recordings";
const DISABLED: (&str, &str) = ("RECORDING_DISABLED", "true");

// 110, 111, 121, 122, 134, 135: no checksum, then a wrong 40-character one.
// 112, 123, 136: signed, without recordID.
async fn checksum_and_record_id_checked(pg: bool) {
    let s = Spec::start(pg, &[]).await;
    for action in ["publishRecordings", "updateRecordings", "deleteRecordings"] {
        s.raw(action, "")
            .await
            .assert_failed("checksumError", Some(CHECKSUM_ERROR));
        s.raw(action, &format!("?checksum={}", "x".repeat(40)))
            .await
            .assert_failed("checksumError", Some(CHECKSUM_ERROR));
        let query = if action == "publishRecordings" {
            "publish=true"
        } else {
            ""
        };
        s.get(action, query)
            .await
            .assert_failed("missingParamRecordID", Some("You must specify a recordID."));
    }
}

// 113: without publish. 116: an unknown record id. 118: POST is not supported.
// 141: POST deleteRecordings is not supported either.
async fn publish_refusals(pg: bool) {
    let s = Spec::start(pg, &[]).await;
    s.db.insert("r113", "m", Some("published"), true, &[], &[])
        .await;
    s.get("publishRecordings", "recordID=r113")
        .await
        .assert_failed(
            "missingParamPublish",
            Some("You must specify a publish value true or false."),
        );
    s.get(
        "publishRecordings",
        "recordID=not-a-real-record-id&publish=true",
    )
    .await
    .assert_failed("notFound", Some(NO_RECORDINGS));
    for (action, form) in [
        ("publishRecordings", "recordID=r113&publish=false"),
        ("deleteRecordings", "recordID=r113"),
    ] {
        s.gw.post_form(action, form)
            .await
            .assert_failed("unsupportedRequest", Some(UNSUPPORTED));
    }
    assert_eq!(
        s.db.row("r113").await,
        ("1".into(), Some("published".into()))
    );
}

// 114: unpublish a published recording; 115: publish an unpublished one (state published).
// Beyond the example: with a format, its files move between the publish dirs.
async fn publish_flips_the_flag(pg: bool) {
    let s = Spec::start(pg, &[]).await;
    let dirs = s.gw.dir.join("recordings");
    s.db.insert("r114", "m", Some("published"), true, &[], &[])
        .await;
    s.db.insert("r115", "m", Some("published"), false, &[], &[])
        .await;
    s.get("publishRecordings", "recordID=r114&publish=false")
        .await
        .assert_success()
        .assert_xml("published", "false");
    assert_eq!(s.db.row("r114").await.0, "0");
    s.get("publishRecordings", "recordID=r115&publish=true")
        .await
        .assert_success()
        .assert_xml("published", "true");
    assert_eq!(s.db.row("r115").await.0, "1");

    s.db.insert("rf", "m", Some("published"), true, &[], &["presentation"])
        .await;
    let published = dirs.join("published/presentation/rf");
    std::fs::create_dir_all(&published).unwrap();
    std::fs::write(published.join("slides.svg"), b"<svg/>").unwrap();
    s.get("publishRecordings", "recordID=rf&publish=false")
        .await
        .assert_success();
    assert!(dirs.join("unpublished/presentation/rf/slides.svg").exists());
    assert!(!published.exists());
    assert_eq!(s.db.row("rf").await.0, "0");
}

// 117, 124, 130: with RECORDING_DISABLED a recording that exists is not found, and unchanged.
async fn disabled_finds_nothing(pg: bool) {
    let s = Spec::start(pg, &[]).await;
    s.db.insert(
        "r117",
        "m",
        Some("published"),
        true,
        &[("gl-listed", "true")],
        &[],
    )
    .await;
    let (s, _stopped) = s.reopen(&[DISABLED]).await;
    s.get("publishRecordings", "recordID=r117&publish=false")
        .await
        .assert_failed("notFound", Some(NO_RECORDINGS));
    s.get("updateRecordings", "recordID=r117&meta_gl-listed=false")
        .await
        .assert_failed("notFound", Some(NO_RECORDINGS));
    s.gw.post_form("updateRecordings", "recordID=r117&meta_gl-listed=false")
        .await
        .assert_failed("notFound", Some(NO_RECORDINGS));
    assert_eq!(s.db.row("r117").await.0, "1");
    assert_eq!(
        s.db.meta("r117").await,
        vec![("gl-listed".into(), "true".into())]
    );
}

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<_> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

const R_META: [(&str, &str); 4] = [
    ("gl-listed", "true"),
    ("isBreakout", "false"),
    ("meetingName", "Lecture"),
    ("bbb-origin", "Greenlight"),
];

// 125: a new key adds a row; 126: a new value replaces one; 127: an empty value removes one;
// 129: the same as a POST form.
async fn update_metadata(pg: bool) {
    let s = Spec::start(pg, &[]).await;
    s.db.insert("r", "m", Some("published"), true, &R_META, &[])
        .await;
    let before = s.db.count("metadata").await;
    s.get("updateRecordings", "recordID=r&meta_newparam=newvalue")
        .await
        .assert_success()
        .assert_xml("updated", "true");
    assert_eq!(s.db.count("metadata").await, before + 1);
    let mut want = R_META.to_vec();
    want.push(("newparam", "newvalue"));
    assert_eq!(s.db.meta("r").await, kv(&want));

    s.get("updateRecordings", "recordID=r&meta_gl-listed=false")
        .await
        .assert_xml("updated", "true");
    assert_eq!(s.db.count("metadata").await, before + 1);
    want[0] = ("gl-listed", "false");
    assert_eq!(s.db.meta("r").await, kv(&want));

    s.gw.post_form("updateRecordings", "recordID=r&meta_gl-listed=true")
        .await
        .assert_success()
        .assert_xml("updated", "true");
    assert_eq!(s.db.count("metadata").await, before + 1);
    want[0] = ("gl-listed", "true");
    assert_eq!(s.db.meta("r").await, kv(&want));

    s.get("updateRecordings", "recordID=r&meta_gl-listed=")
        .await
        .assert_xml("updated", "true");
    assert_eq!(s.db.count("metadata").await, before);
    want.remove(0);
    assert_eq!(s.db.meta("r").await, kv(&want));
}

// 128: two recordings, one with gl-listed and three other keys, one without metadata.
async fn update_two_recordings(pg: bool) {
    let s = Spec::start(pg, &[]).await;
    s.db.insert("r1", "m", Some("published"), true, &R_META, &[])
        .await;
    s.db.insert("r2", "m", Some("published"), true, &[], &[])
        .await;
    let before = s.db.count("metadata").await;
    s.get(
        "updateRecordings",
        "recordID=r1,r2&meta_newkey=newvalue&meta_gl-listed=",
    )
    .await
    .assert_success()
    .assert_xml("updated", "true");
    assert_eq!(s.db.count("metadata").await, before + 1);
    let mut r1 = R_META[1..].to_vec();
    r1.push(("newkey", "newvalue"));
    assert_eq!(s.db.meta("r1").await, kv(&r1));
    assert_eq!(s.db.meta("r2").await, kv(&[("newkey", "newvalue")]));
}

// 137: an unknown record id. 138: one recording deleted (and, beyond the example, its files).
// 139: three at once.
async fn delete_marks_deleted(pg: bool) {
    let s = Spec::start(pg, &[]).await;
    let dirs = s.gw.dir.join("recordings");
    s.get("deleteRecordings", "recordID=123")
        .await
        .assert_failed("notFound", Some(NO_RECORDINGS));
    s.db.insert(
        "test123",
        "m",
        Some("published"),
        true,
        &[],
        &["presentation"],
    )
    .await;
    let files = dirs.join("published/presentation/test123");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(files.join("slides.svg"), b"<svg/>").unwrap();
    s.get("deleteRecordings", "recordID=test123")
        .await
        .assert_success()
        .assert_xml("deleted", "true");
    assert_eq!(s.db.row("test123").await.1.as_deref(), Some("deleted"));
    assert!(!files.exists());

    for rid in ["r", "r1", "r2"] {
        s.db.insert(rid, "m", Some("published"), true, &[], &[])
            .await;
    }
    s.get("deleteRecordings", "recordID=r,r1,r2")
        .await
        .assert_success()
        .assert_xml("deleted", "true");
    for rid in ["r", "r1", "r2"] {
        assert_eq!(s.db.row(rid).await.1.as_deref(), Some("deleted"), "{rid}");
    }
}

on_both_databases!(
    checksum_and_record_id_checked,
    publish_refusals,
    publish_flips_the_flag,
    disabled_finds_nothing,
    update_metadata,
    update_two_recordings,
    delete_marks_deleted,
);
