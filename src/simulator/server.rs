//! HTTP/1.1 transport for the simulator: binding, the accept loop, per-connection tasks, modes.
//!
//! Every connection runs in a task owned by one JoinSet so that `stop()` can drop them all at
//! once: clients must see their keep-alive connections die, exactly as with a crashed BBB server.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE, LOCATION};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use super::api::{self, Reply};
use super::checksum::{parse_params, verify_checksum};
use super::xml::failed;
use super::{Mode, RecordedRequest, State};

/// Request bodies above this are refused; slides in tests are tiny, this only guards memory.
const MAX_BODY: usize = 64 * 1024 * 1024;

const API_PREFIX: &str = "/bigbluebutton/api";

/// A running accept loop; dropping it (without `shutdown`) also makes the loop exit.
pub(super) struct Running {
    stop_tx: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    /// Signals the loop and waits until the listener and every connection are closed.
    pub(super) async fn shutdown(self) {
        let _ = self.stop_tx.send(());
        let _ = self.task.await;
    }
}

/// Binds with SO_REUSEADDR so a test can restart a "crashed" server on the very same port.
pub(super) fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

pub(super) fn spawn(listener: TcpListener, state: Arc<State>) -> Running {
    let (stop_tx, stop_rx) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, state, stop_rx));
    Running { stop_tx, task }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stop: oneshot::Receiver<()>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            // Either an explicit stop or the handle being dropped ends the server.
            _ = &mut stop => break,
            res = listener.accept() => match res {
                Ok((stream, _)) => {
                    conns.spawn(serve_connection(stream, state.clone()));
                }
                // E.g. EMFILE: back off instead of spinning on the error.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            // Reap finished connections so the set does not grow without bound.
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    // Aborting drops each TcpStream, closing keep-alive and hung connections alike.
    conns.shutdown().await;
}

async fn serve_connection(stream: TcpStream, state: Arc<State>) {
    let _ = stream.set_nodelay(true);
    let reset = Arc::new(AtomicBool::new(false));
    let io = ResettableStream {
        stream,
        reset: reset.clone(),
    };
    let svc = service_fn(move |req| handle(state.clone(), reset.clone(), req));
    let _ = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), svc)
        .await;
}

/// A connection that closes with a reset (RST) instead of a FIN once `reset` is set
/// (Mode::Reset): a zero linger makes the kernel send an RST when the socket is dropped.
struct ResettableStream {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.reset.load(Ordering::Acquire) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

fn response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

fn xml_response(body: String) -> Response<Full<Bytes>> {
    response(StatusCode::OK, "text/xml;charset=utf-8", body)
}

fn html_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    response(status, "text/html;charset=utf-8", body)
}

fn redirect(url: &str) -> Response<Full<Bytes>> {
    let mut resp = html_response(StatusCode::FOUND, String::new());
    if let Ok(v) = HeaderValue::from_str(url) {
        resp.headers_mut().insert(LOCATION, v);
    }
    resp
}

/// Where a request path points.
enum Route {
    Index,
    Api(String),
    Other(String),
}

fn route(path: &str) -> Route {
    let Some(rest) = path.strip_prefix(API_PREFIX) else {
        return Route::Other(path.trim_start_matches('/').to_string());
    };
    if rest.is_empty() || rest == "/" {
        return Route::Index;
    }
    match rest.strip_prefix('/') {
        Some(action) => Route::Api(action.trim_end_matches('/').to_string()),
        // e.g. "/bigbluebutton/apifoo": not the API.
        None => Route::Other(path.trim_start_matches('/').to_string()),
    }
}

