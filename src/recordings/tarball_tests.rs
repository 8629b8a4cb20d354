//! Tests of tarball.rs: realistic good tarballs, corrupt ones, a really full / read-only work
//! dir, and the tarball builders the hostile cases (tarball_hostile_tests.rs) share.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use tar::{EntryType, Header};

use super::*;
use crate::recordings::extracted::sweep_work_dir;
use crate::recordings::test_mount::Tmpfs;

pub(super) const ID: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678-1700000000000";
pub(super) const SLIDES: &str = "d2d9a672040fbde2a47a10bf6c37b6a4b5ae187f-1700000000001";

fn append(b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
    let mut h = Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o4755); // setuid in the tarball: must not survive
    h.set_entry_type(EntryType::Regular);
    b.append_data(&mut h, path, data).unwrap();
}

fn append_dir(b: &mut tar::Builder<Vec<u8>>, path: &str) {
    let mut h = Header::new_gnu();
    h.set_size(0);
    h.set_mode(0o777);
    h.set_entry_type(EntryType::Directory);
    b.append_data(&mut h, path, &[][..]).unwrap();
}

/// A BBB-like tarball: presentation (with a path long enough for a GNU long name) and video.
pub(super) fn good_tar() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    append_dir(&mut b, "presentation/");
    append_dir(&mut b, &format!("presentation/{ID}/"));
    append(
        &mut b,
        &format!("presentation/{ID}/metadata.xml"),
        b"<recording/>",
    );
    append(
        &mut b,
        &format!("presentation/{ID}/presentation/{SLIDES}/svgs/slide1.svg"),
        b"<svg/>",
    );
    append(&mut b, &format!("video/{ID}/metadata.xml"), b"<recording/>");
    append(
        &mut b,
        &format!("./video/{ID}/video-0.m4v"),
        &vec![7u8; 200_000],
    );
    b.into_inner().unwrap()
}

/// A raw entry: any path bytes, type, declared size and link name, then `data` padded.
/// A path over 100 bytes goes into a GNU long-name entry first, as GNU tar writes it.
pub(super) fn raw_entry(
    path: &[u8],
    kind: EntryType,
    size: u64,
    link: &[u8],
    data: &[u8],
) -> Vec<u8> {
    if path.len() > 100 {
        let mut out = raw_entry(
            b"././@LongLink",
            EntryType::GNULongName,
            path.len() as u64,
            b"",
            path,
        );
        out.extend(raw_entry(&path[..100], kind, size, link, data));
        return out;
    }
    let mut h = Header::new_gnu();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_entry_type(kind);
    let old = h.as_old_mut();
    old.name[..path.len()].copy_from_slice(path);
    old.linkname[..link.len()].copy_from_slice(link);
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

pub(super) fn finish(mut entries: Vec<u8>) -> Vec<u8> {
    entries.extend_from_slice(&[0u8; 1024]);
    entries
}

pub(super) fn with_metadata(mut entries: Vec<u8>) -> Vec<u8> {
    let path = format!("presentation/{ID}/metadata.xml");
    entries.extend(raw_entry(
        path.as_bytes(),
        EntryType::Regular,
        12,
        b"",
        b"<recording/>",
    ));
    finish(entries)
}

/// Extracts `tar` into a fresh work dir; a failure must leave the work dir empty.
pub(super) fn run(tar: &[u8], limits: &Limits) -> Result<(), ImportError> {
    let work = tempfile::tempdir().unwrap();
    let result = extract_from(tar, work.path(), limits).map(|_| ());
    if result.is_err() {
        assert_eq!(
            fs::read_dir(work.path()).unwrap().count(),
            0,
            "partial extraction left"
        );
    }
    result
}

pub(super) fn assert_permanent(tar: &[u8], limits: &Limits, what: &str) {
    match run(tar, limits) {
        Err(ImportError::Permanent(why)) => eprintln!("{what}: refused: {why}"),
        other => panic!("{what}: expected a permanent failure, got {other:?}"),
    }
}

#[test]
fn a_realistic_tarball_extracts_with_sane_modes() {
    let work = tempfile::tempdir().unwrap();
    let extracted = extract_from(&good_tar()[..], work.path(), &Limits::default()).unwrap();
    let found: Vec<(&str, &str)> = extracted
        .formats
        .iter()
        .map(|f| (f.format.as_str(), f.record_id.as_str()))
        .collect();
    assert_eq!(found, [("presentation", ID), ("video", ID)]);
    let slide = extracted.formats[0]
        .dir
        .join(format!("presentation/{SLIDES}/svgs/slide1.svg"));
    assert_eq!(fs::read(&slide).unwrap(), b"<svg/>");
    assert_eq!(
        fs::metadata(&slide).unwrap().permissions().mode() & 0o7777,
        0o644
    );
    let video = extracted.formats[1].dir.join("video-0.m4v");
    assert_eq!(fs::read(video).unwrap(), vec![7u8; 200_000]);
    let dir_mode = fs::metadata(&extracted.formats[0].dir)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o7777, 0o755);
    let root = extracted.root().to_path_buf();
    assert!(root.starts_with(work.path()));
    drop(extracted);
    assert!(!root.exists(), "dropping the extraction removes it");
}

