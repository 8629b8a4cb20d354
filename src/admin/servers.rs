//! The server calls of the admin API: getServers, getServerInfo, addServer, updateServer,
//! deleteServer, panicServer.

use super::{error, json_string, param_missing, AdminCall};
use crate::bbb::Target;
use crate::pool::panic_server;
use crate::state::State;
use crate::store::{format_decimal, Server, ServerChange, ServerState, StoreError};
use crate::web::Reply;
use serde_json::{json, Value};

/// A server as the admin API shows it.
pub(super) fn server_json(s: &Server) -> Value {
    json!({
        "id": s.id,
        "url": s.url,
        "secret": s.secret,
        "tag": s.tag.clone().unwrap_or_default(),
        "bbb_version": s.bbb_version.clone().unwrap_or_default(),
        "state": s.effective_state().as_str(),
        "load": s.load.map(Value::from).unwrap_or_else(|| Value::from("unavailable")),
        "load_multiplier": match &s.load_multiplier {
            Some(m) => Value::from(m.clone()),
            None => Value::from(1.0),
        },
        "online": if s.online { "online" } else { "offline" },
    })
}

fn store_failure(e: StoreError) -> Reply {
    log::error!("admin: store: {e}");
    error(500, &e.to_string())
}

pub(super) async fn get_servers(state: &State, _call: &AdminCall) -> Result<Reply, Reply> {
    let mut servers = state.store.servers().await.map_err(store_failure)?;
    if servers.is_empty() {
        return Err(error(404, "No servers are configured"));
    }
    servers.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Reply::json(
        200,
        &Value::Array(servers.iter().map(server_json).collect()),
    ))
}

pub(super) async fn get_server_info(state: &State, call: &AdminCall) -> Result<Reply, Reply> {
    with_server(state, call)
        .await
        .map(|s| Reply::json(200, &server_json(&s)))
}

async fn with_server(state: &State, call: &AdminCall) -> Result<Server, Reply> {
    let id = call.value("id").unwrap_or_default();
    match state.store.server(&id).await.map_err(store_failure)? {
        Some(s) => Ok(s),
        None => Err(error(404, &format!("Couldn't find server with id={id}"))),
    }
}

/// A positive decimal from a JSON value, or `None` when it is blank, zero or not a number.
fn multiplier(v: Option<&Value>) -> Option<Result<String, ()>> {
    let raw = v.and_then(json_string)?;
    if raw.trim().is_empty() {
        return None;
    }
    Some(match raw.trim().parse::<f64>() {
        Ok(m) if m != 0.0 && m.is_finite() => Ok(format_decimal(m)),
        _ => Err(()),
    })
}

fn blank(v: Option<&Value>) -> Option<String> {
    v.and_then(json_string).filter(|s| !s.trim().is_empty())
}

pub(super) async fn add_server(state: &State, call: &AdminCall) -> Result<Reply, Reply> {
    let obj = call
        .object("server")
        .ok_or_else(|| Reply::from(param_missing("server")))?;
    let (Some(url), Some(secret)) = (blank(obj.get("url")), blank(obj.get("secret"))) else {
        return Err(error(400, "Server needs a URL and a secret"));
    };
    let id = if state.config.server_id_is_hostname {
        url::Url::parse(&url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .unwrap_or_else(|| url.to_ascii_lowercase())
    } else {
        uuid::Uuid::new_v4().to_string()
    };
    let mut server = Server::new(id, url, secret);
    // Scalelite turns an unreadable or zero multiplier into 1.0 here (updateServer refuses it).
    server.load_multiplier = Some(
        multiplier(obj.get("load_multiplier"))
            .and_then(Result::ok)
            .unwrap_or_else(|| "1.0".into()),
    );
    server.tag = blank(obj.get("tag"));
    match state.store.add_server(server).await {
        Ok(s) => {
            let _ = state.registry.refresh(state.store.as_ref()).await;
            Ok(Reply::json(201, &server_json(&s)))
        }
        Err(e @ StoreError::ServerExists(_)) => Err(error(400, &e.to_string())),
        Err(e) => Err(store_failure(e)),
    }
}

pub(super) async fn update_server(state: &State, call: &AdminCall) -> Result<Reply, Reply> {
    let server = with_server(state, call).await?;
    let obj = call
        .object("server")
        .ok_or_else(|| error(400, "param is missing or the value is empty: server"))?;
    let mut change = ServerChange::default();
    let enabling = blank(obj.get("state")).as_deref() == Some("enable");
    if let Some(s) = blank(obj.get("state")) {
        change.state = Some(match s.as_str() {
            "enable" => ServerState::Enabled,
            "cordon" => ServerState::Cordoned,
            "disable" => ServerState::Disabled,
            other => return Err(error(400, &format!("Invalid state parameter: {other}"))),
        });
    }
    match multiplier(obj.get("load_multiplier")) {
        Some(Ok(m)) => change.load_multiplier = Some(m),
        Some(Err(())) => return Err(error(400, "Load-multiplier must be a non-zero number")),
        None => {}
    }
    change.secret = blank(obj.get("secret"));
    if let Some(tag) = obj.get("tag") {
        change.tag = Some(json_string(tag).filter(|t| !t.trim().is_empty()));
    }
    let updated = state
        .store
        .update_server(&server.id, change)
        .await
        .map_err(store_failure)?;
    state.registry.note(&updated);
    // A server just enabled takes meetings only once polled (it needs a load): poll now
    // rather than at the next cycle.
    if enabling && !updated.is_available() {
        state.poll_now.notify_one();
    }
    Ok(Reply::json(200, &server_json(&updated)))
}

pub(super) async fn delete_server(state: &State, call: &AdminCall) -> Result<Reply, Reply> {
    let server = with_server(state, call).await?;
    if let Err(e) = state.store.delete_server(&server.id).await {
        return Err(error(
            400,
            &format!("Couldn't destroy server id={}: {e}", server.id),
        ));
    }
    state.registry.forget(&server.id);
    Ok(Reply::json(
        200,
        &json!({ "success": format!("Server id={} was destroyed", server.id) }),
    ))
}

pub(super) async fn panic(state: &State, call: &AdminCall) -> Result<Reply, Reply> {
    let server = with_server(state, call).await?;
    // Truthy when present and not blank: JSON false is false, the string "false" is true (Q20
    // is reproduced only as far as JSON booleans go; see the README).
    let keep_state = match call.body.as_ref().and_then(|b| b.get("keep_state")) {
        Some(Value::Bool(b)) => *b,
        Some(v) => json_string(v).is_some_and(|s| !s.trim().is_empty() && s != "false"),
        None => call
            .params
            .present("keep_state")
            .is_some_and(|s| s != "false"),
    };
    let failed = || error(400, &format!("Couldn't disable server id={}", server.id));
    let store = &state.store;
    let target = Target {
        timeouts: state.config.timeouts,
        ..state.target(&server)
    };
    panic_server(store.as_ref(), &state.client, target, &server, true)
        .await
        .map_err(|_| failed())?;
    if !keep_state {
        let change = ServerChange {
            state: Some(ServerState::Disabled),
            ..Default::default()
        };
        let updated = store
            .update_server(&server.id, change)
            .await
            .map_err(|_| failed())?;
        state.registry.note(&updated);
    }
    Ok(Reply::json(
        200,
        &json!({ "success": format!("Server id={} has been disabled and the meetings have been destroyed", server.id) }),
    ))
}
