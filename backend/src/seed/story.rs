//! One seeded request from submission to where it ends: the rows the application would have
//! written along the way and its audit events. Every status change goes through
//! [`domain::request::transition::transition`], so statuses and action names are the state
//! machine's own; the details have the shapes the services write (`requests::submit`,
//! `change::apply`, `decide`, `edit`, `cancel`, the outbox jobs).

use std::sync::Arc;

use domain::audit::{Actor, canonical_details};
use domain::request::Status;
use domain::request::transition::{Event, Role, transition};
use serde_json::{Value, json};

use super::chain::{Planned, Scope};
use super::rng::Rng;
use super::rows::{ApprovalRow, CommentRow, JobRow, PullRow, Rows};

pub(super) struct Member {
    pub id: i64,
    pub login: String,
}

/// A team that makes requests, with its active members.
pub(super) struct Team {
    pub id: i64,
    pub slug: String,
    pub members: Vec<Member>,
}

pub(super) const CHANGES: &[&str] = &[
    "Please use the team's private subnet group.",
    "Prod needs deletion protection; please turn it on.",
    "Can you explain why this needs to be this large?",
    "Tag the cost centre in the justification, please.",
];
pub(super) const REJECTIONS: &[&str] = &[
    "This already exists in the shared account; use that instead.",
    "Not approved: talk to SRE about the design first.",
];
pub(super) const REMARKS: &[&str] =
    &["Looks good to me.", "Checked the sizing against last quarter's load.", "Fine for dev.", "LGTM"];
pub(super) const QUESTIONS: &[&str] =
    &["Who will own this after the launch?", "Is the retention period agreed with compliance?"];
pub(super) const CANCEL_REASONS: &[&str] =
    &["No longer needed.", "Wrong environment; resubmitting.", "Replaced by another request."];

/// A request's story as it is written: status and version as the services leave them, the
/// rows to insert and the events to append.
pub(super) struct Story {
    pub status: Status,
    pub version: i64,
    pub updated_at_ms: i64,
    /// Current time of the story (each step moves it forward).
    pub t: i64,
    /// Delays are multiplied by this, so that a story ends before "now".
    pub pace: f64,
    /// No event after this ("now").
    pub limit: i64,
    pub subject: String,
    pub scope: Arc<Scope>,
    pub rows: Rows,
    pub events: Vec<Planned>,
}

impl Story {
    pub(super) fn new(scope: Scope, created_at_ms: i64, pace: f64, limit: i64) -> Story {
        Story {
            status: Status::Submitted,
            version: 1,
            updated_at_ms: created_at_ms,
            t: created_at_ms,
            pace,
            limit,
            subject: format!("request:{}", scope.request_id),
            scope: Arc::new(scope),
            rows: Rows::default(),
            events: Vec::new(),
        }
    }

    /// Moves the story's clock `ms` (times the pace) forward, at least a millisecond.
    pub(super) fn wait(&mut self, ms: i64) -> i64 {
        self.t += ((ms as f64 * self.pace) as i64).max(1);
        self.t
    }

    pub(super) fn id(&self) -> i64 {
        self.scope.request_id
    }

    /// An event about this request at the story's time.
    pub(super) fn event(&mut self, actor: &Actor, action: &'static str, details: &Value) {
        self.events.push(Planned {
            at_ms: self.t,
            actor: actor.to_string(),
            action,
            subject: self.subject.clone(),
            details: canonical_details(details),
            scope: Some(self.scope.clone()),
        });
    }

    /// `auth.signed_in` of `login`, just before the story's time.
    pub(super) fn sign_in(&mut self, rng: &mut Rng, login: &str) {
        let client = format!("10.{}.{}.{}", 16 + rng.below(16), rng.below(256), 1 + rng.below(254));
        self.events.push(Planned {
            at_ms: self.t - rng.between(2_000, super::SIGN_IN_LEAD_MS),
            actor: Actor::User(login.to_owned()).to_string(),
            action: "auth.signed_in",
            subject: format!("user:{login}"),
            details: canonical_details(&json!({ "client": client })),
            scope: None,
        });
    }

