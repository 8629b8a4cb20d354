//! Scalelite on Pingora: a load balancer that makes a pool of BigBlueButton servers look like one.

pub mod admin;
pub mod app;
pub mod bbb;
pub mod cli;
pub mod config;
pub mod db;
pub mod gateway;
pub mod logging;
pub mod metrics;
pub mod pool;
pub mod simulator;
pub mod store;
