//! One request (`/requests/:number`): what was asked, the exact file, where it lands, who
//! reviews it, the checks, and its timeline from the audit trail.

use domain::form::CheckOutcome;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::pages::errors::LoadError;
use crate::pages::new_request::model::Preview;
use crate::pages::new_request::side::{ChecksList, PreviewPanel};

use super::delivery::DeliveryPanel;
pub use super::delivery::{Delivery, JobState, PlanCheck, PullView};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub number: i64,
    pub title: String,
    pub module_id: String,
    pub module_version: String,
    pub environment: String,
    pub team: String,
    pub instance_name: String,
    pub status: String,
    pub status_label: String,
    pub requester: String,
    pub created_at_ms: i64,
    pub revision: i64,
    /// The inputs and the rendered diff, compared with the previous revision.
    pub changes: crate::pages::changes::ChangesView,
    pub preview: Preview,
    pub checks: Vec<CheckOutcome>,
    pub justification: String,
    pub content_hash: String,
    pub timeline: Vec<crate::pages::timeline::TimelineEntry>,
    /// Reviewers and admins may open the audit page.
    pub audit_link: bool,
    pub delivery: Delivery,
    /// For optimistic concurrency of actions on the page.
    pub version: i64,
    /// Members of the requesting team and admins, while the request is still open.
    pub can_cancel: bool,
    /// Members of the requesting team, while in review or when changes were requested.
    pub can_edit: bool,
    pub review: crate::pages::review::ReviewView,
}

#[server(prefix = "/api", endpoint = "request_view")]
pub async fn load_request(number: i64) -> Result<RequestView, AppError> {
    let me = crate::state::require_me()?;
    let state = crate::state::app_state()?;
    let not_found = || {
        crate::state::set_status(http::StatusCode::NOT_FOUND);
        AppError::Invalid(format!("There is no request #{number}."))
    };
    let Some(detail) = backend::requests::get(&state.db, number).await.map_err(AppError::internal)? else {
        return Err(not_found());
    };
    // Requesters see their own teams' requests only; reviewers and admins see all. Someone
    // else's request answers "not found" so request numbers reveal nothing.
    let member = me.teams.iter().any(|t| t.slug == detail.summary.team);
    let cancellable = matches!(
        detail.summary.status,
        domain::request::Status::Submitted
            | domain::request::Status::PrPending
            | domain::request::Status::InReview
            | domain::request::Status::ChangesRequested
            | domain::request::Status::Approved
            | domain::request::Status::Failed
    );
    let can_cancel = cancellable && (member || me.is_admin);
    let can_edit = member
        && matches!(
            detail.summary.status,
            domain::request::Status::InReview | domain::request::Status::ChangesRequested
        );
    let version = detail.version;
    if !(member || me.is_reviewer() || me.is_admin) {
        return Err(not_found());
    }
    let in_review =
        matches!(detail.summary.status, domain::request::Status::InReview | domain::request::Status::ChangesRequested);
    let mut delivery = delivery(&state, number, me.is_admin).await?;
    let outside = delivery.pull.as_ref().is_some_and(|p| p.changed_outside) && in_review;
    delivery.can_rerender = outside && me.teams.iter().any(|t| t.slug == detail.summary.team);
    delivery.can_accept = outside && crate::requesting::may_accept_outside_change(&me, &detail);
    let review = crate::pages::review::load(&state.db, &me, &detail).await?;
    let events =
        backend::audit::for_subject(&state.db, &format!("request:{number}")).await.map_err(AppError::internal)?;
    let changes = crate::pages::changes::load(&state.db, &detail).await?;
    let pull_url = delivery.pull.as_ref().and_then(|p| p.url.clone());
    let revision = detail.revision;
    let module = &revision.module;
    let routing: Option<domain::routing::RoutingOutcome> = serde_json::from_value(revision.routing.clone()).ok();
    let s = detail.summary;
    Ok(RequestView {
        number,
        title: module.title.clone(),
        module_id: s.module_id.clone(),
        module_version: module.source.to_string(),
        environment: s.environment.clone(),
        team: s.team,
        instance_name: s.instance_name,
        status: s.status.as_str().to_owned(),
        status_label: s.status.label().to_owned(),
        requester: s.requester,
        created_at_ms: s.created_at_ms,
        revision: revision.number,
        changes,
        preview: Preview {
            content: Some(revision.rendered),
            path: Some(revision.path),
            environment: state.settings.environment(&s.environment).cloned(),
            routing,
            problem: None,
        },
        checks: revision.checks,
        justification: revision.justification,
        content_hash: revision.content_hash,
        timeline: events
            .into_iter()
            .map(|e| {
                let details = serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null);
                crate::pages::timeline::describe(e.seq, e.at_ms, e.actor, e.action, &details, pull_url.as_deref())
            })
            .collect(),
        audit_link: me.is_reviewer() || me.is_admin,
        delivery,
        version,
        can_cancel,
        can_edit,
        review,
    })
}

