//! One module per page.

pub mod account;
pub mod admin;
pub mod errors;
pub mod home;
pub mod login;
pub mod queue;
