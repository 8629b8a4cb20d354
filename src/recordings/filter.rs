//! The getRecordings filter (§7.5): built from the request's parameters with Rails' semantics
//! (blank = empty or whitespace, Ruby's `split(',')`), turned into one SQL condition.

use super::sql::Sql;

/// Which states getRecordings selects.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum StateFilter {
    /// `state` blank: published and unpublished (NULL states never).
    #[default]
    Default,
    /// The list contains `any`: no state condition.
    Any,
    /// `state IN (list)`.
    List(Vec<String>),
}

/// A getRecordings selection. Each list is None when its parameter was blank (no condition);
/// Some(empty) selects nothing, as Scalelite does for `recordID=,`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct RecordingFilter {
    /// recordID: case-sensitive prefixes, any of them.
    pub(crate) record_ids: Option<Vec<String>>,
    /// Exact record ids, any of them (publishRecordings, deleteRecordings; not a getRecordings
    /// parameter).
    pub(crate) exact_record_ids: Option<Vec<String>>,
    /// meetingID: exact, any of them.
    pub(crate) meeting_ids: Option<Vec<String>>,
    pub(crate) states: StateFilter,
    /// `meta_*` params: (key, accepted values). A recording matches when any of its metadata rows
    /// matches any pair (OR across params).
    pub(crate) meta: Vec<(String, Vec<String>)>,
    /// Multitenancy: only recordings with metadata `tenant-id` = this. Evaluated on its own
    /// metadata row, independent of the meta filter (Scalelite's Q13 is fixed).
    pub(crate) tenant: Option<String>,
    /// Page size, already clamped by the caller; None = everything.
    pub(crate) limit: Option<u32>,
    /// Matches skipped before the page.
    pub(crate) offset: u32,
}

impl RecordingFilter {
    /// The filter of a request's parameters (in request order; paging and tenant are set by the
    /// caller). Parameters other than recordID, meetingID, state and `meta_*` are ignored.
    pub(crate) fn from_params<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> RecordingFilter {
        let mut f = RecordingFilter::default();
        for (name, value) in params {
            match name {
                "recordID" if !blank(value) => f.record_ids = Some(ruby_split(value)),
                "meetingID" if !blank(value) => f.meeting_ids = Some(ruby_split(value)),
                "state" if !blank(value) => {
                    let states = ruby_split(value);
                    f.states = if states.iter().any(|s| s == "any") {
                        StateFilter::Any
                    } else {
                        StateFilter::List(states)
                    };
                }
                _ if name.starts_with("meta_") => {
                    f.meta.push((name.replace("meta_", ""), ruby_split(value)));
                }
                _ => {}
            }
        }
        f
    }

    /// The condition on `recordings r` (with the arguments bound into `sql`).
    pub(super) fn condition(&self, sql: &mut Sql) -> String {
        let mut parts = Vec::new();
        match &self.states {
            StateFilter::Default => {
                let (a, b) = (sql.text("published"), sql.text("unpublished"));
                parts.push(format!("r.state IN ({a}, {b})"));
            }
            StateFilter::Any => {}
            StateFilter::List(states) => parts.push(in_list(sql, "r.state", states)),
        }
        if let Some(tenant) = &self.tenant {
            let (k, v) = (sql.text("tenant-id"), sql.text(tenant));
            parts.push(format!(
                "r.id IN (SELECT recording_id FROM metadata WHERE key = {k} AND value = {v})"
            ));
        }
        if !self.meta.is_empty() {
            let mut any = Vec::new();
            for (key, values) in &self.meta {
                let k = sql.text(key);
                any.push(format!("(key = {k} AND {})", in_list(sql, "value", values)));
            }
            parts.push(format!(
                "r.id IN (SELECT recording_id FROM metadata WHERE {})",
                any.join(" OR ")
            ));
        }
        if let Some(prefixes) = &self.record_ids {
            let any: Vec<String> = prefixes
                .iter()
                .map(|p| sql.starts_with("r.record_id", p))
                .collect();
            parts.push(or_all(any));
        }
        if let Some(ids) = &self.exact_record_ids {
            parts.push(in_list(sql, "r.record_id", ids));
        }
        if let Some(ids) = &self.meeting_ids {
            parts.push(in_list(sql, "r.meeting_id", ids));
        }
        if parts.is_empty() {
            "1 = 1".into()
        } else {
            parts.join(" AND ")
        }
    }
}

/// `column IN (…)`; an empty list is false (as Rails' `where(x: [])`).
fn in_list(sql: &mut Sql, column: &str, values: &[String]) -> String {
    if values.is_empty() {
        return "1 = 0".into();
    }
    let ps: Vec<String> = values.iter().map(|v| sql.text(v)).collect();
    format!("{column} IN ({})", ps.join(", "))
}

fn or_all(parts: Vec<String>) -> String {
    if parts.is_empty() {
        "1 = 0".into()
    } else {
        format!("({})", parts.join(" OR "))
    }
}

/// Rails' `blank?` on a string: empty or only whitespace.
pub(crate) fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// Ruby's `String#split(',')`: items kept verbatim, trailing empty items dropped.
pub(crate) fn ruby_split(s: &str) -> Vec<String> {
    let mut items: Vec<String> = s.split(',').map(String::from).collect();
    while items.last().is_some_and(|i| i.is_empty()) {
        items.pop();
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruby_split_drops_trailing_empties_only() {
        assert_eq!(ruby_split("a,,b,,"), vec!["a", "", "b"]);
        assert_eq!(ruby_split(",a"), vec!["", "a"]);
        assert!(ruby_split(",,").is_empty());
        assert_eq!(ruby_split(" "), vec![" "]);
    }

    #[test]
    fn params_follow_rails_semantics() {
        let f = RecordingFilter::from_params([
            ("recordID", "a,b"),
            ("meetingID", " "),
            ("state", "published,any"),
            ("meta_meta_x", "1,2"),
            ("meta_", ""),
            ("limit", "3"),
        ]);
        assert_eq!(f.record_ids, Some(vec!["a".into(), "b".into()]));
        assert_eq!(f.meeting_ids, None);
        assert_eq!(f.states, StateFilter::Any);
        assert_eq!(
            f.meta,
            vec![
                ("x".into(), vec!["1".into(), "2".into()]),
                (String::new(), vec![])
            ]
        );
        let f = RecordingFilter::from_params([("state", "processing, published")]);
        assert_eq!(
            f.states,
            StateFilter::List(vec!["processing".into(), " published".into()])
        );
    }
}
