//! `GitHubVcs` when GitHub fails: 5xx, lost answers, 422 already exists, rate limits, expired
//! tokens, no connection — classified for the outbox, never re-sent, never showing the token.

#![allow(clippy::unwrap_used)]

#[path = "vcs_github_fixtures/client.rs"]
mod client;
#[path = "vcs_github_fixtures/fake/mod.rs"]
#[allow(dead_code)]
mod fake;

use std::time::{Duration, Instant};

use backend::vcs::github::{GitHubAuth, GitHubConfig, GitHubVcs};
use backend::vcs::{PrState, Vcs, VcsError};
use client::*;
use fake::*;
use secrecy::SecretString;
use serde_json::json;
use wiremock::ResponseTemplate;

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
