//! Test harness: the real `scalelite` binary on an ephemeral port, configured only through
//! Scalelite's environment variables, with simulated BBB servers behind it. This file starts the
//! process and sends requests; `response.rs` reads and checks the answers, `bbb.rs` holds the
//! create/join shortcuts and what the simulators received, `pool.rs` a pool with frozen loads,
//! `ports.rs` the loopback ports, `redis_env.rs` Redis namespaces and servers; [`Store`] and
//! [`on_both_stores!`] run a test on the embedded store and on Redis.

mod bbb;
pub mod certs;
mod pool;
mod ports;
mod redis_env;
mod response;
mod steps;

pub use bbb::*;
pub use pool::*;
pub use ports::*;
pub use redis_env::*;
pub use response::*;
use scalelite::bbb::Algorithm;
pub use scalelite::simulator::{BbbSimulator, Mode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SECRET: &str = "f830c18ee29c8531e0115c3da85db89b";
/// Where the BBB API and the admin API live.
pub const API: &str = "/bigbluebutton/api/";
pub const ADMIN_API: &str = "/scalelite/api/";
/// The content type of a form body.
pub const FORM: &str = "application/x-www-form-urlencoded";

/// The store the gateways of a test keep their state in.
pub enum Store {
    /// The embedded store (no REDIS_URL), in the gateway's data directory.
    Embedded,
    /// A namespace of the test's own on the shared Redis (REDIS_URL, else the local default);
    /// every gateway the test starts with this value shares it, restarts included.
    Redis(Namespace),
}

impl Store {
    /// A fresh namespace on the shared Redis.
    pub fn redis() -> Store {
        Store::Redis(Namespace::new())
    }

    /// The environment that makes a gateway use this store.
    pub fn env(&self) -> Vec<(&str, &str)> {
        match self {
            Store::Embedded => Vec::new(),
            Store::Redis(ns) => ns.env(),
        }
    }
}

/// For each `name`, an `async fn name(store: Store)` in the same module, run as two tests:
/// `name::embedded` and `name::redis` (its own fresh Redis namespace).
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn embedded() {
                super::$name($crate::common::Store::Embedded).await;
            }

            #[tokio::test]
            async fn redis() {
                super::$name($crate::common::Store::redis()).await;
            }
        }
    )*};
}
pub(crate) use on_both_stores;

/// A running `scalelite serve` process; killed when dropped.
pub struct Gateway {
    child: Option<Child>,
    /// The port, reserved for this gateway (restarts included) as long as it lives.
    pub port: u16,
    _port: Port,
    /// Other ports this gateway's listeners use (metrics), reserved as long as it lives.
    held: Vec<Port>,
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    /// Where the child's stderr goes (unless SCALELITE_TEST_LOG is set), shown if it dies.
    stderr: tempfile::NamedTempFile,
    env: Vec<(String, String)>,
    pub http: reqwest::Client,
}

impl Gateway {
    /// Keep `port` reserved while this gateway lives (a listener of its own uses it).
    pub fn hold(&mut self, port: Port) {
        self.held.push(port);
    }

    /// Start on `store` with the default test environment plus `env` (later entries win).
    pub async fn start_on(store: &Store, env: &[(&str, &str)]) -> Gateway {
        let mut all = store.env();
        all.extend_from_slice(env);
        Gateway::start(&all).await
    }

