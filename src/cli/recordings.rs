//! `scalelite recordings …`: list, import, publish, unpublish, delete and check recordings.
//!
//! Which way each command reaches the recordings, and why (the CLI never opens the database
//! itself, as for the other commands: see `crate::cli`):
//! - `list`, `publish`, `unpublish`, `delete` are the instance's own BBB calls (getRecordings,
//!   publishRecordings, deleteRecordings) signed with the load balancer's secret: the same
//!   code path, file moves and rules (RECORDING_DISABLED, ordering) as a front-end gets.
//!   `--meta` filters are sent as `meta_<key>` (which getRecordings ORs, as Scalelite does) and
//!   then all required here, so several `--meta` narrow the list.
//! - `import` copies tarballs into the spool the instance's importer watches (`import.rs`) and
//!   follows them there: the importer already does the safe extraction, the placing and the
//!   failed/ handling, and one importer at a time holds the lease. It needs the spool dir, so
//!   it runs on a host that sees it (RECORDING_SPOOL_DIR from the same configuration).
//! - `check` is the admin call `checkRecordings` (`crate::admin`): it needs both the index and
//!   the dirs, and an instance has both with the right permissions and the same database
//!   settings; the repairs then happen where publishRecordings moves files too. Reading the
//!   database from the CLI would need a second database client setup here for one command.

use super::recordings_xml::parse_recordings;
use super::{print_json, Admin, Failure, Outcome};
use crate::bbb::xml;
use serde_json::{json, Value};

