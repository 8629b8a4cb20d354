//! The recording importer's metrics: the spool's queue, imports by result, import duration.

use prometheus::{
    register_histogram, register_int_counter_vec, register_int_gauge, Histogram, IntCounterVec,
    IntGauge,
};
use std::sync::LazyLock;
use std::time::Duration;

/// From 10 ms (a small recording) to 10 minutes (hours of video copied across filesystems).
const BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0,
];

struct Imports {
    queue: IntGauge,
    results: IntCounterVec,
    duration: Histogram,
}

static IMPORTS: LazyLock<Option<Imports>> = LazyLock::new(|| {
    Some(Imports {
        queue: register_int_gauge!(
            "scalelite_recording_spool_queue",
            "Tarballs waiting in the spool at the last importer pass"
        )
        .ok()?,
        results: register_int_counter_vec!(
            "scalelite_recording_imports_total",
            "Tarballs the importer handled, by result (imported, failed, retry)",
            &["result"]
        )
        .ok()?,
        duration: register_histogram!(
            "scalelite_recording_import_duration_seconds",
            "Time to import one tarball",
            BUCKETS.to_vec()
        )
        .ok()?,
    })
});

/// Register the metrics (so a scrape shows them before the first import).
pub(crate) fn register() {
    LazyLock::force(&IMPORTS);
}

pub(crate) fn queue(waiting: usize) {
    if let Some(m) = IMPORTS.as_ref() {
        m.queue.set(i64::try_from(waiting).unwrap_or(i64::MAX));
    }
}

/// One tarball handled: `result` is `imported`, `failed` (moved to failed/) or `retry`.
pub(crate) fn import(result: &str, took: Duration) {
    if let Some(m) = IMPORTS.as_ref() {
        m.results.with_label_values(&[result]).inc();
        m.duration.observe(took.as_secs_f64());
    }
}
