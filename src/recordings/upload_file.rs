//! The spool side of an upload: a hidden temp file inside the spool (`.upload-<uuid>.part`, which
//! the importer ignores: it takes `*.tar` only), written and hashed as the body arrives, its first
//! block checked as a tar header, then made durable (fsync) and renamed atomically to
//! `<sha256>.tar`, the spool directory fsynced after. On every other path the temp file is
//! removed (a drop guard, so a cancelled or failed upload leaves nothing either); one left by
//! a process that died mid-upload is swept by the next upload once an hour old.

use super::upload::UploadError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// A tar archive is a sequence of 512-byte blocks; the first is the first entry's header.
const BLOCK: usize = 512;

/// What an upload left in the spool.
#[derive(Debug)]
pub(crate) struct Stored {
    /// The file name in the spool (`<sha256>.tar`).
    pub(crate) name: String,
    pub(crate) bytes: u64,
    /// The same tarball was already in the spool: nothing was written twice.
    pub(crate) duplicate: bool,
}

/// An upload being received into the spool.
pub(crate) struct Incoming {
    spool: PathBuf,
    path: PathBuf,
    file: tokio::fs::File,
    hasher: Sha256,
    /// The first block, until it is complete and checked.
    head: Vec<u8>,
    bytes: u64,
    /// Renamed into the spool (or to be dropped): the guard leaves it alone.
    kept: bool,
}

