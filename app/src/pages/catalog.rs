//! "New request": the catalog's modules by category. Admins also see the modules that did
//! not load and why, and can reload the catalog from disk.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::pages::errors::LoadError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleCard {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub risk_tier: String,
    pub owner_team: String,
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogPage {
    pub modules: Vec<ModuleCard>,
    /// Only for admins: problems of the last load, `file:line: message (fix)`.
    pub problems: Vec<String>,
    pub is_admin: bool,
    pub can_request: bool,
}

#[server(prefix = "/api", endpoint = "catalog_page")]
pub async fn load_catalog_page() -> Result<CatalogPage, AppError> {
    let me = crate::state::require_me()?;
    let state = crate::state::app_state()?;
    let loaded = state.catalog.current();
    let mut modules: Vec<ModuleCard> = loaded
        .catalog
        .modules
        .values()
        .map(|m| ModuleCard {
            id: m.id.clone(),
            title: m.title.clone(),
            description: m.description.clone(),
            category: m.category.clone(),
            risk_tier: format!("{:?}", m.risk_tier).to_lowercase(),
            owner_team: m.owner_team.clone(),
            source: m.source.to_string(),
        })
        .collect();
    modules.sort_by(|a, b| (&a.category, &a.title).cmp(&(&b.category, &b.title)));
    let problems =
        if me.is_admin { loaded.catalog.errors.iter().map(ToString::to_string).collect() } else { Vec::new() };
    Ok(CatalogPage { modules, problems, is_admin: me.is_admin, can_request: me.can_request() })
}

#[component]
pub fn CatalogPage() -> impl IntoView {
    let page = Resource::new_blocking(|| (), |_| load_catalog_page());
    view! {
        <Title text="New request" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <CatalogBody page /> }.into_any(),
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CatalogBody(page: CatalogPage) -> impl IntoView {
    let mut categories: Vec<(String, Vec<ModuleCard>)> = Vec::new();
    for m in page.modules {
        match categories.last_mut() {
            Some((c, list)) if *c == m.category => list.push(m),
            _ => categories.push((m.category.clone(), vec![m])),
        }
    }
    let empty = categories.is_empty();
    view! {
        <section class="panel">
            <h1>"New request"</h1>
            {(!page.can_request).then(|| view! {
                <p class="flash flash-error" role="alert">"You are not in any team yet, so you cannot request anything. Ask an Infradesk admin to add you to your team."</p>
            })}
            <p>"Pick what you need. The form only asks for what matters; SRE's defaults fill in the rest."</p>
            {empty.then(|| view! { <p class="muted" data-testid="catalog-empty">"The catalog has no modules. An admin can check the catalog directory and reload it."</p> })}
            {categories.into_iter().map(|(category, modules)| view! {
                <h2>{category}</h2>
                <ul class="cards">
                    {modules.into_iter().map(|m| view! {
                        <li class="card" data-module=m.id.clone()>
                            <h3><a href=format!("/requests/new/{}", m.id)>{m.title}</a></h3>
                            <p>{m.description}</p>
                            <p class="muted"><span class=format!("badge risk-{}", m.risk_tier)>{format!("{} risk", m.risk_tier)}</span>
                                " · owned by " {m.owner_team} " · " <code>{m.source}</code></p>
                        </li>
                    }).collect_view()}
                </ul>
            }).collect_view()}
            {page.is_admin.then(|| view! {
                <h2>"Catalog status"</h2>
                {if page.problems.is_empty() {
                    view! { <p data-testid="catalog-problems">"Every module loaded."</p> }.into_any()
                } else {
                    view! {
                        <ul class="field-errors" data-testid="catalog-problems">
                            {page.problems.into_iter().map(|p| view! { <li><code>{p}</code></li> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                <form method="post" action="/admin/catalog/reload">
                    <button type="submit" class="secondary" data-testid="reload-catalog">"Reload the catalog from disk"</button>
                </form>
            })}
        </section>
    }
}
