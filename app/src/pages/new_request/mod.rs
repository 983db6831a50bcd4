//! The request form for one catalog module (`/requests/new/:module`), also used to edit a
//! request in review (`/requests/:number/edit`).
//!
//! The form is a plain HTML form posting to the server's `/requests/new/:module` handler,
//! so everything works without JavaScript: preview, submit and adding or removing rows are
//! submit buttons, and the handler redirects back here with the form kept in the session.
//! Once hydrated, the same checks run in the browser as the user types (the `domain` crate
//! compiled to wasm) and the preview refreshes through [`preview_request`].

mod edit;
mod fields;
mod live;
pub mod model;
pub mod side;

use domain::catalog::{Field, Presence};
use domain::form::FieldError;
use domain::request::{self, control};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::error::AppError;
use crate::pages::errors::LoadError;
pub use edit::{EditRequestPage, load_edit_form};
use fields::{control_id, input_controls};
use live::live_checks;
use model::{FormPage, Prepared};
use side::{ChecksList, PreviewPanel};

#[server(prefix = "/api", endpoint = "request_form")]
pub async fn load_request_form(module: String, draft: Option<String>) -> Result<FormPage, AppError> {
    use crate::state::{app_state, require_me};
    let me = require_me()?;
    let state = app_state()?;
    let Some(found) = crate::requesting::module(&state, &module) else {
        crate::state::set_status(http::StatusCode::NOT_FOUND);
        return Err(AppError::Invalid(format!("There is no module {module:?} in the catalog.")));
    };
    let teams: Vec<String> = me.teams.iter().map(|t| t.slug.clone()).collect();
    let stored = match draft.filter(|k| crate::requesting::valid_key(k)) {
        Some(key) => load_draft(&key).await.filter(|s| s.module == module).map(|s| (key, s)),
        None => None,
    };
    let (key, draft, show_errors, submit_error) = match stored {
        Some((key, s)) => (key, s.draft, s.show_errors, s.submit_error),
        None => {
            let environment = state.settings.environments.first().map(|e| e.name.clone()).unwrap_or_default();
            let draft = request::Draft {
                inputs: request::initial_state(&found, &environment),
                environment,
                team: teams.first().cloned().unwrap_or_default(),
                ..request::Draft::default()
            };
            (uuid::Uuid::new_v4().to_string(), draft, false, None)
        }
    };
    let prepared = crate::requesting::prepare(&state.settings, &found, &draft, &me, None);
    Ok(FormPage {
        module: (*found).clone(),
        environments: state.settings.environments.clone(),
        teams,
        draft,
        key,
        show_errors,
        prepared,
        submit_error,
        editing: None,
    })
}

#[cfg(feature = "ssr")]
pub(super) async fn load_draft(key: &str) -> Option<model::StoredDraft> {
    let parts = use_context::<http::request::Parts>()?;
    let session = parts.extensions.get::<tower_sessions::Session>()?.clone();
    session.get::<model::StoredDraft>(&model::draft_session_key(key)).await.ok().flatten()
}

/// Checks and previews the form as it is now (the browser calls this as the user types).
#[server(prefix = "/api", endpoint = "request_preview", input = leptos::server_fn::codec::Json)]
pub async fn preview_request(
    module: String,
    pairs: Vec<(String, String)>,
    editing: Option<i64>,
) -> Result<Prepared, AppError> {
    let me = crate::state::require_me()?;
    let state = crate::state::app_state()?;
    if let Some(number) = editing {
        let base = crate::requesting::edit_base(&state.db, &me, number)
            .await
            .map_err(AppError::Invalid)?
            .ok_or_else(|| AppError::Invalid(format!("There is no request #{number} you can edit.")))?;
        let (mut draft, _, _) = request::Draft::from_pairs(pairs);
        base.fix(&mut draft);
        return Ok(crate::requesting::prepare_with(
            &state.settings,
            &base.module,
            &draft,
            &me,
            Some(number),
            Some(&base),
        ));
    }
    let Some(found) = crate::requesting::module(&state, &module) else {
        return Err(AppError::Invalid(format!("There is no module {module:?} in the catalog.")));
    };
    let (draft, _, _) = request::Draft::from_pairs(pairs);
    Ok(crate::requesting::prepare(&state.settings, &found, &draft, &me, None))
}

