//! Reading a request: its media type and the content-type rules, its body (bounded), its raw
//! query and its checksum.

use crate::bbb::query::strip_checksum;
use crate::bbb::{ApiError, Params};
use bytes::{Bytes, BytesMut};
use http::Method;
use pingora_proxy::Session;
use std::time::Duration;

/// Media types a call accepts in a non-empty POST body.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum BodyRule {
    Form,
    FormOrXml,
    Xml,
    Json,
    Any,
}

const XML_TYPES: [&str; 3] = ["application/xml", "text/xml", "application/x-xml"];
const FORM_TYPES: [&str; 2] = ["application/x-www-form-urlencoded", "multipart/form-data"];
const JSON_TYPES: [&str; 3] = ["application/json", "text/x-json", "application/jsonrequest"];

/// The media type of the request, lower-cased, parameters dropped.
pub(crate) fn media_type(session: &Session) -> Option<String> {
    let raw = session
        .req_header()
        .headers
        .get(http::header::CONTENT_TYPE)?
        .to_str()
        .ok()?;
    let mt = raw.split(';').next()?.trim().to_ascii_lowercase();
    (!mt.is_empty()).then_some(mt)
}

/// Whether the request announces a body (Content-Length > 0 or chunked).
pub(crate) fn has_body(session: &Session) -> bool {
    let h = &session.req_header().headers;
    if h.get(http::header::TRANSFER_ENCODING).is_some() {
        return true;
    }
    h.get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > 0)
}

/// Apply the content-type filter of a call (only a POST with a body is checked).
pub(crate) fn check_content_type(
    session: &Session,
    rule: BodyRule,
) -> Result<Option<String>, ApiError> {
    let mt = media_type(session);
    if session.req_header().method != Method::POST || !has_body(session) {
        return Ok(mt);
    }
    let is = |set: &[&str]| mt.as_deref().is_some_and(|m| set.contains(&m));
    let ok = match rule {
        BodyRule::Any => true,
        BodyRule::Form => is(&FORM_TYPES),
        BodyRule::Xml => is(&XML_TYPES),
        BodyRule::FormOrXml => is(&FORM_TYPES) || is(&XML_TYPES),
        BodyRule::Json => is(&JSON_TYPES),
    };
    if ok {
        Ok(mt)
    } else {
        Err(ApiError::UnsupportedContentType)
    }
}

pub(crate) fn is_xml(media_type: Option<&str>) -> bool {
    media_type.is_some_and(|m| XML_TYPES.contains(&m))
}

/// Read the whole request body, at most `limit` bytes. Answers `100 Continue` first when asked
/// to. A body announced larger (Content-Length) is refused before any of it is read; a chunked
/// one as soon as it crosses the limit: [`ApiError::BodyTooLarge`], answered with HTTP 413.
pub(crate) async fn read_body(session: &mut Session, limit: usize) -> Result<Bytes, ApiError> {
    let announced = session
        .req_header()
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::BodyTooLarge(limit));
    }
    let expects = session
        .req_header()
        .headers
        .get(http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if expects {
        let _ = session.as_downstream_mut().write_continue_response().await;
    }
    let mut buf = BytesMut::new();
    loop {
        match session.read_request_body().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > limit {
                    return Err(ApiError::BodyTooLarge(limit));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(buf.freeze()),
            Err(_) => return Err(ApiError::internal("Unable to read the request body.")),
        }
    }
}

/// How long, and how much, a refused body is read and thrown away before the connection closes.
const DISCARD_TIME: Duration = Duration::from_secs(10);
const DISCARD_BYTES: usize = 1 << 30;

/// Read and drop the rest of a refused request body (bounded in time and size), so the client,
/// still sending, gets to read the answer: closing a socket with unread data resets it, and
/// the client would see a broken pipe instead of the 413.
pub(crate) async fn discard_body(session: &mut Session) {
    let drain = async {
        let mut dropped = 0usize;
        while let Ok(Some(chunk)) = session.read_request_body().await {
            dropped += chunk.len();
            if dropped > DISCARD_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DISCARD_TIME, drain).await;
}

/// The raw query string as received (still percent-encoded).
pub(crate) fn raw_query(session: &Session) -> String {
    session.req_header().uri.query().unwrap_or("").to_string()
}

/// Verify a request's checksum. The checksum may come from the query or the form body, but
/// only the query string is hashed (quirk Q1, reproduced).
pub(crate) fn verify(
    checksum: &crate::bbb::Checksum,
    action: &str,
    raw_query: &str,
    params: &Params,
) -> Result<(), ApiError> {
    let Some(sum) = params.present("checksum") else {
        return Err(ApiError::Checksum);
    };
    if checksum.verify(action, &strip_checksum(raw_query, sum), sum) {
        Ok(())
    } else {
        Err(ApiError::Checksum)
    }
}

#[cfg(test)]
#[path = "request_props.rs"]
mod props;

/// The HTTP methods a call accepts (HEAD goes with GET, as in Rails' routes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Methods {
    /// GET or HEAD.
    Get,
    Post,
    /// GET, HEAD or POST.
    GetOrPost,
}

impl Methods {
    pub(crate) fn allows(self, method: &Method) -> bool {
        let get = method == Method::GET || method == Method::HEAD;
        match self {
            Methods::Get => get,
            Methods::Post => method == Method::POST,
            Methods::GetOrPost => get || method == Method::POST,
        }
    }
}

/// `scheme://host[:port]` as the client reached us: what links in our answers start with
/// (recording URLs). Behind a proxy its `X-Forwarded-Proto` / `X-Forwarded-Host` say it, as
/// Rails reads them; otherwise TLS or not, and the `Host` header.
pub(crate) fn origin(session: &Session) -> String {
    let headers = &session.req_header().headers;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            // A list (several proxies): the first is the client's.
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let tls = session
        .digest()
        .and_then(|d| d.ssl_digest.as_ref())
        .is_some();
    let scheme = match header("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        Some(_) => "http",
        None if tls => "https",
        None => "http",
    };
    let host = header("x-forwarded-host")
        .or_else(|| header("host"))
        .or_else(|| session.req_header().uri.authority().map(|a| a.as_str()))
        .unwrap_or("localhost");
    // The default port is left out, as Rails' host_with_port does.
    let host = match (scheme, host.rsplit_once(':')) {
        ("https", Some((h, "443"))) | ("http", Some((h, "80"))) => h,
        _ => host,
    };
    format!("{scheme}://{host}")
}
