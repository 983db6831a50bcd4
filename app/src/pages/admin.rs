//! The admin overview: the audit chain's last scheduled verification and current head, the pull
//! request queue, users and teams. Changes are made with the `infradesk user` and
//! `infradesk team` commands, which are audited like everything else.

use domain::identity::{TeamSummary, UserSummary};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::context::use_page_context;
use crate::error::AppError;
use crate::pages::errors::{Forbidden, LoadError};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub users: Vec<UserSummary>,
    pub teams: Vec<TeamSummary>,
    pub jobs: Vec<JobRow>,
    pub audit: AuditChain,
}

/// The audit chain as the admin page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditChain {
    /// The stored head now: `(seq, hash)`.
    pub head_seq: i64,
    pub head_hash: String,
    /// The last scheduled verification; `None` until the first one has finished.
    pub last: Option<ChainCheck>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainCheck {
    pub at_ms: i64,
    pub took_ms: i64,
    /// `None`: the walk could not run (the database did not answer; the log says more).
    pub events: Option<i64>,
    /// The head the walk checked up to.
    pub head_seq: i64,
    /// The first broken link: `(seq, reason)`.
    pub broken: Option<(i64, String)>,
}

/// A pending or failed outbox job (opening or closing a pull request).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: i64,
    pub request: i64,
    pub kind: String,
    pub state: String,
    pub attempts: i64,
    pub age_ms: i64,
    pub next_try_ms: i64,
    pub last_error: Option<String>,
}

#[server(prefix = "/api", endpoint = "admin_overview")]
pub async fn load_admin_overview() -> Result<AdminOverview, AppError> {
    crate::state::require_admin()?;
    let state = crate::state::app_state()?;
    let users = backend::accounts::list_users(&state.db).await.map_err(AppError::internal)?;
    let teams = backend::accounts::list_teams(&state.db).await.map_err(AppError::internal)?;
    let now = state.clock.now_ms();
    let jobs = backend::outbox::open_jobs(&state.db, 200)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .map(|j| JobRow {
            id: j.id,
            request: j.request_id,
            kind: j.kind,
            state: j.state,
            attempts: j.attempts,
            age_ms: now - j.created_at_ms,
            next_try_ms: j.run_at_ms,
            last_error: j.last_error,
        })
        .collect();
    let (head_seq, head_hash) = backend::audit::head(&state.db).await.map_err(AppError::internal)?;
    let last = state.audit.last().map(|l| ChainCheck {
        at_ms: l.at_ms,
        took_ms: l.took_ms,
        events: l.outcome.as_ref().ok().map(|v| v.events),
        head_seq: l.outcome.as_ref().map_or(0, |v| v.head_seq),
        broken: l.outcome.as_ref().ok().and_then(|v| v.broken.as_ref()).map(|b| (b.seq, b.reason.clone())),
    });
    Ok(AdminOverview { users, teams, jobs, audit: AuditChain { head_seq, head_hash, last } })
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let ctx = use_page_context();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let is_admin = ctx.await.ok().and_then(|c| c.me).is_some_and(|me| me.is_admin);
                if is_admin { view! { <AdminBody /> }.into_any() } else { view! { <Forbidden /> }.into_any() }
            })}
        </Suspense>
    }
}

