//! The reviewers' approval queue (`/queue`): open requests routed to any of the reviewer's
//! teams and still needing them (approvals, or accepting a change made outside Infradesk),
//! oldest first, with their SLA (overdue highlighted), filters (status, team, environment,
//! module, "needs me") with counts over open requests, and pages.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::pages::errors::{Forbidden, LoadError};

/// What a request with complete approvals waits on while its pull request is marked as
/// changed outside Infradesk.
pub const OUTSIDE_CHANGE: &str =
    "a reviewer to accept the change made outside Infradesk (or the requesting team to re-render)";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueFilters {
    pub environment: String,
    pub module: String,
    pub team: String,
    /// `in_review` (also when empty), `changes_requested` or `open`.
    pub status: String,
    /// `1`: only what the reviewer can approve now.
    pub mine: String,
    /// `created_at_ms-number` of the last row of the previous page.
    pub after: String,
}

impl QueueFilters {
    /// The query string of these filters (without `after`).
    fn query(&self) -> String {
        let mut q = format!(
            "status={}&team={}&environment={}&module={}",
            urlencode(&self.status),
            urlencode(&self.team),
            urlencode(&self.environment),
            urlencode(&self.module)
        );
        if self.mine == "1" {
            q.push_str("&mine=1");
        }
        q
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRow {
    pub number: i64,
    pub instance_name: String,
    pub module_id: String,
    pub environment: String,
    pub team: String,
    pub requester: String,
    pub status: String,
    pub created_at_ms: i64,
    /// How long ago it was requested, e.g. "3 h" (worked out on the server).
    pub age: String,
    pub routing: String,
    pub due_ms: Option<i64>,
    pub overdue: bool,
    /// e.g. "sre: 1 more", or [`OUTSIDE_CHANGE`] when the approvals are complete but wait for
    /// a change made outside Infradesk to be accepted.
    pub waiting_on: String,
    pub needs_me: bool,
}

/// One choice of a filter with how many open requests it would list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub count: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub my_teams: Vec<String>,
    pub rows: Vec<QueueRow>,
    pub next: Option<String>,
    pub filters: QueueFilters,
    /// How many the filters list in all.
    pub listed: i64,
    pub teams: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub environments: Vec<Choice>,
    pub modules: Vec<Choice>,
    pub needs_me: i64,
}

#[server(prefix = "/api", endpoint = "queue")]
pub async fn load_queue(filters: QueueFilters) -> Result<QueueView, AppError> {
    use backend::requests::QueueStatus;
    let me = crate::state::require_reviewer()?;
    let state = crate::state::app_state()?;
    let my_teams: Vec<String> = me.teams.iter().filter(|t| t.reviewing).map(|t| t.slug.clone()).collect();
    let non_empty = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let after = filters.after.split_once('-').and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
    let status = QueueStatus::parse(&filters.status);
    let query = backend::requests::QueueQuery {
        teams: my_teams.clone(),
        user_id: me.id,
        environment: non_empty(&filters.environment),
        module: non_empty(&filters.module),
        team: non_empty(&filters.team),
        status,
        needs_me: filters.mine == "1",
        after,
        limit: 50,
    };
    let page = backend::requests::queue(&state.db, &query).await.map_err(AppError::internal)?;
    let counts = backend::requests::queue_counts(&state.db, &query).await.map_err(AppError::internal)?;
    let now = state.clock.now_ms();
    let rows = page
        .items
        .into_iter()
        .map(|i| {
            let waiting_on: Vec<String> = if i.waits_for_outside_change() {
                vec![OUTSIDE_CHANGE.to_owned()]
            } else {
                i.waiting_on.iter().map(|(t, n)| format!("{t}: {n} more")).collect()
            };
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
                status: i.status.parse::<domain::request::Status>().map(|s| s.label().to_owned()).unwrap_or(i.status),
                created_at_ms: i.created_at_ms,
                age: age_text(now - i.created_at_ms),
                routing: routing.map(|r| r.summary()).unwrap_or_default(),
                due_ms,
                overdue: due_ms.is_some_and(|d| now > d),
                waiting_on: waiting_on.join(", "),
                needs_me: i.needs_me,
            }
        })
        .collect();
    let choices = |values: Vec<(String, i64)>, chosen: &str| {
        let mut out: Vec<Choice> =
            values.into_iter().map(|(value, count)| Choice { label: value.clone(), value, count }).collect();
        // A value given in the URL that no open request has stays selectable, with 0.
        if !chosen.is_empty() && !out.iter().any(|c| c.value == chosen) {
            out.push(Choice { value: chosen.to_owned(), label: chosen.to_owned(), count: 0 });
        }
        out
    };
    let filters = QueueFilters { status: status.as_str().to_owned(), ..filters };
    Ok(QueueView {
        my_teams,
        rows,
        next: page.next_after.map(|(a, b)| format!("{a}-{b}")),
        listed: counts.listed,
        teams: choices(counts.teams, ""),
        statuses: counts
            .statuses
            .into_iter()
            .map(|(s, count)| Choice { value: s.as_str().to_owned(), label: s.label().to_owned(), count })
            .collect(),
        environments: choices(counts.environments, filters.environment.trim()),
        modules: choices(counts.modules, filters.module.trim()),
        needs_me: counts.needs_me,
        filters,
    })
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
                    status: get("status"),
                    mine: get("mine"),
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
    let next_link = view.next.clone().map(|after| format!("/queue?{}&after={after}", f.query()));
    let select = |name: &'static str, any: &'static str, choices: &[Choice], chosen: &str| {
        let chosen = chosen.trim().to_owned();
        view! {
            <select name=name id=format!("queue-{name}")>
                {(!any.is_empty()).then(|| view! { <option value="">{any}</option> })}
                {choices.iter().map(|c| view! {
                    <option value=c.value.clone() selected=c.value == chosen>{format!("{} ({})", c.label, c.count)}</option>
                }).collect_view()}
            </select>
        }
    };
    let empty_text = if f.mine == "1" {
        "Nothing here needs your approval."
    } else if f.environment.is_empty() && f.module.is_empty() && f.team.is_empty() && f.status == "in_review" {
        "Nothing is waiting for your teams."
    } else {
        "Nothing matches these filters."
    };
    view! {
        <section class="panel">
            <h1>"Approval queue"</h1>
            <p>"Open requests routed to your teams (" {view.my_teams.join(", ")} ") and still needing them, oldest first. "
               <span data-testid="queue-listed">{format!("{} listed.", view.listed)}</span></p>
            <form method="get" action="/queue" class="filters" data-testid="queue-filters">
                <label for="queue-status">"Status "</label>{select("status", "", &view.statuses, &f.status)}
                <label for="queue-team">"Team "</label>{select("team", "all my teams", &view.teams, &f.team)}
                <label for="queue-environment">"Environment "</label>{select("environment", "any", &view.environments, &f.environment)}
                <label for="queue-module">"Module "</label>{select("module", "any", &view.modules, &f.module)}
                <label><input type="checkbox" name="mine" value="1" checked=f.mine == "1" />
                    {format!(" Needs me ({})", view.needs_me)}</label>
                <button type="submit" class="secondary">"Filter"</button>
                <a href="/queue">"Clear"</a>
            </form>
            {if view.rows.is_empty() {
                view! { <p class="empty" data-testid="queue-empty">{empty_text}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table data-testid="queue-table">
                            <thead><tr><th scope="col">"Request"</th><th scope="col">"Module"</th><th scope="col">"Environment"</th><th scope="col">"Team"</th><th scope="col">"Status"</th><th scope="col">"Requested"</th><th scope="col">"Due"</th><th scope="col">"Waiting on"</th></tr></thead>
                            <tbody>
                                {view.rows.iter().map(|r| view! {
                                    <tr class:overdue=r.overdue>
                                        <td><a href=format!("/requests/{}", r.number)>{format!("#{} ", r.number)} <code>{r.instance_name.clone()}</code></a></td>
                                        <td>{r.module_id.clone()}</td>
                                        <td>{r.environment.clone()}</td>
                                        <td>{r.team.clone()} " (" {r.requester.clone()} ")"</td>
                                        <td>{r.status.clone()}</td>
                                        <td>{crate::pages::format_time(r.created_at_ms)} " "
                                            <span class="muted" data-testid="queue-age" title="age">{format!("({} ago)", r.age)}</span></td>
                                        <td>{match r.due_ms {
                                            Some(d) if r.overdue => format!("overdue since {}", crate::pages::format_time(d)),
                                            Some(d) => crate::pages::format_time(d),
                                            None => "—".to_owned(),
                                        }}</td>
                                        <td title=r.routing.clone()>{r.waiting_on.clone()}
                                            {r.needs_me.then(|| view! { " " <strong class="badge" data-testid="needs-me">"needs you"</strong> })}</td>
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

/// A request's age for reading: "under a minute", "25 min", "3 h", "2 d" (whole units, rounded down).
pub fn age_text(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    match minutes {
        0 => "under a minute".to_owned(),
        1..60 => format!("{minutes} min"),
        60..1440 => format!("{} h", minutes / 60),
        _ => format!("{} d", minutes / 1440),
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
