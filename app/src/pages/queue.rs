//! The reviewers' approval queue (`/queue`): requests in review routed to any of the
//! reviewer's teams, oldest first, with their SLA (overdue highlighted), filters and pages.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::pages::errors::{Forbidden, LoadError};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueFilters {
    pub environment: String,
    pub module: String,
    pub team: String,
    /// `created_at_ms-number` of the last row of the previous page.
    pub after: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRow {
    pub number: i64,
    pub instance_name: String,
    pub module_id: String,
    pub environment: String,
    pub team: String,
    pub requester: String,
    pub created_at_ms: i64,
    pub routing: String,
    pub due_ms: Option<i64>,
    pub overdue: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub my_teams: Vec<String>,
    pub rows: Vec<QueueRow>,
    pub next: Option<String>,
    pub filters: QueueFilters,
}

#[server(prefix = "/api", endpoint = "queue")]
pub async fn load_queue(filters: QueueFilters) -> Result<QueueView, AppError> {
    let me = crate::state::require_reviewer()?;
    let state = crate::state::app_state()?;
    let my_teams: Vec<String> = me.teams.iter().filter(|t| t.reviewing).map(|t| t.slug.clone()).collect();
    let non_empty = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let after = filters.after.split_once('-').and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
    let query = backend::requests::QueueQuery {
        teams: my_teams.clone(),
        environment: non_empty(&filters.environment),
        module: non_empty(&filters.module),
        team: non_empty(&filters.team),
        after,
        limit: 50,
    };
    let page = backend::requests::queue(&state.db, &query).await.map_err(AppError::internal)?;
    let now = state.clock.now_ms();
    let rows = page
        .items
        .into_iter()
        .map(|i| {
            let routing: Option<domain::routing::RoutingOutcome> = serde_json::from_value(i.routing).ok();
            let sla = routing.as_ref().and_then(|r| r.sla_hours);
            let due_ms = sla.map(|h| state.settings.routing.due_at(i.created_at_ms, h));
            QueueRow {
                number: i.number,
                instance_name: i.instance_name,
                module_id: i.module_id,
                environment: i.environment,
                team: i.team,
                requester: i.requester,
                created_at_ms: i.created_at_ms,
                routing: routing.map(|r| r.summary()).unwrap_or_default(),
                due_ms,
                overdue: due_ms.is_some_and(|d| now > d),
            }
        })
        .collect();
    Ok(QueueView { my_teams, rows, next: page.next_after.map(|(a, b)| format!("{a}-{b}")), filters })
}

#[component]
pub fn QueuePage() -> impl IntoView {
    let query = use_query_map();
    let page = Resource::new_blocking(
        move || {
            query.with(|q| {
                let get = |k: &str| q.get(k).unwrap_or_default();
                QueueFilters {
                    environment: get("environment"),
                    module: get("module"),
                    team: get("team"),
                    after: get("after"),
                }
            })
        },
        load_queue,
    );
    view! {
        <Title text="Approval queue" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(view) => view! { <QueueBody view /> }.into_any(),
                    Err(AppError::Forbidden) => view! { <Forbidden /> }.into_any(),
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn QueueBody(view: QueueView) -> impl IntoView {
    let f = view.filters.clone();
    let next_link = view.next.clone().map(|after| {
        format!(
            "/queue?environment={}&module={}&team={}&after={after}",
            urlencode(&f.environment),
            urlencode(&f.module),
            urlencode(&f.team)
        )
    });
    view! {
        <section class="panel">
            <h1>"Approval queue"</h1>
            <p>"Requests in review routed to your teams (" {view.my_teams.join(", ")} "), oldest first."</p>
            <form method="get" action="/queue" class="filters">
                <label>"Team " <select name="team">
                    <option value="">"all my teams"</option>
                    {view.my_teams.iter().map(|t| view! { <option value=t.clone() selected=*t == f.team>{t.clone()}</option> }).collect_view()}
                </select></label>
                <label>"Environment " <input name="environment" value=f.environment.clone() size="10" /></label>
                <label>"Module " <input name="module" value=f.module.clone() size="14" /></label>
                <button type="submit" class="secondary">"Filter"</button>
            </form>
            {if view.rows.is_empty() {
                view! { <p class="empty" data-testid="queue-empty">"Nothing is waiting for your teams."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table data-testid="queue-table">
                            <thead><tr><th scope="col">"Request"</th><th scope="col">"Module"</th><th scope="col">"Environment"</th><th scope="col">"Team"</th><th scope="col">"Requested"</th><th scope="col">"Due"</th><th scope="col">"Reviewers"</th></tr></thead>
                            <tbody>
                                {view.rows.iter().map(|r| view! {
                                    <tr class:overdue=r.overdue>
                                        <td><a href=format!("/requests/{}", r.number)>{format!("#{} ", r.number)} <code>{r.instance_name.clone()}</code></a></td>
                                        <td>{r.module_id.clone()}</td>
                                        <td>{r.environment.clone()}</td>
                                        <td>{r.team.clone()} " (" {r.requester.clone()} ")"</td>
                                        <td>{crate::pages::format_time(r.created_at_ms)}</td>
                                        <td>{match r.due_ms {
                                            Some(d) if r.overdue => format!("overdue since {}", crate::pages::format_time(d)),
                                            Some(d) => crate::pages::format_time(d),
                                            None => "—".to_owned(),
                                        }}</td>
                                        <td>{r.routing.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            {next_link.map(|href| view! { <p><a href=href>"Next page →"</a></p> })}
        </section>
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