#[test]
fn gzip_tarballs_are_accepted() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&good_tar()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let extracted =
        extract_from(&gz.finish().unwrap()[..], work.path(), &Limits::default()).unwrap();
    assert_eq!(extracted.formats.len(), 2);
}

#[test]
fn corrupt_and_truncated_tarballs_are_permanent() {
    let good = good_tar();
    let limits = Limits::default();
    assert_permanent(&good[..good.len() / 2], &limits, "truncated");
    let mut bad_sum = good.clone();
    bad_sum[10] ^= 0x55;
    assert_permanent(&bad_sum, &limits, "bad header checksum");
    assert_permanent(
        b"this is not a tarball at all, just some text",
        &limits,
        "text",
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&good).unwrap();
    let gz = gz.finish().unwrap();
    assert_permanent(&gz[..gz.len() / 2], &limits, "truncated gzip");
}

#[test]
fn missing_tarball_is_transient() {
    let work = tempfile::tempdir().unwrap();
    let err = extract(
        &work.path().join("gone.tar"),
        work.path(),
        &Limits::default(),
    )
    .unwrap_err();
    assert!(err.is_transient(), "{err}");
}

#[test]
fn full_work_dir_is_transient_and_leaves_nothing() {
    let Some(fs) = Tmpfs::mount("1m", "full work dir during extraction") else {
        return;
    };
    let mut b = tar::Builder::new(Vec::new());
    append(&mut b, &format!("video/{ID}/metadata.xml"), b"<recording/>");
    append(
        &mut b,
        &format!("video/{ID}/video.mp4"),
        &vec![1u8; 3 << 20],
    );
    let tar = b.into_inner().unwrap();
    let err = extract_from(&tar[..], fs.path(), &Limits::default()).unwrap_err();
    match &err {
        ImportError::Transient { source, .. } => {
            assert_eq!(source.kind(), std::io::ErrorKind::StorageFull)
        }
        other => panic!("expected ENOSPC, got {other}"),
    }
    assert_eq!(fs::read_dir(fs.path()).unwrap().count(), 0);
}

#[test]
fn read_only_work_dir_is_transient() {
    let Some(fs) = Tmpfs::mount("1m", "read-only work dir") else {
        return;
    };
    fs.remount_read_only();
    let err =
        extract_from(&good_tar()[..], &fs.path().join("work"), &Limits::default()).unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(!Path::new(&fs.path().join("work")).exists());
}

#[test]
fn sweep_work_dir_removes_extractions_a_crash_left() {
    let work = tempfile::tempdir().unwrap();
    assert_eq!(sweep_work_dir(&work.path().join("missing")).unwrap(), 0);
    fs::create_dir_all(work.path().join(".import-0123/video/x")).unwrap();
    fs::write(work.path().join("other.tar"), b"kept").unwrap();
    let live = extract_from(&good_tar()[..], work.path(), &Limits::default()).unwrap();
    drop(live);
    assert_eq!(sweep_work_dir(work.path()).unwrap(), 1);
    assert_eq!(
        fs::read_dir(work.path()).unwrap().count(),
        1,
        "only other.tar is left"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Mangled tarballs (a byte changed, then cut) never panic, and a failure leaves nothing.
    #[test]
    fn mangled_tarballs_never_panic(at in 0usize..400_000, byte in 0u8..=255, cut in 0usize..400_000) {
        let mut tar = good_tar();
        let at = at % tar.len();
        tar[at] = byte;
        tar.truncate(cut.max(1));
        let _ = run(&tar, &Limits::default());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(0u8..=255, 0..4096)) {
        let _ = run(&bytes, &Limits::default());
    }
}
