//! Fault injection on the recordings importer through the real binary (issue 9 part 8): the
//! gateway SIGKILLed again and again mid-import, the database going away during an import, and
//! two instances sharing one spool (a read-only and a full publish filesystem: in
//! `recordings_faults_fs.rs`, with the helpers here). In every case the
//! count of recordings lost must be zero: each tarball either stays in the spool or its
//! recording is listed with complete files — never half-imported, never imported twice.
use crate::common::*;
use crate::health::TestDatabase;
use crate::recordings::{recordings_dir, spool, spool_at, tarball_with, wait_listed};
use sqlx::{Connection, Executor, PgConnection, Row};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) const POLL: &str = "0.3";
/// Long enough for several rescans, so a negative check ("still in the spool") means something.
pub(crate) const SEVERAL_PASSES: Duration = Duration::from_secs(2);

/// One recording of a test: its id and the files (beside metadata.xml) its tarball carries.
pub(crate) struct Rec {
    pub(crate) id: String,
    files: Vec<(String, Vec<u8>)>,
}

impl Rec {
    pub(crate) fn new(id: &str, big: usize) -> Rec {
        let mut files = vec![("slides.svg".to_string(), b"<svg/>".to_vec())];
        if big > 0 {
            files.push(("video.webm".to_string(), contents(id, big)));
        }
        Rec {
            id: id.to_string(),
            files,
        }
    }

    pub(crate) fn tarball(&self, room: &str) -> Vec<u8> {
        // slides.svg is written by tarball_with itself.
        tarball_with(&self.id, room, 1_700_000_000_000, &self.files[1..])
    }
}

/// `len` bytes that depend on `seed` everywhere, so a truncated or mixed-up copy shows.
pub(crate) fn contents(seed: &str, len: usize) -> Vec<u8> {
    let mut x = seed.bytes().fold(0x9e37_79b9_7f4a_7c15_u64, |h, b| {
        (h ^ b as u64).rotate_left(7) | 1
    });
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn random_below(n: u64) -> u64 {
    (uuid::Uuid::new_v4().as_u128() as u64) % n
}

/// The tarballs waiting in `spool` (not hidden, not in failed/).
pub(crate) fn waiting(spool: &Path) -> usize {
    std::fs::read_dir(spool)
        .map(|rd| {
            rd.flatten()
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().to_string();
                    !name.starts_with('.') && name.ends_with(".tar")
                })
                .count()
        })
        .unwrap_or(0)
}

/// Wait (up to `secs`) until `f` returns true.
pub(crate) async fn within<F: Fn() -> bool>(secs: u64, what: &str, f: F) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        // Finely: the kill test reacts to single imports (a few ms each).
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Every recording of `recs` is listed (once) and its files in `publish` are complete.
pub(crate) async fn assert_all_imported(gw: &Gateway, publish: &Path, room: &str, recs: &[Rec]) {
    for rec in recs {
        gw.get("getRecordings", &format!("recordID={}", rec.id))
            .await
            .assert_success()
            .assert_xml("recordID", &rec.id);
        let dir = publish.join("presentation").join(&rec.id);
        assert!(dir.join("metadata.xml").is_file(), "{}", dir.display());
        for (name, data) in &rec.files {
            let got = std::fs::read(dir.join(name)).unwrap_or_default();
            assert!(
                got == *data,
                "{}/{name}: {} bytes of {}",
                rec.id,
                got.len(),
                data.len()
            );
        }
    }
    let all = gw.get("getRecordings", &format!("meetingID={room}")).await;
    assert_eq!(
        all.body.matches("<recordID>").count(),
        recs.len(),
        "{}",
        all.body
    );
}

/// Staging copies (hidden names) in a publish dir's formats, and entries in the work dir:
/// what an interrupted import leaves.
pub(crate) fn leftovers(publish: &Path, work: &Path) -> Vec<PathBuf> {
    let entries = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect()
    };
    let hidden = |p: &PathBuf| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
    };
    let mut found: Vec<PathBuf> = entries(publish).into_iter().filter(hidden).collect();
    for format in entries(publish) {
        found.extend(entries(&format).into_iter().filter(hidden));
    }
    found.extend(entries(work));
    found
}

pub(crate) fn assert_no_leftovers(publish: &Path, work: &Path) {
    let left = leftovers(publish, work);
    assert!(left.is_empty(), "leftovers of an import: {left:?}");
}

fn env_with(database_url: Option<&str>) -> Vec<(&str, &str)> {
    let mut env = vec![("RECORDING_IMPORT_POLL_INTERVAL", POLL)];
    if let Some(url) = database_url {
        env.push(("DATABASE_URL", url));
    }
    env
}

