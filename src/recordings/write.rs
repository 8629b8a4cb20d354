//! What the importer writes (§7.3 steps 2 and 3): one imported format of a recording, in one
//! transaction, and the link from a meeting's callback data to its recording.

use super::model::ImportedFormat;
use super::sql::{on_db, Arg, Sql};
use super::RecordingsError;
use crate::db::Database;
use sqlx::Row;

/// What [`upsert`] left in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upserted {
    /// The recording's row id.
    pub(crate) recording_id: i64,
    /// Whether the recording is now published: its files belong in the publish dir, else in the
    /// unpublish dir.
    pub(crate) published: bool,
    pub(crate) state: Option<String>,
}

/// The recording's values before the import, when it existed.
struct Previous {
    published: bool,
    publish_updated: bool,
    protected: bool,
    state: Option<String>,
}

/// Imports one format of a recording (§7.3 step 2 a–c) in ONE transaction: the recording row by
/// record_id (values absent from metadata.xml keep the stored ones), metadata upserted per key
/// (keys absent from this file kept), the playback format upserted per (recording, format), its
/// thumbnails replaced.
///
/// Published: a choice made through publishRecordings (`publish_updated`) is kept; otherwise
/// `import_unpublished` (RECORDING_IMPORT_UNPUBLISHED) makes it false, else metadata.xml's
/// `<published>` (or the stored value, false for a new recording). Scalelite's Q17 is fixed:
/// `state` follows (`published`/`unpublished`, other states untouched), the publish choice is
/// really kept, and `protected` is `protected_enabled` (PROTECTED_RECORDINGS_ENABLED) for a new
/// recording while a re-import keeps the recording's own flag (updateRecordings may have set it).
#[cfg(test)]
pub(crate) async fn upsert(
    db: &Database,
    rec: &ImportedFormat,
    import_unpublished: bool,
    protected_enabled: bool,
) -> Result<Upserted, RecordingsError> {
    let done = upsert_then(db, rec, import_unpublished, protected_enabled, |_| async {
        Ok::<(), std::convert::Infallible>(())
    })
    .await?;
    Ok(done.unwrap_or_else(|never| match never {}))
}

