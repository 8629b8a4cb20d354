//! The getRecordings layout, byte for byte, for the cases its view distinguishes.

use super::*;
use crate::recordings::model::Thumbnail;

fn links(show_protected: bool) -> Links<'static> {
    Links {
        prefix: "https://lb.example.com",
        show_protected,
        protected_url: &|r: &Recording, f: &PlaybackFormat| {
            format!("/recording/{}/{}?token=T", r.record_id, f.format)
        },
    }
}

fn recording() -> Recording {
    Recording {
        id: 1,
        record_id: "rec-1".into(),
        meeting_id: "m&1".into(),
        name: Some("Maths \"101\" <b>".into()),
        published: true,
        protected: false,
        state: Some("published".into()),
        start_time_ms: Some(1_700_000_000_123),
        end_time_ms: None,
        participants: Some(3),
        metadata: vec![
            ("bbb-origin".into(), "Greenlight".into()),
            ("empty".into(), String::new()),
        ],
        formats: vec![PlaybackFormat {
            format: "presentation".into(),
            url: "/playback/presentation/2.3/rec-1".into(),
            length: Some(12),
            processing_time: None,
            thumbnails: vec![Thumbnail {
                width: Some(176),
                height: None,
                alt: Some("Slide \"1\"".into()),
                url: "/presentation/rec-1/thumb-1.png".into(),
                sequence: 0,
            }],
        }],
    }
}

#[test]
fn no_recordings() {
    assert_eq!(
        get_recordings(&[], None, &links(false)),
        "<response>\n  <returncode>SUCCESS</returncode>\n  <recordings>\n  </recordings>\n  \
         <messageKey>noRecordings</messageKey>\n  \
         <message>There are not recordings for the meetings</message>\n</response>\n"
    );
}

#[test]
fn one_recording_as_the_builder_view_lays_it_out() {
    let expected = "\
<response>
  <returncode>SUCCESS</returncode>
  <recordings>
    <recording>
      <recordID>rec-1</recordID>
      <meetingID>m&amp;1</meetingID>
      <internalMeetingID>rec-1</internalMeetingID>
      <name>Maths \"101\" &lt;b&gt;</name>
      <published>true</published>
      <state>published</state>
      <startTime>1700000000123</startTime>
      <endTime>0</endTime>
      <participants>3</participants>
      <metadata>
        <bbb-origin>Greenlight</bbb-origin>
        <empty>
          <![CDATA[]]>
        </empty>
      </metadata>
      <playback>
        <format>
          <type>presentation</type>
          <url>https://lb.example.com/playback/presentation/2.3/rec-1</url>
          <length>12</length>
          <preview>
            <images>
              <image alt=\"Slide &quot;1&quot;\" width=\"176\">https://lb.example.com/presentation/rec-1/thumb-1.png</image>
            </images>
          </preview>
        </format>
      </playback>
    </recording>
  </recordings>
</response>
";
    assert_eq!(
        get_recordings(&[recording()], None, &links(false)),
        expected
    );
}

#[test]
fn protected_recordings_get_token_links_and_no_previews() {
    let mut r = recording();
    r.protected = true;
    r.name = None;
    r.state = None;
    r.participants = None;
    r.formats[0].length = None;
    r.formats[0].processing_time = Some(7);
    let xml = get_recordings(&[r], Some(41), &links(true));
    assert!(xml.contains("      <name/>\n      <published>true</published>\n      <protected>true</protected>\n      <startTime>"), "{xml}");
    assert!(
        !xml.contains("<state>") && !xml.contains("<participants>"),
        "{xml}"
    );
    assert!(xml.contains("<url>https://lb.example.com/recording/rec-1/presentation?token=T</url>\n          <length/>\n          <processingTime>7</processingTime>\n        </format>"), "{xml}");
    assert!(!xml.contains("<preview>"), "{xml}");
    assert!(
        xml.ends_with("  </recordings>\n  <totalElements>41</totalElements>\n</response>\n"),
        "{xml}"
    );
}

#[test]
fn the_protected_element_only_when_protection_is_enabled() {
    let xml = get_recordings(&[recording()], None, &links(false));
    assert!(!xml.contains("<protected>"));
    let xml = get_recordings(&[recording()], None, &links(true));
    assert!(xml.contains("<protected>false</protected>"));
}
