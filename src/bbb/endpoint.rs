//! Where BBB servers' APIs live: a server URL parsed and resolved once (never on a request path
//! after the first resolution), cached for the whole process.

use super::client::Timeouts;
use parking_lot::RwLock;
use pingora::upstreams::peer::HttpPeer;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

/// Where a BBB server's API lives, resolved ahead of time so no request waits on DNS.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub tls: bool,
    /// Host (and port when not the default), for the Host header.
    pub authority: String,
    /// Host name only, for SNI.
    pub host: String,
    /// The API path with a trailing `/`, e.g. `/bigbluebutton/api/`.
    pub base_path: String,
}

/// Why a server URL has no endpoint.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EndpointError {
    #[error("bad server url {url}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("unsupported scheme {scheme} in {url}")]
    Scheme { url: String, scheme: String },
    #[error("no host in {0}")]
    NoHost(String),
    #[error("cannot resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
}

impl Endpoint {
    /// Parse a server URL and resolve its host.
    pub async fn resolve(server_url: &str) -> Result<Endpoint, EndpointError> {
        let url = url::Url::parse(server_url).map_err(|e| EndpointError::BadUrl {
            url: server_url.to_string(),
            reason: e.to_string(),
        })?;
        let tls = match url.scheme() {
            "https" => true,
            "http" => false,
            other => {
                return Err(EndpointError::Scheme {
                    url: server_url.to_string(),
                    scheme: other.to_string(),
                })
            }
        };
        let host = url
            .host_str()
            .ok_or_else(|| EndpointError::NoHost(server_url.to_string()))?
            .to_string();
        let port = url
            .port_or_known_default()
            .unwrap_or(if tls { 443 } else { 80 });
        let lookup_host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let unresolved = |reason: String| EndpointError::Resolve {
            host: host.clone(),
            reason,
        };
        let addr = tokio::net::lookup_host((lookup_host.as_str(), port))
            .await
            .map_err(|e| unresolved(e.to_string()))?
            .next()
            .ok_or_else(|| unresolved("no address".into()))?;
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        let mut base_path = url.path().to_string();
        if !base_path.ends_with('/') {
            base_path.push('/');
        }
        Ok(Endpoint {
            addr,
            tls,
            authority,
            host: lookup_host,
            base_path,
        })
    }

    /// A Pingora peer for this endpoint with every timeout set (Pingora's defaults are none).
    pub fn peer(&self, timeouts: Timeouts) -> HttpPeer {
        let mut peer = HttpPeer::new(self.addr, self.tls, self.host.clone());
        peer.options.connection_timeout = Some(timeouts.connect);
        peer.options.total_connection_timeout = Some(timeouts.connect * 2);
        peer.options.read_timeout = Some(timeouts.response);
        peer.options.write_timeout = Some(timeouts.response);
        peer.options.idle_timeout = Some(Duration::from_secs(60));
        peer
    }
}

/// The resolved endpoints of server URLs, shared by every service of the process.
#[derive(Default)]
pub struct Endpoints {
    by_url: RwLock<HashMap<String, Endpoint>>,
}

impl Endpoints {
    /// The endpoint of a server URL, resolving it now only if it was never resolved.
    pub async fn get(&self, url: &str) -> Result<Endpoint, EndpointError> {
        if let Some(ep) = self.by_url.read().get(url) {
            return Ok(ep.clone());
        }
        self.resolve(url).await
    }

    /// Whether the URL was resolved already.
    pub fn contains(&self, url: &str) -> bool {
        self.by_url.read().contains_key(url)
    }

    async fn resolve(&self, url: &str) -> Result<Endpoint, EndpointError> {
        let ep = Endpoint::resolve(url).await?;
        self.by_url.write().insert(url.to_string(), ep.clone());
        Ok(ep)
    }
}
