//! The simulated BBB API actions (create, join, getMeetings, end, ...) over the meeting table.
//!
//! Pure functions of (state, params) -> reply, independent of HTTP, so every branch is easy to
//! reason about; the server layer handles modes, checksums and transport.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::distributions::Alphanumeric;
use rand::Rng;

use super::xml::{self, failed, Xml};
use super::{Inner, SimMeeting};

/// What an action answers; the server turns it into an HTTP response.
#[derive(Debug)]
pub(super) enum Reply {
    Xml(String),
    /// 302 to this URL (join).
    Redirect(String),
}

type Params = [(String, Option<String>)];

/// First value of `key`; `None` when absent or given without `=`.
pub(super) fn param<'a>(params: &'a Params, key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.as_deref())
}

/// Like [`param`], but an empty value counts as missing (as BBB treats `meetingID=`).
fn nonempty<'a>(params: &'a Params, key: &str) -> Option<&'a str> {
    param(params, key).filter(|v| !v.is_empty())
}

pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub(super) fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

fn random_voice_bridge() -> String {
    rand::thread_rng().gen_range(10_000..100_000).to_string()
}

/// A fresh meeting with BBB's defaults (random passwords and voice bridge, no participants).
pub(super) fn new_meeting(meeting_id: &str) -> SimMeeting {
    SimMeeting {
        meeting_id: meeting_id.to_string(),
        name: meeting_id.to_string(),
        moderator_pw: random_token(8),
        attendee_pw: random_token(8),
        voice_bridge: random_voice_bridge(),
        participants: 0,
        moderators: 0,
        videos: 0,
        is_breakout: false,
        create_time_ms: now_ms(),
        metadata: Vec::new(),
    }
}

const NOT_FOUND: &str = "We could not find a meeting with that meeting ID";

fn missing_id() -> Reply {
    Reply::Xml(failed(
        "missingParamMeetingID",
        "You must specify a meeting ID for the meeting.",
    ))
}

fn not_found() -> Reply {
    Reply::Xml(failed("notFound", NOT_FOUND))
}

/// Runs `action` against the meeting table (checksum already verified).
pub(super) fn dispatch(
    inner: &mut Inner,
    addr: SocketAddr,
    action: &str,
    params: &Params,
) -> Reply {
    match action {
        "create" => create(inner, params),
        "join" => join(inner, addr, params),
        "isMeetingRunning" => match nonempty(params, "meetingID") {
            None => missing_id(),
            Some(id) => {
                let mut x = Xml::with_code(true);
                x.el("running", inner.meetings.contains_key(id));
                Reply::Xml(x.finish())
            }
        },
        "getMeetingInfo" => match nonempty(params, "meetingID") {
            None => missing_id(),
            Some(id) => match inner.meetings.get(id) {
                None => not_found(),
                Some((_, m)) => {
                    let mut x = Xml::with_code(true);
                    xml::meeting_tree(&mut x, m);
                    Reply::Xml(x.finish())
                }
            },
        },
        "getMeetings" => get_meetings(inner),
        "end" => end(inner, params),
        "insertDocument" => match nonempty(params, "meetingID") {
            None => missing_id(),
            Some(id) if !inner.meetings.contains_key(id) => not_found(),
            Some(_) => {
                let mut x = Xml::with_code(true);
                x.el("message", "Presentation is being uploaded");
                Reply::Xml(x.finish())
            }
        },
        other => match nonempty(params, "meetingID") {
            None => Reply::Xml(failed(
                "unsupportedRequest",
                "This request is not supported.",
            )),
            Some(id) if !inner.meetings.contains_key(id) => not_found(),
            Some(_) => {
                let mut x = Xml::with_code(true);
                x.el("action", other);
                Reply::Xml(x.finish())
            }
        },
    }
}

fn create_response(m: &SimMeeting, duplicate: bool) -> String {
    let mut x = Xml::with_code(true);
    x.el("meetingID", &m.meeting_id)
        .el("internalMeetingID", xml::internal_id(m))
        .el("parentMeetingID", "bbb-none")
        .el("attendeePW", &m.attendee_pw)
        .el("moderatorPW", &m.moderator_pw)
        .el("createTime", m.create_time_ms)
        .el("voiceBridge", &m.voice_bridge)
        .el("dialNumber", xml::DIAL_NUMBER)
        .el("createDate", xml::create_date(m.create_time_ms))
        .el("hasUserJoined", m.participants > 0)
        .el("duration", 0)
        .el("hasBeenForciblyEnded", false);
    if duplicate {
        x.el("messageKey", "duplicateWarning").el(
            "message",
            "This conference was already in existence and may currently be in progress.",
        );
    } else {
        x.el("messageKey", "").el("message", "");
    }
    x.finish()
}

