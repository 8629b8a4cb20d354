//! The recording calls (§7.5–7.9) over the recordings index: getRecordings (with BBB 2.7's
//! paging), publishRecordings and deleteRecordings (which also move or remove the files), and
//! updateRecordings. With RECORDING_DISABLED they find no recording, as Scalelite's disabled
//! handlers answer.

use super::call::ApiCall;
use crate::bbb::{ApiError, Params};
use crate::recordings::{self, files, Links, MetaChange, RecordingFilter, RecordingsError};
use crate::state::State;
use crate::web::Reply;

/// BBB clamps a page to 1..=100 recordings.
const MAX_PAGE: i64 = 100;

fn failed(key: &str, message: &str) -> ApiError {
    ApiError::Upstream {
        key: key.into(),
        message: message.into(),
    }
}

fn not_found() -> ApiError {
    failed("notFound", "We could not find recordings")
}

/// The index could not answer: logged, and the call's internalError.
fn index_error(e: RecordingsError) -> ApiError {
    log::error!("recordings index: {e}");
    ApiError::Internal(e.to_string())
}

fn blank(params: &Params, key: &str) -> bool {
    params.get(key).is_none_or(|v| v.trim().is_empty())
}

/// The `recordID` list (Ruby's `split(',')`), or missingParamRecordID.
fn record_ids(params: &Params) -> Result<Vec<String>, ApiError> {
    match params.get("recordID") {
        Some(v) if !v.trim().is_empty() => Ok(recordings::ruby_split(v)),
        _ => Err(failed(
            "missingParamRecordID",
            "You must specify a recordID.",
        )),
    }
}

/// `limit` (1..=100; not a number: no paging) and `offset` (only with a limit), as BBB 2.7.
fn page(params: &Params) -> Option<(u32, u32)> {
    let limit: i64 = params.get("limit")?.trim().parse().ok()?;
    let offset = params
        .get("offset")
        .and_then(|o| o.trim().parse::<i64>().ok())
        .unwrap_or(0)
        .clamp(0, i64::from(u32::MAX));
    Some((limit.clamp(1, MAX_PAGE) as u32, offset as u32))
}

/// A SUCCESS answer with one more element, laid out as Scalelite's builder views do.
fn success(element: &str, value: bool) -> Reply {
    Reply::xml(format!(
        "<response>\n  <returncode>SUCCESS</returncode>\n  <{element}>{value}</{element}>\n</response>\n"
    ))
}

pub(crate) async fn get_recordings(state: &State, call: ApiCall) -> Result<Reply, ApiError> {
    let cfg = &state.config.recordings;
    let params = &call.params;
    if cfg.get_recordings_api_filtered && blank(params, "recordID") && blank(params, "meetingID") {
        return Err(failed(
            "missingParameters",
            "param meetingID or recordID must be included.",
        ));
    }
    let paged = page(params);
    let (found, total) = if cfg.disabled {
        (Vec::new(), 0)
    } else {
        let mut filter =
            RecordingFilter::from_params(params.iter().map(|(k, v)| (k, v.unwrap_or_default())));
        if let Some((limit, offset)) = paged {
            filter.limit = Some(limit);
            filter.offset = offset;
        }
        recordings::get_recordings(&state.database, &filter)
            .await
            .map_err(index_error)?
    };
    let links = Links {
        prefix: &call.origin,
        show_protected: cfg.protected,
        // The one-time tokens of protected playback come with the playback work (issue 10).
        protected_url: &|r, f| format!("/recording/{}/{}", r.record_id, f.format),
    };
    let total = paged.map(|_| total);
    Ok(Reply::xml(recordings::xml::get_recordings(
        &found, total, &links,
    )))
}

pub(crate) async fn publish_recordings(state: &State, call: ApiCall) -> Result<Reply, ApiError> {
    let ids = record_ids(&call.params)?;
    if blank(&call.params, "publish") {
        return Err(failed(
            "missingParamPublish",
            "You must specify a publish value true or false.",
        ));
    }
    let cfg = &state.config.recordings;
    if cfg.disabled {
        return Err(not_found());
    }
    let publish = call
        .params
        .get("publish")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let targets = recordings::publish_targets(&state.database, &ids, None, publish)
        .await
        .map_err(index_error)?
        .ok_or_else(not_found)?;
    let (current, target) = if publish {
        (cfg.unpublish_dir.clone(), cfg.publish_dir.clone())
    } else {
        (cfg.publish_dir.clone(), cfg.unpublish_dir.clone())
    };
    let unable = || ApiError::internal("Unable to publish/unpublish recording.");
    for t in targets {
        // The files first: the index says published only once they are where it says.
        let (formats, record_id) = (t.formats.clone(), t.record_id.clone());
        let (from, to) = (current.clone(), target.clone());
        tokio::task::spawn_blocking(move || {
            formats
                .iter()
                .try_for_each(|f| files::move_between(f, &record_id, &from, &to))
        })
        .await
        .map_err(|_| unable())?
        .map_err(|e| {
            log::error!("publishRecordings {}: {e}", t.record_id);
            unable()
        })?;
        recordings::set_published(&state.database, &t.record_id, publish)
            .await
            .map_err(index_error)?;
    }
    Ok(success("published", publish))
}

pub(crate) async fn update_recordings(state: &State, call: ApiCall) -> Result<Reply, ApiError> {
    let ids = record_ids(&call.params)?;
    if state.config.recordings.disabled {
        return Err(not_found());
    }
    let changes =
        MetaChange::from_params(call.params.iter().map(|(k, v)| (k, v.unwrap_or_default())));
    let protect = call
        .params
        .get("protect")
        .and_then(recordings::parse_protect);
    let updated = recordings::update_metadata(&state.database, &ids, None, &changes, protect)
        .await
        .map_err(index_error)?;
    Ok(success("updated", updated))
}

pub(crate) async fn delete_recordings(state: &State, call: ApiCall) -> Result<Reply, ApiError> {
    let ids = record_ids(&call.params)?;
    let cfg = &state.config.recordings;
    if cfg.disabled {
        return Err(not_found());
    }
    let targets = recordings::delete_targets(&state.database, &ids, None)
        .await
        .map_err(index_error)?;
    if targets.is_empty() {
        return Err(not_found());
    }
    let unable = || ApiError::internal("Unable to delete recording.");
    for r in targets {
        let (publish, record_id) = (cfg.publish_dir.clone(), r.record_id.clone());
        tokio::task::spawn_blocking(move || files::delete_published(&publish, &record_id))
            .await
            .map_err(|_| unable())?
            .map_err(|e| {
                log::error!("deleteRecordings {}: {e}", r.record_id);
                unable()
            })?;
        recordings::delete(&state.database, &r.record_id)
            .await
            .map_err(index_error)?;
    }
    Ok(success("deleted", true))
}
