//! Test-only HTTP/1.1 client helpers: hand-written requests over TcpStream, so no client crate is needed.

use std::net::SocketAddr;

use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::BbbSimulator;

pub(super) const SECRET: &str = "testsecret";

#[derive(Debug)]
pub(super) struct Resp {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: String,
}

impl Resp {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one Content-Length-framed response (the simulator always sends one).
pub(super) async fn read_response_to(s: &mut TcpStream, head_only: bool) -> std::io::Result<Resp> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    // HEAD answers announce a length but carry no body.
    let len = if head_only { 0 } else { len };
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8(body).unwrap();
    Ok(Resp {
        status,
        headers,
        body,
    })
}

pub(super) async fn read_response(s: &mut TcpStream) -> std::io::Result<Resp> {
    read_response_to(s, false).await
}

pub(super) async fn request(addr: SocketAddr, method: &str, target: &str) -> Resp {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    read_response_to(&mut s, method == "HEAD").await.unwrap()
}

pub(super) fn sha1_hex(s: &str) -> String {
    hex::encode(Sha1::digest(s.as_bytes()))
}

pub(super) fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Signed API path, computed independently from the simulator's own checksum code.
pub(super) fn signed(action: &str, query: &str) -> String {
    let sum = sha256_hex(&format!("{action}{query}{SECRET}"));
    if query.is_empty() {
        format!("/bigbluebutton/api/{action}?checksum={sum}")
    } else {
        format!("/bigbluebutton/api/{action}?{query}&checksum={sum}")
    }
}

pub(super) async fn api(sim: &BbbSimulator, action: &str, query: &str) -> Resp {
    request(sim.addr(), "GET", &signed(action, query)).await
}
