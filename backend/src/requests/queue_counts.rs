//! The queue's counts per filter, over open requests only: for each value of each filter, how
//! many open requests routed to the reviewer's teams and still needing them would be listed
//! with that value and the other filters as they are (the usual faceted counts).
//!
//! One grouped query over `review_queue` (team, status, environment, module), answered from
//! its facets index; the counts are then summed here. A request routed to several of the
//! reviewer's teams has a row per team, so across teams the counts come from a second query
//! over distinct requests.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::queue::{QueueQuery, QueueStatus};
use super::queue_rows::done_by_pattern;
use crate::db::{Db, DbError};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCounts {
    /// What the queue lists with every filter as it is.
    pub listed: i64,
    /// Per value, with the other filters applied. Values are those of open requests, sorted.
    pub teams: Vec<(String, i64)>,
    pub statuses: Vec<(QueueStatus, i64)>,
    pub environments: Vec<(String, i64)>,
    pub modules: Vec<(String, i64)>,
    /// With "needs me" on.
    pub needs_me: i64,
}

/// One group of the grouped query: `team` is `None` for distinct requests across teams.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Group {
    team: Option<String>,
    status: String,
    environment: String,
    module: String,
    /// Requests in the group.
    all: i64,
    /// Of which the reviewer can approve now.
    mine: i64,
}

/// The filters a group is checked against, each facet optionally left out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Facet {
    Team,
    Status,
    Environment,
    Module,
    NeedsMe,
    None,
}

pub async fn queue_counts(db: &Db, q: &QueueQuery) -> Result<QueueCounts, DbError> {
    if q.teams.is_empty() {
        return Ok(QueueCounts::default());
    }
    let teams: Vec<&str> = q.teams.iter().map(String::as_str).collect();
    let per_team = grouped(db, q, &teams, false).await?;
    // Across several teams, a request routed to two of them would count twice.
    let across = if q.team.is_none() && teams.len() > 1 { grouped(db, q, &teams, true).await? } else { Vec::new() };
    Ok(summarise(q, &per_team, &across))
}

