//! The request-body limit (SCALELITE_MAX_BODY_BYTES, admin JSON 1 MiB): create's pre-uploaded
//! slides up to the limit reach the BBB server; a larger body is refused with HTTP 413 and an
//! error the client can read (the connection closes after it, without a broken pipe), whether
//! its length is announced or it is sent chunked.
use crate::common::*;
use scalelite::bbb::{Algorithm, ApiError};
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Slides of `len` bytes in create's XML (a base64 document, as BBB clients send it).
fn slides(len: usize) -> String {
    let open = r#"<modules><module name="presentation"><document name="s.pdf">"#;
    let close = "</document></module></modules>";
    let fill = len.saturating_sub(open.len() + close.len());
    format!("{open}{}{close}", "A".repeat(fill))
}

fn too_large(limit: usize) -> String {
    format!("The request body is too large: the limit is {limit} bytes.")
}

/// Assert the 413 with BBB's error XML, on a connection the gateway closes.
fn assert_refused(r: &Response, limit: usize) {
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.returncode(), "FAILED", "{}", r.body);
    r.assert_key("internalError")
        .assert_xml("message", &too_large(limit));
    let connection = r.headers.get("connection").and_then(|v| v.to_str().ok());
    assert_eq!(connection, Some("close"), "{:?}", r.headers);
}

/// The last create `sim` received, a POST of slides.
fn last_create_post(sim: &BbbSimulator) -> scalelite::simulator::RecordedRequest {
    let c = sim.requests_for("create").pop().expect("a create");
    assert_eq!(c.method, "POST");
    c
}

/// With the default limit (48 MiB) a 12 MB presentation is created on the server; a body over
/// the default is refused.
#[tokio::test]
async fn default_limit_takes_a_12_mb_presentation() {
    let s = sim("secret-1").await;
    let gw = Gateway::start(&[]).await;
    gw.add_server(&s).await;
    let body = slides(12 * 1024 * 1024);
    let q = "meetingID=big&moderatorPW=mp";
    gw.post_xml("create", q, &body).await.assert_success();
    let c = last_create_post(&s);
    assert_eq!(c.body.len(), body.len());
    assert!(c.body == body.as_bytes());

    let limit = 48 * 1024 * 1024;
    let r = gw
        .post_xml("create", "meetingID=bigger", &slides(limit + 1))
        .await;
    assert_refused(&r, limit);
    assert!(s.meeting("bigger").is_none());
    // The gateway still serves.
    gw.get("isMeetingRunning", "meetingID=big")
        .await
        .assert_xml("running", "true");
}

const LIMIT: usize = 1024 * 1024;

async fn small_limit() -> (Gateway, BbbSimulator) {
    let s = sim("secret-1").await;
    let gw = Gateway::start(&[("SCALELITE_MAX_BODY_BYTES", "1048576")]).await;
    gw.add_server(&s).await;
    (gw, s)
}

/// SCALELITE_MAX_BODY_BYTES: a body up to the limit passes; one byte more, announced with a
/// Content-Length, is refused before it is read: 413 and BBB's error XML, read by the client.
#[tokio::test]
async fn a_body_over_the_setting_gets_413() {
    let (gw, s) = small_limit().await;
    gw.post_xml("create", "meetingID=fits", &slides(LIMIT))
        .await
        .assert_success();
    assert_eq!(last_create_post(&s).body.len(), LIMIT);
    let r = gw
        .post_xml("create", "meetingID=over", &slides(LIMIT + 1))
        .await;
    assert_refused(&r, LIMIT);
    // A form post is limited the same way.
    let form = format!("meetingID=form&name={}", "x".repeat(LIMIT));
    let r = gw.post_form("create", &form).await;
    assert_refused(&r, LIMIT);
    let r = gw
        .post_xml("create", "meetingID=over", &slides(64 * LIMIT))
        .await;
    assert_refused(&r, LIMIT);
    assert_eq!(s.requests_for("create").len(), 1);
    assert!(s.meeting("over").is_none() && s.meeting("form").is_none());
}

/// Send `body` on a raw connection — as is after a Content-Length, or in chunks of 64 KiB when
/// `chunked` — then read the whole answer until the gateway closes the connection. The bodies
/// sent are larger than what the kernel buffers: a gateway that closed without reading the
/// rest would make these writes fail (broken pipe) or the read (reset).
async fn raw_post(gw: &Gateway, path: &str, ctype: &str, body: &[u8], chunked: bool) -> String {
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {}", body.len())
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n{framing}\r\nConnection: close\r\n\r\n"
    );
    let mut conn = TcpStream::connect(("127.0.0.1", gw.port)).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    if chunked {
        for chunk in body.chunks(64 * 1024) {
            let size = format!("{:x}\r\n", chunk.len());
            conn.write_all(size.as_bytes()).await.unwrap();
            conn.write_all(chunk).await.unwrap();
            conn.write_all(b"\r\n").await.unwrap();
        }
        conn.write_all(b"0\r\n\r\n").await.unwrap();
    } else {
        conn.write_all(body).await.unwrap();
    }
    let mut answer = Vec::new();
    let read = conn.read_to_end(&mut answer);
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the gateway closes the connection")
        .expect("the answer is read without a reset");
    String::from_utf8_lossy(&answer).into_owned()
}