#[component]
fn AdminBody() -> impl IntoView {
    let overview = Resource::new_blocking(|| (), |_| load_admin_overview());
    view! {
        <Title text="Administration" />
        <section class="panel">
            <h1>"Administration"</h1>
            <p>"Users and teams are managed with " <code>"infradesk user"</code> " and " <code>"infradesk team"</code> "; every change is recorded in the audit trail."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(o) => view! { <AuditChainPanel chain=o.audit /> <JobsTable jobs=o.jobs /> <UsersTable users=o.users /> <TeamsTable teams=o.teams /> }.into_any(),
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The audit chain: the last scheduled verification and the head to publish as an anchor.
#[component]
fn AuditChainPanel(chain: AuditChain) -> impl IntoView {
    let result = match &chain.last {
        None => view! {
            <dd data-testid="audit-verification">"Not finished yet: the server verifies the chain at start and then on a schedule (" <code>"audit.verify_interval_minutes"</code> ")."</dd>
        }.into_any(),
        Some(c) => {
            let took = if c.took_ms < 1000 { format!("{} ms", c.took_ms) } else { format!("{:.1} s", c.took_ms as f64 / 1000.0) };
            let when = format!("{}, took {took}", crate::pages::format_time(c.at_ms));
            let outcome = match (&c.events, &c.broken) {
                (None, _) => view! { <strong class="chain-broken">"could not run"</strong> " — the database did not answer; the server log has the reason." }.into_any(),
                (Some(events), None) => view! {
                    <strong class="chain-ok">"intact"</strong> " — " {*events} " events link up to event " {c.head_seq} "."
                }.into_any(),
                (Some(_), Some((seq, reason))) => view! {
                    <strong class="chain-broken">"BROKEN at event " {*seq}</strong> ": " {reason.clone()}
                    ". The trail was altered outside Infradesk: keep the database as it is and compare it with a backup and the published head."
                }.into_any(),
            };
            view! { <dd data-testid="audit-verification">{when} <br /> {outcome}</dd> }.into_any()
        }
    };
    view! {
        <h2 id="audit">"Audit trail"</h2>
        <dl class="facts" data-testid="audit-chain">
            <dt>"Last verification"</dt>
            {result}
            <dt>"Current head"</dt>
            <dd data-testid="audit-head">"event " {chain.head_seq} ", hash " <code class="hash">{chain.head_hash}</code></dd>
        </dl>
        <p class="muted">
            "Publish the current head (event number and hash) somewhere outside Infradesk from time to time — a ticket, a chat channel, a signed e-mail — as an anchor: "
            "a trail rewritten by someone with database access no longer passes through a published hash. "
            "Check an export against it with " <code>"infradesk audit verify-export --anchor <seq>:<hash> <file>"</code> ". "
            <a href="/audit">"Open the audit trail"</a>
        </p>
    }
}

/// The outbox queue: what is waiting for GitHub (or the local repository), and what failed.
#[component]
fn JobsTable(jobs: Vec<JobRow>) -> impl IntoView {
    let failed = jobs.iter().filter(|j| j.state == "failed").count();
    view! {
        <h2 id="jobs">"Pull request queue (" {jobs.len()} " open, " {failed} " failed)"</h2>
        {if jobs.is_empty() {
            view! { <p class="empty" data-testid="jobs-empty">"Nothing is waiting: every pull request has been opened or closed."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table data-testid="jobs-table" aria-labelledby="jobs">
                        <thead><tr><th scope="col">"Job"</th><th scope="col">"Request"</th><th scope="col">"Work"</th><th scope="col">"State"</th><th scope="col">"Attempts"</th><th scope="col">"Waiting for"</th><th scope="col">"Last error"</th><th scope="col"></th></tr></thead>
                        <tbody>
                            {jobs.into_iter().map(|j| {
                                let work = match j.kind.as_str() {
                                    "open_pr" => "open pull request",
                                    "update_pr" => "push new revision",
                                    "merge_pr" => "merge pull request",
                                    _ => "close pull request",
                                };
                                let next = if j.state == "failed" { "an admin".to_owned() } else { format!("next try {}", crate::pages::format_time(j.next_try_ms)) };
                                view! {
                                    <tr data-testid=format!("job-{}", j.id)>
                                        <td>{j.id}</td>
                                        <td><a href=format!("/requests/{}", j.request)>{format!("#{}", j.request)}</a></td>
                                        <td>{work}</td>
                                        <td><span class=format!("status status-{}", j.state)>{j.state.clone()}</span></td>
                                        <td>{j.attempts}</td>
                                        <td>{format!("{} min; {next}", j.age_ms / 60_000)}</td>
                                        <td>{or_dash(j.last_error.clone())}</td>
                                        <td>{(j.state == "failed").then(|| view! {
                                            <form method="post" action=format!("/admin/jobs/{}/retry", j.id)>
                                                <input type="hidden" name="back" value="/admin#jobs" />
                                                <button type="submit" class="secondary">"Retry"</button>
                                            </form>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "—".to_owned())
}

#[component]
fn UsersTable(users: Vec<UserSummary>) -> impl IntoView {
    view! {
        <h2 id="users">"Users (" {users.len()} ")"</h2>
        <div class="table-wrap">
            <table data-testid="users-table" aria-labelledby="users">
                <thead><tr><th scope="col">"Login"</th><th scope="col">"Name"</th><th scope="col">"GitHub"</th><th scope="col">"Teams"</th><th scope="col">"Admin"</th><th scope="col">"Status"</th></tr></thead>
                <tbody>
                    {users.into_iter().map(|u| view! {
                        <tr class:disabled=u.disabled>
                            <td><code>{u.login}</code></td>
                            <td>{u.name}</td>
                            <td>{or_dash(u.github_login)}</td>
                            <td>{if u.teams.is_empty() { "—".to_owned() } else { u.teams.join(", ") }}</td>
                            <td>{if u.is_admin { "yes" } else { "no" }}</td>
                            <td>{if u.disabled { "disabled" } else { "active" }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn TeamsTable(teams: Vec<TeamSummary>) -> impl IntoView {
    view! {
        <h2 id="teams">"Teams (" {teams.len()} ")"</h2>
        {if teams.is_empty() {
            view! { <p class="empty">"No teams yet. Create one with " <code>"infradesk team add"</code> "."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table data-testid="teams-table" aria-labelledby="teams">
                        <thead><tr><th scope="col">"Slug"</th><th scope="col">"Name"</th><th scope="col">"GitHub team"</th><th scope="col">"Reviewing"</th><th scope="col">"Members"</th></tr></thead>
                        <tbody>
                            {teams.into_iter().map(|t| view! {
                                <tr>
                                    <td><code>{t.slug}</code></td>
                                    <td>{t.name}</td>
                                    <td>{or_dash(t.github_team_slug)}</td>
                                    <td>{if t.reviewing { "yes" } else { "no" }}</td>
                                    <td>{if t.members.is_empty() { "—".to_owned() } else { t.members.join(", ") }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}
