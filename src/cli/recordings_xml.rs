//! Reading the instance's getRecordings answer for `scalelite recordings list`: each
//! `<recording>` as a JSON object (its fields, its metadata, its formats' types), so the table
//! and `--json` are printed from one shape. Tolerant: unknown elements are kept as fields.

use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Value};

/// The recordings of a getRecordings answer, in its order; None when it is not XML.
pub(crate) fn parse_recordings(body: &[u8]) -> Option<Vec<Value>> {
    let mut reader = Reader::from_reader(body);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut out = Vec::new();
    let mut current: Option<Map<String, Value>> = None;
    let (mut metadata, mut formats) = (Map::new(), Vec::new());
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                path.push(name);
                text.clear();
                if path_is(&path, &["response", "recordings", "recording"]) {
                    current = Some(Map::new());
                    metadata = Map::new();
                    formats = Vec::new();
                }
            }
            Ok(Event::Text(t)) => {
                text.push_str(&t.unescape().map(|c| c.into_owned()).unwrap_or_default());
            }
            Ok(Event::CData(t)) => text.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                path.push(name);
                text.clear();
                leaf(&path, "", current.as_mut(), &mut metadata, &mut formats);
                path.pop();
            }
            Ok(Event::End(_)) => {
                if path_is(&path, &["response", "recordings", "recording"]) {
                    if let Some(mut rec) = current.take() {
                        rec.insert("metadata".into(), Value::Object(metadata.clone()));
                        rec.insert("formats".into(), Value::from(formats.clone()));
                        out.push(Value::Object(rec));
                    }
                } else {
                    leaf(
                        &path,
                        text.trim(),
                        current.as_mut(),
                        &mut metadata,
                        &mut formats,
                    );
                }
                text.clear();
                path.pop();
            }
            Ok(Event::Eof) => break,
            Err(_) => return None,
            _ => {}
        }
    }
    Some(out)
}

fn path_is(path: &[String], want: &[&str]) -> bool {
    path.len() == want.len() && path.iter().zip(want).all(|(a, b)| a == b)
}

/// One closed element inside a recording: a field, a metadata entry or a format's type.
fn leaf(
    path: &[String],
    text: &str,
    rec: Option<&mut Map<String, Value>>,
    metadata: &mut Map<String, Value>,
    formats: &mut Vec<String>,
) {
    let Some(rec) = rec else { return };
    match path.get(3..).unwrap_or_default() {
        [field] if field != "metadata" && field != "playback" => {
            rec.insert(field.clone(), Value::from(text));
        }
        [m, key] if m == "metadata" => {
            metadata.insert(key.clone(), Value::from(text));
        }
        [p, f, t] if p == "playback" && f == "format" && t == "type" => {
            formats.push(text.to_string());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_metadata_and_formats() {
        let xml = br#"<?xml version="1.0"?>
<response><returncode>SUCCESS</returncode><recordings>
<recording><recordID>r1</recordID><meetingID>m&amp;1</meetingID><published>true</published>
<metadata><course><![CDATA[Physics]]></course><empty/></metadata>
<playback><format><type>presentation</type><url>u</url></format>
<format><type>video</type></format></playback></recording>
<recording><recordID>r2</recordID></recording>
</recordings></response>"#;
        let r = parse_recordings(xml).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0]["recordID"], "r1");
        assert_eq!(r[0]["meetingID"], "m&1");
        assert_eq!(r[0]["metadata"]["course"], "Physics");
        assert_eq!(r[0]["metadata"]["empty"], "");
        assert_eq!(
            r[0]["formats"],
            serde_json::json!(["presentation", "video"])
        );
        assert_eq!(r[1]["formats"], serde_json::json!([]));
        assert!(parse_recordings(b"<a><b></a>").is_none());
    }
}
