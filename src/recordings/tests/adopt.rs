//! A PostgreSQL database made by Scalelite is adopted in place: the tables as Rails creates them
//! from Scalelite's db/schema.rb (version 2023_06_27_141045, and an older one from before the
//! 2021 columns), Rails' own tables, a few recordings; then our code opens it.
use super::support::{create_pg, imported, DropPg};
use crate::config::DatabaseConfig;
use crate::db::Database;
use crate::recordings::{get_recordings, upsert, RecordingFilter, StateFilter};
use sqlx::{Executor, PgPool, Row};
use std::path::Path;

/// What `rails db:schema:load` runs for Scalelite's schema.rb (Rails 7.2, PostgreSQL adapter).
/// `legacy`: the recordings table of a database migrated before 2021-06 (no `protected`, no
/// `publish_updated`, `published` nullable).
fn rails_schema(legacy: bool) -> String {
    let flags = if legacy {
        r#""published" boolean, "participants" integer, "state" character varying,
           "starttime" timestamp, "endtime" timestamp, "deleted_at" timestamp"#
    } else {
        r#""published" boolean DEFAULT FALSE NOT NULL, "participants" integer,
           "state" character varying, "starttime" timestamp, "endtime" timestamp,
           "deleted_at" timestamp, "protected" boolean DEFAULT FALSE NOT NULL,
           "publish_updated" boolean DEFAULT FALSE NOT NULL"#
    };
    format!(
        r#"
CREATE EXTENSION IF NOT EXISTS "plpgsql";
CREATE TABLE "schema_migrations" ("version" character varying NOT NULL PRIMARY KEY);
CREATE TABLE "ar_internal_metadata" ("key" character varying NOT NULL PRIMARY KEY,
  "value" character varying, "created_at" timestamp(6) NOT NULL, "updated_at" timestamp(6) NOT NULL);
CREATE TABLE "callback_data" ("id" bigserial primary key, "meeting_id" character varying,
  "recording_id" integer, "callback_attributes" text, "created_at" timestamp(6) NOT NULL,
  "updated_at" timestamp(6) NOT NULL);
CREATE TABLE "metadata" ("id" bigserial primary key, "recording_id" bigint,
  "key" character varying, "value" character varying);
CREATE UNIQUE INDEX "index_metadata_on_recording_id_and_key" ON "metadata" ("recording_id", "key");
CREATE TABLE "playback_formats" ("id" bigserial primary key, "recording_id" bigint,
  "format" character varying, "url" character varying, "length" integer, "processing_time" integer);
CREATE UNIQUE INDEX "index_playback_formats_on_recording_id_and_format"
  ON "playback_formats" ("recording_id", "format");
CREATE TABLE "recordings" ("id" bigserial primary key, "record_id" character varying,
  "meeting_id" character varying, "name" character varying, {flags});
CREATE INDEX "index_recordings_on_meeting_id" ON "recordings" ("meeting_id");
CREATE UNIQUE INDEX "index_recordings_on_record_id" ON "recordings" ("record_id");
CREATE TABLE "thumbnails" ("id" bigserial primary key, "playback_format_id" bigint,
  "width" integer, "height" integer, "alt" character varying, "url" character varying,
  "sequence" integer);
CREATE INDEX "index_thumbnails_on_playback_format_id" ON "thumbnails" ("playback_format_id");
INSERT INTO "schema_migrations" (version) VALUES ('20230627141045'), ('20221111194252'),
  ('20210725200414'), ('20210630205630'), ('20210425184558'), ('20181123180008');
INSERT INTO "ar_internal_metadata" VALUES
  ('environment', 'production', '2023-07-01 10:00:00.000001', '2023-07-01 10:00:00.000001'),
  ('schema_sha1', 'c0ffee', '2023-07-01 10:00:00.000001', '2023-07-01 10:00:00.000001');
INSERT INTO recordings (record_id, meeting_id, name, published, participants, state, starttime, endtime)
  VALUES ('aaa-1', 'meet-1', 'First', true, 4, 'published', '2023-05-01 10:00:00.123456', '2023-05-01 11:00:00'),
         ('bbb-2', 'meet-2', 'Second', {unpublished}, NULL, 'unpublished', '2023-05-02 10:00:00', NULL);
INSERT INTO metadata (recording_id, key, value) VALUES (1, 'bbb-origin', 'Greenlight'),
  (1, 'tenant-id', 'tenant-a'), (2, 'bbb-origin', NULL);
INSERT INTO playback_formats (recording_id, format, url, length, processing_time)
  VALUES (1, 'presentation', '/playback/presentation/2.3/aaa-1', 60, 1234),
         (1, 'podcast', '/podcast/aaa-1/audio.ogg', 60, NULL);
INSERT INTO thumbnails (playback_format_id, width, height, alt, url, sequence)
  VALUES (1, 176, 136, 'Welcome', '/presentation/aaa-1/presentation/x/thumbnails/thumb-1.png', 0);
INSERT INTO callback_data (meeting_id, recording_id, callback_attributes, created_at, updated_at)
  VALUES ('meet-1', 1, '---\n:recording_ready_url: https://lms.example/ready\n', now(), now());
"#,
        // An old database: NULL published.
        unpublished = if legacy { "NULL" } else { "false" }
    )
}

