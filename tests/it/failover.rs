//! Failover and the poller, black-box through the real binary: health hysteresis (offline after
//! SERVER_UNHEALTHY_THRESHOLD failed polls, online again after SERVER_HEALTHY_THRESHOLD good ones),
//! FAILED and garbage answers counting as failures, the load formula, the live meeting list
//! (ended meetings forgotten, unknown running ones adopted), placement over live loads (also
//! while a server hangs) and bbb_version from the index call.
use crate::common::*;
use serde_json::json;

async fn join_not_found(gw: &Gateway, meeting: &str) -> bool {
    gw.join(&join_query(meeting)).await.has_key("notFound")
}

async fn wait_load(gw: &Gateway, id: &str, load: f64) {
    gw.wait_server(id, |s| s["load"].as_f64() == Some(load))
        .await;
}

/// Wait until every simulator has received two getMeetings since now: the first of them
/// belongs to a poll cycle that started now and has finished once the second one arrives.
async fn settle(sims: &[&BbbSimulator]) {
    for s in sims {
        s.clear_requests();
    }
    eventually("two fresh polls", || async {
        sims.iter()
            .all(|s| s.requests_for("getMeetings").len() >= 2)
    })
    .await;
}

// §5.5 steps 3 and 6: hysteresis both ways; panic forgets the meetings of an offline server.
// Polls are stepped one at a time (tests/it/common/steps.rs), so their number is exact.
on_both_stores!(a_dead_server_goes_offline_and_comes_back_after_healthy_polls);
async fn a_dead_server_goes_offline_and_comes_back_after_healthy_polls(store: Store) {
    let a = BbbSimulator::start("secret-a").await.unwrap();
    let b = BbbSimulator::start("secret-b").await.unwrap();
    let gw = Gateway::start_stepped_on(
        &store,
        &[
            ("SERVER_UNHEALTHY_THRESHOLD", "2"),
            ("SERVER_HEALTHY_THRESHOLD", "3"),
            ("LOAD_JOIN_BUFFER_TIME", "0"),
        ],
    )
    .await;
    // Each enable polls every server once: A twice, B once, then a third poll for A and a
    // second and third for B.
    let id_a = gw.add_server_stepped(&a, json!({})).await;
    let id_b = gw.add_server_stepped(&b, json!({})).await;
    assert_eq!(gw.online(&id_a).await, "offline", "after 2 good polls");
    gw.poll_step().await;
    assert_eq!(gw.online(&id_a).await, "online", "after 3 good polls");
    assert_eq!(gw.online(&id_b).await, "offline", "after 2 good polls");
    gw.poll_step().await;
    assert_eq!(gw.online(&id_b).await, "online", "after 3 good polls");
    gw.create_ok("meetingID=m1&name=M1").await;
    let (dead, dead_id, alive, alive_id) = if a.meeting("m1").is_some() {
        (a, id_a, b, id_b)
    } else {
        (b, id_b, a, id_a)
    };
    assert!(dead.meeting("m1").is_some());

    dead.stop().await;
    gw.poll_step().await;
    assert_eq!(gw.online(&dead_id).await, "online", "after 1 failed poll");
    gw.assert_joins_on("m1", &dead).await;
    gw.poll_step().await;
    let info = gw.server_info(&dead_id).await;
    assert_eq!(info["online"], "offline", "after 2 failed polls: {info}");
    assert_eq!(info["load"], "unavailable", "{info}");
    assert!(join_not_found(&gw, "m1").await, "m1 not forgotten");
    gw.get("getMeetingInfo", "meetingID=m1")
        .await
        .assert_failed("notFound", None);
    gw.create_ok("meetingID=m2&name=M2").await;
    assert!(
        alive.meeting("m2").is_some(),
        "a new meeting went to the offline server"
    );

    // The surviving server gets busy, so the returning one is the least loaded.
    alive.set_participants("m2", 4, 1);
    // The simulator still holds m1 (the end sent at panic could not reach it): start it empty.
    dead.end_meeting("m1");
    dead.clear_requests();
    dead.restart().await.unwrap();
    for polls in 1..=2 {
        gw.poll_step().await;
        assert_eq!(
            gw.online(&dead_id).await,
            "offline",
            "online again after {polls} good polls; SERVER_HEALTHY_THRESHOLD is 3"
        );
    }
    gw.poll_step().await;
    let info = gw.server_info(&dead_id).await;
    assert_eq!(info["online"], "online", "after 3 good polls: {info}");
    assert_eq!(info["load"].as_f64(), Some(0.0), "{info}");
    assert_eq!(dead.requests_for("getMeetings").len(), 3);
    assert_eq!(gw.server_info(&alive_id).await["load"].as_f64(), Some(4.0));
    gw.create_ok("meetingID=m3&name=M3").await;
    assert!(
        dead.meeting("m3").is_some(),
        "the least loaded server is the one that came back"
    );
    gw.assert_joins_on("m3", &dead).await;
}

