//! The pool of BBB servers: the registry the gateway reads, placement of new meetings, the poller.

pub mod backend;
pub mod load;
pub mod placement;
pub mod poller;
mod probe;
pub mod registry;

pub use placement::{Placement, PlacementError, TagSpec};
pub use registry::Registry;
