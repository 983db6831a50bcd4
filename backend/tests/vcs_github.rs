//! `GitHubVcs` against a fake GitHub (wiremock) answering with GitHub's documented example
//! payloads: the calls each operation makes and their count, and the request bodies GitHub
//! receives. Failures, re-sends and tokens: `vcs_github_failures.rs`.

#![allow(clippy::unwrap_used)]

#[path = "vcs_github_fixtures/client.rs"]
mod client;
#[path = "vcs_github_fixtures/fake/mod.rs"]
#[allow(dead_code)]
mod fake;

use std::time::Duration;

use backend::vcs::github::GitHubConfig;
use backend::vcs::{MergeMethod, PrState, Vcs, VcsError};
use base64::Engine as _;
use client::*;
use fake::*;
use serde_json::{Value, json};

#[tokio::test]
async fn a_new_pull_request_with_labels_takes_five_calls() {
    let (server, fake, vcs) = start().await;
    let main = fake.lock().branches["main"].clone();

    let commit = vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    let pr = vcs.open_pull_request(&draft(&["infradesk", "env:prod"], &[])).await.unwrap();

    assert_eq!(
        calls_since(&server, 0).await,
        [
            format!("GET {}", repo("/git/ref/heads/main")),
            format!("POST {}", repo("/git/refs")),
            format!("PUT {}", repo(&format!("/contents/{FILE}"))),
            format!("POST {}", repo("/pulls")),
            format!("POST {}", repo("/issues/1347/labels")),
        ]
    );
    assert!(commit.created);
    assert_eq!(
        last_body(&server, "POST", &repo("/git/refs")).await,
        json!({ "ref": format!("refs/heads/{BRANCH}"), "sha": main })
    );
    let put = last_body(&server, "PUT", &repo(&format!("/contents/{FILE}"))).await;
    assert_eq!(put["branch"], BRANCH);
    assert_eq!(put["message"], "Request #12: acme-prod-logs (s3-bucket)");
    assert_eq!(put["author"], json!({ "name": "Alice Example", "email": "alice@example.com" }));
    assert!(put.get("sha").is_none(), "a new file is written without a sha: {put}");
    let written = base64::engine::general_purpose::STANDARD.decode(put["content"].as_str().unwrap()).unwrap();
    assert_eq!(written, CONTENT.as_bytes());
    assert_eq!(
        last_body(&server, "POST", &repo("/pulls")).await,
        json!({ "title": "Request #12: acme-prod-logs", "head": BRANCH, "base": "main", "body": "Requested by Alice Example." })
    );
    assert_eq!(
        last_body(&server, "POST", &repo("/issues/1347/labels")).await,
        json!({ "labels": ["infradesk", "env:prod"] })
    );

    assert_eq!(pr.number, 1347);
    assert_eq!(pr.url, format!("https://github.com/{OWNER}/{REPO}/pull/1347"));
    assert_eq!((pr.branch.as_str(), pr.base.as_str()), (BRANCH, "main"));
    assert_eq!(pr.head_sha, commit.sha);
    assert_eq!((pr.state, pr.merge_commit), (PrState::Open, None));
    let st = fake.lock();
    assert_eq!(st.prs.len(), 1);
    assert_eq!(st.prs[0].labels, ["infradesk", "env:prod"]);
    assert_eq!(st.files[&(BRANCH.to_string(), FILE.to_string())], CONTENT);
    assert_eq!(st.commits.len(), 1);
    assert_eq!((st.commits[0].sha.as_str(), st.commits[0].branch.as_str()), (commit.sha.as_str(), BRANCH));
    assert_eq!(st.commits[0].message, "Request #12: acme-prod-logs (s3-bucket)");
    assert_eq!(st.commits[0].author, json!({ "name": "Alice Example", "email": "alice@example.com" }));
}

