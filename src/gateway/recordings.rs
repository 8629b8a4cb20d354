//! The recording calls. No recording is indexed yet (the importer comes with the recordings
//! work): getRecordings finds none, and the calls that change recordings answer as Scalelite
//! does for unknown recordings.

use super::call::ApiCall;
use crate::bbb::{xml, ApiError};
use crate::state::State;
use crate::web::Reply;

pub(crate) async fn get_recordings(_state: &State, _call: ApiCall) -> Result<Reply, ApiError> {
    Ok(Reply::xml(format!(
        "{}<response>\n  <returncode>SUCCESS</returncode>\n  <recordings/>\n  <messageKey>noRecordings</messageKey>\n  <message>There are not recordings for the meetings</message>\n</response>\n",
        xml::DECLARATION
    )))
}

pub(crate) async fn publish_recordings(_state: &State, _call: ApiCall) -> Result<Reply, ApiError> {
    Err(not_found())
}

pub(crate) async fn update_recordings(_state: &State, _call: ApiCall) -> Result<Reply, ApiError> {
    Err(not_found())
}

pub(crate) async fn delete_recordings(_state: &State, _call: ApiCall) -> Result<Reply, ApiError> {
    Err(not_found())
}

fn not_found() -> ApiError {
    ApiError::Upstream {
        key: "notFound".into(),
        message: "We could not find recordings".into(),
    }
}
