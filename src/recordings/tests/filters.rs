//! getRecordings filters, order and paging (§7.5), on both databases.
use super::support::{both, imported, put, Kind, TestDb};
use crate::recordings::{get_recordings, ImportedFormat, RecordingFilter};

async fn ids_of(t: &TestDb, params: &[(&str, &str)]) -> Vec<String> {
    let f = RecordingFilter::from_params(params.iter().copied());
    let (recs, total) = get_recordings(&t.db, &f).await.unwrap();
    assert_eq!(total as usize, recs.len());
    recs.into_iter().map(|r| r.record_id).collect()
}

fn rec(id: &str, meeting: &str, start: i64, state: Option<&str>) -> ImportedFormat {
    let mut r = imported(id, meeting, start);
    r.state = state.map(String::from);
    r
}

/// r1..r5 (newest first: r5) in meetings ma/mb, with varied states and metadata.
async fn fixture(kind: Kind) -> TestDb {
    let t = TestDb::new(kind).await;
    let mut recs = vec![
        rec("r1-Abc", "ma", 1_000, Some("published")),
        rec("r2-abc", "ma", 2_000, Some("unpublished")),
        rec("r3_%|x", "mb", 3_000, Some("processing")),
        rec("r4*?[y", "mb", 4_000, None),
        rec("r5-abc", "mc", 5_000, Some("deleted")),
    ];
    recs[1].published = Some(false);
    recs[0].metadata.push(("color".into(), "red".into()));
    recs[1].metadata.push(("color".into(), "blue".into()));
    recs[1].metadata.push(("shape".into(), "round".into()));
    recs[2].metadata.push(("shape".into(), "square".into()));
    recs[0].metadata.push(("tenant-id".into(), "t1".into()));
    recs[1].metadata.push(("tenant-id".into(), "t2".into()));
    for r in &recs {
        put(&t.db, r).await;
    }
    t
}

async fn states(kind: Kind) {
    let t = fixture(kind).await;
    assert_eq!(ids_of(&t, &[]).await, ["r2-abc", "r1-Abc"], "default");
    assert_eq!(ids_of(&t, &[("state", " ")]).await, ["r2-abc", "r1-Abc"]);
    let all = ["r5-abc", "r4*?[y", "r3_%|x", "r2-abc", "r1-Abc"];
    assert_eq!(ids_of(&t, &[("state", "processing,any")]).await, all);
    assert_eq!(ids_of(&t, &[("state", "processing")]).await, ["r3_%|x"]);
    assert_eq!(
        ids_of(&t, &[("state", "deleted,published")]).await,
        ["r5-abc", "r1-Abc"]
    );
    assert!(ids_of(&t, &[("state", ",")]).await.is_empty(), "empty list");
}
both!(states);

async fn record_id_prefixes(kind: Kind) {
    let t = fixture(kind).await;
    let any = ("state", "any");
    assert_eq!(ids_of(&t, &[("recordID", "r1"), any]).await, ["r1-Abc"]);
    assert_eq!(
        ids_of(&t, &[("recordID", "r1,r2-"), any]).await,
        ["r2-abc", "r1-Abc"]
    );
    // Case-sensitive (SQLite's LIKE is not).
    assert!(ids_of(&t, &[("recordID", "R1"), any]).await.is_empty());
    assert!(ids_of(&t, &[("recordID", "r1-abc"), any]).await.is_empty());
    // Every character is literal: LIKE and GLOB wildcards and the escape characters.
    assert_eq!(ids_of(&t, &[("recordID", "r3_%|"), any]).await, ["r3_%|x"]);
    assert!(ids_of(&t, &[("recordID", "r_"), any]).await.is_empty());
    assert!(ids_of(&t, &[("recordID", "r%"), any]).await.is_empty());
    assert_eq!(ids_of(&t, &[("recordID", "r4*?["), any]).await, ["r4*?[y"]);
    assert!(ids_of(&t, &[("recordID", "r*"), any]).await.is_empty());
    assert!(ids_of(&t, &[("recordID", "r?-"), any]).await.is_empty());
    // Ruby's split: `,` alone selects nothing; a leading empty item is a prefix of everything.
    assert!(ids_of(&t, &[("recordID", ","), any]).await.is_empty());
    assert_eq!(ids_of(&t, &[("recordID", ",r1"), any]).await.len(), 5);
    // Blank: no condition.
    assert_eq!(ids_of(&t, &[("recordID", " "), any]).await.len(), 5);
}
both!(record_id_prefixes);

