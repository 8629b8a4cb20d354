//! TLS termination: the gateway serves HTTPS with the configured certificate (verified by a
//! real client against it), and plain HTTP is redirected to HTTPS except the health check.
use crate::common::*;
use std::process::Command;

/// A self-signed certificate for `localhost`, written into `dir`.
fn self_signed(dir: &std::path::Path) -> (String, String) {
    let (cert, key) = certs::self_signed(dir, "cert", "localhost", "DNS:localhost,IP:127.0.0.1");
    (cert.display().to_string(), key.display().to_string())
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn https_is_served_and_http_redirected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = self_signed(dir.path());
    let tls_port = free_port();
    let listen = format!("127.0.0.1:{tls_port}");
    let gw = Gateway::start(&[
        ("SCALELITE_TLS_CERT", cert.as_str()),
        ("SCALELITE_TLS_KEY", key.as_str()),
        ("SCALELITE_TLS_LISTEN", listen.as_str()),
        ("SCALELITE_TLS_REDIRECT_HTTP", "true"),
    ])
    .await;
    // A verifying client: the certificate is its only trust anchor.
    let resolve = format!("localhost:{tls_port}:127.0.0.1");
    let url = format!("https://localhost:{tls_port}/bigbluebutton/api");
    let body = curl(&["--cacert", &cert, "--resolve", &resolve, &url]);
    assert!(body.contains("<returncode>SUCCESS</returncode>"), "{body}");
    // Plain HTTP: redirected to the HTTPS listener, path and query kept.
    let redirect = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{redirect_url}",
        &gw.url("/bigbluebutton/api/join?meetingID=x"),
    ]);
    assert_eq!(
        redirect,
        format!("301 https://127.0.0.1:{tls_port}/bigbluebutton/api/join?meetingID=x")
    );
    // The health check stays reachable over plain HTTP (load balancers probe it).
    assert_eq!(gw.get_url(&gw.url("/health_check")).await.status, 200);
}

#[tokio::test]
async fn a_missing_certificate_is_refused_at_start_up() {
    let out = Command::new(env!("CARGO_BIN_EXE_scalelite"))
        .args(["serve", "--test"])
        .env_clear()
        .env("LOADBALANCER_SECRET", SECRET)
        .env("SCALELITE_TLS_CERT", "/nonexistent/cert.pem")
        .output()
        .expect("scalelite");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("both a certificate and a key"), "{err}");
}
