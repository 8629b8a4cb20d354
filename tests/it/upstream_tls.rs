//! `https://` BBB servers: the poller, create and the proxied calls reach a server behind TLS
//! with SNI, verifying its certificate against SCALELITE_UPSTREAM_CA_FILE; without that CA the
//! server is never trusted (stays offline).
use crate::common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// What a TLS front saw: TCP connections accepted, handshakes completed, handshakes refused.
#[derive(Default)]
struct Seen {
    accepted: AtomicUsize,
    handshakes: AtomicUsize,
    refused: AtomicUsize,
}

impl Seen {
    fn get(&self) -> (usize, usize, usize) {
        (
            self.accepted.load(Ordering::SeqCst),
            self.handshakes.load(Ordering::SeqCst),
            self.refused.load(Ordering::SeqCst),
        )
    }
}

/// A TLS front for a simulated BBB server: terminates TLS and relays bytes to it, counting
/// connections and handshakes.
async fn tls_front(
    cert: &std::path::Path,
    key: &std::path::Path,
    backend: std::net::SocketAddr,
) -> (u16, Arc<Seen>) {
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
    let seen = Arc::new(Seen::default());
    let counters = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counters.accepted.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            let counters = counters.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    counters.refused.fetch_add(1, Ordering::SeqCst);
                    return;
                };
                counters.handshakes.fetch_add(1, Ordering::SeqCst);
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (port, seen)
}

#[tokio::test]
async fn https_servers_are_verified_against_the_configured_ca() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ca, cert, key) = private_ca(dir.path());
    let sim = sim("tls-bbb-secret").await;
    let (port, trusted_front) = tls_front(&cert, &key, sim.addr()).await;
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

    let (_, handshakes, refused) = trusted_front.get();
    assert!(handshakes > 0 && refused == 0, "{:?}", trusted_front.get());

    // The same kind of server (its own front and simulator, so every connection and request is
    // this gateway's) without the CA: the gateway connects, refuses the certificate in the
    // handshake, and the server never comes online however often it is polled.
    let other = crate::common::sim("tls-bbb-secret").await;
    let (port, front) = tls_front(&cert, &key, other.addr()).await;
    let url = format!("https://localhost:{port}/bigbluebutton/api/");
    let server = serde_json::json!({ "server": { "url": url, "secret": "tls-bbb-secret" } });
    let untrusting = Gateway::start(&[("SERVER_HEALTHY_THRESHOLD", "1")]).await;
    let r = untrusting.admin_post("addServer", server).await;
    let id = r.json()["id"].as_str().expect("id").to_string();
    untrusting.set_state(&id, "enable").await;
    // Several polls (every 0.2 s), each a connection whose handshake the gateway abandons.
    eventually("handshakes attempted and refused", || async {
        front.get().2 >= 3
    })
    .await;
    let (accepted, handshakes, refused) = front.get();
    assert_eq!(handshakes, 0, "a handshake completed without the CA");
    assert!(accepted >= refused && refused >= 3, "{:?}", front.get());
    let info = untrusting.server_info(&id).await;
    assert_eq!(info["online"], "offline", "{info}");
    assert_eq!(info["load"], "unavailable", "{info}");
    assert!(
        other.requests().is_empty(),
        "a request got through: {:?}",
        other.requests()
    );
    untrusting
        .get("create", "meetingID=insecure&name=I")
        .await
        .assert_failed("internalError", None);
    assert!(other.meeting("insecure").is_none());
}
