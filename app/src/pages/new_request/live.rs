//! The browser side of the form: on every change, check it with the domain code compiled to
//! wasm (instant field errors), then ask the server for the preview (debounced, newest wins).

use domain::catalog::Module;
#[cfg(target_arch = "wasm32")]
use domain::request::{self, Draft, control};
use leptos::prelude::*;

use super::model::Prepared;
#[cfg(target_arch = "wasm32")]
use super::preview_request;

/// The browser side: on every change, check the form with the domain code compiled to wasm
/// (instant field errors), then ask the server for the preview (debounced).
pub(super) fn live_checks(
    module: StoredValue<Module>,
    prepared: RwSignal<Prepared>,
    touched: RwSignal<std::collections::BTreeSet<String>>,
    editing: Option<i64>,
) -> impl Fn(leptos::ev::Event) + Clone + 'static {
    #[cfg(target_arch = "wasm32")]
    {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU64, Ordering};
        let sequence = Arc::new(AtomicU64::new(0));
        let pending: StoredValue<Option<leptos::prelude::TimeoutHandle>, LocalStorage> = StoredValue::new_local(None);
        move |ev: leptos::ev::Event| {
            use wasm_bindgen::JsCast;
            let Some(form) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok()) else {
                return;
            };
            if let Some(name) =
                ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).and_then(|e| e.get_attribute("name"))
            {
                let field = match name.as_str() {
                    control::TEAM => request::TEAM.to_owned(),
                    control::ENVIRONMENT => request::ENVIRONMENT.to_owned(),
                    control::INSTANCE_NAME => request::INSTANCE_NAME.to_owned(),
                    control::JUSTIFICATION => request::JUSTIFICATION.to_owned(),
                    other => request::top_level(other).to_owned(),
                };
                touched.update(|t| {
                    t.insert(field);
                });
                // Limits and fixed values depend on the environment: load the form for it.
                if name == control::ENVIRONMENT && ev.type_() == "change" {
                    let button = form
                        .query_selector("button[value=environment]")
                        .ok()
                        .flatten()
                        .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
                    let _ = form.request_submit_with_submitter(button.as_ref());
                    return;
                }
            }
            let pairs = form_pairs(&form);
            let (draft, _, _) = Draft::from_pairs(pairs.clone());
            let evaluation = module.with_value(|m| request::evaluate(m, &draft));
            prepared.update(|p| p.evaluation = evaluation);
            if let Some(handle) = pending.get_value() {
                handle.clear();
            }
            let id = module.with_value(|m| m.id.clone());
            let this = sequence.fetch_add(1, Ordering::SeqCst) + 1;
            let sequence = sequence.clone();
            let handle = set_timeout_with_handle(
                move || {
                    leptos::task::spawn_local(async move {
                        if let Ok(fresh) = preview_request(id, pairs, editing).await
                            && sequence.load(Ordering::SeqCst) == this
                        {
                            prepared.set(fresh);
                        }
                    });
                },
                std::time::Duration::from_millis(300),
            )
            .ok();
            pending.set_value(handle);
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (module, prepared, touched, editing);
        |_ev: leptos::ev::Event| {}
    }
}

#[cfg(target_arch = "wasm32")]
fn form_pairs(form: &web_sys::HtmlFormElement) -> Vec<(String, String)> {
    let Ok(data) = web_sys::FormData::new_with_form(form) else { return Vec::new() };
    let Ok(Some(iter)) = js_sys::try_iter(&data) else { return Vec::new() };
    iter.filter_map(Result::ok)
        .filter_map(|entry| {
            let pair = js_sys::Array::from(&entry);
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}
