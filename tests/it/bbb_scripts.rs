//! The BBB-server scripts of `packaging/bbb/` run against a BBB-like tree made in a temp dir
//! (published dirs of two formats, status/published .done files, a bbb-web.properties, a fake
//! `bbb-record` first in PATH): the post-publish sender's HTTPS upload against a recording
//! receiver that checks the signature as Scalelite's uploadRecording does, its retries, and its
//! rsync spool transfer. The upload tests are in `bbb_scripts_upload`; the batch send, the prune
//! and shellcheck in `bbb_scripts_batch`.

use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const ID_A: &str = "0123456789abcdef0123456789abcdef01234567-1700000000000";
pub const ID_B: &str = "89abcdef0123456789abcdef0123456789abcdef-1700000000001";
pub const ID_C: &str = "fedcba9876543210fedcba9876543210fedcba98-1700000000002";
pub const SECRET: &str = "own-bbb-secret-of-bbb1";
pub const HOST: &str = "bbb1.example.com";

/// A BBB server's directories in a temp dir, and the configuration file of the scripts.
pub struct Bbb {
    pub dir: tempfile::TempDir,
}

impl Bbb {
    pub fn new() -> Self {
        let bbb = Bbb {
            dir: tempfile::tempdir().unwrap(),
        };
        for sub in [
            "published",
            "recording/status/published",
            "recording/raw",
            "etc",
            "bin",
        ] {
            std::fs::create_dir_all(bbb.path(sub)).unwrap();
        }
        bbb.write(
            "etc/bbb-web.properties",
            &format!(
                "securitySalt=old\nbigbluebutton.web.serverURL=https://{HOST}/\nsecuritySalt={SECRET}\n"
            ),
        );
        bbb.write(
            "bin/bbb-record",
            "#!/bin/sh\necho \"$*\" >> \"$(dirname \"$0\")/../bbb-record.calls\"\n",
        );
        let status = Command::new("chmod")
            .arg("+x")
            .arg(bbb.path("bin/bbb-record"))
            .status();
        assert!(status.unwrap().success());
        bbb
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// A recording published in two formats, as BBB leaves it: files and one .done per format.
    pub fn publish(&self, id: &str) {
        self.write(
            &format!("published/presentation/{id}/metadata.xml"),
            &format!("<id>{id}</id>"),
        );
        self.write(&format!("published/presentation/{id}/slides/1.png"), "png");
        self.write(
            &format!("published/video/{id}/metadata.xml"),
            &format!("<id>{id}</id>"),
        );
        self.write(&format!("published/video/{id}/video-0.m4v"), "m4v");
        for format in ["presentation", "video"] {
            self.write(
                &format!("recording/status/published/{id}-{format}.done"),
                "",
            );
        }
    }

    /// The configuration file: the tree's directories plus `extra` KEY=value lines.
    pub fn configure(&self, extra: &str) {
        let d = self.dir.path().display();
        self.write(
            "etc/scalelite-transfer.conf",
            &format!(
                "# test\nWORK_DIR=\"{d}/work\"\nPUBLISHED_DIR={d}/published\nRECORDING_DIR='{d}/recording'\n\
                 BBB_WEB_PROPERTIES={d}/etc/bbb-web.properties\n\
                 BBB_DEFAULT_PROPERTIES={d}/etc/bigbluebutton.properties\n\
                 LOG_FILE={d}/log/transfer.log\nPRUNE_LOG_FILE={d}/log/prune.log\n\
                 CONNECT_TIMEOUT=5\n{extra}\n"
            ),
        );
    }

    pub fn command(&self, script: &str) -> Command {
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("packaging/bbb")
            .join(script);
        let mut command = Command::new(script);
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap()
        );
        command.env("PATH", path).env(
            "SCALELITE_TRANSFER_CONF",
            self.path("etc/scalelite-transfer.conf"),
        );
        command
    }

    pub fn run(&self, script: &str, args: &[&str]) -> Output {
        self.command(script).args(args).output().unwrap()
    }

    pub fn bbb_record_calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("bbb-record.calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(&format!("log/{name}"))).unwrap_or_default()
    }
}

/// The entries of a tarball (`tar -tf`), sorted.
pub fn tar_list(tarball: &[u8]) -> Vec<String> {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), tarball).unwrap();
    let out = Command::new("tar")
        .arg("-tf")
        .arg(file.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "not a tarball");
    let mut list: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    list.sort();
    list
}

pub fn expected_entries(id: &str) -> Vec<String> {
    let mut list: Vec<String> = [
        "presentation/{id}/",
        "presentation/{id}/metadata.xml",
        "presentation/{id}/slides/",
        "presentation/{id}/slides/1.png",
        "video/{id}/",
        "video/{id}/metadata.xml",
        "video/{id}/video-0.m4v",
    ]
    .iter()
    .map(|entry| entry.replace("{id}", id))
    .collect();
    list.sort();
    list
}

fn hex_digest<D: Digest>(data: &[u8]) -> String {
    hex::encode(D::digest(data))
}

/// One request the receiver took: its query, body, status answered and what was wrong with it.
pub struct Received {
    pub query: String,
    pub body: Vec<u8>,
    pub status: u16,
    pub problems: Vec<String>,
}

