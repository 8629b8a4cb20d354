//! Placing a recording's files durably and atomically in the publish / unpublish directories.
//!
//! A recording appears at `<dir>/<format>/<record_id>` only complete: it is first put under a
//! hidden staging name **on the target filesystem** (a rename when the source is on the same
//! filesystem; across filesystems, where rename fails with EXDEV, a copy), every file and
//! directory of it is fsynced, and only then is it renamed into place. An existing copy is
//! replaced only after the new one is complete (it is renamed aside, the new one renamed in, the
//! old one removed), so between the two renames the recording is briefly absent — never partial.
//! A full disk, a read-only target or a permission problem leaves the previous state intact,
//! removes the staging copy and returns a transient error: the tarball stays in the spool.
//! Hidden names (a leading `.`) are never valid format names or record ids, so staging and
//! leftover directories can never be mistaken for a recording.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::error::ImportError;

/// Whether `name` may be used as one path component for a format name or a record id: not
/// empty, at most 200 bytes (room for the staging affixes within a 255-byte name), no `/`, `\`
/// or NUL, and no leading `.` (which also excludes `.`, `..` and our hidden staging names).
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
}

fn check_names(format: &str, record_id: &str) -> Result<(), ImportError> {
    if !valid_name(format) || !valid_name(record_id) {
        return Err(ImportError::permanent(format!(
            "invalid format {format:?} or record id {record_id:?}"
        )));
    }
    Ok(())
}

/// Makes the extracted `src` (a `<format>/<record_id>` directory) appear as
/// `<target_root>/<format>/<record_id>`, replacing a copy there, and then removes a copy in
/// `other_root` (§7.3 d: the recording is in exactly one of the publish and unpublish dirs).
/// `src` is consumed (moved, or copied and left for the caller's cleanup). Returns the new path.
pub(crate) fn place(
    src: &Path,
    format: &str,
    record_id: &str,
    target_root: &Path,
    other_root: &Path,
) -> Result<PathBuf, ImportError> {
    check_names(format, record_id)?;
    let placed = install(src, &target_root.join(format), record_id)?;
    let other = other_root.join(format).join(record_id);
    if other != placed {
        remove_tree(&other)?;
    }
    Ok(placed)
}

/// publishRecordings' move of one format (§7.7 step 4) from `current_root` to `target_root`:
/// only in the target → nothing; in neither → error; in both → the copy in current is deleted;
/// else it is moved (durably, as [`place`] does).
pub(crate) fn move_between(
    format: &str,
    record_id: &str,
    current_root: &Path,
    target_root: &Path,
) -> Result<(), ImportError> {
    check_names(format, record_id)?;
    let current = current_root.join(format).join(record_id);
    let target = target_root.join(format).join(record_id);
    let in_current = exists(&current)?;
    let in_target = exists(&target)?;
    match (in_current, in_target) {
        (false, true) => Ok(()),
        (false, false) => Err(ImportError::permanent(format!(
            "{format}/{record_id} is in neither the publish nor the unpublish dir"
        ))),
        (true, true) => remove_tree(&current),
        (true, false) => {
            // The files are already durable: on one filesystem a plain rename moves them
            // atomically, with no hidden staging copy that a crash could strand.
            let format_dir = target_root.join(format);
            let write_err = |e| ImportError::from_write(format!("moving {}", current.display()), e);
            DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(&format_dir)
                .map_err(write_err)?;
            match fs::rename(&current, &target) {
                Ok(()) => {
                    sync_dir(&format_dir)?;
                    sync_dir(&current_root.join(format))
                }
                Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
                    install(&current, &format_dir, record_id)?;
                    remove_tree(&current)
                }
                Err(e) => Err(write_err(e)),
            }
        }
    }
}