async fn meeting_ids(kind: Kind) {
    let t = fixture(kind).await;
    let any = ("state", "any");
    assert_eq!(
        ids_of(&t, &[("meetingID", "mb"), any]).await,
        ["r4*?[y", "r3_%|x"]
    );
    assert_eq!(
        ids_of(&t, &[("meetingID", "ma,mc"), any]).await,
        ["r5-abc", "r2-abc", "r1-Abc"]
    );
    assert!(
        ids_of(&t, &[("meetingID", "m"), any]).await.is_empty(),
        "exact"
    );
    assert!(ids_of(&t, &[("meetingID", "MA"), any]).await.is_empty());
    // AND with the other conditions.
    assert_eq!(
        ids_of(&t, &[("meetingID", "ma"), ("recordID", "r1")]).await,
        ["r1-Abc"]
    );
}
both!(meeting_ids);

async fn meta_filters(kind: Kind) {
    let t = fixture(kind).await;
    let any = ("state", "any");
    assert_eq!(ids_of(&t, &[("meta_color", "red")]).await, ["r1-Abc"]);
    assert_eq!(
        ids_of(&t, &[("meta_color", "red,blue")]).await,
        ["r2-abc", "r1-Abc"]
    );
    // OR across params.
    assert_eq!(
        ids_of(&t, &[("meta_color", "red"), ("meta_shape", "square"), any]).await,
        ["r3_%|x", "r1-Abc"]
    );
    // The key is the name with every `meta_` removed, case kept.
    assert_eq!(ids_of(&t, &[("meta_meta_color", "red")]).await, ["r1-Abc"]);
    assert_eq!(ids_of(&t, &[("meta_colmeta_or", "red")]).await, ["r1-Abc"]);
    // A name not starting with `meta_` is no meta filter.
    assert_eq!(ids_of(&t, &[("xmeta_color", "red")]).await.len(), 2);
    assert!(ids_of(&t, &[("meta_Color", "red")]).await.is_empty());
    // A blank value matches nothing (and no other param matches then).
    assert!(ids_of(&t, &[("meta_color", "")]).await.is_empty());
    assert_eq!(
        ids_of(&t, &[("meta_color", ""), ("meta_shape", "round")]).await,
        ["r2-abc"]
    );
    // The answer carries all the metadata of a recording, not only the matching rows.
    let f = RecordingFilter::from_params([("meta_color", "blue")]);
    let (recs, _) = get_recordings(&t.db, &f).await.unwrap();
    let keys: Vec<&str> = recs[0].metadata.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["isBreakout", "meeting-name", "color", "shape", "tenant-id"]
    );
}
both!(meta_filters);

async fn tenant(kind: Kind) {
    let t = fixture(kind).await;
    let with = |tenant: &str, params: &[(&'static str, &'static str)]| {
        let mut f = RecordingFilter::from_params(params.iter().copied());
        f.tenant = Some(tenant.into());
        f
    };
    let ids = |recs: Vec<crate::recordings::Recording>| -> Vec<String> {
        recs.into_iter().map(|r| r.record_id).collect()
    };
    let (r, _) = get_recordings(&t.db, &with("t1", &[])).await.unwrap();
    assert_eq!(ids(r), ["r1-Abc"]);
    let (r, _) = get_recordings(&t.db, &with("t3", &[])).await.unwrap();
    assert!(r.is_empty());
    // Q13 fixed: a meta filter applies to any row, the tenant to its own.
    let (r, _) = get_recordings(&t.db, &with("t2", &[("meta_color", "blue")]))
        .await
        .unwrap();
    assert_eq!(ids(r), ["r2-abc"]);
    let (r, _) = get_recordings(&t.db, &with("t1", &[("meta_color", "blue")]))
        .await
        .unwrap();
    assert!(r.is_empty());
}
both!(tenant);

