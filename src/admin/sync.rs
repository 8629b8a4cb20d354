//! `syncServers` (admin API, used by `scalelite servers sync`): bring the server list in line
//! with a declared one, as Scalelite's `rake servers:sync` does. Validation runs over the whole
//! list before any change, with Scalelite's messages; `validate` is shared with the CLI, which
//! checks a file before it contacts the instance.
//!
//! Differences from Scalelite: `load_multiplier` is compared as a number (Scalelite compares a
//! string from the file with a decimal and "updates" it on every run); a dry run in `force`
//! mode does not fail with "Server still not empty!" (Scalelite checks for leftover meetings
//! it did not delete); `tag` is synced too (newer Scalelite).

use super::cli_api::end_on_bbb;
use super::{error, json_string, AdminCall};
use crate::state::State;
use crate::store::{format_decimal, Server, ServerChange, ServerState, StoreError};
use crate::web::Reply;
use serde_json::{json, Map, Value};

pub(crate) const MODES: [&str; 3] = ["keep", "cordon", "force"];
const PARAMS: [&str; 5] = ["url", "secret", "enabled", "load_multiplier", "tag"];
const IGNORED: [&str; 4] = ["load", "state", "bbb_version", "online"];

/// One server as declared, defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spec {
    pub id: String,
    pub url: String,
    pub secret: String,
    pub enabled: bool,
    pub load_multiplier: f64,
    pub tag: Option<String>,
}

/// Ruby's `String#to_d`: the leading decimal number of `s` (0 when there is none).
pub(crate) fn ruby_decimal(s: &str) -> f64 {
    let t = s.trim_start();
    let b = t.as_bytes();
    let mut end = 0;
    if end < b.len() && (b[end] == b'+' || b[end] == b'-') {
        end += 1;
    }
    let digits = |mut i: usize| {
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
        i
    };
    let int_end = digits(end);
    let mut stop = int_end;
    if stop < b.len() && b[stop] == b'.' && digits(stop + 1) > stop + 1 {
        stop = digits(stop + 1);
    }
    if stop > end && stop < b.len() && (b[stop] == b'e' || b[stop] == b'E') {
        let mut e = stop + 1;
        if e < b.len() && (b[e] == b'+' || b[e] == b'-') {
            e += 1;
        }
        if digits(e) > e {
            stop = digits(e);
        }
    }
    t[..stop].replace('_', "").parse().unwrap_or(0.0)
}

/// Why a sync stopped: the file is not what a sync takes (Scalelite's messages), or the store
/// failed part-way (the log says what was done before).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SyncError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Check a `servers` map (id → params) and a mode; the first problem is the error.
pub(crate) fn validate(servers: &Value, mode: &str) -> Result<Vec<Spec>, SyncError> {
    let Value::Object(servers) = servers else {
        return Err(SyncError::Invalid("Servers parameter not a hash".into()));
    };
    if !MODES.contains(&mode) {
        return Err(SyncError::Invalid(format!(
            "Unknown sync mode '{mode}' (choose: {})",
            MODES.join(" ")
        )));
    }
    servers.iter().map(|(id, p)| spec(id, p)).collect()
}

fn spec(id: &str, params: &Value) -> Result<Spec, SyncError> {
    let empty = Map::new();
    let params = params.as_object().unwrap_or(&empty);
    let given = |k: &str| params.get(k).filter(|v| !v.is_null());
    let valid_id = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !valid_id {
        return Err(SyncError::Invalid(format!(
            "Server id={id} contains invalid characters"
        )));
    }
    let secret = given("secret")
        .and_then(json_string)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| SyncError::Invalid(format!("Server id={id} has no secret")))?;
    let bad: Vec<String> = params
        .keys()
        .filter(|k| !PARAMS.contains(&k.as_str()) && !IGNORED.contains(&k.as_str()))
        .map(|k| format!("{k:?}"))
        .collect();
    if !bad.is_empty() {
        return Err(SyncError::Invalid(format!(
            "Server id={id} has bad parameters: [{}]",
            bad.join(", ")
        )));
    }
    let load_multiplier = match given("load_multiplier") {
        None => 1.0,
        Some(v) => {
            let raw = json_string(v).unwrap_or_else(|| v.to_string());
            let m = json_string(v).map(|s| ruby_decimal(&s)).unwrap_or(0.0);
            if !(m > 0.0 && m.is_finite()) {
                return Err(SyncError::Invalid(format!(
                    "Server id={id} has invalid load_multiplier={raw}"
                )));
            }
            m
        }
    };
    let url = match given("url") {
        None => format!("https://{id}/bigbluebutton/api"),
        Some(v) => {
            let raw = json_string(v).unwrap_or_else(|| v.to_string());
            let ok = url::Url::parse(&raw).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some_and(|h| !h.is_empty())
            });
            if !ok {
                return Err(SyncError::Invalid(format!(
                    "Server id={id} has invalid url={raw}"
                )));
            }
            raw
        }
    };
    Ok(Spec {
        id: id.to_string(),
        url,
        secret,
        // Scalelite: `nil` means true, anything else is Ruby-truthy (only `false` is false).
        enabled: !matches!(given("enabled"), Some(Value::Bool(false))),
        load_multiplier,
        tag: given("tag")
            .and_then(json_string)
            .filter(|t| !t.trim().is_empty()),
    })
}

