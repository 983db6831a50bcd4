//! Beside the form: the exact module call, where it lands, who reviews it, and the checks.
//! The checks list is also what reviewers see later.

use domain::form::{CheckOutcome, CheckStatus, FieldError};
use domain::routing::RoutingOutcome;
use leptos::prelude::*;

use super::model::Preview;

#[component]
pub fn PreviewPanel(
    #[prop(into)] preview: Signal<Preview>,
    /// The form's errors, listed under the preview with links to their fields (some may be
    /// in the collapsed advanced section).
    #[prop(into, optional)]
    errors: Signal<Vec<FieldError>>,
    before_submit: bool,
) -> impl IntoView {
    view! {
        <section class="preview" id="preview" aria-labelledby="preview-title" aria-live="polite" data-testid="preview">
            <h2 id="preview-title">{if before_submit { "Preview" } else { "Module call" }}</h2>
            {move || preview.with(|p| {
                let lands = p.environment.as_ref().map(|e| format!(
                    "{} — AWS account {}, region {}", e.name, e.aws_account_id, e.region));
                view! {
                    <dl class="facts">
                        <dt>"Lands in"</dt><dd data-testid="preview-environment">{lands.unwrap_or_else(|| "choose an environment".to_owned())}</dd>
                        <dt>"File"</dt><dd><code data-testid="preview-path">{p.path.clone().unwrap_or_else(|| "—".to_owned())}</code></dd>
                        <dt>"Review"</dt><dd data-testid="preview-routing">{p.routing.as_ref().map_or_else(|| "—".to_owned(), RoutingOutcome::summary)}</dd>
                    </dl>
                    {p.problem.clone().map(|problem| view! { <p class="muted" data-testid="preview-problem">{problem}</p> })}
                    {errors.with(|errors| (!errors.is_empty()).then(|| view! {
                        <ul class="field-errors" data-testid="preview-errors">
                            {errors.iter().map(|e| view! {
                                <li><a href=format!("#field-{}", domain::request::top_level(&e.path))>{e.path.clone()}</a> ": " {e.message.clone()}</li>
                            }).collect_view()}
                        </ul>
                    }))}
                    {p.content.clone().map(|content| view! {
                        <pre class="hcl" data-testid="preview-hcl"><code>{content}</code></pre>
                        {before_submit.then(|| view! {
                            <p class="muted">"The request number in the header and tags is filled in when you submit."</p>
                        })}
                    })}
                }
            })}
        </section>
    }
}

fn status_text(status: &CheckStatus) -> (&'static str, &'static str) {
    match status {
        CheckStatus::Passed => ("pass", "passed"),
        CheckStatus::Failed { .. } => ("fail", "failed"),
        CheckStatus::NotChecked { .. } => ("not-checked", "not checked by Infradesk"),
    }
}

/// Every check, each passed, failed or not checked, with its source.
#[component]
pub fn ChecksList(#[prop(into)] checks: Signal<Vec<CheckOutcome>>) -> impl IntoView {
    view! {
        <section class="checks" aria-labelledby="checks-title" data-testid="checks">
            <h2 id="checks-title">"Checks"</h2>
            {move || checks.with(|checks| {
                if checks.is_empty() {
                    return view! { <p class="muted">"No checks apply yet."</p> }.into_any();
                }
                view! {
                    <ul class="check-list">
                        {checks.iter().map(|c| {
                            let (class, label) = status_text(&c.status);
                            let detail = match &c.status {
                                CheckStatus::Failed { message } => Some(message.clone()),
                                CheckStatus::NotChecked { reason } => Some(reason.clone()),
                                CheckStatus::Passed => None,
                            };
                            view! {
                                <li class=format!("check {class}") data-status=class>
                                    <span class="badge">{label}</span>
                                    " " <strong>{c.field.clone()}</strong> " · " <span class="muted">{c.source.clone()}</span>
                                    <div><code>{c.condition.clone()}</code></div>
                                    {detail.map(|d| view! { <div class="detail">{d}</div> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </section>
    }
}
