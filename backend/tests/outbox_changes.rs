//! What happens to a pull request after it is opened: cancel (closed with a comment, branch
//! deleted), edit (a new revision, a new commit), and pushes made outside Infradesk
//! (re-render or accept) — on SQLite and PostgreSQL, with a real local git repository.
#![allow(clippy::unwrap_used)]

mod common;
mod outbox_fixtures;
mod requests_fixtures;

use backend::vcs::*;
use common::*;
use outbox_fixtures::*;
use requests_fixtures::people;

#[tokio::test]
async fn cancelling_closes_the_pull_request_with_a_comment_and_deletes_the_branch() {
    each_db(|db| async move {
        let p = people(&db).await;
        let s = setup();
        let w = worker(&db, &s);
        let open = submit(&db, "k-1", "orders-db", p.alice).await;
        w.run_due().await.unwrap();
        let alice = domain::audit::Actor::User("alice".into());
        use domain::request::transition::Role;
        let stale = backend::requests::cancel(&db, T0, open, &alice, Role::Requester, Some(1), "not needed").await;
        assert!(stale.unwrap_err().to_string().contains("changed by someone else"), "optimistic concurrency");
        backend::requests::cancel(&db, T0, open, &alice, Role::Requester, None, "not needed").await.unwrap();
        assert_eq!(status(&db, open).await, "cancelled");
        // The comment is posted but its answer is lost: the retry does not post it again.
        s.host.fail("comment", VcsError::transient("timed out reading the answer"), true);
        w.run_due().await.unwrap();
        s.clock.advance(std::time::Duration::from_secs(60));
        w.run_due().await.unwrap();
        assert_eq!(s.git.list_open_pull_requests().await.unwrap().len(), 0);
        assert_eq!(git(&s, &["branch", "--list", "infradesk/*"]), "");
        let pulls: serde_json::Value =
            serde_json::from_slice(&std::fs::read(s.git.path().join(".git/infradesk/pulls.json")).unwrap()).unwrap();
        let comments = pulls["pulls"][0]["comments"].as_array().unwrap();
        assert_eq!(comments.len(), 1, "{comments:?}");
        let text = comments[0].as_str().unwrap();
        assert!(text.starts_with(&format!("Infradesk request #{open} was cancelled; closing this pull request.")));
        assert!(text.ends_with("-->"), "the job's marker: {text}");
        assert_eq!(backend::pulls::of_request(&db, open).await.unwrap().unwrap().state, PrState::Closed);

        // Cancelled before the worker got to it: no pull request is ever opened.
        let early = submit(&db, "k-2", "cache-db", p.alice).await;
        backend::requests::cancel(&db, T0, early, &admin(), Role::Admin, None, "duplicate").await.unwrap();
        assert_eq!(w.run_due().await.unwrap(), 2, "the open job ends without opening, the close job finds nothing");
        assert!(s.git.find_pull_request(&format!("infradesk/{early}-cache-db")).await.unwrap().is_none());
        assert_eq!(events(&db, early).await, ["request.submitted", "request.pr_requested", "request.cancelled"]);
        // A requester of another team may not cancel (the role is checked by the caller; the
        // state machine refuses a second cancel).
        let again = backend::requests::cancel(&db, T0, early, &admin(), Role::Admin, None, "again").await;
        assert!(again.unwrap_err().to_string().contains("cannot be cancelled"));
    })
    .await;
}

