//! Tests of metadata.rs on BBB-like metadata.xml of every format (fixtures/), the §7.3.1 edge
//! cases, malformed input, and arbitrary bytes (proptest: never a panic).

use proptest::prelude::*;

use super::*;

const ID: &str = "0d1bc5f3a9e8b07c6e1b2c3d4e5f60718293a4b5-1701781200123";
const SLIDES: &str = "d2d9a672040fbde2a47a10bf6c37b6a4b5ae187f-1701781200200";

fn parse(xml: &[u8]) -> ImportedFormat {
    parse_metadata(xml).unwrap()
}

#[test]
fn presentation_maps_every_column() {
    let f = parse(include_bytes!("fixtures/presentation.xml"));
    let thumb = |n: usize, alt: &str, query: &str| Thumbnail {
        width: Some(176),
        height: Some(136),
        alt: Some(alt.to_string()),
        url: format!("/presentation/{ID}/presentation/{SLIDES}/thumbnails/thumb-{n}.png{query}"),
        sequence: n as i32 - 1,
    };
    let expected = ImportedFormat {
        record_id: ID.to_string(),
        meeting_id: "room-42 & friends".to_string(),
        name: Some("Physics 101 — Lecture 7".to_string()),
        published: Some(true),
        participants: Some(12),
        state: Some("published".to_string()),
        start_time_ms: Some(1_701_781_200_123),
        end_time_ms: Some(1_701_784_951_987),
        metadata: [
            ("bbb-context-name", "Physics 101"),
            ("gl-listed", "false"),
            ("bbb-origin-version", "2.7.3"),
            (
                "bbb-recording-ready-url",
                "https://lms.example.edu/bbb/ready?x=1&y=2",
            ),
            ("bbb-origin", "Greenlight"),
            ("empty", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        format: "presentation".to_string(),
        url: format!("/playback/presentation/2.3/{ID}"),
        length_minutes: 61,
        // Image URLs are trimmed and keep only their path (the query is dropped).
        thumbnails: vec![
            thumb(1, "Welcome to BigBlueButton", ""),
            thumb(2, "Kinematics <part 1>", ""),
            thumb(3, "", ""),
        ],
    };
    assert_eq!(f, expected);
}

#[test]
fn other_formats_map_their_quirks() {
    let video = parse(include_bytes!("fixtures/video.xml"));
    assert_eq!(
        video.state.as_deref(),
        Some("published"),
        "available is stored as published"
    );
    assert_eq!((video.format.as_str(), video.length_minutes), ("video", 61));
    assert_eq!(video.url, format!("/playback/video/{ID}/"));
    assert!(video.metadata.is_empty() && video.thumbnails.is_empty());

    let podcast = parse(include_bytes!("fixtures/podcast.xml"));
    assert_eq!(podcast.published, Some(false));
    assert_eq!(podcast.state.as_deref(), Some("unpublished"));
    assert_eq!(podcast.participants, None);
    assert_eq!(podcast.length_minutes, 0, "29999 ms rounds to 0");
    assert_eq!(podcast.url, format!("/podcast/{ID}/audio.ogg"));

    let screenshare = parse(include_bytes!("fixtures/screenshare.xml"));
    assert_eq!(
        screenshare.length_minutes, 2,
        "1.5 minutes round half away from zero"
    );
    assert_eq!(screenshare.meeting_id, "room-42-breakout-1");
    assert_eq!(
        screenshare.metadata,
        [(
            "bbb-origin-server-name".to_string(),
            "bbb3.example.com".to_string()
        )]
    );

    let notes = parse(include_bytes!("fixtures/notes.xml"));
    assert_eq!(notes.name, None);
    assert_eq!(
        notes.url,
        format!("/notes/{ID}/notes.pdf?download=1"),
        "query kept"
    );
    assert_eq!(
        notes.metadata,
        [("gl-listed".to_string(), "false".to_string())],
        "last value wins"
    );
}

fn minimal(extra_root: &str, playback: &str) -> String {
    format!(
        "<recording><id>r1</id>{extra_root}<meta><meetingId>m1</meetingId></meta>\
         <playback><format>presentation</format>{playback}</playback></recording>"
    )
}

#[test]
fn optional_fields_and_lenient_numbers() {
    let f = parse(minimal("", "<link>/playback/x?a=1</link>").as_bytes());
    assert_eq!(
        (f.published, f.participants, f.state.as_deref()),
        (None, None, None)
    );
    assert_eq!(
        (f.start_time_ms, f.end_time_ms, f.length_minutes),
        (None, None, 0)
    );
    assert_eq!(f.url, "/playback/x?a=1");
    let root = "<participants> 7 people</participants><start_time>12abc</start_time>\
                <published>yes</published><end_time>x</end_time>";
    let f = parse(minimal(root, "<link>http://h/p</link><duration>-90000</duration>").as_bytes());
    assert_eq!(
        (f.participants, f.start_time_ms, f.end_time_ms),
        (Some(7), Some(12), Some(0))
    );
    assert_eq!(f.published, Some(false), "only the text true is true");
    assert_eq!(f.length_minutes, -2);
    let images = "<extensions><preview><images><image>http://h/t.png</image>\
                  <image width=\"x\" alt=\"a\">/t2.png</image></images></preview></extensions>";
    let f = parse(minimal("", &format!("<link>http://h/p</link>{images}")).as_bytes());
    assert_eq!(f.thumbnails[0].width, None);
    assert_eq!(
        (f.thumbnails[1].width, f.thumbnails[1].sequence),
        (Some(0), 1)
    );
    assert_eq!(f.thumbnails[1].url, "/t2.png");
    let huge = "<participants>99999999999999999999999</participants>";
    assert_eq!(
        parse(minimal(huge, "<link>/p</link>").as_bytes()).participants,
        Some(i32::MAX)
    );
}

#[test]
fn malformed_or_incomplete_files_are_permanent_failures() {
    let cases = [
        ("no link", minimal("", "")),
        ("empty link", minimal("", "<link>  </link>")),
        ("bad link", minimal("", "<link>mailto:x</link>")),
        (
            "no id",
            "<recording><meta><meetingId>m</meetingId></meta></recording>".to_string(),
        ),
        (
            "no meetingId",
            "<recording><id>r</id><playback><link>/p</link></playback></recording>".into(),
        ),
        (
            "no playback",
            "<recording><id>r</id><meta><meetingId>m</meetingId></meta></recording>".into(),
        ),
        ("wrong root", "<meeting><id>r</id></meeting>".to_string()),
        ("unclosed", "<recording><id>r</id>".to_string()),
        (
            "mismatched",
            "<recording><id>r</meta></recording>".to_string(),
        ),
        (
            "two roots",
            format!("{}<recording/>", minimal("", "<link>/p</link>")),
        ),
        (
            "bad entity",
            minimal("<state>&bogus;</state>", "<link>/p</link>"),
        ),
        ("empty", String::new()),
        (
            "deep",
            format!("{}{}", "<a>".repeat(100), "</a>".repeat(100)),
        ),
    ];
    for (what, xml) in cases {
        match parse_metadata(xml.as_bytes()) {
            Err(ImportError::Permanent(_)) => {}
            other => panic!("{what}: expected a permanent failure, got {other:?}"),
        }
    }
    assert!(parse_metadata(b"<recording><id>\xff</id></recording>").is_err());
}

#[test]
fn read_metadata_reads_the_file_with_a_size_cap() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("metadata.xml"),
        include_bytes!("fixtures/video.xml"),
    )
    .unwrap();
    assert_eq!(read_metadata(dir.path()).unwrap().format, "video");
    let big = format!("<recording>{}</recording>", " ".repeat(5 << 20));
    std::fs::write(dir.path().join("metadata.xml"), big).unwrap();
    assert!(matches!(
        read_metadata(dir.path()),
        Err(ImportError::Permanent(_))
    ));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_metadata(&bytes);
    }

    #[test]
    fn mutated_fixtures_never_panic(cut in 0usize..3000, byte in any::<u8>(), at in 0usize..3000) {
        let mut xml = include_bytes!("fixtures/presentation.xml").to_vec();
        let at = at % xml.len();
        xml[at] = byte;
        xml.truncate(cut.max(1));
        let _ = parse_metadata(&xml);
    }
}
