//! The request state machine: which event moves a request from which status to which, and who
//! may cause it. Nothing writes a status column directly; the store asks [`transition`] and
//! records exactly one audit event named [`Transition::action`] with the change.
//!
//! ```text
//! submitted ─▶ pr_pending ─▶ in_review ⇄ changes_requested
//!                 │  ▲            │  (edit: new revision, approvals dismissed, re-routed)
//!                 ▼  │ retry      ├─▶ approved ─▶ merged (─▶ applied)
//!               failed            ├─▶ rejected            (PR closed)
//!                                 └─▶ cancelled           (by requester, or PR closed on GitHub)
//! ```
//! Also: auto-approval by a routing rule (`in_review → approved` by the system); a pull request
//! merged on GitHub before approval (`→ merged`, flagged); a reopened pull request
//! (`cancelled → in_review`).

use super::Status;
use serde::{Deserialize, Serialize};

/// Who causes an event, as far as the state machine cares. Whether a person is a reviewer *of
/// this request* (a member of a routed team, not its requester) is decided by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The requester or another member of the requesting team.
    Requester,
    /// A member of a team the request is routed to.
    Reviewer,
    Admin,
    /// Infradesk itself (the outbox worker, routing).
    System,
    /// A verified webhook from GitHub.
    GitHub,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The outbox job that opens the pull request is queued.
    PrRequested,
    PrOpened,
    PrFailed,
    /// An admin retries a failed pull request.
    Retried,
    ChangesRequested,
    /// The requester edited the request: a new revision.
    Edited,
    /// The last needed approval arrived.
    Approved,
    /// A routing rule approves without reviewers.
    AutoApproved,
    Rejected,
    Cancelled,
    /// The pull request was closed on GitHub without merging.
    PrClosed,
    PrReopened,
    Merged,
    Applied,
}

impl Event {
    pub fn name(self) -> &'static str {
        match self {
            Event::PrRequested => "pr_requested",
            Event::PrOpened => "pr_opened",
            Event::PrFailed => "pr_failed",
            Event::Retried => "retried",
            Event::ChangesRequested => "changes_requested",
            Event::Edited => "edited",
            Event::Approved => "approved",
            Event::AutoApproved => "auto_approved",
            Event::Rejected => "rejected",
            Event::Cancelled => "cancelled",
            Event::PrClosed => "pr_closed",
            Event::PrReopened => "pr_reopened",
            Event::Merged => "merged",
            Event::Applied => "applied",
        }
    }
}

/// An allowed change of status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub from: Status,
    pub to: Status,
    /// The audit action, e.g. `request.pr_opened`.
    pub action: String,
    /// Merged on GitHub before Infradesk approved it: shown on the request and to auditors.
    pub merged_without_approval: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a request that is {} cannot be {event}", .from.label())]
    NotNow { from: Status, event: &'static str },
    #[error("{event} is not something a {role} can do")]
    NotAllowed { role: &'static str, event: &'static str },
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Requester => "requester",
        Role::Reviewer => "reviewer",
        Role::Admin => "admin",
        Role::System => "system",
        Role::GitHub => "GitHub webhook",
    }
}

/// Who may cause `event`. Admins have no extra power over decisions (four eyes); they may
/// retry and cancel.
fn allowed(event: Event, role: Role) -> bool {
    use Event as E;
    use Role as R;
    match event {
        E::PrRequested | E::PrOpened | E::PrFailed | E::AutoApproved | E::Applied => role == R::System,
        E::Retried => role == R::Admin,
        E::ChangesRequested | E::Approved | E::Rejected => matches!(role, R::Reviewer | R::GitHub),
        E::Edited => role == R::Requester,
        E::Cancelled => matches!(role, R::Requester | R::Admin),
        E::PrClosed | E::PrReopened => role == R::GitHub,
        E::Merged => matches!(role, R::System | R::GitHub),
    }
}

/// The status `event` leads to from `from`, if it may happen there.
fn target(from: Status, event: Event) -> Option<Status> {
    use Event as E;
    use Status as S;
    Some(match (from, event) {
        (S::Submitted, E::PrRequested) => S::PrPending,
        (S::PrPending, E::PrOpened) => S::InReview,
        (S::PrPending, E::PrFailed) => S::Failed,
        (S::Failed, E::Retried) => S::PrPending,
        (S::InReview, E::ChangesRequested) => S::ChangesRequested,
        (S::InReview | S::ChangesRequested, E::Edited) => S::InReview,
        (S::InReview, E::Approved | E::AutoApproved) => S::Approved,
        (S::InReview | S::ChangesRequested, E::Rejected) => S::Rejected,
        (S::Submitted | S::PrPending | S::InReview | S::ChangesRequested | S::Failed | S::Approved, E::Cancelled) => {
            S::Cancelled
        }
        (S::PrPending | S::InReview | S::ChangesRequested | S::Approved, E::PrClosed) => S::Cancelled,
        (S::Cancelled, E::PrReopened) => S::InReview,
        (S::InReview | S::ChangesRequested | S::Approved, E::Merged) => S::Merged,
        (S::Merged, E::Applied) => S::Applied,
        _ => return None,
    })
}

