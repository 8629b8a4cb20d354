//! What an extraction leaves in the work dir: the `<format>/<record_id>` directories found (each
//! with its metadata.xml), removed with the extraction dir when dropped, and the sweep of the
//! extraction dirs a crash left behind.

use std::fs;
use std::path::{Path, PathBuf};

use super::error::ImportError;

/// One `<format>/<record_id>` directory of an extracted tarball (it holds a `metadata.xml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExtractedFormat {
    pub(crate) format: String,
    pub(crate) record_id: String,
    pub(crate) dir: PathBuf,
}

/// An extracted tarball. Its directory is removed when this is dropped, whatever happened.
#[derive(Debug)]
pub(crate) struct Extracted {
    pub(super) root: PathBuf,
    /// Sorted by format, then record id.
    pub(crate) formats: Vec<ExtractedFormat>,
}

impl Extracted {
    #[cfg(test)]
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }
}

impl Drop for Extracted {
    fn drop(&mut self) {
        match fs::remove_dir_all(&self.root) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                tracing::warn!(dir = %self.root.display(), error = %e, "could not remove an import dir");
            }
            _ => {}
        }
    }
}

/// Removes the extraction dirs a crash left in `work_dir` (call when no import runs: at the
/// importer's start). Returns how many were removed.
pub(crate) fn sweep_work_dir(work_dir: &Path) -> Result<usize, ImportError> {
    let err = |e| ImportError::from_write(format!("cleaning {}", work_dir.display()), e);
    let entries = match fs::read_dir(work_dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        other => other.map_err(err)?,
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(err)?;
        if entry.file_name().to_string_lossy().starts_with(".import-") {
            fs::remove_dir_all(entry.path()).map_err(err)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Every `<format>/<record_id>` directory; each must hold a regular `metadata.xml`.
pub(super) fn find_formats(root: &Path) -> Result<Vec<ExtractedFormat>, ImportError> {
    let list = |dir: &Path| -> Result<Vec<(String, PathBuf)>, ImportError> {
        let mut out = Vec::new();
        let entries = fs::read_dir(dir)
            .map_err(|e| ImportError::from_write(format!("listing {}", dir.display()), e))?;
        for entry in entries {
            let entry = entry
                .map_err(|e| ImportError::from_write(format!("listing {}", dir.display()), e))?;
            // Only directories are created at these levels (files there are refused above).
            let name = entry.file_name().to_string_lossy().into_owned();
            out.push((name, entry.path()));
        }
        out.sort();
        Ok(out)
    };
    let mut formats = Vec::new();
    for (format, format_dir) in list(root)? {
        for (record_id, dir) in list(&format_dir)? {
            let has_metadata = fs::symlink_metadata(dir.join("metadata.xml"))
                .map(|m| m.is_file())
                .unwrap_or(false);
            if !has_metadata {
                return Err(ImportError::permanent(format!(
                    "{format}/{record_id} has no metadata.xml"
                )));
            }
            formats.push(ExtractedFormat {
                format: format.clone(),
                record_id,
                dir,
            });
        }
    }
    if formats.is_empty() {
        return Err(ImportError::permanent(
            "no <format>/<record_id>/metadata.xml in the tarball",
        ));
    }
    Ok(formats)
}
