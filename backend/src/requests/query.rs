//! Reading requests: the filtered, keyset-paginated lists (newest first) and one request with
//! its current revision.

use domain::catalog::{Module, Value};
use domain::form::{CheckOutcome, FormState};
use domain::request::Status;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::json_error;
use crate::db::{Db, DbError};

/// Whose requests a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Requests this user made.
    Mine {
        user_id: i64,
    },
    /// Requests for any team this user is a member of.
    MyTeams {
        user_id: i64,
    },
    All,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    pub scope: Scope,
    pub status: Option<Status>,
    pub environment: Option<String>,
    /// Catalog module id.
    pub module: Option<String>,
    /// `#123` or `123`: that request number. Anything else: a case-insensitive substring of
    /// the instance name (`%` and `_` match themselves).
    pub search: Option<String>,
    /// Keyset pagination: only requests numbered below this (a previous page's `next_before`).
    pub before: Option<i64>,
    /// Rows per page, clamped to 1..=100.
    pub limit: u32,
}

/// Default rows per page of [`ListQuery::new`].
pub const DEFAULT_LIMIT: u32 = 50;
/// Most rows per page.
pub const MAX_LIMIT: u32 = 100;

impl ListQuery {
    /// The first page of `scope`, unfiltered.
    pub fn new(scope: Scope) -> ListQuery {
        ListQuery {
            scope,
            status: None,
            environment: None,
            module: None,
            search: None,
            before: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// One row of a request list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSummary {
    pub number: i64,
    pub module_id: String,
    pub environment: String,
    /// Team slug.
    pub team: String,
    pub instance_name: String,
    pub status: Status,
    /// The requester's login.
    pub requester: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub rows: Vec<RequestSummary>,
    /// `Some` when more rows exist: pass it as [`ListQuery::before`] for the next page.
    pub next_before: Option<i64>,
}

/// A request with its current revision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub summary: RequestSummary,
    pub team_id: i64,
    pub requester_id: i64,
    /// For optimistic locking of the next change.
    pub version: i64,
    pub current_revision: i64,
    pub revision: Revision,
}

/// One revision of a request, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub number: i64,
    /// The module definition the revision was made with (from `module_versions`).
    pub module: Module,
    pub module_digest: String,
    /// Typed inputs in declaration order.
    pub inputs: Vec<(String, Value)>,
    pub form: FormState,
    pub rendered: String,
    pub content_hash: String,
    pub path: String,
    /// The routing outcome as stored (see `domain::routing`).
    pub routing: serde_json::Value,
    pub checks: Vec<CheckOutcome>,
    pub justification: String,
    /// The author's login.
    pub author: String,
    pub created_at_ms: i64,
}

const SUMMARY_COLUMNS: &str = "r.id, r.module_id, r.environment, t.slug AS team_slug, r.instance_name, r.status, \
     u.login AS requester_login, r.created_at_ms, r.updated_at_ms";
const SUMMARY_JOINS: &str = "requests r JOIN teams t ON t.id = r.team_id JOIN users u ON u.id = r.requester_id";

enum Arg {
    Int(i64),
    Text(String),
}

/// A page of requests, newest first.
///
/// Each scope and filter is an equality on a column that leads an index ending in `id`
/// (`requests_requester`, `requests_team`, `requests_status`), so the database can walk the
/// index backwards from `before` and stop after `limit + 1` rows.
pub async fn list(db: &Db, q: &ListQuery) -> Result<Page, DbError> {
    let limit = q.limit.clamp(1, MAX_LIMIT);
    let mut conditions: Vec<String> = Vec::new();
    let mut args: Vec<Arg> = Vec::new();
    let mut push = |condition: &str, arg: Arg| {
        args.push(arg);
        conditions.push(condition.replace('?', &format!("${}", args.len())));
    };
    match q.scope {
        Scope::Mine { user_id } => push("r.requester_id = ?", Arg::Int(user_id)),
        Scope::MyTeams { user_id } => {
            push("r.team_id IN (SELECT m.team_id FROM team_members m WHERE m.user_id = ?)", Arg::Int(user_id));
        }
        Scope::All => {}
    }
    if let Some(status) = q.status {
        push("r.status = ?", Arg::Text(status.as_str().to_owned()));
    }
    if let Some(environment) = &q.environment {
        push("r.environment = ?", Arg::Text(environment.clone()));
    }
    if let Some(module) = &q.module {
        push("r.module_id = ?", Arg::Text(module.clone()));
    }
    match q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(parse_search) {
        Some(Search::Number(number)) => push("r.id = ?", Arg::Int(number)),
        Some(Search::Name(pattern)) => push("LOWER(r.instance_name) LIKE ? ESCAPE '\\'", Arg::Text(pattern)),
        None => {}
    }
    if let Some(before) = q.before {
        push("r.id < ?", Arg::Int(before));
    }
    let filter = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let sql =
        format!("SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_JOINS}{filter} ORDER BY r.id DESC LIMIT ${}", args.len() + 1);

    let mut query = sqlx::query(&sql);
    for arg in args {
        query = match arg {
            Arg::Int(n) => query.bind(n),
            Arg::Text(s) => query.bind(s),
        };
    }
    let rows = query.bind(i64::from(limit) + 1).fetch_all(db.pool()).await?;
    let mut rows = rows.iter().map(summary_from_row).collect::<Result<Vec<_>, _>>()?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_before = if more { rows.last().map(|r| r.number) } else { None };
    Ok(Page { rows, next_before })
}

