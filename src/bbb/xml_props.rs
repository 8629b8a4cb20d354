//! Property tests of the reader of BBB's XML answers: no panic on any bytes; what our writers
//! (`success`, `ApiError::to_xml`) and a BBB-shaped getMeetings answer hold reads back.

use super::*;
use crate::bbb::ApiError;
use proptest::prelude::*;

/// Bytes that look like XML often enough to get past the first tag: fragments of BBB answers,
/// entities (good, unknown, out of range), CDATA, comments, declarations, and arbitrary text.
fn xmlish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"<response>".to_vec()),
        Just(b"</response>".to_vec()),
        Just(b"<returncode>".to_vec()),
        Just(b"</returncode>".to_vec()),
        Just(b"<meetings>".to_vec()),
        Just(b"</meetings>".to_vec()),
        Just(b"<meeting>".to_vec()),
        Just(b"</meeting>".to_vec()),
        Just(b"<metadata>".to_vec()),
        Just(b"</metadata>".to_vec()),
        Just(b"<tenant-id>".to_vec()),
        Just(b"</tenant-id>".to_vec()),
        Just(b"<meetingID>".to_vec()),
        Just(b"</meetingID>".to_vec()),
        Just(b"<participantCount>".to_vec()),
        Just(b"</participantCount>".to_vec()),
        Just(b"<messageKey/>".to_vec()),
        Just(b"<a x=\"1\">".to_vec()),
        Just(b"</a>".to_vec()),
        Just(b"&amp;".to_vec()),
        Just(b"&bogus;".to_vec()),
        Just(b"&#x110000;".to_vec()),
        Just(b"&#0;".to_vec()),
        Just(b"&".to_vec()),
        Just(b"<![CDATA[".to_vec()),
        Just(b"]]>".to_vec()),
        Just(b"<!-- c -->".to_vec()),
        Just(b"<?xml version=\"1.0\"?>".to_vec()),
        Just(b"<!DOCTYPE html>".to_vec()),
        Just(b"<".to_vec()),
        Just(b">".to_vec()),
        Just("\u{e9}".as_bytes().to_vec()),
        Just(vec![0xC3]),
        Just(vec![0xFF]),
        "[ -~]{0,6}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..4),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// Element names a BBB answer could carry (not the envelope's own three).
fn element_name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_.-]{0,12}".prop_filter("not an envelope field", |n| {
        !matches!(n.as_str(), "returncode" | "messageKey" | "message")
    })
}

/// Text values: any character XML 1.0 allows (the writers escape `&<>"`; they do not filter
/// what XML forbids, and BBB never sends it).
fn text() -> impl Strategy<Value = String> {
    "[\t\n\r\u{20}-\u{D7FF}\u{E000}-\u{FFFD}\u{10000}-\u{10FFFF}]{0,24}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        xmlish(),
    ]) {
        let _ = parse_envelope(&bytes);
        let _ = parse_meetings(&bytes);
    }

    /// `success`: the returncode and every child read back (text trimmed, as BBB's pretty
    /// printing is); no messageKey or message.
    #[test]
    fn success_envelopes_read_back(
        children in prop::collection::vec((element_name(), text()), 0..8),
    ) {
        let pairs: Vec<(&str, &str)> =
            children.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        let env = parse_envelope(success(&pairs).as_bytes()).expect("our own envelope reads");
        prop_assert_eq!(env.returncode.as_str(), "SUCCESS");
        prop_assert!(env.is_success());
        prop_assert_eq!(env.message_key, None);
        prop_assert_eq!(env.message, None);
        let expected: Vec<(String, String)> = children
            .iter()
            .map(|(n, t)| (n.clone(), t.trim().to_string()))
            .collect();
        prop_assert_eq!(env.fields, expected);
    }

    /// `ApiError::to_xml`: FAILED with the error's messageKey and message.
    #[test]
    fn failed_envelopes_read_back(
        key in text(),
        message in text(),
        tags in text(),
        which in 0u8..4,
    ) {
        let error = match which {
            0 => ApiError::Upstream { key, message },
            1 => ApiError::Internal(message),
            2 => ApiError::ServerTagUnavailable(tags),
            _ => ApiError::Checksum,
        };
        let env = parse_envelope(error.to_xml().as_bytes()).expect("our own envelope reads");
        prop_assert_eq!(env.returncode.as_str(), "FAILED");
        let message = error.message();
        prop_assert_eq!(env.message_key.as_deref(), Some(error.message_key().trim()));
        prop_assert_eq!(env.message.as_deref(), Some(message.trim()));
        prop_assert!(env.fields.is_empty());
    }
}

