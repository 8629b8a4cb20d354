//! Test harness: the real `scalelite` binary on an ephemeral port, configured only through
//! Scalelite's environment variables, with simulated BBB servers behind it.
#![allow(dead_code, unused_imports)]

use scalelite::bbb::Algorithm;
pub use scalelite::simulator::{BbbSimulator, Mode};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SECRET: &str = "f830c18ee29c8531e0115c3da85db89b";

/// A running `scalelite serve` process; killed when dropped.
pub struct Gateway {
    child: Option<Child>,
    pub port: u16,
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    env: Vec<(String, String)>,
    pub http: reqwest::Client,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Gateway {
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
        ];
        env.extend(extra);
        let mut gw = Gateway {
            child: None,
            port,
            dir: dir.to_path_buf(),
            _tmp: None,
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
                Stdio::null()
            });
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        self.child = Some(cmd.spawn().expect("spawn scalelite"));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = self.http.get(self.url("/health_check")).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "scalelite did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stop the process (SIGKILL: nothing may depend on a graceful exit) and start it again
    /// on the same port and data directory.
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

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path_and_query)
    }

    /// A signed BBB API URL (SHA256, the load balancer's secret).
    pub fn api(&self, action: &str, query: &str) -> String {
        self.url(&signed(
            "/bigbluebutton/api/",
            action,
            query,
            SECRET,
            Algorithm::Sha256,
        ))
    }

    pub async fn get(&self, action: &str, query: &str) -> Response {
        Response::from(
            self.http
                .get(self.api(action, query))
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub async fn get_url(&self, url: &str) -> Response {
        Response::from(self.http.get(url).send().await.expect("request")).await
    }

    /// A signed admin API URL.
    pub fn admin(&self, action: &str, query: &str) -> String {
        self.url(&signed(
            "/scalelite/api/",
            action,
            query,
            SECRET,
            Algorithm::Sha256,
        ))
    }

    pub async fn admin_get(&self, action: &str, query: &str) -> Response {
        Response::from(
            self.http
                .get(self.admin(action, query))
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub async fn admin_post(&self, action: &str, body: serde_json::Value) -> Response {
        let r = self
            .http
            .post(self.admin(action, ""))
            .json(&body)
            .send()
            .await
            .expect("request");
        Response::from(r).await
    }

    /// Add a simulated server through the admin API, enable it and wait until the poller has
    /// seen it online. Returns its id.
    pub async fn add_server(&self, sim: &BbbSimulator) -> String {
        self.add_server_with(sim, serde_json::json!({})).await
    }

    pub async fn add_server_with(&self, sim: &BbbSimulator, extra: serde_json::Value) -> String {
        let mut server = serde_json::json!({ "url": sim.url(), "secret": sim.secret() });
        if let (Some(obj), Some(more)) = (server.as_object_mut(), extra.as_object()) {
            for (k, v) in more {
                obj.insert(k.clone(), v.clone());
            }
        }
        let r = self
            .admin_post("addServer", serde_json::json!({ "server": server }))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].as_str().expect("id").to_string();
        let r = self
            .admin_post(
                "updateServer",
                serde_json::json!({ "id": id, "server": { "state": "enable" } }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        self.wait_server(&id, |s| s["online"] == "online" && s["load"].is_number())
            .await;
        id
    }

    pub async fn server_info(&self, id: &str) -> serde_json::Value {
        self.admin_get("getServerInfo", &format!("id={id}"))
            .await
            .json()
    }

    /// Wait (up to 10 s) until the server's admin JSON satisfies `pred`.
    pub async fn wait_server(
        &self,
        id: &str,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
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

/// A response, read whole.
pub struct Response {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Response {
    async fn from(r: reqwest::Response) -> Response {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.text().await.unwrap_or_default();
        Response {
            status,
            headers,
            body,
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Text of the first `<name>` element.
    pub fn xml(&self, name: &str) -> Option<String> {
        let open = format!("<{name}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find(&format!("</{name}>"))? + start;
        Some(self.body[start..end].to_string())
    }

    pub fn returncode(&self) -> String {
        self.xml("returncode").unwrap_or_default()
    }

    /// Assert a FAILED envelope with this key (and message, when given).
    pub fn assert_failed(&self, key: &str, message: Option<&str>) {
        assert_eq!(self.status, 200, "{}", self.body);
        assert_eq!(self.returncode(), "FAILED", "{}", self.body);
        assert_eq!(
            self.xml("messageKey").as_deref(),
            Some(key),
            "{}",
            self.body
        );
        if let Some(m) = message {
            assert_eq!(self.xml("message").as_deref(), Some(m), "{}", self.body);
        }
    }

    pub fn location(&self) -> String {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
}
