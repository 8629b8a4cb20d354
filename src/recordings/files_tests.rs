//! Tests of files.rs: placing, replacing, moving and deleting recordings on one filesystem and
//! across two (a tmpfs), and a really full and a read-only target (a tiny tmpfs, as root).

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;
use crate::recordings::test_mount::Tmpfs;

const ID: &str = "0d1bc5f3a9e8b07c6e1b2c3d4e5f60718293a4b5-1701781200123";

/// A recording dir as extraction leaves it, with `tag` in its files and `big` bytes of video.
fn recording(parent: &Path, tag: &str, big: usize) -> PathBuf {
    let dir = parent.join(format!("src-{tag}"));
    fs::create_dir_all(dir.join("video")).unwrap();
    fs::write(
        dir.join("metadata.xml"),
        format!("<recording>{tag}</recording>"),
    )
    .unwrap();
    fs::write(dir.join("video/webcams.webm"), vec![b'v'; big]).unwrap();
    dir
}

fn tag_of(dir: &Path) -> String {
    fs::read_to_string(dir.join("metadata.xml")).unwrap()
}

/// The OS error behind a transient failure.
fn cause(err: &ImportError) -> io::ErrorKind {
    match err {
        ImportError::Transient { source, .. } => source.kind(),
        ImportError::Permanent(why) => panic!("expected a transient error, got {why}"),
    }
}

/// Names in a dir, to show no staging or leftover directory is visible.
fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into())
        .collect();
    out.sort();
    out
}

#[test]
fn names_used_in_paths_are_validated() {
    for good in ["presentation", ID, "a", "x.y", "notes_2"] {
        assert!(valid_name(good), "{good}");
    }
    for bad in [
        "",
        ".",
        "..",
        ".hidden",
        "a/b",
        "a\\b",
        "a\0b",
        &"x".repeat(201),
    ] {
        assert!(!valid_name(bad), "{bad:?}");
    }
    let root = tempfile::tempdir().unwrap();
    let src = recording(root.path(), "new", 10);
    let (publish, unpublish) = (root.path().join("pub"), root.path().join("unpub"));
    for (format, id) in [("..", ID), ("presentation", "../x"), ("presentation", ".x")] {
        let err = place(&src, format, id, &publish, &unpublish).unwrap_err();
        assert!(!err.is_transient());
    }
    assert!(!publish.exists() && src.exists());
    assert!(move_between("presentation", "..", &publish, &unpublish).is_err());
    assert!(delete_published(&publish, "../pub").is_err());
}

#[test]
fn place_moves_in_and_replaces_a_copy_in_either_dir() {
    let root = tempfile::tempdir().unwrap();
    let (publish, unpublish) = (root.path().join("pub"), root.path().join("unpub"));
    let first = recording(root.path(), "first", 10);
    let placed = place(&first, "presentation", ID, &publish, &unpublish).unwrap();
    assert_eq!(placed, publish.join("presentation").join(ID));
    assert_eq!(tag_of(&placed), "<recording>first</recording>");
    assert!(!first.exists(), "same filesystem: moved, not copied");
    assert_eq!(
        fs::metadata(&placed).unwrap().permissions().mode() & 0o777,
        0o755
    );

    // Re-import over the copy in the same dir.
    let second = recording(root.path(), "second", 10);
    place(&second, "presentation", ID, &publish, &unpublish).unwrap();
    assert_eq!(tag_of(&placed), "<recording>second</recording>");
    assert_eq!(names(&publish.join("presentation")), [ID]);

    // Imported unpublished: appears there, the published copy goes (§7.3 d).
    let third = recording(root.path(), "third", 10);
    let placed = place(&third, "presentation", ID, &unpublish, &publish).unwrap();
    assert_eq!(tag_of(&placed), "<recording>third</recording>");
    assert!(names(&publish.join("presentation")).is_empty());
    assert_eq!(names(&unpublish.join("presentation")), [ID]);
}

