//! Recordings: the transfer from BBB servers (`upload`, `upload_file`), the spool and the
//! importer — extracting a tarball safely (`tarball`, leaving `extracted`), mapping its
//! metadata.xml (`metadata`), placing the files durably in the publish / unpublish dirs
//! (`files`) — the one error type of an import (`error`), and the getRecordings answer (`xml`).

pub(crate) mod error;
pub(crate) mod extracted;
pub(crate) mod files;
pub(crate) mod metadata;
mod model;
mod spool;
pub(crate) mod tarball;
pub(crate) mod upload;
mod upload_file;
mod xml;

#[cfg(test)]
mod test_mount;
