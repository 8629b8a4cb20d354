//! `POST /scalelite/api/uploadRecording?server=S&sha256=D&checksum=C`: a BBB server sends a
//! recording's tarball over HTTPS instead of NFS or rsync. S is the server's id or its URL's
//! host name; D the hex SHA-256 of the body; C the hex digest of `uploadRecording` + the query
//! without the checksum + **that server's own secret** (algorithm by length), so no BBB server
//! holds the load balancer's secret. The body streams to a temp file in the spool (never held in
//! memory), and the answer is 200 only once it is durable as `<spool>/<sha256>.tar`; a refusal
//! leaves nothing in the spool. Answers are small JSON (`{"error": …}` as the admin API's).
//!
//! RECORDING_DISABLED: uploads get 503 (nothing would import them); the sender keeps the tarball
//! and retries, so turning recordings back on loses nothing.

use super::upload_file::{Incoming, Stored};
use crate::bbb::checksum::verify_with;
use crate::bbb::query::strip_checksum;
use crate::bbb::{Algorithm, Params};
use crate::state::State;
use crate::store::Server;
use crate::web::{self, Reply};
use pingora_proxy::Session;
use serde_json::json;

/// The call name the checksum covers.
const CALL: &str = "uploadRecording";

/// A BBB server signs with any algorithm BBB knows; the digest's length says which.
const ALGORITHMS: [Algorithm; 4] = [
    Algorithm::Sha1,
    Algorithm::Sha256,
    Algorithm::Sha384,
    Algorithm::Sha512,
];

/// Why an upload was not stored.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UploadError {
    #[error("Recordings are disabled on this load balancer")]
    Disabled,
    #[error("No server {0:?} (the server parameter is a server id or the host name of its URL)")]
    UnknownServer(String),
    #[error("Invalid checksum: sign with the server's own secret")]
    Checksum,
    #[error("The sha256 parameter must be the 64 hex digits of the body's SHA-256")]
    BadDigestParameter,
    #[error("The recording is too large: the limit is {0} bytes")]
    TooLarge(u64),
    #[error("The body's SHA-256 does not match the sha256 parameter")]
    DigestMismatch,
    #[error("The body is not a tar archive")]
    NotTar,
    #[error("The spool is full")]
    DiskFull,
    #[error("Unable to write to the spool: {0}")]
    Write(std::io::Error),
    #[error("Unable to read the request body: {0}")]
    Read(String),
    #[error("Unable to look up servers: {0}")]
    Store(String),
}

impl UploadError {
    fn status(&self) -> u16 {
        match self {
            UploadError::Disabled | UploadError::Write(_) | UploadError::Store(_) => 503,
            UploadError::UnknownServer(_) => 404,
            UploadError::Checksum => 401,
            UploadError::BadDigestParameter | UploadError::Read(_) => 400,
            UploadError::TooLarge(_) => 413,
            UploadError::DigestMismatch | UploadError::NotTar => 422,
            UploadError::DiskFull => 507,
        }
    }

    /// The metric label.
    fn reason(&self) -> &'static str {
        match self {
            UploadError::Disabled => "disabled",
            UploadError::UnknownServer(_) => "unknown_server",
            UploadError::Checksum => "checksum",
            UploadError::BadDigestParameter => "bad_request",
            UploadError::TooLarge(_) => "too_large",
            UploadError::DigestMismatch => "digest_mismatch",
            UploadError::NotTar => "not_tar",
            UploadError::DiskFull => "disk_full",
            UploadError::Write(_) => "write_error",
            UploadError::Read(_) => "read_error",
            UploadError::Store(_) => "store",
        }
    }
}

/// Receive an upload and answer it (the answer is written here). Returns the HTTP status, for
/// the access log.
pub(crate) async fn answer(state: &State, session: &mut Session) -> pingora::Result<u16> {
    let reply = match receive(state, session).await {
        Ok((server, stored)) => {
            if !stored.duplicate {
                crate::metrics::upload_stored(stored.bytes);
            }
            log::info!(
                "upload from server {server}: {} ({} bytes{})",
                stored.name,
                stored.bytes,
                if stored.duplicate {
                    ", already in the spool"
                } else {
                    ""
                }
            );
            Reply::json(
                200,
                &json!({
                    "stored": stored.name,
                    "bytes": stored.bytes,
                    "duplicate": stored.duplicate,
                }),
            )
        }
        Err(e) => {
            crate::metrics::upload_refused(e.reason());
            match &e {
                UploadError::DiskFull | UploadError::Write(_) | UploadError::Store(_) => {
                    log::error!("upload refused: {e}")
                }
                _ => log::warn!("upload refused: {e}"),
            }
            Reply::json(e.status(), &json!({ "error": e.to_string() }))
        }
    };
    let status = reply.status;
    if session.as_downstream_mut().is_body_done() {
        web::send(session, reply).await?;
    } else {
        // Refused before the end of the body: answer, then read and drop what the client is
        // still sending (bounded) before closing, or it would see a reset instead of the
        // answer. `send` does this itself for a 413.
        session.set_keepalive(None);
        web::send(session, reply).await?;
        if status != 413 {
            web::discard_body(session).await;
        }
    }
    Ok(status)
}

