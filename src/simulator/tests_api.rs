//! Tests of the simulated API actions (checksums, create/join/list/end, POST bodies) over real sockets.

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::test_http::*;
use super::BbbSimulator;

#[tokio::test]
async fn index_reports_version_without_checksum() {
    let sim = BbbSimulator::start(SECRET).await.unwrap();
    assert_eq!(
        sim.url(),
        format!("http://{}/bigbluebutton/api/", sim.addr())
    );
    let r = request(sim.addr(), "GET", "/bigbluebutton/api").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/xml;charset=utf-8"));
    assert!(r
        .body
        .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(r.body.contains("<returncode>SUCCESS</returncode><version>2.0</version><apiVersion>2.0</apiVersion><bbbVersion>3.0.0</bbbVersion>"));
    sim.set_version("2.7.4");
    let r = request(sim.addr(), "GET", "/bigbluebutton/api/").await;
    assert!(r.body.contains("<bbbVersion>2.7.4</bbbVersion>"));
    let reqs = sim.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].action, "");
    assert!(reqs[0].checksum_ok);
}

#[tokio::test]
async fn checksums_sha1_and_sha256_accepted() {
    let sim = BbbSimulator::start(SECRET).await.unwrap();
    let q = "meetingID=m%201&name=A+Room";
    let s1 = sha1_hex(&format!("create{q}{SECRET}"));
    let r = request(
        sim.addr(),
        "GET",
        &format!("/bigbluebutton/api/create?{q}&checksum={s1}"),
    )
    .await;
    assert!(
        r.body.contains("<returncode>SUCCESS</returncode>"),
        "{}",
        r.body
    );
    // Checksum first is removed textually too.
    let s256 = sha256_hex(&format!("getMeetingInfomeetingID=m%201{SECRET}"));
    let target = format!("/bigbluebutton/api/getMeetingInfo?checksum={s256}&meetingID=m%201");
    let r = request(sim.addr(), "GET", &target).await;
    assert!(
        r.body.contains("<meetingName>A Room</meetingName>"),
        "{}",
        r.body
    );
    assert!(sim.requests().iter().all(|r| r.checksum_ok));
    let rec = &sim.requests_for("create")[0];
    assert_eq!(rec.param("meetingID"), Some("m 1"));
    assert_eq!(rec.raw_query, format!("{q}&checksum={s1}"));
    assert!(sim.signed_url("getMeetings", "").starts_with(&sim.url()));
}

#[tokio::test]
async fn checksums_rejected() {
    let sim = BbbSimulator::start(SECRET).await.unwrap();
    let bad = "0".repeat(64);
    for target in [
        format!("/bigbluebutton/api/create?meetingID=x&checksum={bad}"),
        "/bigbluebutton/api/create?meetingID=x".to_string(),
        "/bigbluebutton/api/create?meetingID=x&checksum=abc".to_string(),
        // Signed for another action.
        signed("join", "meetingID=x").replace("/join?", "/create?"),
    ] {
        let r = request(sim.addr(), "GET", &target).await;
        assert_eq!(r.status, 200);
        assert!(r.body.contains("<returncode>FAILED</returncode><messageKey>checksumError</messageKey><message>Checksums do not match</message>"), "{}", r.body);
    }
    assert!(sim.meetings().is_empty());
    let reqs = sim.requests_for("create");
    assert_eq!(reqs.len(), 4);
    assert!(reqs.iter().all(|r| !r.checksum_ok));
}

