//! The changes of the BBB recording API (§7.7–7.9), the database side: the handlers find the
//! recordings with `get_recordings` (exact ids), move or remove the files, then record the change
//! here, so a failed file operation never leaves the database claiming what the disk does not
//! hold, and a retried call converges.

use super::filter::{blank, RecordingFilter, StateFilter};
use super::index::get_recordings;
use super::model::Recording;
use super::sql::{on_db, Arg, Sql};
use super::RecordingsError;
use crate::db::Database;
use sqlx::Row;

/// A recording publishRecordings changes: its files move from the current dir (the publish dir
/// when unpublishing, the unpublish dir when publishing) to the other, one dir per format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublishMove {
    pub(crate) record_id: String,
    /// `<dir>/<format>/<record_id>` for each of these.
    pub(crate) formats: Vec<String>,
}

/// publishRecordings, step one (§7.7 step 3–4): the recordings of `record_ids` (exact, of
/// `tenant` when given, in state published or unpublished). None when there is none (the answer
/// is then `notFound`); else those whose `published` differs from `publish`, with what to move.
/// The handler moves the files, then calls [`set_published`] for each.
pub(crate) async fn publish_targets(
    db: &Database,
    record_ids: &[String],
    tenant: Option<&str>,
    publish: bool,
) -> Result<Option<Vec<PublishMove>>, RecordingsError> {
    let found = lookup(db, record_ids, tenant, StateFilter::Default).await?;
    if found.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        found
            .into_iter()
            .filter(|r| r.published != publish)
            .map(|r| PublishMove {
                record_id: r.record_id,
                formats: r.formats.into_iter().map(|f| f.format).collect(),
            })
            .collect(),
    ))
}

/// deleteRecordings, step one (§7.9): the recordings of `record_ids` (exact, of `tenant` when
/// given, any state) with their formats; empty means `notFound`. The handler removes the files,
/// then calls [`delete`] for each.
pub(crate) async fn delete_targets(
    db: &Database,
    record_ids: &[String],
    tenant: Option<&str>,
) -> Result<Vec<Recording>, RecordingsError> {
    lookup(db, record_ids, tenant, StateFilter::Any).await
}

async fn lookup(
    db: &Database,
    record_ids: &[String],
    tenant: Option<&str>,
    states: StateFilter,
) -> Result<Vec<Recording>, RecordingsError> {
    let filter = RecordingFilter {
        exact_record_ids: Some(record_ids.to_vec()),
        states,
        tenant: tenant.map(String::from),
        ..RecordingFilter::default()
    };
    Ok(get_recordings(db, &filter).await?.0)
}

/// publishRecordings, once the files of `record_id` are in the target dir: sets `published`,
/// `publish_updated` (the importer keeps this choice) and `state` (`published`/`unpublished`).
/// Only a recording in state published or unpublished changes; returns whether it did.
pub(crate) async fn set_published(
    db: &Database,
    record_id: &str,
    publish: bool,
) -> Result<bool, RecordingsError> {
    on_db!(db.ready().await?, |pool, bind, d| {
        let mut s = Sql::new(d, "");
        let p = s.arg(Arg::Bool(publish));
        let st = s.text(if publish { "published" } else { "unpublished" });
        let r = s.text(record_id);
        s.push(&format!(
            "UPDATE recordings SET published = {p}, publish_updated = true, state = {st} \
             WHERE record_id = {r} AND state IN ('published', 'unpublished')"
        ));
        Ok(bind(&s).execute(pool).await?.rows_affected() > 0)
    })
}

