//! The recordings half: transfer into the spool (`upload`: BBB servers POST their tarballs),
//! and, beside it, the importer, the index and the recording API.

pub(crate) mod upload;
mod upload_file;
