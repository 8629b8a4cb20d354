//! `https://` BBB servers: the poller, create and the proxied calls reach a server behind TLS
//! with SNI, verifying its certificate against SCALELITE_UPSTREAM_CA_FILE; without that CA the
//! server is never trusted (stays offline).
use crate::common::*;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

/// A private CA and a certificate for `localhost` it signed: (CA, certificate, key).
fn private_ca(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let ca = certs::ca(dir, "ca");
    let (cert, key) = certs::signed(dir, "ca", "bbb", "localhost", "DNS:localhost");
    (ca, cert, key)
}

/// A TLS front for a simulated BBB server: terminates TLS and relays bytes to it.
async fn tls_front(
    cert: &std::path::Path,
    key: &std::path::Path,
    backend: std::net::SocketAddr,
) -> u16 {
    let certs: Vec<_> = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).expect("cert"),
    ))
    .collect::<Result<_, _>>()
    .expect("certs");
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key).expect("key"),
    ))
    .expect("key")
    .expect("a key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("tls config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn https_servers_are_verified_against_the_configured_ca() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ca, cert, key) = private_ca(dir.path());
    let sim = sim("tls-bbb-secret").await;
    let port = tls_front(&cert, &key, sim.addr()).await;
    let url = format!("https://localhost:{port}/bigbluebutton/api/");
    let server = serde_json::json!({ "server": { "url": url, "secret": "tls-bbb-secret" } });

    let ca = ca.display().to_string();
    let gw = Gateway::start(&[("SCALELITE_UPSTREAM_CA_FILE", ca.as_str())]).await;
    let r = gw.admin_post("addServer", server.clone()).await;
    let id = r.json()["id"].as_str().expect("id").to_string();
    gw.set_state(&id, "enable").await;
    gw.wait_server(&id, |s| s["online"] == "online" && s["load"].is_number())
        .await;
    gw.create_ok("meetingID=secure&name=Secure").await;
    assert!(sim.meeting("secure").is_some());
    gw.get("getMeetingInfo", "meetingID=secure")
        .await
        .assert_xml("meetingID", "secure");
    let join = gw.join("meetingID=secure&fullName=x").await;
    assert!(
        join.location().starts_with(&format!("{url}join?")),
        "{}",
        join.location()
    );

    // The same server without the CA: its certificate is not trusted, it never comes online.
    let untrusting = Gateway::start(&[]).await;
    let r = untrusting.admin_post("addServer", server).await;
    let id = r.json()["id"].as_str().expect("id").to_string();
    untrusting.set_state(&id, "enable").await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(untrusting.server_info(&id).await["online"], "offline");
}
