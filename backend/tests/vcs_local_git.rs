//! The local git implementation of the Vcs port, checked by reading the repository with git.

use std::path::Path;
use std::process::Command;

use backend::infra_repo::{self, EnvironmentLayout};
use backend::vcs::local_git::LocalGitVcs;
use backend::vcs::{Author, ChangeSet, FileChange, MergeMethod, PrState, PullRequestDraft, Vcs, VcsError};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn repo() -> (tempfile::TempDir, LocalGitVcs) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("infra");
    let envs = [EnvironmentLayout {
        name: "dev".into(),
        directory: "environments/dev".into(),
        aws_account_id: "111111111111".into(),
        region: "eu-west-1".into(),
    }];
    infra_repo::ensure(&path, "main", &envs).expect("repository created");
    (dir, LocalGitVcs::new(path))
}

fn change(branch: &str, path: &str, content: &str) -> ChangeSet {
    ChangeSet {
        branch: branch.into(),
        base: "main".into(),
        message: format!("Add {path}"),
        author: Author { name: "Alice Example".into(), email: "alice@example.com".into() },
        files: vec![FileChange { path: path.into(), content: Some(content.into()) }],
    }
}

fn draft(branch: &str) -> PullRequestDraft {
    PullRequestDraft {
        branch: branch.into(),
        base: "main".into(),
        title: "Request #1".into(),
        body: "body".into(),
        labels: vec!["infradesk".into()],
        team_reviewers: vec!["sre".into()],
    }
}

#[tokio::test]
async fn a_change_is_one_real_commit_on_its_own_branch_and_repeating_it_adds_none() {
    let (_dir, vcs) = repo();
    let path = vcs.path().to_owned();
    let main_before = git(&path, &["rev-parse", "main"]);

    let first =
        vcs.commit_change(&change("infradesk/1-orders", "environments/dev/orders.tf", "a = 1\n")).await.unwrap();
    assert!(first.created);
    assert_eq!(git(&path, &["rev-parse", "infradesk/1-orders"]), first.sha);
    assert_eq!(
        git(&path, &["log", "-1", "--format=%an <%ae>|%s", "infradesk/1-orders"]),
        "Alice Example <alice@example.com>|Add environments/dev/orders.tf"
    );
    assert_eq!(git(&path, &["rev-parse", "infradesk/1-orders~1"]), main_before);
    assert_eq!(git(&path, &["show", "infradesk/1-orders:environments/dev/orders.tf"]), "a = 1");
    assert_eq!(git(&path, &["rev-parse", "main"]), main_before, "the base branch is untouched");
    assert_eq!(git(&path, &["status", "--porcelain"]), "", "the working copy is untouched");

    let again =
        vcs.commit_change(&change("infradesk/1-orders", "environments/dev/orders.tf", "a = 1\n")).await.unwrap();
    assert_eq!((again.sha.as_str(), again.created), (first.sha.as_str(), false));
    assert_eq!(git(&path, &["rev-list", "--count", "main..infradesk/1-orders"]), "1");

    let second =
        vcs.commit_change(&change("infradesk/1-orders", "environments/dev/orders.tf", "a = 2\n")).await.unwrap();
    assert!(second.created);
    assert_eq!(git(&path, &["rev-list", "--count", "main..infradesk/1-orders"]), "2");
}

