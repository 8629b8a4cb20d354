//! The original Scalelite's request-spec examples for the recording calls (behaviour doc §12.1,
//! examples 90–139: getRecordings, publishRecordings, updateRecordings, deleteRecordings),
//! replayed black-box through the binary over HTTP on both recordings databases: the embedded
//! SQLite file and a PostgreSQL database of the test's own. The multitenancy examples and the S3
//! one are left to their own issues. Data the importer cannot produce (NULL state, processing,
//! deleted, exact metadata sets) is inserted with SQL after the gateway migrated the database.
use crate::common::*;
use crate::health::TestDatabase;

mod get;
mod write;

/// The recordings database a test writes its fixture rows into and reads the state back from.
pub(crate) enum Db {
    Lite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Db {
    pub(crate) async fn exec(&self, sql: &str) {
        match self {
            Db::Lite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            Db::Pg(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The one text value `sql` selects (NULL: None).
    pub(crate) async fn text(&self, sql: &str) -> Option<String> {
        use sqlx::Row;
        match self {
            Db::Lite(p) => sqlx::query(sql).fetch_one(p).await.map(|r| r.get(0)),
            Db::Pg(p) => sqlx::query(sql).fetch_one(p).await.map(|r| r.get(0)),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The state of recording `rid`, `published` as "1"/"0".
    pub(crate) async fn row(&self, rid: &str) -> (String, Option<String>) {
        let p = self
            .text(&format!(
                "SELECT CASE WHEN published THEN '1' ELSE '0' END FROM recordings WHERE record_id = '{rid}'"
            ))
            .await
            .unwrap();
        let s = self
            .text(&format!(
                "SELECT state FROM recordings WHERE record_id = '{rid}'"
            ))
            .await;
        (p, s)
    }

    /// The metadata of recording `rid`, sorted by key.
    pub(crate) async fn meta(&self, rid: &str) -> Vec<(String, String)> {
        let sql = format!(
            "SELECT m.key, m.value FROM metadata m JOIN recordings r ON r.id = m.recording_id \
             WHERE r.record_id = '{rid}' ORDER BY m.key"
        );
        match self {
            Db::Lite(p) => sqlx::query_as(&sql).fetch_all(p).await,
            Db::Pg(p) => sqlx::query_as(&sql).fetch_all(p).await,
        }
        .unwrap()
    }

    pub(crate) async fn count(&self, table: &str) -> i64 {
        self.text(&format!("SELECT CAST(count(*) AS TEXT) FROM {table}"))
            .await
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Insert recording `rid` of meeting `mid` (state NULL if None, started 2023-11-14 22:13:20
    /// UTC, 3 participants) with its metadata and formats (each with a playback URL path).
    pub(crate) async fn insert(
        &self,
        rid: &str,
        mid: &str,
        state: Option<&str>,
        published: bool,
        meta: &[(&str, &str)],
        formats: &[&str],
    ) {
        let state = state.map_or("NULL".to_string(), |s| format!("'{s}'"));
        self.exec(&format!(
            "INSERT INTO recordings (record_id, meeting_id, name, published, participants, state, \
             starttime, endtime, protected, publish_updated) VALUES ('{rid}', '{mid}', \
             'Name {rid}', {published}, 3, {state}, '2023-11-14 22:13:20', \
             '2023-11-14 22:23:20', FALSE, FALSE)"
        ))
        .await;
        let id = format!("(SELECT id FROM recordings WHERE record_id = '{rid}')");
        for (k, v) in meta {
            self.exec(&format!(
                "INSERT INTO metadata (recording_id, key, value) VALUES ({id}, '{k}', '{v}')"
            ))
            .await;
        }
        for f in formats {
            self.exec(&format!(
                "INSERT INTO playback_formats (recording_id, format, url, length, processing_time) \
                 VALUES ({id}, '{f}', '/playback/{f}/2.3/{rid}', 10, 2000)"
            ))
            .await;
        }
    }

    /// `n` recordings `{prefix}-{i}` of their own meetings in `state`.
    pub(crate) async fn others(&self, prefix: &str, n: usize, state: Option<&str>) {
        for i in 0..n {
            let rid = format!("{prefix}-{i}");
            self.insert(&rid, &format!("m-{rid}"), state, true, &[], &[])
                .await;
        }
    }
}

/// A gateway with its recordings database migrated and open to the test.
pub(crate) struct Spec {
    pub(crate) gw: Gateway,
    pub(crate) db: Db,
    /// The database URL the gateway uses (a `sqlite://` one for the embedded file).
    pub(crate) url: String,
    _pg: Option<TestDatabase>,
}

impl Spec {
    pub(crate) async fn start(pg: bool, env: &[(&str, &str)]) -> Spec {
        let tdb = if pg {
            Some(TestDatabase::create().await)
        } else {
            None
        };
        Spec::start_on(tdb, None, env).await
    }

    /// Start on PostgreSQL `tdb`, else on SQLite (`sqlite_url`, else the embedded default).
    async fn start_on(
        tdb: Option<TestDatabase>,
        sqlite_url: Option<&str>,
        env: &[(&str, &str)],
    ) -> Spec {
        let mut e: Vec<(&str, &str)> = vec![("RECORDING_IMPORT_POLL_INTERVAL", "0.3")];
        if let Some(d) = &tdb {
            e.push(("DATABASE_URL", &d.url));
        } else if let Some(u) = sqlite_url {
            e.push(("DATABASE_URL", u));
        }
        e.extend_from_slice(env);
        let gw = Gateway::start(&e).await;
        // The first recordings call migrates the database.
        gw.get("getRecordings", "recordID=none").await;
        let (db, url) = match &tdb {
            Some(d) => (
                Db::Pg(sqlx::PgPool::connect(&d.url).await.unwrap()),
                d.url.clone(),
            ),
            None => {
                let url = sqlite_url.map_or_else(
                    || format!("sqlite://{}", gw.dir.join("recordings.sqlite3").display()),
                    str::to_string,
                );
                (
                    Db::Lite(sqlx::SqlitePool::connect(&url).await.unwrap()),
                    url,
                )
            }
        };
        Spec {
            gw,
            db,
            url,
            _pg: tdb,
        }
    }

    /// A second gateway with `env` on the same database (this one is stopped): the fixture rows
    /// are inserted first, then the gateway under test starts (RECORDING_DISABLED examples).
    pub(crate) async fn reopen(mut self, env: &[(&str, &str)]) -> (Spec, Gateway) {
        self.gw.kill();
        let old = self.gw;
        let next = match self._pg {
            Some(d) => Spec::start_on(Some(d), None, env).await,
            None => Spec::start_on(None, Some(&self.url), env).await,
        };
        (next, old)
    }

    pub(crate) async fn get(&self, action: &str, query: &str) -> Response {
        self.gw.get(action, query).await
    }

    /// An unsigned call (the "real checksum check" examples).
    pub(crate) async fn raw(&self, action: &str, query: &str) -> Response {
        self.gw
            .get_url(&self.gw.url(&format!("{API}{action}{query}")))
            .await
    }

    /// The number of `<recording>` elements of an answer.
    pub(crate) fn recordings(r: &Response) -> usize {
        r.body.matches("<recording>").count()
    }
}

/// For each `name`, an `async fn name(pg: bool)` in the same module, run as two tests:
/// `name::sqlite` and `name::postgres`.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(false).await;
            }

            #[tokio::test]
            async fn postgres() {
                super::$name(true).await;
            }
        }
    )*};
}
pub(crate) use on_both_databases;
