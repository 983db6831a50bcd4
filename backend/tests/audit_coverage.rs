//! Audit coverage, on SQLite and PostgreSQL. A workload makes every kind of request
//! transition happen while a ledger reads each request's status and version from the
//! `requests` table before and after every step; then each observed change must be explained
//! by exactly the transition events that step appended (from/to in order, one version each)
//! and each transition event by an observed change. The other operations — accounts, sign-in
//! and out, catalog reload, webhook and outbox outcomes — must append exactly their event.
#![allow(clippy::unwrap_used)]

mod audit_coverage_fixtures;
mod common;
mod outbox_fixtures;
mod requests_fixtures;

use std::path::PathBuf;

use audit_coverage_fixtures::*;
use backend::accounts::{self, NewTeam};
use backend::audit::Entry;
use backend::catalog::CatalogStore;
use backend::requests::{self, Decision, DecisionKind, Edit, Rendered};
use backend::vcs::{MergeMethod, Vcs, VcsError};
use backend::{Db, webhooks};
use common::*;
use domain::audit::Actor;
use domain::identity::Me;
use domain::request::transition::Role;
use outbox_fixtures::{foreign_push, setup, submit, synchronize, worker};
use requests_fixtures::people;
use serde_json::{Value, json};

fn req(n: i64) -> String {
    format!("request:{n}")
}

async fn decide(db: &Db, me: &Me, number: i64, kind: DecisionKind, comment: &str) {
    let expected_version = version(db, number).await;
    requests::decide(db, T0, Decision { number, expected_version, kind, comment, reviewer: me }).await.unwrap();
}

async fn failed_job(db: &Db, n: i64) -> i64 {
    count(db, &format!("SELECT id FROM outbox_jobs WHERE request_id = {n} AND state = 'failed'")).await
}

fn refused() -> VcsError {
    VcsError::Rejected("Resource not accessible by integration".into())
}

