//! The importer's writes (§7.3) and the publish/update/delete changes (§7.7–7.9), on both
//! databases.
use super::support::{both, imported, put, thumb, Kind, TestDb};
use crate::recordings::{
    delete, delete_targets, get_recordings, link_callback_data, parse_protect, publish_targets,
    set_published, update_metadata, upsert, MetaChange, PublishMove, Recording, RecordingFilter,
};

/// The recording `record_id` in any state.
async fn one(t: &TestDb, record_id: &str) -> Option<Recording> {
    let f = RecordingFilter {
        exact_record_ids: Some(vec![record_id.into()]),
        states: crate::recordings::StateFilter::Any,
        ..RecordingFilter::default()
    };
    get_recordings(&t.db, &f).await.unwrap().0.pop()
}

async fn reimport_merges(kind: Kind) {
    let t = TestDb::new(kind).await;
    let first = imported("r1", "m1", 1_000);
    let id = put(&t.db, &first).await;
    let mut again = imported("r1", "m1", 2_000);
    again.metadata = vec![("meeting-name".into(), "renamed".into())];
    again.participants = None;
    again.published = None;
    again.thumbnails = vec![thumb(0, "/new.png")];
    again.url = "/playback/presentation/2.3/r1?x=1".into();
    again.length_minutes = 7;
    assert_eq!(put(&t.db, &again).await, id, "same row");
    let r = one(&t, "r1").await.unwrap();
    // Keys absent from the new file are kept; present ones take the new value.
    assert_eq!(
        r.metadata,
        [
            ("isBreakout".to_string(), "false".to_string()),
            ("meeting-name".into(), "renamed".into())
        ]
    );
    assert_eq!(r.participants, Some(3), "absent: kept");
    assert!(r.published, "absent: kept");
    assert_eq!(r.start_time_ms, Some(2_000));
    assert_eq!(r.formats.len(), 1);
    let f = &r.formats[0];
    assert_eq!(
        (f.url.as_str(), f.length),
        ("/playback/presentation/2.3/r1?x=1", Some(7))
    );
    assert_eq!(f.thumbnails.len(), 1, "thumbnails replaced");
    assert_eq!(f.thumbnails[0].url, "/new.png");
    // Another format is a second row of the same recording.
    let mut video = imported("r1", "m1", 2_000);
    video.format = "video".into();
    put(&t.db, &video).await;
    assert_eq!(one(&t, "r1").await.unwrap().formats.len(), 2);
}
both!(reimport_merges);

async fn published_flags(kind: Kind) {
    let t = TestDb::new(kind).await;
    // RECORDING_IMPORT_UNPUBLISHED: unpublished, and the state says so (Q17 fixed).
    let u = upsert(&t.db, &imported("r1", "m", 1), true, false)
        .await
        .unwrap();
    assert!(!u.published);
    assert_eq!(u.state.as_deref(), Some("unpublished"));
    let r = one(&t, "r1").await.unwrap();
    assert_eq!(
        (r.published, r.state.as_deref()),
        (false, Some("unpublished"))
    );
    // metadata.xml unpublished.
    let mut rec = imported("r2", "m", 2);
    rec.published = Some(false);
    let u = upsert(&t.db, &rec, false, false).await.unwrap();
    assert_eq!(
        (u.published, u.state.as_deref()),
        (false, Some("unpublished"))
    );
    // publishRecordings' choice survives a re-import whose metadata.xml says otherwise.
    assert!(set_published(&t.db, "r2", true).await.unwrap());
    let u = upsert(&t.db, &rec, true, false).await.unwrap();
    assert!(u.published);
    let r = one(&t, "r2").await.unwrap();
    assert_eq!((r.published, r.state.as_deref()), (true, Some("published")));
    // Other states are left alone.
    let mut p = imported("r3", "m", 3);
    p.state = Some("processing".into());
    let u = upsert(&t.db, &p, true, false).await.unwrap();
    assert_eq!(
        (u.published, u.state.as_deref()),
        (false, Some("processing"))
    );
    // protected: the global flag for a new recording; a re-import keeps the recording's own.
    upsert(&t.db, &imported("r4", "m", 4), false, true)
        .await
        .unwrap();
    assert!(one(&t, "r4").await.unwrap().protected);
    let changes = [];
    update_metadata(&t.db, &["r4".into()], None, &changes, Some(false))
        .await
        .unwrap();
    upsert(&t.db, &imported("r4", "m", 4), false, true)
        .await
        .unwrap();
    assert!(!one(&t, "r4").await.unwrap().protected);
}
both!(published_flags);