#[tokio::test]
async fn with_the_base_head_known_a_pull_request_with_team_reviewers_takes_five_calls() {
    let (server, fake, vcs) = start().await;
    // What reconcile does at start and every ten minutes.
    vcs.refresh_branch_head("main").await.unwrap();
    let before = requests(&server).await.len();

    vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    vcs.open_pull_request(&draft(&["infradesk"], &["platform", "security"])).await.unwrap();

    assert_eq!(
        calls_since(&server, before).await,
        [
            format!("POST {}", repo("/git/refs")),
            format!("PUT {}", repo(&format!("/contents/{FILE}"))),
            format!("POST {}", repo("/pulls")),
            format!("POST {}", repo("/issues/1347/labels")),
            format!("POST {}", repo("/pulls/1347/requested_reviewers")),
        ]
    );
    assert_eq!(
        last_body(&server, "POST", &repo("/pulls/1347/requested_reviewers")).await,
        json!({ "team_reviewers": ["platform", "security"] })
    );
    let st = fake.lock();
    assert_eq!(st.prs[0].team_reviewers, ["platform", "security"]);
    assert_eq!(st.branches[BRANCH], st.commits[0].sha);
}

#[tokio::test]
async fn the_base_head_is_read_once_for_many_pull_requests() {
    let (server, _fake, vcs) = start().await;
    for n in 0..3 {
        let mut c = change(Some(CONTENT));
        c.branch = format!("infradesk/req-{n}");
        vcs.commit_change(&c).await.unwrap();
    }
    assert_eq!(count(&server, "GET", &repo("/git/ref/heads/main")).await, 1);
    assert_eq!(count(&server, "POST", &repo("/git/refs")).await, 3);
}

#[tokio::test]
async fn a_base_head_github_no_longer_has_is_read_again() {
    let (server, fake, vcs) = start().await;
    vcs.refresh_branch_head("main").await.unwrap();
    // The base is force-pushed: the remembered head is gone.
    let moved = "2222222222222222222222222222222222222222".to_string();
    {
        let mut st = fake.lock();
        st.contains.clear();
        st.branches.insert("main".into(), moved.clone());
        st.contains.insert(("main".into(), moved.clone()));
    }
    let before = requests(&server).await.len();

    vcs.commit_change(&change(Some(CONTENT))).await.unwrap();

    assert_eq!(
        calls_since(&server, before).await,
        [
            format!("POST {}", repo("/git/refs")),
            format!("GET {}", repo("/git/ref/heads/main")),
            format!("POST {}", repo("/git/refs")),
            format!("PUT {}", repo(&format!("/contents/{FILE}"))),
        ]
    );
    assert_eq!(last_body(&server, "POST", &repo("/git/refs")).await["sha"], moved.as_str());
}

#[tokio::test]
async fn repeating_a_change_commits_nothing_and_a_new_content_updates_by_sha() {
    let (server, fake, vcs) = start().await;
    let first = vcs.commit_change(&change(Some(CONTENT))).await.unwrap();

    let before = requests(&server).await.len();
    let again = vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    assert_eq!(again, backend::vcs::Commit { sha: first.sha.clone(), created: false });
    assert_eq!(
        calls_since(&server, before).await,
        [
            format!("POST {}", repo("/git/refs")),
            format!("GET {}", repo(&format!("/contents/{FILE}"))),
            format!("GET {}", repo(&format!("/git/ref/heads/{BRANCH}"))),
        ]
    );
    assert_eq!(fake.lock().commits.len(), 1);

    let edited = vcs.commit_change(&change(Some("# changed\n"))).await.unwrap();
    assert!(edited.created);
    assert_ne!(edited.sha, first.sha);
    let put = last_body(&server, "PUT", &repo(&format!("/contents/{FILE}"))).await;
    assert_eq!(put["sha"], fake::blob_sha(CONTENT.as_bytes()));
    assert_eq!(fake.lock().commits.len(), 2);
}

#[tokio::test]
async fn a_file_the_base_has_already_is_updated_or_left_alone() {
    let (server, fake, vcs) = start().await;
    fake.lock().files.insert(("main".into(), FILE.into()), "old\n".into());
    let commit = vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    assert!(commit.created);
    // The optimistic write without a sha got 422, then the blob sha was read and used.
    let puts: Vec<Value> = requests(&server).await.iter().filter(|r| r.method.as_str() == "PUT").map(body).collect();
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[1]["sha"], fake::blob_sha(b"old\n"));

    // Identical on the base: the new branch needs no commit.
    let (_server, fake, vcs) = start().await;
    fake.lock().files.insert(("main".into(), FILE.into()), CONTENT.into());
    let main = fake.lock().branches["main"].clone();
    let commit = vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    assert_eq!(commit, backend::vcs::Commit { sha: main, created: false });
}

