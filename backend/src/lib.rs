//! Infradesk services over the database: the store (SQLite or PostgreSQL through one
//! sqlx `Any` pool), the audit writer, accounts and teams, sessions, the local infra
//! repository and the version-control port (local git, GitHub). Native only; the UI calls into it through server functions.

pub mod accounts;
pub mod audit;
pub mod catalog;
pub mod clock;
pub mod db;
pub mod hashing;
pub mod infra_repo;
pub mod metrics;
pub mod outbox;
pub mod pulls;
pub mod requests;
pub mod seed;
pub mod sessions;
#[cfg(feature = "testing")]
pub mod testing;
pub mod vcs;
pub mod webhooks;

pub use clock::{Clock, ManualClock, SystemClock};
pub use db::{Db, DbError, Dialect};
