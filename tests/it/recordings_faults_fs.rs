//! Fault injection on the recordings importer, continued: the publish dir on a read-only and
//! on a full filesystem (a small tmpfs, root only). The tarball stays in the spool and nothing
//! of its recording is visible until the filesystem is repaired; the next rescan imports it.
use crate::common::*;
use crate::recordings::{recordings_dir, spool, wait_listed};
use crate::recordings_faults::{
    assert_all_imported, assert_no_leftovers, waiting, within, Rec, POLL, SEVERAL_PASSES,
};
use std::path::Path;
use std::process::Command;

/// A tmpfs mounted on a temp dir (root only), unmounted on drop even when the test fails.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str, what: &str) -> Option<Tmpfs> {
        let uid = Command::new("id").arg("-u").output().unwrap().stdout;
        if String::from_utf8_lossy(&uid).trim() != "0" {
            eprintln!("NOT RUN: {what} needs root to mount a tmpfs");
            return None;
        }
        let fs = Tmpfs {
            dir: tempfile::tempdir().unwrap(),
        };
        let opts = format!("size={size},mode=0755");
        fs.mount_cmd(&["-t", "tmpfs", "-o", &opts, "tmpfs"]);
        Some(fs)
    }

    fn remount(&self, opts: &str) {
        self.mount_cmd(&["-o", &format!("remount,{opts}")]);
    }

    fn mount_cmd(&self, args: &[&str]) {
        let status = Command::new("mount")
            .args(args)
            .arg(self.path())
            .status()
            .unwrap();
        assert!(status.success(), "mount {args:?} failed");
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.path()).status();
    }
}

/// A gateway publishing into `publish`; the tarball `rec` is spooled, must stay in the spool
/// (not listed, nothing of it in the publish dir) until `repair` runs, then imports.
async fn waits_out_a_broken_publish_dir(fs: &Tmpfs, rec: &Rec, repair: impl FnOnce()) {
    let publish = fs.path().to_str().unwrap().to_string();
    let gw = Gateway::start(&[
        ("RECORDING_IMPORT_POLL_INTERVAL", POLL),
        ("RECORDING_PUBLISH_DIR", &publish),
    ])
    .await;
    let dirs = recordings_dir(&gw);
    let name = format!("{}.tar", rec.id);
    spool(&gw, &name, &rec.tarball("room-fs"));
    tokio::time::sleep(SEVERAL_PASSES).await;
    assert!(
        dirs.join("spool").join(&name).is_file(),
        "the tarball left the spool"
    );
    assert!(
        !dirs.join("spool/failed").exists(),
        "the tarball was failed"
    );
    gw.get("getRecordings", &format!("recordID={}", rec.id))
        .await
        .assert_key("noRecordings");
    assert!(!fs.path().join("presentation").join(&rec.id).exists());
    assert_no_leftovers(fs.path(), &dirs.join("work"));

    repair();
    wait_listed(&gw, &rec.id).await;
    within(10, "the spool emptied", || {
        waiting(&dirs.join("spool")) == 0
    })
    .await;
    assert_all_imported(&gw, fs.path(), "room-fs", std::slice::from_ref(rec)).await;
    assert_no_leftovers(fs.path(), &dirs.join("work"));
}

#[tokio::test]
async fn a_read_only_publish_dir_leaves_the_tarball_until_writable() {
    let Some(fs) = Tmpfs::mount("8m", "the read-only publish dir test") else {
        return;
    };
    fs.remount("ro");
    let rec = Rec::new("ro1", 4096);
    waits_out_a_broken_publish_dir(&fs, &rec, || fs.remount("rw")).await;
}

#[tokio::test]
async fn a_full_publish_dir_leaves_the_tarball_until_there_is_room() {
    let Some(fs) = Tmpfs::mount("1m", "the full publish dir test") else {
        return;
    };
    let rec = Rec::new("full1", 2 << 20);
    waits_out_a_broken_publish_dir(&fs, &rec, || fs.remount("size=16m")).await;
}