#[test]
fn place_copies_across_filesystems() {
    let Some(tmpfs) = Tmpfs::mount("8m", "placing across filesystems") else {
        return;
    };
    let disk = tempfile::tempdir().unwrap();
    let src = recording(tmpfs.path(), "crossing", 100_000);
    let (publish, unpublish) = (disk.path().join("pub"), disk.path().join("unpub"));
    let placed = place(&src, "video", ID, &publish, &unpublish).unwrap();
    assert_eq!(tag_of(&placed), "<recording>crossing</recording>");
    assert_eq!(
        fs::read(placed.join("video/webcams.webm")).unwrap().len(),
        100_000
    );
    let mode = fs::metadata(placed.join("video/webcams.webm"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o644);
    assert_eq!(names(&publish.join("video")), [ID]);
}

#[test]
fn a_full_target_is_transient_and_keeps_the_old_copy() {
    let Some(tmpfs) = Tmpfs::mount("1m", "full publish dir (ENOSPC)") else {
        return;
    };
    let disk = tempfile::tempdir().unwrap();
    let (publish, unpublish) = (tmpfs.path().join("pub"), tmpfs.path().join("unpub"));
    let old = recording(disk.path(), "old", 1_000);
    place(&old, "presentation", ID, &publish, &unpublish).unwrap();
    let new = recording(disk.path(), "new", 3 << 20);
    let err = place(&new, "presentation", ID, &publish, &unpublish).unwrap_err();
    assert_eq!(cause(&err), io::ErrorKind::StorageFull, "{err}");
    let format_dir = publish.join("presentation");
    assert_eq!(
        names(&format_dir),
        [ID],
        "no staging dir left, nothing half-written visible"
    );
    assert_eq!(tag_of(&format_dir.join(ID)), "<recording>old</recording>");
    assert_eq!(
        fs::read(format_dir.join(ID).join("video/webcams.webm"))
            .unwrap()
            .len(),
        1_000
    );
    assert!(new.exists(), "the source is kept for the retry's cleanup");
}

#[test]
fn a_read_only_target_is_transient_and_keeps_the_old_copy() {
    let Some(tmpfs) = Tmpfs::mount("1m", "read-only publish dir (EROFS)") else {
        return;
    };
    let disk = tempfile::tempdir().unwrap();
    let (publish, unpublish) = (tmpfs.path().join("pub"), tmpfs.path().join("unpub"));
    place(
        &recording(disk.path(), "old", 10),
        "podcast",
        ID,
        &publish,
        &unpublish,
    )
    .unwrap();
    tmpfs.remount_read_only();
    let err = place(
        &recording(disk.path(), "new", 10),
        "podcast",
        ID,
        &publish,
        &unpublish,
    )
    .unwrap_err();
    assert_eq!(cause(&err), io::ErrorKind::ReadOnlyFilesystem, "{err}");
    assert_eq!(names(&publish.join("podcast")), [ID]);
    assert_eq!(
        tag_of(&publish.join("podcast").join(ID)),
        "<recording>old</recording>"
    );
    // A new format dir cannot be made either.
    let err = place(
        &recording(disk.path(), "other", 10),
        "notes",
        ID,
        &publish,
        &unpublish,
    )
    .unwrap_err();
    assert!(err.is_transient(), "{err}");
    // Moving out of a read-only dir fails and leaves the copy where it was.
    let err = move_between("podcast", ID, &publish, &disk.path().join("unpub2")).unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_eq!(names(&publish.join("podcast")), [ID]);
}

#[test]
fn move_between_follows_publish_recordings_rules() {
    let root = tempfile::tempdir().unwrap();
    let (publish, unpublish) = (root.path().join("pub"), root.path().join("unpub"));
    // In neither: an error.
    assert!(move_between("presentation", ID, &publish, &unpublish).is_err());
    // Only in current: moved.
    place(
        &recording(root.path(), "a", 10),
        "presentation",
        ID,
        &publish,
        &unpublish,
    )
    .unwrap();
    move_between("presentation", ID, &publish, &unpublish).unwrap();
    assert!(names(&publish.join("presentation")).is_empty());
    assert_eq!(
        tag_of(&unpublish.join("presentation").join(ID)),
        "<recording>a</recording>"
    );
    // Only in target: nothing.
    move_between("presentation", ID, &publish, &unpublish).unwrap();
    assert_eq!(
        tag_of(&unpublish.join("presentation").join(ID)),
        "<recording>a</recording>"
    );
    // In both: the copy in current is deleted, the target's kept.
    let stray = recording(root.path(), "stray", 10);
    fs::rename(&stray, publish.join("presentation").join(ID)).unwrap();
    move_between("presentation", ID, &publish, &unpublish).unwrap();
    assert!(names(&publish.join("presentation")).is_empty());
    assert_eq!(
        tag_of(&unpublish.join("presentation").join(ID)),
        "<recording>a</recording>"
    );
}

#[test]
fn move_between_works_across_filesystems() {
    let Some(tmpfs) = Tmpfs::mount("8m", "publishing across filesystems") else {
        return;
    };
    let disk = tempfile::tempdir().unwrap();
    let (publish, unpublish) = (disk.path().join("pub"), tmpfs.path().join("unpub"));
    place(
        &recording(disk.path(), "a", 50_000),
        "video",
        ID,
        &unpublish,
        &publish,
    )
    .unwrap();
    move_between("video", ID, &unpublish, &publish).unwrap();
    assert!(
        names(&unpublish.join("video")).is_empty(),
        "the source copy is removed"
    );
    assert_eq!(
        tag_of(&publish.join("video").join(ID)),
        "<recording>a</recording>"
    );
}

#[test]
fn delete_published_removes_every_format_of_the_recording() {
    let root = tempfile::tempdir().unwrap();
    let (publish, unpublish) = (root.path().join("pub"), root.path().join("unpub"));
    assert_eq!(
        delete_published(&publish, ID).unwrap(),
        0,
        "no publish dir yet"
    );
    for (i, format) in ["presentation", "video", "podcast"].iter().enumerate() {
        let src = recording(root.path(), &format!("{i}"), 10);
        place(&src, format, ID, &publish, &unpublish).unwrap();
    }
    let other = recording(root.path(), "other", 10);
    place(&other, "presentation", "other-record", &publish, &unpublish).unwrap();
    let kept = recording(root.path(), "kept", 10);
    place(&kept, "notes", ID, &unpublish, &publish).unwrap();
    assert_eq!(delete_published(&publish, ID).unwrap(), 3);
    assert_eq!(names(&publish.join("presentation")), ["other-record"]);
    assert!(names(&publish.join("video")).is_empty());
    assert_eq!(
        names(&unpublish.join("notes")),
        [ID],
        "the unpublished dir is not cleaned (§7.9)"
    );
}

#[test]
fn sweep_leftovers_removes_only_hidden_staging_and_replaced_copies() {
    let root = tempfile::tempdir().unwrap();
    let (publish, unpublish) = (root.path().join("pub"), root.path().join("unpub"));
    assert_eq!(sweep_leftovers(&publish).unwrap(), 0, "no dir yet");
    place(
        &recording(root.path(), "a", 10),
        "presentation",
        ID,
        &publish,
        &unpublish,
    )
    .unwrap();
    let format_dir = publish.join("presentation");
    for leftover in [format!(".staging-{ID}-1"), format!(".old-{ID}-2")] {
        fs::create_dir_all(format_dir.join(leftover).join("video")).unwrap();
    }
    fs::create_dir_all(format_dir.join(".keep-me")).unwrap();
    assert_eq!(sweep_leftovers(&publish).unwrap(), 2);
    assert_eq!(names(&format_dir), [".keep-me", ID]);
    assert_eq!(tag_of(&format_dir.join(ID)), "<recording>a</recording>");
}

/// The pieces together: a BBB-like tarball extracted, its metadata read, its formats placed by
/// their published flag, and the extraction gone afterwards.
#[test]
fn a_tarball_goes_from_spool_to_publish_and_unpublish_dirs() {
    use crate::recordings::{metadata, tarball};
    let root = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    for (format, xml) in [
        (
            "presentation",
            &include_bytes!("fixtures/presentation.xml")[..],
        ),
        ("podcast", &include_bytes!("fixtures/podcast.xml")[..]),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(xml.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, format!("{format}/{ID}/metadata.xml"), xml)
            .unwrap();
    }
    let spool = root.path().join(format!("{ID}.tar"));
    fs::write(&spool, b.into_inner().unwrap()).unwrap();
    let work = root.path().join("work");
    let (publish, unpublish) = (root.path().join("pub"), root.path().join("unpub"));
    let extracted = tarball::extract(&spool, &work, &tarball::Limits::default()).unwrap();
    for found in &extracted.formats {
        let meta = metadata::read_metadata(&found.dir).unwrap();
        assert_eq!(
            (meta.format.as_str(), meta.record_id.as_str()),
            (found.format.as_str(), ID)
        );
        let (to, other) = match meta.published {
            Some(true) => (&publish, &unpublish),
            _ => (&unpublish, &publish),
        };
        place(&found.dir, &found.format, &found.record_id, to, other).unwrap();
    }
    drop(extracted);
    assert!(names(&work).is_empty(), "the extraction is gone");
    assert_eq!(names(&publish.join("presentation")), [ID]);
    assert_eq!(names(&unpublish.join("podcast")), [ID]);
}