#[tokio::test]
async fn create_join_and_list_meetings() {
    let sim = BbbSimulator::start(SECRET).await.unwrap();
    let r = api(&sim, "getMeetings", "").await;
    assert!(
        r.body
            .contains("<meetings/><messageKey>noMeetings</messageKey>"),
        "{}",
        r.body
    );
    let q = "meetingID=room1&name=R%26D+%3Cteam%3E&moderatorPW=mp&attendeePW=ap&meta_BBB-Origin=lb";
    let r = api(&sim, "create", q).await;
    assert!(
        r.body.contains("<meetingID>room1</meetingID>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("<moderatorPW>mp</moderatorPW>"));
    assert!(r
        .body
        .contains("<parentMeetingID>bbb-none</parentMeetingID>"));
    let m = sim.meeting("room1").unwrap();
    assert_eq!(m.name, "R&D <team>");
    assert_eq!(m.voice_bridge.len(), 5);
    assert_eq!(
        m.metadata,
        vec![("bbb-origin".to_string(), "lb".to_string())]
    );
    // Duplicate create returns the existing meeting.
    let r = api(&sim, "create", "meetingID=room1&moderatorPW=other").await;
    assert!(r.body.contains("<messageKey>duplicateWarning</messageKey>"));
    assert!(r.body.contains("<moderatorPW>mp</moderatorPW>"));

    let r = api(&sim, "join", "meetingID=room1&fullName=Mod&password=mp").await;
    assert_eq!(r.status, 302);
    let loc = r.header("location").unwrap();
    assert!(loc.starts_with(&format!(
        "http://{}/html5client/join?sessionToken=",
        sim.addr()
    )));
    let r = api(&sim, "join", "meetingID=room1&fullName=Att&role=VIEWER").await;
    assert_eq!(r.status, 302);
    let r = api(&sim, "join", "meetingID=nope&fullName=X").await;
    assert!(r.body.contains("<messageKey>notFound</messageKey>"));
    sim.add_meeting("side", 7, 2);

    let r = api(&sim, "getMeetings", "").await;
    let first = r.body.find(
        "<meeting><meetingName>R&amp;D &lt;team&gt;</meetingName><meetingID>room1</meetingID>",
    );
    let second = r
        .body
        .find("<meeting><meetingName>side</meetingName><meetingID>side</meetingID>");
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(first < second, "creation order");
    let room1 = &r.body[first..second];
    assert!(
        room1.contains("<participantCount>2</participantCount>"),
        "{room1}"
    );
    assert!(room1.contains("<moderatorCount>1</moderatorCount>"));
    assert!(room1.contains("<metadata><bbb-origin>lb</bbb-origin></metadata>"));
    assert!(r.body[second..].contains("<participantCount>7</participantCount>"));

    let r = api(&sim, "isMeetingRunning", "meetingID=side").await;
    assert!(r.body.contains("<running>true</running>"));
    sim.end_meeting("side");
    let r = api(&sim, "isMeetingRunning", "meetingID=side").await;
    assert!(r.body.contains("<running>false</running>"));
    let r = api(&sim, "getMeetingInfo", "meetingID=side").await;
    assert!(r
        .body
        .contains("<message>We could not find a meeting with that meeting ID</message>"));

    let r = api(&sim, "end", "meetingID=room1&password=wrong").await;
    assert!(r.body.contains("<messageKey>invalidPassword</messageKey>"));
    let r = api(&sim, "end", "meetingID=room1&password=mp").await;
    assert!(r
        .body
        .contains("<messageKey>sentEndMeetingRequest</messageKey>"));
    assert!(sim.meetings().is_empty());
}

#[tokio::test]
async fn post_bodies_and_other_actions() {
    let sim = BbbSimulator::start(SECRET).await.unwrap();
    let xml = "<modules><module name=\"presentation\"></module></modules>";
    // Chunked POST create with pre-uploaded slides.
    let mut s = TcpStream::connect(sim.addr()).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n",
        signed("create", "meetingID=p1")
    );
    let (a, b) = xml.split_at(10);
    let body = format!("{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n", a.len(), b.len());
    s.write_all(format!("{head}{body}").as_bytes())
        .await
        .unwrap();
    let r = read_response(&mut s).await.unwrap();
    assert!(
        r.body.contains("<returncode>SUCCESS</returncode>"),
        "{}",
        r.body
    );
    let rec = &sim.requests_for("create")[0];
    assert_eq!(rec.method, "POST");
    assert_eq!(rec.body, xml.as_bytes());
    assert_eq!(rec.content_type.as_deref(), Some("text/xml"));

    // Same keep-alive connection, Content-Length body.
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{xml}",
        signed("insertDocument", "meetingID=p1"),
        xml.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let r = read_response(&mut s).await.unwrap();
    assert!(r
        .body
        .contains("<message>Presentation is being uploaded</message>"));

    let r = api(&sim, "sendChatMessage", "meetingID=p1&message=hi").await;
    assert!(r.body.contains("<action>sendChatMessage</action>"));
    let r = api(&sim, "sendChatMessage", "meetingID=zz").await;
    assert!(r.body.contains("<messageKey>notFound</messageKey>"));
    let r = api(&sim, "sendChatMessage", "").await;
    assert!(r
        .body
        .contains("<messageKey>unsupportedRequest</messageKey>"));
    let r = request(sim.addr(), "HEAD", &signed("getMeetings", "")).await;
    assert_eq!(r.status, 200);
}
