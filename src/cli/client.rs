//! The CLI's admin API client: signed GET/POST calls to `/scalelite/api/<action>` of a running
//! instance over Pingora's HTTP connector (plain HTTP or HTTPS), answers parsed as JSON.

use super::Failure;
use crate::bbb::client::{exchange, signed_path, Request};
use crate::bbb::endpoint::Endpoint;
use crate::bbb::{xml, Algorithm, Params};
use crate::config::{Config, Timeouts};
use bytes::Bytes;
use pingora::connectors::http::Connector;
use serde_json::Value;
use std::time::Duration;

/// A running instance's admin API.
pub struct Admin {
    url: String,
    /// URL_HOST, sent as the Host header: with it set, the instance refuses other hosts
    /// (Scalelite's host authorisation), such as the 127.0.0.1 the CLI connects to.
    host: Option<String>,
    secret: String,
    algo: Algorithm,
    connector: Connector,
}

/// An admin answer: the HTTP status and the JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The `error` (or `message`) text of a refusal.
    pub fn error_text(&self) -> String {
        ["error", "message"]
            .iter()
            .find_map(|k| self.body.get(*k).and_then(Value::as_str))
            .map(String::from)
            .unwrap_or_else(|| format!("HTTP {}: {}", self.status, self.body))
    }
}

/// Long enough for a panic of a large server whose BBB answers slowly.
const TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(5),
    response: Duration::from_secs(300),
};

impl Admin {
    pub fn new(url: String, config: &Config) -> Admin {
        Admin {
            url,
            host: config.url_host.clone().filter(|h| !h.trim().is_empty()),
            secret: config
                .checksum
                .secrets()
                .first()
                .cloned()
                .unwrap_or_default(),
            algo: config.checksum.outgoing(),
            connector: Connector::new(None),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn get(&self, action: &str, query: &[(&str, &str)]) -> Result<Answer, Failure> {
        let mut params = Params::new();
        for (k, v) in query {
            params.insert(k, v);
        }
        self.call(action, &params, None).await
    }

    pub async fn post(&self, action: &str, body: &Value) -> Result<Answer, Failure> {
        let body = Bytes::from(body.to_string());
        self.call(action, &Params::new(), Some(body)).await
    }

    /// A BBB API call (`/bigbluebutton/api/<action>`) signed with the load balancer's secret:
    /// the recording commands use the instance's own getRecordings, publishRecordings and
    /// deleteRecordings. Returns the HTTP status and the raw XML.
    pub async fn bbb_get(
        &self,
        action: &str,
        query: &[(&str, &str)],
    ) -> Result<(u16, Bytes), Failure> {
        let mut params = Params::new();
        for (k, v) in query {
            params.insert(k, v);
        }
        let mut ep = Endpoint::resolve(&self.url)
            .await
            .map_err(|e| self.unreachable(&e))?;
        if let Some(host) = &self.host {
            ep.authority = host.trim().to_string();
        }
        let base = format!("{}bigbluebutton/api/", ep.base_path);
        let path = signed_path(&base, action, &params, &self.secret, self.algo);
        self.exchange(&ep, &path, None)
            .await
            .map_err(|e| self.unreachable(&e))
    }

    fn unreachable(&self, e: &dyn std::fmt::Display) -> Failure {
        Failure(format!(
            "ERROR: cannot reach the scalelite instance at {}: {e} (is it running? see --url)",
            self.url
        ))
    }

    async fn call(
        &self,
        action: &str,
        params: &Params,
        body: Option<Bytes>,
    ) -> Result<Answer, Failure> {
        let unreachable = |e: &dyn std::fmt::Display| {
            Failure(format!(
                "ERROR: cannot reach the scalelite admin API at {}: {e} (is the instance running? see --url)",
                self.url
            ))
        };
        let mut ep = Endpoint::resolve(&self.url)
            .await
            .map_err(|e| unreachable(&e))?;
        if let Some(host) = &self.host {
            ep.authority = host.trim().to_string();
        }
        let base = format!("{}scalelite/api/", ep.base_path);
        let path = signed_path(&base, action, params, &self.secret, self.algo);
        let (status, raw) = self
            .exchange(&ep, &path, body)
            .await
            .map_err(|e| unreachable(&e))?;
        if let Ok(body) = serde_json::from_slice::<Value>(&raw) {
            return Ok(Answer { status, body });
        }
        // Auth failures are BBB XML envelopes (as in Scalelite).
        Err(match xml::parse_envelope(&raw) {
            Some(env) => {
                let key = env.message_key.unwrap_or_default();
                let hint = match key.as_str() {
                    "checksumError" => " (is LOADBALANCER_SECRET the running instance's?)",
                    "unsupportedRequest" => " (is the instance older than this command?)",
                    _ => "",
                };
                Failure(format!(
                    "ERROR: the admin API refused the call: {key}: {}{hint}",
                    env.message.unwrap_or_default()
                ))
            }
            None => Failure(format!(
                "ERROR: unexpected answer from {} (HTTP {status}): {}",
                self.url,
                String::from_utf8_lossy(&raw)
                    .chars()
                    .take(200)
                    .collect::<String>()
            )),
        })
    }

    async fn exchange(
        &self,
        ep: &Endpoint,
        path_and_query: &str,
        body: Option<Bytes>,
    ) -> pingora::Result<(u16, Bytes)> {
        let request = Request {
            path_and_query,
            body: body.map(|b| (b, "application/json")),
            accept: "application/json",
            user_agent: "scalelite-cli",
        };
        exchange(&self.connector, ep, request, TIMEOUTS).await
    }
}
