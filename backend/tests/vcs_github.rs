//! `GitHubVcs` against a fake GitHub (wiremock) answering with GitHub's documented example
//! payloads: the calls each operation makes and their count, the request bodies GitHub
//! receives, failure classification, no automatic re-sends, and App token renewal.

#![allow(clippy::unwrap_used)]

#[path = "vcs_github_fixtures/fake.rs"]
mod fake;

use std::time::{Duration, Instant};

use backend::vcs::github::{GitHubAuth, GitHubConfig, GitHubVcs};
use backend::vcs::{Author, ChangeSet, FileChange, MergeMethod, PrState, PullRequestDraft, Vcs, VcsError};
use base64::Engine as _;
use fake::{Auth, Fake, FakePr, INSTALLATION_ID, OWNER, REPO, Script, TOKEN, fixture};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::{MockServer, Request, ResponseTemplate};

const BRANCH: &str = "infradesk/req-12";
const FILE: &str = "envs/prod/req-12-logs.tf";
const CONTENT: &str = "module \"logs\" {\n  source = \"../../modules/s3-bucket\"\n  name   = \"acme-prod-logs\"\n}\n";
const READ_TIMEOUT: Duration = Duration::from_millis(300);

fn repo(path: &str) -> String {
    format!("/repos/{OWNER}/{REPO}{path}")
}

async fn vcs(server: &MockServer, auth: GitHubAuth) -> GitHubVcs {
    let mut config = GitHubConfig::new(OWNER, REPO, auth);
    config.api_url = server.uri().parse().unwrap();
    config.connect_timeout = Duration::from_secs(2);
    config.read_timeout = READ_TIMEOUT;
    GitHubVcs::new(config).unwrap()
}

fn token() -> GitHubAuth {
    GitHubAuth::Token(SecretString::from(TOKEN))
}

