//! Request lists: "My requests", "My team's requests" and, for reviewers and admins, "All
//! requests"; newest first, filtered by status, environment and module, searchable by
//! instance name or request number, paginated by request number (keyset). The filters are a
//! plain GET form, so every view has a link of its own.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::pages::errors::LoadError;

pub const PAGE_SIZE: u32 = 25;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListFilters {
    /// `mine`, `team` or `all`.
    pub scope: String,
    pub status: String,
    pub environment: String,
    pub module: String,
    pub q: String,
    pub before: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRow {
    pub number: i64,
    pub module: String,
    pub environment: String,
    pub team: String,
    pub instance_name: String,
    pub status: String,
    pub status_label: String,
    pub requester: String,
    pub created_at_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage {
    pub filters: ListFilters,
    pub rows: Vec<ListRow>,
    pub next_before: Option<i64>,
    pub can_see_all: bool,
    pub environments: Vec<String>,
    pub modules: Vec<String>,
    pub statuses: Vec<(String, String)>,
}

#[server(prefix = "/api", endpoint = "request_list")]
pub async fn load_request_list(filters: ListFilters) -> Result<ListPage, AppError> {
    use backend::requests::{ListQuery, Scope};
    use domain::request::Status;
    let me = crate::state::require_me()?;
    let state = crate::state::app_state()?;
    let can_see_all = me.is_admin || me.is_reviewer();
    let mut filters = filters;
    let scope = match filters.scope.as_str() {
        "all" if can_see_all => Scope::All,
        "team" => Scope::MyTeams { user_id: me.id },
        "mine" => Scope::Mine { user_id: me.id },
        _ => {
            filters.scope = "mine".to_owned();
            Scope::Mine { user_id: me.id }
        }
    };
    let status = match filters.status.as_str() {
        "" => None,
        s => Some(s.parse::<Status>().map_err(|_| AppError::Invalid(format!("Unknown status {s:?}.")))?),
    };
    let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let query = ListQuery {
        scope,
        status,
        environment: non_empty(&filters.environment),
        module: non_empty(&filters.module),
        search: non_empty(&filters.q),
        before: filters.before,
        limit: PAGE_SIZE,
    };
    let page = backend::requests::list(&state.db, &query).await.map_err(AppError::internal)?;
    let rows = page
        .rows
        .into_iter()
        .map(|r| ListRow {
            number: r.number,
            module: r.module_id,
            environment: r.environment,
            team: r.team,
            instance_name: r.instance_name,
            status: r.status.as_str().to_owned(),
            status_label: r.status.label().to_owned(),
            requester: r.requester,
            created_at_ms: r.created_at_ms,
        })
        .collect();
    Ok(ListPage {
        filters,
        rows,
        next_before: page.next_before,
        can_see_all,
        environments: state.settings.environments.iter().map(|e| e.name.clone()).collect(),
        modules: state.catalog.current().catalog.modules.keys().cloned().collect(),
        statuses: Status::ALL.iter().map(|s| (s.as_str().to_owned(), s.label().to_owned())).collect(),
    })
}

#[component]
pub fn RequestsPage() -> impl IntoView {
    let query = use_query_map();
    let page = Resource::new_blocking(
        move || {
            query.with(|q| {
                let get = |k: &str| q.get(k).unwrap_or_default();
                ListFilters {
                    scope: get("scope"),
                    status: get("status"),
                    environment: get("environment"),
                    module: get("module"),
                    q: get("q"),
                    before: q.get("before").and_then(|b| b.parse().ok()),
                }
            })
        },
        load_request_list,
    );
    view! {
        <Title text="Requests" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <RequestList page /> }.into_any(),
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn option_list(options: Vec<(String, String)>, current: &str, any: &'static str) -> impl IntoView + use<> {
    let current = current.to_owned();
    view! {
        <option value="" selected=current.is_empty()>{any}</option>
        {options.into_iter().map(|(value, label)| {
            let selected = value == current;
            view! { <option value=value selected=selected>{label}</option> }
        }).collect_view()}
    }
}

#[component]
fn RequestList(page: ListPage) -> impl IntoView {
    let f = page.filters.clone();
    let mut scopes = vec![("mine", "My requests"), ("team", "My teams' requests")];
    if page.can_see_all {
        scopes.push(("all", "All requests"));
    }
    let link_for = |scope: &str| format!("/requests?scope={scope}");
    let next = page.next_before.map(|before| {
        let mut url = url_with(&f, "before", &before.to_string());
        url.push_str("#results");
        url
    });
    let first = f.before.map(|_| url_with(&f, "before", ""));
    let heading = scopes.iter().find(|(s, _)| *s == f.scope).map_or("My requests", |(_, l)| *l);
    let empty = page.rows.is_empty();
    let status_options = option_list(page.statuses, &f.status, "any");
    let environment_options =
        option_list(page.environments.into_iter().map(|e| (e.clone(), e)).collect(), &f.environment, "any");
    let module_options = option_list(page.modules.into_iter().map(|m| (m.clone(), m)).collect(), &f.module, "any");
    let filtered = !(f.status.is_empty() && f.environment.is_empty() && f.module.is_empty() && f.q.is_empty());
    view! {
        <section class="panel">
            <h1>{heading}</h1>
            <nav class="tabs" aria-label="Which requests">
                {scopes.iter().map(|(scope, label)| view! {
                    <a href=link_for(scope) aria-current=(f.scope == *scope).then_some("page")>{*label}</a>
                }).collect_view()}
                <a href="/requests/new" class="button">"New request"</a>
            </nav>
            <form method="get" action="/requests" class="filters" role="search">
                <input type="hidden" name="scope" value=f.scope.clone() />
                <label>"Status " <select name="status">{status_options}</select></label>
                <label>"Environment " <select name="environment">{environment_options}</select></label>
                <label>"Module " <select name="module">{module_options}</select></label>
                <label>"Search " <input type="search" name="q" value=f.q.clone() placeholder="instance name or #number" /></label>
                <button type="submit">"Filter"</button>
            </form>
            {if empty {
                let message = if filtered { "No requests match these filters." } else { "No requests yet. Start one from the catalog." };
                view! { <p class="muted" data-testid="requests-empty">{message}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" id="results">
                        <table data-testid="requests-table">
                            <thead><tr>
                                <th scope="col">"#"</th><th scope="col">"Instance"</th><th scope="col">"Module"</th>
                                <th scope="col">"Environment"</th><th scope="col">"Team"</th><th scope="col">"Requester"</th>
                                <th scope="col">"Status"</th><th scope="col">"Created"</th>
                            </tr></thead>
                            <tbody>
                                {page.rows.into_iter().map(|r| view! {
                                    <tr>
                                        <td><a href=format!("/requests/{}", r.number)>{format!("#{}", r.number)}</a></td>
                                        <td><code>{r.instance_name}</code></td>
                                        <td>{r.module}</td>
                                        <td>{r.environment}</td>
                                        <td>{r.team}</td>
                                        <td>{r.requester}</td>
                                        <td><span class=format!("status status-{}", r.status)>{r.status_label}</span></td>
                                        <td><time>{crate::pages::format_time(r.created_at_ms)}</time></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <nav class="pager" aria-label="Pages">
                {first.map(|href| view! { <a href=href>"← Newest"</a> })}
                {next.map(|href| view! { <a href=href rel="next">"Older →"</a> })}
            </nav>
        </section>
    }
}

/// The list URL with the current filters and `key` set to `value` (dropped when empty).
fn url_with(f: &ListFilters, key: &str, value: &str) -> String {
    let before = f.before.map(|b| b.to_string()).unwrap_or_default();
    let pairs = [
        ("scope", f.scope.as_str()),
        ("status", f.status.as_str()),
        ("environment", f.environment.as_str()),
        ("module", f.module.as_str()),
        ("q", f.q.as_str()),
        ("before", before.as_str()),
    ];
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| (*k, if *k == key { value } else { *v }))
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    format!("/requests?{}", query.join("&"))
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
