//! The ledger behind the audit coverage test: it reads every request's status and version
//! from the `requests` table before and after each step of a workload, independently of the
//! audit trail, then reconciles what it saw with the events the step appended.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use backend::Db;
use backend::accounts::{self, NewTeam, NewUser};
use domain::identity::Me;
use domain::request::Status;
use domain::request::transition::{Event, Role, transition};
use serde_json::{Value, json};
use sqlx::Row;

use crate::common::*;

macro_rules! every_event {
    ($($variant:ident),* $(,)?) => {
        /// Every kind of request transition. `listed` has no wildcard: a new `Event` does not
        /// compile until it is listed here, and then the workload must make it happen (or
        /// [`NOT_PRODUCED`] must say why nothing can).
        pub const ALL_EVENTS: &[Event] = &[$(Event::$variant),*];
        fn listed(e: Event) {
            match e {
                $(Event::$variant)|* => {}
            }
        }
    };
}
every_event!(
    PrRequested,
    PrOpened,
    PrFailed,
    Retried,
    ChangesRequested,
    Edited,
    Approved,
    AutoApproved,
    Rejected,
    Cancelled,
    PrClosed,
    PrReopened,
    Merged,
    Applied,
);

/// Transitions the state machine allows but no code path makes yet, with why.
pub const NOT_PRODUCED: &[(Event, &str)] =
    &[(Event::Applied, "nothing reports a merged request as applied yet (no code path sends Event::Applied)")];

/// One audit event as stored.
#[derive(Clone, Debug)]
pub struct Ev {
    pub seq: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: Value,
}

/// `(status, version)` of every request.
type Seen = BTreeMap<i64, (String, i64)>;

struct Step {
    label: String,
    before: Seen,
    after: Seen,
    events: Vec<Ev>,
}

pub struct Ledger {
    db: Db,
    steps: Vec<Step>,
}

async fn requests(db: &Db) -> Seen {
    let rows = sqlx::query("SELECT id, status, version FROM requests").fetch_all(db.pool()).await.unwrap();
    rows.iter().map(|r| (r.get("id"), (r.get("status"), r.get("version")))).collect()
}

async fn events(db: &Db, after_seq: i64, through: i64) -> Vec<Ev> {
    let rows = sqlx::query(
        "SELECT seq, actor, action, subject, details FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq",
    )
    .bind(after_seq)
    .bind(through)
    .fetch_all(db.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|r| Ev {
            seq: r.get("seq"),
            actor: r.get("actor"),
            action: r.get("action"),
            subject: r.get("subject"),
            details: serde_json::from_str(&r.get::<String, _>("details")).unwrap(),
        })
        .collect()
}

/// The transition an action names (`request.pr_opened` → `PrOpened`), if it names one.
fn transition_of(action: &str) -> Option<Event> {
    let name = action.strip_prefix("request.")?;
    ALL_EVENTS.iter().copied().find(|e| e.name() == name)
}

/// Who an actor can be to the state machine. `system` also relays the host (reconcile).
fn roles_of(actor: &str) -> &'static [Role] {
    match actor.split_once(':').map_or(actor, |(kind, _)| kind) {
        "system" => &[Role::System, Role::GitHub],
        "github" => &[Role::GitHub],
        "user" => &[Role::Requester, Role::Reviewer, Role::Admin],
        "cli" => &[Role::Admin],
        _ => &[],
    }
}

impl Ledger {
    pub fn new(db: &Db) -> Self {
        Self { db: db.clone(), steps: Vec::new() }
    }

    /// Runs `op` as one step, reading every request before and after it (and checking the
    /// approval queue's rows against a rebuild).
    pub async fn step<T>(&mut self, label: &str, op: impl Future<Output = T>) -> T {
        let (before, from) = (requests(&self.db).await, audit_head(&self.db).await);
        let out = op.await;
        crate::common::queue_check::assert_same_as_rebuilt(&self.db, label).await;
        let (after, to) = (requests(&self.db).await, audit_head(&self.db).await);
        let events = events(&self.db, from, to).await;
        self.steps.push(Step { label: label.to_owned(), before, after, events });
        out
    }

    /// The last step's events.
    pub fn last(&self) -> &[Ev] {
        &self.steps.last().unwrap().events
    }

    /// The last step appended exactly these `(action, subject)` events, in this order; a
    /// `webhook:<id>` subject also names its delivery in the actor and the details.
    pub fn expect_last(&self, expected: &[(&str, &str)]) {
        let step = self.steps.last().unwrap();
        let got: Vec<(&str, &str)> = step.events.iter().map(|e| (e.action.as_str(), e.subject.as_str())).collect();
        assert_eq!(got, expected, "[{}] events", step.label);
        for e in step.events.iter().filter(|e| e.subject.starts_with("webhook:")) {
            let id = e.subject.trim_start_matches("webhook:");
            assert_eq!(e.details["delivery"], json!(id), "[{}] {e:?}", step.label);
            assert_eq!(e.actor, format!("github:{id}"), "[{}]", step.label);
        }
    }

