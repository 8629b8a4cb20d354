//! `getMeetings` across the pool and `end`, which need more than one proxied request.

use super::{ApiCall, Reply};
use crate::app::State;
use crate::bbb::client::UpstreamError;
use crate::bbb::{xml, ApiError, Params};
use crate::store::ServerState;

/// Meetings of every online, not disabled server. A server that fails is left out and logged
/// (Scalelite fails the whole call, quirk Q4).
pub async fn get_meetings(state: &State) -> Result<Reply, ApiError> {
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
        let registry = state.registry.clone();
        let timeouts = state.config.timeouts;
        let client = state.client.clone();
        calls.spawn(async move {
            let ep = registry
                .endpoint(&server.url)
                .await
                .map_err(UpstreamError::Transport)?;
            client.get_meetings(&ep, &server.secret, timeouts).await
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
pub async fn end(state: &State, call: &ApiCall) -> Result<Reply, ApiError> {
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
    let ep = state
        .registry
        .endpoint(&server.url)
        .await
        .map_err(|_| ApiError::internal(unreachable))?;
    let result = state
        .client
        .api(
            &ep,
            &server.secret,
            "end",
            &p,
            None,
            state.timeouts_for(&server),
        )
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

/// getRecordings while no recording is indexed.
pub fn no_recordings() -> String {
    format!("{}<response>\n  <returncode>SUCCESS</returncode>\n  <recordings/>\n  <messageKey>noRecordings</messageKey>\n  <message>There are not recordings for the meetings</message>\n</response>\n", xml::DECLARATION)
}

pub fn recordings_not_found() -> Reply {
    ApiError::Upstream {
        key: "notFound".into(),
        message: "We could not find recordings".into(),
    }
    .into()
}
