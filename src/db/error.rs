//! What can go wrong with the recordings database.

use std::time::Duration;

/// One error type for the database domain. Its text is what the health check shows, so it names
/// the problem without echoing the URL (which may carry a password).
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    #[error("invalid database URL: {0}")]
    Url(String),
    /// The pool could not open a connection in time (refused, unreachable, or too slow).
    #[error("no connection within {} s", .0.as_secs_f64())]
    Unreachable(Duration),
    /// A connection was there but the statement did not finish in time.
    #[error("no answer within {} s", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("{0}")]
    Sql(sqlx::Error),
    #[error("migrating the recordings schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            // sqlx retries refused connections until the acquire timeout and then reports only
            // that it timed out: say what that means to an operator.
            sqlx::Error::PoolTimedOut => DbError::Unreachable(super::ACQUIRE_TIMEOUT),
            e => DbError::Sql(e),
        }
    }
}
