//! Safe, streamed extraction of a spool tarball into a fresh directory under the work dir.
//!
//! The sender is assumed hostile. Entries are read one at a time and streamed to disk (bounded
//! memory: extension headers are read only up to a small cap, file data in 64 KiB chunks), and
//! refused — a permanent failure, the tarball goes to `failed/` — when they could escape or harm:
//! absolute paths and `..`; **every** symbolic and hard link (BBB's publish scripts write only
//! files and directories, so a link is never legitimate and refusing all of them leaves no
//! escape to reason about); devices, fifos and sparse entries; more than `max_entries` entries, a
//! file over `max_file_bytes`, more than `max_total_bytes` in all; a path deeper than
//! [`MAX_DEPTH`]. Ownership, modes and mtimes of the tarball are ignored: files are 0644 and
//! directories 0755, so no setuid file can come out of it. The layout must be
//! `<format>/<record_id>/…` with a `metadata.xml` in each `<format>/<record_id>`; anything else
//! is a permanent failure. Any failure removes the partial extraction.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tar::EntryType;

use super::error::ImportError;
use super::extracted::find_formats;
use super::extracted::Extracted;
use super::files::valid_name;

/// Deepest path accepted inside a tarball (BBB's deepest is about 6).
pub(crate) const MAX_DEPTH: usize = 32;
/// Largest GNU long-name or PAX header read into memory.
const MAX_EXTENSION_BYTES: u64 = 64 * 1024;
const CHUNK: usize = 64 * 1024;
const FILE_MODE: u32 = 0o644;
const DIR_MODE: u32 = 0o755;

/// Bounds against size and entry-count bombs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) max_total_bytes: u64,
    pub(crate) max_file_bytes: u64,
    pub(crate) max_entries: u64,
}

impl Default for Limits {
    /// Generous for real recordings (hours of video, thousands of slides), finite for bombs.
    fn default() -> Self {
        Limits {
            max_total_bytes: 64 << 30,
            max_file_bytes: 32 << 30,
            max_entries: 200_000,
        }
    }
}

/// Extracts the tarball at `tarball` (plain tar, or gzip-compressed tar) into a fresh directory
/// under `work_dir`.
pub(crate) fn extract(
    tarball: &Path,
    work_dir: &Path,
    limits: &Limits,
) -> Result<Extracted, ImportError> {
    let file = File::open(tarball)
        .map_err(|e| ImportError::from_read(format!("opening {}", tarball.display()), e))?;
    extract_from(file, work_dir, limits)
}

/// Extracts a tarball read from `input`; gzip is recognised by its magic bytes.
pub(crate) fn extract_from<R: Read>(
    input: R,
    work_dir: &Path,
    limits: &Limits,
) -> Result<Extracted, ImportError> {
    let mut buffered = BufReader::with_capacity(CHUNK, input);
    let head = buffered
        .fill_buf()
        .map_err(|e| ImportError::from_read("reading the tarball", e))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let gunzip = flate2::bufread::MultiGzDecoder::new(buffered);
        extract_plain(gunzip, work_dir, limits)
    } else {
        extract_plain(buffered, work_dir, limits)
    }
}

fn extract_plain(
    reader: impl Read,
    work_dir: &Path,
    limits: &Limits,
) -> Result<Extracted, ImportError> {
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(work_dir)
        .map_err(|e| ImportError::from_write(format!("creating {}", work_dir.display()), e))?;
    let root = work_dir.join(format!(".import-{}", uuid::Uuid::new_v4().simple()));
    DirBuilder::new()
        .mode(0o700)
        .create(&root)
        .map_err(|e| ImportError::from_write(format!("creating {}", root.display()), e))?;
    let mut extracted = Extracted {
        root,
        formats: Vec::new(),
    };
    // On error `extracted` drops here and takes the partial extraction with it.
    unpack(reader, &extracted.root, limits)?;
    extracted.formats = find_formats(&extracted.root)?;
    Ok(extracted)
}

