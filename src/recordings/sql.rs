//! The SQL both dialects share, built as text plus arguments: the recordings queries are dynamic
//! (any number of filters and list items), so they are assembled here with `$n` placeholders
//! (which sqlx accepts on SQLite too) and bound for the pool at hand. Never is a value spliced
//! into the text.

use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Postgres, Sqlite};

/// Which SQL to write where the two databases differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    Postgres,
    Sqlite,
}

/// One bound value.
#[derive(Debug, Clone)]
pub(super) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    /// A list of row ids: a `bigint[]` on PostgreSQL, a JSON array on SQLite (see [`Sql::in_ids`]).
    Ids(Vec<i64>),
}

/// A statement being built.
#[derive(Debug, Clone)]
pub(super) struct Sql {
    pub(super) dialect: Dialect,
    pub(super) text: String,
    pub(super) args: Vec<Arg>,
}

impl Sql {
    pub(super) fn new(dialect: Dialect, text: &str) -> Sql {
        Sql {
            dialect,
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    /// Appends SQL text.
    pub(super) fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Binds `arg` and returns its placeholder (to put in the text).
    pub(super) fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    pub(super) fn text(&mut self, value: &str) -> String {
        self.arg(Arg::Text(Some(value.to_string())))
    }

    /// `column ∈ ids`, with one bound value however many ids there are.
    pub(super) fn in_ids(&mut self, column: &str, ids: &[i64]) -> String {
        let p = self.arg(Arg::Ids(ids.to_vec()));
        match self.dialect {
            Dialect::Postgres => format!("{column} = ANY({p})"),
            Dialect::Sqlite => format!("{column} IN (SELECT value FROM json_each({p}))"),
        }
    }

    /// `column` starts with `prefix`, case-sensitively, every character literal, and using an
    /// index: LIKE with the pattern ops index on PostgreSQL; GLOB on SQLite (its LIKE ignores
    /// case), which SQLite turns into a range of the BINARY index.
    pub(super) fn starts_with(&mut self, column: &str, prefix: &str) -> String {
        let mut pattern = String::with_capacity(prefix.len() + 1);
        match self.dialect {
            Dialect::Postgres => {
                for c in prefix.chars() {
                    if matches!(c, '|' | '%' | '_') {
                        pattern.push('|');
                    }
                    pattern.push(c);
                }
                pattern.push('%');
                let p = self.text(&pattern);
                format!("{column} LIKE {p} ESCAPE '|'")
            }
            Dialect::Sqlite => {
                for c in prefix.chars() {
                    match c {
                        '*' | '?' | '[' => {
                            pattern.push('[');
                            pattern.push(c);
                            pattern.push(']');
                        }
                        c => pattern.push(c),
                    }
                }
                pattern.push('*');
                let p = self.text(&pattern);
                format!("{column} GLOB {p}")
            }
        }
    }

    /// A timestamp column from epoch milliseconds (NULL stays NULL), stored without time zone
    /// (UTC) as Rails does.
    pub(super) fn timestamp(&mut self, ms: Option<i64>) -> String {
        let p = self.arg(Arg::Int(ms));
        match self.dialect {
            Dialect::Postgres => {
                format!(
                    "(TIMESTAMP '1970-01-01 00:00:00' + {p}::bigint * INTERVAL '1 millisecond')"
                )
            }
            Dialect::Sqlite => format!("strftime('%Y-%m-%d %H:%M:%f', {p} / 1000.0, 'unixepoch')"),
        }
    }

    /// The current time as a timestamp column value.
    pub(super) fn now(&self) -> &'static str {
        match self.dialect {
            Dialect::Postgres => "(now() AT TIME ZONE 'UTC')",
            Dialect::Sqlite => "strftime('%Y-%m-%d %H:%M:%f', 'now')",
        }
    }
}

/// Epoch milliseconds (truncated) of a timestamp column, as a bigint (NULL stays NULL).
pub(super) fn epoch_ms(dialect: Dialect, column: &str) -> String {
    match dialect {
        Dialect::Postgres => format!("floor(EXTRACT(EPOCH FROM {column}) * 1000)::bigint"),
        // Text 'YYYY-MM-DD HH:MM:SS.SSS': whole seconds, plus the milliseconds of '%f' (SS.SSS).
        Dialect::Sqlite => format!(
            "(CAST(strftime('%s', {column}) AS INTEGER) * 1000 \
             + CAST(substr(strftime('%f', {column}), 4) AS INTEGER))"
        ),
    }
}

/// The order of getRecordings: newest first, NULL start times last (SQLite's natural order for
/// DESC, asked for explicitly on PostgreSQL), record_id breaking ties so pages are stable. Both
/// match the `scalelite_rs_recordings_page` index of their dialect.
pub(super) fn order(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "r.starttime DESC NULLS LAST, r.record_id",
        Dialect::Sqlite => "r.starttime DESC, r.record_id",
    }
}

/// The statement, bound, for PostgreSQL.
pub(super) fn pg(sql: &Sql) -> Query<'_, Postgres, PgArguments> {
    let mut q = sqlx::query(&sql.text);
    for a in &sql.args {
        q = match a {
            Arg::Text(v) => q.bind(v.as_deref()),
            Arg::Int(v) => q.bind(*v),
            Arg::Bool(v) => q.bind(*v),
            Arg::Ids(v) => q.bind(v.as_slice()),
        };
    }
    q
}

/// The statement, bound, for SQLite.
pub(super) fn lite(sql: &Sql) -> Query<'_, Sqlite, SqliteArguments<'_>> {
    let mut q = sqlx::query(&sql.text);
    for a in &sql.args {
        q = match a {
            Arg::Text(v) => q.bind(v.as_deref()),
            Arg::Int(v) => q.bind(*v),
            Arg::Bool(v) => q.bind(*v),
            Arg::Ids(v) => {
                let list: Vec<String> = v.iter().map(i64::to_string).collect();
                q.bind(format!("[{}]", list.join(",")))
            }
        };
    }
    q
}

/// Runs `$body` with `$conn` the pool of `$db`, `$bind` the binding function and `$dialect` the
/// dialect of its kind: the body is written once and type-checked for each database.
macro_rules! on_db {
    ($db:expr, |$conn:ident, $bind:ident, $dialect:ident| $body:expr) => {
        match $db {
            crate::db::Database::Postgres($conn) => {
                let $bind = super::sql::pg;
                let $dialect = super::sql::Dialect::Postgres;
                $body
            }
            crate::db::Database::Sqlite($conn) => {
                let $bind = super::sql::lite;
                let $dialect = super::sql::Dialect::Sqlite;
                $body
            }
        }
    };
}
pub(super) use on_db;

/// A write transaction on the pool `$conn` of dialect `$dialect`. On SQLite it takes the write
/// lock at once (`BEGIN IMMEDIATE`): a deferred transaction that reads first could not upgrade
/// when another writer got in between (SQLITE_BUSY at once, without waiting the busy timeout).
macro_rules! begin_write {
    ($conn:expr, $dialect:expr) => {
        match $dialect {
            super::sql::Dialect::Sqlite => $conn.begin_with("BEGIN IMMEDIATE").await?,
            super::sql::Dialect::Postgres => $conn.begin().await?,
        }
    };
}
pub(super) use begin_write;
