//! Review decisions on a request: approve, request changes, reject, comment — each one
//! transaction with its audit event. Four eyes: only members of a team the current revision is
//! routed to decide, never the requester or anyone who authored a revision, and admins have no
//! extra power — the rule is [`domain::approval::may_decide`], which the review page shows too.
//! Approvals are counted by [`domain::approval::tally`]; the last one needed
//! approves the request and queues the merge. Decisions carry the request version the
//! reviewer saw: two reviewers deciding at once — one wins, the other is told what happened.

use std::collections::BTreeSet;

use domain::approval::{Approval, Decider, Refusal, Source, Tally, may_decide, tally};
use domain::audit::Actor;
use domain::identity::Me;
use domain::request::transition::{Event, Role};
use domain::routing::RoutingOutcome;
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use super::change::{self, Change, ChangeError, status_for_update};
use crate::audit::{self, Entry};
use crate::db::{Db, DbError};
use crate::outbox::{self, JobKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecisionKind {
    Approve,
    RequestChanges,
    Reject,
    Comment,
}

impl DecisionKind {
    fn stored(self) -> &'static str {
        match self {
            DecisionKind::Approve => "approved",
            DecisionKind::RequestChanges => "changes_requested",
            DecisionKind::Reject => "rejected",
            DecisionKind::Comment => "comment",
        }
    }
}

pub struct Decision<'a> {
    pub number: i64,
    /// The version the reviewer saw (ignored for plain comments).
    pub expected_version: i64,
    pub kind: DecisionKind,
    pub comment: &'a str,
    pub reviewer: &'a Me,
}

/// What a decision did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decided {
    /// The approval is recorded; more are needed (see the tally).
    ApprovalRecorded(Tally),
    /// The last needed approval: the request is approved and the merge is queued.
    Approved(Tally),
    ChangesRequested,
    Rejected,
    Commented,
}

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// [`Refusal::NotRoutedReviewer`]; `teams` as [`Refusal::teams_text`] writes them.
    #[error("{}", Refusal::not_routed_message(teams))]
    NotRoutedReviewer { teams: String },
    /// [`Refusal::OwnRequest`] or [`Refusal::Editor`], with [`Refusal::four_eyes_reason`].
    #[error("{}", Refusal::four_eyes_message(.0))]
    FourEyes(&'static str),
    #[error("say why: a comment is required to request changes or reject")]
    CommentRequired,
    #[error("a comment is at most 10,000 characters")]
    CommentTooLong,
    #[error(
        "the pull request was changed outside Infradesk; approvals wait until the requester re-renders or a reviewer accepts the change"
    )]
    ChangedOutside,
    #[error("the stored routing of this request cannot be read: {0}")]
    Routing(String),
    #[error(transparent)]
    Change(#[from] ChangeError),
}

/// A refusal of [`may_decide`], in the same words.
impl From<Refusal> for DecideError {
    fn from(r: Refusal) -> Self {
        match &r {
            Refusal::NotRoutedReviewer { routed } => {
                DecideError::NotRoutedReviewer { teams: Refusal::teams_text(routed) }
            }
            Refusal::OwnRequest | Refusal::Editor => DecideError::FourEyes(r.four_eyes_reason().unwrap_or_default()),
        }
    }
}

impl From<DbError> for DecideError {
    fn from(e: DbError) -> Self {
        DecideError::Change(ChangeError::Db(e))
    }
}

impl From<sqlx::Error> for DecideError {
    fn from(e: sqlx::Error) -> Self {
        DecideError::Change(ChangeError::Db(DbError::Sql(e)))
    }
}

/// What decisions are checked against: the current revision, who made it, its routing.
struct Current {
    revision: i64,
    requester: String,
    editors: BTreeSet<String>,
    routing: RoutingOutcome,
}