/// [`upsert`], with `then` run inside the transaction once the rows are written and before they
/// are committed: the importer puts the files in place there, so the rows become visible only
/// with their files. When `then` fails everything is rolled back and its error returned
/// (`Ok(Err(..))`); a database failure is the outer `Err`.
pub(crate) async fn upsert_then<F, Fut, E>(
    db: &Database,
    rec: &ImportedFormat,
    import_unpublished: bool,
    protected_enabled: bool,
    then: F,
) -> Result<Result<Upserted, E>, RecordingsError>
where
    F: FnOnce(Upserted) -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
{
    on_db!(db.ready().await?, |pool, bind, d| {
        let mut tx = super::sql::begin_write!(pool, d);
        let mut s = Sql::new(d, "");
        let p = s.text(&rec.record_id);
        s.push(&format!(
            "SELECT published, publish_updated, protected, state FROM recordings \
             WHERE record_id = {p}"
        ));
        if d == super::sql::Dialect::Postgres {
            s.push(" FOR UPDATE");
        }
        let previous = match bind(&s).fetch_optional(&mut *tx).await? {
            Some(row) => Some(Previous {
                published: row.try_get::<Option<bool>, _>(0)?.unwrap_or(false),
                publish_updated: row.try_get::<Option<bool>, _>(1)?.unwrap_or(false),
                protected: row.try_get::<Option<bool>, _>(2)?.unwrap_or(false),
                state: row.try_get(3)?,
            }),
            None => None,
        };
        let (published, state, protected) = decide(
            rec,
            previous.as_ref(),
            import_unpublished,
            protected_enabled,
        );

        let mut s = Sql::new(d, "");
        let record_id = s.text(&rec.record_id);
        let meeting_id = s.text(&rec.meeting_id);
        let name = s.arg(Arg::Text(rec.name.clone()));
        let published_p = s.arg(Arg::Bool(published));
        let participants = s.arg(Arg::Int(rec.participants.map(i64::from)));
        let state_p = s.arg(Arg::Text(state.clone()));
        let start = s.timestamp(rec.start_time_ms);
        let end = s.timestamp(rec.end_time_ms);
        let protected_p = s.arg(Arg::Bool(protected));
        s.push(&format!(
            "INSERT INTO recordings (record_id, meeting_id, name, published, participants, state, \
             starttime, endtime, protected, publish_updated) \
             VALUES ({record_id}, {meeting_id}, {name}, {published_p}, {participants}, {state_p}, \
             {start}, {end}, {protected_p}, false) \
             ON CONFLICT (record_id) DO UPDATE SET meeting_id = excluded.meeting_id, \
             name = excluded.name, published = excluded.published, \
             participants = COALESCE(excluded.participants, recordings.participants), \
             state = excluded.state, \
             starttime = COALESCE(excluded.starttime, recordings.starttime), \
             endtime = COALESCE(excluded.endtime, recordings.endtime), \
             protected = excluded.protected \
             RETURNING id"
        ));
        let recording_id: i64 = bind(&s).fetch_one(&mut *tx).await?.try_get(0)?;

        for (key, value) in &rec.metadata {
            let mut s = Sql::new(d, "");
            let (r, k, v) = (
                s.arg(Arg::Int(Some(recording_id))),
                s.text(key),
                s.text(value),
            );
            s.push(&format!(
                "INSERT INTO metadata (recording_id, key, value) VALUES ({r}, {k}, {v}) \
                 ON CONFLICT (recording_id, key) DO UPDATE SET value = excluded.value"
            ));
            bind(&s).execute(&mut *tx).await?;
        }

        let mut s = Sql::new(d, "");
        let r = s.arg(Arg::Int(Some(recording_id)));
        let (f, u) = (s.text(&rec.format), s.text(&rec.url));
        let l = s.arg(Arg::Int(Some(i64::from(rec.length_minutes))));
        s.push(&format!(
            "INSERT INTO playback_formats (recording_id, format, url, length) \
             VALUES ({r}, {f}, {u}, {l}) \
             ON CONFLICT (recording_id, format) DO UPDATE SET url = excluded.url, \
             length = excluded.length RETURNING id"
        ));
        let format_id: i64 = bind(&s).fetch_one(&mut *tx).await?.try_get(0)?;

        let mut s = Sql::new(d, "");
        let f = s.arg(Arg::Int(Some(format_id)));
        s.push(&format!(
            "DELETE FROM thumbnails WHERE playback_format_id = {f}"
        ));
        bind(&s).execute(&mut *tx).await?;
        for t in &rec.thumbnails {
            let mut s = Sql::new(d, "");
            let f = s.arg(Arg::Int(Some(format_id)));
            let w = s.arg(Arg::Int(t.width.map(i64::from)));
            let h = s.arg(Arg::Int(t.height.map(i64::from)));
            let a = s.arg(Arg::Text(t.alt.clone()));
            let u = s.text(&t.url);
            let q = s.arg(Arg::Int(Some(i64::from(t.sequence))));
            s.push(&format!(
                "INSERT INTO thumbnails (playback_format_id, width, height, alt, url, sequence) \
                 VALUES ({f}, {w}, {h}, {a}, {u}, {q})"
            ));
            bind(&s).execute(&mut *tx).await?;
        }
        let upserted = Upserted {
            recording_id,
            published,
            state,
        };
        if let Err(e) = then(upserted.clone()).await {
            tx.rollback().await?;
            return Ok(Err(e));
        }
        tx.commit().await?;
        Ok(Ok(upserted))
    })
}

/// (published, state, protected) after importing `rec` over `previous` (see [`upsert`]).
fn decide(
    rec: &ImportedFormat,
    previous: Option<&Previous>,
    import_unpublished: bool,
    protected_enabled: bool,
) -> (bool, Option<String>, bool) {
    let from_file = rec
        .published
        .unwrap_or_else(|| previous.is_some_and(|p| p.published));
    let published = match previous {
        Some(p) if p.publish_updated => p.published,
        _ if import_unpublished => false,
        _ => from_file,
    };
    let state = rec
        .state
        .clone()
        .or_else(|| previous.and_then(|p| p.state.clone()));
    let state = match state.as_deref() {
        Some("published" | "unpublished") if published => Some("published".to_string()),
        Some("published" | "unpublished") => Some("unpublished".to_string()),
        _ => state,
    };
    let protected = previous.map_or(protected_enabled, |p| p.protected);
    (published, state, protected)
}

/// Links the callback data of `meeting_id` to the recording (§7.3 step 3), so the
/// recording-ready notification finds it. Returns whether there was callback data.
pub(crate) async fn link_callback_data(
    db: &Database,
    meeting_id: &str,
    recording_id: i64,
) -> Result<bool, RecordingsError> {
    on_db!(db.ready().await?, |pool, bind, d| {
        let mut s = Sql::new(d, "");
        let r = s.arg(Arg::Int(Some(recording_id)));
        let m = s.text(meeting_id);
        let now = s.now();
        s.push(&format!(
            "UPDATE callback_data SET recording_id = {r}, updated_at = {now} WHERE meeting_id = {m}"
        ));
        Ok(bind(&s).execute(pool).await?.rows_affected() > 0)
    })
}
