-- Scalelite's recordings schema (db/schema.rb, version 2023_06_27_141045) on PostgreSQL.
-- Only additions: on a database made by Scalelite every statement here is a no-op or adds a
-- column, table or index of ours, so the operator switches binaries without a data migration.
-- Older Scalelite databases have `published`/`protected` nullable: the code reads NULL as false.

CREATE TABLE IF NOT EXISTS recordings (
    id bigserial PRIMARY KEY,
    record_id character varying,
    meeting_id character varying,
    name character varying,
    published boolean DEFAULT false NOT NULL,
    participants integer,
    state character varying,
    starttime timestamp without time zone,
    endtime timestamp without time zone,
    deleted_at timestamp without time zone,
    protected boolean DEFAULT false NOT NULL,
    publish_updated boolean DEFAULT false NOT NULL
);
-- Columns Scalelite added in 2021: present on any recent database, added on an older one.
ALTER TABLE recordings ADD COLUMN IF NOT EXISTS protected boolean DEFAULT false NOT NULL;
ALTER TABLE recordings ADD COLUMN IF NOT EXISTS publish_updated boolean DEFAULT false NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS index_recordings_on_record_id ON recordings (record_id);
CREATE INDEX IF NOT EXISTS index_recordings_on_meeting_id ON recordings (meeting_id);

CREATE TABLE IF NOT EXISTS metadata (
    id bigserial PRIMARY KEY,
    recording_id bigint,
    key character varying,
    value character varying
);
CREATE UNIQUE INDEX IF NOT EXISTS index_metadata_on_recording_id_and_key
    ON metadata (recording_id, key);

CREATE TABLE IF NOT EXISTS playback_formats (
    id bigserial PRIMARY KEY,
    recording_id bigint,
    format character varying,
    url character varying,
    length integer,
    processing_time integer
);
CREATE UNIQUE INDEX IF NOT EXISTS index_playback_formats_on_recording_id_and_format
    ON playback_formats (recording_id, format);

CREATE TABLE IF NOT EXISTS thumbnails (
    id bigserial PRIMARY KEY,
    playback_format_id bigint,
    width integer,
    height integer,
    alt character varying,
    url character varying,
    sequence integer
);
CREATE INDEX IF NOT EXISTS index_thumbnails_on_playback_format_id ON thumbnails (playback_format_id);

CREATE TABLE IF NOT EXISTS callback_data (
    id bigserial PRIMARY KEY,
    meeting_id character varying,
    recording_id integer,
    callback_attributes text,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

-- Our indexes (names prefixed `scalelite_rs_` so they never collide with a future Rails one):
-- every getRecordings filter is an index scan.
-- recordID prefixes: LIKE 'prefix%' needs pattern ops unless the database collation is C.
CREATE INDEX IF NOT EXISTS scalelite_rs_recordings_record_id_prefix
    ON recordings (record_id varchar_pattern_ops);
CREATE INDEX IF NOT EXISTS scalelite_rs_recordings_state ON recordings (state);
-- The paging order: starttime descending (NULLs last, as on SQLite), then record_id.
CREATE INDEX IF NOT EXISTS scalelite_rs_recordings_order
    ON recordings (starttime DESC NULLS LAST, record_id);
-- meta_* filters and the tenant: (key, value) → recording ids without touching the table.
CREATE INDEX IF NOT EXISTS scalelite_rs_metadata_key_value
    ON metadata (key, value, recording_id);
-- Linking callback_data by meeting at import.
CREATE INDEX IF NOT EXISTS scalelite_rs_callback_data_meeting_id ON callback_data (meeting_id);
