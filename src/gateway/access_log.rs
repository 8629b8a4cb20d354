//! The access log: one line per API request, at info level on target `scalelite::access`, as a
//! tracing event with structured fields (call, action, meetingID, server, tenant, result,
//! duration_ms). It never carries the query: checksums and secrets stay out of the logs.

use std::time::Instant;

/// What is known about a request by the time it is answered.
pub(super) struct AccessLog {
    started: Instant,
    pub call: &'static str,
    pub action: Option<String>,
    pub meeting: Option<String>,
    pub server: Option<String>,
    /// The tenant of the call (multi-tenancy); `-` until tenants exist.
    pub tenant: Option<String>,
    pub result: String,
}

impl Default for AccessLog {
    fn default() -> Self {
        AccessLog::start()
    }
}

impl AccessLog {
    pub(super) fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    pub(super) fn start() -> Self {
        AccessLog {
            started: Instant::now(),
            call: "-",
            action: None,
            meeting: None,
            server: None,
            tenant: None,
            result: "-".into(),
        }
    }

    /// Count the request in the metrics. Unknown actions share one label, so clients cannot
    /// create label values at will.
    pub(super) fn count(&self) {
        const KNOWN: [&str; 28] = [
            "create",
            "join",
            "end",
            "isMeetingRunning",
            "getMeetingInfo",
            "getMeetings",
            "insertDocument",
            "getRecordings",
            "publishRecordings",
            "updateRecordings",
            "deleteRecordings",
            "sendChatMessage",
            "getServers",
            "getServerInfo",
            "addServer",
            "updateServer",
            "deleteServer",
            "panicServer",
            "getTenants",
            "getTenantInfo",
            "addTenant",
            "updateTenant",
            "deleteTenant",
            "getStatus",
            "getMeetingList",
            "endMeetings",
            "pollNow",
            "getJoinUrl",
        ];
        let call = match self.action.as_deref() {
            Some(a) if KNOWN.contains(&a) => a,
            Some(_) => "other",
            None => self.call,
        };
        let result = self.result.split(':').next_back().unwrap_or("-");
        crate::metrics::request(call, result, self.started.elapsed());
    }

    /// Write the line. The values are `&str` fields: JSON escapes them, the text format quotes
    /// them (`meetingID="a b"`), so a client's meetingID cannot forge other fields.
    pub(super) fn emit(&self) {
        // Two decimals are plenty; rounding keeps JSON numbers short.
        let ms = (self.started.elapsed().as_secs_f64() * 100_000.0).round() / 100.0;
        tracing::info!(
            target: "scalelite::access",
            call = self.call,
            action = self.action.as_deref().unwrap_or("-"),
            "meetingID" = self.meeting.as_deref().unwrap_or("-"),
            server = self.server.as_deref().unwrap_or("-"),
            tenant = self.tenant.as_deref().unwrap_or("-"),
            result = self.result.as_str(),
            duration_ms = ms,
        );
    }
}