/// Answers one request. An `Err` makes hyper drop the connection without an answer (Mode::Reset).
async fn handle(
    state: Arc<State>,
    reset: Arc<AtomicBool>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let (parts, body) = req.into_parts();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    // Read the whole body first (chunked or not), as the real server does before answering.
    let (body, body_ok) = match Limited::new(body, MAX_BODY).collect().await {
        Ok(c) => (c.to_bytes().to_vec(), true),
        Err(_) => (Vec::new(), false),
    };
    let route = route(parts.uri.path());
    let (action, checksum_ok) = match &route {
        Route::Index => (String::new(), true),
        Route::Api(a) => (a.clone(), verify_checksum(a, &raw_query, &state.secret)),
        Route::Other(p) => (p.clone(), true),
    };
    let params = parse_params(&raw_query);
    let recorded = RecordedRequest {
        method: parts.method.as_str().to_string(),
        action,
        params: params.clone(),
        raw_query,
        content_type,
        body,
        checksum_ok,
    };

    let (mode, service_time) = {
        let mut inner = state.inner.lock();
        if inner.record {
            inner.requests.push(recorded);
        }
        (inner.mode, inner.service_time)
    };
    if !service_time.is_zero() {
        tokio::time::sleep(service_time).await;
    }
    match mode {
        Mode::Normal => {}
        Mode::Fail => {
            return Ok(xml_response(failed(
                "simulatedFailure",
                "Simulated failure",
            )));
        }
        Mode::Hang => {
            // Never answer; the connection task is aborted by stop().
            std::future::pending::<()>().await;
        }
        Mode::Garbage => {
            return Ok(html_response(
                StatusCode::OK,
                "<html><body>garbage</body></html>".to_string(),
            ));
        }
        Mode::HttpError(code) => {
            // 1xx cannot be a final answer (101 would even mean a protocol switch): use 500.
            let status = StatusCode::from_u16(code)
                .ok()
                .filter(|s| !s.is_informational())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = format!("<html><body><h1>{}</h1></body></html>", status.as_u16());
            return Ok(html_response(status, body));
        }
        Mode::HttpErrorXml(code) => {
            let status = StatusCode::from_u16(code)
                .ok()
                .filter(|s| !s.is_informational())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return Ok(response(
                status,
                "text/xml;charset=utf-8",
                super::xml::Xml::with_code(true).finish(),
            ));
        }
        Mode::Reset => {
            reset.store(true, Ordering::Release);
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "simulated connection reset",
            ));
        }
    }

    if !body_ok {
        return Ok(html_response(
            StatusCode::BAD_REQUEST,
            "<html><body>bad request body</body></html>".to_string(),
        ));
    }
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::POST) {
        return Ok(html_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "<html><body>method not allowed</body></html>".to_string(),
        ));
    }
    Ok(normal(&state, route, checksum_ok, &params))
}

/// Mode::Normal: answer like a healthy BBB server.
fn normal(
    state: &State,
    route: Route,
    checksum_ok: bool,
    params: &[(String, Option<String>)],
) -> Response<Full<Bytes>> {
    match route {
        Route::Index => {
            let version = state.inner.lock().version.clone();
            let mut x = super::xml::Xml::with_code(true);
            x.el("version", "2.0")
                .el("apiVersion", "2.0")
                .el("bbbVersion", version);
            xml_response(x.finish())
        }
        // The join redirect target, so clients that follow redirects land somewhere sane.
        Route::Other(p) if p == "html5client/join" => html_response(
            StatusCode::OK,
            "<html><body>BigBlueButton HTML5 client (simulated)</body></html>".to_string(),
        ),
        Route::Other(_) => html_response(
            StatusCode::NOT_FOUND,
            "<html><body><h1>404 Not Found</h1></body></html>".to_string(),
        ),
        Route::Api(_) if !checksum_ok => {
            xml_response(failed("checksumError", "Checksums do not match"))
        }
        Route::Api(action) => {
            let reply = {
                let mut inner = state.inner.lock();
                api::dispatch(&mut inner, state.addr, &action, params)
            };
            match reply {
                Reply::Xml(body) => xml_response(body),
                Reply::Redirect(url) => redirect(&url),
            }
        }
    }
}
