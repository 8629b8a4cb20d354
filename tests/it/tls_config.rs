//! The TLS certificate and key are loaded at configuration time the way Pingora will load
//! them, so `serve --test` (the unit's ExecStartPre / ExecReload check) and `serve` itself
//! refuse a pair Pingora would panic on: a reload must never hand over to such a process.
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "f830c18ee29c8531e0115c3da85db89b";

/// A self-signed certificate and its key (`rsa:2048` or `ec`), written into `dir` as
/// `NAME.crt` / `NAME.key`.
fn pair(dir: &Path, name: &str, algorithm: &[&str]) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(algorithm)
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}

fn rsa(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    pair(dir, name, &["-newkey", "rsa:2048"])
}

fn ec(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    pair(
        dir,
        name,
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
    )
}

fn command(cert: &Path, key: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scalelite"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOADBALANCER_SECRET", SECRET)
        .env("SCALELITE_METRICS_LISTEN", "off")
        .env("SCALELITE_TLS_CERT", cert)
        .env("SCALELITE_TLS_KEY", key);
    cmd
}

fn serve_test(cert: &Path, key: &Path) -> Output {
    command(cert, key, &["serve", "--test"])
        .output()
        .expect("run scalelite serve --test")
}

/// `serve --test` refuses the pair with exit code 2; its stderr.
fn refused(cert: &Path, key: &Path) -> String {
    let out = serve_test(cert, key);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("invalid configuration"), "{stderr}");
    stderr
}

#[test]
fn matching_pairs_pass() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (cert, key) in [rsa(dir.path(), "rsa"), ec(dir.path(), "ec")] {
        let out = serve_test(&cert, &key);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{}: {stderr}", cert.display());
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("configuration OK"),
            "{stderr}"
        );
    }
    // A chain file (end-entity certificate first, then an intermediate) is fine too.
    let (leaf, key) = rsa(dir.path(), "leaf");
    let (other, _) = ec(dir.path(), "intermediate");
    let chain = dir.path().join("chain.pem");
    let text = [leaf, other].map(|p| std::fs::read_to_string(p).expect("read cert"));
    std::fs::write(&chain, text.concat()).expect("write chain");
    assert_eq!(serve_test(&chain, &key).status.code(), Some(0));
}

#[test]
fn the_key_of_another_certificate_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, _) = rsa(dir.path(), "a");
    let (_, other_key) = rsa(dir.path(), "b");
    let stderr = refused(&cert, &other_key);
    let expected = format!(
        "tls: certificate {} and key {} do not match",
        cert.display(),
        other_key.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    // A key of another type is no better.
    let (_, ec_key) = ec(dir.path(), "c");
    assert!(refused(&cert, &ec_key).contains("do not match"));
}

#[test]
fn a_key_file_without_a_usable_key_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, _) = rsa(dir.path(), "a");
    let key = dir.path().join("garbage.key");

    std::fs::write(&key, "this is not a key\n").expect("write");
    let stderr = refused(&cert, &key);
    let expected = format!("tls key {}: no private key found", key.display());
    assert!(stderr.contains(&expected), "{stderr}");

    // A PEM block whose base64 is broken: the file is not PEM at all.
    std::fs::write(
        &key,
        "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
    )
    .expect("write");
    let stderr = refused(&cert, &key);
    let expected = format!("tls key {}: not a valid PEM file", key.display());
    assert!(stderr.contains(&expected), "{stderr}");

    // Well-formed PEM around bytes that are no key ("not a key" in base64).
    std::fs::write(
        &key,
        "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
    )
    .expect("write");
    let stderr = refused(&cert, &key);
    let expected = format!("tls key {}: unusable private key", key.display());
    assert!(stderr.contains(&expected), "{stderr}");

    // The certificate given for the key (swapped settings).
    let stderr = refused(&cert, &cert);
    let expected = format!("tls key {}: no private key found", cert.display());
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn a_certificate_file_without_a_certificate_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, key) = rsa(dir.path(), "a");
    // The key given for the certificate: a PEM file, but no CERTIFICATE block in it.
    let stderr = refused(&key, &key);
    let expected = format!("tls certificate {}: no certificate found", key.display());
    assert!(stderr.contains(&expected), "{stderr}");

    let empty = dir.path().join("empty.crt");
    std::fs::write(&empty, "").expect("write");
    let stderr = refused(&empty, &key);
    let expected = format!("tls certificate {}: no certificate found", empty.display());
    assert!(stderr.contains(&expected), "{stderr}");
    // The key itself is fine, so only the certificate is reported.
    assert!(!stderr.contains("tls key"), "{stderr}");
}

/// `serve` itself stops at the configuration with a clear message instead of starting and
/// leaving Pingora to panic on the pair.
#[test]
fn serve_refuses_a_mismatched_pair_before_starting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, _) = rsa(dir.path(), "a");
    let (_, other_key) = ec(dir.path(), "b");
    let port = crate::common::free_port();
    let mut child = command(&cert, &other_key, &["serve"])
        .env("PORT", port.to_string())
        .env("SCALELITE_DATA_DIR", dir.path())
        .env("SCALELITE_TLS_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn scalelite serve");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve started with a key that does not match its certificate");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("do not match"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
