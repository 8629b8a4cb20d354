-- Deep pages of getRecordings: the paging order with the state in the index (the id is the
-- rowid, in every index), so the page's ids are found by walking past the skipped matches on the
-- index alone rather than reading every skipped row (src/recordings/index.rs, `page_sql`). It
-- starts with the columns of the order index, which it replaces.
CREATE INDEX IF NOT EXISTS scalelite_rs_recordings_page ON recordings (starttime DESC, record_id, state);
DROP INDEX IF EXISTS scalelite_rs_recordings_order;
