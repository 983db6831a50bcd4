//! A request's timeline on its page: every audit event about it, oldest first, as who did
//! what when, with what the event says (statuses, revision, pull request, reason) and links
//! to the pull request, the commits and the GitHub reviews it names.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    /// What the event says, e.g. `in review → approved · revision 2`.
    pub text: String,
    /// (label, href)
    pub links: Vec<(String, String)>,
}

/// The repository's web address from a pull request's (`https://github.com/o/r/pull/3` →
/// `https://github.com/o/r`); none for the local repository, whose pulls have no URL.
fn repository_url(pull_url: Option<&str>) -> Option<String> {
    let url = pull_url?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return None;
    }
    let cut = url.rfind("/pull/")?;
    Some(url[..cut].to_owned())
}

fn short(sha: &str) -> String {
    sha.chars().take(10).collect()
}

fn clip(text: &str) -> String {
    const MAX: usize = 200;
    let mut clipped: String = text.chars().take(MAX).collect();
    if text.chars().count() > MAX {
        clipped.push('…');
    }
    clipped
}

fn status_label(status: &str) -> String {
    status.parse::<domain::request::Status>().map_or_else(|_| status.replace('_', " "), |s| s.label().to_owned())
}

/// Describes one event from its details. `pull_url` is the request's pull request, used for
/// events that name it by number only.
pub fn describe(
    seq: i64,
    at_ms: i64,
    actor: String,
    action: String,
    details: &Value,
    pull_url: Option<&str>,
) -> TimelineEntry {
    let str_of = |key: &str| details.get(key).and_then(Value::as_str);
    let mut parts: Vec<String> = Vec::new();
    let mut links: Vec<(String, String)> = Vec::new();
    if let (Some(from), Some(to)) = (str_of("from"), str_of("to")) {
        parts.push(format!("{} → {}", status_label(from), status_label(to)));
    }
    if let Some(revision) = details.get("revision").and_then(Value::as_i64) {
        parts.push(format!("revision {revision}"));
    }
    if let Some(state) = str_of("state") {
        parts.push(state.replace('_', " "));
    }
    if let Some(reviewer) = str_of("reviewer") {
        parts.push(format!("by {reviewer} on GitHub"));
    }
    let pull_link = str_of("url").filter(|u| u.contains("/pull/")).or(pull_url);
    if let Some(number) = details.get("pull_request").and_then(Value::as_i64) {
        match pull_link.filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
            Some(url) => links.push((format!("pull request #{number}"), url.to_owned())),
            None => parts.push(format!("pull request #{number}")),
        }
    }
    let repository = repository_url(pull_link);
    for key in ["head", "merge_commit", "outside_head", "commit"] {
        if let Some(sha) = str_of(key).filter(|s| s.len() >= 7 && s.chars().all(|c| c.is_ascii_hexdigit())) {
            let label = format!("{} {}", key.replace('_', " "), short(sha));
            match &repository {
                Some(repo) => links.push((label, format!("{repo}/commit/{sha}"))),
                None => parts.push(label),
            }
        }
    }
    if let Some(url) = str_of("url").filter(|u| u.starts_with("https://") && u.contains("#pullrequestreview-")) {
        links.push(("review".to_owned(), url.to_owned()));
    }
    for key in ["reason", "comment", "note", "last_error"] {
        if let Some(text) = str_of(key).filter(|t| !t.trim().is_empty()) {
            parts.push(format!("“{}”", clip(text)));
        }
    }
    if let Some(rule) = str_of("rule") {
        parts.push(format!("rule {rule}"));
    }
    if let Some(delivery) = str_of("delivery") {
        parts.push(format!("delivery {delivery}"));
    }
    if let Some(job) = details.get("job").and_then(Value::as_i64) {
        parts.push(format!("job {job}"));
    }
    TimelineEntry { seq, at_ms, actor, action, text: parts.join(" · "), links }
}

/// `audit_link`: the viewer may open the audit page (reviewers and admins).
#[component]
pub fn Timeline(number: i64, entries: Vec<TimelineEntry>, audit_link: bool) -> impl IntoView {
    view! {
        <h2>"Timeline"</h2>
        <ol class="timeline" data-testid="timeline">
            {entries.into_iter().map(|e| view! {
                <li>
                    <time>{crate::pages::format_time(e.at_ms)}</time> " " <strong>{e.actor}</strong> " " {e.action}
                    {(!e.text.is_empty()).then(|| view! { <span class="muted">{format!(" — {}", e.text)}</span> })}
                    {e.links.into_iter().map(|(label, href)| view! {
                        " " <a href=href rel="noopener noreferrer">{label}</a>
                    }).collect_view()}
                </li>
            }).collect_view()}
        </ol>
        {audit_link.then(|| view! {
            <p><a href=format!("/audit?request={number}") data-testid="full-history">"Full history in the audit trail →"</a></p>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn transitions_read_as_statuses_and_link_the_pull_request_and_commits() {
        let url = "https://github.com/acme/infra/pull/7";
        let details = json!({ "from": "pr_pending", "to": "in_review", "pull_request": 7, "url": url,
            "head": "0123456789abcdef0123456789abcdef01234567" });
        let e = describe(1, 0, "system".into(), "request.pr_opened".into(), &details, None);
        assert_eq!(e.text, "waiting for the pull request → in review");
        assert_eq!(
            e.links,
            [
                ("pull request #7".to_owned(), url.to_owned()),
                (
                    "head 0123456789".to_owned(),
                    "https://github.com/acme/infra/commit/0123456789abcdef0123456789abcdef01234567".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn local_pull_requests_have_no_links_and_reasons_are_quoted() {
        let details = json!({ "from": "in_review", "to": "cancelled", "reason": "duplicate", "pull_request": 3,
            "merge_commit": "abcdef1234567" });
        let e = describe(2, 0, "user:dev".into(), "request.cancelled".into(), &details, Some("local"));
        assert_eq!(e.text, "in review → cancelled · pull request #3 · merge commit abcdef1234 · “duplicate”");
        assert!(e.links.is_empty());
    }

    #[test]
    fn a_github_review_links_to_itself() {
        let details = json!({ "reviewer": "octo", "state": "approved", "url":
            "https://github.com/acme/infra/pull/7#pullrequestreview-80", "commit": "0123456789abcdef" });
        let e = describe(3, 0, "github:octo".into(), "pull_request.review".into(), &details, None);
        assert_eq!(e.text, "approved · by octo on GitHub");
        assert_eq!(e.links[0].0, "commit 0123456789");
        assert_eq!(
            e.links[1],
            ("review".to_owned(), "https://github.com/acme/infra/pull/7#pullrequestreview-80".to_owned())
        );
    }
}
