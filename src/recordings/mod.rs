//! Recordings: the spool BBB servers send tarballs to, the importer that indexes them, and the
//! recording API's data.

mod model;
mod spool;
mod xml;