/// What uploadRecording checks: path, content type, the server, the body's SHA-256 and the
/// checksum over "uploadRecording" + the query without the checksum + the server's secret.
fn check(head: &str, body: &[u8], server: &str) -> (String, Vec<String>) {
    let mut problems = Vec::new();
    let target = head
        .lines()
        .next()
        .unwrap_or("")
        .split(' ')
        .nth(1)
        .unwrap_or("");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if !head.starts_with("POST ") || path != "/scalelite/api/uploadRecording" {
        problems.push(format!("request line {target}"));
    }
    if !head
        .lines()
        .any(|l| l.eq_ignore_ascii_case("content-type: application/x-tar"))
    {
        problems.push("content type".into());
    }
    let (signed, checksum) = query.rsplit_once("&checksum=").unwrap_or((query, ""));
    let data = format!("uploadRecording{signed}{SECRET}");
    let expected = match checksum.len() {
        40 => hex_digest::<Sha1>(data.as_bytes()),
        64 => hex_digest::<Sha256>(data.as_bytes()),
        96 => hex_digest::<Sha384>(data.as_bytes()),
        128 => hex_digest::<Sha512>(data.as_bytes()),
        _ => String::new(),
    };
    if expected.is_empty() || expected != checksum {
        problems.push(format!("checksum {checksum}"));
    }
    let params: Vec<(String, String)> = form_urlencoded::parse(signed.as_bytes())
        .into_owned()
        .collect();
    let want = [
        ("server", server.to_owned()),
        ("sha256", hex_digest::<Sha256>(body)),
    ];
    if params
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect::<Vec<_>>()
        != want
    {
        problems.push(format!("params {params:?}"));
    }
    (query.to_owned(), problems)
}

fn serve_one(mut stream: TcpStream, server: &str, status: u16) -> Received {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed before the headers ended");
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .expect("the upload has a Content-Length");
    while data.len() < head_end + length {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed before the body ended");
        data.extend_from_slice(&buf[..n]);
    }
    let body = data[head_end..head_end + length].to_vec();
    let (query, problems) = check(&head, &body, server);
    let status = if problems.is_empty() { status } else { 401 };
    let answer =
        format!("HTTP/1.1 {status} Scripted\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    stream.write_all(answer.as_bytes()).unwrap();
    Received {
        query,
        body,
        status,
        problems,
    }
}

/// Serves uploads on `listener`, answering `statuses` in turn (the last one repeats).
pub fn receiver(
    listener: TcpListener,
    statuses: &[u16],
    server: &str,
) -> Arc<Mutex<Vec<Received>>> {
    let received = Arc::new(Mutex::new(Vec::new()));
    let (log, statuses, server) = (received.clone(), statuses.to_vec(), server.to_owned());
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let status = statuses[n.min(statuses.len() - 1)];
            let got = serve_one(stream.unwrap(), &server, status);
            log.lock().unwrap().push(got);
        }
    });
    received
}

pub fn listen() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

pub fn assert_all_signed(received: &[Received]) {
    for r in received {
        assert!(
            r.problems.is_empty(),
            "bad upload {}: {:?}",
            r.query,
            r.problems
        );
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_spool_transfer_rsyncs_the_tarball_with_the_extra_options() {
    let bbb = Bbb::new();
    bbb.publish(ID_A);
    std::fs::create_dir_all(bbb.path("spool")).unwrap();
    let spool = bbb.path("spool");
    bbb.configure(&format!(
        "TRANSFER=rsync\nSPOOL_DIR={}\nEXTRA_RSYNC_OPTS=--chmod=F640",
        spool.display()
    ));
    let out = bbb.run("scalelite-post-publish", &["-m", ID_A]);
    assert!(out.status.success(), "{}", stderr(&out));
    let tarball = spool.join(format!("{ID_A}.tar"));
    assert_eq!(
        tar_list(&std::fs::read(&tarball).unwrap()),
        expected_entries(ID_A)
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&tarball).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(
        !bbb.exists(&format!("work/{ID_A}.tar")),
        "rsync removed the source"
    );
    assert!(bbb.exists(&format!("recording/status/published/{ID_A}-sender.done")));

    // An unreachable spool keeps the tarball.
    bbb.configure("TRANSFER=rsync\nSPOOL_DIR=/nonexistent/dir/spool\nRETRY_ATTEMPTS=1");
    let out = bbb.run("scalelite-post-publish", &["-m", ID_A]);
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(bbb.exists(&format!("work/{ID_A}.tar")));
}

#[test]
fn nothing_published_exits_quietly_and_unsafe_ids_are_refused() {
    let bbb = Bbb::new();
    let (listener, url) = listen();
    let received = receiver(listener, &[200], HOST);
    bbb.configure(&format!("SCALELITE_URL={url}\nRETRY_ATTEMPTS=1"));
    let out = bbb.run("scalelite-post-publish", &["-m", ID_A]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stderr.is_empty(), "quiet: {}", stderr(&out));
    for bad in ["../x", "a/b", "..", "-rf"] {
        let out = bbb.run("scalelite-post-publish", &["-m", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
    }
    let out = bbb.run("scalelite-post-publish", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(received.lock().unwrap().is_empty());
    assert!(
        std::fs::read_dir(bbb.path("work"))
            .map(|d| d.count())
            .unwrap_or(0)
            == 0
    );
}