impl Incoming {
    /// A new temp file in `spool` (created if missing, as Scalelite's importer does).
    pub(crate) async fn create(spool: &Path) -> Result<Incoming, UploadError> {
        tokio::fs::create_dir_all(spool).await.map_err(io)?;
        sweep_stale(spool).await;
        let path = spool.join(format!(".upload-{}.part", uuid::Uuid::new_v4().simple()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(io)?;
        Ok(Incoming {
            spool: spool.to_path_buf(),
            path,
            file,
            hasher: Sha256::new(),
            head: Vec::with_capacity(BLOCK),
            bytes: 0,
            kept: false,
        })
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Append a chunk of the body: hashed, written, and the first block checked once complete.
    pub(crate) async fn write(&mut self, chunk: &[u8]) -> Result<(), UploadError> {
        if self.head.len() < BLOCK {
            let take = (BLOCK - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
            if self.head.len() == BLOCK && !is_tar_header(&self.head) {
                return Err(UploadError::NotTar);
            }
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk).await.map_err(io)?;
        self.bytes += chunk.len() as u64;
        Ok(())
    }

    /// The whole body is in: check it, make it durable and put it in place as `<sha256>.tar`.
    pub(crate) async fn finish(mut self, sha256: &str) -> Result<Stored, UploadError> {
        if self.head.len() < BLOCK {
            return Err(UploadError::NotTar);
        }
        let digest = hex::encode(std::mem::take(&mut self.hasher).finalize());
        if !digest.eq_ignore_ascii_case(sha256) {
            return Err(UploadError::DigestMismatch);
        }
        let name = format!("{digest}.tar");
        let target = self.spool.join(&name);
        let bytes = self.bytes;
        let stored = |duplicate| Stored {
            name: name.clone(),
            bytes,
            duplicate,
        };
        // Already there (and durable): the same recording lands once.
        if tokio::fs::try_exists(&target).await.unwrap_or(false) {
            return Ok(stored(true));
        }
        self.file.flush().await.map_err(io)?;
        self.file.sync_all().await.map_err(io)?;
        tokio::fs::rename(&self.path, &target).await.map_err(io)?;
        self.kept = true;
        // The rename itself is durable only once the directory is.
        let dir = tokio::fs::File::open(&self.spool).await.map_err(io)?;
        dir.sync_all().await.map_err(io)?;
        Ok(stored(false))
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if !self.kept {
            // Nothing else to do on failure: the refusal is answered and counted anyway.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A temp file untouched this long belongs to an upload that died with its process (kill -9,
/// power loss): a live one is written at least every read timeout (60 s).
const STALE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Remove the temp files of uploads that died with their process, so a crash leaves nothing
/// in the spool for long. Best effort: a file that cannot be read or removed stays.
async fn sweep_stale(spool: &Path) {
    let Ok(mut dir) = tokio::fs::read_dir(spool).await else {
        return;
    };
    while let Ok(Some(entry)) = dir.next_entry().await {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(".upload-") && name.ends_with(".part")) {
            continue;
        }
        let age = entry
            .metadata()
            .await
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok());
        if age.is_some_and(|a| a > STALE) && tokio::fs::remove_file(entry.path()).await.is_ok() {
            log::warn!("upload: removed {name}, left by an upload that died");
        }
    }
}

/// A full disk (or quota) is the sender's cue to retry later; other errors are ours.
fn io(e: std::io::Error) -> UploadError {
    use std::io::ErrorKind::{QuotaExceeded, StorageFull};
    if matches!(e.kind(), StorageFull | QuotaExceeded) {
        UploadError::DiskFull
    } else {
        UploadError::Write(e)
    }
}

/// Whether a 512-byte block is a tar header: the `ustar` magic (POSIX `ustar\0`, GNU
/// `ustar  \0`) and a header checksum that adds up (the sum of the block's bytes with the
/// checksum field counted as spaces; some old tars summed signed bytes, also accepted).
pub(crate) fn is_tar_header(block: &[u8]) -> bool {
    if block.len() != BLOCK || &block[257..262] != b"ustar" || !matches!(block[262], 0 | b' ') {
        return false;
    }
    let field = &block[148..156];
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|&b| b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(b))
        .collect();
    if digits.is_empty() {
        return false;
    }
    let Ok(stored) = u32::from_str_radix(&String::from_utf8_lossy(&digits), 8) else {
        return false;
    };
    let spaces = 8 * u32::from(b' ');
    let outside = |i: &usize| !(148..156).contains(i);
    let unsigned: u32 = block
        .iter()
        .enumerate()
        .filter(|(i, _)| outside(i))
        .map(|(_, &b)| u32::from(b))
        .sum::<u32>()
        + spaces;
    let signed: i64 = block
        .iter()
        .enumerate()
        .filter(|(i, _)| outside(i))
        .map(|(_, &b)| i64::from(b as i8))
        .sum::<i64>()
        + i64::from(spaces);
    stored == unsigned || i64::from(stored) == signed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header as GNU tar writes one: name, mode, sizes, the magic and the checksum.
    fn header(magic: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; BLOCK];
        b[..20].copy_from_slice(b"presentation/abc-123");
        b[100..107].copy_from_slice(b"0000644");
        b[124..135].copy_from_slice(b"00000000012");
        b[156] = b'0';
        b[257..257 + magic.len()].copy_from_slice(magic);
        b[148..156].fill(b' ');
        let sum: u32 = b.iter().map(|&x| u32::from(x)).sum();
        let field = format!("{sum:06o}\0 ");
        b[148..156].copy_from_slice(field.as_bytes());
        b
    }

    #[test]
    fn ustar_headers_with_their_checksum_pass() {
        assert!(is_tar_header(&header(b"ustar\x0000")));
        assert!(is_tar_header(&header(b"ustar  \x00")));
    }

    #[test]
    fn anything_else_is_refused() {
        let good = header(b"ustar\x0000");
        let mut bad_sum = good.clone();
        bad_sum[0] = b'q';
        assert!(!is_tar_header(&bad_sum));
        let mut no_magic = good.clone();
        no_magic[257..262].copy_from_slice(b"USTAR");
        assert!(!is_tar_header(&no_magic));
        let mut no_digits = good.clone();
        no_digits[148..156].copy_from_slice(b"        ");
        assert!(!is_tar_header(&no_digits));
        assert!(!is_tar_header(&[0u8; BLOCK]));
        assert!(!is_tar_header(&good[..511]));
        // A gzip stream (a compressed tarball is not what the spool takes).
        let mut gz = vec![0u8; BLOCK];
        gz[..3].copy_from_slice(&[0x1f, 0x8b, 0x08]);
        assert!(!is_tar_header(&gz));
    }

    #[test]
    fn a_real_tar_header_passes() {
        // Made by the system's tar (GNU tar, as BBB's post-publish script runs it).
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"hello").unwrap();
        let out = std::process::Command::new("tar")
            .args(["-cf", "-", "-C"])
            .arg(dir.path())
            .arg("f")
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(is_tar_header(&out.stdout[..BLOCK]));
    }
}
