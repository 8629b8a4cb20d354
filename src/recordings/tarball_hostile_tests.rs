//! Tests of tarball.rs against hostile tarballs: escaping paths, links, devices, size and entry
//! bombs, bad layouts, PAX headers — built with raw headers where tar's Builder refuses.

use std::fs;

use tar::EntryType;

use super::tests::{assert_permanent, finish, raw_entry, with_metadata, ID, SLIDES};
use super::*;

#[test]
fn escaping_paths_are_refused() {
    let limits = Limits::default();
    for path in [
        "../evil".to_string(),
        format!("presentation/{ID}/../../../evil"),
        format!("/tmp/presentation/{ID}/evil"),
        format!("presentation/{ID}/a/../../x"),
        format!("../presentation/{ID}/metadata.xml"),
    ] {
        let tar = with_metadata(raw_entry(
            path.as_bytes(),
            EntryType::Regular,
            4,
            b"",
            b"evil",
        ));
        assert_permanent(&tar, &limits, &path);
    }
    // In a header a NUL ends the name; in a GNU long name it is refused.
    let nul = format!("presentation/{ID}/{}\u{0}b", "x".repeat(40));
    let nul = raw_entry(nul.as_bytes(), EntryType::Directory, 0, b"", b"");
    let deep = format!("presentation/{ID}/{}", "d/".repeat(40));
    let deep = raw_entry(deep.as_bytes(), EntryType::Directory, 0, b"", b"");
    let bad_utf8 = raw_entry(b"presentation/\xff\xfe/x", EntryType::Regular, 0, b"", b"");
    for (what, tar) in [("nul", nul), ("deep", deep), ("non-utf8", bad_utf8)] {
        assert_permanent(&with_metadata(tar), &limits, what);
    }
}

#[test]
fn links_devices_and_sparse_entries_are_refused() {
    let inside = format!("presentation/{ID}/link");
    let cases = [
        (EntryType::Symlink, b"/etc/passwd".as_slice()),
        (EntryType::Symlink, b"metadata.xml".as_slice()),
        (EntryType::Link, b"../../../etc/passwd".as_slice()),
        (
            EntryType::Link,
            format!("presentation/{ID}/metadata.xml")
                .into_bytes()
                .leak(),
        ),
        (EntryType::Char, b"".as_slice()),
        (EntryType::Block, b"".as_slice()),
        (EntryType::Fifo, b"".as_slice()),
        (EntryType::GNUSparse, b"".as_slice()),
        (EntryType::new(b'Z'), b"".as_slice()),
    ];
    for (kind, link) in cases {
        let tar = with_metadata(raw_entry(inside.as_bytes(), kind, 0, link, b""));
        assert_permanent(&tar, &Limits::default(), &format!("{kind:?} -> {link:?}"));
    }
}

#[test]
fn size_and_entry_bombs_are_refused() {
    // A declared terabyte with no data behind it: refused from the header, nothing read.
    let big = raw_entry(
        format!("video/{ID}/v.mp4").as_bytes(),
        EntryType::Regular,
        1 << 40,
        b"",
        b"",
    );
    assert_permanent(&finish(big), &Limits::default(), "declared size");
    let small = Limits {
        max_total_bytes: 1_000,
        max_file_bytes: 600,
        max_entries: 10,
    };
    let mut two = raw_entry(
        format!("video/{ID}/a").as_bytes(),
        EntryType::Regular,
        500,
        b"",
        &[1; 500],
    );
    two.extend(raw_entry(
        format!("video/{ID}/b").as_bytes(),
        EntryType::Regular,
        600,
        b"",
        &[1; 600],
    ));
    assert_permanent(&with_metadata(two), &small, "total size");
    let mut many = Vec::new();
    for i in 0..20 {
        let dir = format!("video/{ID}/d{i}/");
        many.extend(raw_entry(dir.as_bytes(), EntryType::Directory, 0, b"", b""));
    }
    assert_permanent(&with_metadata(many), &small, "entry count");
    // A GNU long name far over the cap (a memory bomb through the crate's extension handling).
    let long = raw_entry(
        b"././@LongLink",
        EntryType::GNULongName,
        100_000,
        b"",
        &[b'a'; 100_000],
    );
    assert_permanent(&with_metadata(long), &Limits::default(), "long name");
}

