//! `POST /scalelite/api/uploadRecording`: a registered BBB server (a simulator with its own
//! secret) uploads a tarball, named by its id or its URL's host; it lands once in the spool, as
//! sent. Every refusal (unknown server, bad checksum, digest mismatch, not a tarball, disabled)
//! leaves the spool empty, temp files included. The limits (size, memory, full disk) are in
//! `upload_limits.rs`; the helpers here serve both.
use crate::common::*;
use scalelite::bbb::Algorithm;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;

/// The simulated BBB server's own secret (not the load balancer's [`SECRET`]).
pub const SERVER_SECRET: &str = "bbb-server-own-secret-4711";

/// A gateway with one registered server and its spool in a directory of the test's own.
pub struct Setup {
    pub gw: Gateway,
    pub _sim: BbbSimulator,
    pub id: String,
    pub spool: tempfile::TempDir,
}

pub async fn setup(env: &[(&str, &str)]) -> Setup {
    let spool = tempfile::tempdir().unwrap();
    setup_with_spool(spool, env).await
}

pub async fn setup_with_spool(spool: tempfile::TempDir, env: &[(&str, &str)]) -> Setup {
    setup_on(&Store::Embedded, spool, env).await
}

/// The same on `store` (the server is looked up in it).
pub async fn setup_on(store: &Store, spool: tempfile::TempDir, env: &[(&str, &str)]) -> Setup {
    let dir = spool.path().to_str().unwrap().to_string();
    // These tests look at what the upload leaves in the spool: no importer takes it away
    // (tests/it/recordings.rs has the upload followed by the import).
    let mut all = vec![
        ("RECORDING_SPOOL_DIR", dir.as_str()),
        ("SCALELITE_RECORDING_IMPORTER", "false"),
    ];
    all.extend_from_slice(env);
    let gw = Gateway::start_on(store, &all).await;
    let sim = sim(SERVER_SECRET).await;
    let id = gw.add_server(&sim).await;
    Setup {
        gw,
        _sim: sim,
        id,
        spool,
    }
}

/// A recording's tarball as BBB's post-publish script makes it (`presentation/<id>/…`, by the
/// system's tar), with `size` bytes of incompressible media.
pub fn tarball(record_id: &str, size: usize) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("presentation").join(record_id);
    std::fs::create_dir_all(&rec).unwrap();
    std::fs::write(
        rec.join("metadata.xml"),
        format!("<recording><id>{record_id}</id></recording>"),
    )
    .unwrap();
    std::fs::write(rec.join("video.webm"), noise(record_id.len() as u64, size)).unwrap();
    let out = Command::new("tar")
        .args(["-cf", "-", "-C"])
        .arg(dir.path())
        .arg("presentation")
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

/// Pseudo-random bytes (xorshift), so nothing compresses or repeats.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn sha256(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The signed path of an upload: `uploadRecording` + the query + `secret`.
pub fn upload_path(server: &str, digest: &str, secret: &str, algo: Algorithm) -> String {
    let query = format!("server={server}&sha256={digest}");
    signed(ADMIN_API, "uploadRecording", &query, secret, algo)
}

pub async fn post(gw: &Gateway, path: &str, body: Vec<u8>) -> Response {
    gw.call(gw.http.post(gw.url(path)).body(body)).await
}

/// Every name in the spool, hidden ones included, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A refusal: the status, a JSON `error`, and nothing in the spool.
pub fn assert_refused(r: &Response, status: u16, spool: &Path) {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(r.json()["error"].is_string(), "{}", r.body);
    assert_eq!(entries(spool), Vec::<String>::new());
}

/// By id (SHA256) and by host name (SHA1 and SHA512: the digest's length says which), each
/// tarball lands once in the spool, byte for byte, named by its digest; the same one again is
/// answered 200 without a second copy. The metrics count the bytes and the refusals.
#[tokio::test]
async fn stores_by_id_and_by_host_once() {
    let metrics = free_port();
    let listen = format!("127.0.0.1:{metrics}");
    let s = setup(&[("SCALELITE_METRICS_LISTEN", listen.as_str())]).await;
    let one = tarball("rec-1", 100_000);
    let d1 = sha256(&one);
    let r = post(
        &s.gw,
        &upload_path(&s.id, &d1, SERVER_SECRET, Algorithm::Sha256),
        one.clone(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["stored"], format!("{d1}.tar"));
    assert_eq!(r.json()["duplicate"], false);
    assert_eq!(entries(s.spool.path()), [format!("{d1}.tar")]);
    assert!(std::fs::read(s.spool.path().join(format!("{d1}.tar"))).unwrap() == one);

    let two = tarball("rec-2", 50_000);
    let d2 = sha256(&two);
    for algo in [Algorithm::Sha1, Algorithm::Sha512] {
        let path = upload_path("127.0.0.1", &d2, SERVER_SECRET, algo);
        let r = post(&s.gw, &path, two.clone()).await;
        assert_eq!(r.status, 200, "{algo:?}: {}", r.body);
        assert_eq!(r.json()["stored"], format!("{d2}.tar"));
    }
    let r = post(
        &s.gw,
        &upload_path(&s.id, &d1, SERVER_SECRET, Algorithm::Sha256),
        one.clone(),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["duplicate"].clone()),
        (200, true.into())
    );
    let mut expected = vec![format!("{d1}.tar"), format!("{d2}.tar")];
    expected.sort();
    assert_eq!(entries(s.spool.path()), expected);
    assert!(std::fs::read(s.spool.path().join(format!("{d2}.tar"))).unwrap() == two);

    let r = post(
        &s.gw,
        &upload_path(&s.id, &d1, SECRET, Algorithm::Sha256),
        one.clone(),
    )
    .await;
    assert_eq!(r.status, 401);
    let text = s.gw.get_url(&format!("http://{listen}/metrics")).await.body;
    let bytes = one.len() + two.len();
    for line in [
        format!("scalelite_recording_upload_bytes_total {bytes}"),
        "scalelite_recording_upload_refusals_total{reason=\"checksum\"} 1".to_string(),
    ] {
        assert!(text.contains(&line), "missing {line} in:\n{text}");
    }
    promtool_check(&text);
}

