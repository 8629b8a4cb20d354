//! The recordings database: PostgreSQL in production (`DATABASE_URL`, as Scalelite), a SQLite
//! file otherwise. One small pool per service runtime, opened lazily, so a database that is down
//! at start-up does not stop the gateway: the health check reports it instead.
//!
//! Migrations: Scalelite's recordings schema lives in `migrations/recordings/postgres` and
//! `migrations/recordings/sqlite` (the dialects differ) and runs from [`Database::ready`], once per
//! process and database, on first use (`sqlx::migrate!` on the pool of the matching kind; on
//! PostgreSQL sqlx's migrator holds an advisory lock, so instances starting together do not
//! race). They only add tables, columns and indexes, so a database made by Scalelite is adopted
//! in place. The embedded store's journal (`migrations/state`, `src/store/persist.rs`) is a
//! different file and is not managed here.

mod error;

pub(crate) use error::DbError;

use crate::config::DatabaseConfig;
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};
use sqlx::ConnectOptions;
use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// Connections per pool. Each service runtime has its own pool; recordings calls are few.
const MAX_CONNECTIONS: u32 = 4;
/// How long getting a connection may take, connecting included: bounds the health check when
/// the database is down (sqlx retries a refused connection until then).
pub(crate) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// The whole ping, connection and statement.
const PING_TIMEOUT: Duration = Duration::from_millis(2500);
/// Idle connections are closed after this (a database restart then costs nothing).
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// The default file in the data dir when no URL is configured.
pub(crate) const EMBEDDED_FILE: &str = "recordings.sqlite3";

/// A handle on the recordings database; cheap to clone (the pools are shared handles).
#[derive(Clone)]
pub(crate) enum Database {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Database {
    /// The pool for `config`, without connecting. Must run inside the runtime that will use it
    /// (the pool's maintenance task is spawned there).
    pub(crate) fn lazy(config: &DatabaseConfig, data_dir: &Path) -> Result<Database, DbError> {
        match config {
            DatabaseConfig::Postgres(url) => {
                let opts = PgConnectOptions::from_str(url)
                    .map_err(|e| DbError::Url(e.to_string()))?
                    .disable_statement_logging();
                Ok(Database::Postgres(
                    pool_options::<sqlx::Postgres>().connect_lazy_with(opts),
                ))
            }
            DatabaseConfig::Sqlite(url) => {
                let opts =
                    SqliteConnectOptions::from_str(url).map_err(|e| DbError::Url(e.to_string()))?;
                Ok(Database::sqlite_lazy(opts))
            }
            DatabaseConfig::Embedded => Ok(Database::sqlite_lazy(
                SqliteConnectOptions::new().filename(data_dir.join(EMBEDDED_FILE)),
            )),
        }
    }