#[test]
fn bad_layouts_are_refused() {
    let limits = Limits::default();
    let top = raw_entry(b"README", EntryType::Regular, 2, b"", b"hi");
    assert_permanent(&with_metadata(top), &limits, "file at top level");
    let second = raw_entry(b"presentation/notes.txt", EntryType::Regular, 2, b"", b"hi");
    assert_permanent(&with_metadata(second), &limits, "file at format level");
    let hidden = raw_entry(b".hidden/x/metadata.xml", EntryType::Regular, 2, b"", b"hi");
    assert_permanent(&finish(hidden), &limits, "hidden format");
    let no_meta = raw_entry(
        format!("video/{ID}/video.mp4").as_bytes(),
        EntryType::Regular,
        2,
        b"",
        b"hi",
    );
    assert_permanent(
        &with_metadata(no_meta.clone()),
        &limits,
        "a format without metadata.xml",
    );
    assert_permanent(&finish(no_meta), &limits, "no metadata.xml at all");
    assert_permanent(&finish(Vec::new()), &limits, "empty tarball");
    let mut dup = raw_entry(
        format!("video/{ID}/metadata.xml").as_bytes(),
        EntryType::Regular,
        2,
        b"",
        b"hi",
    );
    dup.extend(dup.clone());
    assert_permanent(&finish(dup), &limits, "duplicate entry");
}

/// A PAX extended header carrying `records` (key, value), as POSIX tar writes long paths.
fn pax(records: &[(&str, &str)]) -> Vec<u8> {
    let mut data = Vec::new();
    for (key, value) in records {
        let body = format!(" {key}={value}\n");
        // The length prefix counts itself.
        let mut len = body.len() + 1;
        while format!("{len}{body}").len() != len {
            len += 1;
        }
        data.extend(format!("{len}{body}").into_bytes());
    }
    raw_entry(
        b"PaxHeaders/x",
        EntryType::XHeader,
        data.len() as u64,
        b"",
        &data,
    )
}

#[test]
fn pax_paths_are_honoured_and_checked() {
    let long = format!(
        "presentation/{ID}/presentation/{SLIDES}/svgs/{}.svg",
        "s".repeat(120)
    );
    let mut tar = pax(&[("path", &long), ("mtime", "1700000000.5")]);
    tar.extend(raw_entry(
        b"short-name-ignored",
        EntryType::Regular,
        3,
        b"",
        b"svg",
    ));
    let work = tempfile::tempdir().unwrap();
    let extracted = extract_from(&with_metadata(tar)[..], work.path(), &Limits::default()).unwrap();
    assert_eq!(fs::read(extracted.root().join(&long)).unwrap(), b"svg");

    let escape = format!("presentation/{ID}/../../../../etc/cron.d/x");
    let mut tar = pax(&[("path", &escape)]);
    tar.extend(raw_entry(
        format!("presentation/{ID}/ok").as_bytes(),
        EntryType::Regular,
        1,
        b"",
        b"x",
    ));
    assert_permanent(&with_metadata(tar), &Limits::default(), "PAX path escaping");

    // A PAX size the header disagrees with would desynchronise readers: refused.
    let mut tar = pax(&[("size", "1024")]);
    tar.extend(raw_entry(
        format!("presentation/{ID}/a").as_bytes(),
        EntryType::Regular,
        1,
        b"",
        b"x",
    ));
    assert_permanent(&with_metadata(tar), &Limits::default(), "PAX size");
    let oversized = raw_entry(
        b"PaxHeaders/x",
        EntryType::XHeader,
        70_000,
        b"",
        &[b'9'; 70_000],
    );
    assert_permanent(
        &with_metadata(oversized),
        &Limits::default(),
        "oversized PAX header",
    );
}
