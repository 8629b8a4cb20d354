//! Writing answers from the gateway itself: BBB XML, admin JSON, redirects, plain text.

use crate::bbb::ApiError;
use bytes::Bytes;
use pingora::Result;
use pingora_http::ResponseHeader;
use pingora_proxy::Session;

pub(crate) const XML: &str = "application/xml; charset=utf-8";
pub(super) const JSON: &str = "application/json; charset=utf-8";

/// An answer the gateway produced without a BBB server.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Bytes,
    pub location: Option<String>,
    /// The BBB server the answer concerns (for the access log).
    pub server: Option<String>,
}

impl Reply {
    pub(crate) fn xml(body: String) -> Self {
        Reply {
            status: 200,
            content_type: XML,
            body: body.into(),
            location: None,
            server: None,
        }
    }

    /// A BBB answer passed on verbatim.
    pub(crate) fn xml_bytes(body: Bytes) -> Self {
        Reply {
            status: 200,
            content_type: XML,
            body,
            location: None,
            server: None,
        }
    }

    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Self {
        Reply {
            status,
            content_type: JSON,
            body: serde_json::to_vec(value).unwrap_or_default().into(),
            location: None,
            server: None,
        }
    }

    pub(crate) fn text(status: u16, body: &str) -> Self {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: Bytes::copy_from_slice(body.as_bytes()),
            location: None,
            server: None,
        }
    }

    /// A permanent redirect (plain HTTP to HTTPS).
    pub(crate) fn moved(location: String) -> Self {
        Reply {
            status: 301,
            location: Some(location),
            ..Reply::text(301, "Moved Permanently")
        }
    }

    /// A 302 with the small HTML body Rails sends along.
    pub(crate) fn redirect(location: String) -> Self {
        let body = format!(
            "<html><body>You are being <a href=\"{}\">redirected</a>.</body></html>",
            crate::bbb::xml::escape(&location)
        );
        Reply {
            status: 302,
            content_type: "text/html; charset=utf-8",
            body: body.into(),
            location: Some(location),
            server: None,
        }
    }
}

impl From<ApiError> for Reply {
    /// BBB answers its errors with HTTP 200; a body over the limit gets 413 (with the same XML),
    /// so HTTP clients and proxies see why the request was cut short.
    fn from(e: ApiError) -> Self {
        let status = match e {
            ApiError::BodyTooLarge(_) => 413,
            _ => 200,
        };
        Reply {
            status,
            ..Reply::xml(e.to_xml())
        }
    }
}

/// Send a reply downstream (header, then body; no body for HEAD). A 413 closes the connection
/// once the client has sent what it is sending (see [`super::request::discard_body`]).
pub(crate) async fn send(session: &mut Session, reply: Reply) -> Result<()> {
    if reply.status == 413 {
        session.set_keepalive(None);
        let sent = write(session, reply).await;
        super::request::discard_body(session).await;
        return sent;
    }
    write(session, reply).await
}

async fn write(session: &mut Session, reply: Reply) -> Result<()> {
    let mut h = ResponseHeader::build(reply.status, Some(4))?;
    h.insert_header("Content-Type", reply.content_type)?;
    h.insert_header("Content-Length", reply.body.len().to_string())?;
    if let Some(loc) = &reply.location {
        h.insert_header("Location", loc.as_str())?;
    }
    let head = session.req_header().method == http::Method::HEAD;
    session.write_response_header(Box::new(h), head).await?;
    if !head {
        session.write_response_body(Some(reply.body), true).await?;
    }
    Ok(())
}
