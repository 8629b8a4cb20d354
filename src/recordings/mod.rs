//! Recordings: the transfer from BBB servers (`upload`, `upload_file`), the spool and the
//! importer — extracting a tarball safely (`tarball`, leaving `extracted`), mapping its
//! metadata.xml (`metadata`), placing the files durably in the publish / unpublish dirs
//! (`files`) — and Scalelite's recordings index (`model`, `write`, `index`, `filter`, `change`
//! over `sql`), whose queries go through `Database::ready` (it migrates the schema on first
//! use), and the getRecordings answer (`xml`). Import failures are `error::ImportError`, index
//! failures `RecordingsError`.

mod change;
mod check;
mod db_error;
pub(crate) mod error;
pub(crate) mod extracted;
pub(crate) mod files;
mod filter;
mod importer;
mod index;
pub(crate) mod metadata;
mod model;
mod spool;
mod sql;
pub(crate) mod tarball;
pub(crate) mod upload;
mod upload_file;
mod write;
pub(crate) mod xml;

#[cfg(test)]
mod test_mount;
#[cfg(test)]
mod tests;

pub(crate) use change::{
    delete, delete_targets, parse_protect, publish_targets, set_published, update_metadata,
    MetaChange,
};
pub(crate) use check::{check, Repairs};
pub(crate) use db_error::RecordingsError;
pub(crate) use filter::{ruby_split, RecordingFilter, StateFilter};
pub(crate) use importer::Importer;
pub(crate) use index::get_recordings;
pub(crate) use spool::{Outcome, Spool};
pub(crate) use xml::Links;
// What the tests of the index build recordings with.
#[cfg(test)]
pub(crate) use change::PublishMove;
#[cfg(test)]
pub(crate) use model::{ImportedFormat, Recording, Thumbnail};
#[cfg(test)]
pub(crate) use write::{link_callback_data, upsert};
