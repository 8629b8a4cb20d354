//! The integration tests, in one test binary (one link instead of one per file): one module per
//! theme, with the helpers they share (`common`: the real binary and simulated BBB servers;
//! `cli_support`: the operator commands; `store_suite`: the store examples every store runs).
// Tests may stop on a broken set-up, and their helpers are `pub` for the modules that share
// them (this crate has no outside users).
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod cli_support;
mod common;
mod store_suite;

mod admin_servers;
mod api_calls;
mod api_checksum;
mod api_create;
mod api_edges;
mod api_join;
mod architecture;
mod bbb_scripts;
mod bbb_scripts_batch;
mod bbb_scripts_upload;
mod body_limit;
mod checksum_matrix;
mod cli;
mod cli_recordings;
mod cli_sync;
mod failover;
mod health;
mod host_auth;
mod logging;
mod metrics;
mod multi_instance;
mod persistence;
mod poll_hysteresis;
mod recording_spec;
mod recordings;
mod recordings_faults;
mod recordings_faults_fs;
mod smoke;
mod store_embedded;
mod store_redis;
mod store_redis_layout;
mod store_redis_tls;
mod store_redis_trouble;
mod tls;
mod tls_config;
mod upgrade;
mod upload;
mod upload_limits;
mod upstream_tls;
