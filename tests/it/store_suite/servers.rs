//! Store suite: server store semantics (behaviour doc §12.6 and the save rules of §4.1).

use super::*;
use std::collections::HashSet;

/// §12.6 1–6 (find), 27–29 (all), 38–43 (create).
pub async fn servers_find_and_add(store: DynStore) {
    assert!(store.server("non-existent-id").await.unwrap().is_none()); // 1
    assert!(store.servers().await.unwrap().is_empty());

    let s = add(&store, legacy("test-1", false, None)).await;
    assert_eq!(s, get(&store, "test-1").await);
    assert_eq!(
        (s.state, s.enabled, s.load, s.online),
        (None, false, None, false)
    ); // 2
    assert_eq!(s.url, "https://test-1.example.com/bigbluebutton/api/");
    assert_eq!(s.effective_state(), ServerState::Disabled);

    let s = add(
        &store,
        Server {
            online: true,
            ..legacy("test-2", true, Some(2.0))
        },
    )
    .await; // 3
    let found = get(&store, "test-2").await;
    assert_eq!(found, s);
    assert_eq!(
        (found.state, found.enabled, found.load, found.online),
        (None, true, Some(2.0), true)
    );
    assert_eq!(found.secret, "test-2-secret");
    assert!(found.is_available());

    let s = add(
        &store,
        with_state("test-3", ServerState::Enabled, Some(2.0)),
    )
    .await; // 4, 40–41
    assert_eq!((s.state, s.load), (Some(ServerState::Enabled), Some(2.0)));
    assert!(get(&store, "test-3").await.is_available());
    add(&store, with_state("test-4", ServerState::Enabled, None)).await; // 38–39
    assert!(
        !get(&store, "test-4").await.is_available(),
        "enabled without a load is not available"
    );

    // A disabled server never keeps a load: by state (6) or as a legacy server not enabled (5).
    add(
        &store,
        with_state("test-5", ServerState::Disabled, Some(7.0)),
    )
    .await;
    add(&store, legacy("test-6", false, Some(7.0))).await;
    for id in ["test-5", "test-6"] {
        let s = get(&store, id).await;
        assert_eq!(
            (s.load, s.effective_state()),
            (None, ServerState::Disabled),
            "{id}"
        );
    }

    let dup = store.add_server(legacy("test-1", true, Some(9.0))).await; // 43
    assert!(
        matches!(dup, Err(StoreError::ServerExists(ref id)) if id == "test-1"),
        "{dup:?}"
    );
    assert!(
        !get(&store, "test-1").await.enabled,
        "a refused add changed the server"
    );

    let ids: HashSet<String> = server_ids(&store).await.into_iter().collect(); // 27–28
    assert_eq!(ids.len(), 6);
    assert!((1..=6).all(|i| ids.contains(&format!("test-{i}"))));
}

/// §12.6 25–26, 45–58, 64–66 (counters as stored fields); an unknown id fails.
pub async fn servers_update(store: DynStore) {
    add(&store, with_state("s", ServerState::Enabled, None)).await;
    let change = ServerChange {
        url: Some("https://new.example.com/bigbluebutton/api/".into()),
        ..Default::default()
    };
    let s = update(&store, "s", change).await; // 45
    assert_eq!(
        (s.url.as_str(), s.secret.as_str()),
        ("https://new.example.com/bigbluebutton/api/", "s-secret")
    );
    let s = update(
        &store,
        "s",
        ServerChange {
            secret: Some("s-2".into()),
            ..Default::default()
        },
    )
    .await; // 46
    assert_eq!(
        (s.url.as_str(), s.secret.as_str()),
        ("https://new.example.com/bigbluebutton/api/", "s-2")
    );
    assert_eq!(get(&store, "s").await, s);

    let tag = |t: Option<&str>| ServerChange {
        tag: Some(t.map(String::from)),
        ..Default::default()
    };
    assert_eq!(
        update(&store, "s", tag(Some("blue"))).await.tag.as_deref(),
        Some("blue")
    );
    assert_eq!(
        update(&store, "s", ServerChange::default())
            .await
            .tag
            .as_deref(),
        Some("blue")
    );
    assert_eq!(update(&store, "s", tag(Some(""))).await.tag, None);
    update(&store, "s", tag(Some("blue"))).await;
    assert_eq!(update(&store, "s", tag(None)).await.tag, None);

    assert_eq!(update(&store, "s", load(Some(1.0))).await.load, Some(1.0)); // 47
    assert!(get(&store, "s").await.is_available());
    assert_eq!(update(&store, "s", load(None)).await.load, None); // 48
    assert!(!get(&store, "s").await.is_available());
    update(&store, "s", load(Some(1.0))).await;
    assert_eq!(update(&store, "s", load(Some(2.0))).await.load, Some(2.0)); // 49
    assert!(update(&store, "s", online()).await.online); // 51
    let counters = ServerChange {
        counters: Some((1, 0)),
        ..Default::default()
    };
    let s = update(&store, "s", counters).await;
    assert_eq!((s.healthy_counter, s.unhealthy_counter), (1, 0));
    assert_eq!(get(&store, "s").await.healthy_counter, 1);

    let s = update(&store, "s", state(ServerState::Disabled)).await; // 52–54, 25
    assert_eq!(
        (s.state, s.enabled, s.load),
        (Some(ServerState::Disabled), false, None)
    );
    assert!(!get(&store, "s").await.is_available());
    assert_eq!(update(&store, "s", load(Some(2.0))).await.load, None); // 50
    assert_eq!(get(&store, "s").await.load, None);

    add(&store, legacy("old", true, Some(5.0))).await; // 26
    let s = update(&store, "old", state(ServerState::Disabled)).await;
    assert_eq!((s.load, s.enabled), (None, false));

    add(&store, legacy("legacy", false, None)).await; // 55–58
    let change = ServerChange {
        state: Some(ServerState::Enabled),
        load: Some(Some(2.0)),
        ..Default::default()
    };
    let s = update(&store, "legacy", change).await;
    assert_eq!(
        (s.state, s.enabled, s.load),
        (Some(ServerState::Enabled), true, Some(2.0))
    );
    assert!(get(&store, "legacy").await.is_available());

    let missing = store.update_server("nope", online()).await;
    assert!(
        matches!(missing, Err(StoreError::ServerNotFound(ref id)) if id == "nope"),
        "{missing:?}"
    );
    assert!(
        store.server("nope").await.unwrap().is_none(),
        "an update created a server"
    );
}

