//! `join`: the hot path. One store lookup, a load increment, and a signed redirect to the
//! meeting's server; never a call to a BBB server.

use super::{params, ApiCall, Reply};
use crate::app::State;
use crate::bbb::client::signed_path;
use crate::bbb::ApiError;

pub async fn join(state: &State, call: &ApiCall) -> Result<Reply, ApiError> {
    let meeting_id = call
        .params
        .present("meetingID")
        .ok_or(ApiError::MissingMeetingId)?;
    let meeting = state.meeting(meeting_id).await?;
    let server = state
        .registry
        .server(&meeting.server_id)
        .ok_or(ApiError::MeetingNotFound)?;
    if !server.accepts_joins() {
        return Err(ApiError::ServerUnavailable);
    }
    state
        .registry
        .store()
        .increment_load(&server.id, server.multiplier())
        .await
        .map_err(state.store_error())?;
    let forwarded = params::forwarded(&call.params, &state.config.join, &[]);
    let base = server.base_url();
    let location = signed_path(
        &base,
        "join",
        &forwarded,
        &server.secret,
        state.client.algorithm(),
    );
    Ok(Reply::redirect(location))
}