// §5.5 step 6: "any exception incl. BBB FAILED, timeout, parse error" is a failed poll.
on_both_stores!(failed_or_garbage_answers_count_as_failed_polls);
async fn failed_or_garbage_answers_count_as_failed_polls(store: Store) {
    let fail = BbbSimulator::start("secret-f").await.unwrap();
    let garbage = BbbSimulator::start("secret-g").await.unwrap();
    let ok = BbbSimulator::start("secret-ok").await.unwrap();
    let gw = Gateway::start_stepped_on(&store, &[("SERVER_UNHEALTHY_THRESHOLD", "3")]).await;
    let id_f = gw.add_server_stepped(&fail, json!({ "tag": "f" })).await;
    let id_g = gw.add_server_stepped(&garbage, json!({ "tag": "g" })).await;
    let id_ok = gw.add_server_stepped(&ok, json!({})).await;
    for id in [&id_f, &id_g, &id_ok] {
        assert_eq!(gw.online(id).await, "online");
    }
    gw.create_ok("meetingID=on-f&name=F&meta_server-tag=f!")
        .await;
    gw.create_ok("meetingID=on-g&name=G&meta_server-tag=g!")
        .await;
    assert!(fail.meeting("on-f").is_some() && garbage.meeting("on-g").is_some());

    fail.clear_requests();
    fail.set_mode(Mode::Fail);
    garbage.clear_requests();
    garbage.set_mode(Mode::Garbage);
    for polls in 1..=2 {
        gw.poll_step().await;
        for id in [&id_f, &id_g] {
            assert_eq!(
                gw.online(id).await,
                "online",
                "offline after {polls} failed polls; SERVER_UNHEALTHY_THRESHOLD is 3"
            );
        }
    }
    assert!(!join_not_found(&gw, "on-f").await && !join_not_found(&gw, "on-g").await);
    gw.poll_step().await;
    for (id, sim) in [(&id_f, &fail), (&id_g, &garbage)] {
        let info = gw.server_info(id).await;
        assert_eq!(
            (&info["online"], &info["load"]),
            (&json!("offline"), &json!("unavailable")),
            "after 3 failed polls: {info}"
        );
        assert_eq!(sim.requests_for("getMeetings").len(), 3);
    }
    assert!(
        join_not_found(&gw, "on-f").await && join_not_found(&gw, "on-g").await,
        "meetings of failing servers not forgotten"
    );
    assert_eq!(gw.server_info(&id_ok).await["online"], "online");
    // An offline server takes no new meetings, even when its tag is required.
    gw.get("create", "meetingID=n&name=N&meta_server-tag=f!")
        .await
        .assert_failed("serverTagUnavailable", None);

    // SERVER_HEALTHY_THRESHOLD 1: one good poll brings it back.
    fail.set_mode(Mode::Normal);
    gw.poll_step().await;
    let info = gw.server_info(&id_f).await;
    assert!(
        info["online"] == "online" && info["load"].is_number(),
        "{info}"
    );
    assert_eq!(gw.online(&id_g).await, "offline");
}

