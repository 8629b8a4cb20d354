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