/// The checks that need no body, then the body into the spool. Returns the server's id.
async fn receive(state: &State, session: &mut Session) -> Result<(String, Stored), UploadError> {
    let config = &state.config.recordings;
    if config.disabled {
        return Err(UploadError::Disabled);
    }
    let raw = web::raw_query(session);
    let params = Params::parse(&raw);
    let name = params.present("server").unwrap_or_default();
    let candidates = servers_named(state, name).await?;
    if candidates.is_empty() {
        return Err(UploadError::UnknownServer(name.to_string()));
    }
    let sum = params.present("checksum").ok_or(UploadError::Checksum)?;
    let signed = strip_checksum(&raw, sum);
    let server = candidates
        .into_iter()
        .find(|s| {
            verify_with(
                std::slice::from_ref(&s.secret),
                &ALGORITHMS,
                CALL,
                &signed,
                sum,
            )
        })
        .ok_or(UploadError::Checksum)?;
    let digest = params
        .present("sha256")
        .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or(UploadError::BadDigestParameter)?;
    let limit = config.upload_max_bytes;
    if announced_length(session).is_some_and(|n| n > limit) {
        return Err(UploadError::TooLarge(limit));
    }
    // The temp file before `100 Continue`: a spool that cannot take a file refuses up front.
    let mut incoming = Incoming::create(&config.spool_dir).await?;
    if expects_continue(session) {
        session
            .as_downstream_mut()
            .write_continue_response()
            .await
            .map_err(|e| UploadError::Read(e.to_string()))?;
    }
    loop {
        match session.read_request_body().await {
            Ok(Some(chunk)) => {
                if incoming.bytes() + chunk.len() as u64 > limit {
                    return Err(UploadError::TooLarge(limit));
                }
                incoming.write(&chunk).await?;
            }
            Ok(None) => break,
            Err(e) => return Err(UploadError::Read(e.to_string())),
        }
    }
    let stored = incoming.finish(digest).await?;
    Ok((server.id, stored))
}

/// The server with this id, else every server whose URL has this host name (several servers
/// may share a host on different ports or paths: the checksum picks one).
async fn servers_named(state: &State, name: &str) -> Result<Vec<Server>, UploadError> {
    if name.is_empty() {
        return Ok(Vec::new());
    }
    let store = |e: crate::store::StoreError| UploadError::Store(e.to_string());
    // The store, not the registry's snapshot: a secret changed a moment ago applies now.
    if let Some(server) = state.store.server(name).await.map_err(store)? {
        return Ok(vec![server]);
    }
    let wanted = name.trim_start_matches('[').trim_end_matches(']');
    let servers = state.store.servers().await.map_err(store)?;
    Ok(servers
        .into_iter()
        .filter(|s| host_of(&s.url).is_some_and(|h| h.eq_ignore_ascii_case(wanted)))
        .collect())
}

/// The host name of a server URL (IPv6 without brackets).
fn host_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let host = url.host_str()?;
    Some(
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
    )
}

fn announced_length(session: &Session) -> Option<u64> {
    session
        .req_header()
        .headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn expects_continue(session: &Session) -> bool {
    session
        .req_header()
        .headers
        .get(http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_of_server_urls() {
        assert_eq!(
            host_of("https://BBB1.example.com/bigbluebutton/api").as_deref(),
            Some("bbb1.example.com")
        );
        assert_eq!(
            host_of("http://127.0.0.1:8080/bigbluebutton/api").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(host_of("http://[::1]:80/b").as_deref(), Some("::1"));
        assert_eq!(host_of("not a url"), None);
    }

    #[test]
    fn every_refusal_has_its_status_and_reason() {
        let all = [
            (UploadError::Disabled, 503),
            (UploadError::UnknownServer("x".into()), 404),
            (UploadError::Checksum, 401),
            (UploadError::BadDigestParameter, 400),
            (UploadError::TooLarge(1), 413),
            (UploadError::DigestMismatch, 422),
            (UploadError::NotTar, 422),
            (UploadError::DiskFull, 507),
            (UploadError::Write(std::io::Error::other("x")), 503),
            (UploadError::Read("x".into()), 400),
            (UploadError::Store("x".into()), 503),
        ];
        let mut reasons: Vec<&str> = all.iter().map(|(e, _)| e.reason()).collect();
        for (e, status) in &all {
            assert_eq!(e.status(), *status, "{e}");
        }
        reasons.sort_unstable();
        reasons.dedup();
        assert_eq!(reasons.len(), all.len());
    }
}
