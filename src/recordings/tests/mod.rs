//! Tests of the recordings index on both databases: every test body runs against a PostgreSQL
//! database of its own and a SQLite file of its own (`both!`).

mod adopt;
mod changes;
mod filters;
mod plans;
mod support;
