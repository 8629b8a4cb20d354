//! The recordings as the BBB recording API shows them, and the one format of one recording that
//! the importer hands over (parsed from a `metadata.xml`, §7.3.1).

/// One `<format>/<record_id>/metadata.xml`, parsed: what [`super::upsert`] writes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ImportedFormat {
    pub(crate) record_id: String,
    pub(crate) meeting_id: String,
    pub(crate) name: Option<String>,
    /// `<published>` when present (its text is `true`).
    pub(crate) published: Option<bool>,
    pub(crate) participants: Option<i32>,
    /// `<state>` when present (`available` already mapped to `published`).
    pub(crate) state: Option<String>,
    pub(crate) start_time_ms: Option<i64>,
    pub(crate) end_time_ms: Option<i64>,
    /// The `<meta>` children except isBreakout, meetingId, meetingName, in document order.
    pub(crate) metadata: Vec<(String, String)>,
    pub(crate) format: String,
    /// Path and query of the playback link (host dropped).
    pub(crate) url: String,
    pub(crate) length_minutes: i32,
    pub(crate) thumbnails: Vec<Thumbnail>,
}

/// A preview image of a playback format.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Thumbnail {
    pub(crate) width: Option<i32>,
    pub(crate) height: Option<i32>,
    pub(crate) alt: Option<String>,
    pub(crate) url: String,
    /// 0-based position in the list; images are shown in this order.
    pub(crate) sequence: i32,
}

/// A recording with everything getRecordings shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recording {
    /// The row id (what metadata and formats point at).
    pub(crate) id: i64,
    pub(crate) record_id: String,
    pub(crate) meeting_id: String,
    pub(crate) name: Option<String>,
    /// NULL (an old Scalelite database) reads as false, as Scalelite's model does.
    pub(crate) published: bool,
    pub(crate) protected: bool,
    pub(crate) state: Option<String>,
    /// Epoch milliseconds (truncated), None for NULL (shown as 0).
    pub(crate) start_time_ms: Option<i64>,
    pub(crate) end_time_ms: Option<i64>,
    pub(crate) participants: Option<i32>,
    /// All its metadata, in the order the rows were created.
    pub(crate) metadata: Vec<(String, String)>,
    /// Its formats by format name.
    pub(crate) formats: Vec<PlaybackFormat>,
}

/// One playback format of a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlaybackFormat {
    pub(crate) format: String,
    /// As stored: a path (+ query) the caller prefixes with scheme and host.
    pub(crate) url: String,
    /// Minutes.
    pub(crate) length: Option<i32>,
    pub(crate) processing_time: Option<i32>,
    /// By sequence.
    pub(crate) thumbnails: Vec<Thumbnail>,
}
