//! The Infradesk server as a library, so integration tests can build the real application
//! on port 0 (see `startup::Application`).

pub mod cli;
pub mod config;
pub mod demo;
pub mod rate_limit;
pub mod startup;
pub mod telemetry;
pub mod vcs;
pub mod web;