    /// Proves that the observed status changes and the transition events match one to one,
    /// in order, with the versions; returns the kinds of transition seen.
    pub async fn reconcile(&self) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut explained = 0;
        for step in &self.steps {
            let label = &step.label;
            let mut numbers: BTreeSet<i64> = step.before.keys().chain(step.after.keys()).copied().collect();
            numbers.extend(step.events.iter().filter_map(|e| e.subject.strip_prefix("request:")?.parse::<i64>().ok()));
            for n in numbers {
                let subject = format!("request:{n}");
                let trail: Vec<&Ev> = step.events.iter().filter(|e| e.subject == subject).collect();
                let submitted = trail.iter().filter(|e| e.action == "request.submitted").count();
                let after = step.after.get(&n).unwrap_or_else(|| panic!("[{label}] #{n} vanished"));
                let (mut status, mut version) = match step.before.get(&n) {
                    Some(before) => {
                        assert_eq!(submitted, 0, "[{label}] #{n} submitted twice");
                        before.clone()
                    }
                    None => {
                        assert_eq!(submitted, 1, "[{label}] #{n} appeared with {submitted} request.submitted events");
                        (Status::Submitted.as_str().to_owned(), 1)
                    }
                };
                for e in trail {
                    if e.action == "request.approval_recorded" {
                        version += 1; // a change the next decision must have seen, not a status change
                        continue;
                    }
                    let Some(event) = transition_of(&e.action) else { continue };
                    let (from, to) = (e.details["from"].as_str().unwrap(), e.details["to"].as_str().unwrap());
                    assert_eq!(from, status, "[{label}] #{n}: {} from {from}, but it was {status}", e.action);
                    let (from_s, to_s) = (from.parse::<Status>().unwrap(), to.parse::<Status>().unwrap());
                    let allowed = roles_of(&e.actor).iter().any(|&role| {
                        transition(from_s, event, role).is_ok_and(|t| t.to == to_s && t.action == e.action)
                    });
                    assert!(allowed, "[{label}] #{n}: {} {from} → {to} by {} is not a transition", e.action, e.actor);
                    (status, version) = (to.to_owned(), version + 1);
                    seen.insert(event.name().to_owned());
                    explained += 1;
                }
                assert_eq!(
                    (&status, version),
                    (&after.0, after.1),
                    "[{label}] #{n}: the events lead to (status, version) {:?} but the table shows {after:?}",
                    (&status, version)
                );
            }
        }
        // No transition event outside the observed steps.
        let names: Vec<String> = ALL_EVENTS.iter().map(|e| format!("'request.{}'", e.name())).collect();
        let sql = format!("SELECT COUNT(*) FROM audit_events WHERE action IN ({})", names.join(","));
        assert_eq!(count(&self.db, &sql).await, explained, "transition events outside the observed steps");
        seen
    }
}

/// Reviewing team sre: sam (GitHub login sam-gh) and riley.
pub async fn reviewers(db: &Db) -> (Me, Me) {
    let team = NewTeam { slug: "sre".into(), name: "SRE".into(), github_team_slug: None, reviewing: true };
    accounts::create_team(db, &admin(), T0, team).await.unwrap();
    let mut people = Vec::new();
    for (login, github) in [("sam", Some("sam-gh")), ("riley", None)] {
        let user = NewUser { github_login: github.map(str::to_owned), ..new_user(login, "correct horse battery") };
        let id = accounts::create_user(db, &admin(), T0, user).await.unwrap();
        accounts::add_member(db, &admin(), T0, "sre", login).await.unwrap();
        people.push(accounts::load_me(db, id).await.unwrap().unwrap());
    }
    let riley = people.pop().unwrap();
    (people.pop().unwrap(), riley)
}

/// What routing decided for request `n`: `approvals` from sre, or approved by rule.
pub fn routing(approvals: u32) -> Value {
    let reviewers = if approvals == 0 { json!([]) } else { json!([{ "team": "sre", "approvals": approvals }]) };
    json!({ "rule": "test", "reviewers": reviewers, "sla_hours": 8, "auto_approve": approvals == 0 })
}

pub async fn route(db: &Db, n: i64, approvals: u32) {
    sqlx::query("UPDATE request_revisions SET routing = $1 WHERE request_id = $2")
        .bind(routing(approvals).to_string())
        .bind(n)
        .execute(db.pool())
        .await
        .unwrap();
}

pub async fn version(db: &Db, n: i64) -> i64 {
    count(db, &format!("SELECT version FROM requests WHERE id = {n}")).await
}

/// `(pull request number, head)` of request `n`.
pub async fn pull_of(db: &Db, n: i64) -> (i64, String) {
    let record = backend::pulls::of_request(db, n).await.unwrap().unwrap();
    (record.number, record.head_sha)
}

pub fn pull_event(action: &str, number: i64, state: &str, merged: bool, head: &str, at: &str) -> String {
    let pull = json!({
        "number": number, "state": state, "merged": merged, "updated_at": at,
        "merge_commit_sha": if merged { json!("e5bd3914e2e596debea16f433f57875b5b90bcd6") } else { Value::Null },
        "head": { "ref": "x", "sha": head }, "base": { "ref": "main", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e" },
    });
    json!({ "action": action, "number": number, "pull_request": pull, "repository": { "full_name": "acme/infra" } })
        .to_string()
}

pub fn review_event(number: i64, login: &str, head: &str) -> String {
    json!({
        "action": "submitted",
        "review": { "id": 1, "user": { "login": login }, "state": "approved", "commit_id": head },
        "pull_request": { "number": number, "state": "open", "head": { "sha": head, "ref": "x" } },
        "repository": { "full_name": "acme/infra" }
    })
    .to_string()
}

/// Stores a delivery and processes it.
pub async fn deliver(db: &Db, id: &str, event: &str, body: String) {
    let action = serde_json::from_str::<Value>(&body).unwrap()["action"].as_str().map(str::to_owned);
    backend::webhooks::receive(db, T0, id, event, action.as_deref(), &body).await.unwrap();
    assert_eq!(backend::webhooks::process_pending(db, T0).await.unwrap(), 1);
}
