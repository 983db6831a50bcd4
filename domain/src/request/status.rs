//! Where a request stands. The machine names (`as_str`, serde) are what the database and the
//! audit trail store; [`Status::label`] is what people read.
//!
//! The transitions between them are [`super::transition`].

use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Stored; the pull request has not been asked for yet.
    Submitted,
    /// The pull request is being opened.
    PrPending,
    InReview,
    ChangesRequested,
    Approved,
    Merged,
    /// Merged and seen applied (only when an apply check is configured).
    Applied,
    Rejected,
    Cancelled,
    /// Opening the pull request failed; it can be retried.
    Failed,
}

/// A status name that is not one of [`Status::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown request status {0:?}; expected one of {names}", names = Status::names())]
pub struct UnknownStatus(pub String);

impl Status {
    /// Every status, in the order a request usually goes through them.
    pub const ALL: [Status; 10] = [
        Status::Submitted,
        Status::PrPending,
        Status::InReview,
        Status::ChangesRequested,
        Status::Approved,
        Status::Merged,
        Status::Applied,
        Status::Rejected,
        Status::Cancelled,
        Status::Failed,
    ];

    /// The stored name, e.g. `pr_pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::PrPending => "pr_pending",
            Status::InReview => "in_review",
            Status::ChangesRequested => "changes_requested",
            Status::Approved => "approved",
            Status::Merged => "merged",
            Status::Applied => "applied",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
            Status::Failed => "failed",
        }
    }

    /// For display, e.g. "waiting for the pull request".
    pub fn label(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::PrPending => "waiting for the pull request",
            Status::InReview => "in review",
            Status::ChangesRequested => "changes requested",
            Status::Approved => "approved",
            Status::Merged => "merged",
            Status::Applied => "applied",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
            Status::Failed => "failed",
        }
    }

    /// Still in progress: not merged, applied, rejected or cancelled. A failed request is
    /// open (opening its pull request can be retried).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Merged | Status::Applied | Status::Rejected | Status::Cancelled)
    }

    fn names() -> String {
        Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    }
}

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL.into_iter().find(|status| status.as_str() == s).ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_str_and_serde() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
            let json = serde_json::to_string(&status).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(serde_json::from_str::<Status>(&json).ok(), Some(status));
        }
    }

    #[test]
    fn stored_names_are_snake_case_and_distinct() {
        let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "submitted",
                "pr_pending",
                "in_review",
                "changes_requested",
                "approved",
                "merged",
                "applied",
                "rejected",
                "cancelled",
                "failed"
            ]
        );
        let labels: std::collections::BTreeSet<&str> = Status::ALL.iter().map(|s| s.label()).collect();
        assert_eq!(labels.len(), Status::ALL.len());
    }

    #[test]
    fn labels_read_as_words() {
        assert_eq!(Status::PrPending.label(), "waiting for the pull request");
        assert_eq!(Status::ChangesRequested.label(), "changes requested");
        assert_eq!(Status::InReview.label(), "in review");
        assert!(Status::ALL.iter().all(|s| !s.label().contains('_')));
    }

    #[test]
    fn unknown_names_are_refused_with_the_list() {
        let err = "open".parse::<Status>().err();
        assert_eq!(err, Some(UnknownStatus("open".into())));
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("\"open\"") && message.contains("pr_pending, in_review"), "{message}");
        assert!("Submitted".parse::<Status>().is_err(), "case matters: stored names are lowercase");
        assert!(serde_json::from_str::<Status>("\"PrPending\"").is_err());
    }

    #[test]
    fn open_means_not_finished() {
        let closed: Vec<Status> = Status::ALL.into_iter().filter(|s| !s.is_open()).collect();
        assert_eq!(closed, [Status::Merged, Status::Applied, Status::Rejected, Status::Cancelled]);
        assert!(Status::Failed.is_open());
    }
}
