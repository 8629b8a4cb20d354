//! Recordings end to end through the real binary, on the embedded SQLite database and on
//! PostgreSQL: a tarball in the spool (or uploaded by a BBB server) is imported by the importer
//! service, its files land in the publish dir, getRecordings lists it (and pages), publish moves
//! its files, delete removes them, and a tarball that can never import goes to `failed/`.
use crate::common::*;
use crate::health::TestDatabase;
use std::path::{Path, PathBuf};

pub(crate) fn metadata_xml(record_id: &str, meeting_id: &str, start_ms: i64) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<recording>\n  <id>{record_id}</id>\n  <state>published</state>\n  \
         <published>true</published>\n  <start_time>{start_ms}</start_time>\n  \
         <end_time>{}</end_time>\n  <participants>4</participants>\n  <meta>\n    \
         <meetingId>{meeting_id}</meetingId>\n    <meetingName>Lecture {record_id}</meetingName>\n    \
         <bbb-origin>Greenlight</bbb-origin>\n  </meta>\n  <playback>\n    \
         <format>presentation</format>\n    \
         <link>https://bbb.example.com/playback/presentation/2.3/{record_id}</link>\n    \
         <duration>600000</duration>\n  </playback>\n</recording>\n",
        start_ms + 600_000
    )
}

/// A spool tarball of one presentation recording.
pub(crate) fn tarball(record_id: &str, meeting_id: &str, start_ms: i64) -> Vec<u8> {
    tarball_with(record_id, meeting_id, start_ms, &[])
}

/// A spool tarball of one presentation recording with `extra` files (name, contents) beside
/// its metadata.xml and slides.svg.
pub(crate) fn tarball_with(
    record_id: &str,
    meeting_id: &str,
    start_ms: i64,
    extra: &[(String, Vec<u8>)],
) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |path: String, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, data).unwrap();
    };
    let dir = format!("presentation/{record_id}");
    add(
        format!("{dir}/metadata.xml"),
        metadata_xml(record_id, meeting_id, start_ms).as_bytes(),
    );
    add(format!("{dir}/slides.svg"), b"<svg/>");
    for (name, data) in extra {
        add(format!("{dir}/{name}"), data);
    }
    b.into_inner().unwrap()
}

/// Drop a tarball into the spool as rsync does: written under a hidden name, then renamed.
pub(crate) fn spool(gw: &Gateway, name: &str, bytes: &[u8]) {
    spool_at(&recordings_dir(gw).join("spool"), name, bytes);
}

/// [`spool`] into the spool dir `dir`.
pub(crate) fn spool_at(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    let hidden = dir.join(format!(".{name}.partial"));
    std::fs::write(&hidden, bytes).unwrap();
    std::fs::rename(hidden, dir.join(name)).unwrap();
}

pub(crate) fn recordings_dir(gw: &Gateway) -> PathBuf {
    gw.dir.join("recordings")
}

fn exists(p: &Path) -> bool {
    p.exists()
}

pub(crate) async fn start(database_url: Option<&str>) -> Gateway {
    let mut env = vec![("RECORDING_IMPORT_POLL_INTERVAL", "0.3")];
    if let Some(url) = database_url {
        env.push(("DATABASE_URL", url));
    }
    Gateway::start(&env).await
}

pub(crate) async fn wait_listed(gw: &Gateway, record_id: &str) -> Response {
    let query = format!("recordID={record_id}");
    eventually(&format!("recording {record_id} imported"), || async {
        gw.get("getRecordings", &query)
            .await
            .xml("recordID")
            .as_deref()
            == Some(record_id)
    })
    .await;
    gw.get("getRecordings", &query).await
}

