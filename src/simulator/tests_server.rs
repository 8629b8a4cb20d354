//! Tests of the transport side of the simulator: bad input, failure modes, hang, stop and restart.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::test_http::*;
use super::{BbbSimulator, Mode};

#[tokio::test]
async fn bad_input_never_breaks_the_server() {
    let sim = BbbSimulator::start(SECRET).await.unwrap();
    for q in [
        "%%%&=&checksum",
        "checksum=&&&",
        "meetingID=%ff%fe&meta_=1&meta_a%20b%3C=%01",
    ] {
        let r = request(sim.addr(), "GET", &format!("/bigbluebutton/api/create?{q}")).await;
        assert_eq!(r.status, 200);
    }
    let r = api(&sim, "create", "meetingID=w&meta_a%20b%3C=%01x&meta_1st=y").await;
    assert!(r.body.contains("SUCCESS"));
    let r = api(&sim, "getMeetingInfo", "meetingID=w").await;
    assert!(
        r.body
            .contains("<metadata><a_b_>x</a_b_><_1st>y</_1st></metadata>"),
        "{}",
        r.body
    );
    let r = api(&sim, "create", "meetingID=").await;
    assert!(r.body.contains("missingParamMeetingID"));
    let r = request(sim.addr(), "GET", "/nothing/here").await;
    assert_eq!(r.status, 404);
    let r = request(sim.addr(), "DELETE", &signed("getMeetings", "")).await;
    assert_eq!(r.status, 405);
    // Still serving.
    assert_eq!(
        request(sim.addr(), "GET", "/bigbluebutton/api")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn fail_garbage_and_http_error_modes() {
    let sim = BbbSimulator::start(SECRET).await.unwrap();
    sim.set_mode(Mode::Fail);
    let r = api(&sim, "getMeetings", "").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<returncode>FAILED</returncode><messageKey>simulatedFailure</messageKey><message>Simulated failure</message>"));
    sim.set_mode(Mode::Garbage);
    let r = api(&sim, "getMeetings", "").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(r.body, "<html><body>garbage</body></html>");
    sim.set_mode(Mode::HttpError(503));
    let r = api(&sim, "getMeetings", "").await;
    assert_eq!(r.status, 503);
    sim.set_mode(Mode::HttpError(101));
    assert_eq!(api(&sim, "getMeetings", "").await.status, 500);
    sim.set_mode(Mode::HttpError(42));
    assert_eq!(api(&sim, "getMeetings", "").await.status, 500);
    sim.set_mode(Mode::Normal);
    assert!(api(&sim, "getMeetings", "").await.body.contains("SUCCESS"));
    assert_eq!(sim.requests_for("getMeetings").len(), 6);
}

#[tokio::test]
async fn hang_mode_never_answers_until_stop() {
    let sim = BbbSimulator::start(SECRET).await.unwrap();
    sim.set_mode(Mode::Hang);
    let mut s = TcpStream::connect(sim.addr()).await.unwrap();
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: x\r\n\r\n",
        signed("getMeetings", "")
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = [0u8; 64];
    let res = tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await;
    assert!(res.is_err(), "hung request must not be answered");
    assert_eq!(sim.requests_for("getMeetings").len(), 1);
    sim.stop().await;
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap();
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
}

#[tokio::test]
async fn http_error_xml_and_reset_modes() {
    let sim = BbbSimulator::start(SECRET).await.unwrap();
    sim.set_mode(Mode::HttpErrorXml(500));
    let r = api(&sim, "create", "meetingID=x").await;
    assert_eq!(r.status, 500);
    assert!(
        r.body.contains("<returncode>SUCCESS</returncode>"),
        "{}",
        r.body
    );
    assert!(sim.meeting("x").is_none());

    sim.set_mode(Mode::Reset);
    let mut s = TcpStream::connect(sim.addr()).await.unwrap();
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: x\r\n\r\n",
        signed("create", "meetingID=x")
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap();
    assert_eq!(
        n.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset)
    );
    assert!(sim.meeting("x").is_none());
    assert_eq!(sim.requests_for("create").len(), 2);
}

#[tokio::test]
async fn stop_closes_everything_and_port_can_be_reused() {
    let sim = BbbSimulator::start(SECRET).await.unwrap();
    let addr = sim.addr();
    sim.add_meeting("keep", 3, 1);
    // An idle keep-alive connection, as a pooled client would hold.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /bigbluebutton/api HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_response(&mut s).await.unwrap().status, 200);

    sim.stop().await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "new connects must fail"
    );
    let mut buf = [0u8; 64];
    let _ = s
        .write_all(b"GET /bigbluebutton/api HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap();
    assert!(
        matches!(n, Ok(0) | Err(_)),
        "kept-alive connection must be closed: {n:?}"
    );
    sim.stop().await; // idempotent

    // Same handle, same port, same state.
    sim.restart().await.unwrap();
    assert!(api(&sim, "getMeetings", "")
        .await
        .body
        .contains("<meetingID>keep</meetingID>"));
    sim.stop().await;

    // A brand-new simulator on the same port.
    let again = BbbSimulator::start_on(addr, SECRET).await.unwrap();
    assert_eq!(again.addr(), addr);
    let r = api(&again, "getMeetings", "").await;
    assert!(r.body.contains("noMeetings"), "{}", r.body);
    again.stop().await;
}

#[tokio::test]
async fn dropping_the_last_handle_shuts_the_server_down() {
    let sim = BbbSimulator::start(SECRET).await.unwrap();
    let addr = sim.addr();
    let clone = sim.clone();
    drop(sim);
    // A clone keeps it alive.
    assert_eq!(request(addr, "GET", "/bigbluebutton/api").await.status, 200);
    drop(clone);
    let mut refused = false;
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "server must stop once no handle is left");
}

#[tokio::test]
async fn service_time_delays_every_answer() {
    let sim = BbbSimulator::start(SECRET).await.unwrap();
    let started = std::time::Instant::now();
    assert!(api(&sim, "getMeetings", "").await.body.contains("SUCCESS"));
    let instant = started.elapsed();
    sim.set_service_time(Duration::from_millis(150));
    let started = std::time::Instant::now();
    assert!(api(&sim, "getMeetings", "").await.body.contains("SUCCESS"));
    let delayed = started.elapsed();
    assert!(delayed >= Duration::from_millis(150), "{delayed:?}");
    assert!(delayed > instant, "{delayed:?} vs {instant:?}");
    sim.set_service_time(Duration::ZERO);
    sim.set_mode(Mode::Fail);
    let started = std::time::Instant::now();
    assert!(api(&sim, "getMeetings", "").await.body.contains("FAILED"));
    assert!(started.elapsed() < Duration::from_millis(150));
}
