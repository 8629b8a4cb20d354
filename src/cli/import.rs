//! `scalelite recordings import FILE|DIR`: hand tarballs to the instance's importer through the
//! spool it watches, then follow them with a progress bar until each is imported (gone from
//! the spool) or failed (moved to `failed/`, its `.reason` beside it).
//!
//! Each tarball is written atomically, as rsync and uploadRecording do: under a hidden name in
//! the spool dir (the importer skips hidden files), fsynced, then renamed to its `*.tar` name,
//! so the importer never sees half a file. A name already waiting in the spool is not replaced.
//! A tarball is told from another of the same name in `failed/` by its inode (a rename keeps
//! it), so an older failure of the same name is never taken for this one.

use super::{Failure, Outcome};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const FAILED_DIR: &str = "failed";

/// The tarballs to import: the file itself, or the `*.tar` / `*.tar.gz` files of a directory
/// (not hidden, not recursive), by name.
fn tarballs(path: &Path) -> io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found: Vec<PathBuf> = fs::read_dir(path)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                !n.starts_with('.') && (n.ends_with(".tar") || n.ends_with(".tar.gz"))
            })
        })
        .collect();
    found.sort();
    Ok(found)
}

/// Copy `src` into `spool` atomically; the inode of the spooled file.
fn spool_one(src: &Path, spool: &Path, name: &str) -> io::Result<u64> {
    let target = spool.join(name);
    if target.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} is already waiting in the spool", target.display()),
        ));
    }
    let hidden = spool.join(format!(".{name}.cli-{}", std::process::id()));
    let copied = (|| {
        fs::copy(src, &hidden)?;
        File::open(&hidden)?.sync_all()?;
        fs::rename(&hidden, &target)?;
        File::open(spool)?.sync_all()?;
        Ok::<_, io::Error>(fs::metadata(&target)?.ino())
    })();
    if copied.is_err() {
        let _ = fs::remove_file(&hidden);
    }
    copied
}

/// Where a spooled tarball went: `None` while it is still waiting (or being imported).
enum Fate {
    Imported,
    Failed(String),
}

fn fate(spool: &Path, name: &str, ino: u64) -> Option<Fate> {
    if spool.join(name).exists() {
        return None;
    }
    let failed = spool.join(FAILED_DIR);
    let moved = fs::read_dir(&failed)
        .into_iter()
        .flatten()
        .flatten()
        .find(|e| {
            // Spool::fail keeps the name (or prefixes a stamp); the name as well as the inode,
            // because a freed inode is soon reused (by a `.reason` file, for one).
            let n = e.file_name().to_string_lossy().into_owned();
            (n == name || n.ends_with(&format!("-{name}")))
                && e.metadata().is_ok_and(|m| m.is_file() && m.ino() == ino)
        });
    let Some(entry) = moved else {
        return Some(Fate::Imported);
    };
    let mut reason = entry.path().into_os_string();
    reason.push(".reason");
    // The reason is written just after the move: wait for it.
    let text = fs::read_to_string(PathBuf::from(reason)).ok()?;
    Some(Fate::Failed(text.trim().to_string()))
}

/// `recordings import FILE|DIR`: exit 1 when any tarball failed or did not finish in `wait`.
pub(crate) async fn import(spool: &Path, path: &Path, wait: Duration) -> Outcome {
    let files = tarballs(path)
        .map_err(|e| Failure(format!("ERROR: cannot read {}: {e}", path.display())))?;
    if files.is_empty() {
        return Err(Failure(format!("ERROR: no tarballs in {}", path.display())));
    }
    fs::create_dir_all(spool)
        .map_err(|e| Failure(format!("ERROR: spool {}: {e}", spool.display())))?;
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let say = |line: String| bar.suspend(|| println!("{line}"));
    let (mut waiting, mut failed) = (Vec::new(), 0usize);
    for src in &files {
        let name = src
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match spool_one(src, spool, &name) {
            Ok(ino) => waiting.push((name, ino)),
            Err(e) => {
                failed += 1;
                bar.inc(1);
                say(format!("FAILED {name}: {e}"));
            }
        }
    }
    bar.set_message("importing");
    let deadline = Instant::now() + wait;
    while !waiting.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        waiting.retain(|(name, ino)| match fate(spool, name, *ino) {
            None => true,
            Some(Fate::Imported) => {
                bar.inc(1);
                say(format!("imported {name}"));
                false
            }
            Some(Fate::Failed(reason)) => {
                failed += 1;
                bar.inc(1);
                say(format!("FAILED {name}: {reason}"));
                false
            }
        });
    }
    bar.finish_and_clear();
    for (name, _) in &waiting {
        println!("still waiting: {name} (is the instance's importer running?)");
    }
    let done = files.len() - failed - waiting.len();
    println!(
        "{done} imported, {failed} failed, {} waiting",
        waiting.len()
    );
    if failed + waiting.len() > 0 {
        return Err(Failure(format!(
            "ERROR: {} of {} tarballs not imported",
            failed + waiting.len(),
            files.len()
        )));
    }
    Ok(())
}
