//! getRecordings examples 90–107 of the original's request spec (behaviour doc §12.1).
use super::{on_both_databases, Spec};
use crate::common::*;

const FILTERED: (&str, &str) = ("GET_RECORDINGS_API_FILTERED", "true");

fn n(r: &Response) -> usize {
    Spec::recordings(r)
}

// 90, 91: no checksum, then a 40-character checksum that is not the right one.
async fn checksum_checked(pg: bool) {
    let s = Spec::start(pg, &[]).await;
    s.raw("getRecordings", "")
        .await
        .assert_failed("checksumError", Some(CHECKSUM_ERROR));
    s.raw("getRecordings", &format!("?checksum={}", "x".repeat(40)))
        .await
        .assert_failed("checksumError", Some(CHECKSUM_ERROR));
}

// 92: three published recordings, a call with only the checksum lists all three.
// 93: with GET_RECORDINGS_API_FILTERED the same call is refused.
// 107: the same as a POST whose form holds only the checksum.
async fn unfiltered_lists_all(pg: bool) {
    for filtered in [false, true] {
        let env = if filtered { vec![FILTERED] } else { vec![] };
        let s = Spec::start(pg, &env).await;
        s.db.others("pub", 3, Some("published")).await;
        let r = s.get("getRecordings", "").await;
        if filtered {
            r.assert_failed(
                "missingParameters",
                Some("param meetingID or recordID must be included."),
            );
            continue;
        }
        r.assert_success();
        assert_eq!(n(&r), 3, "{}", r.body);
        let post = s.gw.post_form("getRecordings", "").await;
        post.assert_success();
        assert_eq!(n(&post), 3, "{}", post.body);
    }
}

// 94, 95 (FILTERED): one recording with formats podcast and presentation, by meetingID.
async fn one_recording_in_full(pg: bool) {
    for env in [vec![], vec![FILTERED]] {
        let s = Spec::start(pg, &env).await;
        s.db.insert(
            "rec-94",
            "meeting-94",
            Some("published"),
            true,
            &[],
            &["podcast", "presentation"],
        )
        .await;
        let r = s.get("getRecordings", "meetingID=meeting-94").await;
        r.assert_success()
            .assert_xml("recordID", "rec-94")
            .assert_xml("meetingID", "meeting-94")
            .assert_xml("internalMeetingID", "rec-94")
            .assert_xml("name", "Name rec-94")
            .assert_xml("published", "true")
            .assert_xml("state", "published")
            .assert_xml("startTime", "1700000000000")
            .assert_xml("endTime", "1700000600000")
            .assert_xml("participants", "3");
        assert_eq!(n(&r), 1, "{}", r.body);
        assert_eq!(r.body.matches("<format>").count(), 2, "{}", r.body);
        for f in ["podcast", "presentation"] {
            let url = format!(
                "<url>http://127.0.0.1:{}/playback/{f}/2.3/rec-94</url>",
                s.gw.port
            );
            assert!(r.body.contains(&url), "{url} in {}", r.body);
            assert!(r.body.contains(&format!("<type>{f}</type>")), "{}", r.body);
        }
        r.assert_xml("length", "10")
            .assert_xml("processingTime", "2000");
        assert!(!r.body.contains("<images>"), "{}", r.body);
    }
}

// 96, 97 (FILTERED): two meetings' recordings among five others, by a meetingID list.
// 100, 101 (FILTERED): the same by a recordID list.
async fn lists_of_ids(pg: bool) {
    for env in [vec![], vec![FILTERED]] {
        let s = Spec::start(pg, &env).await;
        s.db.others("other", 5, Some("published")).await;
        for i in 1..=2 {
            let rid = format!("r{i}");
            s.db.insert(&rid, &format!("m{i}"), Some("published"), true, &[], &[])
                .await;
        }
        for q in ["meetingID=m1,m2", "recordID=r1,r2"] {
            let r = s.get("getRecordings", q).await;
            r.assert_success();
            assert_eq!(n(&r), 2, "{q}: {}", r.body);
        }
    }
}

// 98: a recordID in the wrong case matches nothing.
async fn record_id_is_case_sensitive(pg: bool) {
    let s = Spec::start(pg, &[]).await;
    s.db.insert("abcdef-98", "m98", Some("published"), true, &[], &[])
        .await;
    let r = s.get("getRecordings", "recordID=ABCDEF-98").await;
    r.assert_success()
        .assert_key("noRecordings")
        .assert_xml("message", "There are not recordings for the meetings");
    assert_eq!(n(&r), 0, "{}", r.body);
}