/// Removes what a crash can leave in `<root>/<format>/`: staging copies and replaced copies
/// (hidden names). Safe when no import runs (the importer calls it at start, holding its
/// lease): a staging copy is never the only copy — its tarball is still in the spool, or, for a
/// move across filesystems, its source is still in place. Returns how many were removed.
pub(crate) fn sweep_leftovers(root: &Path) -> Result<usize, ImportError> {
    let mut removed = 0;
    for format_dir in list(root)? {
        if !format_dir.is_dir() || hidden(&format_dir) {
            continue;
        }
        for entry in list(&format_dir)? {
            let name = entry.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            if name.starts_with(".staging-") || name.starts_with(".old-") {
                remove_tree(&entry)?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

fn hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// The paths in `dir`; a missing dir is empty.
fn list(dir: &Path) -> Result<Vec<PathBuf>, ImportError> {
    let list_err = |e| ImportError::from_write(format!("listing {}", dir.display()), e);
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(list_err(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        out.push(entry.map_err(list_err)?.path());
    }
    Ok(out)
}

/// deleteRecordings' file side (§7.9): removes every `<publish_dir>/*/<record_id>`; returns how
/// many were removed. A missing publish dir holds nothing.
pub(crate) fn delete_published(publish_dir: &Path, record_id: &str) -> Result<usize, ImportError> {
    if !valid_name(record_id) {
        return Err(ImportError::permanent(format!(
            "invalid record id {record_id:?}"
        )));
    }
    let mut removed = 0;
    for format_dir in list(publish_dir)? {
        if hidden(&format_dir) {
            continue;
        }
        let path = format_dir.join(record_id);
        if exists(&path)? {
            remove_tree(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

fn exists(path: &Path) -> Result<bool, ImportError> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(ImportError::from_write(
            format!("checking {}", path.display()),
            e,
        )),
    }
}

fn remove_tree(path: &Path) -> Result<(), ImportError> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ImportError::from_write(
            format!("removing {}", path.display()),
            e,
        )),
    }
}

/// Puts `src` at `format_dir/record_id` through a staging name in `format_dir`.
fn install(src: &Path, format_dir: &Path, record_id: &str) -> Result<PathBuf, ImportError> {
    let write_err =
        |what: &str, p: &Path, e| ImportError::from_write(format!("{what} {}", p.display()), e);
    DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(format_dir)
        .map_err(|e| write_err("creating", format_dir, e))?;
    let tag = uuid::Uuid::new_v4().simple();
    let staging = format_dir.join(format!(".staging-{record_id}-{tag}"));
    let (moved, staged) = match fs::rename(src, &staging) {
        Ok(()) => (true, sync_tree(&staging)),
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => (false, copy_tree(src, &staging)),
        Err(e) => return Err(write_err("moving to", &staging, e)),
    };
    if let Err(e) = staged.and_then(|()| sync_dir(format_dir)) {
        abandon(&staging, src, moved);
        return Err(e);
    }
    let target = format_dir.join(record_id);
    let aside = format_dir.join(format!(".old-{record_id}-{tag}"));
    let had_old = match fs::rename(&target, &aside) {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => {
            abandon(&staging, src, moved);
            return Err(write_err("replacing", &target, e));
        }
    };
    if let Err(e) = fs::rename(&staging, &target) {
        if had_old {
            let _ = fs::rename(&aside, &target);
        }
        abandon(&staging, src, moved);
        return Err(write_err("renaming into", &target, e));
    }
    sync_dir(format_dir)?;
    if had_old {
        if let Err(e) = fs::remove_dir_all(&aside) {
            // The new copy is in place; a hidden leftover is only wasted space.
            tracing::warn!(dir = %aside.display(), error = %e, "could not remove a replaced recording");
        }
    }
    Ok(target)
}

/// Undoes a failed install: a staged copy is removed; a source moved in by rename goes back
/// where it came from (the caller still owns it), so nothing hidden stays in the target dir.
fn abandon(staging: &Path, src: &Path, moved: bool) {
    let result = if moved {
        fs::rename(staging, src)
    } else {
        fs::remove_dir_all(staging)
    };
    if let Err(e) = result {
        tracing::warn!(dir = %staging.display(), error = %e, "could not undo a staged recording");
    }
}

/// Copies the tree `src` to the new directory `dst` (files 0644, directories 0755), fsyncing
/// each file and directory. Anything but a file or directory is refused.
fn copy_tree(src: &Path, dst: &Path) -> Result<(), ImportError> {
    let err =
        |what: &str, p: &Path, e| ImportError::from_write(format!("{what} {}", p.display()), e);
    DirBuilder::new()
        .mode(0o755)
        .create(dst)
        .map_err(|e| err("creating", dst, e))?;
    fs::set_permissions(dst, fs::Permissions::from_mode(0o755))
        .map_err(|e| err("creating", dst, e))?;
    let entries = fs::read_dir(src).map_err(|e| err("listing", src, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| err("listing", src, e))?;
        let from = entry.path();
        let to = dst.join(entry.file_name());
        let kind = entry.file_type().map_err(|e| err("reading", &from, e))?;
        if kind.is_dir() {
            copy_tree(&from, &to)?;
        } else if kind.is_file() {
            let mut input = File::open(&from).map_err(|e| err("reading", &from, e))?;
            let mut output = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .open(&to)
                .map_err(|e| err("writing", &to, e))?;
            io::copy(&mut input, &mut output).map_err(|e| err("writing", &to, e))?;
            output
                .set_permissions(fs::Permissions::from_mode(0o644))
                .map_err(|e| err("writing", &to, e))?;
            output.sync_all().map_err(|e| err("syncing", &to, e))?;
        } else {
            return Err(ImportError::permanent(format!(
                "{} is not a file",
                from.display()
            )));
        }
    }
    sync_dir(dst)
}

/// fsyncs every file and directory under `dir` (after a rename on the same filesystem the data
/// written at extraction may still be only in the page cache).
fn sync_tree(dir: &Path) -> Result<(), ImportError> {
    let err =
        |what: &str, p: &Path, e| ImportError::from_write(format!("{what} {}", p.display()), e);
    for entry in fs::read_dir(dir).map_err(|e| err("listing", dir, e))? {
        let entry = entry.map_err(|e| err("listing", dir, e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| err("reading", &path, e))?;
        if kind.is_dir() {
            sync_tree(&path)?;
        } else {
            File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(|e| err("syncing", &path, e))?;
        }
    }
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<(), ImportError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| ImportError::from_write(format!("syncing {}", dir.display()), e))
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