#[tokio::test]
async fn request_transitions_and_their_events_match_one_to_one() {
    each_db(|db| async move {
        let p = people(&db).await;
        let (sam, riley) = reviewers(&db).await;
        let (s, mut l) = (setup(), Ledger::new(&db));
        let w = worker(&db, &s);
        let alice = Actor::User("alice".into());

        // f: its pull request cannot be opened; an admin retries.
        let f = l.step("submit f", submit(&db, "k-f", "f-db", p.alice)).await;
        l.expect_last(&[("request.submitted", &req(f)), ("request.pr_requested", &req(f))]);
        s.host.fail("commit_change", refused(), false);
        l.step("worker: f fails", w.run_due()).await.unwrap();
        l.expect_last(&[("request.pr_failed", &req(f))]);
        let job = failed_job(&db, f).await;
        assert!(l.step("admin retries f", backend::outbox::retry(&db, T0, job, &admin())).await.unwrap());
        l.expect_last(&[("request.retried", &req(f))]);
        l.step("worker opens f", w.run_due()).await.unwrap();
        l.expect_last(&[("request.pr_opened", &req(f))]);

        // a: changes requested, edited, two approvals; b: approved by its rule; c: merged on
        // GitHub; d: closed, reopened, rejected; e: cancelled; g: approved on GitHub; h: merged
        // while no webhook arrived.
        let mut numbers = Vec::new();
        for (name, approvals) in [("a", 2), ("b", 0), ("c", 1), ("d", 1), ("e", 1), ("g", 1), ("h", 1)] {
            let (label, key, instance) = (format!("submit {name}"), format!("k-{name}"), format!("{name}-db"));
            let n = l.step(&label, submit(&db, &key, &instance, p.alice)).await;
            route(&db, n, approvals).await;
            numbers.push(n);
        }
        let [a, b, c, d, e, g, h] = numbers[..] else { unreachable!() };
        l.step("worker opens all, approves b by its rule and merges it", w.run_due()).await.unwrap();
        let trail: Vec<&str> = l.last().iter().filter(|e| e.subject == req(b)).map(|e| e.action.as_str()).collect();
        assert_eq!(trail, ["request.pr_opened", "request.auto_approved", "request.merged"]);

        l.step("sam asks for changes on a", decide(&db, &sam, a, DecisionKind::RequestChanges, "use 100 GB")).await;
        l.expect_last(&[("request.changes_requested", &req(a))]);
        let edit = Edit {
            number: a,
            expected_version: version(&db, a).await,
            author_id: p.alice,
            author_login: "alice",
            inputs: &[],
            form: &Default::default(),
            routing: routing(2),
            checks: &[],
            justification: "100 GB now",
            rendered: Rendered { content: "# v2\n".into(), path: format!("envs/dev/request-{a}.tf") },
        };
        l.step("alice edits a", requests::edit(&db, T0, edit)).await.unwrap();
        l.expect_last(&[("request.edited", &req(a))]);
        l.step("worker pushes a's revision 2", w.run_due()).await.unwrap();
        l.expect_last(&[("pull_request.updated", &req(a))]);
        l.step("sam comments on a", decide(&db, &sam, a, DecisionKind::Comment, "why 100?")).await;
        l.expect_last(&[("request.commented", &req(a))]);
        assert_eq!(l.last()[0].details["comment"], json!("why 100?"), "the comment is in the trail");
        l.step("sam approves a", decide(&db, &sam, a, DecisionKind::Approve, "")).await;
        l.expect_last(&[("request.approval_recorded", &req(a))]);
        l.step("riley approves a", decide(&db, &riley, a, DecisionKind::Approve, "")).await;
        l.expect_last(&[("request.approved", &req(a))]);
        l.step("worker merges a", w.run_due()).await.unwrap();
        l.expect_last(&[("request.merged", &req(a))]);

        let (pr, head) = pull_of(&db, c).await;
        let merged = pull_event("closed", pr, "closed", true, &head, "2026-11-24T10:00:00Z");
        l.step("c merged on GitHub", deliver(&db, "c-1", "pull_request", merged)).await;
        l.expect_last(&[("request.merged", &req(c)), ("webhook.processed", "webhook:c-1")]);
        assert_eq!(l.last()[0].details["merged_without_approval"], json!(true));

        let (pr, head) = pull_of(&db, d).await;
        let closed = pull_event("closed", pr, "closed", false, &head, "2026-11-24T10:00:00Z");
        l.step("d closed on GitHub", deliver(&db, "d-1", "pull_request", closed)).await;
        l.expect_last(&[("request.pr_closed", &req(d)), ("webhook.processed", "webhook:d-1")]);
        let reopened = pull_event("reopened", pr, "open", false, &head, "2026-11-24T10:01:00Z");
        l.step("d reopened on GitHub", deliver(&db, "d-2", "pull_request", reopened)).await;
        l.expect_last(&[("request.pr_reopened", &req(d)), ("webhook.processed", "webhook:d-2")]);
        l.step("sam rejects d", decide(&db, &sam, d, DecisionKind::Reject, "not needed")).await;
        l.expect_last(&[("request.rejected", &req(d))]);
        l.step("worker closes d's pull request", w.run_due()).await.unwrap();
        l.expect_last(&[("pull_request.closed", &req(d))]);

        let cancel = requests::cancel(&db, T0, e, &alice, Role::Requester, None, "not needed");
        l.step("alice cancels e", cancel).await.unwrap();
        l.expect_last(&[("request.cancelled", &req(e))]);
        s.host.fail("close_pull_request", refused(), false);
        l.step("worker cannot close e's pull request", w.run_due()).await.unwrap();
        l.expect_last(&[("outbox.failed", &req(e))]);
        let job = failed_job(&db, e).await;
        assert!(l.step("admin retries e's close", backend::outbox::retry(&db, T0, job, &admin())).await.unwrap());
        l.expect_last(&[("outbox.retried", &req(e))]);
        l.step("worker closes e's pull request", w.run_due()).await.unwrap();
        l.expect_last(&[("pull_request.closed", &req(e))]);

        let (pr, head) = pull_of(&db, g).await;
        let review = review_event(pr, "sam-gh", &head);
        l.step("sam approves g on GitHub", deliver(&db, "g-1", "pull_request_review", review)).await;
        let expected = [
            ("pull_request.review", req(g)),
            ("request.approved", req(g)),
            ("webhook.processed", "webhook:g-1".into()),
        ];
        l.expect_last(&expected.iter().map(|(a, s)| (*a, s.as_str())).collect::<Vec<_>>());
        l.step("worker merges g", w.run_due()).await.unwrap();
        l.expect_last(&[("request.merged", &req(g))]);

        // f again: pushes from outside Infradesk, re-rendered once, accepted once.
        let (pr, _) = pull_of(&db, f).await;
        let (branch, path) = (format!("infradesk/{f}-f-db"), format!("envs/dev/request-{f}.tf"));
        let pushed = foreign_push(&s, &branch, &path, "# edited by hand\n");
        l.step("someone pushes to f's branch", synchronize(&db, "f-1", pr, &pushed)).await;
        l.expect_last(&[("request.changed_outside", &req(f)), ("webhook.processed", "webhook:f-1")]);
        l.step("alice asks to re-render f", requests::rerender(&db, T0, f, &alice)).await.unwrap();
        l.expect_last(&[("request.rerender_requested", &req(f))]);
        l.step("worker re-renders f", w.run_due()).await.unwrap();
        l.expect_last(&[("pull_request.updated", &req(f))]);
        let pushed = foreign_push(&s, &branch, &path, "# edited again\n");
        l.step("someone pushes to f's branch again", synchronize(&db, "f-2", pr, &pushed)).await;
        l.expect_last(&[("request.changed_outside", &req(f)), ("webhook.processed", "webhook:f-2")]);
        let sam_actor = Actor::User("sam".into());
        let accept = requests::accept_outside_change(&db, T0, f, &sam_actor, &pushed);
        l.step("sam accepts the push", accept).await.unwrap();
        l.expect_last(&[("request.outside_change_accepted", &req(f))]);

        let (pr, head) = pull_of(&db, h).await;
        s.git.merge_pull_request(pr as u64, &head, MergeMethod::Merge, "merged by hand").await.unwrap();
        let found = l.step("reconcile finds h merged", webhooks::reconcile::reconcile(&db, &s.git, T0)).await.unwrap();
        assert_eq!((found.changed, found.errors.len()), (1, 0));
        l.expect_last(&[("request.merged", &req(h)), ("pull_request.reconciled", &req(h))]);

        let seen = l.reconcile().await;
        for event in ALL_EVENTS {
            match NOT_PRODUCED.iter().find(|(e, _)| e == event) {
                Some((_, why)) => assert!(!seen.contains(event.name()), "{event:?} happens now; unlist it ({why})"),
                None => assert!(seen.contains(event.name()), "the workload never made a {event:?} transition"),
            }
        }
        // Every processed delivery has exactly one outcome event naming it.
        let processed = count(&db, "SELECT COUNT(*) FROM webhook_deliveries WHERE processed_at_ms IS NOT NULL").await;
        let named = "SELECT COUNT(*) FROM webhook_deliveries w JOIN audit_events e \
                     ON e.subject = 'webhook:' || w.delivery_id AND e.action = 'webhook.processed'";
        assert_eq!((count(&db, named).await, processed), (6, 6));
        assert!(backend::audit::verify(&db).await.unwrap().broken.is_none());
    })
    .await;
}