// §5.5 step 2 with Q9 fixed: participantCount once (Scalelite adds moderatorCount again),
// breakout rooms left out, times the server's load_multiplier.
on_both_stores!(load_is_participants_of_non_breakout_meetings_times_multiplier);
async fn load_is_participants_of_non_breakout_meetings_times_multiplier(store: Store) {
    let sim = BbbSimulator::start("secret").await.unwrap();
    let gw = Gateway::start_on(&store, &[("LOAD_JOIN_BUFFER_TIME", "0")]).await;
    let id = gw
        .add_server_with(&sim, json!({ "load_multiplier": "2" }))
        .await;
    // The breakout room first, so no intermediate state of a wrong formula equals the result.
    let url = sim.signed_url(
        "create",
        "meetingID=br&name=BR&isBreakout=true&parentMeetingID=a",
    );
    assert_eq!(gw.http.get(url).send().await.unwrap().status(), 200);
    sim.set_participants("br", 4, 0);
    sim.add_meeting("a", 5, 2);
    sim.add_meeting("b", 3, 1);
    // Scalelite: (5+2 + 3+1) × 2 = 22; counting the breakout: 24. Ours: (5+3) × 2 = 16.
    wait_load(&gw, &id, 16.0).await;
    sim.set_participants("a", 1, 1);
    wait_load(&gw, &id, 8.0).await;
}

// §5.5 step 2: a meeting younger than LOAD_JOIN_BUFFER_TIME minutes weighs at least
// LOAD_MIN_USER_COUNT, then its real participant count.
on_both_stores!(young_meetings_weigh_at_least_the_minimum_user_count);
async fn young_meetings_weigh_at_least_the_minimum_user_count(store: Store) {
    let sim = BbbSimulator::start("secret").await.unwrap();
    // 0.1 minutes: meetings are young for 6 s.
    let gw = Gateway::start_on(
        &store,
        &[
            ("LOAD_JOIN_BUFFER_TIME", "0.1"),
            ("LOAD_MIN_USER_COUNT", "7"),
        ],
    )
    .await;
    let id = gw.add_server(&sim).await;
    sim.add_meeting("small", 2, 1);
    sim.add_meeting("big", 10, 1);
    wait_load(&gw, &id, 17.0).await; // max(2, 7) + max(10, 7)
    wait_load(&gw, &id, 12.0).await; // grown up: 2 + 10
}

// Design §4: one getMeetings per poll gives the live meeting list.
on_both_stores!(ended_meetings_are_forgotten_and_unknown_running_ones_adopted);
async fn ended_meetings_are_forgotten_and_unknown_running_ones_adopted(store: Store) {
    let a = BbbSimulator::start("secret-a").await.unwrap();
    let b = BbbSimulator::start("secret-b").await.unwrap();
    let gw = Gateway::start_stepped_on(&store, &[]).await;
    gw.add_server_stepped(&a, json!({})).await;
    gw.add_server_stepped(&b, json!({})).await;
    gw.create_ok("meetingID=m1&name=M1").await;
    let host = if a.meeting("m1").is_some() { &a } else { &b };
    gw.assert_joins_on("m1", host).await;

    host.clear_requests();
    host.end_meeting("m1");
    gw.poll_step().await;
    assert!(
        !join_not_found(&gw, "m1").await,
        "forgotten after 1 poll; two successful polls without it are required"
    );
    gw.poll_step().await;
    assert!(
        join_not_found(&gw, "m1").await,
        "kept after 2 polls without it"
    );
    assert_eq!(host.requests_for("getMeetings").len(), 2);
    gw.get("getMeetingInfo", "meetingID=m1")
        .await
        .assert_failed("notFound", None);

    b.add_meeting("rogue", 3, 1);
    assert!(join_not_found(&gw, "rogue").await);
    gw.poll_step().await;
    assert_eq!(
        gw.join(&join_query("rogue")).await.status,
        302,
        "rogue not adopted by the next poll"
    );
    gw.assert_joins_on("rogue", &b).await;
    // The adopted meeting keeps the voice bridge it runs with on BBB.
    let bridge = b.meeting("rogue").unwrap().voice_bridge;
    gw.create_ok("meetingID=rogue&name=Rogue").await;
    let sent = b.requests_for("create");
    assert_eq!(
        sent.last().and_then(|r| r.param("voiceBridge")),
        Some(bridge.as_str())
    );
}

