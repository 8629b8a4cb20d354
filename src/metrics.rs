//! Prometheus metrics, registered in prometheus' default registry (the one pingora-prometheus
//! serves on its own listener). Names follow Prometheus conventions: `scalelite_` prefix,
//! base units (seconds), `_total` counters.

pub(crate) mod imports;

use prometheus::{
    register_gauge_vec, register_histogram, register_histogram_vec, register_int_counter,
    register_int_counter_vec, register_int_gauge_vec, GaugeVec, Histogram, HistogramVec,
    IntCounter, IntCounterVec, IntGaugeVec,
};
use std::sync::LazyLock;
use std::time::Duration;

pub(crate) struct Metrics {
    pub requests: IntCounterVec,
    pub request_duration: HistogramVec,
    pub upstream_duration: HistogramVec,
    pub upstream_failures: IntCounterVec,
    pub server_online: GaugeVec,
    pub server_state: GaugeVec,
    pub server_load: GaugeVec,
    pub server_meetings: GaugeVec,
    pub server_users: GaugeVec,
    pub server_videos: GaugeVec,
    pub server_largest_meeting: GaugeVec,
    pub poll_cycle: Histogram,
    pub store_duration: HistogramVec,
    pub store_errors: IntCounterVec,
    pub build_info: IntGaugeVec,
    pub upload_bytes: IntCounter,
    pub upload_refusals: IntCounterVec,
}

/// Buckets from 100 µs to 10 s: joins take well under a millisecond, BBB calls up to the timeout.
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

fn gauge(name: &str, help: &str) -> Option<GaugeVec> {
    register_gauge_vec!(name, help, &["server"]).ok()
}

static METRICS: LazyLock<Option<Metrics>> = LazyLock::new(|| {
    let m = Metrics {
        requests: register_int_counter_vec!(
            "scalelite_requests_total",
            "API requests answered, by call and result",
            &["call", "result"]
        )
        .ok()?,
        request_duration: register_histogram_vec!(
            "scalelite_request_duration_seconds",
            "Time to answer an API request, by call",
            &["call"],
            BUCKETS.to_vec()
        )
        .ok()?,
        upstream_duration: register_histogram_vec!(
            "scalelite_upstream_request_duration_seconds",
            "Calls to BBB servers, by server and call",
            &["server", "call"],
            BUCKETS.to_vec()
        )
        .ok()?,
        upstream_failures: register_int_counter_vec!(
            "scalelite_upstream_failures_total",
            "Calls to BBB servers that got no usable answer, by server and call",
            &["server", "call"]
        )
        .ok()?,
        server_online: gauge(
            "scalelite_server_online",
            "1 when the poller sees the server online",
        )?,
        server_state: register_gauge_vec!(
            "scalelite_server_state",
            "1 for the server's state (enabled, cordoned, disabled), 0 for the others",
            &["server", "state"]
        )
        .ok()?,
        server_load: gauge(
            "scalelite_server_load",
            "The server's load (absent while unknown)",
        )?,
        server_meetings: gauge(
            "scalelite_server_meetings",
            "Meetings running on the server",
        )?,
        server_users: gauge("scalelite_server_users", "Participants on the server")?,
        server_videos: gauge("scalelite_server_videos", "Video streams on the server")?,
        server_largest_meeting: gauge(
            "scalelite_server_largest_meeting",
            "Participants of the server's largest meeting",
        )?,
        poll_cycle: register_histogram!(
            "scalelite_poll_cycle_duration_seconds",
            "Time of one poll of every server",
            BUCKETS.to_vec()
        )
        .ok()?,
        store_duration: register_histogram_vec!(
            "scalelite_store_operation_duration_seconds",
            "Store round trips, by operation",
            &["operation"],
            BUCKETS.to_vec()
        )
        .ok()?,
        store_errors: register_int_counter_vec!(
            "scalelite_store_errors_total",
            "Store operations that failed, by operation",
            &["operation"]
        )
        .ok()?,
        build_info: register_int_gauge_vec!(
            "scalelite_build_info",
            "Always 1; the version as a label",
            &["version"]
        )
        .ok()?,
        upload_bytes: register_int_counter!(
            "scalelite_recording_upload_bytes_total",
            "Bytes of recording tarballs uploaded and stored in the spool"
        )
        .ok()?,
        upload_refusals: register_int_counter_vec!(
            "scalelite_recording_upload_refusals_total",
            "Recording uploads refused, by reason",
            &["reason"]
        )
        .ok()?,
    };
    m.build_info
        .with_label_values(&[env!("CARGO_PKG_VERSION")])
        .set(1);
    Some(m)
});

