//! Where recordings live: PostgreSQL (`DATABASE_URL`, as in Scalelite), a SQLite file named by a
//! `sqlite:` URL, or, with nothing configured, `recordings.sqlite3` in the data dir.

use super::env::Env;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use std::str::FromStr;

/// The recordings database, as configured. Checked at start-up; connected on first use.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseConfig {
    /// A `postgres://` or `postgresql://` URL (it may carry a password: never print it).
    Postgres(String),
    /// A `sqlite:` URL naming a file of the operator's choice.
    Sqlite(String),
    /// Nothing configured: a SQLite file in the data dir.
    Embedded,
}

impl std::fmt::Debug for DatabaseConfig {
    /// The config is printed in logs and panics: keep the password out of it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseConfig::Postgres(url) => {
                f.debug_tuple("Postgres").field(&redacted(url)).finish()
            }
            DatabaseConfig::Sqlite(url) => f.debug_tuple("Sqlite").field(url).finish(),
            DatabaseConfig::Embedded => f.write_str("Embedded"),
        }
    }
}

/// DATABASE_URL (blank = unset) or `database_url`; a URL of another kind is an error.
pub(super) fn database(
    file: Option<String>,
    env: &Env,
    errors: &mut Vec<String>,
) -> DatabaseConfig {
    let (key, url) = match (env.value("DATABASE_URL"), file) {
        (Some(url), _) => ("DATABASE_URL", url.trim().to_string()),
        (None, Some(url)) if !url.trim().is_empty() => ("database_url", url.trim().to_string()),
        _ => return DatabaseConfig::Embedded,
    };
    // Never echo the URL itself in an error: it may carry a password.
    let Some((scheme, _)) = url.split_once(':') else {
        errors.push(format!(
            "{key}: not a URL (use postgres://…, postgresql://… or sqlite://…)"
        ));
        return DatabaseConfig::Embedded;
    };
    match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => match PgConnectOptions::from_str(&url) {
            Ok(_) => DatabaseConfig::Postgres(url),
            Err(e) => {
                errors.push(format!("{key}: invalid PostgreSQL URL: {e}"));
                DatabaseConfig::Embedded
            }
        },
        "sqlite" => match SqliteConnectOptions::from_str(&url) {
            Ok(_) => DatabaseConfig::Sqlite(url),
            Err(e) => {
                errors.push(format!("{key}: invalid SQLite URL: {e}"));
                DatabaseConfig::Embedded
            }
        },
        other => {
            errors.push(format!(
                "{key}: unsupported scheme '{other}' (use postgres://, postgresql:// or sqlite://)"
            ));
            DatabaseConfig::Embedded
        }
    }
}

/// The URL with its password replaced by `***`.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<unparsable URL>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs)
    }

    fn parse(file: Option<&str>, pairs: &[(&str, &str)]) -> (DatabaseConfig, Vec<String>) {
        let mut errors = Vec::new();
        let c = database(file.map(String::from), &env(pairs), &mut errors);
        (c, errors)
    }

    #[test]
    fn nothing_configured_is_the_embedded_file() {
        assert_eq!(parse(None, &[]), (DatabaseConfig::Embedded, vec![]));
        assert_eq!(
            parse(None, &[("DATABASE_URL", " ")]),
            (DatabaseConfig::Embedded, vec![])
        );
    }

    #[test]
    fn postgres_and_sqlite_urls_are_accepted_and_env_wins() {
        let pg = "postgresql://u:p@db:5432/scalelite";
        assert_eq!(
            parse(Some("sqlite://file.db"), &[("DATABASE_URL", pg)]),
            (DatabaseConfig::Postgres(pg.into()), vec![])
        );
        assert_eq!(
            parse(Some("sqlite://file.db"), &[]),
            (DatabaseConfig::Sqlite("sqlite://file.db".into()), vec![])
        );
    }

    #[test]
    fn other_schemes_are_refused_without_echoing_the_password() {
        let (_, errors) = parse(None, &[("DATABASE_URL", "mysql://u:secret@db/x")]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("DATABASE_URL: unsupported scheme 'mysql'"),
            "{errors:?}"
        );
        assert!(!errors[0].contains("secret"));
        let (_, errors) = parse(Some("no-scheme"), &[]);
        assert!(
            errors[0].starts_with("database_url: not a URL"),
            "{errors:?}"
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let c = DatabaseConfig::Postgres("postgres://u:secret@db/x".into());
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("secret") && shown.contains("***"),
            "{shown}"
        );
    }
}
