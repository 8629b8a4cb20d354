//! The post-publish sender's HTTPS upload (`packaging/bbb/scalelite-post-publish`) against the
//! recording receiver of `bbb_scripts`, which checks each request as Scalelite's
//! uploadRecording does: retries with backoff, the tarball kept until Scalelite took it, a
//! refusal moved to `failed/`, the server id, the checksum algorithms and the secret files.

use crate::bbb_scripts::{
    assert_all_signed, expected_entries, listen, receiver, stderr, tar_list, Bbb, HOST, ID_A, ID_B,
    SECRET,
};
use std::net::TcpListener;
use std::time::Duration;

#[test]
fn a_503_is_retried_then_the_signed_tarball_is_stored_and_the_recording_marked_sent() {
    let bbb = Bbb::new();
    bbb.publish(ID_A);
    let (listener, url) = listen();
    let received = receiver(listener, &[503, 200], HOST);
    bbb.configure(&format!(
        "SCALELITE_URL={url}/\nRETRY_ATTEMPTS=3\nRETRY_INITIAL_DELAY=1\nDELETE_RECORDING=true"
    ));
    let out = bbb.run(
        "scalelite-post-publish",
        &["-m", ID_A, "-f", "presentation"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let received = received.lock().unwrap();
    assert_all_signed(&received);
    assert_eq!(
        received.iter().map(|r| r.status).collect::<Vec<_>>(),
        [503, 200]
    );
    assert_eq!(
        received[0].body, received[1].body,
        "the same tarball is sent again"
    );
    assert_eq!(tar_list(&received[1].body), expected_entries(ID_A));
    assert!(
        !bbb.exists(&format!("work/{ID_A}.tar")),
        "sent tarball removed"
    );
    assert!(bbb.exists(&format!("recording/status/published/{ID_A}-sender.done")));
    assert_eq!(bbb.bbb_record_calls(), [format!("--delete {ID_A}")]);
    assert!(
        bbb.log("transfer.log").contains("retrying"),
        "{}",
        bbb.log("transfer.log")
    );
}

#[test]
fn a_tarball_is_kept_until_scalelite_takes_it_and_the_next_run_sends_it() {
    let bbb = Bbb::new();
    bbb.publish(ID_A);
    let (listener, url) = listen();
    let received = receiver(listener, &[503, 503, 200], HOST);
    bbb.configure(&format!(
        "SCALELITE_URL={url}\nRETRY_ATTEMPTS=2\nRETRY_INITIAL_DELAY=0"
    ));
    let out = bbb.run("scalelite-post-publish", &["-m", ID_A]);
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(
        bbb.exists(&format!("work/{ID_A}.tar")),
        "kept after the last retry"
    );
    assert!(!bbb.exists(&format!("recording/status/published/{ID_A}-sender.done")));

    // The next recording's run sends its own tarball, then the one left behind.
    bbb.publish(ID_B);
    let out = bbb.run("scalelite-post-publish", &["-m", ID_B]);
    assert!(out.status.success(), "{}", stderr(&out));
    let received = received.lock().unwrap();
    assert_all_signed(&received);
    assert_eq!(received.len(), 4);
    assert_eq!(tar_list(&received[2].body), expected_entries(ID_B));
    assert_eq!(tar_list(&received[3].body), expected_entries(ID_A));
    for id in [ID_A, ID_B] {
        assert!(!bbb.exists(&format!("work/{id}.tar")));
        assert!(bbb.exists(&format!("recording/status/published/{id}-sender.done")));
    }
    assert!(
        bbb.bbb_record_calls().is_empty(),
        "DELETE_RECORDING is off by default"
    );
}

#[test]
fn a_refused_upload_is_moved_to_failed_and_not_retried() {
    let bbb = Bbb::new();
    bbb.publish(ID_A);
    let (listener, url) = listen();
    let received = receiver(listener, &[401], HOST);
    bbb.configure(&format!(
        "SCALELITE_URL={url}\nRETRY_ATTEMPTS=3\nRETRY_INITIAL_DELAY=0\nDELETE_RECORDING=true"
    ));
    let out = bbb.run("scalelite-post-publish", &["-m", ID_A]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(received.lock().unwrap().len(), 1, "a 401 is not retried");
    assert!(bbb.exists(&format!("work/failed/{ID_A}.tar")));
    assert!(!bbb.exists(&format!("work/{ID_A}.tar")));
    assert!(!bbb.exists(&format!("recording/status/published/{ID_A}-sender.done")));
    assert!(
        bbb.bbb_record_calls().is_empty(),
        "nothing deleted when not sent"
    );
    assert!(stderr(&out).contains("HTTP 401"), "{}", stderr(&out));
}

#[test]
fn a_refused_connection_is_retried_until_scalelite_is_up() {
    let bbb = Bbb::new();
    bbb.publish(ID_A);
    // A reserved port below the ephemeral range: nothing else binds it while the script is
    // refused (see common/ports.rs).
    let port = crate::common::free_port();
    let addr = format!("127.0.0.1:{}", port.get());
    let url = format!("http://{addr}");
    bbb.configure(&format!(
        "SCALELITE_URL={url}\nRETRY_ATTEMPTS=6\nRETRY_INITIAL_DELAY=1"
    ));
    // Spawned now, waited for once the receiver listens: its first attempts are refused.
    let child = bbb
        .command("scalelite-post-publish")
        .args(["-m", ID_A])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let received = receiver(TcpListener::bind(&addr).unwrap(), &[200], HOST);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("curl exit 7"), "{}", stderr(&out));
    let received = received.lock().unwrap();
    assert_all_signed(&received);
    assert_eq!(received.len(), 1);
    assert!(bbb.exists(&format!("recording/status/published/{ID_A}-sender.done")));
}

#[test]
fn the_server_id_algorithm_and_default_secret_file_are_honoured() {
    let bbb = Bbb::new();
    bbb.publish(ID_A);
    // No secret in bbb-web.properties: the default properties file has it.
    bbb.write(
        "etc/bbb-web.properties",
        "bigbluebutton.web.serverURL=https://other.example.com\n",
    );
    bbb.write(
        "etc/bigbluebutton.properties",
        &format!("securitySalt = {SECRET}\r\n"),
    );
    let server = "1b6e9a64-3f5c-4a0e-9d1f-0c2b4d6e8f10";
    for (algorithm, length) in [("sha512", 128), ("sha1", 40), ("sha384", 96)] {
        let (listener, url) = listen();
        let received = receiver(listener, &[200], server);
        bbb.configure(&format!(
            "SCALELITE_URL={url}\nSERVER_ID={server}\nCHECKSUM_ALGORITHM={algorithm}"
        ));
        let out = bbb.run("scalelite-post-publish", &["-m", ID_A]);
        assert!(out.status.success(), "{algorithm}: {}", stderr(&out));
        let received = received.lock().unwrap();
        assert_all_signed(&received);
        assert_eq!(
            received[0].query.rsplit_once("checksum=").unwrap().1.len(),
            length
        );
    }
}
