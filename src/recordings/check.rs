//! `checkRecordings` (behind `scalelite recordings check`): the recordings index against the
//! files in the publish and unpublish dirs. Three kinds of inconsistency: a row (state published
//! or unpublished) whose format has no directory in either dir ("missing"), a format directory
//! in the wrong dir for its row's published flag ("misplaced"), and a directory
//! `<dir>/<format>/<record_id>` that no row knows ("orphan").
//!
//! Repairs are explicit and never lose data: `fix` moves misplaced directories into the right
//! dir (the same durable move as publishRecordings, `files::move_between`); orphans are only
//! listed, and removed only with `delete_orphans`. Hidden names (staging copies, see files.rs)
//! are never recordings and are skipped.

use super::files;
use super::model::Recording;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::Path;

/// What the caller asks to be repaired.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Repairs {
    pub(crate) fix: bool,
    pub(crate) delete_orphans: bool,
}

const PUBLISHED: &str = "published";
const UNPUBLISHED: &str = "unpublished";

/// The `<format>/<record_id>` directories under `root` (hidden and unreadable entries skipped:
/// an unreadable root is reported as an error).
fn scan(root: &Path) -> std::io::Result<HashSet<(String, String)>> {
    let mut found = HashSet::new();
    let formats = match std::fs::read_dir(root) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e),
    };
    for format in formats.flatten() {
        let Some(fname) = format.file_name().to_str().map(String::from) else {
            continue;
        };
        if !files::valid_name(&fname) || !format.path().is_dir() {
            continue;
        }
        for rec in std::fs::read_dir(format.path())?.flatten() {
            if let Some(id) = rec.file_name().to_str() {
                if files::valid_name(id) {
                    found.insert((fname.clone(), id.to_string()));
                }
            }
        }
    }
    Ok(found)
}

/// Compare `rows` (every recording of the index, any state) with the two dirs, repair what
/// `repairs` asks, and report as JSON: `{"missing": […], "misplaced": […], "orphans": […]}`.
pub(crate) fn check(
    rows: &[Recording],
    publish_dir: &Path,
    unpublish_dir: &Path,
    repairs: Repairs,
) -> std::io::Result<Value> {
    let in_pub = scan(publish_dir)?;
    let in_unpub = scan(unpublish_dir)?;
    let mut known = HashSet::new();
    let (mut missing, mut misplaced) = (Vec::new(), Vec::new());
    for r in rows {
        let checked = matches!(r.state.as_deref(), Some(PUBLISHED | UNPUBLISHED));
        for f in &r.formats {
            let key = (f.format.clone(), r.record_id.clone());
            known.insert(key.clone());
            if !checked {
                continue;
            }
            let (want, want_dir, other, other_dir) = if r.published {
                (&in_pub, publish_dir, &in_unpub, unpublish_dir)
            } else {
                (&in_unpub, unpublish_dir, &in_pub, publish_dir)
            };
            let label = |published: bool| if published { PUBLISHED } else { UNPUBLISHED };
            if want.contains(&key) {
                continue;
            }
            if !other.contains(&key) {
                missing.push(json!({
                    "record_id": r.record_id, "format": f.format,
                    "expected": want_dir.join(&f.format).join(&r.record_id),
                }));
                continue;
            }
            let mut entry = json!({
                "record_id": r.record_id, "format": f.format,
                "found": label(!r.published), "expected": label(r.published),
                "fixed": false,
            });
            if repairs.fix {
                match files::move_between(&f.format, &r.record_id, other_dir, want_dir) {
                    Ok(()) => entry["fixed"] = json!(true),
                    Err(e) => entry["error"] = json!(e.to_string()),
                }
            }
            misplaced.push(entry);
        }
    }
    let mut orphans = Vec::new();
    for (label, root, set) in [
        (PUBLISHED, publish_dir, &in_pub),
        (UNPUBLISHED, unpublish_dir, &in_unpub),
    ] {
        let mut sorted: Vec<_> = set.difference(&known).collect();
        sorted.sort();
        for (format, id) in sorted {
            let path = root.join(format).join(id);
            let mut entry = json!({
                "dir": label, "format": format, "record_id": id, "path": path, "deleted": false,
            });
            if repairs.delete_orphans {
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                match removed {
                    Ok(()) => entry["deleted"] = json!(true),
                    Err(e) => entry["error"] = json!(e.to_string()),
                }
            }
            orphans.push(entry);
        }
    }
    Ok(json!({ "missing": missing, "misplaced": misplaced, "orphans": orphans }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recordings::model::PlaybackFormat;

    fn row(record_id: &str, state: &str, published: bool) -> Recording {
        Recording {
            id: 1,
            record_id: record_id.into(),
            meeting_id: "m".into(),
            name: None,
            published,
            protected: false,
            state: Some(state.into()),
            start_time_ms: None,
            end_time_ms: None,
            participants: None,
            metadata: Vec::new(),
            formats: vec![PlaybackFormat {
                format: "presentation".into(),
                url: String::new(),
                length: None,
                processing_time: None,
                thumbnails: Vec::new(),
            }],
        }
    }

    fn mkdir(root: &Path, id: &str) {
        std::fs::create_dir_all(root.join("presentation").join(id)).unwrap();
    }

    #[test]
    fn hidden_names_and_rows_of_other_states_are_no_inconsistency() {
        let tmp = tempfile::tempdir().unwrap();
        let (publ, unpubl) = (tmp.path().join("p"), tmp.path().join("u"));
        mkdir(&publ, "ok");
        mkdir(&unpubl, "ok"); // a second copy in the other dir: known, not an orphan
        mkdir(&publ, ".staging-x"); // files.rs' hidden staging copy
        mkdir(&unpubl, "gone"); // its row is `deleted`: known, not checked
        let rows = [row("ok", "published", true), row("gone", "deleted", false)];
        let r = check(&rows, &publ, &unpubl, Repairs::default()).unwrap();
        assert_eq!(r, json!({ "missing": [], "misplaced": [], "orphans": [] }));
    }

    #[test]
    fn an_unpublished_row_in_the_publish_dir_is_moved_by_fix() {
        let tmp = tempfile::tempdir().unwrap();
        let (publ, unpubl) = (tmp.path().join("p"), tmp.path().join("u"));
        mkdir(&publ, "r");
        let rows = [row("r", "unpublished", false)];
        let fix = Repairs {
            fix: true,
            delete_orphans: false,
        };
        let r = check(&rows, &publ, &unpubl, fix).unwrap();
        assert_eq!(r["misplaced"][0]["found"], "published");
        assert_eq!(r["misplaced"][0]["fixed"], true);
        assert!(unpubl.join("presentation/r").is_dir());
        assert!(!publ.join("presentation/r").exists());
        // Missing dirs altogether: nothing to compare, nothing found.
        let none = check(&[], &tmp.path().join("x"), &tmp.path().join("y"), fix).unwrap();
        assert_eq!(none["orphans"], json!([]));
    }
}
