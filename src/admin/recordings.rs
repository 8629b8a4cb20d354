//! `checkRecordings`, the admin call behind `scalelite recordings check`: the recordings index
//! against the publish and unpublish dirs (`crate::recordings::check`), with the repairs the
//! body asks for (`fix`: move misplaced dirs; `delete_orphans`: remove dirs no row knows).
//! An instance answers it because it has both the database and the dirs, as the CLI's other
//! calls go through an instance (see `crate::cli`).

use super::{error, AdminCall};
use crate::recordings::{self, RecordingFilter, Repairs, StateFilter};
use crate::state::State;
use crate::web::Reply;

fn flag(call: &AdminCall, key: &str) -> bool {
    call.value(key)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

pub(super) async fn check_recordings(state: &State, call: &AdminCall) -> Result<Reply, Reply> {
    let repairs = Repairs {
        fix: flag(call, "fix"),
        delete_orphans: flag(call, "delete_orphans"),
    };
    // Every row, whatever its state: a directory of a row in any state is not an orphan.
    let filter = RecordingFilter {
        states: StateFilter::Any,
        ..RecordingFilter::default()
    };
    let (rows, _) = recordings::get_recordings(&state.database, &filter)
        .await
        .map_err(|e| error(500, &format!("recordings index: {e}")))?;
    let cfg = &state.config.recordings;
    let (publish, unpublish) = (cfg.publish_dir.clone(), cfg.unpublish_dir.clone());
    let report = tokio::task::spawn_blocking(move || {
        recordings::check(&rows, &publish, &unpublish, repairs)
    })
    .await
    .map_err(|e| error(500, &e.to_string()))?
    .map_err(|e| error(500, &format!("recording dirs: {e}")))?;
    Ok(Reply::json(200, &report))
}
