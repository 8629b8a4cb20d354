//! Admin calls that are not in Scalelite's API; the `scalelite` CLI uses them to do what
//! Scalelite's rake tasks do (see `crate::cli`): getStatus, getMeetingList, endMeetings,
//! pollNow and syncServers (in `sync.rs`). Same checksum auth as the other admin calls.

use super::servers::server_json;
use super::{error, json_string, AdminCall};
use crate::bbb::client::{BbbClient, UpstreamError};
use crate::bbb::{Params, Target};
use crate::state::State;
use crate::store::{Meeting, Server, StoreError};
use crate::web::Reply;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// POST pollNow: wake the poller now (on this instance; with Redis the lease holder polls).
pub(super) async fn poll_now(state: &State, _call: &AdminCall) -> Result<Reply, Reply> {
    state.poll_now.notify_one();
    Ok(Reply::json(200, &json!({ "success": "Poll requested" })))
}

fn store_failure(e: StoreError) -> Reply {
    log::error!("admin: store: {e}");
    error(500, &e.to_string())
}

/// GET getStatus: every server (sorted by id; `[]` when none) with the poller's statistics.
pub(super) async fn get_status(state: &State, _call: &AdminCall) -> Result<Reply, Reply> {
    let mut servers = state.store.servers().await.map_err(store_failure)?;
    servers.sort_by(|a, b| a.id.cmp(&b.id));
    let list = servers
        .iter()
        .map(|s| {
            let mut v = server_json(s);
            v["stats"] = json!({
                "meetings": s.stats.meetings,
                "users": s.stats.users,
                "largest_meeting": s.stats.largest_meeting,
                "videos": s.stats.videos,
            });
            v
        })
        .collect();
    Ok(Reply::json(200, &Value::Array(list)))
}

/// GET getMeetingList: the meetings the load balancer knows, with their server (sorted by id;
/// `server_url` is null for a meeting whose server was removed).
pub(super) async fn get_meeting_list(state: &State, _call: &AdminCall) -> Result<Reply, Reply> {
    let mut meetings = state.store.meetings().await.map_err(store_failure)?;
    meetings.sort_by(|a, b| a.id.cmp(&b.id));
    let servers: HashMap<String, Server> = state
        .store
        .servers()
        .await
        .map_err(store_failure)?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let list = meetings
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "server_id": m.server_id,
                "server_url": servers.get(&m.server_id).map(|s| s.url.clone()),
                "voice_bridge": m.voice_bridge,
            })
        })
        .collect();
    Ok(Reply::json(200, &Value::Array(list)))
}

/// Ask a BBB server to end a meeting, with the moderator password the load balancer stored.
pub(super) async fn end_on_bbb(
    client: &BbbClient,
    target: Target<'_>,
    meeting: &Meeting,
) -> Result<(), UpstreamError> {
    let mut params = Params::new();
    params.insert("meetingID", &meeting.id);
    params.insert("password", &meeting.moderator_pw);
    client.call(target, "end", &params, None).await.map(|_| ())
}

/// POST endMeetings: forget meetings and end them on their BBB servers, like Scalelite's
/// `meetings:end` and `servers:panic` tasks. Body: `{"ids": [...]}` (every id must be known,
/// else 404 and nothing changes), or `{"server_id": "..."}`, or neither (every meeting);
/// `"skip_end": true` only forgets. Answers `{"meetings": [{"id", "server_id", "error"}]}`,
/// `error` being null when BBB ended the meeting (or when the end call was skipped).
pub(super) async fn end_meetings(state: &State, call: &AdminCall) -> Result<Reply, Reply> {
    let body = call.body.clone().unwrap_or_default();
    let skip_end = matches!(body.get("skip_end"), Some(Value::Bool(true)));
    let meetings: Vec<Meeting> = match body.get("ids") {
        Some(Value::Array(ids)) => {
            let mut found: Vec<Meeting> = Vec::new();
            for id in ids.iter().filter_map(json_string) {
                match state.store.meeting(&id).await.map_err(store_failure)? {
                    Some(m) if !found.iter().any(|f| f.id == m.id) => found.push(m),
                    Some(_) => {}
                    None => return Err(error(404, &format!("Couldn't find meeting with id={id}"))),
                }
            }
            found
        }
        Some(_) => return Err(error(400, "ids must be an array of meeting ids")),
        None => {
            let all = state.store.meetings().await.map_err(store_failure)?;
            match call.value("server_id") {
                Some(sid) => all.into_iter().filter(|m| m.server_id == sid).collect(),
                None => all,
            }
        }
    };
    // Concurrently, bounded like the poller (a dead server costs a timeout per meeting).
    let limit = Arc::new(tokio::sync::Semaphore::new(
        state.config.poller.concurrency.max(1),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, m) in meetings.into_iter().enumerate() {
        let server = state.server(&m.server_id).await.ok().flatten();
        let timeouts = server.as_ref().map(|s| state.timeouts_for(s));
        let (store, client) = (state.store.clone(), state.client.clone());
        let limit = limit.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire().await;
            let mut outcome = store.delete_meeting(&m.id).await.map_err(|e| e.to_string());
            if outcome.is_ok() && !skip_end {
                outcome = match (&server, timeouts) {
                    (Some(s), Some(timeouts)) => {
                        let target = Target {
                            url: &s.url,
                            secret: &s.secret,
                            timeouts,
                        };
                        end_on_bbb(&client, target, &m)
                            .await
                            .map_err(|e| e.to_string())
                    }
                    _ => Err(format!("Couldn't find server with id={}", m.server_id)),
                };
            }
            if let Err(e) = &outcome {
                log::warn!("could not end meeting {} on {}: {e}", m.id, m.server_id);
            }
            let entry = json!({ "id": m.id, "server_id": m.server_id, "error": outcome.err() });
            (i, entry)
        });
    }
    let mut results = Vec::new();
    while let Some(done) = tasks.join_next().await {
        if let Ok(r) = done {
            results.push(r);
        }
    }
    results.sort_by_key(|(i, _)| *i);
    let list: Vec<Value> = results.into_iter().map(|(_, v)| v).collect();
    Ok(Reply::json(200, &json!({ "meetings": list })))
}
