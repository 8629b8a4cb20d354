//! The `recordings` section and Scalelite's RECORDING_* / PROTECTED_RECORDINGS_* variables (the
//! environment wins): where tarballs arrive and recordings live, the import switches, and the
//! limits of HTTP uploads.
//!
//! Directory defaults: under the data dir (`<data_dir>/recordings/{spool,work,published,
//! unpublished}`), not Scalelite's `/var/bigbluebutton/…`, so a newcomer runs without root and
//! without creating system directories; an operator switching binaries has RECORDING_* set in
//! `/etc/default/scalelite` (or points them at the old paths there). Every directory is made
//! absolute at load, as Scalelite does, so a daemon's change of working directory moves nothing.

use super::env::Env;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Scalelite's default list of formats served by the resource route (the code's, not the docs').
const DEFAULT_FORMATS: &str = "presentation:video:screenshare:podcast:notes:capture";

/// A long recording with video (several hours of webcams and screen share) fits with room.
pub(super) const DEFAULT_UPLOAD_MAX_BYTES: u64 = 20 * 1024 * 1024 * 1024;

/// `recordings:` in the YAML file; every key optional, the variable named in each comment wins.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingsSection {
    /// RECORDING_DISABLED
    pub disabled: Option<bool>,
    /// RECORDING_SPOOL_DIR
    pub spool_dir: Option<String>,
    /// RECORDING_WORK_DIR
    pub work_dir: Option<String>,
    /// RECORDING_PUBLISH_DIR
    pub publish_dir: Option<String>,
    /// RECORDING_UNPUBLISH_DIR
    pub unpublish_dir: Option<String>,
    /// RECORDING_IMPORT_UNPUBLISHED
    pub import_unpublished: Option<bool>,
    /// RECORDING_PLAYBACK_FORMATS (a `:` list there, a YAML list here)
    pub playback_formats: Option<Vec<String>>,
    /// GET_RECORDINGS_API_FILTERED
    pub get_recordings_api_filtered: Option<bool>,
    /// PROTECTED_RECORDINGS_ENABLED
    pub protected_enabled: Option<bool>,
    /// PROTECTED_RECORDINGS_TOKEN_TIMEOUT (minutes)
    pub protected_token_timeout: Option<f64>,
    /// PROTECTED_RECORDINGS_TIMEOUT (minutes)
    pub protected_timeout: Option<f64>,
    /// RECORDING_IMPORT_POLL_INTERVAL (seconds)
    pub import_poll_interval: Option<f64>,
    /// RECORDING_UPLOAD_MAX_BYTES
    pub upload_max_bytes: Option<i64>,
    /// SCALELITE_RECORDING_IMPORTER
    pub importer: Option<bool>,
}

/// The recordings half, as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingsConfig {
    /// Recording calls, playback and the importer are off; uploads are refused (503).
    pub disabled: bool,
    /// Where tarballs arrive (`*.tar`); uploads are written here.
    pub spool_dir: PathBuf,
    /// Parent of the importer's extraction dirs.
    pub work_dir: PathBuf,
    /// Published recordings: `<dir>/<format>/<record_id>/…`.
    pub publish_dir: PathBuf,
    /// Unpublished recordings (not served).
    pub unpublish_dir: PathBuf,
    /// Import as unpublished unless a publish choice was made (Scalelite §7.3 b).
    pub import_unpublished: bool,
    /// Formats that get a `/<format>/<record_id>/…` resource route.
    pub playback_formats: Vec<String>,
    /// getRecordings requires recordID or meetingID.
    pub get_recordings_api_filtered: bool,
    /// Imported recordings are protected (one-time playback tokens, cookies).
    pub protected: bool,
    /// Lifetime of a one-time playback token.
    pub protected_token_timeout: Duration,
    /// Lifetime of the resource-access cookie.
    pub protected_timeout: Duration,
    /// Time between two rescans of the spool (inotify wakes the importer in between).
    pub import_poll_interval: Duration,
    /// Largest upload body (`uploadRecording`) in bytes; larger ones get 413.
    pub upload_max_bytes: u64,
    /// This instance runs the importer (SCALELITE_RECORDING_IMPORTER, default true): `false`
    /// leaves the spool to other instances, as Scalelite's separate importer process allows.
    pub importer: bool,
}

