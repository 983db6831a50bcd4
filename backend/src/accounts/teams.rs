//! Teams and memberships.

use domain::audit::Actor;
use domain::identity::{TeamSummary, validate_slug};
use serde_json::json;
use sqlx::Row;

use super::{AccountError, group_names, unique, validate_github_name};
use crate::audit::{self, Entry};
use crate::db::{Db, flag};

pub struct NewTeam {
    pub slug: String,
    pub name: String,
    pub github_team_slug: Option<String>,
    pub reviewing: bool,
}

pub async fn create_team(db: &Db, actor: &Actor, now_ms: i64, team: NewTeam) -> Result<i64, AccountError> {
    validate_slug("team slug", &team.slug).map_err(AccountError::Invalid)?;
    let name = team.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AccountError::Invalid("team name must be 1 to 100 characters".into()));
    }
    if let Some(gh) = &team.github_team_slug {
        validate_github_name("GitHub team slug", gh)?;
    }
    let mut tx = db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO teams (slug, name, github_team_slug, reviewing, created_at_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&team.slug)
    .bind(name)
    .bind(team.github_team_slug.as_deref())
    .bind(flag(team.reviewing))
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await;
    let id: i64 = unique(inserted, || format!("team {:?}", team.slug))?.try_get("id")?;
    audit::append(
        &mut tx,
        db.dialect(),
        now_ms,
        Entry {
            actor,
            action: "team.created",
            subject: &format!("team:{}", team.slug),
            details: json!({"name": name, "github_team_slug": team.github_team_slug, "reviewing": team.reviewing}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn add_member(db: &Db, actor: &Actor, now_ms: i64, team_slug: &str, login: &str) -> Result<(), AccountError> {
    let mut tx = db.begin_write().await?;
    let team = sqlx::query("SELECT id FROM teams WHERE slug = $1").bind(team_slug).fetch_optional(&mut *tx).await?;
    let Some(team) = team else { return Err(AccountError::NotFound(format!("team {team_slug:?}"))) };
    let user = sqlx::query("SELECT id FROM users WHERE login = $1").bind(login).fetch_optional(&mut *tx).await?;
    let Some(user) = user else { return Err(AccountError::NotFound(format!("user {login:?}"))) };
    let (team_id, user_id): (i64, i64) = (team.try_get("id")?, user.try_get("id")?);
    let inserted = sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)")
        .bind(team_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await;
    unique(inserted, || format!("membership of {login:?} in team {team_slug:?}"))?;
    audit::append(
        &mut tx,
        db.dialect(),
        now_ms,
        Entry {
            actor,
            action: "team.member_added",
            subject: &format!("team:{team_slug}"),
            details: json!({"login": login}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_teams(db: &Db) -> Result<Vec<TeamSummary>, AccountError> {
    let rows = sqlx::query("SELECT id, slug, name, github_team_slug, reviewing FROM teams ORDER BY slug")
        .fetch_all(db.pool())
        .await?;
    let memberships =
        sqlx::query("SELECT m.team_id, u.login FROM team_members m JOIN users u ON u.id = m.user_id ORDER BY u.login")
            .fetch_all(db.pool())
            .await?;
    let mut members_of = group_names(&memberships, "team_id", "login");
    rows.iter()
        .map(|r| {
            let members = members_of.remove(&r.try_get::<i64, _>("id")?).unwrap_or_default();
            Ok(TeamSummary {
                slug: r.try_get("slug")?,
                name: r.try_get("name")?,
                github_team_slug: r.try_get("github_team_slug")?,
                reviewing: r.try_get::<i64, _>("reviewing")? != 0,
                members,
            })
        })
        .collect()
}
