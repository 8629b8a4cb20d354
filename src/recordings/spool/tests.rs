//! The spool on real files: what counts as waiting, in which order, and what each outcome
//! leaves behind.

use super::*;
use std::collections::HashMap;
use std::time::Duration;

fn touch(dir: &Path, name: &str, age_secs: u64) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, name.as_bytes()).unwrap();
    let t = SystemTime::now() - Duration::from_secs(age_secs);
    std::fs::File::options()
        .write(true)
        .open(&p)
        .unwrap()
        .set_modified(t)
        .unwrap();
    p
}

fn names(paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn pending_is_the_tarballs_oldest_first_without_uploads_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "new.tar", 10);
    touch(dir.path(), "old.tar", 100);
    touch(dir.path(), "mid.tar.gz", 50);
    touch(dir.path(), ".upload-123", 200);
    touch(dir.path(), ".hidden.tar", 300);
    touch(dir.path(), "notes.txt", 400);
    std::fs::create_dir(dir.path().join("dir.tar")).unwrap();
    std::fs::create_dir(dir.path().join(FAILED_DIR)).unwrap();
    touch(&dir.path().join(FAILED_DIR), "gave-up.tar", 500);
    let spool = Spool::new(dir.path());
    assert_eq!(
        names(&spool.pending().unwrap()),
        ["old.tar", "mid.tar.gz", "new.tar"]
    );
}

#[tokio::test]
async fn each_outcome_leaves_the_tarball_where_it_belongs() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "good.tar", 30);
    touch(dir.path(), "bad.tar", 20);
    touch(dir.path(), "later.tar", 10);
    let outcomes: HashMap<&str, Outcome> = [
        ("good.tar", Outcome::Imported),
        ("bad.tar", Outcome::Permanent("no metadata.xml".into())),
        ("later.tar", Outcome::Transient("disk full".into())),
    ]
    .into();
    let spool = Spool::new(dir.path());
    let mut seen = Vec::new();
    let summary = spool
        .pass(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            seen.push(name.clone());
            let outcome = outcomes[name.as_str()].clone();
            async move { outcome }
        })
        .await
        .unwrap();
    assert_eq!(seen, ["good.tar", "bad.tar", "later.tar"]);
    assert_eq!(
        summary,
        PassSummary {
            imported: 1,
            failed: 1,
            retry: 1
        }
    );
    // Imported: gone. Transient: still waiting. Permanent: in failed/ with its reason.
    assert_eq!(names(&spool.pending().unwrap()), ["later.tar"]);
    let failed = dir.path().join(FAILED_DIR);
    assert_eq!(std::fs::read(failed.join("bad.tar")).unwrap(), b"bad.tar");
    assert_eq!(
        std::fs::read_to_string(failed.join("bad.tar.reason")).unwrap(),
        "no metadata.xml\n"
    );
    assert!(!dir.path().join("good.tar").exists());
}

#[tokio::test]
async fn a_second_failure_of_the_same_name_keeps_both() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::new(dir.path());
    for round in 0..2 {
        touch(dir.path(), "same.tar", 1);
        let summary = spool
            .pass(|_| async { Outcome::Permanent(format!("round {round}")) })
            .await
            .unwrap();
        assert_eq!(summary.failed, 1);
    }
    let mut failed: Vec<String> = std::fs::read_dir(dir.path().join(FAILED_DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tar"))
        .collect();
    failed.sort();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed.contains(&"same.tar".to_string()));
}

#[tokio::test]
async fn an_import_that_removed_its_tarball_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "self-cleaning.tar", 1);
    let spool = Spool::new(dir.path());
    let summary = spool
        .pass(|p| async move {
            std::fs::remove_file(&p).unwrap();
            Outcome::Imported
        })
        .await
        .unwrap();
    assert_eq!(summary.imported, 1);
    assert!(spool.pending().unwrap().is_empty());
}

#[tokio::test]
async fn a_missing_spool_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::new(dir.path().join("absent"));
    assert!(spool.pass(|_| async { Outcome::Imported }).await.is_err());
}