enum Search {
    Number(i64),
    /// A `LIKE` pattern: lowercase, `\`, `%` and `_` escaped with `\`, wrapped in `%`.
    Name(String),
}

fn parse_search(text: &str) -> Search {
    let digits = text.strip_prefix('#').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        // A number too large for a request id matches nothing.
        return Search::Number(digits.parse().unwrap_or(-1));
    }
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Search::Name(pattern)
}

fn summary_from_row(row: &AnyRow) -> Result<RequestSummary, DbError> {
    let status: String = row.try_get("status")?;
    Ok(RequestSummary {
        number: row.try_get("id")?,
        module_id: row.try_get("module_id")?,
        environment: row.try_get("environment")?,
        team: row.try_get("team_slug")?,
        instance_name: row.try_get("instance_name")?,
        status: status.parse().map_err(|e| DbError::Sql(sqlx::Error::Decode(Box::new(e))))?,
        requester: row.try_get("requester_login")?,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

/// One request with its current revision; `None` when there is no such request.
pub async fn get(db: &Db, number: i64) -> Result<Option<RequestDetail>, DbError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, r.team_id, r.requester_id, r.version, r.current_revision, \
         v.revision, v.inputs, v.form, v.rendered, v.content_hash, v.path, v.routing, v.checks, v.justification, \
         v.created_at_ms AS revision_created_at_ms, a.login AS author_login, \
         mv.digest AS module_digest, mv.definition AS module_definition \
         FROM {SUMMARY_JOINS} \
         JOIN request_revisions v ON v.request_id = r.id AND v.revision = r.current_revision \
         JOIN module_versions mv ON mv.id = v.module_version_id \
         JOIN users a ON a.id = v.author_id \
         WHERE r.id = $1"
    );
    let Some(row) = sqlx::query(&sql).bind(number).fetch_optional(db.pool()).await? else { return Ok(None) };
    let json = |column: &str| -> Result<String, DbError> { Ok(row.try_get::<String, _>(column)?) };
    let revision = Revision {
        number: row.try_get("revision")?,
        module: serde_json::from_str(&json("module_definition")?).map_err(|e| json_error("definition", e))?,
        module_digest: row.try_get("module_digest")?,
        inputs: serde_json::from_str(&json("inputs")?).map_err(|e| json_error("inputs", e))?,
        form: serde_json::from_str(&json("form")?).map_err(|e| json_error("form", e))?,
        rendered: row.try_get("rendered")?,
        content_hash: row.try_get("content_hash")?,
        path: row.try_get("path")?,
        routing: serde_json::from_str(&json("routing")?).map_err(|e| json_error("routing", e))?,
        checks: serde_json::from_str(&json("checks")?).map_err(|e| json_error("checks", e))?,
        justification: row.try_get("justification")?,
        author: row.try_get("author_login")?,
        created_at_ms: row.try_get("revision_created_at_ms")?,
    };
    Ok(Some(RequestDetail {
        summary: summary_from_row(&row)?,
        team_id: row.try_get("team_id")?,
        requester_id: row.try_get("requester_id")?,
        version: row.try_get("version")?,
        current_revision: row.try_get("current_revision")?,
        revision,
    }))
}

/// The typed inputs and the rendered file of one revision of a request (to compare a
/// revision with the one before); `None` when there is no such revision.
pub async fn revision_content(
    db: &Db,
    number: i64,
    revision: i64,
) -> Result<Option<(Vec<(String, Value)>, String)>, DbError> {
    let row = sqlx::query("SELECT inputs, rendered FROM request_revisions WHERE request_id = $1 AND revision = $2")
        .bind(number)
        .bind(revision)
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let inputs: String = row.try_get("inputs")?;
    let inputs = serde_json::from_str(&inputs).map_err(|e| json_error("inputs", e))?;
    Ok(Some((inputs, row.try_get("rendered")?)))
}

/// Ids of the teams `user_id` is a member of, ascending.
pub async fn user_team_ids(db: &Db, user_id: i64) -> Result<Vec<i64>, DbError> {
    let rows = sqlx::query("SELECT team_id FROM team_members WHERE user_id = $1 ORDER BY team_id")
        .bind(user_id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.iter().map(|r| r.try_get("team_id")).collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> Option<String> {
        match parse_search(text) {
            Search::Name(p) => Some(p),
            Search::Number(_) => None,
        }
    }

    #[test]
    fn search_numbers_and_names() {
        assert!(matches!(parse_search("#42"), Search::Number(42)));
        assert!(matches!(parse_search("42"), Search::Number(42)));
        assert!(matches!(parse_search("#99999999999999999999999"), Search::Number(-1)));
        assert_eq!(pattern("#"), Some("%#%".into()));
        assert_eq!(pattern("Orders"), Some("%orders%".into()));
        assert_eq!(pattern("a_b%c\\d"), Some("%a\\_b\\%c\\\\d%".into()));
        assert_eq!(pattern("db-42"), Some("%db-42%".into()));
    }
}