/// The `recordings` section with the variables on top; problems are pushed to `errors`.
pub(super) fn recordings(
    file: Option<RecordingsSection>,
    env: &Env,
    data_dir: &Path,
    errors: &mut Vec<String>,
) -> RecordingsConfig {
    let file = file.unwrap_or_default();
    let base = data_dir.join("recordings");
    let dir = |key: &str, file: Option<String>, default: &str| -> PathBuf {
        let chosen = env
            .value(key)
            .map(|v| PathBuf::from(v.trim()))
            .or(file.filter(|f| !f.trim().is_empty()).map(PathBuf::from))
            .unwrap_or_else(|| base.join(default));
        std::path::absolute(&chosen).unwrap_or(chosen)
    };
    let flag = |key: &str, file: Option<bool>| env.flag(key).or(file).unwrap_or(false);
    let config = RecordingsConfig {
        disabled: flag("RECORDING_DISABLED", file.disabled),
        spool_dir: dir("RECORDING_SPOOL_DIR", file.spool_dir, "spool"),
        work_dir: dir("RECORDING_WORK_DIR", file.work_dir, "work"),
        publish_dir: dir("RECORDING_PUBLISH_DIR", file.publish_dir, "published"),
        unpublish_dir: dir("RECORDING_UNPUBLISH_DIR", file.unpublish_dir, "unpublished"),
        import_unpublished: flag("RECORDING_IMPORT_UNPUBLISHED", file.import_unpublished),
        playback_formats: formats(env, file.playback_formats, errors),
        get_recordings_api_filtered: flag(
            "GET_RECORDINGS_API_FILTERED",
            file.get_recordings_api_filtered,
        ),
        protected: flag("PROTECTED_RECORDINGS_ENABLED", file.protected_enabled),
        importer: env
            .flag("SCALELITE_RECORDING_IMPORTER")
            .or(file.importer)
            .unwrap_or(true),
        protected_token_timeout: minutes(
            env,
            "PROTECTED_RECORDINGS_TOKEN_TIMEOUT",
            file.protected_token_timeout,
            60.0,
            errors,
        ),
        protected_timeout: minutes(
            env,
            "PROTECTED_RECORDINGS_TIMEOUT",
            file.protected_timeout,
            360.0,
            errors,
        ),
        import_poll_interval: env.seconds(
            "RECORDING_IMPORT_POLL_INTERVAL",
            file.import_poll_interval,
            60.0,
            errors,
        ),
        upload_max_bytes: upload_max_bytes(env, file.upload_max_bytes, errors),
    };
    distinct_dirs(&config, errors);
    config
}

/// A `:` list from the variable, else the file's list, else Scalelite's default. A format is a
/// path segment of the playback routes: letters, digits, `_` and `-` only.
fn formats(env: &Env, file: Option<Vec<String>>, errors: &mut Vec<String>) -> Vec<String> {
    let (key, list) = match (env.get("RECORDING_PLAYBACK_FORMATS"), file) {
        (Some(v), _) => ("RECORDING_PLAYBACK_FORMATS", split(v)),
        (None, Some(list)) => ("recordings.playback_formats", list),
        (None, None) => ("", split(DEFAULT_FORMATS)),
    };
    let mut out: Vec<String> = Vec::new();
    for f in list.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
        let plain = f
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !plain {
            errors.push(format!(
                "{key}: '{f}' is not a format name (letters, digits, '_' and '-' only)"
            ));
        } else if !out.iter().any(|o| o == f) {
            out.push(f.to_string());
        }
    }
    out
}

fn split(list: &str) -> Vec<String> {
    list.split(':').map(String::from).collect()
}

/// Minutes (fractions allowed), positive.
fn minutes(
    env: &Env,
    key: &str,
    file: Option<f64>,
    default: f64,
    errors: &mut Vec<String>,
) -> Duration {
    let v = env.number::<f64>(key, errors).or(file).unwrap_or(default);
    match Duration::try_from_secs_f64(v * 60.0) {
        Ok(d) if v > 0.0 => d,
        _ => {
            errors.push(format!(
                "{key}: must be a positive number of minutes (got {v})"
            ));
            Duration::from_secs_f64(default * 60.0)
        }
    }
}

fn upload_max_bytes(env: &Env, file: Option<i64>, errors: &mut Vec<String>) -> u64 {
    let v = env
        .number::<i64>("RECORDING_UPLOAD_MAX_BYTES", errors)
        .or(file)
        .unwrap_or(DEFAULT_UPLOAD_MAX_BYTES as i64);
    if v <= 0 {
        errors.push(format!(
            "RECORDING_UPLOAD_MAX_BYTES: must be at least 1 byte (got {v})"
        ));
        return DEFAULT_UPLOAD_MAX_BYTES;
    }
    v as u64
}

/// The spool and the two recording trees must be three places: an import moves files from
/// one to another, and unpublishing into the published dir would keep serving them.
fn distinct_dirs(c: &RecordingsConfig, errors: &mut Vec<String>) {
    let dirs = [
        ("RECORDING_SPOOL_DIR", &c.spool_dir),
        ("RECORDING_PUBLISH_DIR", &c.publish_dir),
        ("RECORDING_UNPUBLISH_DIR", &c.unpublish_dir),
    ];
    for (i, (a, da)) in dirs.iter().enumerate() {
        for (b, db) in &dirs[i + 1..] {
            if da == db {
                errors.push(format!(
                    "{a} and {b}: must be different directories (both {})",
                    da.display()
                ));
            }
        }
    }
}

#[cfg(test)]
#[path = "recordings_tests.rs"]
mod tests;
