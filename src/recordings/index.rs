//! getRecordings (§7.5) with paging: the matching recordings, newest first, each with all its
//! metadata, formats and thumbnails, in a fixed number of queries whatever the page size (count,
//! page, metadata, formats, thumbnails), all in one read transaction so they agree.

use super::filter::RecordingFilter;
use super::model::{PlaybackFormat, Recording, Thumbnail};
use super::sql::{epoch_ms, on_db, order, Arg, Dialect, Sql};
use super::RecordingsError;
use crate::db::Database;
use sqlx::Row;
use std::collections::HashMap;

/// The recordings `filter` selects (its page when it has a limit) and how many match in all.
pub(crate) async fn get_recordings(
    db: &Database,
    filter: &RecordingFilter,
) -> Result<(Vec<Recording>, u64), RecordingsError> {
    on_db!(db.ready().await?, |pool, bind, d| {
        let mut tx = pool.begin().await?;
        if d == Dialect::Postgres {
            // One snapshot for all the queries below.
            let s = Sql::new(
                d,
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            );
            bind(&s).execute(&mut *tx).await?;
        }
        let paged = filter.limit.is_some() || filter.offset > 0;
        let total = if paged {
            let s = count_sql(d, filter);
            let n: i64 = bind(&s).fetch_one(&mut *tx).await?.try_get(0)?;
            Some(u64::try_from(n).unwrap_or(0))
        } else {
            None
        };

        let s = page_sql(d, filter, paged);
        let mut recordings = Vec::new();
        for row in bind(&s).fetch_all(&mut *tx).await? {
            recordings.push(Recording {
                id: row.try_get(0)?,
                record_id: row.try_get::<Option<String>, _>(1)?.unwrap_or_default(),
                meeting_id: row.try_get::<Option<String>, _>(2)?.unwrap_or_default(),
                name: row.try_get(3)?,
                published: row.try_get::<Option<bool>, _>(4)?.unwrap_or(false),
                protected: row.try_get::<Option<bool>, _>(5)?.unwrap_or(false),
                state: row.try_get(6)?,
                start_time_ms: row.try_get(7)?,
                end_time_ms: row.try_get(8)?,
                participants: row.try_get(9)?,
                metadata: Vec::new(),
                formats: Vec::new(),
            });
        }
        let total = total.unwrap_or(recordings.len() as u64);
        if recordings.is_empty() {
            return Ok((recordings, total));
        }
        let ids: Vec<i64> = recordings.iter().map(|r| r.id).collect();
        let at: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();

        let s = metadata_sql(d, &ids);
        for row in bind(&s).fetch_all(&mut *tx).await? {
            let owner: i64 = row.try_get(0)?;
            let key: Option<String> = row.try_get(1)?;
            let value: Option<String> = row.try_get(2)?;
            if let (Some(&i), Some(key)) = (at.get(&owner), key) {
                recordings[i]
                    .metadata
                    .push((key, value.unwrap_or_default()));
            }
        }

        let s = formats_sql(d, &ids);
        // Format row id → (recording index, format index), for the thumbnails.
        let mut formats: HashMap<i64, (usize, usize)> = HashMap::new();
        for row in bind(&s).fetch_all(&mut *tx).await? {
            let id: i64 = row.try_get(0)?;
            let owner: i64 = row.try_get(1)?;
            let Some(&i) = at.get(&owner) else { continue };
            formats.insert(id, (i, recordings[i].formats.len()));
            recordings[i].formats.push(PlaybackFormat {
                format: row.try_get::<Option<String>, _>(2)?.unwrap_or_default(),
                url: row.try_get::<Option<String>, _>(3)?.unwrap_or_default(),
                length: row.try_get(4)?,
                processing_time: row.try_get(5)?,
                thumbnails: Vec::new(),
            });
        }
        if !formats.is_empty() {
            let format_ids: Vec<i64> = formats.keys().copied().collect();
            let s = thumbnails_sql(d, &format_ids);
            for row in bind(&s).fetch_all(&mut *tx).await? {
                let owner: i64 = row.try_get(0)?;
                let Some(&(i, f)) = formats.get(&owner) else {
                    continue;
                };
                recordings[i].formats[f].thumbnails.push(Thumbnail {
                    width: row.try_get(1)?,
                    height: row.try_get(2)?,
                    alt: row.try_get(3)?,
                    url: row.try_get::<Option<String>, _>(4)?.unwrap_or_default(),
                    sequence: row.try_get::<Option<i32>, _>(5)?.unwrap_or(0),
                });
            }
        }
        tx.commit().await?;
        Ok((recordings, total))
    })
}

