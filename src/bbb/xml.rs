//! Reading BBB's XML answers and writing our own, without building a DOM for the hot paths.

use quick_xml::events::Event;
use quick_xml::Reader;

pub const DECLARATION: &str = "<?xml version=\"1.0\"?>\n";

pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    escape_into(&mut s, text);
    s
}

/// A SUCCESS response built from `(element, text)` pairs.
pub fn success(children: &[(&str, &str)]) -> String {
    let mut out = String::from(DECLARATION);
    out.push_str("<response>\n  <returncode>SUCCESS</returncode>\n");
    for (name, text) in children {
        out.push_str("  <");
        out.push_str(name);
        out.push('>');
        escape_into(&mut out, text);
        out.push_str("</");
        out.push_str(name);
        out.push_str(">\n");
    }
    out.push_str("</response>\n");
    out
}

/// The `noMeetings` SUCCESS body of getMeetings.
pub fn no_meetings() -> String {
    format!("{DECLARATION}<response>\n  <returncode>SUCCESS</returncode>\n  <messageKey>noMeetings</messageKey>\n  <message>no meetings were found on this server</message>\n  <meetings/>\n</response>\n")
}

/// The top-level fields every BBB answer has.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Envelope {
    pub returncode: String,
    pub message_key: Option<String>,
    pub message: Option<String>,
    /// Other direct children of `<response>` with simple text (e.g. `running`, `bbbVersion`).
    pub fields: Vec<(String, String)>,
}

impl Envelope {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        self.returncode == "SUCCESS"
    }
}

/// Parse `/response/*` simple children. `None` when the body has no `/response/returncode`
/// (HTML error pages, garbage, empty bodies).
pub fn parse_envelope(body: &[u8]) -> Option<Envelope> {
    let mut reader = Reader::from_reader(body);
    let mut depth = 0usize;
    let mut in_response = false;
    let mut current: Option<String> = None;
    let mut text = String::new();
    let mut env = Envelope::default();
    let mut has_rc = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if depth == 1 {
                    in_response = name == "response";
                } else if depth == 2 && in_response {
                    current = Some(name);
                    text.clear();
                }
            }
            Ok(Event::Empty(e)) if depth == 1 && in_response => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                env.fields.push((name, String::new()));
            }
            Ok(Event::Text(t)) if current.is_some() && depth == 2 => {
                text.push_str(&t.unescape().map(|c| c.into_owned()).unwrap_or_default());
            }
            Ok(Event::CData(t)) if current.is_some() && depth == 2 => {
                text.push_str(&String::from_utf8_lossy(&t));
            }
            Ok(Event::End(_)) => {
                if depth == 2 {
                    if let Some(name) = current.take() {
                        let value = text.trim().to_string();
                        match name.as_str() {
                            "returncode" => {
                                has_rc = true;
                                env.returncode = value;
                            }
                            "messageKey" => env.message_key = Some(value),
                            "message" => env.message = Some(value),
                            _ => env.fields.push((name, value)),
                        }
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Ok(Event::Eof) => break,
            Err(_) => return None,
            _ => {}
        }
    }
    has_rc.then_some(env)
}

/// One `<meeting>` of a getMeetings answer: the raw element (to pass on unchanged) and the
/// fields the poller and the tenant filter need.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeetingSummary {
    pub raw: String,
    pub meeting_id: String,
    pub meeting_name: String,
    pub participant_count: u64,
    pub moderator_count: u64,
    pub video_count: u64,
    pub is_breakout: bool,
    pub create_time_ms: u64,
    pub tenant_id: Option<String>,
    pub moderator_pw: String,
    pub voice_bridge: String,
}

/// The answer is not well-formed XML.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("malformed XML")]
pub struct Malformed;

/// Parse the `<meetings><meeting>…` list of a SUCCESS getMeetings answer.
pub fn parse_meetings(body: &[u8]) -> Result<Vec<MeetingSummary>, Malformed> {
    let text = std::str::from_utf8(body).map_err(|_| Malformed)?;
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut current: Option<(usize, MeetingSummary)> = None;
    let mut buf_text = String::new();
    loop {
        let before = reader.buffer_position() as usize;
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                path.push(name);
                buf_text.clear();
                if path.len() == 3
                    && path[0] == "response"
                    && path[1] == "meetings"
                    && path[2] == "meeting"
                {
                    current = Some((before, MeetingSummary::default()));
                }
            }
            Ok(Event::Text(t)) => {
                buf_text.push_str(&t.unescape().map(|c| c.into_owned()).unwrap_or_default());
            }
            Ok(Event::CData(t)) => buf_text.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::End(_)) => {
                let end = reader.buffer_position() as usize;
                if let Some((start, m)) = current.as_mut() {
                    let value = buf_text.trim();
                    match (path.len(), path.last().map(String::as_str)) {
                        (4, Some("meetingID")) => m.meeting_id = value.to_string(),
                        (4, Some("meetingName")) => m.meeting_name = value.to_string(),
                        (4, Some("participantCount")) => {
                            m.participant_count = value.parse().unwrap_or(0)
                        }
                        (4, Some("moderatorCount")) => {
                            m.moderator_count = value.parse().unwrap_or(0)
                        }
                        (4, Some("videoCount")) => m.video_count = value.parse().unwrap_or(0),
                        (4, Some("isBreakout")) => m.is_breakout = value == "true",
                        (4, Some("createTime")) => m.create_time_ms = value.parse().unwrap_or(0),
                        (4, Some("moderatorPW")) => m.moderator_pw = value.to_string(),
                        (4, Some("voiceBridge")) => m.voice_bridge = value.to_string(),
                        (5, Some("tenant-id")) if path[3] == "metadata" => {
                            m.tenant_id = Some(value.to_string())
                        }
                        (3, _) => {
                            m.raw = text[*start..end].to_string();
                            if let Some((_, m)) = current.take() {
                                out.push(m);
                            }
                        }
                        _ => {}
                    }
                }
                buf_text.clear();
                path.pop();
            }
            Ok(Event::Eof) => break,
            Err(_) => return Err(Malformed),
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "xml_props.rs"]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_of_failure_and_garbage() {
        let e = parse_envelope(b"<?xml version=\"1.0\"?><response><returncode>FAILED</returncode><messageKey>notFound</messageKey><message>x &amp; y</message></response>").unwrap();
        assert_eq!(e.returncode, "FAILED");
        assert_eq!(e.message.as_deref(), Some("x & y"));
        assert!(parse_envelope(b"<html><body>oops</body></html>").is_none());
        assert!(parse_envelope(b"").is_none());
        assert!(parse_envelope(b"\x00\xff").is_none());
        let r = parse_envelope(
            b"<response><returncode>SUCCESS</returncode><running>true</running></response>",
        )
        .unwrap();
        assert_eq!(r.field("running"), Some("true"));
    }

    #[test]
    fn meetings_are_sliced_and_summarised() {
        let body = b"<response><returncode>SUCCESS</returncode><meetings><meeting><meetingID>m1</meetingID><participantCount>3</participantCount><moderatorCount>1</moderatorCount><metadata><tenant-id>t</tenant-id></metadata></meeting><meeting><meetingID>m2</meetingID><isBreakout>true</isBreakout></meeting></meetings></response>";
        let ms = parse_meetings(body).unwrap();
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].meeting_id, "m1");
        assert_eq!(ms[0].participant_count, 3);
        assert_eq!(ms[0].tenant_id.as_deref(), Some("t"));
        assert!(ms[0].raw.starts_with("<meeting>") && ms[0].raw.ends_with("</meeting>"));
        assert!(ms[1].is_breakout);
    }
}
