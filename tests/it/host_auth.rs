//! Scalelite's host authorisation (behaviour doc §1.8) through the real binary: with URL_HOST
//! set, other Host (or X-Forwarded-Host) values get Rails' empty 403, the health check is
//! exempt, tenants' sub-domains pass only with MULTITENANCY_ENABLED=true, and the CLI (which
//! connects to 127.0.0.1) still works because it sends URL_HOST as its Host.
use crate::cli_support::*;
use crate::common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One raw HTTP/1.1 GET with exactly these headers; returns the status line's code, the
/// Content-Type and the body.
async fn get(gw: &Gateway, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).await.unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    (status, content_type, body.to_string())
}

const API: &str = "/bigbluebutton/api";

#[tokio::test]
async fn only_url_host_is_answered_and_health_is_exempt() {
    let gw = Gateway::start(&[("URL_HOST", "scalelite.example.com")]).await;
    let (code, _, body) = get(&gw, API, &[("Host", "scalelite.example.com")]).await;
    assert_eq!(code, 200);
    assert!(body.contains("<returncode>SUCCESS</returncode>"), "{body}");
    assert_eq!(
        get(&gw, API, &[("Host", "Scalelite.Example.com:443")])
            .await
            .0,
        200
    );

    let local = format!("127.0.0.1:{}", gw.port);
    let (code, content_type, body) = get(&gw, API, &[("Host", &local)]).await;
    assert_eq!(
        (code, content_type.as_str(), body.as_str()),
        (403, "text/html; charset=utf-8", "")
    );
    for host in [
        "tenant.scalelite.example.com",
        "scalelite.example.com.evil.org",
    ] {
        assert_eq!(get(&gw, API, &[("Host", host)]).await.0, 403, "{host}");
    }
    // A proxy's X-Forwarded-Host must be allowed too.
    let forwarded = [
        ("Host", "scalelite.example.com"),
        ("X-Forwarded-Host", "evil.org"),
    ];
    assert_eq!(get(&gw, API, &forwarded).await.0, 403);
    // Even a checksum-protected call and the root health check are refused for another host.
    assert_eq!(
        get(
            &gw,
            &gw.api("getMeetings", "")
                .replace(&format!("http://{local}"), ""),
            &[("Host", &local)]
        )
        .await
        .0,
        403
    );
    assert_eq!(get(&gw, "/", &[("Host", &local)]).await.0, 403);
    // Load balancers probe by address.
    let (code, _, body) = get(&gw, "/health_check", &[("Host", "10.1.2.3")]).await;
    assert_eq!((code, body.as_str()), (200, "success"));
}

#[tokio::test]
async fn tenant_subdomains_pass_only_with_multitenancy_exactly_true() {
    let gw = Gateway::start(&[
        ("URL_HOST", "scalelite.example.com"),
        ("MULTITENANCY_ENABLED", "true"),
    ])
    .await;
    for host in ["t1.scalelite.example.com", "scalelite.example.com"] {
        assert_eq!(get(&gw, API, &[("Host", host)]).await.0, 200, "{host}");
    }
    assert_eq!(
        get(&gw, API, &[("Host", "xscalelite.example.com")]).await.0,
        403
    );

    let gw = Gateway::start(&[
        ("URL_HOST", "scalelite.example.com"),
        ("MULTITENANCY_ENABLED", "TRUE"),
    ])
    .await;
    assert_eq!(
        get(&gw, API, &[("Host", "t1.scalelite.example.com")])
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn no_url_host_accepts_any_host() {
    let gw = Gateway::start(&[]).await;
    assert_eq!(
        get(&gw, API, &[("Host", "anything.example.org")]).await.0,
        200
    );
    assert_eq!(get(&gw, API, &[]).await.0, 200);
}

#[tokio::test]
async fn the_cli_sends_url_host() {
    let gw = Gateway::start(&[("URL_HOST", "scalelite.example.com")]).await;
    let r = run_with(
        &gw,
        &["servers"],
        &[("URL_HOST", "scalelite.example.com")],
        "",
    )
    .await;
    assert_eq!(
        (r.ok(), r.err.as_str()),
        ("", "No servers are configured\n")
    );
    // Without it the instance refuses the CLI, and the CLI says so.
    let r = run(&gw, &["servers"]).await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.err.contains("403"), "{}", r.err);
}
