//! Recordings: Scalelite's recordings index (the database side of issue 9) and, beside it, the
//! importer, transfer and playback pieces. Every query goes through `Database::ready`, which
//! migrates the schema on first use.

mod change;
mod error;
mod filter;
mod index;
mod model;
mod sql;
mod write;

#[cfg(test)]
mod tests;

pub(crate) use change::{
    delete, delete_targets, parse_protect, publish_targets, set_published, update_metadata,
    MetaChange, PublishMove,
};
pub(crate) use error::RecordingsError;
pub(crate) use filter::{RecordingFilter, StateFilter};
pub(crate) use index::get_recordings;
pub(crate) use model::{ImportedFormat, PlaybackFormat, Recording, Thumbnail};
pub(crate) use write::{link_callback_data, upsert, Upserted};