    /// Start with the default test environment plus `env` (later entries win).
    pub async fn start(env: &[(&str, &str)]) -> Gateway {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_path_buf();
        let mut gw = Gateway::spawn(
            &dir,
            env.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
        .await;
        gw._tmp = Some(tmp);
        gw
    }

    async fn spawn(dir: &Path, extra: Vec<(String, String)>) -> Gateway {
        let port = free_port();
        let mut env: Vec<(String, String)> = vec![
            ("LOADBALANCER_SECRET".into(), SECRET.into()),
            ("POLL_INTERVAL".into(), "0.2".into()),
            ("CONNECT_TIMEOUT".into(), "1".into()),
            ("RESPONSE_TIMEOUT".into(), "2".into()),
            ("RUST_LOG".into(), "warn".into()),
            // Tests run many gateways at once: no shared metrics port unless a test asks.
            ("SCALELITE_METRICS_LISTEN".into(), "off".into()),
        ];
        env.extend(extra);
        let mut gw = Gateway {
            child: None,
            port: port.get(),
            _port: port,
            held: Vec::new(),
            dir: dir.to_path_buf(),
            _tmp: None,
            stderr: tempfile::NamedTempFile::new().expect("stderr file"),
            env,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client"),
        };
        gw.launch().await;
        gw
    }

    async fn launch(&mut self) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_scalelite"));
        cmd.arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PORT", self.port.to_string())
            .env("SCALELITE_DATA_DIR", &self.dir)
            .stdout(Stdio::null())
            .stderr(if std::env::var("SCALELITE_TEST_LOG").is_ok() {
                Stdio::inherit()
            } else {
                self.stderr.reopen().expect("stderr file").into()
            });
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn scalelite");
        let pid = child.id();
        self.child = Some(child);
        // Ready: the health check answers 200 and the listener on the port is our child's (the
        // ports are reserved, see ports.rs; this check makes any collision a loud failure).
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = self.http.get(self.url("/health_check")).send().await {
                if r.status() == 200 && listens_on(pid, self.port) {
                    return;
                }
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                let err = std::fs::read_to_string(self.stderr.path()).unwrap_or_default();
                panic!("scalelite exited before becoming ready ({status}): {err}");
            }
            assert!(
                Instant::now() < deadline,
                "scalelite did not become ready on port {}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stop the process (SIGKILL: nothing may depend on a graceful exit) and start it again
    /// on the same port, data directory and environment (so on Redis, the same namespace).
    pub async fn restart(&mut self) {
        self.kill();
        self.launch().await;
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The running process' id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("a running gateway").id()
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path_and_query)
    }

    /// A signed BBB API URL (SHA256, the load balancer's secret).
    pub fn api(&self, action: &str, query: &str) -> String {
        self.api_signed(action, query, SECRET, Algorithm::Sha256)
    }

    /// A BBB API URL signed with any secret and algorithm.
    pub fn api_signed(&self, action: &str, query: &str, secret: &str, algo: Algorithm) -> String {
        self.url(&signed(API, action, query, secret, algo))
    }

    /// A signed admin API URL.
    pub fn admin(&self, action: &str, query: &str) -> String {
        self.admin_signed(action, query, SECRET, Algorithm::Sha256)
    }

    /// An admin API URL signed with any secret and algorithm.
    pub fn admin_signed(&self, action: &str, query: &str, secret: &str, algo: Algorithm) -> String {
        self.url(&signed(ADMIN_API, action, query, secret, algo))
    }

    /// Send a request and read the whole answer.
    pub async fn call(&self, request: reqwest::RequestBuilder) -> Response {
        Response::from(request.send().await.expect("request")).await
    }

    pub async fn get(&self, action: &str, query: &str) -> Response {
        self.get_url(&self.api(action, query)).await
    }

    pub async fn get_url(&self, url: &str) -> Response {
        self.call(self.http.get(url)).await
    }

    /// Send `method` to `url` with an optional content type and a body.
    pub async fn send(&self, method: &str, url: &str, ctype: Option<&str>, body: &str) -> Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, url).body(body.to_string());
        if let Some(t) = ctype {
            req = req.header("content-type", t);
        }
        self.call(req).await
    }

    /// A signed POST whose parameters travel in a form body (the checksum covers the empty query).
    pub async fn post_form(&self, action: &str, form: &str) -> Response {
        self.send("POST", &self.api(action, ""), Some(FORM), form)
            .await
    }

    /// A signed POST of an XML body (pre-uploaded slides) with the parameters in the query.
    pub async fn post_xml(&self, action: &str, query: &str, xml: &str) -> Response {
        self.send("POST", &self.api(action, query), Some("text/xml"), xml)
            .await
    }

    pub async fn admin_get(&self, action: &str, query: &str) -> Response {
        self.get_url(&self.admin(action, query)).await
    }

    pub async fn admin_post(&self, action: &str, body: Value) -> Response {
        self.call(self.http.post(self.admin(action, "")).json(&body))
            .await
    }

    /// updateServer with `server` as the changes.
    pub async fn update_server(&self, id: &str, server: Value) -> Response {
        self.admin_post("updateServer", json!({ "id": id, "server": server }))
            .await
    }

    /// Set a server's state ("enable", "cordon", "disable") and assert it was accepted.
    pub async fn set_state(&self, id: &str, state: &str) {
        let r = self.update_server(id, json!({ "state": state })).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// Add a simulated server through the admin API, enable it and wait until the poller has
    /// seen it online. Returns its id.
    pub async fn add_server(&self, sim: &BbbSimulator) -> String {
        self.add_server_with(sim, json!({})).await
    }

    /// addServer `sim` (with `extra` fields), then enable it; returns the id.
    pub async fn add_and_enable(&self, sim: &BbbSimulator, extra: Value) -> String {
        let mut server = json!({ "url": sim.url(), "secret": sim.secret() });
        if let (Some(obj), Some(more)) = (server.as_object_mut(), extra.as_object()) {
            for (k, v) in more {
                obj.insert(k.clone(), v.clone());
            }
        }
        let r = self
            .admin_post("addServer", json!({ "server": server }))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].as_str().expect("id").to_string();
        self.set_state(&id, "enable").await;
        id
    }

    pub async fn add_server_with(&self, sim: &BbbSimulator, extra: Value) -> String {
        let id = self.add_and_enable(sim, extra).await;
        self.wait_server(&id, |s| s["online"] == "online" && s["load"].is_number())
            .await;
        id
    }

    pub async fn server_info(&self, id: &str) -> Value {
        self.admin_get("getServerInfo", &format!("id={id}"))
            .await
            .json()
    }

    /// Wait (up to 10 s) until the server's admin JSON satisfies `pred`.
    pub async fn wait_server(&self, id: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.server_info(id).await;
            if pred(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "server {id} never reached the expected state: {s}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Wait (up to 10 s) until `f` returns true.
pub async fn eventually<F: Fn() -> Fut, Fut: std::future::Future<Output = bool>>(what: &str, f: F) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `<base><action>?<query>&checksum=<hex>`, signed like a BBB client does.
pub fn signed(base: &str, action: &str, query: &str, secret: &str, algo: Algorithm) -> String {
    let sum = algo.hex_digest(&[action.as_bytes(), query.as_bytes(), secret.as_bytes()]);
    if query.is_empty() {
        format!("{base}{action}?checksum={sum}")
    } else {
        format!("{base}{action}?{query}&checksum={sum}")
    }
}

/// Prometheus' linter over a scrape: names, units, types. promtool must be installed
/// (`.ci/test.sh` installs Debian's `prometheus`); a missing one fails the test.
pub fn promtool_check(text: &str) {
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus; .ci/test.sh installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