/// RECORDING_{SPOOL,WORK,PUBLISH,UNPUBLISH}_DIR under `root` (as `spool`, `work`, …).
fn dirs_under(root: &Path) -> Vec<(&'static str, String)> {
    [
        ("RECORDING_SPOOL_DIR", "spool"),
        ("RECORDING_WORK_DIR", "work"),
        ("RECORDING_PUBLISH_DIR", "published"),
        ("RECORDING_UNPUBLISH_DIR", "unpublished"),
    ]
    .into_iter()
    .map(|(key, name)| (key, root.join(name).to_string_lossy().to_string()))
    .collect()
}

/// 240 tarballs waiting (every third one with 3 MB of video) when the gateway starts; six
/// times, once a random few have imported, it is SIGKILLed a random moment later (imports go
/// on: more are waiting) and restarted on the same data and recording dirs. So many that a
/// fast machine cannot import them all between the six kills (60 could).
async fn killed_again_and_again_mid_import(database_url: Option<&str>) {
    let root = tempfile::tempdir().unwrap();
    let dir = |name: &str| root.path().join(name);
    let room = "room-killed";
    let recs: Vec<Rec> = (0..240)
        .map(|i| {
            let big = if i % 3 == 0 { 3 << 20 } else { 128 << 10 };
            Rec::new(&format!("k{i:03}"), big)
        })
        .collect();
    for rec in &recs {
        let name = format!("{}.tar", rec.id);
        spool_at(&dir("spool"), &name, &rec.tarball(room));
    }
    let paths = dirs_under(root.path());
    let mut env = env_with(database_url);
    env.extend(paths.iter().map(|(k, v)| (*k, v.as_str())));
    let mut gw = Gateway::start(&env).await;
    let (mut kills, mut interrupted) = (0, 0);
    while kills < 6 {
        let before = waiting(&dir("spool"));
        let step = 1 + random_below(3) as usize;
        within(20, "imports after a restart", || {
            let now = waiting(&dir("spool"));
            now + step <= before || now == 0
        })
        .await;
        tokio::time::sleep(Duration::from_millis(random_below(15))).await;
        if waiting(&dir("spool")) == 0 {
            break;
        }
        gw.kill();
        kills += 1;
        if !leftovers(&dir("published"), &dir("work")).is_empty() {
            interrupted += 1;
        }
        gw.restart().await;
    }
    // The kills landed while imports went on, and some cut one short (it left its extraction
    // or staging copy for the sweep at the next start).
    assert!(kills >= 3, "only {kills} kill(s) before all imported");
    assert!(interrupted > 0, "no kill interrupted an import");
    assert!(interrupted > 0, "no kill interrupted an import");
    within(40, "the spool emptied", || waiting(&dir("spool")) == 0).await;
    assert!(!dir("spool/failed").exists(), "a tarball was failed");
    assert_all_imported(&gw, &dir("published"), room, &recs).await;
    assert_no_leftovers(&dir("published"), &dir("work"));
}

#[tokio::test]
async fn killed_again_and_again_mid_import_on_sqlite() {
    killed_again_and_again_mid_import(None).await;
}

#[tokio::test]
async fn killed_again_and_again_mid_import_on_postgres() {
    let db = TestDatabase::create().await;
    killed_again_and_again_mid_import(Some(&db.url)).await;
}

async fn admin(db: &TestDatabase, sql: &str) {
    let mut con = PgConnection::connect(&db.admin).await.unwrap();
    con.execute(sql).await.unwrap();
}

/// PostgreSQL refuses the gateway (its connections terminated, new ones not allowed) while a
/// tarball waits: it stays in the spool, unimported, and imports once the database is back.
#[tokio::test]
async fn the_database_down_leaves_the_tarball_until_it_is_back() {
    let db = TestDatabase::create().await;
    let gw = Gateway::start(&env_with(Some(&db.url))).await;
    let dirs = recordings_dir(&gw);
    let before = Rec::new("db0", 0);
    spool(&gw, "db0.tar", &before.tarball("room-db"));
    wait_listed(&gw, "db0").await;

    let name = &db.name;
    admin(
        &db,
        &format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"),
    )
    .await;
    admin(
        &db,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ),
    )
    .await;
    let rec = Rec::new("db1", 64 << 10);
    spool(&gw, "db1.tar", &rec.tarball("room-db"));
    tokio::time::sleep(SEVERAL_PASSES).await;
    assert!(
        dirs.join("spool/db1.tar").is_file(),
        "the tarball left the spool"
    );
    assert!(
        !dirs.join("spool/failed").exists(),
        "the tarball was failed"
    );
    assert!(!dirs.join("published/presentation/db1").exists());

    admin(
        &db,
        &format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"),
    )
    .await;
    wait_listed(&gw, "db1").await;
    within(10, "the spool emptied", || {
        waiting(&dirs.join("spool")) == 0
    })
    .await;
    assert_all_imported(&gw, &dirs.join("published"), "room-db", &[before, rec]).await;
    assert_no_leftovers(&dirs.join("published"), &dirs.join("work"));
}