fn app() -> GitHubAuth {
    let pem = std::fs::read_to_string(format!(
        "{}/tests/vcs_github_fixtures/test-only-app-key.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    GitHubAuth::App { app_id: 7, private_key: SecretString::from(pem), installation_id: INSTALLATION_ID }
}

async fn start() -> (MockServer, Fake, GitHubVcs) {
    let (server, fake) = Fake::start(Auth::Token).await;
    let vcs = vcs(&server, token()).await;
    (server, fake, vcs)
}

fn change(content: Option<&str>) -> ChangeSet {
    ChangeSet {
        branch: BRANCH.into(),
        base: "main".into(),
        message: "Request #12: acme-prod-logs (s3-bucket)".into(),
        author: Author { name: "Alice Example".into(), email: "alice@example.com".into() },
        files: vec![FileChange { path: FILE.into(), content: content.map(str::to_string) }],
    }
}

fn draft(labels: &[&str], teams: &[&str]) -> PullRequestDraft {
    PullRequestDraft {
        branch: BRANCH.into(),
        base: "main".into(),
        title: "Request #12: acme-prod-logs".into(),
        body: "Requested by Alice Example.".into(),
        labels: labels.iter().map(|s| s.to_string()).collect(),
        team_reviewers: teams.iter().map(|s| s.to_string()).collect(),
    }
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

/// "METHOD /path" of every request from the `from`th on.
async fn calls_since(server: &MockServer, from: usize) -> Vec<String> {
    requests(server).await[from..].iter().map(|r| format!("{} {}", r.method, r.url.path())).collect()
}

async fn count(server: &MockServer, method: &str, path: &str) -> usize {
    requests(server).await.iter().filter(|r| r.method.as_str() == method && r.url.path() == path).count()
}

fn body(r: &Request) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

async fn last_body(server: &MockServer, method: &str, path: &str) -> Value {
    let all = requests(server).await;
    body(all.iter().rev().find(|r| r.method.as_str() == method && r.url.path() == path).unwrap())
}

fn answer(status: u16, fixture_name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(fixture(fixture_name))
}

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
async fn team_reviewers_make_it_six_calls() {
    let (server, fake, vcs) = start().await;
    vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    vcs.open_pull_request(&draft(&["infradesk"], &["platform", "security"])).await.unwrap();

    let calls = calls_since(&server, 0).await;
    assert_eq!(calls.len(), 6, "{calls:#?}");
    assert_eq!(calls[5], format!("POST {}", repo("/pulls/1347/requested_reviewers")));
    assert_eq!(
        last_body(&server, "POST", &repo("/pulls/1347/requested_reviewers")).await,
        json!({ "team_reviewers": ["platform", "security"] })
    );
    assert_eq!(fake.lock().prs[0].team_reviewers, ["platform", "security"]);
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
            format!("GET {}", repo("/git/ref/heads/main")),
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
async fn two_bad_gateways_then_created_leave_exactly_one_pull_request() {
    let (server, fake, vcs) = start().await;
    vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    for _ in 0..2 {
        fake.script("POST", &repo("/pulls"), Script::Answer(answer(502, "server-error-502.json")));
    }

    // The caller (the outbox worker) retries on Transient; the client itself never does.
    let mut transient = Vec::new();
    let pr = loop {
        match vcs.open_pull_request(&draft(&["infradesk"], &[])).await {
            Ok(pr) => break pr,
            Err(e) if e.is_transient() && transient.len() < 5 => transient.push(e),
            Err(e) => panic!("{e:?}"),
        }
    };
    assert_eq!(transient.len(), 2);
    assert_eq!(
        transient[0].to_string(),
        format!("GitHub answered 502 Bad Gateway for POST {}: Server Error", repo("/pulls"))
    );
    assert_eq!(pr.number, 1347);
    assert_eq!(count(&server, "POST", &repo("/pulls")).await, 3, "one request per call");
    assert_eq!(fake.lock().prs.len(), 1);
}

#[tokio::test]
async fn a_failed_post_is_never_re_sent() {
    let (server, fake, vcs) = start().await;
    vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    fake.script("POST", &repo("/pulls"), Script::Answer(answer(502, "server-error-502.json")));
    let err = vcs.open_pull_request(&draft(&[], &[])).await.unwrap_err();
    assert!(matches!(err, VcsError::Transient { retry_after: None, .. }), "{err:?}");
    assert_eq!(count(&server, "POST", &repo("/pulls")).await, 1);

    fake.script(
        "PUT",
        &repo(&format!("/contents/{FILE}")),
        Script::Answer(ResponseTemplate::new(503).set_body_string("<html>unicorn</html>")),
    );
    let err = vcs.commit_change(&change(Some("# edited\n"))).await.unwrap_err();
    assert_eq!(
        err,
        VcsError::Transient {
            reason: format!("GitHub answered 503 Service Unavailable for PUT {}", repo(&format!("/contents/{FILE}"))),
            retry_after: None
        }
    );
    assert_eq!(count(&server, "PUT", &repo(&format!("/contents/{FILE}"))).await, 2, "one per commit_change");
}

#[tokio::test]
async fn a_timeout_after_github_created_the_pull_request_is_transient_and_the_pr_is_adopted() {
    let (server, fake, vcs) = start().await;
    vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    fake.script("POST", &repo("/pulls"), Script::ApplyThenDelay(Duration::from_secs(2)));

    let started = Instant::now();
    let err = vcs.open_pull_request(&draft(&["infradesk"], &[])).await.unwrap_err();
    let waited = started.elapsed();
    assert!(err.is_transient(), "{err:?}");
    assert!(err.to_string().contains("did not answer POST"), "{err}");
    assert!(waited >= READ_TIMEOUT && waited < Duration::from_millis(1500), "{waited:?}");
    assert_eq!(count(&server, "POST", &repo("/pulls")).await, 1);
    assert_eq!(fake.lock().prs.len(), 1, "GitHub applied it");

    let found = vcs.find_pull_request(BRANCH).await.unwrap().unwrap();
    assert_eq!((found.number, found.state), (1347, PrState::Open));
    // Retrying the open instead says it exists (and completes its labels).
    let err = vcs.open_pull_request(&draft(&["infradesk"], &[])).await.unwrap_err();
    assert!(matches!(&err, VcsError::AlreadyExists(r) if r.contains("#1347")), "{err:?}");
    let st = fake.lock();
    assert_eq!(st.prs.len(), 1);
    assert_eq!(st.prs[0].labels, ["infradesk"]);
}

#[tokio::test]
async fn an_open_pull_request_for_the_branch_is_already_exists() {
    let (_server, fake, vcs) = start().await;
    vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    vcs.open_pull_request(&draft(&[], &[])).await.unwrap();
    let err = vcs.open_pull_request(&draft(&[], &[])).await.unwrap_err();
    assert!(matches!(&err, VcsError::AlreadyExists(_)), "{err:?}");
    let (all, open) = {
        let st = fake.lock();
        (st.prs.len(), st.open_prs())
    };
    assert_eq!((all, open), (1, 1));
    assert_eq!(vcs.find_pull_request("no-such-branch").await.unwrap(), None);
}

#[tokio::test]
async fn a_secondary_rate_limit_says_when_to_retry() {
    let (_server, fake, vcs) = start().await;
    vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    fake.script(
        "POST",
        &repo("/pulls"),
        Script::Answer(answer(403, "secondary-rate-limit-403.json").insert_header("retry-after", "30")),
    );
    let err = vcs.open_pull_request(&draft(&[], &[])).await.unwrap_err();
    assert!(matches!(err, VcsError::Transient { retry_after: Some(d), .. } if d == Duration::from_secs(30)), "{err:?}");
}

#[tokio::test]
async fn a_primary_rate_limit_waits_until_the_reset() {
    let (_server, fake, vcs) = start().await;
    // 1795561200 is Tue, 24 Nov 2026 23:00:00 GMT: the wait is reset minus GitHub's clock.
    fake.script(
        "GET",
        &repo("/pulls"),
        Script::Answer(
            answer(403, "primary-rate-limit-403.json")
                .insert_header("x-ratelimit-limit", "5000")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "1795561320")
                .insert_header("date", "Tue, 24 Nov 2026 23:00:00 GMT"),
        ),
    );
    let err = vcs.list_open_pull_requests().await.unwrap_err();
    assert!(
        matches!(err, VcsError::Transient { retry_after: Some(d), .. } if d == Duration::from_secs(120)),
        "{err:?}"
    );

    // A forbidden without rate-limit signs is a permission problem.
    fake.script(
        "GET",
        &repo("/pulls/1"),
        Script::Answer(ResponseTemplate::new(403).set_body_json(json!({
            "message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest"
        }))),
    );
    let err = vcs.get_pull_request(1).await.unwrap_err();
    assert!(matches!(&err, VcsError::Rejected(r) if r.contains("Resource not accessible by integration")), "{err:?}");
}

#[tokio::test]
async fn a_github_app_renews_its_installation_token_after_a_401_and_the_call_succeeds() {
    let (server, fake) = Fake::start(Auth::App).await;
    let vcs = vcs(&server, app()).await;
    vcs.commit_change(&change(Some(CONTENT))).await.unwrap();
    let pr = vcs.open_pull_request(&draft(&[], &[])).await.unwrap();
    let mint = format!("/app/installations/{INSTALLATION_ID}/access_tokens");
    assert_eq!(count(&server, "POST", &mint).await, 1, "one token for all calls while it is valid");

    let first = fake.lock().tokens[0].clone();
    fake.lock().revoked.insert(first);
    let got = vcs.get_pull_request(pr.number).await.unwrap();
    assert_eq!(got.number, pr.number);
    assert_eq!(count(&server, "POST", &mint).await, 2);
    let gets: Vec<String> = requests(&server)
        .await
        .iter()
        .filter(|r| r.url.path() == repo(&format!("/pulls/{}", pr.number)))
        .map(|r| r.headers.get("authorization").unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(gets, ["Bearer ghs_fake_installation_token_1", "Bearer ghs_fake_installation_token_2"]);

    // A token that keeps failing is Rejected after that one renewal.
    let second = fake.lock().tokens[1].clone();
    fake.lock().revoked.insert(second);
    fake.lock().auth = Auth::Token; // refuses every installation token from now on
    let err = vcs.get_pull_request(pr.number).await.unwrap_err();
    assert!(matches!(&err, VcsError::Rejected(r) if r.contains("401")), "{err:?}");
    assert!(!err.to_string().contains("ghs_"), "{err}");
}

#[tokio::test]
async fn an_installation_token_is_renewed_before_it_expires() {
    let (server, fake) = Fake::start(Auth::App).await;
    // Valid for 20 s: within octocrab's 30 s margin, so each call mints a fresh one first.
    fake.lock().token_lifetime = time::Duration::seconds(20);
    let vcs = vcs(&server, app()).await;
    vcs.list_open_pull_requests().await.unwrap();
    vcs.list_open_pull_requests().await.unwrap();
    let mint = format!("/app/installations/{INSTALLATION_ID}/access_tokens");
    assert_eq!(count(&server, "POST", &mint).await, 2);
    assert_eq!(count(&server, "GET", &repo("/pulls")).await, 2, "no 401 was needed");
}

#[tokio::test]
async fn a_bad_token_is_rejected_and_never_shown() {
    let (server, _fake) = Fake::start(Auth::Token).await;
    let wrong = "github_pat_wrong_0123456789abcdef";
    let vcs = vcs(&server, GitHubAuth::Token(SecretString::from(wrong))).await;
    let err = vcs.get_pull_request(1).await.unwrap_err();
    assert_eq!(
        err,
        VcsError::Rejected(format!(
            "GitHub answered 401 Unauthorized for GET {}: Bad credentials (the GitHub credentials are not valid)",
            repo("/pulls/1")
        ))
    );
    assert!(!format!("{vcs:?}").contains(wrong));
}

#[tokio::test]
async fn no_answer_at_all_is_transient() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut config = GitHubConfig::new(OWNER, REPO, token());
    config.api_url = format!("http://127.0.0.1:{port}").parse().unwrap();
    let vcs = GitHubVcs::new(config).unwrap();
    let err = vcs.get_pull_request(1).await.unwrap_err();
    assert!(matches!(&err, VcsError::Transient { reason, .. } if reason.contains("could not connect")), "{err:?}");
    assert!(!err.to_string().contains(TOKEN));
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