/// Every refusal before or after the body: the status, a JSON error, an empty spool.
#[tokio::test]
async fn refusals_leave_nothing_in_the_spool() {
    let s = setup(&[]).await;
    let spool = s.spool.path();
    let body = tarball("rec-r", 200_000);
    let digest = sha256(&body);
    let go = |path: String, body: Vec<u8>| {
        let gw = &s.gw;
        async move { post(gw, &path, body).await }
    };
    // Unknown server, by id or host; no server at all.
    for server in ["nope", "bbb.example.com", ""] {
        let r = go(
            upload_path(server, &digest, SERVER_SECRET, Algorithm::Sha256),
            body.clone(),
        )
        .await;
        assert_refused(&r, 404, spool);
    }
    // The wrong secret, the load balancer's secret, no checksum, a digest of the wrong length,
    // a checksum over other parameters.
    for (path, what) in [
        (
            upload_path(&s.id, &digest, "wrong", Algorithm::Sha256),
            "wrong secret",
        ),
        (
            upload_path(&s.id, &digest, SECRET, Algorithm::Sha256),
            "load balancer's secret",
        ),
        (
            format!("{ADMIN_API}uploadRecording?server={}&sha256={digest}", s.id),
            "no checksum",
        ),
        (
            format!(
                "{}0",
                upload_path(&s.id, &digest, SERVER_SECRET, Algorithm::Sha256)
            ),
            "wrong length",
        ),
        (
            upload_path(&s.id, &sha256(b"x"), SERVER_SECRET, Algorithm::Sha256)
                .replace(&sha256(b"x"), &digest),
            "checksum over another digest",
        ),
    ] {
        let r = go(path, body.clone()).await;
        assert_eq!(r.status, 401, "{what}: {}", r.body);
        assert_refused(&r, 401, spool);
    }
    // The body is not what the digest says.
    let other = sha256(b"something else");
    let r = go(
        upload_path(&s.id, &other, SERVER_SECRET, Algorithm::Sha256),
        body.clone(),
    )
    .await;
    assert_refused(&r, 422, spool);
    // Not a digest at all.
    let r = go(
        upload_path(&s.id, "xyz", SERVER_SECRET, Algorithm::Sha256),
        body.clone(),
    )
    .await;
    assert_refused(&r, 400, spool);
    // Not a tarball: noise, a gzip stream, less than one block, nothing.
    let mut gz = vec![0x1f, 0x8b, 0x08, 0];
    gz.extend(noise(3, 10_000));
    for junk in [noise(7, 300_000), gz, body[..511].to_vec(), Vec::new()] {
        let d = sha256(&junk);
        let r = go(
            upload_path(&s.id, &d, SERVER_SECRET, Algorithm::Sha256),
            junk,
        )
        .await;
        assert_refused(&r, 422, spool);
    }
    // Only POST is routed.
    let r =
        s.gw.get_url(&s.gw.url(&upload_path(
            &s.id,
            &digest,
            SERVER_SECRET,
            Algorithm::Sha256,
        )))
        .await;
    r.assert_failed("unsupportedRequest", None);
    // After all that, the same upload signed right is stored.
    let r = go(
        upload_path(&s.id, &digest, SERVER_SECRET, Algorithm::Sha256),
        body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(entries(spool), [format!("{digest}.tar")]);
}

/// RECORDING_DISABLED: nothing would import an upload, so it is refused with 503 (the sender
/// keeps its tarball and retries) and nothing is written.
#[tokio::test]
async fn disabled_recordings_refuse_uploads() {
    let s = setup(&[("RECORDING_DISABLED", "true")]).await;
    let body = tarball("rec-d", 1000);
    let path = upload_path(&s.id, &sha256(&body), SERVER_SECRET, Algorithm::Sha256);
    let r = post(&s.gw, &path, body).await;
    assert_refused(&r, 503, s.spool.path());
}

on_both_stores!(found_by_id_and_host_in_the_store);

/// The server is found in the store (embedded or Redis) by id and by host name, with its
/// secret as the store has it: after updateServer changes it, the new secret signs.
async fn found_by_id_and_host_in_the_store(store: Store) {
    let s = setup_on(&store, tempfile::tempdir().unwrap(), &[]).await;
    let body = tarball("rec-store", 10_000);
    let digest = sha256(&body);
    for server in [s.id.as_str(), "127.0.0.1"] {
        let path = upload_path(server, &digest, SERVER_SECRET, Algorithm::Sha256);
        let r = post(&s.gw, &path, body.clone()).await;
        assert_eq!(r.status, 200, "{server}: {}", r.body);
    }
    let r =
        s.gw.update_server(&s.id, serde_json::json!({ "secret": "rotated-secret" }))
            .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let old = upload_path(&s.id, &digest, SERVER_SECRET, Algorithm::Sha256);
    assert_eq!(post(&s.gw, &old, body.clone()).await.status, 401);
    let new = upload_path("127.0.0.1", &digest, "rotated-secret", Algorithm::Sha256);
    assert_eq!(post(&s.gw, &new, body).await.status, 200);
    assert_eq!(entries(s.spool.path()), [format!("{digest}.tar")]);
}
