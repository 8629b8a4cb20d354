//! Recordings: the transfer from BBB servers (`upload`, `upload_file`), the importer's file side
//! — extracting a spool tarball safely (`tarball`, leaving `extracted`), mapping its
//! metadata.xml (`metadata`), placing the files durably in the publish / unpublish dirs
//! (`files`) — and the one error type of an import (`error`).

// The importer service (a later step of issue 9) calls these; until it exists they are unused.
#[allow(dead_code)]
pub(crate) mod error;
#[allow(dead_code)]
pub(crate) mod extracted;
#[allow(dead_code)]
pub(crate) mod files;
#[allow(dead_code)]
pub(crate) mod metadata;
#[allow(dead_code)]
pub(crate) mod tarball;
pub(crate) mod upload;
mod upload_file;

#[cfg(test)]
mod test_mount;