/// Checks that `role` may cause `event` on a request that is `from`.
pub fn transition(from: Status, event: Event, role: Role) -> Result<Transition, TransitionError> {
    if !allowed(event, role) {
        return Err(TransitionError::NotAllowed { role: role_name(role), event: event.name() });
    }
    let to = target(from, event).ok_or(TransitionError::NotNow { from, event: event.name() })?;
    Ok(Transition {
        from,
        to,
        action: format!("request.{}", event.name()),
        merged_without_approval: event == Event::Merged && from != Status::Approved,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: [Event; 14] = [
        Event::PrRequested,
        Event::PrOpened,
        Event::PrFailed,
        Event::Retried,
        Event::ChangesRequested,
        Event::Edited,
        Event::Approved,
        Event::AutoApproved,
        Event::Rejected,
        Event::Cancelled,
        Event::PrClosed,
        Event::PrReopened,
        Event::Merged,
        Event::Applied,
    ];
    const ROLES: [Role; 5] = [Role::Requester, Role::Reviewer, Role::Admin, Role::System, Role::GitHub];

    fn go(from: Status, event: Event, role: Role) -> Status {
        transition(from, event, role).unwrap_or_else(|e| panic!("{from:?} {event:?} by {role:?}: {e}")).to
    }

    #[test]
    fn the_happy_path_reaches_applied() {
        let mut s = Status::Submitted;
        for (event, role) in [
            (Event::PrRequested, Role::System),
            (Event::PrOpened, Role::System),
            (Event::ChangesRequested, Role::Reviewer),
            (Event::Edited, Role::Requester),
            (Event::Approved, Role::Reviewer),
            (Event::Merged, Role::System),
            (Event::Applied, Role::System),
        ] {
            s = go(s, event, role);
        }
        assert_eq!(s, Status::Applied);
    }

    #[test]
    fn failures_are_retried_by_admins_only() {
        assert_eq!(go(Status::PrPending, Event::PrFailed, Role::System), Status::Failed);
        assert_eq!(go(Status::Failed, Event::Retried, Role::Admin), Status::PrPending);
        let err = transition(Status::Failed, Event::Retried, Role::Requester).unwrap_err();
        assert_eq!(err.to_string(), "retried is not something a requester can do");
    }

    #[test]
    fn admins_cannot_approve_and_requesters_cannot_decide() {
        for event in [Event::Approved, Event::Rejected, Event::ChangesRequested] {
            assert!(transition(Status::InReview, event, Role::Admin).is_err(), "{event:?}");
            assert!(transition(Status::InReview, event, Role::Requester).is_err(), "{event:?}");
        }
    }

    #[test]
    fn end_states_stay_ended_except_a_reopened_pull_request() {
        for from in [Status::Merged, Status::Applied, Status::Rejected, Status::Cancelled] {
            for event in EVENTS {
                for role in ROLES {
                    if let Ok(t) = transition(from, event, role) {
                        assert!(
                            (from, event) == (Status::Cancelled, Event::PrReopened)
                                || (from, event) == (Status::Merged, Event::Applied),
                            "{from:?} --{event:?}--> {:?}",
                            t.to
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_merge_before_approval_is_flagged() {
        let t = transition(Status::InReview, Event::Merged, Role::GitHub).unwrap();
        assert!(t.merged_without_approval);
        assert_eq!(t.action, "request.merged");
        assert!(!transition(Status::Approved, Event::Merged, Role::System).unwrap().merged_without_approval);
    }

    #[test]
    fn refusals_say_why() {
        let err = transition(Status::Merged, Event::Cancelled, Role::Requester).unwrap_err();
        assert_eq!(err.to_string(), "a request that is merged cannot be cancelled");
    }

    #[test]
    fn every_status_but_applied_has_a_way_forward() {
        for from in Status::ALL {
            let next = EVENTS.iter().any(|&e| ROLES.iter().any(|&r| transition(from, e, r).is_ok()));
            assert_eq!(next, from != Status::Applied && from != Status::Rejected, "{from:?}");
        }
    }
}
