//! The pool of BBB servers: the registry the gateway reads, placement of new meetings, the poller.

pub mod backend;
pub mod load;
mod panic;
pub mod placement;
pub mod poller;
mod probe;
pub mod registry;

pub use panic::{panic_server, PanicError};
pub use placement::{Placement, PlacementError, TagSpec};
pub use registry::Registry;