/// A signed BBB API path.
fn api_path(action: &str, query: &str) -> String {
    signed(API, action, query, SECRET, Algorithm::Sha256)
}

/// Assert a raw 413 answer that closes the connection, with `body`.
fn assert_raw_refused(answer: &str, body: &str) {
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let lower = answer.to_ascii_lowercase();
    assert!(lower.contains("connection: close"), "{answer}");
    assert!(answer.ends_with(body), "{answer}");
}

/// A client that sends its whole body before it reads (not every client reads while it sends,
/// as hyper does) still gets the 413: the gateway reads and drops the rest first.
#[tokio::test]
async fn a_client_that_sends_everything_first_reads_the_413() {
    let (gw, s) = small_limit().await;
    let xml = slides(64 * LIMIT);
    let path = api_path("create", "meetingID=over");
    let answer = raw_post(&gw, &path, "text/xml", xml.as_bytes(), false).await;
    assert_raw_refused(&answer, &ApiError::BodyTooLarge(LIMIT).to_xml());
    assert!(answer.contains(&too_large(LIMIT)), "{answer}");
    assert!(s.meeting("over").is_none());
}

/// A chunked body is refused as soon as it crosses the limit: 413 and the XML error, which the
/// client reads after sending all of it, then the connection closes.
#[tokio::test]
async fn a_chunked_body_over_the_setting_gets_413() {
    let (gw, s) = small_limit().await;
    let xml = slides(64 * LIMIT);
    let path = api_path("create", "meetingID=chunked");
    let answer = raw_post(&gw, &path, "text/xml", xml.as_bytes(), true).await;
    assert_raw_refused(&answer, &ApiError::BodyTooLarge(LIMIT).to_xml());
    assert!(s.meeting("chunked").is_none());

    // Within the limit, chunked slides reach the server.
    let xml = slides(LIMIT / 2);
    let path = api_path("create", "meetingID=small");
    let answer = raw_post(&gw, &path, "text/xml", xml.as_bytes(), true).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(last_create_post(&s).body.len(), LIMIT / 2);
    assert!(s.meeting("small").is_some());
}

/// The admin API's JSON bodies are limited to 1 MiB: a larger one gets 413 and a JSON error,
/// announced or chunked.
#[tokio::test]
async fn an_admin_body_over_its_limit_gets_413_json() {
    let gw = Gateway::start(&[]).await;
    let big = json!({ "server": { "url": "http://x/", "secret": "s".repeat(LIMIT) } });
    let r = gw.admin_post("addServer", big).await;
    r.assert_error(413, &too_large(LIMIT));
    let connection = r.headers.get("connection").and_then(|v| v.to_str().ok());
    assert_eq!(connection, Some("close"), "{:?}", r.headers);

    let path = signed(ADMIN_API, "addServer", "", SECRET, Algorithm::Sha256);
    let secret = "s".repeat(64 * LIMIT);
    let body = json!({ "server": { "url": "http://x/", "secret": secret } }).to_string();
    let error = json!({ "error": too_large(LIMIT) }).to_string();
    for chunked in [false, true] {
        let answer = raw_post(&gw, &path, "application/json", body.as_bytes(), chunked).await;
        assert_raw_refused(&answer, &error);
    }
    // Nothing was added.
    let r = gw.admin_get("getServers", "").await;
    r.assert_error(404, "No servers are configured");
}

/// A body announced larger than the limit is refused before any of it is read: a client that
/// waits for `100 Continue` gets the 413 instead, without sending its body.
#[tokio::test]
async fn an_announced_body_over_the_limit_is_refused_before_it_is_sent() {
    let (gw, s) = small_limit().await;
    let path = api_path("create", "meetingID=over");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        64 * LIMIT
    );
    let mut conn = TcpStream::connect(("127.0.0.1", gw.port)).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    let xml = ApiError::BodyTooLarge(LIMIT).to_xml();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).ends_with(&xml) {
        let read = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf));
        let n = read.await.expect("an answer before the body").unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buf[..n]);
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(s.meeting("over").is_none());
}