/// POST syncServers `{"servers": {id: params}, "mode": "cordon", "dry_run": false}` →
/// `{"log": [...]}`; a failure is 400 `{"error", "log"}` (the log of what was done before).
pub(crate) async fn sync_servers(state: &State, call: &AdminCall) -> Result<Reply, Reply> {
    let mode = call.value("mode").unwrap_or_else(|| "cordon".into());
    let dry_run = match call.body.as_ref().and_then(|b| b.get("dry_run")) {
        Some(Value::Bool(b)) => *b,
        Some(v) => json_string(v)
            .is_some_and(|s| !["n", "no", "false", ""].contains(&s.to_ascii_lowercase().as_str())),
        None => false,
    };
    let servers = call
        .body
        .as_ref()
        .and_then(|b| b.get("servers"))
        .cloned()
        .unwrap_or(Value::Null);
    let specs = validate(&servers, &mode).map_err(|e| error(400, &e.to_string()))?;
    let mut log = Vec::new();
    let outcome = apply(state, &specs, &mode, dry_run, &mut log).await;
    if !dry_run {
        let _ = state.registry.refresh(state.store.as_ref()).await;
        state.poll_now.notify_one();
    }
    match outcome {
        Ok(()) => Ok(Reply::json(200, &json!({ "log": log, "dry_run": dry_run }))),
        Err(e) => Err(Reply::json(
            400,
            &json!({ "error": e.to_string(), "log": log }),
        )),
    }
}

fn note(log: &mut Vec<String>, id: &str, line: &str) {
    log::info!("servers sync: [{id}] {line}");
    log.push(format!("[{id}] {line}"));
}

async fn apply(
    state: &State,
    specs: &[Spec],
    mode: &str,
    dry: bool,
    log: &mut Vec<String>,
) -> Result<(), SyncError> {
    let store = state.store.as_ref();
    for spec in specs {
        let id = spec.id.as_str();
        let server = match store.server(id).await? {
            Some(s) => s,
            None if dry => {
                note(log, id, "Server created");
                continue;
            }
            None => {
                let mut s = Server::new(id.into(), spec.url.clone(), spec.secret.clone());
                s.load_multiplier = Some(format_decimal(spec.load_multiplier));
                s.tag = spec.tag.clone();
                let s = store.add_server(s).await?;
                note(log, id, "Server created");
                s
            }
        };
        let mut change = ServerChange::default();
        let mut changed = false;
        if server.url != spec.url {
            note(log, id, &format!("Server updated: url={}", spec.url));
            (change.url, changed) = (Some(spec.url.clone()), true);
        }
        if server.secret != spec.secret {
            note(log, id, "Server updated: secret=*****");
            (change.secret, changed) = (Some(spec.secret.clone()), true);
        }
        let current = server.load_multiplier.as_deref().map(ruby_decimal);
        if current != Some(spec.load_multiplier) {
            let m = format_decimal(spec.load_multiplier);
            note(log, id, &format!("Server updated: load_multiplier={m}"));
            (change.load_multiplier, changed) = (Some(m), true);
        }
        if server.tag != spec.tag {
            let t = spec.tag.clone().unwrap_or_default();
            note(log, id, &format!("Server updated: tag={t}"));
            (change.tag, changed) = (Some(spec.tag.clone()), true);
        }
        let enabled = server.effective_state() == ServerState::Enabled;
        if spec.enabled && !enabled {
            note(log, id, "Server enabled");
            (change.state, changed) = (Some(ServerState::Enabled), true);
        } else if !spec.enabled && enabled {
            note(log, id, "Server disabled (cordoned)");
            (change.state, changed) = (Some(ServerState::Cordoned), true);
        }
        if changed && !dry {
            let updated = store.update_server(id, change).await?;
            state.registry.note(&updated);
        }
    }
    let mut others: Vec<Server> = store.servers().await?;
    others.retain(|s| !specs.iter().any(|spec| spec.id == s.id));
    others.sort_by(|a, b| a.id.cmp(&b.id));
    for server in others {
        remove(state, &server, mode, dry, log).await?;
    }
    Ok(())
}

