//! The gateway: a Pingora `ProxyHttp` that answers the BBB API and Scalelite's admin API,
//! and proxies meeting-scoped calls straight to the BBB server that owns the meeting.

mod access_log;
mod actions;
mod call;
mod create;
mod form;
mod forward;
mod health;
mod host;
mod join;
mod meetings;
mod params;
mod recordings;
mod route;

use crate::admin;
use crate::bbb::ApiError;
use crate::state::{Shared, StartError, State};
use crate::web::{self as respond, Reply};
use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use pingora::prelude::*;
use pingora::proxy::{FailToProxy, ProxyHttp, Session};
use pingora_http::{RequestHeader, ResponseHeader};
use route::Route;
use std::sync::Arc;
use std::time::Duration;

use access_log::AccessLog;
use call::Step;
use forward::Forward;

/// Largest BBB answer buffered to be checked before it is passed on (the client's own
/// bodies have the `max_body_bytes` setting).
const ANSWER_LIMIT: usize = 8 * 1024 * 1024;

pub(crate) struct Gateway {
    shared: Arc<Shared>,
    /// URL_HOST's host authorisation, when set.
    hosts: Option<host::HostRule>,
    state: tokio::sync::OnceCell<Arc<State>>,
}

impl Gateway {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        let hosts = host::HostRule::new(
            shared.config.url_host.as_deref(),
            shared.config.url_host_subdomains,
        );
        Gateway {
            shared,
            hosts,
            state: tokio::sync::OnceCell::new(),
        }
    }

    /// Where a plain-HTTP request goes when HTTPS is required (the health check stays plain).
    fn https_redirect(&self, session: &Session, route: &Route) -> Option<String> {
        let tls = self
            .shared
            .config
            .tls
            .as_ref()
            .filter(|t| t.redirect_http)?;
        let secure = session
            .digest()
            .and_then(|d| d.ssl_digest.as_ref())
            .is_some();
        if secure || *route == Route::Health {
            return None;
        }
        let req = session.req_header();
        let host = req.headers.get(http::header::HOST)?.to_str().ok()?;
        let host = host.rsplit_once(':').map_or(host, |(h, p)| {
            if p.chars().all(|c| c.is_ascii_digit()) {
                h
            } else {
                host
            }
        });
        let port = match tls.port() {
            443 => String::new(),
            p => format!(":{p}"),
        };
        let path = req.uri.path_and_query().map_or("/", |p| p.as_str());
        Some(format!("https://{host}{port}{path}"))
    }

    /// This service's state, built on the first request (inside the service's runtime).
    async fn state(&self) -> Result<Arc<State>, StartError> {
        self.state
            .get_or_try_init(|| async { self.shared.state().await.map(Arc::new) })
            .await
            .cloned()
    }
}

/// Per-request state carried between the proxy phases.
#[derive(Default)]
pub(crate) struct Ctx {
    /// What the access log line says about this request.
    log: AccessLog,
    /// Set when the call is proxied to a BBB server.
    forward: Option<Forward>,
    /// The upstream answer, buffered so it can be checked before the client sees it.
    upstream_body: BytesMut,
    /// The upstream answer is a 200 with an XML length: streamed through untouched.
    stream_answer: bool,
    /// The upstream answer's HTTP status (the client gets 200 with BBB XML whatever it was).
    upstream_status: u16,
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = Ctx;

    fn new_ctx(&self) -> Ctx {
        Ctx {
            log: AccessLog::start(),
            ..Ctx::default()
        }
    }

    /// Runs first for every request: route, authenticate and answer everything we answer
    /// ourselves. Returns `true` when the response was written here.
    async fn request_filter(&self, session: &mut Session, ctx: &mut Ctx) -> Result<bool> {
        let route = route::route(
            &session.req_header().method,
            session.req_header().uri.path(),
        );
        if self
            .shared
            .draining
            .load(std::sync::atomic::Ordering::Acquire)
        {
            // Shutting down: this answer closes the connection, the next request reconnects.
            session.set_keepalive(None);
        }
        if let Some(rule) = &self.hosts {
            let req = session.req_header();
            let header = |name: &str| req.headers.get(name).map(|v| v.as_bytes());
            if !rule.allows(
                req.uri.path(),
                header("host").or(req.uri.authority().map(|a| a.as_str().as_bytes())),
                header("x-forwarded-host"),
            ) {
                ctx.log.call = "blocked_host";
                ctx.log.result = "403".into();
                respond::send(session, host::blocked()).await?;
                return Ok(true);
            }
        }
        if let Some(location) = self.https_redirect(session, &route) {
            respond::send(session, Reply::moved(location)).await?;
            return Ok(true);
        }
        let state = match self.state().await {
            Ok(s) => s,
            Err(e) => {
                // The store cannot be reached yet (it is retried on the next request).
                log::error!("gateway not ready: {e}");
                let reply = match route {
                    Route::Health => Reply::text(503, &format!("Health Check Failure: store: {e}")),
                    _ => ApiError::Internal(format!("store unavailable: {e}")).into(),
                };
                respond::send(session, reply).await?;
                return Ok(true);
            }
        };
        ctx.log.call = route.name();
        ctx.log.action = route.action();
        let outcome = match route {
            Route::Health => Ok(health::health(&state).await),
            Route::Unsupported => Err(ApiError::UnsupportedRequest),
            Route::Index => Ok(health::index(&state)),
            Route::Admin(action) => Ok(admin::handle(&state, session, &action).await),
            Route::Upload => {
                // Binary body, streamed to the spool: it writes its own answer.
                let status = crate::recordings::upload::answer(&state, session).await?;
                ctx.log.result = status.to_string();
                return Ok(true);
            }
            Route::Api(action) => {
                let limit = state.config.max_body_bytes;
                match call::answer(&state, session, action, &mut ctx.log.meeting, limit).await {
                    Ok(Step::Reply(r)) => Ok(r),
                    Ok(Step::Forward(f)) => {
                        ctx.log.server = Some(f.server_id.clone());
                        ctx.forward = Some(*f);
                        return Ok(false);
                    }
                    Err(e) => Err(e),
                }
            }
        };
        ctx.log.result = match &outcome {
            Ok(r) => r.status.to_string(),
            Err(e) => format!("FAILED:{}", e.message_key()),
        };
        let reply = outcome.unwrap_or_else(Reply::from);
        if reply.server.is_some() {
            ctx.log.server = reply.server.clone();
        }
        respond::send(session, reply).await?;
        Ok(true)
    }