/// deleteRecordings, once the files of `record_id` are gone: its metadata, playback formats and
/// their thumbnails are deleted and its state becomes `deleted`; the row stays (as Scalelite).
/// One transaction. Returns whether the recording exists.
pub(crate) async fn delete(db: &Database, record_id: &str) -> Result<bool, RecordingsError> {
    on_db!(db.ready().await?, |pool, bind, d| {
        let mut tx = super::sql::begin_write!(pool, d);
        let mut s = Sql::new(d, "");
        let r = s.text(record_id);
        s.push(&format!(
            "UPDATE recordings SET state = 'deleted' WHERE record_id = {r} RETURNING id"
        ));
        let Some(row) = bind(&s).fetch_optional(&mut *tx).await? else {
            return Ok(false);
        };
        let id: i64 = row.try_get(0)?;
        for text in [
            "DELETE FROM thumbnails WHERE playback_format_id IN \
             (SELECT id FROM playback_formats WHERE recording_id = $1)",
            "DELETE FROM playback_formats WHERE recording_id = $1",
            "DELETE FROM metadata WHERE recording_id = $1",
        ] {
            let mut s = Sql::new(d, text);
            s.arg(Arg::Int(Some(id)));
            bind(&s).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    })
}

/// One `meta_*` parameter of updateRecordings: the key (the name minus `meta_`, lower-cased) and
/// its new value, None (a blank value) to delete the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MetaChange {
    pub(crate) key: String,
    pub(crate) value: Option<String>,
}

impl MetaChange {
    /// The `meta_*` parameters of a request, in order.
    pub(crate) fn from_params<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Vec<MetaChange> {
        params
            .into_iter()
            .filter_map(|(name, value)| {
                let key = name.strip_prefix("meta_")?.to_lowercase();
                let value = (!blank(value)).then(|| value.to_string());
                Some(MetaChange { key, value })
            })
            .collect()
    }
}

/// The `protect` parameter as Rails casts a boolean: None when blank; false for `0`, `f`, `false`,
/// `off` (any case); true otherwise.
pub(crate) fn parse_protect(value: &str) -> Option<bool> {
    if blank(value) {
        return None;
    }
    let v = value.to_ascii_lowercase();
    Some(!matches!(v.as_str(), "0" | "f" | "false" | "off"))
}

/// updateRecordings (§7.8), in one transaction: nothing changes and the answer is false unless
/// every id (exact, duplicates counted) names a recording (of `tenant`, when given); then each
/// change is applied to every listed recording, and `protect` too (Scalelite's Q14, which set it
/// on the first id only, is fixed). Returns `updated`: whether any change or protect was asked.
pub(crate) async fn update_metadata(
    db: &Database,
    record_ids: &[String],
    tenant: Option<&str>,
    changes: &[MetaChange],
    protect: Option<bool>,
) -> Result<bool, RecordingsError> {
    on_db!(db.ready().await?, |pool, bind, d| {
        let mut tx = super::sql::begin_write!(pool, d);
        let mut s = Sql::new(d, "");
        let list: Vec<String> = record_ids.iter().map(|r| s.text(r)).collect();
        let list = if list.is_empty() {
            "NULL".to_string()
        } else {
            list.join(", ")
        };
        s.push(&format!(
            "SELECT id FROM recordings r WHERE r.record_id IN ({list})"
        ));
        if let Some(tenant) = tenant {
            let (k, v) = (s.text("tenant-id"), s.text(tenant));
            s.push(&format!(
                " AND r.id IN (SELECT recording_id FROM metadata WHERE key = {k} AND value = {v})"
            ));
        }
        let mut ids = Vec::new();
        for row in bind(&s).fetch_all(&mut *tx).await? {
            ids.push(row.try_get::<i64, _>(0)?);
        }
        if ids.len() != record_ids.len() {
            return Ok(false);
        }
        for change in changes {
            for id in &ids {
                let mut s = Sql::new(d, "");
                let (r, k) = (s.arg(Arg::Int(Some(*id))), s.text(&change.key));
                match &change.value {
                    Some(value) => {
                        let v = s.text(value);
                        s.push(&format!(
                            "INSERT INTO metadata (recording_id, key, value) VALUES ({r}, {k}, {v}) \
                             ON CONFLICT (recording_id, key) DO UPDATE SET value = excluded.value"
                        ));
                    }
                    None => {
                        s.push(&format!(
                            "DELETE FROM metadata WHERE recording_id = {r} AND key = {k}"
                        ));
                    }
                }
                bind(&s).execute(&mut *tx).await?;
            }
        }
        if let Some(protect) = protect {
            let mut s = Sql::new(d, "");
            let p = s.arg(Arg::Bool(protect));
            let cond = s.in_ids("id", &ids);
            s.push(&format!(
                "UPDATE recordings SET protected = {p} WHERE {cond}"
            ));
            bind(&s).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(!changes.is_empty() || protect.is_some())
    })
}
