//! Smoke test: one meeting created, joined, looked up and ended through the real binary.
use crate::common::*;

on_both_stores!(create_join_end_through_the_real_binary);
async fn create_join_end_through_the_real_binary(store: Store) {
    let sim = BbbSimulator::start("sim-secret").await.unwrap();
    // Polled only when the server is enabled: a later poll (load from the simulator, where
    // nobody joined) could land between the join and the load check below.
    let gw = Gateway::start_on(&store, &[("POLL_INTERVAL", "3600")]).await;
    let id = gw.add_server(&sim).await;
    gw.create_ok("meetingID=m1&name=Test").await;
    assert!(sim.meeting("m1").is_some());
    gw.assert_joins_on("m1", &sim).await;
    gw.get("getMeetingInfo", "meetingID=m1")
        .await
        .assert_success()
        .assert_xml("meetingID", "m1");
    let info = gw.server_info(&id).await;
    assert!(info["load"].as_f64().unwrap() >= 2.0, "{info}");
    gw.get("end", "meetingID=m1")
        .await
        .assert_key("sentEndMeetingRequest");
    assert!(sim.meeting("m1").is_none());
    gw.get("getMeetingInfo", "meetingID=m1")
        .await
        .assert_failed("notFound", None);
}
