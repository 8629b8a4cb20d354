//! The access log: one line per API request, at info level on target `scalelite::access`.

use std::time::Instant;

/// What is known about a request by the time it is answered.
pub struct AccessLog {
    started: Instant,
    pub call: &'static str,
    pub action: Option<String>,
    pub meeting: Option<String>,
    pub server: Option<String>,
    pub result: String,
}

impl Default for AccessLog {
    fn default() -> Self {
        AccessLog::start()
    }
}

impl AccessLog {
    pub fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    pub fn start() -> Self {
        AccessLog {
            started: Instant::now(),
            call: "-",
            action: None,
            meeting: None,
            server: None,
            result: "-".into(),
        }
    }

    /// Count the request in the metrics. Unknown actions share one label, so clients cannot
    /// create label values at will.
    pub fn count(&self) {
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

    /// Write the line. Values are quoted (`{:?}`) so a meetingID cannot forge fields.
    pub fn emit(&self) {
        if !log::log_enabled!(target: "scalelite::access", log::Level::Info) {
            return;
        }
        let ms = self.started.elapsed().as_secs_f64() * 1000.0;
        log::info!(
            target: "scalelite::access",
            "call={} action={:?} meetingID={:?} server={:?} result={} duration_ms={ms:.2}",
            self.call,
            self.action.as_deref().unwrap_or("-"),
            self.meeting.as_deref().unwrap_or("-"),
            self.server.as_deref().unwrap_or("-"),
            self.result,
        );
    }
}
