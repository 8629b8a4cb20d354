//! Redis for the tests: a fresh key namespace on the shared Redis (REDIS_URL, else the local
//! default), removed afterwards, or a redis-server of our own that a test can stop and restart.

use super::{free_port, Port};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Redis the tests share.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A namespace of its own on a Redis; its keys are deleted on drop.
pub struct Namespace {
    pub url: String,
    pub name: String,
}

impl Namespace {
    pub fn new() -> Namespace {
        Namespace::on(&redis_url())
    }

    pub fn on(url: &str) -> Namespace {
        Namespace {
            url: url.to_string(),
            name: format!("scalelite_test_{}", uuid::Uuid::new_v4().simple()),
        }
    }

    /// The environment a gateway needs to use it.
    pub fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("REDIS_URL", self.url.as_str()),
            ("REDIS_NAMESPACE", self.name.as_str()),
        ]
    }

    /// A plain connection, for writing keys the way Scalelite does.
    pub fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url.as_str())
            .and_then(|c| c.get_connection())
            .expect("redis connection")
    }

    pub fn key(&self, k: &str) -> String {
        format!("{}:{k}", self.name)
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let Ok(mut con) = redis::Client::open(self.url.as_str()).and_then(|c| c.get_connection())
        else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}:*", self.name))
            .query(&mut con)
            .unwrap_or_default();
        for k in keys {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(k).query(&mut con);
        }
    }
}

/// A redis-server of this test's own, on a reserved port, that can be stopped and started.
pub struct OwnRedis {
    pub port: u16,
    _port: Port,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl OwnRedis {
    pub fn start() -> OwnRedis {
        let port = free_port();
        let mut r = OwnRedis {
            port: port.get(),
            _port: port,
            dir: tempfile::tempdir().expect("tempdir"),
            child: None,
        };
        r.resume();
        r
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Start (again) on the same port and directory; the append-only file brings the data back.
    pub fn resume(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (install the redis-server package)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}