const PW: &str = "correct horse battery";
const NEW_PW: &str = "another long password";
const CLIENT: &str = "192.0.2.7";

/// The operations that are not request transitions.
enum Op {
    CreateUser,
    CreateTeam,
    AddMember,
    SetDisabled(bool),
    SignIn(&'static str, &'static str),
    /// With a second session of zoe's open, which it ends.
    ChangePassword,
    /// Of a session of zoe's, which must be gone with it.
    SignOut,
    ReloadCatalog,
    Deliver(&'static str, &'static str, String),
}

async fn run(db: &Db, op: Op, catalog: &CatalogStore) {
    let zoe = || async { count(db, "SELECT id FROM users WHERE login = 'zoe'").await };
    match op {
        Op::CreateUser => {
            accounts::create_user(db, &admin(), T0, new_user("zoe", PW)).await.unwrap();
        }
        Op::CreateTeam => {
            let team = NewTeam { slug: "ops".into(), name: "Ops".into(), github_team_slug: None, reviewing: true };
            accounts::create_team(db, &admin(), T0, team).await.unwrap();
        }
        Op::AddMember => accounts::add_member(db, &admin(), T0, "ops", "zoe").await.unwrap(),
        Op::SetDisabled(disabled) => {
            accounts::set_disabled(db, &admin(), T0, "zoe", disabled).await.unwrap();
        }
        Op::SignIn(login, password) => {
            let _ = accounts::sign_in(db, T0, login, secret(password), CLIENT).await.unwrap();
        }
        Op::ChangePassword => {
            let (kept, _other) = (add_session(db, zoe().await).await, add_session(db, zoe().await).await);
            accounts::change_password(db, T0, zoe().await, secret(PW), secret(NEW_PW), &kept).await.unwrap();
        }
        Op::SignOut => {
            let id = zoe().await;
            let (before, session) = (session_count(db, id).await, add_session(db, id).await);
            accounts::sign_out(db, T0, "zoe", &session, CLIENT).await.unwrap();
            assert_eq!(session_count(db, id).await, before, "the session ends with its event");
        }
        Op::ReloadCatalog => {
            catalog.reload(db, &admin(), T0).await.unwrap();
        }
        Op::Deliver(id, event, body) => deliver(db, id, event, body).await,
    }
}