/// The `recordings` sub-commands (parsed by the binary with clap).
#[derive(Debug, clap::Subcommand)]
pub enum RecordingsCommand {
    /// List recordings (published and unpublished unless --state says otherwise).
    List {
        #[arg(long)]
        meeting_id: Option<String>,
        /// Record id or its prefix.
        #[arg(long)]
        record_id: Option<String>,
        /// published, unpublished, deleted, … or `any` (comma-separated).
        #[arg(long)]
        state: Option<String>,
        /// Metadata that must match, as key=value (repeatable; all must match).
        #[arg(long, value_name = "KEY=VALUE")]
        meta: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Import recording tarballs (a file, or every *.tar / *.tar.gz of a directory) through
    /// the instance's spool, and wait for the importer.
    Import {
        path: std::path::PathBuf,
        /// Seconds to wait for the importer.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Publish recordings (their files move to the publish dir).
    Publish {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Unpublish recordings (their files move to the unpublish dir).
    Unpublish {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Delete recordings and their files.
    Delete {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Compare the database with the files on disk.
    Check {
        /// Move recordings found in the wrong (publish/unpublish) dir to the right one.
        #[arg(long)]
        fix: bool,
        /// Remove directories that no recording in the database knows.
        #[arg(long)]
        delete_orphans: bool,
        #[arg(long)]
        json: bool,
    },
}

/// Run one `recordings` command against the instance.
pub async fn run(admin: &Admin, config: &crate::config::Config, cmd: RecordingsCommand) -> Outcome {
    use RecordingsCommand as C;
    match cmd {
        C::List {
            meeting_id,
            record_id,
            state,
            meta,
            json,
        } => {
            let filters = Filters {
                meeting_id,
                record_id,
                state,
                meta,
            };
            list(admin, &filters, json).await
        }
        C::Import { path, timeout } => {
            let wait = std::time::Duration::from_secs(timeout);
            super::import::import(&config.recordings.spool_dir, &path, wait).await
        }
        C::Publish { ids } => publish(admin, &ids, true).await,
        C::Unpublish { ids } => publish(admin, &ids, false).await,
        C::Delete { ids } => delete(admin, &ids).await,
        C::Check {
            fix,
            delete_orphans,
            json,
        } => check(admin, fix, delete_orphans, json).await,
    }
}

/// `list`'s filters.
#[derive(Debug, Default)]
pub struct Filters {
    pub meeting_id: Option<String>,
    pub record_id: Option<String>,
    pub state: Option<String>,
    pub meta: Vec<String>,
}

/// A BBB answer that is not SUCCESS, as the CLI's error line.
fn refused(raw: &[u8]) -> Failure {
    match xml::parse_envelope(raw) {
        Some(env) => Failure(format!(
            "ERROR: {}: {}",
            env.message_key.unwrap_or_default(),
            env.message.unwrap_or_default()
        )),
        None => Failure::new("ERROR: the instance's answer is not BBB XML"),
    }
}

/// `recordings list`.
pub async fn list(admin: &Admin, f: &Filters, as_json: bool) -> Outcome {
    let mut meta = Vec::new();
    for m in &f.meta {
        match m.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => meta.push((
                format!("meta_{}", k.trim()),
                k.trim().to_string(),
                v.to_string(),
            )),
            _ => return Err(Failure(format!("ERROR: --meta wants KEY=VALUE, not {m:?}"))),
        }
    }
    let mut query: Vec<(&str, &str)> = Vec::new();
    for (key, value) in [
        ("meetingID", &f.meeting_id),
        ("recordID", &f.record_id),
        ("state", &f.state),
    ] {
        if let Some(v) = value {
            query.push((key, v));
        }
    }
    for (param, _, v) in &meta {
        query.push((param, v));
    }
    let (_, raw) = admin.bbb_get("getRecordings", &query).await?;
    if !xml::parse_envelope(&raw).is_some_and(|e| e.is_success()) {
        return Err(refused(&raw));
    }
    let all = parse_recordings(&raw).ok_or_else(|| refused(&raw))?;
    let selected: Vec<Value> = all
        .into_iter()
        .filter(|r| {
            meta.iter()
                .all(|(_, k, v)| r["metadata"][k.as_str()].as_str() == Some(v.as_str()))
        })
        .collect();
    if as_json {
        print_json(&Value::Array(selected));
        return Ok(());
    }
    if selected.is_empty() {
        eprintln!("No recordings to display");
        return Ok(());
    }
    let text = |r: &Value, k: &str| r[k].as_str().unwrap_or("").to_string();
    let rows: Vec<[String; 6]> = selected
        .iter()
        .map(|r| {
            let formats: Vec<&str> = r["formats"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            [
                text(r, "recordID"),
                text(r, "meetingID"),
                text(r, "state"),
                text(r, "startTime"),
                formats.join(","),
                text(r, "name"),
            ]
        })
        .collect();
    print_table(
        &[
            "RECORD ID",
            "MEETING ID",
            "STATE",
            "START (ms)",
            "FORMATS",
            "NAME",
        ],
        &rows,
    );
    Ok(())
}

fn print_table(header: &[&str; 6], rows: &[[String; 6]]) {
    let mut widths = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// `recordings publish|unpublish ID…`: one call per id, so each unknown id is reported.
pub async fn publish(admin: &Admin, ids: &[String], publish: bool) -> Outcome {
    let (verb, value) = if publish {
        ("Publishing", "true")
    } else {
        ("Unpublishing", "false")
    };
    each(ids, verb, |id| async move {
        let q = [("recordID", id.as_str()), ("publish", value)];
        admin.bbb_get("publishRecordings", &q).await
    })
    .await
}

/// `recordings delete ID…`.
pub async fn delete(admin: &Admin, ids: &[String]) -> Outcome {
    each(ids, "Deleting", |id| async move {
        admin
            .bbb_get("deleteRecordings", &[("recordID", id.as_str())])
            .await
    })
    .await
}

/// Run `call` for every id, print `<verb> recording <id>... OK` or the error; fail when any did.
async fn each<F, Fut>(ids: &[String], verb: &str, call: F) -> Outcome
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<(u16, bytes::Bytes), Failure>>,
{
    let mut failed = 0;
    for id in ids {
        let (_, raw) = call(id.clone()).await?;
        match xml::parse_envelope(&raw) {
            Some(env) if env.is_success() => println!("{verb} recording {id}... OK"),
            Some(env) if env.message_key.as_deref() == Some("notFound") => {
                failed += 1;
                eprintln!("ERROR: No recording found with id: {id}");
            }
            _ => {
                failed += 1;
                eprintln!("{verb} recording {id}... {}", refused(&raw).0);
            }
        }
    }
    match failed {
        0 => Ok(()),
        n => Err(Failure(format!(
            "ERROR: {n} of {} recordings failed",
            ids.len()
        ))),
    }
}

/// `recordings check [--fix] [--delete-orphans]`: fails (exit 1) while an inconsistency is left.
pub async fn check(admin: &Admin, fix: bool, delete_orphans: bool, as_json: bool) -> Outcome {
    let body = json!({ "fix": fix, "delete_orphans": delete_orphans });
    let answer = admin.post("checkRecordings", &body).await?;
    if !answer.ok() {
        return Err(Failure(format!("ERROR: {}", answer.error_text())));
    }
    let r = &answer.body;
    if as_json {
        print_json(r);
    }
    let list = |k: &str| r[k].as_array().cloned().unwrap_or_default();
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or("").to_string();
    let mut left = 0;
    for m in list("missing") {
        left += 1;
        if !as_json {
            println!(
                "missing: {} {} (no files at {})",
                s(&m, "record_id"),
                s(&m, "format"),
                s(&m, "expected")
            );
        }
    }
    for m in list("misplaced") {
        let fixed = m["fixed"].as_bool() == Some(true);
        left += usize::from(!fixed);
        if !as_json {
            let state = match (fixed, m["error"].as_str()) {
                (true, _) => "moved".to_string(),
                (false, Some(e)) => format!("NOT moved: {e}"),
                (false, None) => "use --fix to move it".to_string(),
            };
            println!(
                "misplaced: {} {} in {} instead of {} ({state})",
                s(&m, "record_id"),
                s(&m, "format"),
                s(&m, "found"),
                s(&m, "expected")
            );
        }
    }
    for o in list("orphans") {
        let deleted = o["deleted"].as_bool() == Some(true);
        left += usize::from(!deleted);
        if !as_json {
            let state = match (deleted, o["error"].as_str()) {
                (true, _) => "deleted".to_string(),
                (false, Some(e)) => format!("NOT deleted: {e}"),
                (false, None) => "no recording in the database; --delete-orphans removes it".into(),
            };
            println!("orphan: {} ({state})", s(&o, "path"));
        }
    }
    if left == 0 {
        if !as_json {
            println!("OK");
        }
        return Ok(());
    }
    Err(Failure(format!("ERROR: {left} inconsistencies left")))
}
