//! The error type every server function returns. Internal failures carry only a
//! reference that matches a log line, never their cause.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in.")]
    SignedOut,
    #[error("You do not have access to this.")]
    Forbidden,
    #[error("{0}")]
    Invalid(String),
    #[error("Something went wrong on our side (reference {reference}).")]
    Internal { reference: String },
    #[error("Could not reach Infradesk: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Logs `err` with the current request id and returns the error the user sees.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        let reference = crate::state::request_id().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        tracing::error!(request_id = %reference, error = %err, "internal error in a server function");
        AppError::Internal { reference }
    }
}
