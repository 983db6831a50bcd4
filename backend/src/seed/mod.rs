//! Seeding a database with realistic history at scale (`infradesk seed --scale N`), for the
//! benchmarks: N requests spread over the teams, environments and catalog modules, each with
//! what the application itself would have stored — revisions (forms checked, routed and
//! rendered by the real code, see `templates.rs`), module versions, the pull request,
//! approvals, the conversation, the outbox jobs — and about ten audit events per request on
//! average (sign-ins, submitted, pull request opened, comments, changes requested, edits,
//! approvals, merged …), appended to the hash chain from the current `audit_head` so that
//! `audit::verify` accepts the result, with their `audit_request_scope` rows.
//!
//! Most requests are done (merged, then cancelled and rejected); a few percent are open —
//! many of them recent, some stale — as `pr_pending`, `in_review`, `changes_requested` or
//! `approved`. Deterministic: the same seed, database content and "now" give the same rows.
//!
//! Speed: the rows of a batch of requests go in multi-row `INSERT`s in one transaction with
//! the batch's events (released in time order by `chain::Timeline`). Every committed batch
//! leaves a valid chain. Run it with no server writing to the database: request numbers are
//! chosen by the seeder.

mod chain;
mod plot;
mod rng;
mod rows;
mod steps;
mod story;
mod templates;

use std::collections::{BTreeMap, HashMap};

use domain::catalog::Module;
use domain::request::{Environment, Status};
use domain::routing::Routing;
use sqlx::Row;

use crate::db::{Db, DbError, Dialect};
use plot::{Ask, Outcome, Plot, Version};
use rng::Rng;
use rows::Rows;
use story::{Member, Team};

/// The seed of the default data set.
pub const DEFAULT_SEED: u64 = 20_251_124;

/// How long before an action its actor signs in, at most.
const SIGN_IN_LEAD_MS: i64 = 4 * 60_000;
const DAY_MS: i64 = 24 * 60 * 60_000;

/// What the seeded requests are made of: the configuration the server runs with.
pub struct Setting<'a> {
    /// The catalog's modules (every one gets requests).
    pub modules: &'a [Module],
    pub environments: &'a [Environment],
    /// `catalog.path_template`.
    pub path_template: &'a str,
    pub routing: &'a Routing,
    /// The site's base URL (rendered files link to their request).
    pub base_url: &'a str,
    /// A pull request's URL is this followed by its number.
    pub pull_url: &'a str,
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Requests to add.
    pub scale: u64,
    /// Add to a database that already holds requests.
    pub append: bool,
    /// The seeded history ends just before this time.
    pub now_ms: i64,
    pub seed: u64,
    /// Requests per transaction.
    pub batch: usize,
}

impl Options {
    pub fn new(scale: u64, now_ms: i64) -> Options {
        Options { scale, append: false, now_ms, seed: DEFAULT_SEED, batch: 5_000 }
    }
}

