//! Calls to BBB servers over Pingora's HTTP connector (one TLS stack and connection pool).

use super::endpoint::{Endpoint, Endpoints};
use super::query::Params;
use super::xml::{self, Envelope};
use super::Algorithm;
use bytes::{Bytes, BytesMut};
use pingora::connectors::http::Connector;
use pingora::connectors::ConnectorOptions;
use pingora::protocols::http::client::HttpSession;
use pingora_http::RequestHeader;
use std::sync::Arc;
use std::time::Duration;

/// Timeouts of calls to BBB servers.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub response: Duration,
}

impl Timeouts {
    /// Scalelite shortens timeouts for servers already marked offline, so a dead server
    /// cannot hold a request for the full response timeout.
    pub fn reduced(self) -> Timeouts {
        let r = self.response.as_secs_f64();
        let clamp = |lo: f64, v: f64| Duration::from_secs_f64(v.max(lo).min(r.max(lo)));
        Timeouts {
            connect: clamp(0.2, r / 10.0),
            response: clamp(0.5, r / 10.0),
        }
    }
}

/// A BBB server as a call to it needs it: its API URL, its secret, the call's timeouts.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    pub timeouts: Timeouts,
}

/// `action?query&checksum=…`, signed for a server's secret, as a path below its base path.
pub fn signed_path(
    ep_base_path: &str,
    action: &str,
    params: &Params,
    secret: &str,
    algo: Algorithm,
) -> String {
    let query = params.encode();
    let sum = algo.hex_digest(&[action.as_bytes(), query.as_bytes(), secret.as_bytes()]);
    if query.is_empty() {
        format!("{ep_base_path}{action}?checksum={sum}")
    } else {
        format!("{ep_base_path}{action}?{query}&checksum={sum}")
    }
}

/// Why an upstream call produced no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("transport: {0}")]
    Transport(String),
    #[error("Response did not include returncode")]
    NoReturncode,
    /// An HTTP 5xx whose body is a BBB SUCCESS envelope: the server failed whatever its body
    /// says (a 5xx with BBB's FAILED envelope is `Failed`, with no envelope `NoReturncode`).
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("{key}: {message}")]
    Failed { key: String, message: String },
}

impl UpstreamError {
    /// What the client sees: BBB's own error passed through, `internalError` otherwise, with
    /// `unreachable` as the text when the server could not be reached at all.
    pub fn into_api(self, unreachable: &str) -> super::ApiError {
        match self {
            UpstreamError::Failed { key, message } => super::ApiError::Upstream { key, message },
            UpstreamError::NoReturncode => {
                super::ApiError::internal("Response did not include returncode")
            }
            UpstreamError::Transport(e) => {
                log::warn!("BBB server unreachable: {e}");
                super::ApiError::internal(unreachable)
            }
            UpstreamError::Status(status) => {
                log::warn!("BBB server answered HTTP {status}");
                super::ApiError::internal(unreachable)
            }
        }
    }
}

/// A successful BBB answer: the parsed envelope and the raw body (passed on verbatim).
#[derive(Debug, Clone)]
pub struct Answer {
    pub envelope: Envelope,
    pub body: Bytes,
}

/// A BBB API client. Create one per Pingora service: its connection pool belongs to the
/// runtime that uses it.
pub struct BbbClient {
    connector: Connector,
    algo: Algorithm,
    /// Resolved server URLs, shared by every client of the process.
    endpoints: Arc<Endpoints>,
}

const MAX_BODY: usize = 16 * 1024 * 1024;

impl BbbClient {
    /// `ca_file`: a PEM bundle to verify `https://` servers with (the system roots otherwise).
    pub fn new(algo: Algorithm, ca_file: Option<String>, endpoints: Arc<Endpoints>) -> Self {
        let mut options = ConnectorOptions::new(128);
        options.ca_file = ca_file;
        BbbClient {
            connector: Connector::new(Some(options)),
            algo,
            endpoints,
        }
    }

    /// Where a server URL's API lives (resolved once, then cached for the process).
    pub async fn endpoint(&self, url: &str) -> Result<Endpoint, UpstreamError> {
        self.endpoints
            .get(url)
            .await
            .map_err(|e| UpstreamError::Transport(e.to_string()))
    }

    /// Call a server's API action and interpret the answer as Scalelite does (see `api`).
    pub async fn call(
        &self,
        target: Target<'_>,
        action: &str,
        params: &Params,
        xml_body: Option<Bytes>,
    ) -> Result<Answer, UpstreamError> {
        let ep = self.endpoint(target.url).await?;
        self.api(
            &ep,
            target.secret,
            action,
            params,
            xml_body,
            target.timeouts,
        )
        .await
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algo
    }

