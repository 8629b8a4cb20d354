//! `REDIS_URL=rediss://…`: the Redis store over TLS, against a real redis-server with a TLS port
//! and a certificate for 127.0.0.1 signed by a private CA. With SCALELITE_REDIS_CA_FILE the
//! gateway and `RedisStore` work as on plain Redis; without it (or with another CA) the server is
//! not trusted and the store is unavailable (503 naming it, internalError), never a panic; a
//! CA file that is not one stops `serve --test`.
use crate::common::*;
use scalelite::store::{RedisStore, Server, Store, StoreError};
use serde_json::json;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A redis-server of this test's own that only speaks TLS (certificate for IP 127.0.0.1,
/// signed by `ca.pem`); killed on drop.
struct TlsRedis {
    port: Port,
    dir: tempfile::TempDir,
    child: Child,
}

impl TlsRedis {
    fn start() -> TlsRedis {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        certs::ca(d, "ca");
        certs::signed(d, "ca", "redis", "127.0.0.1", "IP:127.0.0.1");
        let port = free_port();
        let log = File::create(d.join("redis.log")).expect("log file");
        let mut child = Command::new("redis-server")
            .current_dir(d)
            .args(["--port", "0", "--bind", "127.0.0.1", "--tls-port"])
            .arg(port.to_string())
            .args([
                "--tls-cert-file",
                "redis.pem",
                "--tls-key-file",
                "redis.key",
                "--tls-ca-cert-file",
                "ca.pem",
                "--tls-auth-clients",
                "no",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::from(log.try_clone().expect("log file")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("redis-server (install the redis-server package)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port.get())).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                // A build without TLS refuses the tls-* directives: that must not pass unseen.
                panic!(
                    "redis-server with TLS did not start ({status}); this test needs a \
                     redis-server built with TLS (Debian's is). Its output:\n{}",
                    std::fs::read_to_string(d.join("redis.log")).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "redis-server did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        TlsRedis { port, dir, child }
    }

    fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}", self.port)
    }

    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.ca()).expect("ca.pem")
    }

    /// A direct TLS connection trusting the private CA, to look at the keys.
    fn connection(&self) -> redis::Connection {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls = redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(self.ca_pem()),
        };
        redis::Client::build_with_tls(self.url(), tls)
            .and_then(|c| c.get_connection())
            .expect("TLS connection to redis-server")
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn namespace() -> String {
    format!("scalelite_test_{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn the_gateway_uses_a_rediss_url_with_a_private_ca() {
    let redis = TlsRedis::start();
    let (url, ca, ns) = (redis.url(), redis.ca().display().to_string(), namespace());
    let gw = Gateway::start(&[
        ("REDIS_URL", url.as_str()),
        ("SCALELITE_REDIS_CA_FILE", ca.as_str()),
        ("REDIS_NAMESPACE", ns.as_str()),
    ])
    .await;
    let health = gw.get_url(&gw.url("/health_check")).await;
    assert_eq!((health.status, health.body.trim()), (200, "success"));

    let sim = sim("tls-redis-secret").await;
    let id = gw.add_server(&sim).await;
    let r = gw.admin_get("getServers", "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let list = r.json().as_array().cloned().expect("server list");
    assert_eq!(list.len(), 1, "{}", r.body);
    assert_eq!(list[0]["id"], json!(id), "{}", r.body);
    assert_eq!(list[0]["url"], json!(sim.url()), "{}", r.body);
    gw.create_ok("meetingID=over-tls&name=TLS").await;

    // The state is in the TLS Redis, under the namespace, as Scalelite lays it out.
    let mut con = redis.connection();
    let servers: Vec<String> = redis::cmd("SMEMBERS")
        .arg(format!("{ns}:servers"))
        .query(&mut con)
        .expect("SMEMBERS");
    assert_eq!(servers, vec![id.clone()]);
    let meeting: bool = redis::cmd("EXISTS")
        .arg(format!("{ns}:meeting:over-tls"))
        .query(&mut con)
        .expect("EXISTS");
    assert!(meeting, "meeting not stored in the TLS Redis");
}

#[tokio::test]
async fn the_store_verifies_the_server_against_the_given_roots() {
    let redis = TlsRedis::start();
    let ttl = Duration::from_secs(3600);
    let ca = redis.ca_pem();
    let store = RedisStore::connect_with_ca(&redis.url(), Some(&ca), &namespace(), ttl)
        .await
        .expect("store");
    store.ping().await.expect("ping over TLS");
    let server = Server::new("tls-1".into(), "https://bbb-1/".into(), "s3cr3t".into());
    store.add_server(server).await.expect("add_server");
    let back = store
        .server("tls-1")
        .await
        .expect("server")
        .expect("stored");
    assert_eq!(
        (back.url.as_str(), back.secret.as_str()),
        ("https://bbb-1/", "s3cr3t")
    );

    // Not trusted: the system roots (no CA given) and another private CA. Each call fails as
    // Redis being unavailable, in time.
    let other = tempfile::tempdir().expect("tempdir");
    let other_pem = std::fs::read(certs::ca(other.path(), "other")).expect("other.pem");
    for ca in [None, Some(&other_pem[..])] {
        let store = RedisStore::connect_with_ca(&redis.url(), ca, &namespace(), ttl)
            .await
            .expect("store");
        for _ in 0..2 {
            let start = Instant::now();
            let r = store.servers().await.map(|_| ());
            assert!(
                matches!(&r, Err(StoreError::Unavailable(m))
                    if m.starts_with("redis: ") && m.contains("certificate")),
                "{r:?}"
            );
            assert!(
                start.elapsed() < Duration::from_secs(4),
                "took {:?}",
                start.elapsed()
            );
        }
    }
}

#[tokio::test]
async fn without_the_ca_the_store_is_unavailable_not_a_panic() {
    let redis = TlsRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let log = dir.path().join("scalelite.log");
    let stderr = File::create(&log).expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_scalelite"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORT", port.to_string())
        .env("SCALELITE_DATA_DIR", dir.path())
        .env("LOADBALANCER_SECRET", SECRET)
        .env("SCALELITE_METRICS_LISTEN", "off")
        .env("REDIS_URL", redis.url())
        .env("REDIS_NAMESPACE", namespace())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::from(stderr))
        .spawn()
        .expect("spawn scalelite");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while http.get(url("/")).send().await.is_err() {
        assert!(Instant::now() < deadline, "scalelite did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    for _ in 0..3 {
        let start = Instant::now();
        let r = http.get(url("/health_check")).send().await.expect("health");
        let (status, body) = (r.status().as_u16(), r.text().await.expect("body"));
        assert_eq!(status, 503, "{body}");
        assert!(
            body.starts_with("Health Check Failure: store: ")
                && body.contains("redis: ")
                && body.contains("certificate"),
            "{body}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(4),
            "took {:?}",
            start.elapsed()
        );
    }
    let query = "meetingID=m";
    let api = signed(
        API,
        "getMeetingInfo",
        query,
        SECRET,
        scalelite::bbb::Algorithm::Sha256,
    );
    let body = http
        .get(url(&api))
        .send()
        .await
        .expect("getMeetingInfo")
        .text()
        .await
        .expect("body");
    assert!(
        body.contains("<messageKey>internalError</messageKey>")
            && body.contains("store unavailable: redis: "),
        "{body}"
    );

    assert!(
        child.try_wait().expect("wait").is_none(),
        "scalelite exited"
    );
    let _ = child.kill();
    let _ = child.wait();
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!logged.contains("panicked"), "{logged}");
}

/// `serve --test` with REDIS_URL and SCALELITE_REDIS_CA_FILE: (exit code, stderr).
fn serve_test(redis_url: &str, ca: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scalelite"))
        .args(["serve", "--test"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOADBALANCER_SECRET", SECRET)
        .env("REDIS_URL", redis_url)
        .env("SCALELITE_REDIS_CA_FILE", ca)
        .output()
        .expect("run scalelite serve --test");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_bad_ca_file_is_a_config_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = certs::ca(dir.path(), "good");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "this is not a certificate\n").expect("garbage");
    let missing = dir.path().join("missing.pem");
    let tls_url = "rediss://127.0.0.1:1";

    let (code, stderr) = serve_test(tls_url, &good);
    assert_eq!(code, Some(0), "{stderr}");
    for bad in [&garbage, &missing] {
        let (code, stderr) = serve_test(tls_url, bad);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("redis CA file {}: ", bad.display())),
            "{stderr}"
        );
    }
    // A CA for a plain connection would never be used: refused too.
    let (code, stderr) = serve_test("redis://127.0.0.1:1", &good);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("must be rediss://"), "{stderr}");
}
