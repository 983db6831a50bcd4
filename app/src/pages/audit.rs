//! The audit trail (`/audit`, reviewers and admins): every recorded event, newest first,
//! filtered by time range, actor, action, team, environment, module and request, in keyset
//! pages (`backend::audit::search`). The filters are a plain GET form, so every view has a link
//! of its own, and the same query string downloads the view as CSV or JSON Lines
//! (`/audit/export.csv`, `/audit/export.jsonl`, server/src/web/audit_export.rs).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::pages::errors::{Forbidden, LoadError};

pub const PAGE_SIZE: i64 = 50;

/// The page's query string, as typed (checked on the server).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub from: String,
    pub to: String,
    pub actor: String,
    pub action: String,
    pub team: String,
    pub environment: String,
    pub module: String,
    pub request: String,
    /// The keyset cursor: the `seq` of the previous page's last event.
    pub before: String,
}

impl AuditQuery {
    /// The filter parameters (everything but the cursor), non-empty ones only.
    fn filter_pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("actor", self.actor.as_str()),
            ("action", self.action.as_str()),
            ("team", self.team.as_str()),
            ("environment", self.environment.as_str()),
            ("module", self.module.as_str()),
            ("request", self.request.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect()
    }

    /// `path?filters[&before=…]`.
    fn url(&self, path: &str, before: Option<i64>) -> String {
        let mut pairs: Vec<String> = self.filter_pairs().iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        if let Some(b) = before {
            pairs.push(format!("before={b}"));
        }
        if pairs.is_empty() { path.to_owned() } else { format!("{path}?{}", pairs.join("&")) }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// The request number when the subject is `request:<n>`.
    pub request: Option<i64>,
    pub details: String,
    pub hash: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub query: AuditQuery,
    /// `(field, message)` for values that cannot be used; no rows are listed then.
    pub errors: Vec<(String, String)>,
    pub rows: Vec<AuditRow>,
    pub next_before: Option<i64>,
    /// Listed by time (a time range is the only filter) rather than by event number.
    pub by_time: bool,
    pub teams: Vec<String>,
    pub environments: Vec<String>,
    pub modules: Vec<String>,
}

#[server(prefix = "/api", endpoint = "audit_events")]
pub async fn load_audit(query: AuditQuery) -> Result<AuditView, AppError> {
    use backend::audit::search::{self, FilterParams};
    crate::state::require_auditor()?;
    let state = crate::state::app_state()?;
    let teams = backend::accounts::list_teams(&state.db).await.map_err(AppError::internal)?;
    let mut view = AuditView {
        teams: teams.into_iter().map(|t| t.slug).collect(),
        environments: state.settings.environments.iter().map(|e| e.name.clone()).collect(),
        modules: state.catalog.current().catalog.modules.keys().cloned().collect(),
        ..AuditView::default()
    };
    let params = FilterParams {
        from: query.from.clone(),
        to: query.to.clone(),
        actor: query.actor.clone(),
        action: query.action.clone(),
        team: query.team.clone(),
        environment: query.environment.clone(),
        module: query.module.clone(),
        request: query.request.clone(),
    };
    let before = match query.before.trim() {
        "" => None,
        b => match b.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                view.errors
                    .push(("before".into(), "The page link is damaged; start again from the newest events.".into()));
                None
            }
        },
    };
    match params.parse() {
        Err(errors) => view.errors.extend(errors.into_iter().map(|e| (e.field, e.message))),
        Ok(filter) if view.errors.is_empty() => {
            let page = search::page(&state.db, &filter, before, PAGE_SIZE).await.map_err(AppError::internal)?;
            view.by_time = filter.by_time();
            view.next_before = page.next_before;
            view.rows = page
                .events
                .into_iter()
                .map(|e| AuditRow {
                    request: e.subject.strip_prefix("request:").and_then(|n| n.parse().ok()),
                    seq: e.seq,
                    at_ms: e.at_ms,
                    actor: e.actor,
                    action: e.action,
                    subject: e.subject,
                    details: e.details,
                    hash: e.hash,
                })
                .collect();
        }
        Ok(_) => {}
    }
    view.query = query;
    Ok(view)
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let page = Resource::new_blocking(
        move || {
            query.with(|q| {
                let get = |k: &str| q.get(k).unwrap_or_default();
                AuditQuery {
                    from: get("from"),
                    to: get("to"),
                    actor: get("actor"),
                    action: get("action"),
                    team: get("team"),
                    environment: get("environment"),
                    module: get("module"),
                    request: get("request"),
                    before: get("before"),
                }
            })
        },
        load_audit,
    );
    view! {
        <Title text="Audit trail" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(view) => view! { <AuditBody view /> }.into_any(),
                    Err(AppError::Forbidden) => view! { <Forbidden /> }.into_any(),
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AuditBody(view: AuditView) -> impl IntoView {
    let q = view.query.clone();
    let error_for = |field: &str| view.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.clone());
    let filtered = !q.filter_pairs().is_empty();
    let invalid = !view.errors.is_empty();
    let first = (!q.before.trim().is_empty()).then(|| q.url("/audit", None));
    let next = view.next_before.map(|b| format!("{}#events", q.url("/audit", Some(b))));
    let (csv, jsonl) = (q.url("/audit/export.csv", None), q.url("/audit/export.jsonl", None));
    let text_input = |name: &'static str,
                      label: &'static str,
                      value: String,
                      hint: &'static str,
                      list: Option<&'static str>| {
        let error = error_for(name);
        let invalid = error.is_some();
        view! {
            <label>
                {label} " "
                <input type="text" name=name value=value placeholder=hint list=list
                    aria-invalid=invalid.then_some("true") aria-describedby=invalid.then(|| format!("error-{name}")) />
            </label>
        }
    };
    let datalist = |id: &'static str, values: Vec<String>| {
        view! { <datalist id=id>{values.into_iter().map(|v| view! { <option value=v></option> }).collect_view()}</datalist> }
    };
    view! {
        <section class="panel">
            <h1>"Audit trail"</h1>
            <p>
                "Every change recorded by Infradesk, newest first, with its place in the hash chain. Times are UTC. "
                "Nothing here can be edited or deleted; the chain is verified on a schedule (see the admin page) and an export can be checked offline with "
                <code>"infradesk audit verify-export"</code> "."
            </p>
            <form method="get" action="/audit" class="filters audit-filters" role="search">
                <TimeInput name="from" label="From" value=q.from.clone() error=error_for("from") />
                <TimeInput name="to" label="To" value=q.to.clone() error=error_for("to") />
                {text_input("actor", "Actor", q.actor.clone(), "user:alice, cli:ops, system", None)}
                {text_input("action", "Action", q.action.clone(), "request.submitted", None)}
                {text_input("team", "Team", q.team.clone(), "team", Some("audit-teams"))}
                {text_input("environment", "Environment", q.environment.clone(), "environment", Some("audit-environments"))}
                {text_input("module", "Module", q.module.clone(), "module", Some("audit-modules"))}
                {text_input("request", "Request", q.request.clone(), "42", None)}
                {datalist("audit-teams", view.teams.clone())}
                {datalist("audit-environments", view.environments.clone())}
                {datalist("audit-modules", view.modules.clone())}
                <button type="submit">"Filter"</button>
                {filtered.then(|| view! { <a href="/audit">"Clear filters"</a> })}
            </form>
            {invalid.then(|| view! {
                <ul class="field-errors" role="alert" data-testid="audit-errors">
                    {view.errors.iter().map(|(field, message)| view! {
                        <li id=format!("error-{field}")><strong>{field_label(field)}</strong> ": " {message.clone()}</li>
                    }).collect_view()}
                </ul>
            })}
            {(!invalid).then(|| view! {
                <p class="export-links">
                    "Download this view (all pages): "
                    <a href=csv download="" rel="external" data-testid="export-csv">"Download CSV"</a>
                    " · "
                    <a href=jsonl download="" rel="external" data-testid="export-jsonl">"Download JSON Lines"</a>
                </p>
            })}
            {view.by_time.then(|| view! { <p class="muted">"Filtered by time only: listed by time, newest first."</p> })}
            {if view.rows.is_empty() {
                let message = if invalid {
                    "Fix the filters above to see events."
                } else if filtered {
                    "No events match these filters."
                } else {
                    "No events yet."
                };
                view! { <p class="empty" data-testid="audit-empty">{message}</p> }.into_any()
            } else {
                let history_of = q.request.trim().trim_start_matches('#').parse::<i64>().ok();
                view! {
                    <div class="table-wrap" id="events">
                        <table data-testid="audit-table" class="audit-table">
                            <thead><tr>
                                <th scope="col">"#"</th><th scope="col">"Time (UTC)"</th><th scope="col">"Actor"</th>
                                <th scope="col">"Action"</th><th scope="col">"Subject"</th><th scope="col">"Details"</th>
                                <th scope="col">"Hash"</th>
                            </tr></thead>
                            <tbody>
                                {view.rows.into_iter().map(|r| {
                                    let short = r.hash.chars().take(12).collect::<String>();
                                    view! {
                                        <tr data-seq=r.seq>
                                            <td>{r.seq}</td>
                                            <td class="nowrap"><time>{domain::utc::seconds(r.at_ms)}</time></td>
                                            <td><code>{r.actor}</code></td>
                                            <td>{r.action}</td>
                                            <td>{match r.request {
                                                Some(n) => view! {
                                                    <a href=format!("/requests/{n}")>{r.subject}</a>
                                                    {(history_of != Some(n)).then(|| view! {
                                                        " " <a class="history" href=format!("/audit?request={n}")>"full history"</a>
                                                    })}
                                                }.into_any(),
                                                None => view! { <span>{r.subject}</span> }.into_any(),
                                            }}</td>
                                            <td><code class="audit-details">{r.details}</code></td>
                                            <td><code title=r.hash>{short}</code></td>
                                        </tr>
                                    }
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

/// A time filter: a date or date-and-time picker when the value fits one (a typed date keeps
/// its meaning, the whole day), plain text for a value that fits neither, so a mistake stays
/// visible next to its message.
#[component]
fn TimeInput(name: &'static str, label: &'static str, value: String, error: Option<String>) -> impl IntoView {
    let kind = match value.len() {
        _ if error.is_some() => "text",
        0 => "datetime-local",
        10 if shape(&value, "dddd-dd-dd") => "date",
        16 if shape(&value, "dddd-dd-ddTdd:dd") => "datetime-local",
        19 if shape(&value, "dddd-dd-ddTdd:dd:dd") => "datetime-local",
        _ => "text",
    };
    let invalid = error.is_some();
    // Seconds only when the value has them; minutes otherwise (the picker's default).
    let step = (kind == "datetime-local" && value.len() == 19).then_some("1");
    view! {
        <label>
            {label} " "
            <input type=kind name=name value=value step=step
                placeholder="YYYY-MM-DDTHH:MM"
                aria-invalid=invalid.then_some("true") aria-describedby=invalid.then(|| format!("error-{name}")) />
        </label>
    }
}

/// Whether `value` has the shape of `pattern`, where `d` is any digit.
fn shape(value: &str, pattern: &str) -> bool {
    value.len() == pattern.len()
        && value.bytes().zip(pattern.bytes()).all(|(v, p)| if p == b'd' { v.is_ascii_digit() } else { v == p })
}

fn field_label(field: &str) -> &'static str {
    match field {
        "from" => "From",
        "to" => "To",
        "actor" => "Actor",
        "action" => "Action",
        "team" => "Team",
        "environment" => "Environment",
        "module" => "Module",
        "request" => "Request",
        _ => "Page",
    }
}

fn encode(value: &str) -> String {
    value
        .trim()
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_filters_and_drop_empty_ones() {
        let q =
            AuditQuery { actor: "user:a b".into(), request: "7".into(), before: "99".into(), ..AuditQuery::default() };
        assert_eq!(q.url("/audit", Some(40)), "/audit?actor=user%3Aa%20b&request=7&before=40");
        assert_eq!(q.url("/audit/export.csv", None), "/audit/export.csv?actor=user%3Aa%20b&request=7");
        assert_eq!(AuditQuery::default().url("/audit", None), "/audit");
    }

    #[test]
    fn shapes_match_digit_patterns() {
        assert!(shape("2025-11-24T16:00", "dddd-dd-ddTdd:dd"));
        assert!(!shape("2025-11-24 16:00", "dddd-dd-ddTdd:dd"));
    }
}
