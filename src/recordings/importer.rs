//! Importing one tarball (§7.3): extract it (safely, in the work dir), then for each of its
//! `<format>/<record_id>` directories read metadata.xml, write its rows and put its files in the
//! publish or unpublish dir — the rows committed only once the files are in place, so no
//! half-imported recording is ever visible. The spool (`spool.rs`) decides from the outcome
//! what becomes of the tarball.

use super::error::ImportError;
use super::spool::Outcome;
use super::tarball::{self, Limits};
use super::{files, metadata, write};
use crate::db::Database;
use std::path::PathBuf;

/// Where and how recordings are imported (from the RECORDING_* settings).
#[derive(Clone)]
pub(crate) struct Importer {
    pub(crate) db: Database,
    pub(crate) work_dir: PathBuf,
    pub(crate) publish_dir: PathBuf,
    pub(crate) unpublish_dir: PathBuf,
    /// RECORDING_IMPORT_UNPUBLISHED.
    pub(crate) import_unpublished: bool,
    /// PROTECTED_RECORDINGS_ENABLED.
    pub(crate) protected: bool,
    pub(crate) limits: Limits,
}

/// What an import error means for the tarball.
fn outcome(e: &ImportError) -> Outcome {
    if e.is_transient() {
        Outcome::Transient(e.to_string())
    } else {
        Outcome::Permanent(e.to_string())
    }
}

impl Importer {
    /// What a process that died mid-import left behind: extraction dirs in the work dir and
    /// staging copies in the publish and unpublish dirs (call while holding the lease).
    pub(crate) async fn sweep(&self) {
        let dirs = [
            (self.work_dir.clone(), true),
            (self.publish_dir.clone(), false),
            (self.unpublish_dir.clone(), false),
        ];
        let swept = tokio::task::spawn_blocking(move || {
            dirs.iter()
                .filter(|(dir, _)| dir.is_dir())
                .map(|(dir, work)| {
                    if *work {
                        super::extracted::sweep_work_dir(dir)
                    } else {
                        files::sweep_leftovers(dir)
                    }
                })
                .map(|r| r.unwrap_or(0))
                .sum::<usize>()
        })
        .await
        .unwrap_or(0);
        if swept > 0 {
            log::warn!("removed {swept} leftover(s) of an interrupted import");
        }
    }

    /// Import one tarball. Formats that cannot import are skipped (as Scalelite does); a tarball
    /// none of whose formats imports can never import. A database or disk failure leaves it
    /// for the next pass.
    pub(crate) async fn import(&self, tarball: PathBuf) -> Outcome {
        let (work, limits) = (self.work_dir.clone(), self.limits);
        let extracted = match tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&work)
                .map_err(|e| ImportError::from_write(format!("work dir {}", work.display()), e))?;
            tarball::extract(&tarball, &work, &limits)
        })
        .await
        {
            Ok(Ok(extracted)) => extracted,
            Ok(Err(e)) => return outcome(&e),
            Err(e) => return Outcome::Transient(format!("extraction task: {e}")),
        };
        let mut imported = Vec::new();
        let mut skipped = Vec::new();
        for f in &extracted.formats {
            let meta = match metadata::read_metadata(&f.dir) {
                Ok(m) if m.record_id == f.record_id && m.format == f.format => m,
                Ok(m) => {
                    skipped.push(format!(
                        "{}/{}: metadata.xml is for {}/{}",
                        f.format, f.record_id, m.format, m.record_id
                    ));
                    continue;
                }
                Err(e) if e.is_transient() => return outcome(&e),
                Err(e) => {
                    skipped.push(format!("{}/{}: {e}", f.format, f.record_id));
                    continue;
                }
            };
            let (src, format, record_id) = (f.dir.clone(), f.format.clone(), f.record_id.clone());
            let (publish, unpublish) = (self.publish_dir.clone(), self.unpublish_dir.clone());
            // The files go in place inside the rows' transaction: a failure rolls the rows back.
            let placed = write::upsert_then(
                &self.db,
                &meta,
                self.import_unpublished,
                self.protected,
                |up| async move {
                    let (target, other) = if up.published {
                        (publish, unpublish)
                    } else {
                        (unpublish, publish)
                    };
                    tokio::task::spawn_blocking(move || {
                        files::place(&src, &format, &record_id, &target, &other)
                    })
                    .await
                    .unwrap_or_else(|e| Err(ImportError::permanent(format!("placing task: {e}"))))
                    .map(drop)
                },
            )
            .await;
            match placed {
                Ok(Ok(up)) => imported.push((meta.meeting_id.clone(), up.recording_id)),
                Ok(Err(e)) if e.is_transient() => return outcome(&e),
                Ok(Err(e)) => skipped.push(format!("{}/{}: {e}", f.format, f.record_id)),
                // The database is down or refused the write: everything is retried later.
                Err(e) => return Outcome::Transient(e.to_string()),
            }
        }
        for s in &skipped {
            log::warn!("recording format not imported: {s}");
        }
        let Some((meeting_id, recording_id)) = imported.last() else {
            return Outcome::Permanent(format!("no format imported: {}", skipped.join("; ")));
        };
        if let Err(e) = write::link_callback_data(&self.db, meeting_id, *recording_id).await {
            log::warn!("callback data of meeting {meeting_id}: {e}");
        }
        log::info!(
            "imported recording of meeting {meeting_id} ({} format(s))",
            imported.len()
        );
        Outcome::Imported
    }
}
