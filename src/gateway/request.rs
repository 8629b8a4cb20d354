//! Turning an HTTP request into an API call: routing, content-type rules, body, checksum.

use crate::bbb::query::strip_checksum;
use crate::bbb::{ApiError, Params};
use bytes::{Bytes, BytesMut};
use http::Method;
use pingora_proxy::Session;

/// Where a request goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// `/bigbluebutton/api`
    Index,
    /// `/bigbluebutton/api/<action>`
    Api(String),
    /// `/scalelite/api/<action>`
    Admin(String),
    /// `/health_check` and `/`
    Health,
    /// Everything else: `unsupportedRequest`.
    Unsupported,
}

impl Route {
    /// The family of the call, for the access log.
    pub fn name(&self) -> &'static str {
        match self {
            Route::Index => "index",
            Route::Api(_) => "api",
            Route::Admin(_) => "admin",
            Route::Health => "health",
            Route::Unsupported => "unsupported",
        }
    }

    pub fn action(&self) -> Option<String> {
        match self {
            Route::Api(a) | Route::Admin(a) => Some(a.clone()),
            _ => None,
        }
    }
}

/// Route by path and method, the way Scalelite's route table does (first match wins).
pub fn route(method: &Method, path: &str) -> Route {
    let get_like = method == Method::GET || method == Method::HEAD;
    let api_method = get_like || method == Method::POST;
    if path == "/" {
        return Route::Health;
    }
    if path == "/health_check" || path == "/health_check/" {
        return if get_like {
            Route::Health
        } else {
            Route::Unsupported
        };
    }
    if let Some(rest) = path.strip_prefix("/bigbluebutton/api") {
        let action = rest.trim_start_matches('/').trim_end_matches('/');
        if !api_method {
            return Route::Unsupported;
        }
        if action.is_empty() && (rest.is_empty() || rest == "/") {
            return Route::Index;
        }
        // Only plain action names; `getMeetings.xml` or nested paths hit the catch-all.
        if !action
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
            || action.is_empty()
        {
            return Route::Unsupported;
        }
        let allowed = match action {
            "join" | "publishRecordings" | "deleteRecordings" => get_like,
            "insertDocument" => method == Method::POST,
            _ => true,
        };
        return if allowed {
            Route::Api(action.to_string())
        } else {
            Route::Unsupported
        };
    }
    if let Some(action) = path.strip_prefix("/scalelite/api/") {
        let action = action.trim_end_matches('/');
        let ok = match action {
            "getServers" | "getServerInfo" | "getTenants" | "getTenantInfo" => get_like,
            "addServer" | "updateServer" | "deleteServer" | "panicServer" | "addTenant"
            | "updateTenant" | "deleteTenant" => method == Method::POST,
            // Not Scalelite's: the calls behind the `scalelite` CLI (src/admin/cli_api.rs).
            "getStatus" | "getMeetingList" => get_like,
            "endMeetings" | "pollNow" | "syncServers" => method == Method::POST,
            _ => false,
        };
        return if ok {
            Route::Admin(action.to_string())
        } else {
            Route::Unsupported
        };
    }
    Route::Unsupported
}

/// Media types a call accepts in a non-empty POST body.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BodyRule {
    Form,
    FormOrXml,
    Xml,
    Json,
    Any,
}

const XML_TYPES: [&str; 3] = ["application/xml", "text/xml", "application/x-xml"];
const FORM_TYPES: [&str; 2] = ["application/x-www-form-urlencoded", "multipart/form-data"];
const JSON_TYPES: [&str; 3] = ["application/json", "text/x-json", "application/jsonrequest"];

pub fn body_rule(action: &str) -> BodyRule {
    match action {
        "create" => BodyRule::FormOrXml,
        "insertDocument" => BodyRule::Xml,
        "join" | "publishRecordings" | "deleteRecordings" => BodyRule::Any,
        "index" | "isMeetingRunning" | "getMeetingInfo" | "getMeetings" | "end"
        | "getRecordings" | "updateRecordings" => BodyRule::Form,
        _ => BodyRule::FormOrXml,
    }
}

/// The media type of the request, lower-cased, parameters dropped.
pub fn media_type(session: &Session) -> Option<String> {
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
pub fn has_body(session: &Session) -> bool {
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
pub fn check_content_type(session: &Session, rule: BodyRule) -> Result<Option<String>, ApiError> {
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

pub fn is_xml(media_type: Option<&str>) -> bool {
    media_type.is_some_and(|m| XML_TYPES.contains(&m))
}

/// Read the whole request body (bounded). Answers `100 Continue` first when asked to.
pub async fn read_body(session: &mut Session, limit: usize) -> Result<Bytes, ApiError> {
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
                    return Err(ApiError::internal("Request body too large."));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(buf.freeze()),
            Err(_) => return Err(ApiError::internal("Unable to read the request body.")),
        }
    }
}

/// The raw query string as received (still percent-encoded).
pub fn raw_query(session: &Session) -> String {
    session.req_header().uri.query().unwrap_or("").to_string()
}

/// Verify a request's checksum. The checksum may come from the query or the form body, but
/// only the query string is hashed (quirk Q1, reproduced).
pub fn verify(
    checksum: &crate::bbb::Checksum,
    action: &str,
    raw_query: &str,
    params: &Params,
) -> Result<(), ApiError> {
    let Some(sum) = params.present("checksum") else {
        return Err(ApiError::Checksum);
    };
    if checksum.verify(action, &strip_checksum(raw_query), sum) {
        Ok(())
    } else {
        Err(ApiError::Checksum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route(&Method::GET, "/bigbluebutton/api"), Route::Index);
        assert_eq!(route(&Method::POST, "/bigbluebutton/api/"), Route::Index);
        assert_eq!(
            route(&Method::GET, "/bigbluebutton/api/join"),
            Route::Api("join".into())
        );
        assert_eq!(
            route(&Method::POST, "/bigbluebutton/api/join"),
            Route::Unsupported
        );
        assert_eq!(
            route(&Method::GET, "/bigbluebutton/api/insertDocument"),
            Route::Unsupported
        );
        assert_eq!(
            route(&Method::GET, "/bigbluebutton/api/getMeetings.xml"),
            Route::Unsupported
        );
        assert_eq!(
            route(&Method::GET, "/bigbluebutton/api/create/"),
            Route::Api("create".into())
        );
        assert_eq!(
            route(&Method::PUT, "/bigbluebutton/api/create"),
            Route::Unsupported
        );
        assert_eq!(
            route(&Method::GET, "/scalelite/api/getServers"),
            Route::Admin("getServers".into())
        );
        assert_eq!(
            route(&Method::GET, "/scalelite/api/addServer"),
            Route::Unsupported
        );
        assert_eq!(route(&Method::GET, "/health_check"), Route::Health);
        assert_eq!(route(&Method::DELETE, "/"), Route::Health);
        assert_eq!(
            route(&Method::GET, "/playback/presentation/2.3/x"),
            Route::Unsupported
        );
    }
}
