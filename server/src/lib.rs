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

/// mimalloc instead of the system allocator, for the server binary and everything built on
/// this library (tests, benchmarks). Exports and chain verification allocate and free millions
/// of small strings on one thread and drop them on another; glibc's malloc spent about a third
/// of an export's CPU on that (perf, docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
