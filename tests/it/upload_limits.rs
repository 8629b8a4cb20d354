//! The limits of `uploadRecording`: RECORDING_UPLOAD_MAX_BYTES (413, with a Content-Length up
//! front or when a chunked body crosses it, answered so the client reads it), `100 Continue`
//! only once the checks that need no body pass, a few hundred MB streamed to disk without the
//! gateway's memory growing, and a full spool (a tiny tmpfs) answered 507 with no leftover.
use crate::common::*;
use crate::upload::*;
use scalelite::bbb::Algorithm;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMIT: usize = 1024 * 1024;

fn head(path: &str, framing: &str, expect: bool) -> String {
    let expect = if expect {
        "Expect: 100-continue\r\n"
    } else {
        ""
    };
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\n{framing}\r\n{expect}Connection: close\r\n\r\n"
    )
}

/// Send an upload on a raw connection (after a Content-Length, or chunked in 64 KiB pieces),
/// then read the whole answer until the gateway closes. The bodies are larger than what the
/// kernel buffers: a gateway that closed without reading them would make the writes fail
/// (broken pipe) or the read (reset).
async fn raw_upload(gw: &Gateway, path: &str, body: &[u8], chunked: bool) -> String {
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {}", body.len())
    };
    let mut conn = TcpStream::connect(("127.0.0.1", gw.port)).await.unwrap();
    conn.write_all(head(path, &framing, false).as_bytes())
        .await
        .unwrap();
    if chunked {
        for chunk in body.chunks(64 * 1024) {
            conn.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await
                .unwrap();
            conn.write_all(chunk).await.unwrap();
            conn.write_all(b"\r\n").await.unwrap();
        }
        conn.write_all(b"0\r\n\r\n").await.unwrap();
    } else {
        conn.write_all(body).await.unwrap();
    }
    read_all(&mut conn).await
}

async fn read_all(conn: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut answer))
        .await
        .expect("the gateway closes the connection")
        .expect("the answer is read without a reset");
    String::from_utf8_lossy(&answer).into_owned()
}

/// Read one answer's head (up to the blank line).
async fn read_head(conn: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        tokio::time::timeout(Duration::from_secs(10), conn.read_exact(&mut byte))
            .await
            .expect("an answer")
            .expect("an answer");
        buf.push(byte[0]);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn signed_path(s: &Setup, body: &[u8]) -> String {
    upload_path(&s.id, &sha256(body), SERVER_SECRET, Algorithm::Sha256)
}

/// Over the limit: 413 with a JSON error the client reads, the connection closed, the spool
/// empty; up to the limit (chunked too) the tarball is stored.
#[tokio::test]
async fn over_the_limit_is_413_announced_or_chunked() {
    let limit = LIMIT.to_string();
    let s = setup(&[("RECORDING_UPLOAD_MAX_BYTES", limit.as_str())]).await;
    let big = tarball("rec-big", 3 * LIMIT);
    let path = signed_path(&s, &big);
    for chunked in [false, true] {
        let answer = raw_upload(&s.gw, &path, &big, chunked).await;
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "chunked={chunked}: {answer}"
        );
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "{answer}"
        );
        let want =
            format!("{{\"error\":\"The recording is too large: the limit is {LIMIT} bytes\"}}");
        assert!(answer.ends_with(&want), "{answer}");
        assert_eq!(entries(s.spool.path()), Vec::<String>::new());
    }
    // Through reqwest as well (it reads the answer while it sends).
    let r = post(&s.gw, &path, big).await;
    assert_refused(&r, 413, s.spool.path());

    let fits = tarball("rec-fits", LIMIT - 20_000);
    assert!(fits.len() <= LIMIT);
    let answer = raw_upload(&s.gw, &signed_path(&s, &fits), &fits, true).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(entries(s.spool.path()), [format!("{}.tar", sha256(&fits))]);
}

