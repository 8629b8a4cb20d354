//! Test databases: a fresh PostgreSQL database per test (dropped afterwards) or a SQLite file in
//! a temp dir; and recordings to import.

use crate::config::DatabaseConfig;
use crate::db::Database;
use crate::recordings::{upsert, ImportedFormat, Thumbnail};
use sqlx::{Connection, Executor, PgConnection};
use std::path::Path;

/// The PostgreSQL the tests may use (trust auth).
pub(super) fn postgres_url() -> String {
    std::env::var("SCALELITE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database for one test; PostgreSQL ones are dropped at the end.
pub(super) struct TestDb {
    pub(super) db: Database,
    name: Option<String>,
    _dir: tempfile::TempDir,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Postgres,
    Sqlite,
}

impl TestDb {
    pub(super) async fn new(kind: Kind) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        match kind {
            Kind::Sqlite => TestDb {
                db: Database::lazy(&DatabaseConfig::Embedded, dir.path()).unwrap(),
                name: None,
                _dir: dir,
            },
            Kind::Postgres => {
                let (name, url) = create_pg().await;
                TestDb {
                    db: Database::lazy(&DatabaseConfig::Postgres(url), Path::new(".")).unwrap(),
                    name: Some(name),
                    _dir: dir,
                }
            }
        }
    }
}

/// A new empty PostgreSQL database: (name, URL).
pub(super) async fn create_pg() -> (String, String) {
    let admin = postgres_url();
    let name = format!("scalelite_rec_{}", uuid::Uuid::new_v4().simple());
    let mut con = PgConnection::connect(&admin).await.unwrap();
    con.execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    (name, url.to_string())
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.name.take() {
            drop_pg(name);
        }
    }
}

/// Drops the PostgreSQL database of this name when dropped (a failing test included).
pub(super) struct DropPg(pub(super) String);

impl Drop for DropPg {
    fn drop(&mut self) {
        drop_pg(std::mem::take(&mut self.0));
    }
}

/// Drops a test database (with its connections), from a thread of its own as Drop runs inside
/// the test's runtime.
pub(super) fn drop_pg(name: String) {
    let admin = postgres_url();
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            if let Ok(mut con) = PgConnection::connect(&admin).await {
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                let _ = con.execute(sql.as_str()).await;
            }
        });
    })
    .join();
}

/// Runs a test body (`async fn(Kind)`) on each database: `both!(body)` makes `postgres` and
/// `sqlite` tests in a module named after the body.
macro_rules! both {
    ($body:ident) => {
        mod $body {
            use super::super::support::Kind;
            #[tokio::test]
            async fn postgres() {
                super::$body(Kind::Postgres).await;
            }
            #[tokio::test]
            async fn sqlite() {
                super::$body(Kind::Sqlite).await;
            }
        }
    };
}
pub(super) use both;

/// A published presentation of `record_id` in `meeting_id`, started at `start_ms`.
pub(super) fn imported(record_id: &str, meeting_id: &str, start_ms: i64) -> ImportedFormat {
    ImportedFormat {
        record_id: record_id.into(),
        meeting_id: meeting_id.into(),
        name: Some(format!("name of {record_id}")),
        published: Some(true),
        participants: Some(3),
        state: Some("published".into()),
        start_time_ms: Some(start_ms),
        end_time_ms: Some(start_ms + 60_000),
        metadata: vec![
            ("isBreakout".into(), "false".into()),
            ("meeting-name".into(), format!("m {meeting_id}")),
        ],
        format: "presentation".into(),
        url: format!("/playback/presentation/2.3/{record_id}"),
        length_minutes: 1,
        thumbnails: vec![
            thumb(1, "/presentation/t/thumbnails/thumb-2.png"),
            thumb(0, "/presentation/t/thumbnails/thumb-1.png"),
        ],
    }
}

pub(super) fn thumb(sequence: i32, url: &str) -> Thumbnail {
    Thumbnail {
        width: Some(176),
        height: Some(136),
        alt: Some(format!("alt {sequence}")),
        url: url.into(),
        sequence,
    }
}

/// Imports `rec` with both switches off.
pub(super) async fn put(db: &Database, rec: &ImportedFormat) -> i64 {
    upsert(db, rec, false, false).await.unwrap().recording_id
}
