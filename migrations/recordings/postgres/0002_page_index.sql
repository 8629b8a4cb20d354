-- Deep pages of getRecordings: the paging order with the state and the id beside it, so the page's
-- ids are found by walking past the skipped matches on the index alone (an index-only scan)
-- rather than reading every skipped row (src/recordings/index.rs, `page_sql`). It starts with the
-- columns of the order index, which it replaces.
CREATE INDEX IF NOT EXISTS scalelite_rs_recordings_page
    ON recordings (starttime DESC NULLS LAST, record_id) INCLUDE (state, id);
DROP INDEX IF EXISTS scalelite_rs_recordings_order;