/// What a BBB server says of one meeting (the fields the reader keeps).
#[derive(Debug, Clone)]
struct Meeting {
    id: String,
    name: String,
    participants: u64,
    moderators: u64,
    videos: u64,
    breakout: bool,
    create_time: u64,
    moderator_pw: String,
    voice_bridge: String,
    tenant: Option<String>,
    /// Other metadata (`bbb-origin` and the like) around the tenant.
    metadata: Vec<(String, String)>,
}

fn meeting() -> impl Strategy<Value = Meeting> {
    (
        (text(), text(), any::<u64>(), any::<u64>(), any::<u64>()),
        (any::<bool>(), any::<u64>(), text(), "[0-9]{5,16}"),
        (
            prop::option::of(text()),
            prop::collection::vec((element_name(), text()), 0..3),
        ),
    )
        .prop_map(
            |(
                (id, name, participants, moderators, videos),
                (breakout, create_time, moderator_pw, voice_bridge),
                (tenant, metadata),
            )| Meeting {
                id,
                name,
                participants,
                moderators,
                videos,
                breakout,
                create_time,
                moderator_pw,
                voice_bridge,
                tenant,
                metadata: metadata
                    .into_iter()
                    .filter(|(k, _)| k != "tenant-id")
                    .collect(),
            },
        )
}

/// One `<meeting>` element, pretty-printed as BBB does, with the children the reader skips
/// (attendees with nested users, empty elements) between the ones it reads.
fn meeting_xml(m: &Meeting) -> String {
    let el = |name: &str, text: &str| format!("\n      <{name}>{}</{name}>", escape(text));
    let mut s = String::from("<meeting>");
    s += &el("meetingName", &m.name);
    s += &el("meetingID", &m.id);
    s += &el("internalMeetingID", "ab12-1");
    s += &el("createTime", &m.create_time.to_string());
    s += &el("voiceBridge", &m.voice_bridge);
    s += &el("moderatorPW", &m.moderator_pw);
    s += &el("running", "true");
    s += &el("participantCount", &m.participants.to_string());
    s += &el("videoCount", &m.videos.to_string());
    s += &el("moderatorCount", &m.moderators.to_string());
    s += "\n      <attendees>\n        <attendee><userID>w_1</userID><fullName>A</fullName>\
          <isPresenter>false</isPresenter><customdata/></attendee>\n      </attendees>";
    s += "\n      <metadata>";
    for (i, (k, v)) in m.metadata.iter().enumerate() {
        if i == 1 {
            if let Some(t) = &m.tenant {
                s += &el("tenant-id", t);
            }
        }
        s += &el(k, v);
    }
    if m.metadata.len() < 2 {
        if let Some(t) = &m.tenant {
            s += &el("tenant-id", t);
        }
    }
    s += "\n      </metadata>";
    s += "\n      <breakoutRooms/>";
    s += &el("isBreakout", if m.breakout { "true" } else { "false" });
    s += "\n    </meeting>";
    s
}

fn get_meetings(meetings: &[String]) -> String {
    let mut out =
        format!("{DECLARATION}<response>\n  <returncode>SUCCESS</returncode>\n  <meetings>");
    for m in meetings {
        out.push_str("\n    ");
        out.push_str(m);
    }
    out.push_str("\n  </meetings>\n</response>\n");
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every meeting reads back with its fields (text trimmed) and its exact raw element; the
    /// gateway's merged answer (the raw elements joined again) reads back the same.
    #[test]
    fn get_meetings_answers_read_back(meetings in prop::collection::vec(meeting(), 0..6)) {
        let elements: Vec<String> = meetings.iter().map(meeting_xml).collect();
        let answer = get_meetings(&elements);
        let got = parse_meetings(answer.as_bytes()).expect("well-formed");
        prop_assert_eq!(got.len(), meetings.len());
        for ((s, m), raw) in got.iter().zip(&meetings).zip(&elements) {
            prop_assert_eq!(&s.raw, raw);
            prop_assert_eq!(s.meeting_id.as_str(), m.id.trim());
            prop_assert_eq!(s.meeting_name.as_str(), m.name.trim());
            prop_assert_eq!(s.participant_count, m.participants);
            prop_assert_eq!(s.moderator_count, m.moderators);
            prop_assert_eq!(s.video_count, m.videos);
            prop_assert_eq!(s.is_breakout, m.breakout);
            prop_assert_eq!(s.create_time_ms, m.create_time);
            prop_assert_eq!(s.moderator_pw.as_str(), m.moderator_pw.trim());
            prop_assert_eq!(s.voice_bridge.as_str(), m.voice_bridge.as_str());
            prop_assert_eq!(s.tenant_id.as_deref(), m.tenant.as_deref().map(str::trim));
        }
        let merged: Vec<String> = got.iter().map(|s| s.raw.clone()).collect();
        prop_assert_eq!(parse_meetings(get_meetings(&merged).as_bytes()), Ok(got));
        let env = parse_envelope(answer.as_bytes()).expect("an envelope");
        prop_assert!(env.is_success());
    }
}