/// What was added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub requests: u64,
    /// Numbers of the first and last request added.
    pub numbers: (i64, i64),
    pub revisions: u64,
    /// Rows of the approval queue (open requests × teams still needing approvals).
    pub queued: u64,
    pub pull_requests: u64,
    pub approvals: u64,
    pub comments: u64,
    pub jobs: u64,
    pub events: u64,
    /// Events about a request (each has an `audit_request_scope` row).
    pub request_events: u64,
    /// Requests added per status.
    pub statuses: BTreeMap<&'static str, u64>,
    /// The audit head after seeding.
    pub head_seq: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the database already holds {0} request(s): seed an empty database, or add to them with --append")]
    NotEmpty(i64),
    #[error("cannot seed: {0}")]
    Setup(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for SeedError {
    fn from(e: sqlx::Error) -> Self {
        SeedError::Db(DbError::Sql(e))
    }
}

/// Adds `options.scale` requests to `db` (migrated, with teams and users). `progress` is
/// called after every committed batch with the totals so far.
pub async fn seed(
    db: &Db,
    setting: &Setting<'_>,
    options: &Options,
    progress: &mut (dyn FnMut(&Report) + Send),
) -> Result<Report, SeedError> {
    if setting.modules.is_empty() || setting.environments.is_empty() {
        return Err(SeedError::Setup("the catalog has no modules or no environment is configured".into()));
    }
    let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM requests").fetch_one(db.pool()).await?.try_get("n")?;
    if existing > 0 && !options.append {
        return Err(SeedError::NotEmpty(existing));
    }
    let last_id: i64 =
        sqlx::query("SELECT COALESCE(MAX(id), 0) AS n FROM requests").fetch_one(db.pool()).await?.try_get("n")?;
    let last_pull: i64 = sqlx::query("SELECT COALESCE(MAX(number), 0) AS n FROM pull_requests")
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    // History: one request every minute on average (at least 30 days of it), ending a
    // minute before now. Open requests are mostly among the last 3 % (at least a day).
    let n = i64::try_from(options.scale).unwrap_or(i64::MAX);
    let end = options.now_ms - 60_000;
    let span = (n.saturating_mul(60_000)).max(30 * DAY_MS);
    let gap = (span / n.max(1)).max(1);
    let recent_from = end - (span * 3 / 100).max(DAY_MS);

    let (requesting, reviewers) = people(db).await?;
    let versions = module_versions(db, setting.modules, end - span).await?;
    let templates = templates::Templates::new(setting.modules, setting.environments, setting.routing, setting.base_url)
        .map_err(SeedError::Setup)?;
    let mut plot = Plot {
        templates,
        modules: setting.modules,
        versions,
        environments: setting.environments,
        path_template: setting.path_template,
        requesting,
        reviewers,
        pull_url: setting.pull_url,
    };
    let mut rng = Rng::new(options.seed ^ (last_id as u64).wrapping_mul(0x9E37_79B9));
    let mut report = Report { numbers: (last_id + 1, last_id + n), ..Report::default() };
    let mut rows = Rows::default();
    let mut timeline = chain::Timeline::default();
    let mut ready = Vec::new();
    let mut pull_number = last_pull.max(1_000) + 1;
    let limit = options.now_ms - 1_000;
    for i in 0..n {
        let id = last_id + 1 + i;
        let created = end - span + i * gap + rng.below(u64::try_from(gap / 2).unwrap_or(0).max(1)) as i64;
        let outcome = outcome(&mut rng, created >= recent_from);
        let before = rng.clone();
        let mut ask = Ask { id, pull_number, created, outcome, pace: 1.0, limit };
        let mut story = plot.request(&mut rng, ask).map_err(SeedError::Setup)?;
        if story.last_at() > limit {
            // Told faster, so that it ends before now.
            ask.pace = (limit - created) as f64 / (story.last_at() - created).max(1) as f64 * 0.9;
            rng = before;
            story = plot.request(&mut rng, ask).map_err(SeedError::Setup)?;
        }
        if !story.rows.pulls.is_empty() {
            pull_number += 1;
        }
        *report.statuses.entry(story.status.as_str()).or_default() += 1;
        count(&mut report, &story.rows);
        append(&mut rows, story.rows);
        for event in story.events {
            timeline.push(event);
        }
        timeline.release(created - SIGN_IN_LEAD_MS, &mut ready);
        if rows.requests.len() >= options.batch || ready.len() >= options.batch * 20 {
            flush(db, &mut rows, &mut ready, &mut report).await?;
            progress(&report);
        }
    }
    timeline.release(i64::MAX, &mut ready);
    debug_assert_eq!(timeline.len(), 0);
    flush(db, &mut rows, &mut ready, &mut report).await?;
    if db.dialect() == Dialect::Postgres && n > 0 {
        // The numbers were chosen here: move the identity past them.
        sqlx::query("SELECT setval(pg_get_serial_sequence('requests', 'id'), (SELECT MAX(id) FROM requests))")
            .execute(db.pool())
            .await?;
        // What autovacuum leaves after a bulk load (sooner or later; never where it is off):
        // statistics — without them PostgreSQL sorts every request in review for each queue
        // page — and the visibility map, without which index-only scans read the table and the
        // queue's plan flips to a parallel one that costs 20 ms more to start. SQLite gets
        // neither: the application never runs ANALYZE there, so its plans must not need it.
        sqlx::raw_sql("VACUUM (ANALYZE)").execute(db.pool()).await?;
    }
    progress(&report);
    Ok(report)
}

/// Where a request ends up: recent ones are often still open; older ones mostly done.
fn outcome(rng: &mut Rng, recent: bool) -> Outcome {
    let open = if recent { 0.5 } else { 0.012 };
    if rng.chance(open) {
        let x = rng.unit();
        let status = if x < 0.68 {
            Status::InReview
        } else if x < 0.85 {
            Status::ChangesRequested
        } else if x < 0.97 {
            Status::Approved
        } else {
            Status::PrPending
        };
        return Outcome::Open(status);
    }
    let x = rng.unit();
    if x < 0.85 {
        Outcome::Merged
    } else if x < 0.94 {
        Outcome::Cancelled
    } else {
        Outcome::Rejected
    }
}

fn count(report: &mut Report, rows: &Rows) {
    let n = |len: usize| len as u64;
    report.requests += n(rows.requests.len());
    report.revisions += n(rows.revisions.len());
    report.pull_requests += n(rows.pulls.len());
    report.approvals += n(rows.approvals.len());
    report.comments += n(rows.comments.len());
    report.jobs += n(rows.jobs.len());
}

fn append(to: &mut Rows, from: Rows) {
    to.requests.extend(from.requests);
    to.revisions.extend(from.revisions);
    to.pulls.extend(from.pulls);
    to.approvals.extend(from.approvals);
    to.comments.extend(from.comments);
    to.jobs.extend(from.jobs);
}

/// One transaction: the batch's rows, then its events on the chain.
async fn flush(
    db: &Db,
    rows: &mut Rows,
    ready: &mut Vec<chain::Planned>,
    report: &mut Report,
) -> Result<(), SeedError> {
    if rows.is_empty() && ready.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    if db.dialect() == Dialect::Sqlite {
        // Index pages of ten million events do not fit the default 2 MB page cache.
        sqlx::query("PRAGMA cache_size = -262144").execute(&mut *tx).await?;
    }
    rows.write(&mut tx, db.dialect()).await?;
    // The approval queue's rows, computed by the code the services use.
    let open = crate::requests::queue_rows::OPEN.map(|s| s.as_str());
    for r in rows.requests.iter().filter(|r| open.contains(&r.status)) {
        report.queued += crate::requests::queue_rows::refresh(&mut tx, r.id).await?;
    }
    report.head_seq = chain::append_all(&mut tx, db.dialect(), ready).await?;
    tx.commit().await?;
    report.events += ready.len() as u64;
    report.request_events += ready.iter().filter(|e| e.scope.is_some()).count() as u64;
    *rows = Rows::default();
    ready.clear();
    Ok(())
}

type People = (Vec<Team>, HashMap<String, Vec<Member>>);

/// Teams that request (not reviewing) with their active members, and the active members of
/// each reviewing team.
async fn people(db: &Db) -> Result<People, SeedError> {
    let rows = sqlx::query(
        "SELECT t.id AS team_id, t.slug, t.reviewing, u.id AS user_id, u.login FROM teams t \
         JOIN team_members m ON m.team_id = t.id JOIN users u ON u.id = m.user_id \
         WHERE u.disabled = 0 ORDER BY t.id, u.id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut requesting: Vec<Team> = Vec::new();
    let mut reviewers: HashMap<String, Vec<Member>> = HashMap::new();
    for row in rows {
        let slug: String = row.try_get("slug")?;
        let member = Member { id: row.try_get("user_id")?, login: row.try_get("login")? };
        if row.try_get::<i64, _>("reviewing")? != 0 {
            reviewers.entry(slug).or_default().push(member);
            continue;
        }
        let team_id: i64 = row.try_get("team_id")?;
        match requesting.iter_mut().find(|t| t.id == team_id) {
            Some(team) => team.members.push(member),
            None => requesting.push(Team { id: team_id, slug, members: vec![member] }),
        }
    }
    if requesting.is_empty() {
        return Err(SeedError::Setup(
            "no team with active members to make requests: create teams and members (`infradesk team add`, \
             `team add-member`) first, or seed in demo mode, where the demo users are created"
                .into(),
        ));
    }
    Ok((requesting, reviewers))
}

/// Each module's definition in `module_versions` by digest, as `requests::submit` stores it.
async fn module_versions(db: &Db, modules: &[Module], now_ms: i64) -> Result<Vec<Version>, SeedError> {
    let mut tx = db.begin_write().await?;
    let mut out = Vec::with_capacity(modules.len());
    for module in modules {
        let definition =
            serde_json::to_string(module).map_err(|e| SeedError::Setup(format!("module {}: {e}", module.id)))?;
        let digest = crate::requests::sha256_hex(definition.as_bytes());
        sqlx::query(
            "INSERT INTO module_versions (module_id, digest, definition, created_at_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (module_id, digest) DO NOTHING",
        )
        .bind(&module.id)
        .bind(&digest)
        .bind(&definition)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        let id: i64 = sqlx::query("SELECT id FROM module_versions WHERE module_id = $1 AND digest = $2")
            .bind(&module.id)
            .bind(&digest)
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
        out.push(Version { id, digest });
    }
    tx.commit().await?;
    Ok(out)
}