/// How many recordings `filter` selects.
pub(super) fn count_sql(d: Dialect, filter: &RecordingFilter) -> Sql {
    let mut s = Sql::new(d, "");
    let cond = filter.condition(&mut s);
    s.push(&format!("SELECT count(*) FROM recordings r WHERE {cond}"));
    s
}

/// The recordings `filter` selects, in order, paged when `paged`.
///
/// A page (with a limit) is chosen by id first: the inner query walks the paging order past the
/// skipped matches on the `scalelite_rs_recordings_page` index alone (on PostgreSQL an index-only
/// scan), and only the page's rows are then read and converted. Reading and converting every
/// skipped row made a page at offset 50,000 of 100,000 take ~70 ms on PostgreSQL; this takes
/// ~10 ms (benches/recordings.sh).
pub(super) fn page_sql(d: Dialect, filter: &RecordingFilter, paged: bool) -> Sql {
    let mut s = Sql::new(d, "");
    let cond = filter.condition(&mut s);
    let columns = format!(
        "r.id, r.record_id, r.meeting_id, r.name, r.published, r.protected, r.state, {}, {}, \
         r.participants",
        epoch_ms(d, "r.starttime"),
        epoch_ms(d, "r.endtime"),
    );
    let order = order(d);
    if !paged {
        s.push(&format!(
            "SELECT {columns} FROM recordings r WHERE {cond} ORDER BY {order}"
        ));
        return s;
    }
    let limit = s.arg(Arg::Int(filter.limit.map(i64::from)));
    let offset = s.arg(Arg::Int(Some(i64::from(filter.offset))));
    // A NULL limit is no limit on PostgreSQL; SQLite wants a negative one.
    let limit = match d {
        Dialect::Postgres => limit,
        Dialect::Sqlite => format!("COALESCE({limit}, -1)"),
    };
    let page = format!("ORDER BY {order} LIMIT {limit} OFFSET {offset}");
    if filter.limit.is_some() {
        // The inner `r` shadows the outer one: the condition is written for `recordings r`.
        s.push(&format!(
            "SELECT {columns} FROM recordings r WHERE r.id IN (SELECT r.id FROM recordings r \
             WHERE {cond} {page}) ORDER BY {order}"
        ));
    } else {
        // An offset without a limit keeps most matches: a join on their ids would cost more.
        s.push(&format!(
            "SELECT {columns} FROM recordings r WHERE {cond} {page}"
        ));
    }
    s
}

/// All the metadata of recordings `ids`.
pub(super) fn metadata_sql(d: Dialect, ids: &[i64]) -> Sql {
    let mut s = Sql::new(d, "");
    let cond = s.in_ids("recording_id", ids);
    s.push(&format!(
        "SELECT recording_id, key, value FROM metadata WHERE {cond} ORDER BY recording_id, id"
    ));
    s
}

/// The playback formats of recordings `ids`, by format.
pub(super) fn formats_sql(d: Dialect, ids: &[i64]) -> Sql {
    let mut s = Sql::new(d, "");
    let cond = s.in_ids("recording_id", ids);
    s.push(&format!(
        "SELECT id, recording_id, format, url, length, processing_time FROM playback_formats \
         WHERE {cond} ORDER BY recording_id, format, id"
    ));
    s
}

/// The thumbnails of playback formats `ids`, by sequence.
pub(super) fn thumbnails_sql(d: Dialect, ids: &[i64]) -> Sql {
    let mut s = Sql::new(d, "");
    let cond = s.in_ids("playback_format_id", ids);
    s.push(&format!(
        "SELECT playback_format_id, width, height, alt, url, sequence FROM thumbnails \
         WHERE {cond} ORDER BY playback_format_id, sequence, id"
    ));
    s
}
