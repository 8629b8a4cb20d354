//! What can go wrong with the recordings index (its database).

use crate::db::DbError;

/// One error type for the recordings domain.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RecordingsError {
    /// The database could not be reached, migrated or queried.
    #[error("recordings database: {0}")]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for RecordingsError {
    fn from(e: sqlx::Error) -> Self {
        RecordingsError::Db(DbError::from(e))
    }
}