#[cfg(feature = "ssr")]
async fn delivery(state: &crate::state::AppState, number: i64, is_admin: bool) -> Result<Delivery, AppError> {
    let pull = backend::pulls::of_request(&state.db, number).await.map_err(AppError::internal)?.map(|p| PullView {
        number: p.number,
        url: (p.url.starts_with("https://") || p.url.starts_with("http://")).then_some(p.url),
        branch: p.branch,
        state: p.state.as_str().to_owned(),
        head: p.head_sha.chars().take(12).collect(),
        head_full: p.head_sha.clone(),
        checks: p.checks_status,
        changed_outside: p.changed_outside,
        merged_without_approval: p.merged_without_approval,
        attention: p.attention,
    });
    let jobs = backend::outbox::jobs_of(&state.db, number).await.map_err(AppError::internal)?;
    let job = jobs.into_iter().find(|j| j.state != "done").map(|j| JobState {
        id: j.id,
        kind: j.kind,
        state: j.state,
        attempts: j.attempts,
        next_try_ms: j.run_at_ms,
        last_error: j.last_error,
    });
    let can_retry = is_admin && job.as_ref().is_some_and(|j| j.state == "failed");
    Ok(Delivery { pull, job, can_retry, can_rerender: false, can_accept: false, plan_check: state.settings.plan_check })
}

#[component]
pub fn RequestPage() -> impl IntoView {
    let params = use_params_map();
    let page = Resource::new_blocking(
        move || params.read().get("number").and_then(|n| n.trim_start_matches('#').parse::<i64>().ok()),
        |number| async move {
            match number {
                Some(n) => load_request(n).await,
                None => Err(AppError::Invalid("A request number is a whole number, e.g. /requests/42.".to_owned())),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(view) => view! { <RequestBody view /> }.into_any(),
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RequestBody(view: RequestView) -> impl IntoView {
    let preview = Signal::derive({
        let p = view.preview.clone();
        move || p.clone()
    });
    let checks = Signal::derive({
        let c = view.checks.clone();
        move || c.clone()
    });
    view! {
        <Title text=format!("#{} {}", view.number, view.instance_name) />
        <div class="request-layout">
            <section class="panel">
                <p><a href="/requests">"← Requests"</a></p>
                <h1>{format!("#{} ", view.number)} <code>{view.instance_name.clone()}</code></h1>
                <p><span class=format!("status status-{}", view.status) data-testid="request-status">{view.status_label.clone()}</span></p>
                <dl class="facts">
                    <dt>"Module"</dt><dd>{view.title.clone()} " " <code>{view.module_version.clone()}</code></dd>
                    <dt>"Environment"</dt><dd>{view.environment.clone()}</dd>
                    <dt>"Team"</dt><dd>{view.team.clone()}</dd>
                    <dt>"Requested by"</dt><dd>{view.requester.clone()} " on " {crate::pages::format_time(view.created_at_ms)}</dd>
                    <dt>"Revision"</dt><dd>{view.revision}</dd>
                    <dt>"Content hash"</dt><dd><code class="hash">{view.content_hash.clone()}</code></dd>
                </dl>
                <DeliveryPanel number=view.number status=view.status.clone() delivery=view.delivery.clone() />
                {view.can_edit.then(|| view! {
                    <p><a class="button secondary" href=format!("/requests/{}/edit", view.number) data-testid="edit-request">"Edit (new revision)"</a></p>
                })}
                {view.can_cancel.then(|| view! { <CancelForm number=view.number version=view.version /> })}
                <crate::pages::review::ReviewPanel number=view.number version=view.version review=view.review.clone() />
                <h2>"Justification"</h2>
                <p class="pre-wrap">{if view.justification.trim().is_empty() { "—".to_owned() } else { view.justification.clone() }}</p>
                <crate::pages::changes::RevisionChanges changes=view.changes.clone() />
                <crate::pages::timeline::Timeline number=view.number entries=view.timeline.clone() audit_link=view.audit_link />
            </section>
            <aside class="panel side">
                <PreviewPanel preview before_submit=false />
                <ChecksList checks />
            </aside>
        </div>
    }
}

/// Cancelling asks for a reason and is confirmed by a second click (the summary opens the
/// form); the pull request is closed with a comment and its branch deleted.
#[component]
fn CancelForm(number: i64, version: i64) -> impl IntoView {
    view! {
        <details class="danger-zone">
            <summary>"Cancel this request…"</summary>
            <form method="post" action=format!("/requests/{number}/cancel")>
                <input type="hidden" name="version" value=version.to_string() />
                <label for="cancel-reason">"Why (recorded in the audit trail and on the pull request)"</label>
                <input id="cancel-reason" name="reason" maxlength="500" required />
                <button type="submit" class="danger" data-testid="cancel-request">{format!("Cancel request #{number}")}</button>
            </form>
        </details>
    }
}
