//! Logs of the real binary: JSON lines in a file with one structured access line per request,
//! Pingora's and our own `log` records bridged in, no checksum or secret anywhere; the level
//! and format settings; bad settings refused by `serve --test`.
use crate::common::*;
use scalelite::bbb::Algorithm;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const SIM_SECRET: &str = "sim-secret-for-the-logging-test";

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

/// The file's lines once one of them satisfies `pred` (up to 10 s).
async fn wait_for_line(path: &Path, what: &str, pred: impl Fn(&str) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let all = lines(path);
        if all.iter().any(|l| pred(l)) {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "no log line {what} in:\n{}",
            all.join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `checksum=` value of a URL.
fn checksum_of(url: &str) -> String {
    let (_, sum) = url.split_once("checksum=").expect("a signed URL");
    sum.split('&').next().unwrap_or_default().to_string()
}

/// The access line of `action` on `meeting` (exactly one).
fn access<'a>(json: &'a [Value], action: &str, meeting: &str) -> &'a Value {
    let found: Vec<&Value> = json
        .iter()
        .filter(|v| v["target"] == "scalelite::access")
        .filter(|v| v["action"] == action && v["meetingID"] == meeting)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "access lines of {action} {meeting}: {found:?}"
    );
    found[0]
}

#[tokio::test]
async fn json_lines_in_a_file_with_access_fields_and_no_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("scalelite.log");
    // Lines already there stay: the file is appended to.
    std::fs::write(&log, "{\"earlier\":\"line\"}\n").unwrap();
    let sim = BbbSimulator::start(SIM_SECRET).await.unwrap();
    let gw = Gateway::start(&[
        ("SCALELITE_LOG_FORMAT", "json"),
        ("SCALELITE_LOG_FILE", log.to_str().unwrap()),
        ("SCALELITE_LOG_LEVEL", "info"),
        // The harness quiets RUST_LOG; blank counts as unset, so the level above applies.
        ("RUST_LOG", ""),
        // The meeting must stay on its server after the server stops answering.
        ("SERVER_UNHEALTHY_THRESHOLD", "1000"),
    ])
    .await;
    let server = gw.add_server(&sim).await;

    let create = gw.api("create", "meetingID=log-m1&name=Logs");
    gw.get_url(&create).await.assert_success();
    let join = gw.api("join", &join_query("log-m1"));
    let redirect = gw.get_url(&join).await;
    redirect.assert_redirects_to(&sim);
    let info = gw.api("getMeetingInfo", "meetingID=log-m1");
    gw.get_url(&info).await.assert_success();
    let bad = gw.api_signed(
        "getMeetingInfo",
        "meetingID=log-m1",
        "not-the-secret",
        Algorithm::Sha256,
    );
    gw.get_url(&bad).await.assert_failed("checksumError", None);
    // A meetingID that tries to end the line and start fields of its own.
    let evil = "x\",\"result\":\"200\"}\n{\"target\":\"scalelite::access\" result=200";
    let evil_q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("meetingID", evil)
        .finish();
    let evil_url = gw.api("getMeetingInfo", &evil_q);
    gw.get_url(&evil_url).await.assert_failed("notFound", None);
    // The server stops answering: Pingora logs the failed proxy, quoting the request path.
    sim.stop().await;
    let down = gw.api("isMeetingRunning", "meetingID=log-m1");
    gw.get_url(&down).await.assert_failed("internalError", None);

    let all = wait_for_line(&log, "for the failed proxy", |l| {
        l.contains("\"isMeetingRunning\"") && l.contains("scalelite::access")
    })
    .await;
    assert_eq!(all[0], "{\"earlier\":\"line\"}");
    let json: Vec<Value> = all[1..]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    for v in &json {
        assert!(v["timestamp"].is_string() && v["level"].is_string(), "{v}");
        // Flat lines, without the bridge's bookkeeping fields.
        let keys = v.as_object().unwrap().keys();
        assert!(keys.into_iter().all(|k| !k.starts_with("log.")), "{v}");
    }

    // The access lines carry the call's fields, at the top level of the object.
    let line = access(&json, "create", "log-m1");
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["call"], "api");
    assert_eq!(line["server"], server.as_str());
    assert_eq!(line["tenant"], "-");
    assert_eq!(line["result"], "200");
    assert!(
        line["duration_ms"].as_f64().is_some_and(|d| d >= 0.0),
        "{line}"
    );
    assert_eq!(access(&json, "join", "log-m1")["result"], "302");
    assert_eq!(access(&json, "join", "log-m1")["server"], server.as_str());
    let infos: Vec<&Value> = json
        .iter()
        .filter(|v| v["action"] == "getMeetingInfo" && v["meetingID"] == "log-m1")
        .collect();
    assert_eq!(infos.len(), 2, "{infos:?}");
    assert_eq!(infos[0]["result"], "200");
    assert_eq!(infos[0]["server"], server.as_str());
    assert_eq!(infos[1]["result"], "FAILED:checksumError");
    assert_eq!(infos[1]["server"], "-");
    // The forged meetingID stays one value of one line.
    assert_eq!(
        access(&json, "getMeetingInfo", evil)["result"],
        "FAILED:notFound"
    );
    assert!(json
        .iter()
        .all(|v| v["result"] != "200" || v["meetingID"] != "x"));
    let failed = access(&json, "isMeetingRunning", "log-m1");
    assert!(
        failed["result"].as_str().unwrap().starts_with("error:"),
        "{failed}"
    );

    // Our own `log::info!` and Pingora's `log::error!` arrive through the bridge.
    assert!(
        json.iter().any(|v| v["level"] == "INFO"
            && v["target"] == "scalelite::app"
            && v["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("scalelite listening on")),
        "{all:#?}"
    );
    let pingora = json
        .iter()
        .find(|v| {
            v["target"].as_str().unwrap_or("").starts_with("pingora")
                && v["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("Fail to proxy")
        })
        .unwrap_or_else(|| panic!("no Pingora line in {all:#?}"));
    assert_eq!(pingora["level"], "ERROR");
    let message = pingora["message"].as_str().unwrap();
    // Our request summary: the path and the meeting, never the query.
    assert!(message.contains("/isMeetingRunning"), "{message}");
    assert!(message.contains("meetingID="), "{message}");
    assert!(!message.contains("checksum"), "{message}");

    // No checksum, signed URL or secret anywhere in the file.
    let text = all.join("\n");
    let location = redirect.location();
    for url in [&create, &join, &info, &bad, &evil_url, &down, &location] {
        let sum = checksum_of(url);
        assert!(!text.contains(&sum), "checksum {sum} of {url} is logged");
    }
    for secret in [SECRET, SIM_SECRET] {
        assert!(!text.contains(secret), "a secret is logged");
    }
    let mut rest = text.as_str();
    while let Some(at) = rest.find("checksum=") {
        rest = &rest[at + "checksum=".len()..];
        assert!(rest.starts_with("[redacted]"), "{text}");
    }
}

#[tokio::test]
async fn text_at_warn_has_no_access_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("scalelite.log");
    let sim = BbbSimulator::start(SIM_SECRET).await.unwrap();
    let gw = Gateway::start(&[
        ("SCALELITE_LOG_FORMAT", "text"),
        ("SCALELITE_LOG_FILE", log.to_str().unwrap()),
        ("SCALELITE_LOG_LEVEL", "warn"),
        ("RUST_LOG", ""),
        ("SERVER_UNHEALTHY_THRESHOLD", "1000"),
    ])
    .await;
    gw.add_server(&sim).await;
    gw.create_ok("meetingID=quiet&name=Quiet").await;
    gw.get("getMeetingInfo", "meetingID=quiet")
        .await
        .assert_success();
    // An error line (written before the failed call's own access line would be) shows the
    // log works and every earlier access line would be in the file by now.
    sim.stop().await;
    gw.get("isMeetingRunning", "meetingID=quiet")
        .await
        .assert_failed("internalError", None);
    wait_for_line(&log, "for the failed proxy", |l| {
        l.contains("Fail to proxy")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = lines(&log);
    assert!(
        all.iter()
            .all(|l| !l.contains("scalelite::access") && !l.contains("listening on")),
        "{all:#?}"
    );
    let error = all.iter().find(|l| l.contains("Fail to proxy")).unwrap();
    assert!(!error.starts_with('{'), "text, not JSON: {error}");
    assert!(error.contains(" ERROR "), "{error}");
    assert!(error.contains("/isMeetingRunning"), "{error}");
    assert!(!error.contains("checksum"), "{error}");
}

#[test]
fn bad_log_settings_fail_serve_test() {
    let out = Command::new(env!("CARGO_BIN_EXE_scalelite"))
        .args(["serve", "--test"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOADBALANCER_SECRET", SECRET)
        .env("SCALELITE_LOG_FORMAT", "xml")
        .env("SCALELITE_LOG_LEVEL", "loud")
        .output()
        .expect("run scalelite serve --test");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("  - SCALELITE_LOG_FORMAT: 'xml' is not a log format"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  - SCALELITE_LOG_LEVEL: 'loud' is not a log level"),
        "{stderr}"
    );

    // A log file in a directory that does not exist is refused before the start, too.
    let out = Command::new(env!("CARGO_BIN_EXE_scalelite"))
        .args(["serve", "--test"])
        .env_clear()
        .env("LOADBALANCER_SECRET", SECRET)
        .env("SCALELITE_LOG_FILE", "/nonexistent-dir/scalelite.log")
        .output()
        .expect("run scalelite serve --test");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("log file /nonexistent-dir/scalelite.log"),
        "{stderr}"
    );
}
