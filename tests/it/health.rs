//! `/health_check` through the real binary: 200 `success` only when the store and the recordings
//! database (embedded SQLite or PostgreSQL) answer; 503 naming every failing part otherwise,
//! within a few seconds; an unsupported DATABASE_URL is refused at start-up.
use crate::common::*;
use sqlx::{Connection, Executor, PgConnection, Row};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The PostgreSQL the tests may use (trust auth); each test makes a database of its own on it.
fn postgres_url() -> String {
    std::env::var("SCALELITE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database of this test's own, dropped (with its connections) at the end.
pub(crate) struct TestDatabase {
    pub(crate) admin: String,
    pub(crate) name: String,
    pub(crate) url: String,
}

impl TestDatabase {
    pub(crate) async fn create() -> TestDatabase {
        let admin = postgres_url();
        let name = format!("scalelite_test_{}", uuid::Uuid::new_v4().simple());
        let mut con = PgConnection::connect(&admin)
            .await
            .expect("PostgreSQL (set SCALELITE_TEST_DATABASE_URL or run .ci/test.sh)");
        con.execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .expect("create database");
        let mut url = url::Url::parse(&admin).expect("database URL");
        url.set_path(&name);
        TestDatabase {
            admin,
            name,
            url: url.to_string(),
        }
    }

    /// Connections to this database, other than ours.
    async fn connections(&self) -> i64 {
        let mut con = PgConnection::connect(&self.admin).await.expect("connect");
        sqlx::query("SELECT count(*) FROM pg_stat_activity WHERE datname = $1")
            .bind(&self.name)
            .fetch_one(&mut con)
            .await
            .expect("pg_stat_activity")
            .get(0)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop runs inside the test's runtime: do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut con) = PgConnection::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = con.execute(sql.as_str()).await;
                }
            });
        })
        .join();
    }
}

/// `scalelite serve` whose health check may fail: ready once it answers at all (the common
/// harness waits for a 200, which never comes here).
struct Serve {
    child: Child,
    port: Port,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl Serve {
    async fn start(env: &[(&str, &str)]) -> Serve {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_scalelite"));
        cmd.arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PORT", port.to_string())
            .env("SCALELITE_DATA_DIR", dir.path())
            .env("LOADBALANCER_SECRET", SECRET)
            .env("SCALELITE_METRICS_LISTEN", "off")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let serve = Serve {
            child: cmd.spawn().expect("spawn scalelite"),
            port,
            _dir: dir,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while serve.http.get(serve.url("/")).send().await.is_err()
            || !listens_on(serve.child.id(), serve.port.get())
        {
            assert!(Instant::now() < deadline, "scalelite did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        serve
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The health check's status and body, and how long it took.
    async fn health(&self) -> (u16, String, Duration) {
        let started = Instant::now();
        let r = self
            .http
            .get(self.url("/health_check"))
            .send()
            .await
            .expect("health check");
        let status = r.status().as_u16();
        let body = r.text().await.expect("body");
        (status, body, started.elapsed())
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A database URL on a loopback port nothing listens on (reserved while the `Port` lives).
fn closed_port_url() -> (String, Port) {
    let port = free_port();
    (
        format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        port,
    )
}

#[tokio::test]
async fn embedded_default_answers_success_and_creates_the_sqlite_file() {
    let gw = Gateway::start(&[]).await;
    let r = gw.get_url(&gw.url("/health_check")).await;
    assert_eq!((r.status, r.body.as_str()), (200, "success"));
    let file = gw.dir.join("recordings.sqlite3");
    assert!(file.exists(), "{} missing", file.display());
    // WAL mode is recorded in the file itself (the -wal file beside it comes and goes).
    use sqlx::Connection;
    let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(&file);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn postgres_database_answers_success() {
    let db = TestDatabase::create().await;
    let gw = Gateway::start(&[("DATABASE_URL", db.url.as_str())]).await;
    let r = gw.get_url(&gw.url("/health_check")).await;
    assert_eq!((r.status, r.body.as_str()), (200, "success"));
    // The check went to that database, not to a SQLite file.
    assert!(db.connections().await >= 1);
    assert!(!gw.dir.join("recordings.sqlite3").exists());
}

#[tokio::test]
async fn unreachable_database_answers_503_naming_it_within_seconds() {
    let (url, _port) = closed_port_url();
    let serve = Serve::start(&[("DATABASE_URL", url.as_str())]).await;
    let (status, body, took) = serve.health().await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.starts_with("Health Check Failure: database: "),
        "{body}"
    );
    assert!(!body.contains("store"), "the store is fine: {body}");
    assert!(!body.contains(&url), "the URL is not shown: {body}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    // The gateway itself serves: the API index does not need the database.
    let index = serve
        .http
        .get(serve.url("/bigbluebutton/api"))
        .send()
        .await
        .expect("index");
    assert_eq!(index.status(), 200);
}

#[tokio::test]
async fn store_and_database_down_are_both_named() {
    let mut redis = OwnRedis::start();
    let redis_url = redis.url();
    let (db_url, _port) = closed_port_url();
    let serve = Serve::start(&[
        ("REDIS_URL", redis_url.as_str()),
        ("DATABASE_URL", db_url.as_str()),
    ])
    .await;
    let (status, body, _) = serve.health().await;
    assert_eq!(status, 503, "{body}");
    assert!(!body.contains("store"), "{body}");
    redis.stop();
    let (status, body, took) = serve.health().await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.starts_with("Health Check Failure: store: ") && body.contains("; database: "),
        "{body}"
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[test]
fn unsupported_database_url_is_a_config_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_scalelite"))
        .args(["serve", "--test"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOADBALANCER_SECRET", SECRET)
        .env("DATABASE_URL", "mysql://scalelite:hunter2@db/scalelite")
        .output()
        .expect("run scalelite serve --test");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("DATABASE_URL: unsupported scheme 'mysql'"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