#[component]
pub fn NewRequestPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let page = Resource::new_blocking(
        move || (params.read().get("module").unwrap_or_default(), query.read().get("draft")),
        |(module, draft)| load_request_form(module, draft),
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <RequestForm page /> }.into_any(),
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub(super) fn RequestForm(page: FormPage) -> impl IntoView {
    let FormPage { module, environments, teams, draft, key, show_errors, prepared, submit_error, editing } = page;
    let prepared = RwSignal::new(prepared);
    let show_all = RwSignal::new(show_errors);
    let touched = RwSignal::new(std::collections::BTreeSet::<String>::new());
    let module = StoredValue::new(module);
    let errors_for = move |field: &str| -> Vec<String> {
        let field = field.to_owned();
        if !show_all.get() && !touched.with(|t| t.contains(&field)) {
            return Vec::new();
        }
        prepared.with(|p| p.evaluation.errors_for(&field).map(FieldError::to_string).collect())
    };
    let on_input = live_checks(module, prepared, touched, editing.map(|e| e.number));
    let id = module.with_value(|m| m.id.clone());
    let title = module.with_value(|m| m.title.clone());
    let environment = draft.environment.clone();
    let action = match editing {
        Some(e) => format!("/requests/{}/edit", e.number),
        None => format!("/requests/new/{id}"),
    };
    let (basic, advanced): (Vec<Field>, Vec<Field>) =
        module.with_value(|m| m.fields.iter().filter(|f| shown(f)).cloned().partition(|f| !f.advanced));
    let state = StoredValue::new(draft.inputs.clone());
    let field_view = move |field: Field| {
        let env = environment.clone();
        state.with_value(|s| view! { <InputField field environment=env state=s.clone() errors_for /> })
    };
    let basic_views = basic.into_iter().map(field_view.clone()).collect_view();
    let advanced_count = advanced.len();
    let advanced_views = advanced.into_iter().map(field_view).collect_view();
    let checks = Signal::derive(move || prepared.with(|p| p.evaluation.checks.clone()));
    let preview = Signal::derive(move || prepared.with(|p| p.preview.clone()));
    let all_errors = Signal::derive(move || prepared.with(|p| p.evaluation.errors.clone()));

    view! {
        <Title text=format!("Request: {title}") />
        <div class="request-layout">
            <section class="panel">
                {match editing {
                    Some(e) => view! {
                        <p><a href=format!("/requests/{}", e.number)>{format!("← Request #{}", e.number)}</a></p>
                        <h1>{format!("Edit request #{}: {title}", e.number)}</h1>
                        <p class="muted">{format!("Saving makes revision {}: a new commit on the same pull request, routed again for the inputs that changed.", e.next_revision)}</p>
                    }.into_any(),
                    None => view! {
                        <p><a href="/requests/new">"← All modules"</a></p>
                        <h1>{title.clone()}</h1>
                    }.into_any(),
                }}
                <p class="muted">{module.with_value(|m| m.description.clone())}</p>
                {submit_error.map(|e| view! { <p class="flash flash-error" role="alert" data-testid="submit-error">{e}</p> })}
                <form method="post" action=action class="request-form" novalidate=true on:input=on_input.clone() on:change=on_input
                    data-testid="request-form">
                    <input type="hidden" name=control::KEY value=key />
                    {match editing {
                        Some(e) => view! {
                            <input type="hidden" name=control::VERSION value=e.version.to_string() />
                            <input type="hidden" name=control::TEAM value=draft.team.clone() />
                            <input type="hidden" name=control::ENVIRONMENT value=draft.environment.clone() />
                            <input type="hidden" name=control::INSTANCE_NAME value=draft.instance_name.clone() />
                            <fieldset>
                                <legend>"Request"</legend>
                                <dl class="facts" data-testid="edit-fixed">
                                    <dt>"Team"</dt><dd>{draft.team.clone()}</dd>
                                    <dt>"Environment"</dt><dd>{draft.environment.clone()}</dd>
                                    <dt>"Instance name"</dt><dd><code>{draft.instance_name.clone()}</code></dd>
                                </dl>
                                <small>"A different team, environment or name is a new request."</small>
                            </fieldset>
                        }.into_any(),
                        None => view! {
                            <fieldset>
                                <legend>"Request"</legend>
                                <div class="field">
                                    <label for="f-team">"Team"</label>
                                    <select id="f-team" name=control::TEAM>
                                        {teams.iter().map(|t| view! { <option value=t.clone() selected=*t == draft.team>{t.clone()}</option> }).collect_view()}
                                    </select>
                                    <FieldErrors errors=Signal::derive(move || errors_for(request::TEAM)) />
                                </div>
                                <div class="field">
                                    <label for="f-environment">"Environment"</label>
                                    <select id="f-environment" name=control::ENVIRONMENT>
                                        {environments.iter().map(|e| {
                                            let label = format!("{} (account {}, {})", e.name, e.aws_account_id, e.region);
                                            view! { <option value=e.name.clone() selected=e.name == draft.environment>{label}</option> }
                                        }).collect_view()}
                                    </select>
                                    <button type="submit" name=control::OP value="environment" class="secondary small" formnovalidate=true>
                                        "Apply environment"
                                    </button>
                                    <small>"Limits and fixed values depend on the environment."</small>
                                    <FieldErrors errors=Signal::derive(move || errors_for(request::ENVIRONMENT)) />
                                </div>
                                <div class="field">
                                    <label for="f-instance-name">"Instance name" <span class="required" aria-hidden="true">" *"</span></label>
                                    <input type="text" id="f-instance-name" name=control::INSTANCE_NAME value=draft.instance_name.clone()
                                        autocomplete="off" spellcheck="false" aria-describedby="f-instance-name-help"
                                        placeholder=module.with_value(|m| m.naming.example.clone().unwrap_or_default()) />
                                    <small id="f-instance-name-help">{module.with_value(|m| format!(
                                        "Lowercase letters, digits and '-', at most {} characters; unique in the environment.", m.naming.max_length))}</small>
                                    <FieldErrors errors=Signal::derive(move || errors_for(request::INSTANCE_NAME)) />
                                </div>
                            </fieldset>
                        }.into_any(),
                    }}
                    <fieldset>
                        <legend>"Settings"</legend>
                        {basic_views}
                    </fieldset>
                    {(advanced_count > 0).then(|| view! {
                        <details class="advanced">
                            <summary>{format!("Advanced settings ({advanced_count})")}</summary>
                            {advanced_views}
                        </details>
                    })}
                    <div class="field">
                        <label for="f-justification">"Justification"</label>
                        <textarea id="f-justification" name=control::JUSTIFICATION rows="3"
                            placeholder="Why is this needed? Reviewers read this.">{draft.justification.clone()}</textarea>
                        <FieldErrors errors=Signal::derive(move || errors_for(request::JUSTIFICATION)) />
                    </div>
                    <div class="actions">
                        <button type="submit" name=control::OP value="submit" data-testid="submit">
                            {match editing {
                                Some(e) => format!("Save revision {}", e.next_revision),
                                None => "Submit request".to_owned(),
                            }}
                        </button>
                        <button type="submit" name=control::OP value="preview" class="secondary" formnovalidate=true>"Preview"</button>
                    </div>
                </form>
            </section>
            <aside class="panel side">
                <PreviewPanel preview errors=all_errors before_submit=true />
                <ChecksList checks />
            </aside>
        </div>
    }
}