    /// Runs for proxied calls only: the peer of the BBB server that owns the meeting.
    async fn upstream_peer(&self, _session: &mut Session, ctx: &mut Ctx) -> Result<Box<HttpPeer>> {
        match &ctx.forward {
            Some(f) => Ok(Box::new(f.peer())),
            None => Error::e_explain(ErrorType::InternalError, "no upstream for this request"),
        }
    }

    /// Rewrites the request for the BBB server: its path, its secret's checksum, its Host.
    async fn upstream_request_filter(
        &self,
        _s: &mut Session,
        req: &mut RequestHeader,
        ctx: &mut Ctx,
    ) -> Result<()> {
        if let Some(f) = &ctx.forward {
            f.rewrite(req)?;
        }
        Ok(())
    }

    /// The BBB answer's header. A 200 XML answer of known length (what BBB sends) streams
    /// through as it is; anything else is buffered and checked, so the client always gets a
    /// 200 BBB XML answer.
    async fn response_filter(
        &self,
        _s: &mut Session,
        resp: &mut ResponseHeader,
        ctx: &mut Ctx,
    ) -> Result<()> {
        let is_xml = resp
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("xml"));
        let has_length = resp.headers.contains_key(http::header::CONTENT_LENGTH);
        ctx.stream_answer = resp.status == 200 && is_xml && has_length;
        ctx.upstream_status = resp.status.as_u16();
        resp.insert_header(http::header::CONTENT_TYPE, respond::XML)?;
        if ctx.stream_answer {
            return Ok(());
        }
        resp.set_status(200)?;
        resp.remove_header(&http::header::CONTENT_LENGTH);
        resp.remove_header(&http::header::CONNECTION);
        // The checked body's length is known only at its end: send it chunked, which keeps
        // the client's connection alive (without a length Pingora would close it).
        resp.insert_header(http::header::TRANSFER_ENCODING, "chunked")?;
        Ok(())
    }

    /// Buffers an answer that needs checking and releases it at its end: verbatim when it is a
    /// BBB answer, BBB's error envelope when it failed, `internalError` when it is not BBB XML.
    fn response_body_filter(
        &self,
        _s: &mut Session,
        body: &mut Option<Bytes>,
        end_of_stream: bool,
        ctx: &mut Ctx,
    ) -> Result<Option<Duration>> {
        if ctx.stream_answer {
            return Ok(None);
        }
        if let Some(chunk) = body.take() {
            if ctx.upstream_body.len() + chunk.len() > ANSWER_LIMIT {
                return Error::e_explain(ErrorType::InternalError, "BBB answer too large");
            }
            ctx.upstream_body.extend_from_slice(&chunk);
        }
        if end_of_stream {
            let raw = std::mem::take(&mut ctx.upstream_body).freeze();
            let failure = ctx.forward.as_ref().map_or("", |f| f.failure);
            *body = Some(forward::check_answer(raw, ctx.upstream_status, failure));
        }
        Ok(None)
    }

    /// Runs last for every request: one access-log line (never secrets or checksums).
    async fn logging(&self, session: &mut Session, e: Option<&Error>, ctx: &mut Ctx) {
        if ctx.forward.is_some() {
            ctx.log.result = match (e, session.response_written()) {
                (Some(err), _) => format!("error:{}", err.etype().as_str()),
                (None, Some(h)) => h.status.as_u16().to_string(),
                (None, None) => "-".into(),
            };
        }
        ctx.log.emit();
        ctx.log.count();
        if let Some(f) = &ctx.forward {
            let ok = e.is_none();
            crate::metrics::upstream(
                f.authority(),
                ctx.log.action.as_deref().unwrap_or("-"),
                ctx.log.elapsed(),
                ok,
            );
        }
    }

    /// Runs when Pingora writes an error line about this request. Pingora's own summary quotes
    /// the full URI, checksum included; ours names the path, the meeting and the server only.
    fn request_summary(&self, session: &Session, ctx: &Ctx) -> String {
        format!(
            "{} {} meetingID={:?} server={:?}",
            session.req_header().method,
            session.req_header().uri.path(),
            ctx.log.meeting.as_deref().unwrap_or("-"),
            ctx.log.server.as_deref().unwrap_or("-"),
        )
    }

    /// An upstream failure becomes the call's `internalError` envelope, never an empty 502.
    async fn fail_to_proxy(&self, session: &mut Session, e: &Error, ctx: &mut Ctx) -> FailToProxy {
        log::info!("proxying to BBB failed: {e}");
        let message = ctx
            .forward
            .as_ref()
            .map(|f| f.failure)
            .unwrap_or("Unable to access meeting on server.");
        let sent = session.response_written().is_some();
        if !sent {
            // The connection is not reused after a failed proxy: tell the client, or it may
            // send its next request on a socket that is about to close.
            session.set_keepalive(None);
            let _ = respond::send(session, ApiError::internal(message).into()).await;
        }
        FailToProxy {
            error_code: if sent { 0 } else { 200 },
            can_reuse_downstream: false,
        }
    }
}
