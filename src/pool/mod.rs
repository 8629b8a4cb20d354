//! The pool of BBB servers: the registry the gateway reads, placement of new meetings, the poller.
//!
//! Both placement and the poller are built on pingora-load-balancing's traits, each with a
//! `Backend` that only names a server (`backend.rs`; identity, URL and secret stay in the store):
//! - placement (`placement.rs`): a `ServiceDiscovery` over the available servers and a
//!   `BackendSelection` (`LeastLoaded`) that applies Scalelite's tag rules and reads the live
//!   loads when create iterates it. The order is computed there and only there; the selector is
//!   rebuilt only when the set of available servers changes.
//! - the poller (`poller.rs`, `probe.rs`): a `ServiceDiscovery` over every server and a
//!   `HealthCheck` whose check is the server's BBB getMeetings, run as one health-check pass per
//!   POLL_INTERVAL. Its hysteresis counters live in the store (shared by instances, Scalelite's
//!   semantics), not in Pingora's memory, so thresholds are ours (`health_threshold` is 1).

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
