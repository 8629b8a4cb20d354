//! Every error a BBB API client can see, and the one place that turns them into BBB's XML.

use super::xml;

/// An error answered to a BBB API client as `<returncode>FAILED</returncode>` (HTTP 200).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("checksum error")]
    Checksum,
    #[error("meeting not found")]
    MeetingNotFound,
    #[error("missing meetingID")]
    MissingMeetingId,
    #[error("unsupported request")]
    UnsupportedRequest,
    #[error("unsupported content type")]
    UnsupportedContentType,
    #[error("server unavailable")]
    ServerUnavailable,
    #[error("no server with tag {0}")]
    ServerTagUnavailable(String),
    /// `internalError` with a message of Scalelite's catalogue.
    #[error("internal error: {0}")]
    Internal(String),
    /// A BBB server's own FAILED answer, passed through verbatim.
    #[error("upstream {key}: {message}")]
    Upstream { key: String, message: String },
    /// The request body is larger than the gateway reads (the limit in bytes): `internalError`,
    /// sent with HTTP 413.
    #[error("request body larger than {0} bytes")]
    BodyTooLarge(usize),
}

impl ApiError {
    pub fn internal(message: &str) -> Self {
        ApiError::Internal(message.to_string())
    }

    pub fn message_key(&self) -> &str {
        match self {
            ApiError::Checksum => "checksumError",
            ApiError::MeetingNotFound => "notFound",
            ApiError::MissingMeetingId => "missingParamMeetingID",
            ApiError::UnsupportedRequest => "unsupportedRequest",
            ApiError::UnsupportedContentType => "unsupportedContentType",
            ApiError::ServerUnavailable => "serverUnavailable",
            ApiError::ServerTagUnavailable(_) => "serverTagUnavailable",
            ApiError::Internal(_) | ApiError::BodyTooLarge(_) => "internalError",
            ApiError::Upstream { key, .. } => key,
        }
    }

    pub fn message(&self) -> String {
        match self {
            ApiError::Checksum => "You did not pass the checksum security check".into(),
            ApiError::MeetingNotFound => "We could not find a meeting with that meeting ID - perhaps the meeting is not yet running?".into(),
            ApiError::MissingMeetingId => "You must specify a meeting ID for the meeting.".into(),
            ApiError::UnsupportedRequest => "This request is not supported.".into(),
            ApiError::UnsupportedContentType => "POST request Content-Type is missing or unsupported".into(),
            ApiError::ServerUnavailable => "The server for this meeting is disabled/offline.".into(),
            ApiError::ServerTagUnavailable(tags) => {
                format!("There is no available server with the required tag={tags}.")
            }
            ApiError::Internal(m) => m.clone(),
            ApiError::Upstream { message, .. } => message.clone(),
            ApiError::BodyTooLarge(limit) => {
                format!("The request body is too large: the limit is {limit} bytes.")
            }
        }
    }

    /// The FAILED envelope, exactly as Scalelite renders it.
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push_str(xml::DECLARATION);
        out.push_str("<response>\n  <returncode>FAILED</returncode>\n  <messageKey>");
        xml::escape_into(&mut out, self.message_key());
        out.push_str("</messageKey>\n  <message>");
        xml::escape_into(&mut out, &self.message());
        out.push_str("</message>\n</response>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_text() {
        let x = ApiError::ServerTagUnavailable("a;b".into()).to_xml();
        assert!(x.starts_with("<?xml version=\"1.0\"?>\n<response>"));
        assert!(x.contains("<messageKey>serverTagUnavailable</messageKey>"));
        assert!(x.contains("required tag=a;b."));
        let up = ApiError::Upstream {
            key: "x<y".into(),
            message: "m&n".into(),
        };
        assert!(up.to_xml().contains("<messageKey>x&lt;y</messageKey>"));
        assert!(up.to_xml().contains("m&amp;n"));
    }
}
