mod common;
use common::*;

#[tokio::test]
async fn create_join_end_through_the_real_binary() {
    let sim = BbbSimulator::start("sim-secret").await.unwrap();
    let gw = Gateway::start(&[]).await;
    let id = gw.add_server(&sim).await;
    let r = gw.get("create", "meetingID=m1&name=Test").await;
    assert_eq!(r.returncode(), "SUCCESS", "{}", r.body);
    assert!(sim.meeting("m1").is_some());
    let r = gw
        .get("join", "meetingID=m1&fullName=Jane&role=MODERATOR")
        .await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert!(
        r.location().starts_with(&format!("{}join?", sim.url())),
        "{}",
        r.location()
    );
    let r = gw.get("getMeetingInfo", "meetingID=m1").await;
    assert_eq!(r.returncode(), "SUCCESS", "{}", r.body);
    assert_eq!(r.xml("meetingID").as_deref(), Some("m1"));
    let info = gw.server_info(&id).await;
    assert!(info["load"].as_f64().unwrap() >= 2.0, "{info}");
    let r = gw.get("end", "meetingID=m1").await;
    assert_eq!(
        r.xml("messageKey").as_deref(),
        Some("sentEndMeetingRequest"),
        "{}",
        r.body
    );
    assert!(sim.meeting("m1").is_none());
    gw.get("getMeetingInfo", "meetingID=m1")
        .await
        .assert_failed("notFound", None);
}