#[tokio::test]
async fn an_edit_is_a_new_revision_and_a_new_commit_on_the_same_pull_request() {
    each_db(|db| async move {
        let (s, w, n, p) = opened_request(&db).await;
        let branch = format!("infradesk/{n}-orders-db");
        let path = format!("envs/dev/request-{n}.tf");
        let edit = |version: i64, content: &str, justification: &'static str| backend::requests::Edit {
            number: n,
            expected_version: version,
            author_id: p.alice,
            author_login: "alice",
            inputs: &[],
            form: Box::leak(Box::default()),
            routing: serde_json::json!({"rule": "default", "reviewers": [], "sla_hours": null, "auto_approve": false}),
            checks: &[],
            justification,
            rendered: backend::requests::Rendered { content: content.to_owned(), path: path.clone() },
        };
        let unchanged = backend::requests::edit(&db, T0, edit(3, &format!("# request #{n}\n"), "because")).await;
        assert!(unchanged.unwrap_err().to_string().starts_with("nothing changed"));
        let stale = backend::requests::edit(&db, T0, edit(2, "# v2\n", "because")).await;
        assert!(stale.unwrap_err().to_string().contains("changed by someone else"));
        let mut moved = edit(3, "# v2\n", "because");
        moved.rendered.path = "envs/dev/elsewhere.tf".into();
        assert!(matches!(
            backend::requests::edit(&db, T0, moved).await,
            Err(backend::requests::EditError::PathChanged { .. })
        ));

        // The new revision is routed to one more team, which GitHub is asked to review.
        let dba = backend::accounts::NewTeam {
            slug: "dba".into(),
            name: "Databases".into(),
            github_team_slug: Some("database-admins".into()),
            reviewing: true,
        };
        backend::accounts::create_team(&db, &domain::audit::Actor::System, T0, dba).await.unwrap();
        let mut bigger = edit(3, "# v2\n", "bigger disk");
        bigger.routing = serde_json::json!({"rule": "databases", "reviewers": [{"team": "dba", "approvals": 1}],
            "sla_hours": 8, "auto_approve": false});
        assert_eq!(backend::requests::edit(&db, T0, bigger).await.unwrap(), 2);
        assert_eq!(status(&db, n).await, "in_review");
        assert_eq!(w.run_due().await.unwrap(), 1);
        assert_eq!(git(&s, &["rev-list", "--count", &format!("main..{branch}")]), "2");
        assert_eq!(git(&s, &["show", &format!("{branch}:{path}")]), "# v2");
        assert_eq!(git(&s, &["log", "-1", "--format=%s", &branch]), format!("Revision 2 of Infradesk request #{n}"));
        let pulls: serde_json::Value =
            serde_json::from_slice(&std::fs::read(s.git.path().join(".git/infradesk/pulls.json")).unwrap()).unwrap();
        let body = pulls["pulls"][0]["body"].as_str().unwrap();
        assert!(body.contains("| Revision | 2 |") && body.contains("bigger disk"), "{body}");
        assert_eq!(pulls["pulls"][0]["team_reviewers"], serde_json::json!(["database-admins"]));
        let record = backend::pulls::of_request(&db, n).await.unwrap().unwrap();
        assert_eq!(record.rendered_head, git(&s, &["rev-parse", &branch]));
        assert_eq!(record.head_sha, record.rendered_head);
        assert_eq!(s.git.list_open_pull_requests().await.unwrap().len(), 1, "the same pull request");
        assert!(events(&db, n).await.ends_with(&["request.edited".into(), "pull_request.updated".into()]));
        let revisions = count(&db, &format!("SELECT COUNT(*) FROM request_revisions WHERE request_id = {n}")).await;
        assert_eq!(revisions, 2);
    })
    .await;
}

#[tokio::test]
async fn an_outside_push_is_resolved_by_re_rendering_or_by_a_reviewer_accepting_it() {
    each_db(|db| async move {
        let (s, w, n, _) = opened_request(&db).await;
        let branch = format!("infradesk/{n}-orders-db");
        let path = format!("envs/dev/request-{n}.tf");
        let alice = domain::audit::Actor::User("alice".into());
        let record = || async { backend::pulls::of_request(&db, n).await.unwrap().unwrap() };
        let pr = record().await.number;
        assert!(matches!(
            backend::requests::rerender(&db, T0, n, &alice).await,
            Err(backend::requests::OutsideError::NothingToResolve(_))
        ));

        let foreign = foreign_push(&s, &branch, &path, "# hand-edited\n");
        synchronize(&db, "sync-1", pr, &foreign).await;
        assert!(record().await.changed_outside);

        // Re-render: Infradesk's file is pushed again as a new commit.
        backend::requests::rerender(&db, T0, n, &alice).await.unwrap();
        w.run_due().await.unwrap();
        let after = record().await;
        assert!(!after.changed_outside);
        assert_eq!(git(&s, &["show", &format!("{branch}:{path}")]), format!("# request #{n}"));
        assert_eq!(after.head_sha, git(&s, &["rev-parse", &branch]));
        assert_eq!(git(&s, &["rev-list", "--count", &format!("main..{branch}")]), "3");

        // Accepting: the pushed head becomes the one approvals are for.
        let foreign2 = foreign_push(&s, &branch, &path, "# hand-edited again\n");
        synchronize(&db, "sync-22", pr, &foreign2).await;
        assert!(record().await.changed_outside);
        let sam = domain::audit::Actor::User("sam".into());
        let moved = backend::requests::accept_outside_change(&db, T0, n, &sam, &foreign).await;
        assert!(
            matches!(moved, Err(backend::requests::OutsideError::HeadMoved { .. })),
            "only the head the reviewer saw"
        );
        assert_eq!(backend::requests::accept_outside_change(&db, T0, n, &sam, &foreign2).await.unwrap(), foreign2);
        let accepted = record().await;
        assert!(!accepted.changed_outside);
        assert_eq!(
            (accepted.rendered_head.as_str(), accepted.head_sha.as_str()),
            (foreign2.as_str(), foreign2.as_str())
        );
        // A push that adds another file: re-rendering restores nothing to remove it, so the
        // branch stays marked until a reviewer accepts it.
        let extra = foreign_push(&s, &branch, "envs/dev/extra.tf", "admin = true\n");
        synchronize(&db, "sync-333", pr, &extra).await;
        backend::requests::rerender(&db, T0, n, &alice).await.unwrap();
        w.run_due().await.unwrap();
        assert!(record().await.changed_outside, "another file on the branch keeps it marked");
        let trail = events(&db, n).await;
        for action in ["request.changed_outside", "request.rerender_requested", "request.outside_change_accepted"] {
            assert!(trail.iter().any(|a| a == action), "{action} in {trail:?}");
        }
    })
    .await;
}