/// `Expect: 100-continue`: the continue comes only after the server, the checksum and the
/// announced length passed; a refusal is the only answer, before any body is sent.
#[tokio::test]
async fn continue_only_after_the_checks() {
    let limit = LIMIT.to_string();
    let s = setup(&[("RECORDING_UPLOAD_MAX_BYTES", limit.as_str())]).await;
    let body = tarball("rec-c", 100_000);
    let length = format!("Content-Length: {}", body.len());
    let mut conn = TcpStream::connect(("127.0.0.1", s.gw.port)).await.unwrap();
    conn.write_all(head(&signed_path(&s, &body), &length, true).as_bytes())
        .await
        .unwrap();
    let first = read_head(&mut conn).await;
    assert!(first.starts_with("HTTP/1.1 100"), "{first}");
    conn.write_all(&body).await.unwrap();
    let answer = read_all(&mut conn).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let wrong = upload_path(&s.id, &sha256(&body), "wrong", Algorithm::Sha256);
    let too_long = format!("Content-Length: {}", LIMIT + 1);
    for (path, framing, status) in [
        (wrong, length.clone(), "401"),
        (signed_path(&s, &body), too_long, "413"),
    ] {
        let mut conn = TcpStream::connect(("127.0.0.1", s.gw.port)).await.unwrap();
        conn.write_all(head(&path, &framing, true).as_bytes())
            .await
            .unwrap();
        let first = read_head(&mut conn).await;
        assert!(first.starts_with(&format!("HTTP/1.1 {status}")), "{first}");
    }
    assert_eq!(entries(s.spool.path()), [format!("{}.tar", sha256(&body))]);
}

/// VmRSS of a process, in kB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// `sha256sum` of a file (native speed for a big one).
fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)[..64].to_string()
}

/// 256 MiB streamed through: stored intact, and the gateway's resident memory stays within
/// 64 MB of where it was (it would grow by the whole body if it were buffered).
#[tokio::test]
async fn a_big_upload_streams_in_bounded_memory() {
    let s = setup(&[]).await;
    // Warm up: the first upload allocates what every upload shares.
    let small = tarball("rec-warm", 100_000);
    assert_eq!(
        post(&s.gw, &signed_path(&s, &small), small).await.status,
        200
    );

    let work = tempfile::tempdir().unwrap();
    let rec = work.path().join("presentation/rec-huge");
    std::fs::create_dir_all(&rec).unwrap();
    let media = rec.join("video.webm");
    let made = Command::new("head")
        .args(["-c", "256M", "/dev/urandom"])
        .stdout(std::fs::File::create(&media).unwrap())
        .status()
        .unwrap();
    assert!(made.success());
    let tar: PathBuf = work.path().join("big.tar");
    let made = Command::new("tar")
        .arg("-cf")
        .arg(&tar)
        .arg("-C")
        .arg(work.path())
        .arg("presentation")
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::remove_file(&media).unwrap();
    let digest = sha256sum(&tar);
    let size = std::fs::metadata(&tar).unwrap().len();

    let pid = s.gw.pid();
    let before = rss_kb(pid);
    let mut peak = before;
    let path = upload_path(&s.id, &digest, SERVER_SECRET, Algorithm::Sha256);
    let mut conn = TcpStream::connect(("127.0.0.1", s.gw.port)).await.unwrap();
    let length = format!("Content-Length: {size}");
    conn.write_all(head(&path, &length, false).as_bytes())
        .await
        .unwrap();
    let mut file = tokio::fs::File::open(&tar).await.unwrap();
    let mut buf = vec![0u8; 256 * 1024];
    let mut sent = 0u64;
    loop {
        let n = file.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        conn.write_all(&buf[..n]).await.unwrap();
        sent += n as u64;
        if sent % (4 << 20) < n as u64 {
            peak = peak.max(rss_kb(pid));
        }
    }
    let answer = read_all(&mut conn).await;
    peak = peak.max(rss_kb(pid));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let stored = s.spool.path().join(format!("{digest}.tar"));
    let intact = std::fs::metadata(&stored).unwrap().len() == size && sha256sum(&stored) == digest;
    std::fs::remove_file(&stored).unwrap();
    assert!(intact, "the stored tarball differs from the one sent");
    let grown_mb = peak.saturating_sub(before) / 1024;
    assert!(
        grown_mb <= 64,
        "the gateway grew by {grown_mb} MB ({before} kB → {peak} kB)"
    );
}