async fn nested_lists_in_order(kind: Kind) {
    let t = TestDb::new(kind).await;
    let mut r = imported("r1", "m", 1_000);
    put(&t.db, &r).await;
    r.format = "video".into();
    r.url = "/playback/video/r1/".into();
    r.thumbnails.clear();
    put(&t.db, &r).await;
    r.format = "notes".into();
    put(&t.db, &r).await;
    let (recs, _) = get_recordings(&t.db, &RecordingFilter::default())
        .await
        .unwrap();
    let f: Vec<&str> = recs[0].formats.iter().map(|f| f.format.as_str()).collect();
    assert_eq!(f, ["notes", "presentation", "video"]);
    let p = &recs[0].formats[1];
    let seq: Vec<i32> = p.thumbnails.iter().map(|t| t.sequence).collect();
    assert_eq!(seq, [0, 1]);
    assert_eq!(
        p.thumbnails[0].url,
        "/presentation/t/thumbnails/thumb-1.png"
    );
    assert_eq!(p.thumbnails[0].alt.as_deref(), Some("alt 0"));
    assert_eq!((p.thumbnails[0].width, p.length), (Some(176), Some(1)));
    assert!(recs[0].formats[2].thumbnails.is_empty());
}
both!(nested_lists_in_order);

async fn order_and_paging(kind: Kind) {
    let t = TestDb::new(kind).await;
    // 23 recordings; starttimes repeat (ties broken by record_id), two without a start time.
    for i in 0..23 {
        let mut r = imported(&format!("rec-{i:02}"), "m", 1_000 * (i % 5));
        if i >= 21 {
            r.start_time_ms = None;
        }
        put(&t.db, &r).await;
    }
    let (all, total) = get_recordings(&t.db, &RecordingFilter::default())
        .await
        .unwrap();
    assert_eq!((all.len(), total), (23, 23));
    let starts: Vec<Option<i64>> = all.iter().map(|r| r.start_time_ms).collect();
    for w in all.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        match (a.start_time_ms, b.start_time_ms) {
            (Some(x), Some(y)) => assert!(x > y || (x == y && a.record_id < b.record_id)),
            (Some(_), None) => {}
            (None, None) => assert!(a.record_id < b.record_id),
            (None, Some(_)) => panic!("NULL start time before a dated one: {starts:?}"),
        }
    }
    // Pages of 5 concatenate to the whole list; each says the total.
    let mut paged = Vec::new();
    for page in 0..6 {
        let f = RecordingFilter {
            limit: Some(5),
            offset: page * 5,
            ..RecordingFilter::default()
        };
        let (recs, total) = get_recordings(&t.db, &f).await.unwrap();
        assert_eq!(total, 23);
        assert_eq!(
            recs.len(),
            if page < 4 {
                5
            } else if page == 4 {
                3
            } else {
                0
            }
        );
        paged.extend(recs);
    }
    assert_eq!(paged, all);
    // The total counts the matches of the filter, not the table.
    let mut f = RecordingFilter::from_params([("recordID", "rec-1")]);
    f.limit = Some(3);
    let (recs, total) = get_recordings(&t.db, &f).await.unwrap();
    assert_eq!((recs.len(), total), (3, 10));
    // An offset alone (no limit) skips.
    let f = RecordingFilter {
        offset: 20,
        ..RecordingFilter::default()
    };
    let (recs, total) = get_recordings(&t.db, &f).await.unwrap();
    assert_eq!((recs.len(), total), (3, 23));
}
both!(order_and_paging);

/// The lookups of publishRecordings (exact ids, published/unpublished) and deleteRecordings
/// (exact ids, any state), tenant-filtered.
async fn exact_ids(kind: Kind) {
    let t = fixture(kind).await;
    let lookup = |ids: &[&str], states, tenant: Option<&str>| RecordingFilter {
        exact_record_ids: Some(ids.iter().map(|s| s.to_string()).collect()),
        states,
        tenant: tenant.map(String::from),
        ..RecordingFilter::default()
    };
    let found = |f: RecordingFilter| {
        let db = t.db.clone();
        async move {
            let (recs, _) = get_recordings(&db, &f).await.unwrap();
            recs.into_iter().map(|r| r.record_id).collect::<Vec<_>>()
        }
    };
    use crate::recordings::StateFilter::{Any, Default};
    let ids = ["r1-Abc", "r2", "r3_%|x", "r5-abc"];
    assert_eq!(
        found(lookup(&ids, Default, None)).await,
        ["r1-Abc"],
        "not prefixes"
    );
    assert_eq!(
        found(lookup(&ids, Any, None)).await,
        ["r5-abc", "r3_%|x", "r1-Abc"]
    );
    assert!(found(lookup(&ids, Any, Some("t2"))).await.is_empty());
    assert_eq!(found(lookup(&ids, Any, Some("t1"))).await, ["r1-Abc"]);
    assert!(found(lookup(&[], Any, None)).await.is_empty());
}
both!(exact_ids);