/// §4.1 save rules and §5.3: cordon and enable carry a known load; disable drops it and a
/// re-enabled server waits for the poller (§12.6 11–12, 30–31).
pub async fn servers_state_changes_carry_load(store: DynStore) {
    add(&store, with_state("s", ServerState::Enabled, Some(3.0))).await;
    let s = update(&store, "s", state(ServerState::Cordoned)).await;
    assert_eq!((s.state, s.load), (Some(ServerState::Cordoned), Some(3.0)));
    assert!(
        !get(&store, "s").await.is_available(),
        "a cordoned server takes new meetings"
    );
    assert!(!s.enabled);
    let s = update(&store, "s", state(ServerState::Enabled)).await;
    assert_eq!(
        (s.state, s.enabled, s.load),
        (Some(ServerState::Enabled), true, Some(3.0))
    );
    assert!(get(&store, "s").await.is_available());

    update(&store, "s", state(ServerState::Cordoned)).await;
    assert_eq!(
        update(&store, "s", state(ServerState::Disabled)).await.load,
        None
    );
    let s = update(&store, "s", state(ServerState::Enabled)).await;
    assert_eq!(s.load, None);
    assert!(
        !get(&store, "s").await.is_available(),
        "available before the poller saw it"
    );

    add(&store, legacy("legacy", true, Some(4.0))).await;
    let s = update(&store, "legacy", state(ServerState::Cordoned)).await;
    assert_eq!((s.state, s.load), (Some(ServerState::Cordoned), Some(4.0)));
}

/// §12.6 34–37 and §5.4: only servers available for new meetings change their load.
pub async fn increment_load_only_on_available_servers(store: DynStore) {
    add(&store, with_state("unpolled", ServerState::Enabled, None)).await;
    assert_eq!(store.increment_load("unpolled", 2.0).await.unwrap(), None); // 34–35
    assert_eq!(get(&store, "unpolled").await.load, None);

    add(&store, with_state("live", ServerState::Enabled, Some(2.0))).await;
    assert_eq!(store.increment_load("live", 2.0).await.unwrap(), Some(4.0)); // 36–37
    assert_eq!(get(&store, "live").await.load, Some(4.0));
    assert_eq!(store.increment_load("live", -1.5).await.unwrap(), Some(2.5));
    assert_eq!(get(&store, "live").await.load, Some(2.5));

    add(&store, legacy("legacy", true, Some(1.0))).await;
    assert_eq!(
        store.increment_load("legacy", 1.0).await.unwrap(),
        Some(2.0)
    );

    add(
        &store,
        with_state("cordoned", ServerState::Cordoned, Some(2.0)),
    )
    .await;
    assert_eq!(store.increment_load("cordoned", 1.0).await.unwrap(), None);
    assert_eq!(get(&store, "cordoned").await.load, Some(2.0));
    add(&store, with_state("disabled", ServerState::Disabled, None)).await;
    assert_eq!(store.increment_load("disabled", 1.0).await.unwrap(), None);
    assert_eq!(get(&store, "disabled").await.load, None);
    assert_eq!(store.increment_load("unknown", 1.0).await.unwrap(), None);
    assert!(store.server("unknown").await.unwrap().is_none());
}

/// §12.6 59–61, 63 and §4.1: delete removes the server everywhere; its meetings are left.
pub async fn servers_delete(store: DynStore) {
    add(
        &store,
        with_state("active", ServerState::Enabled, Some(1.0)),
    )
    .await;
    add(
        &store,
        with_state("unavailable", ServerState::Enabled, None),
    )
    .await;
    add(&store, legacy("disabled", false, None)).await;
    add(&store, legacy("kept", false, None)).await;
    let m = place(&store, "m", None, &POLICY).await;
    assert_eq!(m.server_id, "s1");
    store
        .create_or_find_meeting(new_meeting("on-active", "active", None), &POLICY)
        .await
        .unwrap();
    for id in ["active", "unavailable", "disabled"] {
        store.delete_server(id).await.unwrap();
        assert!(store.server(id).await.unwrap().is_none(), "{id}");
        assert_eq!(store.increment_load(id, 1.0).await.unwrap(), None, "{id}");
    }
    assert_eq!(server_ids(&store).await, ["kept"]);
    let again = store.delete_server("active").await;
    assert!(
        matches!(again, Err(StoreError::ServerNotFound(ref id)) if id == "active"),
        "{again:?}"
    );
    assert!(matches!(
        store.delete_server("never").await,
        Err(StoreError::ServerNotFound(_))
    ));
    let left = store
        .meeting("on-active")
        .await
        .unwrap()
        .expect("meeting of a deleted server");
    assert_eq!(left.server_id, "active");
}