/// A tmpfs mounted for the test, unmounted when dropped (before its directory is removed).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .unwrap()
            .success();
        assert!(
            ok,
            "mounting a tmpfs at {} (the test needs root)",
            dir.display()
        );
        Tmpfs(dir.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A spool that fills up mid-upload: 507 with a JSON error, the temp file removed, and once
/// the space is back (nothing was left behind) a smaller upload is stored.
#[tokio::test]
async fn a_full_spool_is_507_without_leftovers() {
    let spool = tempfile::tempdir().unwrap();
    let mounted = Tmpfs::mount(spool.path(), "1m");
    let s = setup_with_spool(spool, &[]).await;
    let big = tarball("rec-full", 3 * LIMIT);
    let r = post(&s.gw, &signed_path(&s, &big), big.clone()).await;
    assert_refused(&r, 507, s.spool.path());
    // Chunked as well, read by the client.
    let answer = raw_upload(&s.gw, &signed_path(&s, &big), &big, true).await;
    assert!(answer.starts_with("HTTP/1.1 507"), "{answer}");
    assert_eq!(entries(s.spool.path()), Vec::<String>::new());

    let small = tarball("rec-small", 300_000);
    let r = post(&s.gw, &signed_path(&s, &small), small.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(entries(s.spool.path()), [format!("{}.tar", sha256(&small))]);
    drop(mounted);
}

/// A sender that goes away mid-body leaves nothing behind (the temp file is removed), and the
/// gateway goes on serving.
#[tokio::test]
async fn a_sender_gone_mid_body_leaves_nothing() {
    let s = setup(&[]).await;
    let body = tarball("rec-gone", 2 * LIMIT);
    let length = format!("Content-Length: {}", body.len());
    let mut conn = TcpStream::connect(("127.0.0.1", s.gw.port)).await.unwrap();
    conn.write_all(head(&signed_path(&s, &body), &length, false).as_bytes())
        .await
        .unwrap();
    conn.write_all(&body[..LIMIT / 2]).await.unwrap();
    // The temp file exists while the body arrives.
    let spool = s.spool.path().to_path_buf();
    let dir = spool.clone();
    eventually("a temp file in the spool", || {
        let found = entries(&dir).iter().any(|e| e.starts_with(".upload-"));
        async move { found }
    })
    .await;
    drop(conn);
    eventually("an empty spool", || {
        let empty = entries(&spool).is_empty();
        async move { empty }
    })
    .await;
    let r = post(&s.gw, &signed_path(&s, &body), body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A temp file left by a gateway killed mid-upload (an hour untouched) is swept by the next
/// upload; a fresh one (an upload in progress) stays.
#[tokio::test]
async fn temp_files_of_dead_uploads_are_swept() {
    let s = setup(&[]).await;
    let stale = s.spool.path().join(".upload-dead.part");
    let live = s.spool.path().join(".upload-live.part");
    std::fs::write(&stale, b"half").unwrap();
    std::fs::write(&live, b"half").unwrap();
    let touched = Command::new("touch")
        .args(["-d", "2 hours ago"])
        .arg(&stale)
        .status()
        .unwrap();
    assert!(touched.success());
    let body = tarball("rec-sweep", 10_000);
    let r = post(&s.gw, &signed_path(&s, &body), body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut expected = vec![
        format!("{}.tar", sha256(&body)),
        ".upload-live.part".to_string(),
    ];
    expected.sort();
    assert_eq!(entries(s.spool.path()), expected);
}