async fn imported_published_paged_deleted(database_url: Option<&str>) {
    let gw = start(database_url).await;
    let dirs = recordings_dir(&gw);
    spool(&gw, "r1.tar", &tarball("r1", "room-1", 1_700_000_000_000));
    spool(&gw, "r2.tar", &tarball("r2", "room-1", 1_700_000_100_000));
    let r = wait_listed(&gw, "r1").await;
    r.assert_success()
        .assert_xml("meetingID", "room-1")
        .assert_xml("published", "true")
        .assert_xml("length", "10")
        .assert_xml("bbb-origin", "Greenlight");
    let url = r.xml("url").unwrap();
    assert!(url.ends_with("/playback/presentation/2.3/r1"), "{url}");
    wait_listed(&gw, "r2").await;
    // The files are in the publish dir, the tarballs gone from the spool.
    assert!(exists(&dirs.join("published/presentation/r1/slides.svg")));
    eventually("the spool emptied", || async {
        !exists(&dirs.join("spool/r1.tar")) && !exists(&dirs.join("spool/r2.tar"))
    })
    .await;

    // A page: the newest first, the total of all matches beside it.
    let page = gw.get("getRecordings", "meetingID=room-1&limit=1").await;
    page.assert_success()
        .assert_xml("recordID", "r2")
        .assert_xml("totalElements", "2");
    let next = gw
        .get("getRecordings", "meetingID=room-1&limit=1&offset=1")
        .await;
    next.assert_xml("recordID", "r1");
    // Without a limit, Scalelite's answer: no total.
    assert!(gw
        .get("getRecordings", "meetingID=room-1")
        .await
        .xml("totalElements")
        .is_none());

    // Unpublish moves the files to the unpublish dir.
    gw.get("publishRecordings", "recordID=r1&publish=false")
        .await
        .assert_success()
        .assert_xml("published", "false");
    assert!(exists(&dirs.join("unpublished/presentation/r1/slides.svg")));
    assert!(!exists(&dirs.join("published/presentation/r1")));
    gw.get("getRecordings", "recordID=r1")
        .await
        .assert_xml("published", "false");

    gw.get("updateRecordings", "recordID=r2&meta_course=Physics")
        .await
        .assert_xml("updated", "true");
    gw.get("getRecordings", "recordID=r2")
        .await
        .assert_xml("course", "Physics");

    gw.get("deleteRecordings", "recordID=r2")
        .await
        .assert_success()
        .assert_xml("deleted", "true");
    assert!(!exists(&dirs.join("published/presentation/r2")));
    gw.get("getRecordings", "recordID=r2")
        .await
        .assert_key("noRecordings");
    gw.get("deleteRecordings", "recordID=nope")
        .await
        .assert_failed("notFound", Some("We could not find recordings"));
}

#[tokio::test]
async fn imported_published_paged_deleted_on_sqlite() {
    imported_published_paged_deleted(None).await;
}

#[tokio::test]
async fn imported_published_paged_deleted_on_postgres() {
    let db = TestDatabase::create().await;
    imported_published_paged_deleted(Some(&db.url)).await;
}

/// A tarball that can never import is moved to failed/ with its reason, and the importer goes on
/// with the next one (Scalelite looped on it forever, #625).
#[tokio::test]
async fn a_tarball_that_can_never_import_goes_to_failed() {
    let gw = start(None).await;
    let dirs = recordings_dir(&gw);
    spool(&gw, "bad.tar", b"this is not a tarball at all, just text");
    spool(&gw, "good.tar", &tarball("g1", "room-2", 1_700_000_000_000));
    wait_listed(&gw, "g1").await;
    eventually("the bad tarball in failed/", || async {
        exists(&dirs.join("spool/failed/bad.tar"))
    })
    .await;
    let reason = std::fs::read_to_string(dirs.join("spool/failed/bad.tar.reason")).unwrap();
    assert!(!reason.trim().is_empty());
    assert!(!exists(&dirs.join("spool/bad.tar")));
}

/// The whole transfer: a BBB server uploads its tarball (signed with its own secret), the
/// importer indexes it.
#[tokio::test]
async fn an_uploaded_recording_is_imported() {
    let sim = BbbSimulator::start("upload-bbb-secret").await.unwrap();
    let gw = start(None).await;
    let id = gw.add_server(&sim).await;
    let body = tarball("u1", "room-3", 1_700_000_000_000);
    let digest = sha256_hex(&body);
    let query = format!("server={id}&sha256={digest}");
    let url = signed(
        &gw.url(ADMIN_API),
        "uploadRecording",
        &query,
        "upload-bbb-secret",
        scalelite::bbb::Algorithm::Sha256,
    );
    let r = gw
        .http
        .post(url)
        .header("Content-Type", "application/x-tar")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    wait_listed(&gw, "u1")
        .await
        .assert_xml("meetingID", "room-3");
}

fn sha256_hex(bytes: &[u8]) -> String {
    scalelite::bbb::Algorithm::Sha256.hex_digest(&[bytes])
}