// 99: the first 40 characters of a record id (the 64-hex meeting hash prefix shared by 20
// recordings of one meeting) list all 20 of them.
async fn record_id_prefix(pg: bool) {
    let s = Spec::start(pg, &[]).await;
    s.db.others("other", 5, Some("published")).await;
    let prefix = "0123456789abcdef".repeat(4);
    for i in 0..20 {
        let rid = format!("{prefix}-{}", 1_700_000_000_000_u64 + i);
        s.db.insert(&rid, "bulk-prefix-match", Some("published"), true, &[], &[])
            .await;
    }
    let r = s
        .get("getRecordings", &format!("recordID={}", &prefix[..40]))
        .await;
    r.assert_success();
    assert_eq!(n(&r), 20, "{}", r.body);
    assert_eq!(
        r.body
            .matches("<meetingID>bulk-prefix-match</meetingID>")
            .count(),
        20
    );
}

// 102: NULL states, processing, unpublished, deleted: the state filter keeps R2 only.
// 103 (FILTERED): published and unpublished of R1..R3 (R3 deleted) among deleted others: 2.
async fn state_filter(pg: bool) {
    let q = "recordID=r1,r2,r3&state=published,unpublished";
    let s = Spec::start(pg, &[]).await;
    s.db.others("null", 5, None).await;
    s.db.insert("r1", "m1", Some("processing"), false, &[], &[])
        .await;
    s.db.insert("r2", "m2", Some("unpublished"), false, &[], &[])
        .await;
    s.db.insert("r3", "m3", Some("deleted"), false, &[], &[])
        .await;
    let r = s.get("getRecordings", q).await;
    r.assert_success().assert_xml("recordID", "r2");
    assert_eq!(n(&r), 1, "{}", r.body);

    let s = Spec::start(pg, &[FILTERED]).await;
    s.db.others("del", 5, Some("deleted")).await;
    s.db.insert("r1", "m1", Some("published"), true, &[], &[])
        .await;
    s.db.insert("r2", "m2", Some("unpublished"), false, &[], &[])
        .await;
    s.db.insert("r3", "m3", Some("deleted"), false, &[], &[])
        .await;
    let r = s.get("getRecordings", q).await;
    r.assert_success();
    assert_eq!(n(&r), 2, "{}", r.body);
}

const META_QUERY: &str = "meta_bbb-context-name=test1,test2&meta_bbb-origin-tag=GL";

// 104: meta filters are OR-ed: R1 (context test1), R2 and R3 (origin GL) among processing ones.
// 105 (FILTERED): R3 with a NULL state falls out of the state filter: 2.
// 106: values that only contain the wanted ones (test12, GL1, GL2) match nothing.
async fn meta_filters(pg: bool) {
    let ctx = [("bbb-context-name", "test1")];
    let gl = [("bbb-origin-tag", "GL")];
    let s = Spec::start(pg, &[]).await;
    s.db.others("proc", 5, Some("processing")).await;
    s.db.insert("r1", "m1", Some("published"), true, &ctx, &[])
        .await;
    s.db.insert("r2", "m2", Some("unpublished"), false, &gl, &[])
        .await;
    s.db.insert("r3", "m3", Some("deleted"), false, &gl, &[])
        .await;
    let q = format!("recordID=r1,r2,r3&state=published,unpublished,deleted&{META_QUERY}");
    let r = s.get("getRecordings", &q).await;
    r.assert_success();
    assert_eq!(n(&r), 3, "{}", r.body);

    let s = Spec::start(pg, &[FILTERED]).await;
    s.db.insert("r1", "m1", Some("published"), true, &ctx, &[])
        .await;
    s.db.insert("r2", "m2", Some("unpublished"), false, &gl, &[])
        .await;
    s.db.insert("r3", "m3", None, false, &gl, &[]).await;
    let q = format!("recordID=r1,r2,r3&state=published,unpublished&{META_QUERY}");
    let r = s.get("getRecordings", &q).await;
    r.assert_success();
    assert_eq!(n(&r), 2, "{}", r.body);

    let s = Spec::start(pg, &[]).await;
    s.db.insert(
        "r1",
        "m1",
        Some("published"),
        true,
        &[("bbb-context-name", "test12")],
        &[],
    )
    .await;
    s.db.insert(
        "r2",
        "m2",
        Some("unpublished"),
        false,
        &[("bbb-origin-tag", "GL1")],
        &[],
    )
    .await;
    s.db.insert(
        "r3",
        "m3",
        Some("published"),
        true,
        &[("bbb-origin-tag", "GL2")],
        &[],
    )
    .await;
    let q = format!("recordID=r1,r2,r3&state=published,unpublished&{META_QUERY}");
    let r = s.get("getRecordings", &q).await;
    r.assert_success();
    assert_eq!(n(&r), 0, "{}", r.body);
}

on_both_databases!(
    checksum_checked,
    unfiltered_lists_all,
    one_recording_in_full,
    lists_of_ids,
    record_id_is_case_sensitive,
    record_id_prefix,
    state_filter,
    meta_filters,
);