fn create(inner: &mut Inner, params: &Params) -> Reply {
    let Some(id) = nonempty(params, "meetingID") else {
        return missing_id();
    };
    if let Some((_, m)) = inner.meetings.get(id) {
        return Reply::Xml(create_response(m, true));
    }
    let mut m = new_meeting(id);
    if let Some(v) = nonempty(params, "name") {
        m.name = v.to_string();
    }
    if let Some(v) = nonempty(params, "moderatorPW") {
        m.moderator_pw = v.to_string();
    }
    if let Some(v) = nonempty(params, "attendeePW") {
        m.attendee_pw = v.to_string();
    }
    if let Some(v) = nonempty(params, "voiceBridge") {
        m.voice_bridge = v.to_string();
    }
    m.is_breakout = param(params, "isBreakout") == Some("true");
    for (k, v) in params {
        let Some(key) = k.strip_prefix("meta_") else {
            continue;
        };
        if key.is_empty() {
            continue;
        }
        let key = key.to_lowercase();
        let value = v.clone().unwrap_or_default();
        // Later duplicates win, like a map keyed by name.
        match m.metadata.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => m.metadata.push((key, value)),
        }
    }
    let body = create_response(&m, false);
    inner.insert_meeting(m);
    Reply::Xml(body)
}

fn join(inner: &mut Inner, addr: SocketAddr, params: &Params) -> Reply {
    let Some(id) = nonempty(params, "meetingID") else {
        return missing_id();
    };
    let Some(m) = inner.meeting_mut(id) else {
        return not_found();
    };
    let moderator = param(params, "role").is_some_and(|r| r.eq_ignore_ascii_case("MODERATOR"))
        || param(params, "password") == Some(m.moderator_pw.as_str());
    m.participants = m.participants.saturating_add(1);
    if moderator {
        m.moderators = m.moderators.saturating_add(1);
    }
    let token = random_token(16);
    let url = format!("http://{addr}/html5client/join?sessionToken={token}");
    if param(params, "redirect") != Some("false") {
        return Reply::Redirect(url);
    }
    // redirect=false: BBB answers XML describing the session instead of redirecting.
    let internal = xml::internal_id(m);
    let mut x = Xml::with_code(true);
    x.el("messageKey", "successfullyJoined")
        .el("message", "You have joined successfully.")
        .el("meeting_id", internal)
        .el("user_id", format!("w_{}", random_token(12).to_lowercase()))
        .el("auth_token", random_token(12).to_lowercase())
        .el("session_token", &token)
        .el("guestStatus", "ALLOW")
        .el("url", &url);
    Reply::Xml(x.finish())
}

fn get_meetings(inner: &Inner) -> Reply {
    let meetings = inner.sorted_meetings();
    let mut x = Xml::with_code(true);
    if meetings.is_empty() {
        x.empty("meetings")
            .el("messageKey", "noMeetings")
            .el("message", "no meetings were found on this server");
        return Reply::Xml(x.finish());
    }
    x.open("meetings");
    for m in &meetings {
        x.open("meeting");
        xml::meeting_tree(&mut x, m);
        x.close("meeting");
    }
    x.close("meetings");
    Reply::Xml(x.finish())
}

fn end(inner: &mut Inner, params: &Params) -> Reply {
    let Some(id) = nonempty(params, "meetingID") else {
        return missing_id();
    };
    let Some((_, m)) = inner.meetings.get(id) else {
        return not_found();
    };
    if let Some(pw) = param(params, "password") {
        if pw != m.moderator_pw {
            return Reply::Xml(failed(
                "invalidPassword",
                "You must supply the moderator password for this call.",
            ));
        }
    }
    inner.meetings.remove(id);
    let mut x = Xml::with_code(true);
    x.el("messageKey", "sentEndMeetingRequest").el(
        "message",
        "A request to end the meeting was sent.  Please wait a few seconds, and then use the \
         getMeetingInfo or isMeetingRunning API calls to verify that it was ended.",
    );
    Reply::Xml(x.finish())
}