/// `(current revision, requester, editors, routing)` for display; the routing is `None` when
/// it cannot be read.
pub(super) async fn current_of(
    tx: &mut Transaction<'static, Any>,
    number: i64,
) -> Result<(i64, String, BTreeSet<String>, Option<RoutingOutcome>), DecideError> {
    match current(tx, number).await {
        Ok(c) => Ok((c.revision, c.requester, c.editors, Some(c.routing))),
        Err(DecideError::Routing(_)) => {
            let row = sqlx::query(
                "SELECT r.current_revision, u.login FROM requests r JOIN users u ON u.id = r.requester_id WHERE r.id = $1",
            )
            .bind(number)
            .fetch_one(&mut **tx)
            .await?;
            Ok((row.try_get("current_revision")?, row.try_get("login")?, BTreeSet::new(), None))
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn approvals_of(
    tx: &mut Transaction<'static, Any>,
    number: i64,
    revision: i64,
) -> Result<Vec<Approval>, DbError> {
    approvals(tx, number, revision).await
}

async fn current(tx: &mut Transaction<'static, Any>, number: i64) -> Result<Current, DecideError> {
    let row = sqlx::query(
        "SELECT r.current_revision, u.login, v.routing FROM requests r JOIN users u ON u.id = r.requester_id \
         JOIN request_revisions v ON v.request_id = r.id AND v.revision = r.current_revision WHERE r.id = $1",
    )
    .bind(number)
    .fetch_one(&mut **tx)
    .await?;
    let routing: String = row.try_get("routing")?;
    let routing: RoutingOutcome = serde_json::from_str(&routing).map_err(|e| DecideError::Routing(e.to_string()))?;
    let editors = sqlx::query(
        "SELECT DISTINCT u.login FROM request_revisions v JOIN users u ON u.id = v.author_id WHERE v.request_id = $1",
    )
    .bind(number)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>("login"))
    .collect::<Result<BTreeSet<_>, _>>()?;
    Ok(Current { revision: row.try_get("current_revision")?, requester: row.try_get("login")?, editors, routing })
}

/// The approvals of `revision`, each with the approver's reviewing teams as they are now.
async fn approvals(tx: &mut Transaction<'static, Any>, number: i64, revision: i64) -> Result<Vec<Approval>, DbError> {
    let rows = sqlx::query(
        "SELECT a.source, u.login, t.slug FROM approvals a JOIN users u ON u.id = a.user_id \
         LEFT JOIN team_members m ON m.user_id = a.user_id LEFT JOIN teams t ON t.id = m.team_id AND t.reviewing = 1 \
         WHERE a.request_id = $1 AND a.revision = $2 ORDER BY a.id",
    )
    .bind(number)
    .bind(revision)
    .fetch_all(&mut **tx)
    .await?;
    let mut out: Vec<Approval> = Vec::new();
    for row in rows {
        let login: String = row.try_get("login")?;
        let source = if row.try_get::<String, _>("source")? == "github" { Source::GitHub } else { Source::Infradesk };
        let team: Option<String> = row.try_get("slug")?;
        match out.iter_mut().find(|a| a.login == login && a.source == source) {
            Some(a) => a.teams.extend(team),
            None => out.push(Approval { login, teams: team.into_iter().collect(), revision, source }),
        }
    }
    Ok(out)
}

/// Records `d`. See the module docs for the rules.
pub async fn decide(db: &Db, now_ms: i64, d: Decision<'_>) -> Result<Decided, DecideError> {
    let comment = d.comment.trim();
    if comment.chars().count() > 10_000 {
        return Err(DecideError::CommentTooLong);
    }
    if matches!(d.kind, DecisionKind::RequestChanges | DecisionKind::Reject) && comment.is_empty() {
        return Err(DecideError::CommentRequired);
    }
    let mut tx = db.begin_write().await?;
    let result = decide_in(&mut tx, db, now_ms, &d, comment).await;
    match result {
        Ok(decided) => {
            tx.commit().await.map_err(DbError::from)?;
            Ok(decided)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

async fn decide_in(
    tx: &mut Transaction<'static, Any>,
    db: &Db,
    now_ms: i64,
    d: &Decision<'_>,
    comment: &str,
) -> Result<Decided, DecideError> {
    let me = d.reviewer;
    // Locks the request (PostgreSQL); decisions on one request take turns.
    let (status, version) = status_for_update(tx, db.dialect(), d.number).await?;
    let cur = current(tx, d.number).await?;
    let actor = Actor::User(me.login.clone());
    let subject = format!("request:{}", d.number);

    if d.kind == DecisionKind::Comment {
        insert_comment(tx, now_ms, d, cur.revision, comment).await?;
        let entry = Entry {
            actor: &actor,
            action: "request.commented",
            subject: &subject,
            details: json!({ "revision": cur.revision, "comment": comment }),
        };
        audit::append(tx, db.dialect(), now_ms, entry).await?;
        return Ok(Decided::Commented);
    }
    if version != d.expected_version {
        return Err(ChangeError::Stale { number: d.number, now: status }.into());
    }
    may_decide(&Decider::of(me), &cur.routing.reviewers, &cur.requester, &cur.editors)?;

    let event = match d.kind {
        DecisionKind::Approve => Event::Approved,
        DecisionKind::RequestChanges => Event::ChangesRequested,
        DecisionKind::Reject => Event::Rejected,
        DecisionKind::Comment => unreachable!("handled above"),
    };
    // The state machine says whether this decision is possible now (e.g. no approval while
    // changes are requested), before anything is written.
    domain::request::transition::transition(status, event, Role::Reviewer).map_err(ChangeError::from)?;
    insert_comment(tx, now_ms, d, cur.revision, comment).await?;

    match d.kind {
        DecisionKind::Approve => {
            let outside = sqlx::query("SELECT changed_outside FROM pull_requests WHERE request_id = $1")
                .bind(d.number)
                .fetch_optional(&mut **tx)
                .await?
                .map(|r| r.try_get::<i64, _>("changed_outside"))
                .transpose()?
                .unwrap_or(0);
            if outside != 0 {
                return Err(DecideError::ChangedOutside);
            }
            sqlx::query(
                "INSERT INTO approvals (request_id, revision, user_id, source, created_at_ms) \
                 VALUES ($1, $2, $3, 'infradesk', $4) ON CONFLICT (request_id, revision, user_id, source) DO NOTHING",
            )
            .bind(d.number)
            .bind(cur.revision)
            .bind(me.id)
            .bind(now_ms)
            .execute(&mut **tx)
            .await?;
            let votes = approvals(tx, d.number, cur.revision).await?;
            let counted = tally(&cur.routing.reviewers, cur.revision, &votes, &cur.requester, &cur.editors);
            let mut details = json!({ "revision": cur.revision, "counted": counted.counted() });
            if !comment.is_empty() {
                details["comment"] = json!(comment);
            }
            if counted.complete() {
                let change = Change {
                    number: d.number,
                    event,
                    role: Role::Reviewer,
                    actor: &actor,
                    expected_version: None,
                    details,
                };
                change::apply(tx, db.dialect(), now_ms, change).await?;
                outbox::enqueue(tx, now_ms, d.number, JobKind::MergePr).await?;
                Ok(Decided::Approved(counted))
            } else {
                // Not a status change, but a change all the same: the next decision must have
                // seen it.
                sqlx::query("UPDATE requests SET version = version + 1, updated_at_ms = $1 WHERE id = $2")
                    .bind(now_ms)
                    .bind(d.number)
                    .execute(&mut **tx)
                    .await?;
                super::queue_rows::refresh(tx, d.number).await?;
                let entry = Entry { actor: &actor, action: "request.approval_recorded", subject: &subject, details };
                audit::append(tx, db.dialect(), now_ms, entry).await?;
                Ok(Decided::ApprovalRecorded(counted))
            }
        }
        DecisionKind::RequestChanges | DecisionKind::Reject => {
            let details = json!({ "revision": cur.revision, "comment": comment });
            let change = Change {
                number: d.number,
                event,
                role: Role::Reviewer,
                actor: &actor,
                expected_version: None,
                details,
            };
            change::apply(tx, db.dialect(), now_ms, change).await?;
            if d.kind == DecisionKind::Reject {
                outbox::enqueue(tx, now_ms, d.number, JobKind::ClosePr).await?;
                Ok(Decided::Rejected)
            } else {
                Ok(Decided::ChangesRequested)
            }
        }
        DecisionKind::Comment => unreachable!("handled above"),
    }
}

async fn insert_comment(
    tx: &mut Transaction<'static, Any>,
    now_ms: i64,
    d: &Decision<'_>,
    revision: i64,
    comment: &str,
) -> Result<(), DbError> {
    if comment.is_empty() && d.kind == DecisionKind::Approve {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO review_comments (request_id, revision, author_id, kind, body, source, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, 'infradesk', $6)",
    )
    .bind(d.number)
    .bind(revision)
    .bind(d.reviewer.id)
    .bind(d.kind.stored())
    .bind(comment)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
