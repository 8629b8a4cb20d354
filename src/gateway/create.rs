//! `create`: place a new meeting on the least-loaded server that fits its tags (or find where
//! it already runs), rewrite its parameters and create it there.

use super::call::ApiCall;
use super::params;
use crate::bbb::{ApiError, Params, Target};
use crate::pool::{PlacementError, TagSpec};
use crate::state::State;
use crate::store::{Meeting, NewMeeting, Server, ServerState, StoreError};
use crate::web::Reply;
use rand::distributions::{Alphanumeric, DistString};

const TAG: &str = "meta_server-tag";

/// What the client sees when no server took a new meeting and none gave BBB's own reason.
const CREATE_FAILED: &str = "Unable to create meeting on server.";

pub(crate) async fn create(state: &State, call: ApiCall) -> Result<Reply, ApiError> {
    let meeting_id = call
        .params
        .present("meetingID")
        .ok_or(ApiError::MissingMeetingId)?
        .to_string();
    let mut params = call.params.clone();
    // The tag used for placement: env override > client > env default.
    let lookup =
        |list: &[(String, String)]| list.iter().find(|(k, _)| k == TAG).map(|(_, v)| v.clone());
    let policy = &state.config.create;
    let tag = [
        lookup(&policy.overrides),
        params.get(TAG).map(String::from),
        lookup(&policy.defaults),
    ]
    .into_iter()
    .flatten()
    .find(|t| !t.trim().is_empty())
    .unwrap_or_default();
    params.set(TAG, Some(tag.clone()));

    let store = &state.store;
    if let Some(existing) = store
        .meeting(&meeting_id)
        .await
        .map_err(state.store_error())?
    {
        if let Some(server) = keep_pin(state, &existing).await {
            return create_on(state, &call, params, &existing, &server).await;
        }
        store
            .delete_meeting(&existing.id)
            .await
            .map_err(state.store_error())?;
    }

    let servers = store.servers().await.map_err(state.store_error())?;
    let order = state
        .placement
        .order(&servers, &TagSpec::parse(&tag))
        .await
        .map_err(|e| match e {
            PlacementError::NoServers => {
                ApiError::internal("Could not find any available servers.")
            }
            PlacementError::TagUnavailable(t) => ApiError::ServerTagUnavailable(t),
        })?;
    let moderator_pw = params
        .present("moderatorPW")
        .map(String::from)
        .unwrap_or_else(|| Alphanumeric.sample_string(&mut rand::thread_rng(), 8));
    // Every server of the placement order is tried once, in order, until one takes the meeting
    // (quirk Q8 fixed). The order holds only servers that are online and enabled, so its length
    // bounds the tries; a dead server costs at most its connect + response timeout.
    // BBB's own FAILED answer (the last one) is what the client sees when they all fail: it
    // says why; transport errors, garbage and 5xx pages only say that the server failed.
    let mut last_bbb_error = None;
    let mut tried = std::collections::HashSet::new();
    for server_id in order.iter().filter(|id| tried.insert(id.as_str())) {
        let new = NewMeeting {
            id: meeting_id.clone(),
            server_id: server_id.clone(),
            moderator_pw: moderator_pw.clone(),
            requested_bridge: params.get("voiceBridge").map(String::from),
            tenant_id: None,
        };
        let (meeting, created) = store
            .create_or_find_meeting(new, &state.bridges)
            .await
            .map_err(|e| match e {
                StoreError::MeetingOfOtherTenant(..) => ApiError::Internal(e.to_string()),
                other => state.store_error()(other),
            })?;
        // Another request may have placed the meeting first; then it lives where that one put it.
        let Some(server) = servers.iter().find(|s| s.id == meeting.server_id).cloned() else {
            return Err(ApiError::Internal(format!(
                "Couldn't find Server with id={}",
                meeting.server_id
            )));
        };
        if !created {
            // Not our reservation: that request's server answers, we undo nothing.
            return create_on(state, &call, params.clone(), &meeting, &server).await;
        }
        let _ = store.increment_load(&server.id, server.multiplier()).await;
        params.insert("moderatorPW", &meeting.moderator_pw);
        match create_on(state, &call, params.clone(), &meeting, &server).await {
            Ok(reply) => return Ok(reply),
            Err(e) => {
                // The server did not take the meeting: undo the reservation, try the next one.
                roll_back(state, &meeting, &server).await;
                if matches!(e, ApiError::Upstream { .. }) {
                    last_bbb_error = Some(e);
                }
            }
        }
    }
    Err(last_bbb_error.unwrap_or_else(|| ApiError::internal(CREATE_FAILED)))
}

/// Whether an existing meeting stays where it is. A cordoned server keeps it only while BBB
/// says it is running; an offline, disabled or deleted server loses it (Scalelite would still
/// send the create there, quirk Q7).
async fn keep_pin(state: &State, meeting: &Meeting) -> Option<Server> {
    let server = state.server(&meeting.server_id).await.ok()??;
    match server.effective_state() {
        ServerState::Disabled => None,
        _ if !server.online => None,
        ServerState::Enabled => Some(server),
        ServerState::Cordoned => {
            let mut p = Params::new();
            p.insert("meetingID", &meeting.id);
            let target = Target {
                timeouts: state.config.timeouts,
                ..state.target(&server)
            };
            let answer = state
                .client
                .call(target, "isMeetingRunning", &p, None)
                .await
                .ok()?;
            (answer.envelope.field("running") == Some("true")).then_some(server)
        }
    }
}

async fn roll_back(state: &State, meeting: &Meeting, server: &Server) {
    let store = &state.store;
    if let Err(e) = store.delete_meeting(&meeting.id).await {
        log::error!("rollback of meeting {}: {e}", meeting.id);
    }
    let _ = store.increment_load(&server.id, -server.multiplier()).await;
}

/// Rewrite the parameters for the chosen server and send the create.
async fn create_on(
    state: &State,
    call: &ApiCall,
    mut p: Params,
    meeting: &Meeting,
    server: &Server,
) -> Result<Reply, ApiError> {
    p.insert("voiceBridge", &meeting.voice_bridge);
    match &server.tag {
        Some(tag) => p.insert(TAG, tag),
        None => p.remove(TAG),
    }
    let max = state.config.max_meeting_duration;
    if max > 0 {
        let asked = p
            .get("duration")
            .and_then(|d| d.trim().parse::<i64>().ok())
            .unwrap_or(0);
        if asked <= 0 || asked as u64 > max {
            p.insert("duration", &max.to_string());
        }
    }
    let forwarded = params::forwarded(&p, &state.config.create, &[TAG]);
    let body = call.xml_body.clone();
    match state
        .client
        .call(state.target(server), "create", &forwarded, body)
        .await
    {
        Ok(answer) => Ok(Reply {
            server: Some(server.id.clone()),
            ..Reply::xml_bytes(answer.body)
        }),
        Err(e) => {
            log::info!("create of {} on {} failed: {e}", meeting.id, server.id);
            Err(e.into_api(CREATE_FAILED))
        }
    }
}