fn unpack(reader: impl Read, root: &Path, limits: &Limits) -> Result<(), ImportError> {
    let read_err = |e| ImportError::from_read("reading the tarball", e);
    let mut archive = tar::Archive::new(reader);
    // Raw mode: the crate would read GNU long names and PAX headers of any size into memory;
    // here they are read with a cap.
    let entries = archive.entries().map_err(read_err)?.raw(true);
    let mut long_name: Option<Vec<u8>> = None;
    let mut pax_path: Option<Vec<u8>> = None;
    let mut pax_size: Option<u64> = None;
    let mut count = 0u64;
    let mut total = 0u64;
    for entry in entries {
        let mut entry = entry.map_err(read_err)?;
        count += 1;
        if count > limits.max_entries {
            return Err(ImportError::permanent(format!(
                "more than {} entries in the tarball",
                limits.max_entries
            )));
        }
        let kind = entry.header().entry_type();
        match kind {
            EntryType::GNULongName => {
                let mut name = read_extension(&mut entry)?;
                while name.last() == Some(&0) {
                    name.pop();
                }
                long_name = Some(name);
                continue;
            }
            EntryType::XHeader => {
                let data = read_extension(&mut entry)?;
                for ext in tar::PaxExtensions::new(&data) {
                    let ext =
                        ext.map_err(|e| ImportError::permanent(format!("bad PAX header: {e}")))?;
                    match ext.key() {
                        Ok("path") => pax_path = Some(ext.value_bytes().to_vec()),
                        Ok("size") => {
                            let size = ext.value().ok().and_then(|v| v.parse::<u64>().ok());
                            pax_size = Some(size.ok_or_else(|| {
                                ImportError::permanent("bad PAX size".to_string())
                            })?);
                        }
                        // Links are refused below; ownership, times and xattrs are ignored.
                        _ => {}
                    }
                }
                continue;
            }
            EntryType::XGlobalHeader => {
                read_extension(&mut entry)?;
                continue;
            }
            EntryType::Regular | EntryType::Continuous | EntryType::Directory => {}
            EntryType::Symlink | EntryType::Link | EntryType::GNULongLink => {
                return Err(ImportError::permanent(
                    "links are refused in a recording tarball",
                ));
            }
            other => {
                return Err(ImportError::permanent(format!(
                    "entry type {other:?} is refused in a recording tarball"
                )));
            }
        }
        // A PAX path wins over a GNU long name, which wins over the header's name.
        let gnu_name = long_name.take();
        let raw_path = pax_path
            .take()
            .or(gnu_name)
            .unwrap_or_else(|| entry.path_bytes().into_owned());
        let declared = entry.size();
        // In raw mode the crate does not apply a PAX size; one that disagrees with the header
        // would make this reader and others see different archives, so it is refused.
        if pax_size.take().is_some_and(|s| s != declared) {
            return Err(ImportError::permanent("PAX size overrides the header size"));
        }
        let parts = entry_path(&raw_path)?;
        if parts.is_empty() {
            continue; // "./"
        }
        if kind == EntryType::Directory {
            make_dirs(root, &parts)?;
            continue;
        }
        if parts.len() < 3 {
            return Err(ImportError::permanent(format!(
                "unknown layout: file {} outside <format>/<record_id>/",
                parts.join("/")
            )));
        }
        if declared > limits.max_file_bytes {
            return Err(ImportError::permanent(format!(
                "{} declares {declared} bytes, over the per-file limit",
                parts.join("/")
            )));
        }
        let dir = make_dirs(root, &parts[..parts.len() - 1])?;
        let target = dir.join(parts[parts.len() - 1]);
        total = write_file(&mut entry, &target, limits, total)?;
    }
    Ok(())
}

/// Reads a GNU long name or PAX header, refusing one over the cap (a memory bomb).
fn read_extension(entry: &mut impl Read) -> Result<Vec<u8>, ImportError> {
    let mut data = Vec::new();
    entry
        .take(MAX_EXTENSION_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(|e| ImportError::from_read("reading the tarball", e))?;
    if data.len() as u64 > MAX_EXTENSION_BYTES {
        return Err(ImportError::permanent("oversized tar extension header"));
    }
    Ok(data)
}

/// The components of an entry's path, refusing absolute paths, `..`, NUL, non-UTF-8 names, a
/// path too deep, and a first or second component that is not a valid format / record id.
fn entry_path(raw: &[u8]) -> Result<Vec<&str>, ImportError> {
    let text =
        std::str::from_utf8(raw).map_err(|_| ImportError::permanent("entry path is not UTF-8"))?;
    if text.starts_with('/') || text.contains('\0') {
        return Err(ImportError::permanent(format!(
            "refused entry path {text:?}"
        )));
    }
    let parts: Vec<&str> = text
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.contains(&"..") || parts.len() > MAX_DEPTH {
        return Err(ImportError::permanent(format!(
            "refused entry path {text:?}"
        )));
    }
    if parts.iter().take(2).any(|p| !valid_name(p)) {
        return Err(ImportError::permanent(format!(
            "unknown layout: {text:?} is not <format>/<record_id>/…"
        )));
    }
    Ok(parts)
}

/// Creates `root/parts…` one level at a time with mode 0755 (whatever the umask).
fn make_dirs(root: &Path, parts: &[&str]) -> Result<PathBuf, ImportError> {
    let mut dir = root.to_path_buf();
    for part in parts {
        dir.push(part);
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => continue,
            Ok(_) => {
                return Err(ImportError::permanent(format!(
                    "{part} is both a file and a directory in the tarball"
                )))
            }
            Err(_) => {}
        }
        let write_err = |e| ImportError::from_write(format!("creating {}", dir.display()), e);
        DirBuilder::new()
            .mode(DIR_MODE)
            .create(&dir)
            .map_err(write_err)?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(DIR_MODE)).map_err(write_err)?;
    }
    Ok(dir)
}

/// Streams one entry to a new file (a duplicate entry is refused), counting against the limits;
/// returns the new running total.
fn write_file(
    entry: &mut impl Read,
    target: &Path,
    limits: &Limits,
    mut total: u64,
) -> Result<u64, ImportError> {
    let write_err = |e| ImportError::from_write(format!("writing {}", target.display()), e);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(target)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                ImportError::permanent(format!("{} appears twice in the tarball", target.display()))
            } else {
                write_err(e)
            }
        })?;
    let mut written = 0u64;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = entry
            .read(&mut buf)
            .map_err(|e| ImportError::from_read("reading the tarball", e))?;
        if n == 0 {
            break;
        }
        written += n as u64;
        total += n as u64;
        if written > limits.max_file_bytes {
            return Err(ImportError::permanent("a file is over the per-file limit"));
        }
        if total > limits.max_total_bytes {
            return Err(ImportError::permanent(
                "the tarball is over the total size limit",
            ));
        }
        file.write_all(&buf[..n]).map_err(write_err)?;
    }
    file.set_permissions(fs::Permissions::from_mode(FILE_MODE))
        .map_err(write_err)?;
    Ok(total)
}

#[cfg(test)]
#[path = "tarball_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "tarball_hostile_tests.rs"]
mod hostile_tests;