    /// Call an API action and interpret the answer as Scalelite does: no returncode →
    /// `NoReturncode`; FAILED → BBB's own key and message; an HTTP 5xx is a failure even when
    /// its body says SUCCESS (`Status`).
    async fn api(
        &self,
        ep: &Endpoint,
        secret: &str,
        action: &str,
        params: &Params,
        xml_body: Option<Bytes>,
        timeouts: Timeouts,
    ) -> Result<Answer, UpstreamError> {
        let path = signed_path(&ep.base_path, action, params, secret, self.algo);
        let started = std::time::Instant::now();
        let result = self.raw(ep, &path, xml_body, timeouts).await;
        let answered = matches!(&result, Ok((status, _)) if *status < 500);
        crate::metrics::upstream(&ep.authority, action, started.elapsed(), answered);
        let (status, body) = result?;
        let envelope = xml::parse_envelope(&body).ok_or(UpstreamError::NoReturncode)?;
        if !envelope.is_success() {
            return Err(UpstreamError::Failed {
                key: envelope.message_key.clone().unwrap_or_default(),
                message: envelope.message.clone().unwrap_or_default(),
            });
        }
        if status >= 500 {
            return Err(UpstreamError::Status(status));
        }
        Ok(Answer { envelope, body })
    }

    /// The running meetings of a server (its getMeetings answer, parsed).
    pub async fn get_meetings(
        &self,
        target: Target<'_>,
    ) -> Result<Vec<xml::MeetingSummary>, UpstreamError> {
        let answer = self
            .call(target, "getMeetings", &Params::new(), None)
            .await?;
        xml::parse_meetings(&answer.body).map_err(|_| UpstreamError::NoReturncode)
    }

    /// The answer of the API's index (its version), signed as BBB expects: a checksum of the
    /// secret alone.
    pub async fn index(&self, target: Target<'_>) -> Result<Bytes, UpstreamError> {
        let ep = self.endpoint(target.url).await?;
        let sum = self.algo.hex_digest(&[target.secret.as_bytes()]);
        let path = format!("{}?checksum={sum}", ep.base_path);
        let (_, body) = self.raw(&ep, &path, None, target.timeouts).await?;
        Ok(body)
    }

    /// One HTTP exchange: GET, or POST with an XML body. Bounded by connect + response timeout.
    async fn raw(
        &self,
        ep: &Endpoint,
        path_and_query: &str,
        xml_body: Option<Bytes>,
        timeouts: Timeouts,
    ) -> Result<(u16, Bytes), UpstreamError> {
        let limit = timeouts.connect + timeouts.response;
        match tokio::time::timeout(limit, self.exchange(ep, path_and_query, xml_body, timeouts))
            .await
        {
            Ok(r) => r.map_err(|e| UpstreamError::Transport(e.to_string())),
            Err(_) => Err(UpstreamError::Transport("timed out".into())),
        }
    }

    async fn exchange(
        &self,
        ep: &Endpoint,
        path_and_query: &str,
        xml_body: Option<Bytes>,
        timeouts: Timeouts,
    ) -> pingora::Result<(u16, Bytes)> {
        let request = Request {
            path_and_query,
            body: xml_body.map(|b| (b, "application/xml")),
            accept: "application/xml",
            user_agent: "scalelite",
        };
        exchange(&self.connector, ep, request, timeouts).await
    }
}

/// One HTTP request over a Pingora connector.
pub struct Request<'a> {
    pub path_and_query: &'a str,
    /// A POST body and its content type; `None` sends a GET.
    pub body: Option<(Bytes, &'static str)>,
    pub accept: &'static str,
    pub user_agent: &'static str,
}

/// One HTTP exchange (request, whole answer), the connection released for reuse.
pub async fn exchange(
    connector: &Connector,
    ep: &Endpoint,
    request: Request<'_>,
    timeouts: Timeouts,
) -> pingora::Result<(u16, Bytes)> {
    let peer = ep.peer(timeouts);
    let (mut session, _reused) = connector.get_http_session(&peer).await?;
    let method = if request.body.is_some() {
        "POST"
    } else {
        "GET"
    };
    let mut req = RequestHeader::build(method, request.path_and_query.as_bytes(), None)?;
    req.insert_header("Host", ep.authority.as_str())?;
    req.insert_header("User-Agent", request.user_agent)?;
    req.insert_header("Accept", request.accept)?;
    if let Some((body, content_type)) = &request.body {
        req.insert_header("Content-Type", *content_type)?;
        req.insert_header("Content-Length", body.len().to_string())?;
    }
    session.write_request_header(Box::new(req)).await?;
    if let Some((body, _)) = request.body {
        session.write_request_body(body, true).await?;
    }
    session.finish_request_body().await?;
    session.read_response_header().await?;
    let status = session
        .response_header()
        .map(|h| h.status.as_u16())
        .unwrap_or(0);
    let mut buf = BytesMut::new();
    while let Some(chunk) = session.read_response_body().await? {
        if buf.len() + chunk.len() > MAX_BODY {
            return pingora::Error::e_explain(
                pingora::ErrorType::InvalidHTTPHeader,
                "answer too large",
            );
        }
        buf.extend_from_slice(&chunk);
    }
    if let HttpSession::H1(_) = &session {
        connector
            .release_http_session(session, &peer, Some(Duration::from_secs(60)))
            .await;
    }
    Ok((status, buf.freeze()))
}