#[tokio::test]
async fn deleting_a_file_uses_its_sha_and_a_missing_file_is_nothing_to_do() {
    let (server, fake, vcs) = start().await;
    vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    let removed = vcs.commit_change(&change(None)).await.unwrap();
    assert!(removed.created);
    let delete = last_body(&server, "DELETE", &repo(&format!("/contents/{FILE}"))).await;
    assert_eq!(delete["sha"], fake::blob_sha(CONTENT.as_bytes()));
    assert_eq!(delete["branch"], BRANCH);
    assert!(!fake.lock().files.contains_key(&(BRANCH.to_string(), FILE.to_string())));
    let again = vcs.commit_change(&change(None)).await.unwrap();
    assert_eq!(again, backend::vcs::Commit { sha: removed.sha, created: false });
}

#[tokio::test]
async fn merging_checks_the_head_and_repeating_a_merge_returns_its_commit() {
    let (server, fake, vcs) = start().await;
    let head = vcs.commit_change(&change(Some(CONTENT))).await.unwrap().sha;
    let pr = vcs.open_pull_request(&draft(&[], &[])).await.unwrap();

    let err =
        vcs.merge_pull_request(pr.number, "0000000000000000000000000000000000000000", MergeMethod::Squash, "x").await;
    assert!(matches!(&err, Err(VcsError::Conflict(r)) if r.contains("Head branch was modified")), "{err:?}");

    fake.lock().conflicting = true;
    let err = vcs.merge_pull_request(pr.number, &head, MergeMethod::Squash, "x").await;
    assert!(matches!(&err, Err(VcsError::Conflict(r)) if r.contains("405 Method Not Allowed")), "{err:?}");
    fake.lock().conflicting = false;

    let merged = vcs
        .merge_pull_request(pr.number, &head, MergeMethod::Squash, "Request #12: acme-prod-logs\n\nApproved by Bob.")
        .await
        .unwrap();
    assert_eq!(
        last_body(&server, "PUT", &repo("/pulls/1347/merge")).await,
        json!({ "sha": head, "merge_method": "squash", "commit_title": "Request #12: acme-prod-logs", "commit_message": "Approved by Bob." })
    );
    let again = vcs.merge_pull_request(pr.number, &head, MergeMethod::Squash, "again").await.unwrap();
    assert_eq!(again, merged);
    let got = vcs.get_pull_request(pr.number).await.unwrap();
    assert_eq!((got.state, got.merge_commit), (PrState::Merged, Some(merged)));
    assert_eq!(vcs.find_pull_request(BRANCH).await.unwrap().unwrap().state, PrState::Merged);
}

#[tokio::test]
async fn update_branch_merges_the_base_in_and_reports_conflicts() {
    let (server, fake, vcs) = start().await;
    let head = vcs.commit_change(&change(Some(CONTENT))).await.unwrap().sha;
    let pr = vcs.open_pull_request(&draft(&[], &[])).await.unwrap();

    // The branch has the base already: 204, the head stays.
    assert_eq!(vcs.update_branch(pr.number).await.unwrap(), head);
    // The base moved: a merge commit on the branch.
    {
        let mut st = fake.lock();
        let sha = "1111111111111111111111111111111111111111".to_string();
        st.branches.insert("main".into(), sha.clone());
        st.contains.insert(("main".into(), sha));
    }
    let updated = vcs.update_branch(pr.number).await.unwrap();
    assert_ne!(updated, head);
    assert_eq!(fake.lock().branches[BRANCH], updated);
    assert_eq!(
        last_body(&server, "POST", &repo("/merges")).await,
        json!({ "base": BRANCH, "head": "main", "commit_message": format!("Merge branch 'main' into {BRANCH}") })
    );

    fake.lock().conflicting = true;
    let err = vcs.update_branch(pr.number).await.unwrap_err();
    assert!(matches!(&err, VcsError::Conflict(r) if r.contains("Merge conflict")), "{err:?}");
}