async fn callback_data_is_linked(kind: Kind) {
    let t = TestDb::new(kind).await;
    let id = put(&t.db, &imported("r1", "m1", 1)).await;
    assert!(
        !link_callback_data(&t.db, "m1", id).await.unwrap(),
        "none yet"
    );
    let insert = "INSERT INTO callback_data (meeting_id, callback_attributes, created_at, \
                  updated_at) VALUES ('m1', '{}', '2024-01-01 00:00:00', '2024-01-01 00:00:00')";
    let linked: i64 = match &t.db {
        crate::db::Database::Postgres(p) => {
            sqlx::query(insert).execute(p).await.unwrap();
            assert!(link_callback_data(&t.db, "m1", id).await.unwrap());
            sqlx::query_scalar("SELECT recording_id::bigint FROM callback_data")
                .fetch_one(p)
                .await
                .unwrap()
        }
        crate::db::Database::Sqlite(p) => {
            sqlx::query(insert).execute(p).await.unwrap();
            assert!(link_callback_data(&t.db, "m1", id).await.unwrap());
            sqlx::query_scalar("SELECT recording_id FROM callback_data")
                .fetch_one(p)
                .await
                .unwrap()
        }
    };
    assert_eq!(linked, id);
}
both!(callback_data_is_linked);

async fn publish_changes(kind: Kind) {
    let t = TestDb::new(kind).await;
    put(&t.db, &imported("r1", "m", 1)).await;
    assert!(set_published(&t.db, "r1", false).await.unwrap());
    let r = one(&t, "r1").await.unwrap();
    assert_eq!(
        (r.published, r.state.as_deref()),
        (false, Some("unpublished"))
    );
    assert!(set_published(&t.db, "r1", true).await.unwrap());
    assert!(one(&t, "r1").await.unwrap().published);
    // Only published/unpublished recordings change; unknown ids do not.
    let mut p = imported("r2", "m", 2);
    p.state = Some("processing".into());
    put(&t.db, &p).await;
    assert!(!set_published(&t.db, "r2", false).await.unwrap());
    assert!(one(&t, "r2").await.unwrap().published);
    assert!(!set_published(&t.db, "nope", true).await.unwrap());
}
both!(publish_changes);

async fn publish_and_delete_targets(kind: Kind) {
    let t = TestDb::new(kind).await;
    let mut r1 = imported("r1", "m", 1);
    r1.metadata.push(("tenant-id".into(), "t1".into()));
    put(&t.db, &r1).await;
    let mut video = imported("r1", "m", 1);
    video.format = "video".into();
    put(&t.db, &video).await;
    let mut r2 = imported("r2", "m", 2);
    r2.published = Some(false);
    put(&t.db, &r2).await;
    let mut p = imported("r3", "m", 3);
    p.state = Some("processing".into());
    put(&t.db, &p).await;
    let ids = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let all = ids(&["r1", "r2", "r3"]);
    // Unpublishing moves r1's two formats; r2 is unpublished already; r3 is not eligible.
    let moves = publish_targets(&t.db, &all, None, false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        moves,
        [PublishMove {
            record_id: "r1".into(),
            formats: vec!["presentation".into(), "video".into()]
        }]
    );
    let moves = publish_targets(&t.db, &all, None, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moves.len(), 1);
    assert_eq!(moves[0].record_id, "r2");
    // None found: notFound (a prefix is no id; a processing one does not count; another tenant's).
    for (list, tenant) in [
        (ids(&["r"]), None),
        (ids(&["r3"]), None),
        (ids(&["r2"]), Some("t1")),
    ] {
        let found = publish_targets(&t.db, &list, tenant, true).await.unwrap();
        assert_eq!(found, None, "{list:?}");
    }
    // Delete takes any state.
    let del = delete_targets(&t.db, &ids(&["r3", "nope"]), None)
        .await
        .unwrap();
    assert_eq!(del.len(), 1);
    assert!(delete_targets(&t.db, &ids(&["r3"]), Some("t1"))
        .await
        .unwrap()
        .is_empty());
}
both!(publish_and_delete_targets);

