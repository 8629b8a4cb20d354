//! Property tests of form bodies: any multipart body and boundary gives parameters or the
//! `internalError` envelope, never a panic; text fields read back, file parts are skipped.

use super::*;
use proptest::prelude::*;

/// Run the (in-memory, never pending for long) parser on a small runtime of this thread.
fn run<F: std::future::Future>(f: F) -> F::Output {
    thread_local! {
        static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime");
    }
    RT.with(|rt| rt.block_on(f))
}

fn multipart_params(content_type: &str, body: Vec<u8>) -> Result<Params, ApiError> {
    run(params(
        Some("multipart/form-data"),
        Some(content_type),
        Bytes::from(body),
    ))
}

/// A part of a form: a text field, or a file (`filename` set) with arbitrary bytes.
#[derive(Debug, Clone)]
enum Part {
    Text(String, String),
    File(String, String, Vec<u8>),
}

/// RFC 2046 boundaries: 1 to 70 of its characters, not ending with a space.
fn boundary() -> impl Strategy<Value = String> {
    "[A-Za-z0-9'()+_,./:=?-][A-Za-z0-9'()+_,./:=? -]{0,68}[A-Za-z0-9'()+_,./:=?-]|[A-Za-z0-9]"
}

/// Field names as browsers and BBB front-ends send them: any text but `"`, `\` and control
/// characters (they would need escaping in the header), and without `filename`: multer looks
/// for a `filename` attribute anywhere after a space or `;`, even inside the quoted name, so a
/// text field named `a filename=b` is taken for a file and skipped (Rack would keep it; no BBB
/// parameter is named so).
fn field_name() -> impl Strategy<Value = String> {
    "[^\"\\\\\\p{Cc}]{0,16}".prop_filter("no filename attribute look-alike", |n| {
        !n.contains("filename")
    })
}

fn part() -> impl Strategy<Value = Part> {
    prop_oneof![
        3 => (field_name(), any::<String>()).prop_map(|(n, v)| Part::Text(n, v)),
        1 => (field_name(), "[^\"\\\\\\p{Cc}]{0,12}", prop::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(n, f, b)| Part::File(n, f, b)),
    ]
}

fn content_type(boundary: &str) -> String {
    format!("multipart/form-data; boundary=\"{boundary}\"")
}

fn body(boundary: &str, parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                out.extend_from_slice(value.as_bytes());
            }
            Part::File(name, file, bytes) => {
                out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(bytes);
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

/// No part's content holds the delimiter (`CRLF--boundary`), as a sender guarantees.
fn well_formed(boundary: &str, parts: &[Part]) -> bool {
    let delimiter = format!("\r\n--{boundary}");
    let contains = |hay: &[u8]| {
        let mut h = b"\r\n".to_vec();
        h.extend_from_slice(hay);
        h.extend_from_slice(b"\r\n");
        h.windows(delimiter.len())
            .any(|w| w == delimiter.as_bytes())
    };
    parts.iter().all(|p| match p {
        Part::Text(_, v) => !contains(v.as_bytes()),
        Part::File(_, _, b) => !contains(b),
    })
}

fn is_internal_error(e: &ApiError) -> bool {
    matches!(e, ApiError::Internal(_)) && e.message_key() == "internalError"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_and_boundaries_give_params_or_internal_error(
        ct in prop_oneof![
            any::<String>(),
            any::<String>().prop_map(|b| format!("multipart/form-data; boundary={b}")),
            boundary().prop_map(|b| content_type(&b)),
        ],
        bytes in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        if let Err(e) = multipart_params(&ct, bytes) {
            prop_assert!(is_internal_error(&e), "{:?}", e);
        }
    }

    /// Well-formed bodies cut short or with a byte changed: deeper into the parser.
    #[test]
    fn damaged_bodies_give_params_or_internal_error(
        b in boundary(),
        parts in prop::collection::vec(part(), 0..5),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let whole = body(&b, &parts);
        let mut changed = whole.clone();
        let i = flip.index(changed.len());
        changed[i] = byte;
        let truncated = whole[..cut.index(whole.len())].to_vec();
        for damaged in [changed, truncated] {
            if let Err(e) = multipart_params(&content_type(&b), damaged) {
                prop_assert!(is_internal_error(&e), "{:?}", e);
            }
        }
    }

    /// Text fields read back as the parameters (later duplicates win, in the first one's
    /// place, as in a query string); file parts are skipped.
    #[test]
    fn text_fields_read_back_and_files_are_skipped(
        b in boundary(),
        parts in prop::collection::vec(part(), 0..8),
    ) {
        prop_assume!(well_formed(&b, &parts));
        let expected: Params = parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(n, v) => Some((n.clone(), Some(v.clone()))),
                Part::File(..) => None,
            })
            .collect();
        let got = multipart_params(&content_type(&b), body(&b, &parts));
        prop_assert_eq!(got, Ok(expected));
    }
}