/// A server not in the list: kept, removed when empty, else cordoned (and emptied in force mode).
async fn remove(
    state: &State,
    server: &Server,
    mode: &str,
    dry: bool,
    log: &mut Vec<String>,
) -> Result<(), SyncError> {
    let store = state.store.as_ref();
    let id = server.id.as_str();
    if mode == "keep" {
        note(log, id, "Server not removed");
        return Ok(());
    }
    let on_server = |all: Vec<crate::store::Meeting>| {
        all.into_iter()
            .filter(|m| m.server_id == server.id)
            .collect::<Vec<_>>()
    };
    let meetings = on_server(store.meetings().await?);
    if meetings.is_empty() {
        if !dry {
            store.delete_server(id).await?;
            state.registry.forget(id);
        }
        note(log, id, "Server removed");
        return Ok(());
    }
    if server.effective_state() == ServerState::Enabled {
        if !dry {
            let change = ServerChange {
                state: Some(ServerState::Cordoned),
                ..Default::default()
            };
            let updated = store.update_server(id, change).await?;
            state.registry.note(&updated);
        }
        note(log, id, "Server not empty. Cordoned for removal");
    }
    if mode == "cordon" {
        return Ok(());
    }
    note(log, id, "Server not empty. Ending meetings now...");
    for m in &meetings {
        note(log, id, &format!("Try to end meeting id={}", m.id));
        if dry {
            continue;
        }
        if let Err(e) = end_on_bbb(&state.client, state.target(server), m).await {
            // Not fatal: the meeting may have ended already.
            note(log, id, &format!("Failed to end meeting id={}: {e}", m.id));
        }
        store.delete_meeting(&m.id).await?;
    }
    if !dry && !on_server(store.meetings().await?).is_empty() {
        return Err(SyncError::Invalid(format!(
            "[{id}] Server still not empty!"
        )));
    }
    note(log, id, "Server removed");
    if !dry {
        store.delete_server(id).await?;
        state.registry.forget(id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml_json: Value) -> Result<Vec<Spec>, String> {
        validate(&yaml_json, "cordon").map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_messages() {
        let specs = check(json!({ "bbb1.example.com": { "secret": "s" } })).unwrap();
        assert_eq!(specs[0].url, "https://bbb1.example.com/bigbluebutton/api");
        assert!(specs[0].enabled);
        assert_eq!(specs[0].load_multiplier, 1.0);
        assert_eq!(
            check(json!({ "a b": { "secret": "s" } })).unwrap_err(),
            "Server id=a b contains invalid characters"
        );
        assert_eq!(
            check(json!({ "a": { "url": "http://x/" } })).unwrap_err(),
            "Server id=a has no secret"
        );
        assert_eq!(
            check(json!({ "a": { "secret": "s", "foo": 1, "bar": 2 } })).unwrap_err(),
            "Server id=a has bad parameters: [\"foo\", \"bar\"]"
        );
        assert_eq!(
            check(json!({ "a": { "secret": "s", "load_multiplier": 0 } })).unwrap_err(),
            "Server id=a has invalid load_multiplier=0"
        );
        assert_eq!(
            check(json!({ "a": { "secret": "s", "url": "ftp://x/" } })).unwrap_err(),
            "Server id=a has invalid url=ftp://x/"
        );
        assert_eq!(
            validate(&json!({}), "wipe").unwrap_err().to_string(),
            "Unknown sync mode 'wipe' (choose: keep cordon force)"
        );
        assert_eq!(
            check(json!([1])).unwrap_err(),
            "Servers parameter not a hash"
        );
        let s = check(json!({ "a": { "secret": "s", "enabled": "no", "tag": " " } })).unwrap();
        assert!(s[0].enabled, "only false disables, as in Ruby");
        assert_eq!(s[0].tag, None);
        let s = check(json!({ "a": { "secret": 5, "enabled": false, "state": "x" } })).unwrap();
        assert!(!s[0].enabled);
        assert_eq!(s[0].secret, "5");
    }

    #[test]
    fn ruby_decimals() {
        assert_eq!(ruby_decimal("1.5"), 1.5);
        assert_eq!(ruby_decimal(" 2x"), 2.0);
        assert_eq!(ruby_decimal("abc"), 0.0);
        assert_eq!(ruby_decimal("-3"), -3.0);
        assert_eq!(ruby_decimal("1e2"), 100.0);
        assert_eq!(ruby_decimal("1."), 1.0);
        assert_eq!(ruby_decimal(""), 0.0);
    }
}
