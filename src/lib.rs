//! Scalelite on Pingora: a load balancer that makes a pool of BigBlueButton servers look like one.
//!
//! The library's API is what the binary, the tests and the benches use: `app::run`, `cli`,
//! `config`, `logging`, the BBB vocabulary (`bbb`), the stores (`store`), placement (`pool`) and
//! the BBB simulator. Everything else is internal; ARCHITECTURE.md maps it.

mod admin;
pub mod app;
pub mod bbb;
pub mod cli;
pub mod config;
mod db;
mod gateway;
pub mod logging;
mod metrics;
// The recording handlers, importer and CLI of issue 9 are built alongside and call in later: until
// then parts of the interface are only used by tests.
pub mod pool;
#[allow(dead_code, unused_imports)]
mod recordings;
pub mod simulator;
mod state;
pub mod store;
mod web;
