//! Editing a request in review (`/requests/:number/edit`): the same form, loaded from the
//! stored revision, with team, environment and instance name fixed.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::RequestForm;
#[cfg(feature = "ssr")]
use super::model;
use super::model::FormPage;
use crate::error::AppError;
use crate::pages::errors::LoadError;

/// The form of an existing request, for a new revision (`/requests/:number/edit`).
#[server(prefix = "/api", endpoint = "edit_form")]
pub async fn load_edit_form(number: i64, draft: Option<String>) -> Result<FormPage, AppError> {
    use crate::state::{app_state, require_me};
    let me = require_me()?;
    let state = app_state()?;
    let base = match crate::requesting::edit_base(&state.db, &me, number).await {
        Ok(Some(base)) => base,
        Ok(None) => {
            crate::state::set_status(http::StatusCode::NOT_FOUND);
            return Err(AppError::Invalid(format!("There is no request #{number} you can edit.")));
        }
        Err(why) => {
            crate::state::set_status(http::StatusCode::CONFLICT);
            return Err(AppError::Invalid(why));
        }
    };
    let stored = match draft.filter(|k| crate::requesting::valid_key(k)) {
        Some(key) => super::load_draft(&key).await.filter(|s| s.module == base.session_module()).map(|s| (key, s)),
        None => None,
    };
    let (key, mut draft, show_errors, submit_error, version) = match stored {
        Some((key, s)) => (key, s.draft, s.show_errors, s.submit_error, s.version.unwrap_or(base.version)),
        None => (uuid::Uuid::new_v4().to_string(), base.draft(), false, None, base.version),
    };
    base.fix(&mut draft);
    let prepared =
        crate::requesting::prepare_with(&state.settings, &base.module, &draft, &me, Some(number), Some(&base));
    Ok(FormPage {
        module: (*base.module).clone(),
        environments: state.settings.environments.clone(),
        teams: vec![base.team.clone()],
        draft,
        key,
        show_errors,
        prepared,
        submit_error,
        editing: Some(model::Editing { number, version, next_revision: base.revision + 1 }),
    })
}

#[component]
pub fn EditRequestPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let page = Resource::new_blocking(
        move || {
            let number = params.read().get("number").and_then(|n| n.parse::<i64>().ok());
            (number, query.read().get("draft"))
        },
        |(number, draft)| async move {
            match number {
                Some(n) => load_edit_form(n, draft).await,
                None => {
                    Err(AppError::Invalid("A request number is a whole number, e.g. /requests/42/edit.".to_owned()))
                }
            }
        },
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