#[tokio::test]
async fn pull_requests_open_once_and_merge_as_a_real_merge_commit() {
    let (_dir, vcs) = repo();
    let path = vcs.path().to_owned();
    let commit =
        vcs.commit_change(&change("infradesk/1-orders", "environments/dev/orders.tf", "a = 1\n")).await.unwrap();
    let pr = vcs.open_pull_request(&draft("infradesk/1-orders")).await.unwrap();
    assert_eq!((pr.number, pr.state, pr.head_sha.as_str()), (1, PrState::Open, commit.sha.as_str()));
    let again = vcs.open_pull_request(&draft("infradesk/1-orders")).await.unwrap_err();
    assert!(matches!(again, VcsError::AlreadyExists(_)), "{again:?}");
    assert_eq!(vcs.find_pull_request("infradesk/1-orders").await.unwrap().unwrap().number, 1);
    assert_eq!(vcs.list_open_pull_requests().await.unwrap().len(), 1);

    // Someone else's change lands on main meanwhile; the merge still succeeds.
    let other = vcs.commit_change(&change("infradesk/2-cache", "environments/dev/cache.tf", "b = 1\n")).await.unwrap();
    let pr2 = vcs.open_pull_request(&draft("infradesk/2-cache")).await.unwrap();
    vcs.merge_pull_request(pr2.number, &other.sha, MergeMethod::Merge, "Merge #2").await.unwrap();

    let stale = vcs.merge_pull_request(pr.number, "0123", MergeMethod::Merge, "Merge #1").await.unwrap_err();
    assert!(matches!(stale, VcsError::Conflict(_)), "{stale:?}");
    let merge = vcs.merge_pull_request(pr.number, &commit.sha, MergeMethod::Merge, "Merge #1").await.unwrap();
    assert_eq!(git(&path, &["rev-parse", "main"]), merge);
    assert_eq!(git(&path, &["log", "-1", "--format=%P|%s", "main"]).split('|').nth(1), Some("Merge #1"));
    assert_eq!(git(&path, &["rev-parse", "main^2"]), commit.sha, "the branch is the merge's second parent");
    assert_eq!(git(&path, &["show", "main:environments/dev/orders.tf"]), "a = 1");
    assert_eq!(git(&path, &["show", "main:environments/dev/cache.tf"]), "b = 1");
    // The checked-out base branch's working copy follows.
    assert_eq!(std::fs::read_to_string(path.join("environments/dev/orders.tf")).unwrap(), "a = 1\n");
    assert_eq!(git(&path, &["status", "--porcelain"]), "");

    let merged = vcs.get_pull_request(pr.number).await.unwrap();
    assert_eq!((merged.state, merged.merge_commit.as_deref()), (PrState::Merged, Some(merge.as_str())));
    // Merging again returns the same merge.
    assert_eq!(vcs.merge_pull_request(pr.number, &commit.sha, MergeMethod::Merge, "x").await.unwrap(), merge);
    assert!(vcs.list_open_pull_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_moved_base_is_merged_into_the_branch_and_a_real_conflict_is_reported() {
    let (_dir, vcs) = repo();
    let path = vcs.path().to_owned();
    vcs.commit_change(&change("infradesk/1-a", "environments/dev/a.tf", "a = 1\n")).await.unwrap();
    let pr = vcs.open_pull_request(&draft("infradesk/1-a")).await.unwrap();
    let b = vcs.commit_change(&change("infradesk/2-b", "environments/dev/b.tf", "b = 1\n")).await.unwrap();
    let pr2 = vcs.open_pull_request(&draft("infradesk/2-b")).await.unwrap();
    vcs.merge_pull_request(pr2.number, &b.sha, MergeMethod::Squash, "Squash #2").await.unwrap();
    assert_eq!(git(&path, &["log", "-1", "--format=%P", "main"]).split(' ').count(), 1, "squash has one parent");

    let head = vcs.update_branch(pr.number).await.unwrap();
    assert_eq!(git(&path, &["rev-parse", "infradesk/1-a"]), head);
    assert_eq!(git(&path, &["show", "infradesk/1-a:environments/dev/b.tf"]), "b = 1");
    assert_eq!(vcs.update_branch(pr.number).await.unwrap(), head, "nothing to do the second time");

    // Two requests writing the same file differently conflict.
    vcs.commit_change(&change("infradesk/3-c", "environments/dev/same.tf", "x = 1\n")).await.unwrap();
    let pr3 = vcs.open_pull_request(&draft("infradesk/3-c")).await.unwrap();
    let d = vcs.commit_change(&change("infradesk/4-d", "environments/dev/same.tf", "x = 2\n")).await.unwrap();
    let pr4 = vcs.open_pull_request(&draft("infradesk/4-d")).await.unwrap();
    vcs.merge_pull_request(pr4.number, &d.sha, MergeMethod::Merge, "Merge #4").await.unwrap();
    let conflict = vcs.update_branch(pr3.number).await.unwrap_err();
    match conflict {
        VcsError::Conflict(reason) => assert!(reason.contains("environments/dev/same.tf"), "{reason}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn closing_and_deleting_are_safe_to_repeat() {
    let (_dir, vcs) = repo();
    let path = vcs.path().to_owned();
    let commit = vcs.commit_change(&change("infradesk/1-a", "environments/dev/a.tf", "a = 1\n")).await.unwrap();
    let pr = vcs.open_pull_request(&draft("infradesk/1-a")).await.unwrap();
    vcs.comment(pr.number, "Cancelled by alice").await.unwrap();
    vcs.close_pull_request(pr.number).await.unwrap();
    vcs.close_pull_request(pr.number).await.unwrap();
    vcs.delete_branch("infradesk/1-a").await.unwrap();
    vcs.delete_branch("infradesk/1-a").await.unwrap();
    assert_eq!(git(&path, &["branch", "--list", "infradesk/*"]), "");
    let closed = vcs.get_pull_request(pr.number).await.unwrap();
    assert_eq!((closed.state, closed.head_sha.as_str()), (PrState::Closed, commit.sha.as_str()));
    // A new pull request may be opened for a branch whose old one is closed.
    vcs.commit_change(&change("infradesk/1-a", "environments/dev/a.tf", "a = 1\n")).await.unwrap();
    assert_eq!(vcs.open_pull_request(&draft("infradesk/1-a")).await.unwrap().number, 2);
    assert!(matches!(vcs.get_pull_request(99).await, Err(VcsError::NotFound(_))));
}
