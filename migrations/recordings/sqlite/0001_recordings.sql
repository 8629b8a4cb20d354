-- Scalelite's recordings schema (db/schema.rb, version 2023_06_27_141045) in SQLite's dialect,
-- as Rails' SQLite adapter would create it. Timestamps are text 'YYYY-MM-DD HH:MM:SS.SSS' (UTC),
-- which sorts chronologically.

CREATE TABLE IF NOT EXISTS recordings (
    id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
    record_id varchar,
    meeting_id varchar,
    name varchar,
    published boolean DEFAULT 0 NOT NULL,
    participants integer,
    state varchar,
    starttime datetime,
    endtime datetime,
    deleted_at datetime,
    protected boolean DEFAULT 0 NOT NULL,
    publish_updated boolean DEFAULT 0 NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS index_recordings_on_record_id ON recordings (record_id);
CREATE INDEX IF NOT EXISTS index_recordings_on_meeting_id ON recordings (meeting_id);

CREATE TABLE IF NOT EXISTS metadata (
    id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
    recording_id bigint,
    key varchar,
    value varchar
);
CREATE UNIQUE INDEX IF NOT EXISTS index_metadata_on_recording_id_and_key
    ON metadata (recording_id, key);

CREATE TABLE IF NOT EXISTS playback_formats (
    id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
    recording_id bigint,
    format varchar,
    url varchar,
    length integer,
    processing_time integer
);
CREATE UNIQUE INDEX IF NOT EXISTS index_playback_formats_on_recording_id_and_format
    ON playback_formats (recording_id, format);

CREATE TABLE IF NOT EXISTS thumbnails (
    id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
    playback_format_id bigint,
    width integer,
    height integer,
    alt varchar,
    url varchar,
    sequence integer
);
CREATE INDEX IF NOT EXISTS index_thumbnails_on_playback_format_id ON thumbnails (playback_format_id);

CREATE TABLE IF NOT EXISTS callback_data (
    id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
    meeting_id varchar,
    recording_id integer,
    callback_attributes text,
    created_at datetime(6) NOT NULL,
    updated_at datetime(6) NOT NULL
);

-- Our indexes: every getRecordings filter is an index scan. recordID prefixes use GLOB, which
-- SQLite turns into a range scan of index_recordings_on_record_id (BINARY collation).
CREATE INDEX IF NOT EXISTS scalelite_rs_recordings_state ON recordings (state);
CREATE INDEX IF NOT EXISTS scalelite_rs_recordings_order ON recordings (starttime DESC, record_id);
CREATE INDEX IF NOT EXISTS scalelite_rs_metadata_key_value ON metadata (key, value, recording_id);
CREATE INDEX IF NOT EXISTS scalelite_rs_callback_data_meeting_id ON callback_data (meeting_id);