async fn delete_keeps_the_row(kind: Kind) {
    let t = TestDb::new(kind).await;
    put(&t.db, &imported("r1", "m", 1)).await;
    put(&t.db, &imported("r2", "m", 2)).await;
    assert!(delete(&t.db, "r1").await.unwrap());
    let r = one(&t, "r1").await.unwrap();
    assert_eq!(r.state.as_deref(), Some("deleted"));
    assert!(r.metadata.is_empty() && r.formats.is_empty());
    // Not listed by default any more; the other recording is untouched.
    let (recs, _) = get_recordings(&t.db, &RecordingFilter::default())
        .await
        .unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].formats[0].thumbnails.len(), 2);
    assert!(!delete(&t.db, "nope").await.unwrap());
    // No thumbnail left behind.
    let count = "SELECT count(*) FROM thumbnails";
    let n: i64 = match &t.db {
        crate::db::Database::Postgres(p) => sqlx::query_scalar(count).fetch_one(p).await.unwrap(),
        crate::db::Database::Sqlite(p) => sqlx::query_scalar(count).fetch_one(p).await.unwrap(),
    };
    assert_eq!(n, 2);
}
both!(delete_keeps_the_row);

async fn update_recordings(kind: Kind) {
    let t = TestDb::new(kind).await;
    let mut r1 = imported("r1", "m", 1);
    r1.metadata.push(("tenant-id".into(), "t1".into()));
    put(&t.db, &r1).await;
    put(&t.db, &imported("r2", "m", 2)).await;
    let ids = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let changes = MetaChange::from_params([
        ("meta_Color", "red"),
        ("meta_meeting-name", " "),
        ("protect", "true"),
    ]);
    // Unknown, duplicate or other tenant's ids: nothing changes.
    for (list, tenant) in [
        (ids(&["r1", "nope"]), None),
        (ids(&["r1", "r1"]), None),
        (ids(&["r1", "r2"]), Some("t1")),
    ] {
        let up = update_metadata(&t.db, &list, tenant, &changes, Some(true)).await;
        assert!(!up.unwrap(), "{list:?} {tenant:?}");
        assert_eq!(one(&t, "r2").await.unwrap().metadata.len(), 2);
    }
    let both = ids(&["r1", "r2"]);
    let up = update_metadata(&t.db, &both, None, &changes, Some(true));
    assert!(up.await.unwrap());
    for id in ["r1", "r2"] {
        let r = one(&t, id).await.unwrap();
        assert!(
            r.metadata.contains(&("color".into(), "red".into())),
            "{r:?}"
        );
        assert!(
            !r.metadata.iter().any(|(k, _)| k == "meeting-name"),
            "{r:?}"
        );
        // Q14 fixed: protect applies to every listed recording.
        assert!(r.protected, "{id}");
    }
    // Changing a value; a tenant's own recording.
    let c = MetaChange::from_params([("meta_color", "blue")]);
    assert!(update_metadata(&t.db, &ids(&["r1"]), Some("t1"), &c, None)
        .await
        .unwrap());
    let r = one(&t, "r1").await.unwrap();
    assert!(r.metadata.contains(&("color".into(), "blue".into())));
    // Nothing asked: false.
    assert!(!update_metadata(&t.db, &ids(&["r1"]), None, &[], None)
        .await
        .unwrap());
}
both!(update_recordings);

#[test]
fn parameters_of_update_recordings() {
    assert_eq!(
        MetaChange::from_params([("meta_A_B", "x"), ("meta_c", ""), ("other", "y")]),
        [
            MetaChange {
                key: "a_b".into(),
                value: Some("x".into())
            },
            MetaChange {
                key: "c".into(),
                value: None
            }
        ]
    );
    for (v, want) in [
        ("", None),
        (" ", None),
        ("true", Some(true)),
        ("1", Some(true)),
        ("yes", Some(true)),
        ("FALSE", Some(false)),
        ("f", Some(false)),
        ("0", Some(false)),
        ("Off", Some(false)),
    ] {
        assert_eq!(parse_protect(v), want, "{v:?}");
    }
}

async fn concurrent_imports_of_one_recording(kind: Kind) {
    let t = TestDb::new(kind).await;
    // Several importers (tasks on one pool) write formats of the same new recording at once.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let db = t.db.clone();
        tasks.push(tokio::spawn(async move {
            let mut r = imported("r1", "m1", 1_000);
            r.format = format!("format-{i}");
            r.metadata.push((format!("k{i}"), "v".into()));
            upsert(&db, &r, false, false).await.map(|u| u.recording_id)
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one recording: {ids:?}");
    let r = one(&t, "r1").await.unwrap();
    assert_eq!(r.formats.len(), 8);
    assert_eq!(r.metadata.len(), 10);
}
both!(concurrent_imports_of_one_recording);
