//! A BBB `metadata.xml` (one playback format of one recording) → [`ImportedFormat`], per §7.3.1
//! of the behaviour notes: the rows the importer writes. The file comes from a hostile sender:
//! it is read with a size cap, parsed into a small tree with depth and node caps, and every
//! problem is a permanent [`ImportError`] — never a panic.

use std::io::Read;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::error::ImportError;
pub(crate) use super::model::{ImportedFormat, Thumbnail};

/// Largest metadata.xml read (real ones are a few KiB).
const MAX_BYTES: u64 = 4 << 20;
const MAX_DEPTH: usize = 64;
const MAX_NODES: usize = 100_000;
/// `meta` children that are columns or flags, not metadata rows.
const NOT_METADATA: [&str; 3] = ["isBreakout", "meetingId", "meetingName"];

/// Reads and maps `<dir>/metadata.xml`.
pub(crate) fn read_metadata(dir: &Path) -> Result<ImportedFormat, ImportError> {
    let path = dir.join("metadata.xml");
    let file = std::fs::File::open(&path)
        .map_err(|e| ImportError::from_write(format!("opening {}", path.display()), e))?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ImportError::from_write(format!("reading {}", path.display()), e))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(ImportError::permanent(format!(
            "{} is too large",
            path.display()
        )));
    }
    parse_metadata(&bytes)
}

/// Maps the bytes of a metadata.xml.
pub(crate) fn parse_metadata(xml: &[u8]) -> Result<ImportedFormat, ImportError> {
    let root = parse_tree(xml)?;
    if root.name != "recording" {
        return Err(bad(format!(
            "root element is <{}>, not <recording>",
            root.name
        )));
    }
    let record_id = root.child_text("id").map(|s| s.trim().to_string());
    let record_id = record_id
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("no <id>"))?;
    let meta = root.child("meta");
    let meeting_id = meta
        .and_then(|m| m.child_text("meetingId"))
        .ok_or_else(|| bad("no <meta><meetingId>"))?;
    let name = meta.and_then(|m| m.child_text("meetingName"));
    let mut metadata: Vec<(String, String)> = Vec::new();
    for node in meta.map(|m| m.children.as_slice()).unwrap_or_default() {
        if NOT_METADATA.contains(&node.name.as_str()) {
            continue;
        }
        let value = node.all_text();
        match metadata.iter_mut().find(|(k, _)| *k == node.name) {
            Some(row) => row.1 = value,
            None => metadata.push((node.name.clone(), value)),
        }
    }
    let playback = root.child("playback").ok_or_else(|| bad("no <playback>"))?;
    let format = playback
        .child_text("format")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("no <playback><format>"))?;
    let link = playback
        .child_text("link")
        .ok_or_else(|| bad("no <playback><link>"))?;
    let url = request_uri(link.trim(), true).ok_or_else(|| bad(format!("bad link {link:?}")))?;
    let duration_ms = playback
        .child_text("duration")
        .map(|d| ruby_to_i(&d))
        .unwrap_or(0);
    let length_minutes = (duration_ms as f64 / 60_000.0).round();
    let length_minutes = length_minutes.clamp(i32::MIN as f64, i32::MAX as f64) as i32;
    let images = playback
        .child("extensions")
        .and_then(|e| e.child("preview"))
        .and_then(|p| p.child("images"));
    let mut thumbnails = Vec::new();
    for (sequence, image) in images
        .map(|i| i.children.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let text = image.all_text();
        let url =
            request_uri(text.trim(), false).ok_or_else(|| bad(format!("bad image {text:?}")))?;
        thumbnails.push(Thumbnail {
            width: image.attr("width").map(|w| saturate(ruby_to_i(w))),
            height: image.attr("height").map(|h| saturate(ruby_to_i(h))),
            alt: image.attr("alt").map(str::to_string),
            url,
            sequence: i32::try_from(sequence).unwrap_or(i32::MAX),
        });
    }
    let state = root.child_text("state").map(|s| match s.as_str() {
        "available" => "published".to_string(),
        _ => s,
    });
    Ok(ImportedFormat {
        record_id,
        meeting_id,
        name,
        published: root.child_text("published").map(|p| p.trim() == "true"),
        participants: root
            .child_text("participants")
            .map(|p| saturate(ruby_to_i(&p))),
        state,
        start_time_ms: root.child_text("start_time").map(|t| ruby_to_i(&t)),
        end_time_ms: root.child_text("end_time").map(|t| ruby_to_i(&t)),
        metadata,
        format,
        url,
        length_minutes,
        thumbnails,
    })
}

