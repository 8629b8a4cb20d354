//! The BigBlueButton API vocabulary: checksums, query strings, XML answers and the upstream client.

pub mod checksum;
pub mod client;
pub mod endpoint;
pub mod error;
pub mod query;
pub mod xml;

pub use checksum::{Algorithm, Checksum};
pub use client::{Target, Timeouts};
pub use error::ApiError;
pub use query::Params;
