//! Store suite: meetings (§4.2), voice bridges (§6.3) and the meeting TTL.

use super::*;
use scalelite::store::voice_bridge::MAX_TRIES;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// §4.2: atomic create-or-find returns the existing record untouched; delete forgets it.
pub async fn meetings_create_or_find(store: DynStore) {
    assert!(store.meeting("m").await.unwrap().is_none());
    assert!(store.meetings().await.unwrap().is_empty());
    let new = NewMeeting {
        tenant_id: Some(String::new()),
        ..new_meeting("m", "s1", None)
    };
    let (m, created) = store.create_or_find_meeting(new, &POLICY).await.unwrap();
    assert!(created);
    let first_candidate = POLICY.candidates("m", None).into_iter().flatten().next();
    assert_eq!(
        (
            m.id.as_str(),
            m.server_id.as_str(),
            m.moderator_pw.as_str(),
            m.tenant_id.as_deref()
        ),
        ("m", "s1", "m-pw", None)
    );
    assert_eq!(
        Some(&m.voice_bridge),
        first_candidate.as_ref(),
        "candidates are tried in order"
    );

    let other = NewMeeting {
        moderator_pw: "other".into(),
        ..new_meeting("m", "s2", Some("71234"))
    };
    let (again, created) = store
        .create_or_find_meeting(other, &EXTERNAL)
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again, m, "create-or-find changed the existing meeting");
    assert_eq!(store.meeting("m").await.unwrap(), Some(m.clone()));
    assert_eq!(store.meetings().await.unwrap(), vec![m.clone()]);

    store.delete_meeting("m").await.unwrap();
    assert!(store.meeting("m").await.unwrap().is_none());
    assert!(store.meetings().await.unwrap().is_empty());
    store.delete_meeting("m").await.unwrap(); // forgetting an unknown meeting is not an error
    let (m2, created) = store
        .create_or_find_meeting(new_meeting("m", "s2", None), &POLICY)
        .await
        .unwrap();
    assert!(created);
    assert_eq!(
        (m2.server_id.as_str(), m2.voice_bridge.as_str()),
        ("s2", m.voice_bridge.as_str())
    );
}

/// §6.3: voice bridges are unique across meetings, the client's is tried first when allowed,
/// and a deleted meeting's number is free again.
pub async fn voice_bridges_unique_and_released(store: DynStore) {
    let a = place(&store, "a", Some("71234"), &EXTERNAL).await;
    assert_eq!(
        a.voice_bridge, "71234",
        "external voice bridge not honoured (no format check)"
    );
    let b = place(&store, "b", Some("71234"), &EXTERNAL).await;
    assert_eq!(
        Some(b.voice_bridge),
        EXTERNAL.candidates("b", Some("71234"))[1].clone(),
        "taken: next candidate"
    );
    let c = place(&store, "c", Some("71234"), &POLICY).await;
    assert_eq!(
        Some(c.voice_bridge),
        POLICY.candidates("c", None)[0].clone(),
        "external used although not allowed"
    );
    let d = place(&store, "d", Some("  "), &EXTERNAL).await;
    assert_eq!(
        Some(d.voice_bridge),
        EXTERNAL.candidates("d", None)[0].clone(),
        "a blank bridge is not a bridge"
    );

    let mut seen = HashSet::new();
    for i in 0..40 {
        let m = place(&store, &format!("many-{i}"), None, &POLICY).await;
        assert!(
            seen.insert(m.voice_bridge.clone()),
            "voice bridge {} handed out twice",
            m.voice_bridge
        );
        assert_ne!(m.voice_bridge, "71234");
    }
    store.delete_meeting("a").await.unwrap();
    assert_eq!(
        place(&store, "e", Some("71234"), &EXTERNAL)
            .await
            .voice_bridge,
        "71234",
        "not released"
    );
}

/// §6.3: ten taken candidates → VoiceBridgeExhausted, and nothing is stored.
pub async fn voice_bridge_exhaustion(store: DynStore) {
    let policy = BridgePolicy {
        len: 5,
        use_external: false,
    };
    let candidates = policy.candidates("victim", None);
    assert_eq!(candidates.len(), MAX_TRIES);
    let mut held = Vec::new();
    for n in candidates.iter().flatten() {
        if !held.contains(n) {
            let m = place(
                &store,
                &format!("holder-{}", held.len()),
                Some(n),
                &EXTERNAL,
            )
            .await;
            assert_eq!(&m.voice_bridge, n);
            held.push(n.clone());
        }
    }
    let err = store
        .create_or_find_meeting(new_meeting("victim", "s1", None), &policy)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::VoiceBridgeExhausted(ref id) if id == "victim"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "Failed to allocate conference number for meeting victim after 10 tries"
    );
    assert!(store.meeting("victim").await.unwrap().is_none());

    store.delete_meeting("holder-0").await.unwrap();
    let m = place(&store, "victim", None, &policy).await;
    assert_eq!(m.voice_bridge, held[0]);
}

/// Meeting records expire after the TTL. The store must be opened with a TTL of 1 second.
pub async fn meeting_expiry(store: DynStore) {
    let m = place(&store, "m", None, &POLICY).await;
    let start = Instant::now();
    while store.meeting("m").await.unwrap().is_some() {
        assert!(
            start.elapsed() < Duration::from_millis(2500),
            "meeting still there after its 1 s TTL"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(store.meetings().await.unwrap().is_empty());
    let n = place(&store, "n", Some(&m.voice_bridge), &EXTERNAL).await;
    assert_eq!(
        n.voice_bridge, m.voice_bridge,
        "the expired meeting still holds its voice bridge"
    );
    assert!(
        store
            .create_or_find_meeting(new_meeting("m", "s1", None), &POLICY)
            .await
            .unwrap()
            .1
    );
}

/// touch_meetings keeps records alive past their TTL. The store must be opened with a TTL of
/// 2 seconds (so a check right after a touch is never in the second the record expires).
pub async fn touch_extends_ttl(store: DynStore) {
    place(&store, "kept", None, &POLICY).await;
    place(&store, "lost", None, &POLICY).await;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(3200) {
        store
            .touch_meetings(&["kept".to_string(), "unknown".to_string()])
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    store.touch_meetings(&["kept".to_string()]).await.unwrap();
    assert!(
        store.meeting("kept").await.unwrap().is_some(),
        "a touched meeting expired"
    );
    assert!(
        store.meeting("lost").await.unwrap().is_none(),
        "an untouched meeting outlived its TTL"
    );
    assert!(
        store.meeting("unknown").await.unwrap().is_none(),
        "touch created a meeting"
    );
}