fn bad(why: impl std::fmt::Display) -> ImportError {
    ImportError::permanent(format!("metadata.xml: {why}"))
}

/// The path (with the query when `with_query`) of an absolute URL, or a path given as is.
fn request_uri(link: &str, with_query: bool) -> Option<String> {
    if link.starts_with('/') && !link.starts_with("//") {
        let end = if with_query {
            link.len()
        } else {
            link.find('?').unwrap_or(link.len())
        };
        return Some(link[..end].to_string());
    }
    let url = url::Url::parse(link).ok()?;
    if url.cannot_be_a_base() {
        return None;
    }
    let mut out = url.path().to_string();
    if let Some(query) = url.query().filter(|_| with_query) {
        out.push('?');
        out.push_str(query);
    }
    Some(out)
}

/// Ruby's `String#to_i`: leading whitespace, an optional sign, the leading digits (`_` allowed
/// between them); nothing numeric → 0; saturating instead of growing into a bignum.
fn ruby_to_i(text: &str) -> i64 {
    let text = text.trim_start();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut value: i64 = 0;
    let mut previous_digit = false;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => {
                let d = i64::from(b - b'0');
                value = value.saturating_mul(10).saturating_add(d);
                previous_digit = true;
            }
            b'_' if previous_digit => previous_digit = false,
            _ => break,
        }
    }
    if negative {
        -value
    } else {
        value
    }
}

fn saturate(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

/// An element: name, attributes, direct text, element children.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All text of the first child called `name` (Nokogiri's `.text`).
    fn child_text(&self, name: &str) -> Option<String> {
        self.child(name).map(Node::all_text)
    }

    fn all_text(&self) -> String {
        let mut out = self.text.clone();
        for c in &self.children {
            out.push_str(&c.all_text());
        }
        out
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn element(start: &BytesStart<'_>) -> Result<Node, ImportError> {
    let name =
        String::from_utf8(start.name().as_ref().to_vec()).map_err(|_| bad("non-UTF-8 name"))?;
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(bad)?;
        let key =
            String::from_utf8(attr.key.as_ref().to_vec()).map_err(|_| bad("non-UTF-8 name"))?;
        let value = attr.unescape_value().map_err(bad)?.into_owned();
        attrs.push((key, value));
    }
    Ok(Node {
        name,
        attrs,
        ..Node::default()
    })
}

/// Parses the document into its root element.
fn parse_tree(xml: &[u8]) -> Result<Node, ImportError> {
    let mut reader = Reader::from_reader(xml);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    let mut buf = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).map_err(bad)?;
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                nodes += 1;
                if nodes > MAX_NODES || stack.len() >= MAX_DEPTH {
                    return Err(bad("too large or too deep"));
                }
                if root.is_some() {
                    return Err(bad("content after the root element"));
                }
                let node = element(start)?;
                if matches!(event, Event::Start(_)) {
                    stack.push(node);
                } else {
                    close(&mut stack, &mut root, node);
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or_else(|| bad("unbalanced end tag"))?;
                close(&mut stack, &mut root, node);
            }
            Event::Text(text) => {
                let text = text.unescape().map_err(bad)?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::CData(data) => {
                let data = std::str::from_utf8(&data).map_err(|_| bad("non-UTF-8 text"))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(data);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(bad("unclosed element"));
    }
    root.ok_or_else(|| bad("no root element"))
}

fn close(stack: &mut [Node], root: &mut Option<Node>, node: Node) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => *root = Some(node),
    }
}

#[cfg(test)]
#[path = "metadata_tests.rs"]
mod tests;
