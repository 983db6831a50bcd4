//! A request's delivery: its pull request as last seen, the job that opens, updates or merges
//! it, the plan check and who merges — the model and the panel on the request page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Where the request's pull request stands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub pull: Option<PullView>,
    /// The newest job that opens the pull request, while it is pending or failed.
    pub job: Option<JobState>,
    /// Shown to admins on a failed job.
    pub can_retry: bool,
    /// The requesting team may ask Infradesk to push its file again after an outside push.
    pub can_rerender: bool,
    /// Reviewers may accept an outside push as it is.
    pub can_accept: bool,
    /// The plan check and who merges, as configured.
    pub plan_check: PlanCheck,
}

/// The plan check (the checks on the pull request's head) and who merges an approved
/// request, from the configuration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanCheck {
    /// The local infra repository: no checks; an approved request is merged at once.
    #[default]
    NotConfigured,
    /// GitHub, `require_green_checks`: Infradesk merges once every check on the head passed.
    Required,
    /// GitHub without `require_green_checks`: Infradesk merges without waiting for checks.
    NotRequired,
    /// GitHub with `merge_on_approval = false`: the merge is left to GitHub.
    MergedOnGitHub,
}

impl PlanCheck {
    /// From `[github]`'s `(merge_on_approval, require_green_checks)`; `None`: no GitHub.
    pub fn of(github: Option<(bool, bool)>) -> Self {
        match github {
            None => PlanCheck::NotConfigured,
            Some((false, _)) => PlanCheck::MergedOnGitHub,
            Some((true, true)) => PlanCheck::Required,
            Some((true, false)) => PlanCheck::NotRequired,
        }
    }

    /// The request page's "Plan check: …" line, for the checks reported on the head.
    pub fn status_text(self, checks: Option<&str>) -> String {
        let reported = checks.unwrap_or("no checks reported yet");
        match self {
            PlanCheck::NotConfigured => match checks {
                Some(c) => c.to_owned(),
                None => "not configured (local infra repository): an approved request is merged".to_owned(),
            },
            PlanCheck::Required => format!("{reported} (Infradesk merges an approved request once every check passed)"),
            PlanCheck::NotRequired => {
                format!("{reported} (not required: Infradesk merges an approved request without waiting for it)")
            }
            PlanCheck::MergedOnGitHub => format!("{reported} (an approved request is merged on GitHub)"),
        }
    }

    /// What happens once request `number` is approved, given the checks on its head.
    pub fn after_approval(self, number: i64, checks: Option<&str>) -> String {
        let next = match self {
            PlanCheck::NotConfigured => "Infradesk merges it into the base branch now",
            PlanCheck::Required if checks == Some("success") => {
                "its plan check passed: Infradesk merges its pull request now"
            }
            PlanCheck::Required => "Infradesk merges its pull request once the plan check passes",
            PlanCheck::NotRequired => "Infradesk merges its pull request now",
            PlanCheck::MergedOnGitHub => {
                "Infradesk says on its pull request who approved; merge it on GitHub (Infradesk does not merge it)"
            }
        };
        format!("Request #{number} is approved; {next}.")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullView {
    pub number: i64,
    /// Only `http(s)` links are shown as links (the local repository has none).
    pub url: Option<String>,
    pub branch: String,
    pub state: String,
    /// Shortened, for reading.
    pub head: String,
    pub head_full: String,
    pub checks: Option<String>,
    pub changed_outside: bool,
    pub merged_without_approval: bool,
    /// Why it needs a person before it can merge (a merge conflict).
    pub attention: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobState {
    pub id: i64,
    pub kind: String,
    pub state: String,
    pub attempts: i64,
    pub next_try_ms: i64,
    pub last_error: Option<String>,
}

/// The pull request: waiting for it (with the last error while it is retried), failed (the
/// reason; admins can retry), or the pull request itself.
#[component]
pub(super) fn DeliveryPanel(number: i64, status: String, delivery: Delivery) -> impl IntoView {
    let job_line = delivery.job.clone().map(|job| {
        let (doing, waiting) = match job.kind.as_str() {
            "update_pr" => ("Updating the pull request", "Pushing the new revision to the pull request."),
            "merge_pr" => ("Merging the pull request", "Merging the pull request."),
            "close_pr" => ("Closing the pull request", "Closing the pull request."),
            _ => ("Opening the pull request", "Waiting for the pull request to be opened."),
        };
        let text = match (job.state.as_str(), &job.last_error) {
            ("failed", Some(e)) => format!("{doing} failed: {e}"),
            ("failed", None) => format!("{doing} failed."),
            (_, Some(e)) => format!(
                "Attempt {} failed ({e}); trying again at {}.",
                job.attempts,
                crate::pages::format_time(job.next_try_ms)
            ),
            (_, None) => waiting.to_owned(),
        };
        let class = if job.state == "failed" { "flash flash-error" } else { "muted" };
        view! { <p class=class data-testid="delivery-job">{text}</p> }
    });
    let retry = delivery.job.clone().filter(|_| delivery.can_retry).map(|job| {
        view! {
            <form method="post" action=format!("/admin/jobs/{}/retry", job.id)>
                <input type="hidden" name="back" value=format!("/requests/{number}") />
                <button type="submit" data-testid="retry-job">"Retry"</button>
            </form>
        }
    });
    let failed_hint = (status == "failed" && !delivery.can_retry)
        .then(|| view! { <p class="muted">"An Infradesk admin can retry it."</p> });
    let pull = delivery.pull.clone().map(|p| {
        let label = format!("Pull request #{} ({})", p.number, p.state);
        let link = match p.url.clone() {
            Some(url) => view! { <a href=url data-testid="pull-link">{label}</a> }.into_any(),
            None => view! { <span data-testid="pull-link">{label}</span> }.into_any(),
        };
        view! {
            <p>{link} " on branch " <code>{p.branch.clone()}</code> " at " <code class="hash">{p.head.clone()}</code></p>
            <p data-testid="plan-status">"Plan check: " {delivery.plan_check.status_text(p.checks.as_deref())}</p>
            {p.changed_outside.then(|| view! {
                <p class="flash flash-error" role="alert" data-testid="changed-outside">"Changed outside Infradesk: someone pushed to the branch. Approvals wait until the requester re-renders or a reviewer accepts the difference."</p>
            })}
            {delivery.can_rerender.then(|| view! {
                <form method="post" action=format!("/requests/{number}/rerender")>
                    <button type="submit" class="secondary" data-testid="rerender">"Re-render: push Infradesk's file again"</button>
                </form>
            })}
            {delivery.can_accept.then(|| view! {
                <form method="post" action=format!("/requests/{number}/accept-outside-change")>
                    <input type="hidden" name="head" value=p.head_full.clone() />
                    <button type="submit" class="secondary" data-testid="accept-outside">{format!("Accept the pushed head {} as it is", p.head)}</button>
                </form>
            })}
            {p.attention.clone().map(|why| view! {
                <p class="flash flash-error" role="alert" data-testid="needs-attention">{format!("Needs attention: {why}.")}</p>
            })}
            {p.merged_without_approval.then(|| view! {
                <p class="flash flash-error" role="alert" data-testid="merged-without-approval">"Merged on GitHub before Infradesk approved it."</p>
            })}
        }
    });
    let waiting = (delivery.pull.is_none() && delivery.job.is_none() && status == "pr_pending")
        .then(|| view! { <p class="muted">"Waiting for the pull request."</p> });
    view! {
        <h2>"Pull request"</h2>
        <div data-testid="delivery">
            {pull}
            {job_line}
            {waiting}
            {failed_hint}
            {retry}
        </div>
    }
}
