//! Answers of the load balancer, read whole, with the assertions the tests make on them, and the
//! texts of the BBB errors they expect (behaviour doc §0.2).

use scalelite::simulator::BbbSimulator;
use serde_json::{json, Value};

pub const NOT_FOUND: &str =
    "We could not find a meeting with that meeting ID - perhaps the meeting is not yet running?";
pub const MISSING_ID: &str = "You must specify a meeting ID for the meeting.";
pub const UNAVAILABLE: &str = "The server for this meeting is disabled/offline.";
pub const UNSUPPORTED: &str = "This request is not supported.";
pub const CHECKSUM_ERROR: &str = "You did not pass the checksum security check";
pub const CONTENT_TYPE: &str = "POST request Content-Type is missing or unsupported";
/// A pre-uploaded presentation, as BBB clients send it with create and insertDocument.
pub const SLIDES: &str = r#"<modules><module name="presentation"><document url="http://example.com/sample.pdf" filename="sample.pdf"/></module></modules>"#;

/// A response, read whole.
pub struct Response {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Response {
    pub async fn from(r: reqwest::Response) -> Response {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.text().await.unwrap_or_default();
        Response {
            status,
            headers,
            body,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Text of the first `<name>` element.
    pub fn xml(&self, name: &str) -> Option<String> {
        let open = format!("<{name}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find(&format!("</{name}>"))? + start;
        Some(self.body[start..end].to_string())
    }

    pub fn returncode(&self) -> String {
        self.xml("returncode").unwrap_or_default()
    }

    /// Whether the answer carries this messageKey.
    pub fn has_key(&self, key: &str) -> bool {
        self.xml("messageKey").as_deref() == Some(key)
    }

    /// Assert a SUCCESS envelope.
    pub fn assert_success(&self) -> &Self {
        assert_eq!(self.returncode(), "SUCCESS", "{}", self.body);
        self
    }

    /// Assert that the first `<name>` element holds `value`.
    pub fn assert_xml(&self, name: &str, value: &str) -> &Self {
        assert_eq!(self.xml(name).as_deref(), Some(value), "{}", self.body);
        self
    }

    /// Assert the messageKey.
    pub fn assert_key(&self, key: &str) -> &Self {
        self.assert_xml("messageKey", key)
    }

    /// Assert a FAILED envelope with this key (and message, when given).
    pub fn assert_failed(&self, key: &str, message: Option<&str>) {
        assert_eq!(self.status, 200, "{}", self.body);
        assert_eq!(self.returncode(), "FAILED", "{}", self.body);
        self.assert_key(key);
        if let Some(m) = message {
            self.assert_xml("message", m);
        }
    }

    /// Assert getMeetings' SUCCESS answer without meetings.
    pub fn assert_no_meetings(&self) {
        self.assert_success()
            .assert_key("noMeetings")
            .assert_xml("message", "no meetings were found on this server");
    }

    /// Assert a JSON answer: status and whole body.
    pub fn assert_json(&self, status: u16, body: Value) {
        assert_eq!((self.status, self.json()), (status, body), "{}", self.body);
    }

    /// Assert an admin API error: status and `{"error": message}`.
    pub fn assert_error(&self, status: u16, message: &str) {
        self.assert_json(status, json!({ "error": message }));
    }

    pub fn location(&self) -> String {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    /// Assert that the Location header is a join on `sim`.
    pub fn assert_location_on(&self, sim: &BbbSimulator) {
        let url = self.location();
        assert!(url.starts_with(&format!("{}join?", sim.url())), "{url}");
    }

    /// Assert a join redirect (302) to `sim`.
    pub fn assert_redirects_to(&self, sim: &BbbSimulator) {
        assert_eq!(self.status, 302, "{}", self.body);
        self.assert_location_on(sim);
    }
}