#[tokio::test]
async fn edit_comment_close_and_delete_are_safe_to_repeat() {
    let (server, fake, vcs) = start().await;
    vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    let pr = vcs.open_pull_request(&draft(&[], &[])).await.unwrap();

    vcs.update_pull_request(pr.number, "New title", "New body").await.unwrap();
    assert_eq!(
        last_body(&server, "PATCH", &repo("/pulls/1347")).await,
        json!({ "title": "New title", "body": "New body" })
    );
    vcs.comment(pr.number, "Plan: 1 to add").await.unwrap();
    assert_eq!(fake.lock().comments, [(1347, "Plan: 1 to add".to_string())]);
    let before = requests(&server).await.len();
    assert!(vcs.has_comment(pr.number, "1 to add").await.unwrap());
    assert!(!vcs.has_comment(pr.number, "<!-- infradesk:job:9 -->").await.unwrap());
    assert_eq!(count(&server, "GET", &repo("/issues/1347/comments")).await, 2);
    assert_eq!(requests(&server).await.len(), before + 2);

    vcs.close_pull_request(pr.number).await.unwrap();
    vcs.close_pull_request(pr.number).await.unwrap();
    assert_eq!(vcs.get_pull_request(pr.number).await.unwrap().state, PrState::Closed);
    vcs.delete_branch(BRANCH).await.unwrap();
    vcs.delete_branch(BRANCH).await.unwrap();
    assert!(!fake.lock().branches.contains_key(BRANCH));
    assert_eq!(
        vcs.get_pull_request(999).await.unwrap_err(),
        VcsError::NotFound(format!("GitHub answered 404 Not Found for GET {}: Not Found", repo("/pulls/999")))
    );
}

#[tokio::test]
async fn listing_open_pull_requests_follows_every_page() {
    let (server, fake, vcs) = start().await;
    {
        let mut st = fake.lock();
        st.page_size = 2;
        for n in 0..5u64 {
            let branch = format!("infradesk/req-{n}");
            let sha = st.branches["main"].clone();
            st.branches.insert(branch.clone(), sha);
            st.prs.push(FakePr {
                number: 100 + n,
                head: branch,
                base: "main".into(),
                title: format!("Request {n}"),
                body: String::new(),
                state: if n == 2 { "closed".into() } else { "open".into() },
                merge_commit: None,
                labels: vec![],
                team_reviewers: vec![],
            });
        }
    }
    let mut numbers: Vec<u64> = vcs.list_open_pull_requests().await.unwrap().iter().map(|p| p.number).collect();
    numbers.sort();
    assert_eq!(numbers, [100, 101, 103, 104]);
    let pages: Vec<String> = requests(&server)
        .await
        .iter()
        .filter(|r| r.url.path() == repo("/pulls"))
        .map(|r| r.url.query_pairs().find(|(k, _)| k == "page").unwrap().1.into_owned())
        .collect();
    assert_eq!(pages, ["1", "2"]);
}

#[test]
fn configuration_deserializes_and_never_shows_secrets() {
    let config: GitHubConfig = serde_json::from_value(json!({
        "api_url": "https://ghe.example.com/api/v3",
        "owner": "acme",
        "repo": "infra",
        "auth": { "app": { "app_id": 7, "private_key": "-----BEGIN RSA PRIVATE KEY-----\nsecret", "installation_id": 42 } },
        "connect_timeout": "500ms",
        "read_timeout": 20,
        "merge_method": "squash"
    }))
    .unwrap();
    assert_eq!(config.connect_timeout, Duration::from_millis(500));
    assert_eq!(config.read_timeout, Duration::from_secs(20));
    assert_eq!(config.merge_method, MergeMethod::Squash);
    assert!(!format!("{config:?}").contains("secret"), "{config:?}");

    let config: GitHubConfig =
        serde_json::from_value(json!({ "owner": "acme", "repo": "infra", "auth": { "token": TOKEN } })).unwrap();
    assert_eq!(config.api_url.as_str(), "https://api.github.com/");
    assert!(!format!("{config:?}").contains(TOKEN), "{config:?}");
}

#[tokio::test]
async fn changed_files_compares_the_branch_with_its_base_in_one_call() {
    let (server, _fake, vcs) = start().await;
    vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    let before = requests(&server).await.len();
    assert_eq!(vcs.changed_files("main", BRANCH).await.unwrap(), [FILE]);
    assert_eq!(calls_since(&server, before).await, [format!("GET {}", repo(&format!("/compare/main...{BRANCH}")))]);
}
