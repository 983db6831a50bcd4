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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
}

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
    pub inputs: Vec<(String, String, String)>,
    pub preview: Preview,
    pub checks: Vec<CheckOutcome>,
    pub justification: String,
    pub content_hash: String,
    pub timeline: Vec<TimelineEntry>,
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
    if !(member || me.is_reviewer() || me.is_admin) {
        return Err(not_found());
    }
    let events =
        backend::audit::for_subject(&state.db, &format!("request:{number}")).await.map_err(AppError::internal)?;
    let revision = detail.revision;
    let module = &revision.module;
    let inputs = revision
        .inputs
        .iter()
        .map(|(name, value)| {
            let label = module.field(name).map_or_else(|| name.clone(), |f| f.label.clone());
            (name.clone(), label, value.to_string())
        })
        .collect();
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
        inputs,
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
            .map(|e| TimelineEntry { at_ms: e.at_ms, actor: e.actor, action: e.action })
            .collect(),
    })
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
                <h2>"Justification"</h2>
                <p class="pre-wrap">{if view.justification.trim().is_empty() { "—".to_owned() } else { view.justification.clone() }}</p>
                <h2>"Inputs"</h2>
                <div class="table-wrap">
                    <table data-testid="inputs-table">
                        <thead><tr><th scope="col">"Setting"</th><th scope="col">"Variable"</th><th scope="col">"Value"</th></tr></thead>
                        <tbody>
                            {view.inputs.iter().map(|(name, label, value)| view! {
                                <tr><td>{label.clone()}</td><td><code>{name.clone()}</code></td><td><code>{value.clone()}</code></td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <h2>"Timeline"</h2>
                <ol class="timeline" data-testid="timeline">
                    {view.timeline.iter().map(|e| view! {
                        <li><time>{crate::pages::format_time(e.at_ms)}</time> " " <strong>{e.actor.clone()}</strong> " " {e.action.clone()}</li>
                    }).collect_view()}
                </ol>
            </section>
            <aside class="panel side">
                <PreviewPanel preview before_submit=false />
                <ChecksList checks />
            </aside>
        </div>
    }
}
