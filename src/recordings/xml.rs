//! The getRecordings answer, laid out exactly as Scalelite's Rails builder view renders it: no
//! XML declaration, two spaces of indent per level, one element per line, `<tag/>` for a nil
//! value, an empty metadata value as a CDATA node (some integrations need a node there), and
//! `<totalElements>` when the call asked for a page (BBB 2.7's paging, which Scalelite lacks).

use super::model::{PlaybackFormat, Recording};

/// How a recording's links are written.
pub(crate) struct Links<'a> {
    /// `scheme://host[:port]` as the client reached us.
    pub(crate) prefix: &'a str,
    /// PROTECTED_RECORDINGS_ENABLED: the `<protected>` element is shown.
    pub(crate) show_protected: bool,
    /// The one-time playback path of a protected recording's format
    /// (`/recording/<record_id>/<format>?token=…`), minted per call.
    pub(crate) protected_url: &'a dyn Fn(&Recording, &PlaybackFormat) -> String,
}

/// Builder's text escaping: `&`, `<` and `>` (quotes stay as they are in text).
fn escape_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

/// Builder's attribute escaping: the text's, plus `"` and line breaks.
fn escape_attribute(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => escape_text(out, c.encode_utf8(&mut [0; 4])),
        }
    }
}

/// A Builder-like writer: each element on its own line at its depth.
struct Out {
    text: String,
    depth: usize,
}

impl Out {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.text.push_str("  ");
        }
    }

    fn open(&mut self, tag: &str) {
        self.indent();
        self.text.push('<');
        self.text.push_str(tag);
        self.text.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, tag: &str) {
        self.depth -= 1;
        self.indent();
        self.text.push_str("</");
        self.text.push_str(tag);
        self.text.push_str(">\n");
    }

    /// `<tag>value</tag>`, or `<tag/>` without a value.
    fn leaf(&mut self, tag: &str, value: Option<&str>) {
        self.indent();
        self.text.push('<');
        self.text.push_str(tag);
        match value {
            Some(v) => {
                self.text.push('>');
                escape_text(&mut self.text, v);
                self.text.push_str("</");
                self.text.push_str(tag);
                self.text.push_str(">\n");
            }
            None => self.text.push_str("/>\n"),
        }
    }

    fn number(&mut self, tag: &str, value: Option<i64>) {
        self.leaf(tag, value.map(|v| v.to_string()).as_deref());
    }
}

/// The whole answer. `total` is given when the call asked for a page.
pub(crate) fn get_recordings(
    recordings: &[Recording],
    total: Option<u64>,
    links: &Links,
) -> String {
    let mut out = Out {
        text: String::with_capacity(512 + recordings.len() * 1024),
        depth: 0,
    };
    out.open("response");
    out.leaf("returncode", Some("SUCCESS"));
    out.open("recordings");
    for r in recordings {
        recording(&mut out, r, links);
    }
    out.close("recordings");
    if let Some(total) = total {
        out.leaf("totalElements", Some(&total.to_string()));
    }
    if recordings.is_empty() {
        out.leaf("messageKey", Some("noRecordings"));
        out.leaf("message", Some("There are not recordings for the meetings"));
    }
    out.close("response");
    out.text
}

fn recording(out: &mut Out, r: &Recording, links: &Links) {
    out.open("recording");
    out.leaf("recordID", Some(&r.record_id));
    out.leaf("meetingID", Some(&r.meeting_id));
    out.leaf("internalMeetingID", Some(&r.record_id));
    out.leaf("name", r.name.as_deref());
    out.leaf(
        "published",
        Some(if r.published { "true" } else { "false" }),
    );
    if links.show_protected {
        out.leaf(
            "protected",
            Some(if r.protected { "true" } else { "false" }),
        );
    }
    if let Some(state) = &r.state {
        out.leaf("state", Some(state));
    }
    out.number("startTime", Some(r.start_time_ms.unwrap_or(0)));
    out.number("endTime", Some(r.end_time_ms.unwrap_or(0)));
    if let Some(p) = r.participants {
        out.number("participants", Some(i64::from(p)));
    }
    out.open("metadata");
    for (key, value) in &r.metadata {
        if value.trim().is_empty() {
            out.open(key);
            out.indent();
            out.text.push_str("<![CDATA[]]>\n");
            out.close(key);
        } else {
            out.leaf(key, Some(value));
        }
    }
    out.close("metadata");
    out.open("playback");
    for f in &r.formats {
        format(out, r, f, links);
    }
    out.close("playback");
    out.close("recording");
}

fn format(out: &mut Out, r: &Recording, f: &PlaybackFormat, links: &Links) {
    out.open("format");
    out.leaf("type", Some(&f.format));
    let url = if r.protected {
        format!("{}{}", links.prefix, (links.protected_url)(r, f))
    } else {
        format!("{}{}", links.prefix, f.url)
    };
    out.leaf("url", Some(&url));
    out.number("length", f.length.map(i64::from));
    if let Some(p) = f.processing_time {
        out.number("processingTime", Some(i64::from(p)));
    }
    // A protected recording's previews would be links that need no token.
    if !r.protected && !f.thumbnails.is_empty() {
        out.open("preview");
        out.open("images");
        for t in &f.thumbnails {
            out.indent();
            out.text.push_str("<image");
            let mut attr = |name: &str, value: Option<String>| {
                if let Some(v) = value {
                    out.text.push(' ');
                    out.text.push_str(name);
                    out.text.push_str("=\"");
                    escape_attribute(&mut out.text, &v);
                    out.text.push('"');
                }
            };
            attr("alt", t.alt.clone());
            attr("width", t.width.map(|w| w.to_string()));
            attr("height", t.height.map(|h| h.to_string()));
            out.text.push('>');
            escape_text(&mut out.text, &format!("{}{}", links.prefix, t.url));
            out.text.push_str("</image>\n");
        }
        out.close("images");
        out.close("preview");
    }
    out.close("format");
}

#[cfg(test)]
mod tests;
