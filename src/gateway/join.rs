//! `join`: the hot path. One store round trip (find the meeting, count the join on its
//! server), then a signed redirect to that server; never a call to a BBB server.

use super::call::ApiCall;
use super::params;
use crate::bbb::client::signed_path;
use crate::bbb::ApiError;
use crate::state::State;
use crate::web::Reply;

pub(crate) async fn join(state: &State, call: ApiCall) -> Result<Reply, ApiError> {
    let meeting_id = call
        .params
        .present("meetingID")
        .ok_or(ApiError::MissingMeetingId)?;
    // The load is counted only on servers available for new meetings, which excludes the
    // offline and disabled servers refused below.
    let meeting = state
        .store
        .join(meeting_id)
        .await
        .map_err(state.store_error())?
        .ok_or(ApiError::MeetingNotFound)?;
    let mut server = state
        .server(&meeting.server_id)
        .await?
        .ok_or(ApiError::MeetingNotFound)?;
    if !server.accepts_joins() {
        // This instance's snapshot may be a refresh behind another instance's poller, which
        // may just have brought the server online: refuse only on the store's word.
        server = state
            .fresh_server(&meeting.server_id)
            .await?
            .ok_or(ApiError::MeetingNotFound)?;
        if !server.accepts_joins() {
            return Err(ApiError::ServerUnavailable);
        }
    }
    let forwarded = params::forwarded(&call.params, &state.config.join, &[]);
    let location = signed_path(
        &server.base_url(),
        "join",
        &forwarded,
        &server.secret,
        state.client.algorithm(),
    );
    Ok(Reply {
        server: Some(server.id),
        ..Reply::redirect(location)
    })
}