    /// `auth.signed_out` of `login`, a little after the story's time.
    pub(super) fn sign_out(&mut self, rng: &mut Rng, login: &str) {
        self.events.push(Planned {
            at_ms: (self.t + rng.between(5_000, 600_000)).min(self.limit.max(self.t)),
            actor: Actor::User(login.to_owned()).to_string(),
            action: "auth.signed_out",
            subject: format!("user:{login}"),
            details: canonical_details(&json!({})),
            scope: None,
        });
    }

    /// A status change as `change::apply` makes it: checked by the state machine, version
    /// bumped, one event `{from, to, ...extra}`.
    pub(super) fn change(&mut self, event: Event, role: Role, actor: &Actor, extra: Value) {
        let Ok(t) = transition(self.status, event, role) else {
            // The stories below only take allowed steps; a refused one is skipped, as the
            // service would refuse it.
            return;
        };
        let mut details = json!({ "from": t.from.as_str(), "to": t.to.as_str() });
        if let (Some(map), Value::Object(extra)) = (details.as_object_mut(), extra) {
            map.extend(extra);
        }
        let action: &'static str = action_name(&t.action);
        self.event(actor, action, &details);
        self.status = t.to;
        self.version += 1;
        self.updated_at_ms = self.t;
    }

    /// A finished outbox job created at `created` and done at the story's time.
    pub(super) fn job_done(&mut self, rng: &mut Rng, kind: &'static str, created: i64) {
        self.rows.jobs.push(JobRow {
            request_id: self.id(),
            kind,
            state: "done",
            attempts: 1,
            locked_by: Some(rng.uuid()),
            created_at_ms: created,
            updated_at_ms: self.t.max(created),
        });
    }

    pub(super) fn comment(&mut self, revision: i64, author: &Member, kind: &'static str, body: &'static str) {
        self.rows.comments.push(CommentRow {
            request_id: self.id(),
            revision,
            author_id: author.id,
            kind,
            body,
            created_at_ms: self.t,
        });
    }

    pub(super) fn approval(&mut self, revision: i64, by: &Member) {
        self.rows.approvals.push(ApprovalRow {
            request_id: self.id(),
            revision,
            user_id: by.id,
            created_at_ms: self.t,
        });
    }

    /// The pull request, once opened.
    pub(super) fn pull(&mut self) -> Option<&mut PullRow> {
        self.rows.pulls.last_mut()
    }

    /// The last event's time (the story must end before "now").
    pub(super) fn last_at(&self) -> i64 {
        self.events.iter().map(|e| e.at_ms).max().unwrap_or(self.t).max(self.t)
    }
}

/// The state machine's action names as static strings (the batch keeps them by reference).
fn action_name(action: &str) -> &'static str {
    const NAMES: &[&str] = &[
        "request.pr_requested",
        "request.pr_opened",
        "request.pr_failed",
        "request.retried",
        "request.changes_requested",
        "request.edited",
        "request.approved",
        "request.auto_approved",
        "request.rejected",
        "request.cancelled",
        "request.pr_closed",
        "request.pr_reopened",
        "request.merged",
        "request.applied",
    ];
    NAMES.iter().find(|n| **n == action).copied().unwrap_or("request.changed")
}

/// The reviewers who may decide: members of the routed teams, never the requester or an
/// editor (only the requester edits here). One person fills one slot, so each team's slots
/// are filled from people not used for another team.
pub(super) fn pick_approvers<'c>(
    rng: &mut Rng,
    routes: &[(String, u32)],
    reviewers: &'c std::collections::HashMap<String, Vec<Member>>,
    requester: i64,
) -> Option<Vec<(&'c Member, usize)>> {
    let mut chosen: Vec<(&Member, usize)> = Vec::new();
    for (slot_team, (team, needed)) in routes.iter().enumerate() {
        let mut pool: Vec<&Member> = reviewers
            .get(team)
            .map(|m| m.iter().filter(|m| m.id != requester && !chosen.iter().any(|(c, _)| c.id == m.id)).collect())
            .unwrap_or_default();
        for _ in 0..*needed {
            if pool.is_empty() {
                return None;
            }
            let i = rng.below(pool.len() as u64) as usize;
            chosen.push((pool.swap_remove(i), slot_team));
        }
    }
    Some(chosen)
}