    fn sqlite_lazy(opts: SqliteConnectOptions) -> Database {
        let opts = opts
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            // Pools of several runtimes (and instances) share the file: wait for a writer a
            // little, never longer than a health check may take.
            .busy_timeout(ACQUIRE_TIMEOUT)
            .disable_statement_logging();
        // SQLite creates the file, not its directory. A failure here shows up as the
        // connection error the health check reports.
        if let Some(dir) = opts.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                if let Err(e) = std::fs::create_dir_all(dir) {
                    log::warn!("database directory {}: {e}", dir.display());
                }
            }
        }
        Database::Sqlite(pool_options::<sqlx::Sqlite>().connect_lazy_with(opts))
    }

    /// The database with the recordings schema in place: runs the migrations the first time this
    /// process uses this database (a failure is not remembered, so the next call retries).
    /// Every recordings query goes through here.
    pub(crate) async fn ready(&self) -> Result<&Database, DbError> {
        let key = self.identity();
        let mut migrated = MIGRATED.lock().await;
        if migrated.contains(&key) {
            return Ok(self);
        }
        match self {
            Database::Postgres(p) => {
                sqlx::migrate!("migrations/recordings/postgres")
                    .run(p)
                    .await?
            }
            Database::Sqlite(p) => {
                sqlx::migrate!("migrations/recordings/sqlite")
                    .run(p)
                    .await?
            }
        }
        migrated.insert(key);
        Ok(self)
    }

    /// What names this database across pools of one process (each service runtime has a pool).
    fn identity(&self) -> String {
        match self {
            Database::Postgres(p) => {
                let o = p.connect_options();
                format!(
                    "postgres://{}:{}/{}",
                    o.get_host(),
                    o.get_port(),
                    o.get_database().unwrap_or_default()
                )
            }
            Database::Sqlite(p) => {
                format!("sqlite:{}", p.connect_options().get_filename().display())
            }
        }
    }

    /// `SELECT 1`, connecting first if needed; answers within [`PING_TIMEOUT`].
    pub(crate) async fn ping(&self) -> Result<(), DbError> {
        let query = async {
            match self {
                Database::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.map(drop),
                Database::Sqlite(p) => sqlx::query("SELECT 1").execute(p).await.map(drop),
            }
        };
        match tokio::time::timeout(PING_TIMEOUT, query).await {
            Ok(result) => result.map_err(DbError::from),
            Err(_) => Err(DbError::Timeout(PING_TIMEOUT)),
        }
    }
}

/// The databases this process has migrated, by [`Database::identity`]. The lock is held while
/// migrating, so two tasks never run the same migration side by side.
static MIGRATED: tokio::sync::Mutex<BTreeSet<String>> =
    tokio::sync::Mutex::const_new(BTreeSet::new());

/// The pool settings both kinds share: small, connected on demand, bounded waits.
fn pool_options<DB: sqlx::Database>() -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(MAX_CONNECTIONS)
        .min_connections(0)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .idle_timeout(Some(IDLE_TIMEOUT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn embedded_file_is_created_in_the_data_dir_on_first_ping() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested");
        let db = Database::lazy(&DatabaseConfig::Embedded, &data).unwrap();
        assert!(matches!(db, Database::Sqlite(_)));
        db.ping().await.unwrap();
        assert!(data.join(EMBEDDED_FILE).exists());
    }

    #[tokio::test]
    async fn migrations_run_once_per_database_and_a_failure_is_retried() {
        let dir = tempfile::tempdir().unwrap();
        let a = Database::lazy(&DatabaseConfig::Embedded, dir.path()).unwrap();
        let b = Database::lazy(&DatabaseConfig::Embedded, dir.path()).unwrap();
        assert_eq!(a.identity(), b.identity(), "pools of one database");
        a.ready().await.unwrap();
        b.ready().await.unwrap();
        assert!(MIGRATED.lock().await.contains(&a.identity()));
        let Database::Sqlite(pool) = &a else {
            panic!("embedded is SQLite")
        };
        let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
            .fetch_one(pool)
            .await
            .unwrap();
        // Each migration once, however many pools migrated.
        let files = sqlx::migrate!("migrations/recordings/sqlite")
            .migrations
            .len();
        assert_eq!(applied, i64::try_from(files).unwrap());
        // A database that cannot be reached is not remembered as migrated.
        let url = "postgres://postgres@127.0.0.1:1/none".to_string();
        let down = Database::lazy(&DatabaseConfig::Postgres(url), Path::new(".")).unwrap();
        assert!(down.ready().await.is_err());
        assert!(!MIGRATED.lock().await.contains(&down.identity()));
    }

    #[tokio::test]
    async fn closed_port_fails_within_the_bound() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        let db = Database::lazy(&DatabaseConfig::Postgres(url), Path::new(".")).unwrap();
        let started = std::time::Instant::now();
        let err = db.ping().await.unwrap_err();
        assert!(matches!(err, DbError::Unreachable(_)), "{err}");
        assert!(started.elapsed() < PING_TIMEOUT + Duration::from_millis(500));
    }
}
