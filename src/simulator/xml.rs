//! Builds the simulator's XML responses in BBB's exact shape (element order, escaping, dates).
//!
//! Hand-written rather than via an XML crate so the output is byte-for-byte what the tests expect
//! and so that arbitrary user input (names, metadata keys) can never make it fail.

use std::fmt::Display;
use std::fmt::Write as _;

use super::SimMeeting;

/// Escapes text for element content and attribute values; drops characters XML 1.0 forbids.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Turns a metadata key (user input) into a valid element name, so the document stays parseable.
pub(super) fn element_name(key: &str) -> String {
    let mut name: String = key
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let bad_start = name
        .chars()
        .next()
        .is_none_or(|c| c.is_ascii_digit() || c == '-' || c == '.');
    if bad_start {
        name.insert(0, '_');
    }
    name
}

/// A `<response>` document under construction.
pub(super) struct Xml {
    buf: String,
}

impl Xml {
    pub(super) fn response() -> Self {
        let mut buf = String::with_capacity(512);
        buf.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>");
        Self { buf }
    }

    /// A response starting with `<returncode>SUCCESS</returncode>` / `FAILED`.
    pub(super) fn with_code(success: bool) -> Self {
        let mut x = Self::response();
        x.el("returncode", if success { "SUCCESS" } else { "FAILED" });
        x
    }

    /// `<name>text</name>`; `name` must be a trusted element name.
    pub(super) fn el(&mut self, name: &str, text: impl Display) -> &mut Self {
        let text = text.to_string();
        let _ = write!(self.buf, "<{name}>{}</{name}>", escape(&text));
        self
    }

    pub(super) fn open(&mut self, name: &str) -> &mut Self {
        let _ = write!(self.buf, "<{name}>");
        self
    }

    pub(super) fn close(&mut self, name: &str) -> &mut Self {
        let _ = write!(self.buf, "</{name}>");
        self
    }

    pub(super) fn empty(&mut self, name: &str) -> &mut Self {
        let _ = write!(self.buf, "<{name}/>");
        self
    }

    pub(super) fn finish(mut self) -> String {
        self.buf.push_str("</response>");
        self.buf
    }
}

/// `FAILED` response with a message key, as every BBB error looks.
pub(super) fn failed(key: &str, message: &str) -> String {
    let mut x = Xml::with_code(false);
    x.el("messageKey", key).el("message", message);
    x.finish()
}

/// BBB's internal meeting ID: sha1(meetingID) + "-" + createTime.
pub(super) fn internal_id(m: &SimMeeting) -> String {
    let sum = super::sign(super::ChecksumAlgo::Sha1, &m.meeting_id, "", "");
    format!("{sum}-{}", m.create_time_ms)
}

pub(super) const DIAL_NUMBER: &str = "613-555-1234";

/// The meeting children shared by getMeetingInfo and getMeetings, in BBB's order.
pub(super) fn meeting_tree(x: &mut Xml, m: &SimMeeting) {
    x.el("meetingName", &m.name)
        .el("meetingID", &m.meeting_id)
        .el("internalMeetingID", internal_id(m))
        .el("createTime", m.create_time_ms)
        .el("createDate", create_date(m.create_time_ms))
        .el("voiceBridge", &m.voice_bridge)
        .el("dialNumber", DIAL_NUMBER)
        .el("attendeePW", &m.attendee_pw)
        .el("moderatorPW", &m.moderator_pw)
        // Consistent with isMeetingRunning: a meeting that exists is reported running.
        .el("running", true)
        .el("duration", 0)
        .el("hasUserJoined", m.participants > 0)
        .el("recording", false)
        .el("hasBeenForciblyEnded", false)
        .el("startTime", m.create_time_ms)
        .el("endTime", 0)
        .el("participantCount", m.participants)
        .el("listenerCount", 0)
        .el("voiceParticipantCount", 0)
        .el("videoCount", m.videos)
        .el("maxUsers", 0)
        .el("moderatorCount", m.moderators)
        .empty("attendees");
    if m.metadata.is_empty() {
        x.empty("metadata");
    } else {
        x.open("metadata");
        for (k, v) in &m.metadata {
            x.el(&element_name(k), v);
        }
        x.close("metadata");
    }
    x.el("isBreakout", m.is_breakout);
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Java `Date.toString()` style, as BBB prints createDate: `Tue Mar 05 12:00:00 UTC 2024`.
pub(super) fn create_date(ms: u64) -> String {
    let secs = ms / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    // 1970-01-01 was a Thursday. Both lookups are in range by construction; `get` keeps it panic-free.
    let wd = ((days + 4) % 7) as usize;
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        WEEKDAYS.get(wd).copied().unwrap_or("Thu"),
        MONTHS
            .get((m as usize).wrapping_sub(1))
            .copied()
            .unwrap_or("Jan"),
        d,
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        y
    )
}

/// Days since the Unix epoch to (year, month, day); Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(create_date(0), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(
            create_date(1_709_640_000_000),
            "Tue Mar 05 12:00:00 UTC 2024"
        );
        assert_eq!(create_date(951_782_400_000), "Tue Feb 29 00:00:00 UTC 2000");
    }

    #[test]
    fn escaping_and_names() {
        assert_eq!(escape("a&b<c>\"d'\u{1}"), "a&amp;b&lt;c&gt;&quot;d&apos;");
        assert_eq!(element_name("bbb-origin"), "bbb-origin");
        assert_eq!(element_name("a b<"), "a_b_");
        assert_eq!(element_name("1x"), "_1x");
        assert_eq!(element_name(""), "_");
    }
}
