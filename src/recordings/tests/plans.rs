//! Every getRecordings filter is an index scan: with enough rows that a planner would rather scan
//! a table it could, each query of `get_recordings` is explained and no plan reads a whole table.
//! Run with `--nocapture` to see the plans.
use super::super::index::{count_sql, formats_sql, metadata_sql, page_sql, thumbnails_sql};
use super::super::sql::{lite, pg, Dialect, Sql};
use super::support::{Kind, TestDb};
use crate::db::Database;
use crate::recordings::RecordingFilter;
use sqlx::{Executor, Row};

const ROWS: i64 = 30_000;

/// ROWS recordings (`rec-<i>`, 3,000 meetings, 500 tenants, mostly published), 4 metadata rows and 2 formats
/// each, a thumbnail per format.
fn data(d: Dialect) -> String {
    let start = match d {
        Dialect::Postgres => "TIMESTAMP '2023-01-01' + i * INTERVAL '1 minute'",
        Dialect::Sqlite => "strftime('%Y-%m-%d %H:%M:%f', 1672531200 + i * 60, 'unixepoch')",
    };
    format!(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {ROWS})
         INSERT INTO recordings (record_id, meeting_id, name, published, state, starttime)
         SELECT 'rec-' || i, 'meeting-' || (i % 3000), 'n', true,
           CASE WHEN i % 97 = 0 THEN 'processing' WHEN i % 10 = 0 THEN 'unpublished'
           ELSE 'published' END, {start} FROM s;
         INSERT INTO metadata (recording_id, key, value) SELECT id, 'tenant-id', 't' || (id % 500)
           FROM recordings;
         INSERT INTO metadata (recording_id, key, value) SELECT id, 'bbb-context', 'c' || (id % 1000)
           FROM recordings;
         INSERT INTO metadata (recording_id, key, value) SELECT id, 'isBreakout', 'false'
           FROM recordings;
         INSERT INTO metadata (recording_id, key, value) SELECT id, 'gl-listed', 'true'
           FROM recordings;
         INSERT INTO playback_formats (recording_id, format, url, length)
           SELECT id, 'presentation', '/p/' || record_id, 5 FROM recordings;
         INSERT INTO playback_formats (recording_id, format, url, length)
           SELECT id, 'video', '/v/' || record_id, 5 FROM recordings;
         INSERT INTO thumbnails (playback_format_id, url, sequence)
           SELECT id, '/t.png', 0 FROM playback_formats;"
    )
}

/// The statements of a getRecordings call with `params` (and paging), as explained.
fn statements(d: Dialect, params: &[(&str, &str)], limit: Option<u32>, offset: u32) -> Vec<Sql> {
    let mut f = RecordingFilter::from_params(params.iter().copied());
    if params.iter().any(|(k, _)| *k == "tenant") {
        f = RecordingFilter::from_params(params.iter().copied().filter(|(k, _)| *k != "tenant"));
        f.tenant = Some("t7".into());
    }
    f.limit = limit;
    f.offset = offset;
    let ids: Vec<i64> = (1..=100).map(|i| i * 37).collect();
    vec![
        count_sql(d, &f),
        page_sql(d, &f, true),
        metadata_sql(d, &ids),
        formats_sql(d, &ids),
        thumbnails_sql(d, &ids),
    ]
}

async fn explain(db: &Database, s: &mut Sql) -> Vec<String> {
    let mut lines = Vec::new();
    match db {
        Database::Postgres(p) => {
            s.text.insert_str(0, "EXPLAIN ");
            for row in pg(s).fetch_all(p).await.unwrap() {
                lines.push(row.get::<String, _>(0));
            }
        }
        Database::Sqlite(p) => {
            s.text.insert_str(0, "EXPLAIN QUERY PLAN ");
            for row in lite(s).fetch_all(p).await.unwrap() {
                lines.push(row.get::<String, _>(3));
            }
        }
    }
    lines
}

/// Whether a plan line reads a whole table (rather than an index).
fn full_scan(d: Dialect, line: &str) -> bool {
    match d {
        Dialect::Postgres => line.contains("Seq Scan"),
        // `SCAN t` alone is a table scan; `SCAN t USING [COVERING] INDEX` walks an index in
        // order (the paging order); json_each is the id list.
        Dialect::Sqlite => {
            let l = line.trim();
            l.starts_with("SCAN") && !l.contains("USING") && !l.contains("json_each")
        }
    }
}

/// A getRecordings call: (name, params, limit, offset).
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    Option<u32>,
    u32,
);

async fn filters_use_indexes(kind: Kind) {
    let t = TestDb::new(kind).await;
    let d = match kind {
        Kind::Postgres => Dialect::Postgres,
        Kind::Sqlite => Dialect::Sqlite,
    };
    let db = t.db.ready().await.unwrap();
    // Statistics and (on PostgreSQL) the visibility map, as autovacuum keeps them.
    match db {
        Database::Postgres(p) => {
            p.execute(data(d).as_str()).await.unwrap();
            p.execute("VACUUM ANALYZE").await.map(drop)
        }
        Database::Sqlite(p) => {
            p.execute(data(d).as_str()).await.unwrap();
            p.execute("ANALYZE").await.map(drop)
        }
    }
    .unwrap();
    let cases: [Case; 8] = [
        ("meetingID", &[("meetingID", "meeting-42")], None, 0),
        ("recordID prefix", &[("recordID", "rec-123")], None, 0),
        ("recordIDs", &[("recordID", "rec-99,rec-1234")], None, 0),
        ("meta", &[("meta_bbb-context", "c7,c8")], None, 0),
        ("tenant", &[("tenant", "")], Some(100), 0),
        ("state", &[("state", "processing")], None, 0),
        ("first page", &[], Some(100), 0),
        ("deep page", &[], Some(100), 15_000),
    ];
    let mut bad = Vec::new();
    for (name, params, limit, offset) in cases {
        for mut s in statements(d, params, limit, offset) {
            let plan = explain(db, &mut s).await;
            println!("-- {kind:?} {name}: {}\n{}\n", s.text, plan.join("\n"));
            if plan.iter().any(|l| full_scan(d, l)) {
                bad.push(format!("{name}: {}", plan.join(" / ")));
            }
        }
    }
    assert!(bad.is_empty(), "full scans:\n{}", bad.join("\n"));
}
super::support::both!(filters_use_indexes);
