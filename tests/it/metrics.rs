//! The Prometheus endpoint: on its own listener, with request, upstream, per-server, poller,
//! store and build metrics named by Prometheus conventions.
use crate::common::*;

#[tokio::test]
async fn metrics_describe_requests_servers_poller_and_store() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let sim = sim("metrics-secret").await;
    let gw = Gateway::start(&[("SCALELITE_METRICS_LISTEN", listen.as_str())]).await;
    let id = gw.add_server(&sim).await;
    gw.create_ok("meetingID=m&name=M").await;
    assert_eq!(gw.join("meetingID=m&fullName=x").await.status, 302);
    gw.get("getMeetingInfo", "meetingID=m")
        .await
        .assert_success();
    gw.get("join", "meetingID=nope")
        .await
        .assert_failed("notFound", None);
    // The server gauges follow the registry, refreshed after each poll.
    let url = format!("http://{listen}/metrics");
    let mut text = String::new();
    for _ in 0..100 {
        text = gw.get_url(&url).await.body;
        if text.contains(&format!("scalelite_server_online{{server=\"{id}\"}} 1")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for expected in [
        "scalelite_requests_total{call=\"join\",result=\"302\"} 1",
        "scalelite_requests_total{call=\"join\",result=\"notFound\"} 1",
        "scalelite_requests_total{call=\"create\",result=\"200\"} 1",
        "scalelite_request_duration_seconds_bucket{call=\"join\"",
        "scalelite_upstream_request_duration_seconds_count{call=\"create\"",
        "scalelite_upstream_request_duration_seconds_count{call=\"getMeetingInfo\"",
        &format!("scalelite_server_online{{server=\"{id}\"}} 1"),
        &format!("scalelite_server_state{{server=\"{id}\",state=\"enabled\"}} 1"),
        &format!("scalelite_server_meetings{{server=\"{id}\"}}"),
        "scalelite_poll_cycle_duration_seconds_count",
        "scalelite_store_operation_duration_seconds_count{operation=\"join\"}",
        "scalelite_build_info{version=",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
    // Exposition format: every sample line is `name{labels} value` with a numeric value.
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let value = line.rsplit(' ').next().unwrap_or("");
        assert!(value.parse::<f64>().is_ok(), "bad sample line: {line}");
        assert!(
            line.starts_with("scalelite_") || line.starts_with("process_"),
            "{line}"
        );
    }
    promtool_check(&text);
    // Not on the API listener: there /metrics is an unknown path, answered like any other
    // (behaviour doc §1.7: the catch-all's unsupportedRequest envelope, HTTP 200), with no
    // metric in it.
    for method in ["GET", "POST"] {
        let r = gw.send(method, &gw.url("/metrics"), None, "").await;
        r.assert_failed("unsupportedRequest", Some(UNSUPPORTED));
        assert!(!r.body.contains("scalelite_"), "{}", r.body);
    }
}