/// The metrics (`None` only if registration failed, which would be a naming bug).
pub(crate) fn get() -> Option<&'static Metrics> {
    METRICS.as_ref()
}

pub(crate) fn request(call: &str, result: &str, took: Duration) {
    if let Some(m) = get() {
        m.requests.with_label_values(&[call, result]).inc();
        m.request_duration
            .with_label_values(&[call])
            .observe(took.as_secs_f64());
    }
}

pub(crate) fn upstream(server: &str, call: &str, took: Duration, ok: bool) {
    if let Some(m) = get() {
        m.upstream_duration
            .with_label_values(&[server, call])
            .observe(took.as_secs_f64());
        if !ok {
            m.upstream_failures.with_label_values(&[server, call]).inc();
        }
    }
}

pub(crate) fn store(operation: &str, took: Duration, ok: bool) {
    if let Some(m) = get() {
        m.store_duration
            .with_label_values(&[operation])
            .observe(took.as_secs_f64());
        if !ok {
            m.store_errors.with_label_values(&[operation]).inc();
        }
    }
}

/// A recording upload stored in the spool (`bytes` long).
pub(crate) fn upload_stored(bytes: u64) {
    if let Some(m) = get() {
        m.upload_bytes.inc_by(bytes);
    }
}

/// A recording upload refused, for `reason` (a fixed word: `checksum`, `too_large`, …).
pub(crate) fn upload_refused(reason: &str) {
    if let Some(m) = get() {
        m.upload_refusals.with_label_values(&[reason]).inc();
    }
}

pub(crate) fn poll_cycle(took: Duration) {
    if let Some(m) = get() {
        m.poll_cycle.observe(took.as_secs_f64());
    }
}

/// What the per-server gauges show of one server.
pub(crate) struct ServerGauges<'a> {
    pub id: &'a str,
    pub online: bool,
    /// `enabled`, `cordoned` or `disabled`.
    pub state: &'a str,
    pub load: Option<f64>,
    pub meetings: u64,
    pub users: u64,
    pub videos: u64,
    pub largest_meeting: u64,
}

/// Replace the per-server gauges with the servers as they are now (deleted ones disappear).
pub(crate) fn servers<'a>(servers: impl IntoIterator<Item = ServerGauges<'a>>) {
    let Some(m) = get() else { return };
    let per_server = [
        &m.server_online,
        &m.server_state,
        &m.server_load,
        &m.server_meetings,
        &m.server_users,
        &m.server_videos,
        &m.server_largest_meeting,
    ];
    for g in per_server {
        g.reset();
    }
    for s in servers {
        let id = s.id;
        m.server_online
            .with_label_values(&[id])
            .set(f64::from(u8::from(s.online)));
        for state in ["enabled", "cordoned", "disabled"] {
            m.server_state
                .with_label_values(&[id, state])
                .set(f64::from(u8::from(state == s.state)));
        }
        if let Some(load) = s.load {
            m.server_load.with_label_values(&[id]).set(load);
        }
        let count = |g: &GaugeVec, v: u64| g.with_label_values(&[id]).set(v as f64);
        count(&m.server_meetings, s.meetings);
        count(&m.server_users, s.users);
        count(&m.server_videos, s.videos);
        count(&m.server_largest_meeting, s.largest_meeting);
    }
}