async fn grouped(db: &Db, q: &QueueQuery, teams: &[&str], distinct: bool) -> Result<Vec<Group>, DbError> {
    let list: Vec<String> = (0..teams.len()).map(|i| format!("${}", i + 2)).collect();
    let list = list.join(", ");
    let mine = "SUM(CASE WHEN status = 'in_review' AND done_by NOT LIKE $1 THEN 1 ELSE 0 END)";
    let sql = if distinct {
        format!(
            "SELECT NULL AS team_slug, status, environment, module_id, COUNT(*) AS all_n, {mine} AS mine_n \
             FROM (SELECT DISTINCT request_id, status, environment, module_id, done_by FROM review_queue \
             WHERE team_slug IN ({list})) d GROUP BY status, environment, module_id"
        )
    } else {
        format!(
            "SELECT team_slug, status, environment, module_id, COUNT(*) AS all_n, {mine} AS mine_n FROM review_queue \
             WHERE team_slug IN ({list}) GROUP BY team_slug, status, environment, module_id"
        )
    };
    let mut query = sqlx::query(&sql).bind(done_by_pattern(q.user_id));
    for t in teams {
        query = query.bind(*t);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| {
            Ok(Group {
                team: r.try_get("team_slug")?,
                status: r.try_get("status")?,
                environment: r.try_get("environment")?,
                module: r.try_get("module_id")?,
                all: r.try_get("all_n")?,
                mine: r.try_get("mine_n")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}

fn summarise(q: &QueueQuery, per_team: &[Group], across: &[Group]) -> QueueCounts {
    // Facets other than the team read distinct requests when the view spans several teams.
    let spanning = if across.is_empty() { per_team } else { across };
    let count = |groups: &[Group], skip: Facet, needs_me: bool, pick: &dyn Fn(&Group) -> bool| -> i64 {
        groups
            .iter()
            .filter(|g| matches(q, g, skip) && pick(g))
            .map(|g| if needs_me || (q.needs_me && skip != Facet::NeedsMe) { g.mine } else { g.all })
            .sum()
    };
    let values = |f: &dyn Fn(&Group) -> String| -> Vec<String> {
        let mut v: Vec<String> = per_team.iter().map(f).collect();
        v.sort();
        v.dedup();
        v
    };
    QueueCounts {
        listed: count(spanning, Facet::None, false, &|_| true),
        teams: q
            .teams
            .iter()
            .map(|t| (t.clone(), count(per_team, Facet::Team, false, &|g| g.team.as_deref() == Some(t))))
            .collect(),
        statuses: QueueStatus::ALL
            .into_iter()
            .map(|s| (s, count(spanning, Facet::Status, false, &|g| s.statuses().contains(&g.status.as_str()))))
            .collect(),
        environments: values(&|g| g.environment.clone())
            .into_iter()
            .map(|e| {
                let n = count(spanning, Facet::Environment, false, &|g| g.environment == e);
                (e, n)
            })
            .collect(),
        modules: values(&|g| g.module.clone())
            .into_iter()
            .map(|m| {
                let n = count(spanning, Facet::Module, false, &|g| g.module == m);
                (m, n)
            })
            .collect(),
        needs_me: count(spanning, Facet::NeedsMe, true, &|_| true),
    }
}

/// Whether `g` passes every filter of `q` but `skip`.
fn matches(q: &QueueQuery, g: &Group, skip: Facet) -> bool {
    let team =
        skip == Facet::Team || g.team.is_none() || q.team.as_deref().is_none_or(|t| g.team.as_deref() == Some(t));
    let status = skip == Facet::Status || q.status.statuses().contains(&g.status.as_str());
    let environment = skip == Facet::Environment || q.environment.as_deref().is_none_or(|e| g.environment == e);
    let module = skip == Facet::Module || q.module.as_deref().is_none_or(|m| g.module == m);
    team && status && environment && module
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(team: &str, status: &str, env: &str, module: &str, all: i64, mine: i64) -> Group {
        Group {
            team: Some(team.into()),
            status: status.into(),
            environment: env.into(),
            module: module.into(),
            all,
            mine,
        }
    }

    #[test]
    fn each_facet_counts_with_the_other_filters_applied() {
        let groups = [
            g("sre", "in_review", "prod", "rds", 5, 3),
            g("sre", "in_review", "dev", "rds", 2, 2),
            g("sre", "changes_requested", "prod", "sqs", 4, 0),
        ];
        let q = QueueQuery { teams: vec!["sre".into()], environment: Some("prod".into()), ..QueueQuery::default() };
        let c = summarise(&q, &groups, &[]);
        assert_eq!(c.listed, 5, "in review (the default) and prod");
        assert_eq!(c.environments, [("dev".to_owned(), 2), ("prod".to_owned(), 5)], "environment left out");
        assert_eq!(
            c.statuses,
            [(QueueStatus::InReview, 5), (QueueStatus::ChangesRequested, 4), (QueueStatus::Open, 9)]
        );
        assert_eq!(c.modules, [("rds".to_owned(), 5), ("sqs".to_owned(), 0)]);
        assert_eq!(c.needs_me, 3);
        assert_eq!(c.teams, [("sre".to_owned(), 5)]);

        let mine = QueueQuery { needs_me: true, ..q };
        let c = summarise(&mine, &groups, &[]);
        assert_eq!(c.listed, 3);
        assert_eq!(c.environments, [("dev".to_owned(), 2), ("prod".to_owned(), 3)]);
    }

    #[test]
    fn across_teams_a_request_counts_once_but_each_team_counts_it() {
        let per_team = [g("sre", "in_review", "prod", "rds", 3, 3), g("dba", "in_review", "prod", "rds", 2, 2)];
        let across = [Group { team: None, ..g("", "in_review", "prod", "rds", 4, 4) }];
        let q = QueueQuery { teams: vec!["dba".into(), "sre".into()], ..QueueQuery::default() };
        let c = summarise(&q, &per_team, &across);
        assert_eq!(c.listed, 4, "one request is routed to both teams");
        assert_eq!(c.teams, [("dba".to_owned(), 2), ("sre".to_owned(), 3)]);
        assert_eq!(c.needs_me, 4);
    }
}