/// What the approval flow will do: approve and queue the merge, in one transaction.
async fn approve(db: &backend::Db, n: i64) {
    use backend::requests::change::{self, Change};
    use domain::request::transition::{Event, Role};
    let mut tx = db.begin_write().await.unwrap();
    let reviewer = domain::audit::Actor::User("sam".into());
    let change = Change {
        number: n,
        event: Event::Approved,
        role: Role::Reviewer,
        actor: &reviewer,
        expected_version: None,
        details: serde_json::json!({}),
    };
    change::apply(&mut tx, db.dialect(), T0, change).await.unwrap();
    backend::outbox::enqueue(&mut tx, T0, n, backend::outbox::JobKind::MergePr).await.unwrap();
    tx.commit().await.unwrap();
}

/// Commits `content` at `path` directly on main (someone else's change landing meanwhile).
fn commit_on_main(s: &Setup, path: &str, content: &str) {
    let dir = s.git.path();
    std::fs::create_dir_all(dir.join(path).parent().unwrap()).unwrap();
    std::fs::write(dir.join(path), content).unwrap();
    for args in [&["add", path][..], &["commit", "-qm", "direct change"][..]] {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "Op")
            .env("GIT_AUTHOR_EMAIL", "op@example.com")
            .env("GIT_COMMITTER_NAME", "Op")
            .env("GIT_COMMITTER_EMAIL", "op@example.com")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

#[tokio::test]
async fn an_approved_request_is_merged_after_the_moved_base_is_merged_into_its_branch() {
    each_db(|db| async move {
        let (s, w, n, _) = opened_request(&db).await;
        commit_on_main(&s, "envs/dev/other.tf", "other = 1\n");
        approve(&db, n).await;
        assert_eq!(w.run_due().await.unwrap(), 1);
        assert_eq!(status(&db, n).await, "merged");
        let branch = format!("infradesk/{n}-orders-db");
        // The base was merged into the branch first, then the branch into the base.
        assert_eq!(git(&s, &["log", "-1", "--format=%s", &branch]), format!("Merge branch 'main' into {branch}"));
        assert_eq!(git(&s, &["rev-parse", "main^2"]), git(&s, &["rev-parse", &branch]));
        assert_eq!(git(&s, &["show", &format!("main:envs/dev/request-{n}.tf")]), format!("# request #{n}"));
        assert_eq!(git(&s, &["show", "main:envs/dev/other.tf"]), "other = 1");
        let record = backend::pulls::of_request(&db, n).await.unwrap().unwrap();
        assert_eq!((record.state, record.merge_commit), (PrState::Merged, Some(git(&s, &["rev-parse", "main"]))));
        assert!(!record.merged_without_approval);
        assert_eq!(events(&db, n).await.last().map(String::as_str), Some("request.merged"));
    })
    .await;
}

#[tokio::test]
async fn a_merge_conflict_needs_attention_and_an_admin_retry_merges_once_resolved() {
    each_db(|db| async move {
        let (s, w, n, _) = opened_request(&db).await;
        // Someone wrote the same file on main.
        let path = format!("envs/dev/request-{n}.tf");
        let before = git(&s, &["rev-parse", "main"]);
        commit_on_main(&s, &path, "# written by hand\n");
        approve(&db, n).await;
        w.run_due().await.unwrap();
        assert_eq!(status(&db, n).await, "approved", "not merged");
        let record = backend::pulls::of_request(&db, n).await.unwrap().unwrap();
        let attention = record.attention.unwrap();
        assert!(attention.contains("merge conflict") && attention.contains(&path), "{attention}");
        assert_eq!(events(&db, n).await.last().map(String::as_str), Some("request.needs_attention"));
        let (job, state): (i64, String) = sqlx::query_as("SELECT id, state FROM outbox_jobs WHERE kind = 'merge_pr'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(state, "failed");

        // Resolved: the hand-written commit is taken back out of main.
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(s.git.path())
            .args(["reset", "-q", "--hard", &before])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(backend::outbox::retry(&db, T0, job, &admin()).await.unwrap());
        w.run_due().await.unwrap();
        assert_eq!(status(&db, n).await, "merged");
        assert_eq!(backend::pulls::of_request(&db, n).await.unwrap().unwrap().attention, None);
    })
    .await;
}