/// Every column (type, nullability, default) and index of the database, and Rails' rows.
async fn snapshot(pool: &PgPool) -> Vec<String> {
    let mut out = Vec::new();
    for q in [
        "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable \
         || ' ' || coalesce(column_default, '-') FROM information_schema.columns \
         WHERE table_schema = 'public'",
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'",
        "SELECT 'migration ' || version FROM schema_migrations",
        "SELECT 'ar ' || key || '=' || value FROM ar_internal_metadata",
    ] {
        for row in sqlx::query(q).fetch_all(pool).await.unwrap() {
            out.push(row.get::<String, _>(0));
        }
    }
    out.sort();
    out
}

async fn adopt(legacy: bool) {
    let (name, url) = create_pg().await;
    let _guard = DropPg(name);
    let pool = PgPool::connect(&url).await.unwrap();
    pool.execute(rails_schema(legacy).as_str()).await.unwrap();
    let before = snapshot(&pool).await;

    let db = Database::lazy(&DatabaseConfig::Postgres(url), Path::new(".")).unwrap();
    let (recs, total) = get_recordings(&db, &RecordingFilter::default())
        .await
        .unwrap();
    assert_eq!(total, 2);
    let (b, a) = (&recs[0], &recs[1]);
    assert_eq!((b.record_id.as_str(), b.published), ("bbb-2", false));
    assert_eq!(b.metadata, [("bbb-origin".to_string(), String::new())]);
    assert_eq!(a.record_id, "aaa-1");
    assert_eq!(
        (a.name.as_deref(), a.participants),
        (Some("First"), Some(4))
    );
    assert_eq!(a.start_time_ms, Some(1_682_935_200_123), "truncated to ms");
    assert_eq!(a.end_time_ms, Some(1_682_938_800_000));
    assert!(a.published && !a.protected);
    let formats: Vec<&str> = a.formats.iter().map(|f| f.format.as_str()).collect();
    assert_eq!(formats, ["podcast", "presentation"]);
    assert_eq!(a.formats[1].processing_time, Some(1234));
    assert_eq!(a.formats[1].thumbnails[0].alt.as_deref(), Some("Welcome"));
    let f = RecordingFilter {
        tenant: Some("tenant-a".into()),
        ..RecordingFilter::default()
    };
    assert_eq!(get_recordings(&db, &f).await.unwrap().1, 1);

    // New imports go into the same tables: a format of a Scalelite recording, a new recording.
    let mut video = imported("aaa-1", "meet-1", 1_682_935_200_123);
    video.format = "video".into();
    assert_eq!(
        upsert(&db, &video, false, false)
            .await
            .unwrap()
            .recording_id,
        1
    );
    let new = imported("ccc-3", "meet-3", 1_700_000_000_000);
    let new = upsert(&db, &new, false, false).await.unwrap();
    // From Scalelite's sequence (an upsert that found its row used a number too).
    assert!(new.recording_id > 2, "{new:?}");
    let f = RecordingFilter {
        states: StateFilter::Any,
        ..RecordingFilter::default()
    };
    let (recs, _) = get_recordings(&db, &f).await.unwrap();
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[2].formats.len(), 3);

    // Nothing of Scalelite's schema or Rails' rows changed: ours only added.
    let after = snapshot(&pool).await;
    let lost: Vec<&String> = before.iter().filter(|b| !after.contains(b)).collect();
    assert!(lost.is_empty(), "changed or dropped: {lost:?}");
    let ours: Vec<&String> = after.iter().filter(|a| !before.contains(a)).collect();
    if legacy {
        assert!(ours
            .iter()
            .any(|c| c.starts_with("recordings.protected boolean NO false")));
        assert!(ours
            .iter()
            .any(|c| c.starts_with("recordings.publish_updated boolean NO")));
    }
    assert!(
        ours.iter().all(|c| c.contains("scalelite_rs_")
            || c.contains("_sqlx_migrations")
            || (legacy && (c.contains(".protected") || c.contains(".publish_updated")))),
        "{ours:?}"
    );
    pool.close().await;
    drop(db);
}

#[tokio::test]
async fn scalelite_database_is_adopted_in_place() {
    adopt(false).await;
}

#[tokio::test]
async fn scalelite_database_from_before_2021_is_adopted_in_place() {
    adopt(true).await;
}
