//! The spool: where tarballs wait for the importer (`RECORDING_SPOOL_DIR`, filled by BBB
//! servers' rsync or by uploadRecording). A pass imports every waiting tarball, oldest first,
//! and decides by the import's outcome what becomes of it: gone once imported, moved to
//! `failed/` (with the reason beside it) when it can never import, left for the next pass when
//! the failure may pass (disk full, database down). A tarball leaves the spool only after its
//! import said so, so a crash at any point leaves it to be imported again.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

/// Where tarballs that can never import are kept for an operator to look at.
pub(crate) const FAILED_DIR: &str = "failed";

/// What one import made of a tarball.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// Its files are in place and its rows committed: the tarball may go.
    Imported,
    /// It can never import (corrupt, hostile, no metadata.xml, unknown layout).
    Permanent(String),
    /// It may import later (disk full, read-only target, database unreachable).
    Transient(String),
}

/// What a pass did, for the log and the metrics.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct PassSummary {
    pub(crate) imported: usize,
    pub(crate) failed: usize,
    pub(crate) retry: usize,
}

pub(crate) struct Spool {
    dir: PathBuf,
}

impl Spool {
    pub(crate) fn new(dir: impl Into<PathBuf>) -> Spool {
        Spool { dir: dir.into() }
    }

    /// The tarballs waiting, oldest first: `*.tar` and `*.tar.gz` files directly in the spool.
    /// Hidden files are uploads still being written (renamed into place when complete), so
    /// they are not waiting yet.
    pub(crate) fn pending(&self) -> io::Result<Vec<PathBuf>> {
        let mut found: Vec<(SystemTime, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let is_tarball = name.ends_with(".tar") || name.ends_with(".tar.gz");
            if name.starts_with('.') || !is_tarball {
                continue;
            }
            let meta = entry.metadata()?;
            if !meta.is_file() {
                continue;
            }
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            found.push((modified, entry.path()));
        }
        found.sort();
        Ok(found.into_iter().map(|(_, p)| p).collect())
    }

    /// Move a tarball that can never import to `failed/`, with `<name>.reason` beside it, so
    /// the importer does not try it again and again (Scalelite #625) and nothing is lost.
    pub(crate) fn fail(&self, tarball: &Path, reason: &str) -> io::Result<PathBuf> {
        let failed = self.dir.join(FAILED_DIR);
        std::fs::create_dir_all(&failed)?;
        let name = tarball
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
        let mut target = failed.join(name);
        if target.exists() {
            // An earlier tarball of the same name failed too: keep both.
            let stamp = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            target = failed.join(format!("{stamp}-{}", name.to_string_lossy()));
        }
        std::fs::rename(tarball, &target)?;
        let mut reason_file = target.clone().into_os_string();
        reason_file.push(".reason");
        std::fs::write(PathBuf::from(reason_file), format!("{reason}\n"))?;
        Ok(target)
    }

    /// Import every waiting tarball once with `import`.
    pub(crate) async fn pass<F, Fut>(&self, mut import: F) -> io::Result<PassSummary>
    where
        F: FnMut(PathBuf) -> Fut,
        Fut: Future<Output = Outcome>,
    {
        let pending = self.pending()?;
        crate::metrics::imports::queue(pending.len());
        let mut summary = PassSummary::default();
        for tarball in pending {
            let started = Instant::now();
            let outcome = import(tarball.clone()).await;
            let result = match outcome {
                Outcome::Imported => {
                    // The import may have removed it already; what matters is that it is gone.
                    match std::fs::remove_file(&tarball) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                        Err(e) => {
                            log::error!("imported {} but cannot remove it: {e}", tarball.display())
                        }
                    }
                    summary.imported += 1;
                    "imported"
                }
                Outcome::Permanent(reason) => {
                    log::error!(
                        "recording {} cannot be imported: {reason}",
                        tarball.display()
                    );
                    match self.fail(&tarball, &reason) {
                        Ok(at) => log::warn!("moved to {}", at.display()),
                        Err(e) => log::error!("cannot move {} to failed/: {e}", tarball.display()),
                    }
                    summary.failed += 1;
                    "failed"
                }
                Outcome::Transient(reason) => {
                    log::warn!("recording {} not imported yet: {reason}", tarball.display());
                    summary.retry += 1;
                    "retry"
                }
            };
            crate::metrics::imports::import(result, started.elapsed());
        }
        Ok(summary)
    }
}

#[cfg(test)]
mod tests;
