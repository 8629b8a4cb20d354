//! Form bodies merged into a call's parameters, as Rails merges them: URL-encoded forms and the
//! text fields of `multipart/form-data` (file parts are not BBB API parameters and are skipped).

use crate::bbb::{ApiError, Params};
use bytes::Bytes;

/// The parameters of a form body of media type `media_type`; `content_type` is the whole
/// header (a multipart body needs its boundary). Other media types give no parameters.
pub(super) async fn params(
    media_type: Option<&str>,
    content_type: Option<&str>,
    body: Bytes,
) -> Result<Params, ApiError> {
    match media_type {
        Some("application/x-www-form-urlencoded") => {
            Ok(Params::parse(&String::from_utf8_lossy(&body)))
        }
        Some("multipart/form-data") => multipart(content_type.unwrap_or_default(), body).await,
        _ => Ok(Params::new()),
    }
}

/// Rack refuses a multipart body it cannot parse; so do we, with the call's error envelope.
fn malformed() -> ApiError {
    ApiError::internal("Invalid multipart/form-data body.")
}

async fn multipart(content_type: &str, body: Bytes) -> Result<Params, ApiError> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| malformed())?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut fields = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|_| malformed())? {
        let Some(name) = field.name().map(String::from) else {
            continue;
        };
        if field.file_name().is_some() {
            // Drain it: the next field starts after this one's bytes.
            field.bytes().await.map_err(|_| malformed())?;
            continue;
        }
        let value = field.text().await.map_err(|_| malformed())?;
        fields.push((name, Some(value)));
    }
    // Later values win, as with a query string (collected in linear time, as `Params::parse`).
    Ok(fields.into_iter().collect())
}

#[cfg(test)]
#[path = "form_props.rs"]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=XyZ";

    fn body(parts: &[(&str, Option<&str>, &str)]) -> Bytes {
        let mut out = String::new();
        for (name, file, value) in parts {
            out.push_str("--XyZ\r\nContent-Disposition: form-data; name=\"");
            out.push_str(name);
            out.push('"');
            if let Some(f) = file {
                out.push_str(&format!(
                    "; filename=\"{f}\"\r\nContent-Type: application/pdf"
                ));
            }
            out.push_str("\r\n\r\n");
            out.push_str(value);
            out.push_str("\r\n");
        }
        out.push_str("--XyZ--\r\n");
        Bytes::from(out)
    }

    #[tokio::test]
    async fn text_fields_become_params_files_are_skipped() {
        let b = body(&[
            ("meetingID", None, "m 1&x=y"),
            ("slides", Some("a.pdf"), "%PDF-1.4 ..."),
            ("name", None, "Caf\u{e9}"),
            ("name", None, "Later wins"),
        ]);
        let p = params(Some("multipart/form-data"), Some(CT), b)
            .await
            .unwrap();
        assert_eq!(p.get("meetingID"), Some("m 1&x=y"));
        assert_eq!(p.get("name"), Some("Later wins"));
        assert!(!p.contains("slides"));
        assert_eq!(p.len(), 2);
    }

    #[tokio::test]
    async fn urlencoded_and_other_types() {
        let p = params(
            Some("application/x-www-form-urlencoded"),
            None,
            Bytes::from("a=1&b=x%20y"),
        )
        .await
        .unwrap();
        assert_eq!((p.get("a"), p.get("b")), (Some("1"), Some("x y")));
        let p = params(Some("application/xml"), None, Bytes::from("<x/>"))
            .await
            .unwrap();
        assert!(p.is_empty());
    }

    #[tokio::test]
    async fn malformed_bodies_are_refused() {
        let no_boundary = params(
            Some("multipart/form-data"),
            Some("multipart/form-data"),
            body(&[]),
        );
        assert!(no_boundary.await.is_err());
        let truncated =
            Bytes::from("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue");
        assert!(params(Some("multipart/form-data"), Some(CT), truncated)
            .await
            .is_err());
    }
}