/// Inputs the user fills in: not hidden, not fixed, not sensitive (the reference input
/// for a sensitive variable is an ordinary input and is shown).
fn shown(field: &Field) -> bool {
    field.presence == Presence::Input
}

#[component]
fn InputField(
    field: Field,
    environment: String,
    state: domain::form::FormState,
    errors_for: impl Fn(&str) -> Vec<String> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let name = field.name.clone();
    let id = control_id(&name);
    let help_id = format!("{id}-help");
    let required = field.required_in(&environment);
    let fixed = field.fixed_in(&environment);
    let help = field.help.clone();
    let label = field.label.clone();
    let errors = Signal::derive({
        let name = name.clone();
        move || errors_for(&name)
    });
    let control = match &fixed {
        Some(value) => view! {
            <p class="fixed" data-testid=format!("fixed-{name}")>
                <code>{value.to_string()}</code> " " <small>{format!("fixed in {environment} by the catalog")}</small>
            </p>
        }
        .into_any(),
        None => input_controls(&field, &environment, &state, help_id.clone()),
    };
    view! {
        <div class="field" id=format!("field-{name}") data-field=name.clone()>
            <label for=id>{label} {required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}</label>
            {control}
            <small id=help_id>{help.unwrap_or_default()} {required.then_some(" Required.")}</small>
            <FieldErrors errors />
        </div>
    }
}

#[component]
fn FieldErrors(#[prop(into)] errors: Signal<Vec<String>>) -> impl IntoView {
    view! {
        {move || {
            let errors = errors.get();
            (!errors.is_empty()).then(|| view! {
                <ul class="field-errors" role="alert">
                    {errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
                </ul>
            })
        }}
    }
}
