//! `getMeetings` across the pool and `end`, which need more than one proxied request.

use super::call::ApiCall;
use crate::bbb::client::UpstreamError;
use crate::bbb::{xml, ApiError, Params, Target};
use crate::state::State;
use crate::store::ServerState;
use crate::web::Reply;

/// Meetings of every online, not disabled server. A server that fails is left out and logged
/// (Scalelite fails the whole call, quirk Q4).
pub(crate) async fn get_meetings(state: &State, _call: ApiCall) -> Result<Reply, ApiError> {
    // Read from the store, not the registry: a server that just came online is included at
    // once (getMeetings is not a hot path).
    let servers: Vec<_> = state
        .store
        .servers()
        .await
        .map_err(state.store_error())?
        .into_iter()
        .filter(|s| s.online && s.effective_state() != ServerState::Disabled)
        .collect();
    let mut calls = tokio::task::JoinSet::new();
    for server in servers {
        let timeouts = state.config.timeouts;
        let client = state.client.clone();
        calls.spawn(async move {
            let target = Target {
                url: &server.url,
                secret: &server.secret,
                timeouts,
            };
            client.get_meetings(target).await
        });
    }
    let mut out = String::new();
    while let Some(done) = calls.join_next().await {
        match done {
            Ok(Ok(meetings)) => {
                // Without tenants, meetings that belong to a tenant stay hidden (as Scalelite does).
                for m in meetings
                    .iter()
                    .filter(|m| m.tenant_id.as_deref().unwrap_or("").is_empty())
                {
                    out.push_str("\n    ");
                    out.push_str(&m.raw);
                }
            }
            Ok(Err(e)) => log::warn!("getMeetings: a server failed: {e}"),
            Err(e) => log::error!("getMeetings task: {e}"),
        }
    }
    if out.is_empty() {
        return Ok(Reply::xml(xml::no_meetings()));
    }
    Ok(Reply::xml(format!(
        "{}<response>\n  <returncode>SUCCESS</returncode>\n  <meetings>{out}\n  </meetings>\n</response>\n",
        xml::DECLARATION
    )))
}

/// `end`: forward to the owner, and forget the meeting once BBB ended it (or does not know it).
/// Scalelite forgets it before asking, even when BBB refuses (quirk Q5).
pub(crate) async fn end(state: &State, call: ApiCall) -> Result<Reply, ApiError> {
    let meeting_id = call
        .params
        .present("meetingID")
        .ok_or(ApiError::MissingMeetingId)?;
    let meeting = state.meeting(meeting_id).await?;
    let store = &state.store;
    let forget = || async {
        store
            .delete_meeting(meeting_id)
            .await
            .map_err(state.store_error())
    };
    let Some(server) = state.server(&meeting.server_id).await? else {
        forget().await?;
        return Err(ApiError::MeetingNotFound);
    };
    let mut p = Params::new();
    p.insert("meetingID", meeting_id);
    // Without a password Scalelite sends a bare `password` key (quirk Q6, reproduced).
    p.set("password", call.params.get("password").map(String::from));
    let unreachable = "Unable to access meeting on server.";
    let result = state
        .client
        .call(state.target(&server), "end", &p, None)
        .await;
    match result {
        Ok(answer) => {
            forget().await?;
            Ok(Reply::xml_bytes(answer.body))
        }
        Err(e) => {
            // BBB no longer knows the meeting: it is over, forget it too.
            if matches!(&e, UpstreamError::Failed { key, .. } if key == "notFound") {
                forget().await?;
            }
            Err(e.into_api(unreachable))
        }
    }
}