// §5.2 and §5.4: least load first (ties by id), each create adds 1 × multiplier; the poll agrees
// (young meetings weigh LOAD_MIN_USER_COUNT = 1 each), so the prediction holds across polls.
on_both_stores!(creates_follow_the_live_loads);
async fn creates_follow_the_live_loads(store: Store) {
    let a = BbbSimulator::start("secret-a").await.unwrap();
    let b = BbbSimulator::start("secret-b").await.unwrap();
    let gw = Gateway::start_on(
        &store,
        &[
            ("LOAD_JOIN_BUFFER_TIME", "60"),
            ("LOAD_MIN_USER_COUNT", "1"),
        ],
    )
    .await;
    let id_a = gw.add_server(&a).await;
    let id_b = gw
        .add_server_with(&b, json!({ "load_multiplier": "3" }))
        .await;
    let mut model = [(id_a.clone(), 0.0, 1.0, &a), (id_b.clone(), 0.0, 3.0, &b)];
    let mut placed = [0, 0];
    for i in 0..5 {
        let pick = if (model[0].1, &model[0].0) <= (model[1].1, &model[1].0) {
            0
        } else {
            1
        };
        gw.create_ok(&format!("meetingID=m{i}&name=M")).await;
        assert!(
            model[pick].3.meeting(&format!("m{i}")).is_some(),
            "m{i} not on the least loaded server"
        );
        model[pick].1 += model[pick].2;
        placed[pick] += 1;
        settle(&[&a, &b]).await;
        for (id, load, _, _) in &model {
            assert_eq!(
                gw.server_info(id).await["load"].as_f64(),
                Some(*load),
                "server {id} after m{i}"
            );
        }
    }
    assert!(placed[0] >= 3 && placed[1] >= 1, "{placed:?}");
}

// Q8 fixed: a create that times out on the least loaded server is rolled back and placed on the
// next one; Scalelite would answer internalError and keep the mapping.
on_both_stores!(a_create_on_a_hanging_server_falls_over_to_the_next);
async fn a_create_on_a_hanging_server_falls_over_to_the_next(store: Store) {
    let hung = BbbSimulator::start("secret-h").await.unwrap();
    let busy = BbbSimulator::start("secret-b").await.unwrap();
    let gw = Gateway::start_on(
        &store,
        &[
            ("LOAD_JOIN_BUFFER_TIME", "0"),
            ("SERVER_UNHEALTHY_THRESHOLD", "10"),
        ],
    )
    .await;
    let id_hung = gw.add_server(&hung).await;
    let id_busy = gw.add_server(&busy).await;
    busy.add_meeting("existing", 5, 1);
    wait_load(&gw, &id_busy, 5.0).await;

    hung.clear_requests();
    hung.set_mode(Mode::Hang);
    gw.create_ok("meetingID=m&name=M").await;
    assert!(
        hung.requests_for("create")
            .iter()
            .any(|r| r.param("meetingID") == Some("m")),
        "the least loaded server was not tried first"
    );
    assert!(busy.meeting("m").is_some());
    gw.assert_joins_on("m", &busy).await;
    let info = gw.server_info(&id_hung).await;
    assert_eq!(
        info["load"].as_f64(),
        Some(0.0),
        "load increment not rolled back: {info}"
    );
}

// §5.5 poll:versions: bbbVersion of the index call, refreshed periodically.
on_both_stores!(bbb_version_comes_from_the_index_call);
async fn bbb_version_comes_from_the_index_call(store: Store) {
    let sim = BbbSimulator::start("secret").await.unwrap();
    let gw = Gateway::start_on(&store, &[]).await;
    let id = gw.add_server(&sim).await;
    gw.wait_server(&id, |s| s["bbb_version"] == "3.0.0").await;
    sim.set_version("2.7.3");
    gw.wait_server(&id, |s| s["bbb_version"] == "2.7.3").await;
}