#[tokio::test]
async fn every_other_operation_appends_exactly_its_event() {
    each_db(|db| async move {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../catalog");
        let catalog = CatalogStore::load(dir, ["dev", "staging", "prod"].map(String::from).to_vec(), T0);
        let issues = json!({ "action": "opened", "repository": { "full_name": "acme/infra" } }).to_string();
        let unknown = pull_event("closed", 999, "closed", true, "abc", "2026-11-24T10:00:00Z");
        let table: Vec<(Op, &str, &str, Value)> = vec![
            (Op::CreateUser, "user.created", "user:zoe", json!({ "is_admin": false })),
            (Op::CreateTeam, "team.created", "team:ops", json!({ "reviewing": true })),
            (Op::AddMember, "team.member_added", "team:ops", json!({ "login": "zoe" })),
            (Op::SignIn("zoe", PW), "auth.signed_in", "user:zoe", json!({ "client": CLIENT })),
            (
                Op::SignIn("zoe", "not the password"),
                "auth.sign_in_failed",
                "user:zoe",
                json!({ "reason": "wrong_password" }),
            ),
            (Op::SignIn("nobody", PW), "auth.sign_in_failed", "user:nobody", json!({ "reason": "unknown_user" })),
            (Op::ChangePassword, "user.password_changed", "user:zoe", json!({ "other_sessions_ended": 1 })),
            (Op::SignOut, "auth.signed_out", "user:zoe", json!({ "client": CLIENT })),
            (Op::SetDisabled(true), "user.disabled", "user:zoe", json!({ "sessions_ended": 1 })),
            (Op::SignIn("zoe", NEW_PW), "auth.sign_in_failed", "user:zoe", json!({ "reason": "disabled" })),
            (Op::SetDisabled(false), "user.enabled", "user:zoe", json!({ "sessions_ended": 0 })),
            (Op::ReloadCatalog, "catalog.reloaded", "catalog", json!({ "errors": 0, "removed": [], "added": [] })),
            (Op::Deliver("u-1", "issues", issues), "webhook.processed", "webhook:u-1", json!({ "outcome": "ignored" })),
            (
                Op::Deliver("u-2", "pull_request", r#"{"action": "closed"}"#.into()),
                "webhook.processed",
                "webhook:u-2",
                json!({ "outcome": "failed", "event": "pull_request", "action": "closed" }),
            ),
            (
                Op::Deliver("u-3", "pull_request", unknown),
                "webhook.processed",
                "webhook:u-3",
                json!({ "outcome": "ignored" }),
            ),
        ];
        let mut l = Ledger::new(&db);
        for (op, action, subject, details) in table {
            l.step(action, run(&db, op, &catalog)).await;
            l.expect_last(&[(action, subject)]);
            for (key, value) in details.as_object().unwrap() {
                assert_eq!(&l.last()[0].details[key], value, "{action} {subject}: details.{key}");
            }
        }
        assert!(l.reconcile().await.is_empty(), "no request transition among them");
    })
    .await;
}

/// The ledger's own check: a status written without its event, and an event without its
/// status change, are both caught.
#[tokio::test]
async fn the_ledger_catches_a_change_without_its_event_and_an_event_without_its_change() {
    let bypass = "UPDATE requests SET status = 'cancelled', version = version + 1 WHERE id = $1";
    for forge in [false, true] {
        each_db(|db| async move {
            let p = people(&db).await;
            let mut l = Ledger::new(&db);
            let n = l.step("submit", submit(&db, "k-1", "x-db", p.alice)).await;
            let wrong = async {
                if forge {
                    let details = json!({ "from": "pr_pending", "to": "in_review" });
                    let entry = Entry { actor: &Actor::System, action: "request.pr_opened", subject: &req(n), details };
                    backend::audit::record(&db, T0, entry).await.unwrap();
                } else {
                    sqlx::query(bypass).bind(n).execute(db.pool()).await.unwrap();
                }
            };
            l.step("the wrong step", wrong).await;
            let caught = tokio::spawn(async move { l.reconcile().await }).await.unwrap_err().into_panic();
            let message = caught.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(message.contains(&format!("[the wrong step] #{n}: the events lead to")), "{message}");
        })
        .await;
    }
}
