//! Scalelite's `find_available` examples (server_spec 7–24) against our ranking.

use super::*;

fn c(id: &str, tag: Option<&str>, load: f64) -> Candidate {
    Candidate {
        id: id.into(),
        tag: tag.map(String::from),
        load,
    }
}

fn first(cands: &[Candidate], spec: &str) -> Result<String, PlacementError> {
    rank(cands, &TagSpec::parse(spec)).map(|v| cands[v[0]].id.clone())
}

#[test]
fn empty_pool_has_no_servers() {
    assert_eq!(first(&[], ""), Err(PlacementError::NoServers));
    assert_eq!(first(&[], "test-tag"), Err(PlacementError::NoServers));
    assert_eq!(first(&[], "test-tag!"), Err(PlacementError::NoServers));
}

#[test]
fn lowest_load_wins_ties_by_id() {
    let cs = [c("test-2", None, 2.0), c("test-1", None, 1.0)];
    assert_eq!(first(&cs, "").unwrap(), "test-1");
    let tie = [c("b", None, 1.0), c("a", None, 1.0)];
    assert_eq!(first(&tie, "").unwrap(), "a");
}

#[test]
fn untagged_requests_never_use_tagged_servers() {
    let cs = [
        c("test-1", Some("test-tag"), 1.0),
        c("test-2", None, 3.0),
        c("test-3", None, 2.0),
    ];
    for spec in ["", "!", "none", "none!"] {
        assert_eq!(first(&cs, spec).unwrap(), "test-3", "spec {spec:?}");
    }
}

#[test]
fn tags_select_and_fall_back() {
    let cs = [
        c("test-1", None, 1.0),
        c("test-2", Some("test-tag"), 3.0),
        c("test-3", Some("test-tag"), 2.0),
        c("test-4", Some("wrong-tag"), 1.0),
        c("test-5", Some("test-tag2"), 1.0),
    ];
    assert_eq!(first(&cs, "test-tag").unwrap(), "test-3");
    assert_eq!(first(&cs, "test-tag!").unwrap(), "test-3");
    assert_eq!(first(&cs, "test-tag;test-tag2").unwrap(), "test-5");
    assert_eq!(first(&cs, "test-tag;test-tag2!").unwrap(), "test-5");

    let miss = [
        c("test-1", None, 3.0),
        c("test-2", Some("wrong-tag"), 1.0),
        c("test-3", None, 2.0),
    ];
    assert_eq!(first(&miss, "test-tag").unwrap(), "test-3");
    assert_eq!(
        first(&miss, "test-tag!"),
        Err(PlacementError::TagUnavailable("test-tag".into()))
    );
    let only_tagged = [c("x", Some("a"), 0.0)];
    assert_eq!(first(&only_tagged, "b"), Err(PlacementError::NoServers));
    assert_eq!(first(&only_tagged, "a;b!").unwrap(), "x");
}

#[tokio::test]
async fn selector_orders_the_pool() {
    use crate::store::{Server, ServerState};
    let mk = |id: &str, load: Option<f64>, tag: Option<&str>, state| {
        let mut s = Server::new(id.into(), format!("http://{id}/"), "s".into());
        s.state = Some(state);
        s.load = load;
        s.tag = tag.map(String::from);
        s
    };
    let servers = vec![
        mk("a", Some(5.0), None, ServerState::Enabled),
        mk("b", Some(1.0), None, ServerState::Enabled),
        mk("c", None, None, ServerState::Enabled),
        mk("d", Some(0.0), None, ServerState::Cordoned),
        mk("e", Some(0.0), Some("t"), ServerState::Enabled),
    ];
    let p = Placement::new();
    assert_eq!(
        p.order(&servers, &TagSpec::parse("")).await.unwrap(),
        vec!["b", "a"]
    );
    assert_eq!(
        p.order(&servers, &TagSpec::parse("t!")).await.unwrap(),
        vec!["e"]
    );
    let mut changed = servers.clone();
    changed[0].load = Some(0.5);
    assert_eq!(
        p.order(&changed, &TagSpec::parse("")).await.unwrap(),
        vec!["a", "b"]
    );
}

/// The selector (what create uses) gives the same first server and the same errors as the
/// examples above, which `rank` answers directly.
#[tokio::test]
async fn selector_agrees_with_the_examples() {
    use crate::store::{Server, ServerState};
    let pools: Vec<Vec<Candidate>> = vec![
        vec![],
        vec![c("test-2", None, 2.0), c("test-1", None, 1.0)],
        vec![
            c("test-1", Some("test-tag"), 1.0),
            c("test-2", None, 3.0),
            c("test-3", None, 2.0),
        ],
        vec![
            c("test-1", None, 1.0),
            c("test-2", Some("test-tag"), 3.0),
            c("test-3", Some("test-tag"), 2.0),
            c("test-4", Some("wrong-tag"), 1.0),
        ],
        vec![
            c("test-1", Some("wrong-tag"), 1.0),
            c("test-2", Some("wrong-tag"), 1.0),
            c("test-3", None, 2.0),
        ],
        vec![c("x", Some("a"), 0.0)],
    ];
    let specs = [
        "",
        "!",
        "none",
        "none!",
        "test-tag",
        "test-tag!",
        "a",
        "a;b!",
        "b",
        "b!",
    ];
    let placement = Placement::new();
    for pool in &pools {
        let servers: Vec<Server> = pool
            .iter()
            .map(|cand| {
                let mut s =
                    Server::new(cand.id.clone(), format!("http://{}/", cand.id), "s".into());
                s.state = Some(ServerState::Enabled);
                s.online = true;
                s.load = Some(cand.load);
                s.tag = cand.tag.clone();
                s
            })
            .collect();
        for spec in specs {
            let expected = first(pool, spec);
            let got = placement
                .order(&servers, &TagSpec::parse(spec))
                .await
                .map(|order| order[0].clone());
            assert_eq!(got, expected, "pool {pool:?}, spec {spec:?}");
        }
    }
}