/// One row per record id (no recording imported twice), as many as `recs`.
async fn assert_one_row_each(db: &TestDatabase, recs: &[Rec]) {
    let mut con = PgConnection::connect(&db.url).await.unwrap();
    let rows = sqlx::query("SELECT record_id, count(*) FROM recordings GROUP BY record_id")
        .fetch_all(&mut con)
        .await
        .unwrap();
    assert_eq!(rows.len(), recs.len());
    for row in rows {
        let (id, n): (String, i64) = (row.get(0), row.get(1));
        assert_eq!(n, 1, "recording {id} has {n} rows");
    }
}

fn recs(prefix: &str, n: usize) -> Vec<Rec> {
    (0..n)
        .map(|i| {
            Rec::new(
                &format!("{prefix}{i:02}"),
                if i % 4 == 0 { 1 << 20 } else { 64 << 10 },
            )
        })
        .collect()
}

/// Two instances on one PostgreSQL database, one Redis namespace (the `importer` lease) and
/// one set of recording dirs: 20 tarballs, each imported exactly once.
#[tokio::test]
async fn two_instances_on_one_spool_import_each_recording_once() {
    let db = TestDatabase::create().await;
    let shared = tempfile::tempdir().unwrap();
    let dir = |name: &str| -> PathBuf { shared.path().join(name) };
    let paths = dirs_under(shared.path());
    let mut env = env_with(Some(&db.url));
    env.extend(paths.iter().map(|(k, v)| (*k, v.as_str())));
    let store = Store::redis();
    let a = Gateway::start_on(&store, &env).await;
    let b = Gateway::start_on(&store, &env).await;

    let room = "room-shared";
    let recs = recs("s", 20);
    for rec in &recs {
        let name = format!("{}.tar", rec.id);
        spool_at(&dir("spool"), &name, &rec.tarball(room));
    }
    within(40, "the spool emptied", || waiting(&dir("spool")) == 0).await;
    assert!(!dir("spool/failed").exists(), "a tarball was failed");
    assert_all_imported(&a, &dir("published"), room, &recs).await;
    assert_all_imported(&b, &dir("published"), room, &recs).await;
    assert_no_leftovers(&dir("published"), &dir("work"));
    assert_one_row_each(&db, &recs).await;
}

/// The instance holding the `importer` lease freezes mid-import (SIGSTOP) and dies (SIGKILL):
/// the other instance takes the lease over within seconds (not the ten minutes a lease that
/// outlives any import would take), sweeps what the dead one left, and imports the rest.
#[tokio::test]
async fn a_dead_importer_is_replaced_by_the_other_instance() {
    let db = TestDatabase::create().await;
    let shared = tempfile::tempdir().unwrap();
    let dir = |name: &str| -> PathBuf { shared.path().join(name) };
    let room = "room-takeover";
    let recs = recs("t", 40);
    for rec in &recs {
        let name = format!("{}.tar", rec.id);
        spool_at(&dir("spool"), &name, &rec.tarball(room));
    }
    let paths = dirs_under(shared.path());
    let mut env = env_with(Some(&db.url));
    env.extend(paths.iter().map(|(k, v)| (*k, v.as_str())));
    let store = Store::redis();
    // Alone, `a` takes the lease and starts importing.
    let mut a = Gateway::start_on(&store, &env).await;
    within(20, "a's first imports", || {
        waiting(&dir("spool")) < recs.len()
    })
    .await;
    let stopped = Command::new("kill")
        .args(["-STOP", &a.pid().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let left = waiting(&dir("spool"));
    assert!(left > 0, "a imported everything before it was stopped");
    let b = Gateway::start_on(&store, &env).await;
    a.kill();
    within(30, "b imported the rest", || waiting(&dir("spool")) == 0).await;
    assert!(!dir("spool/failed").exists(), "a tarball was failed");
    assert_all_imported(&b, &dir("published"), room, &recs).await;
    assert_no_leftovers(&dir("published"), &dir("work"));
    assert_one_row_each(&db, &recs).await;
}
