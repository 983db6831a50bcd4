//! Users: creation, disabling, the signed-in view, password changes, listing.

use domain::audit::Actor;
use domain::identity::{Me, TeamRef, UserSummary, validate_slug};
use secrecy::SecretString;
use serde_json::json;
use sqlx::Row;

use super::passwords::{check_password_policy, hash_password, verify_password};
use super::{AccountError, group_names, unique, validate_github_name};
use crate::audit::{self, Entry};
use crate::db::{Db, DbError, flag};

pub struct NewUser {
    pub login: String,
    pub name: String,
    pub password: SecretString,
    pub github_login: Option<String>,
    pub is_admin: bool,
}

pub async fn create_user(db: &Db, actor: &Actor, now_ms: i64, user: NewUser) -> Result<i64, AccountError> {
    validate_slug("login", &user.login).map_err(AccountError::Invalid)?;
    let name = user.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AccountError::Invalid("name must be 1 to 100 characters".into()));
    }
    if let Some(gh) = &user.github_login {
        validate_github_name("GitHub login", gh)?;
    }
    check_password_policy(&user.password)?;
    let hash = hash_password(user.password).await?;

    let mut tx = db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO users (login, name, password_hash, github_login, is_admin, disabled, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING id",
    )
    .bind(&user.login)
    .bind(name)
    .bind(&hash)
    .bind(user.github_login.as_deref())
    .bind(flag(user.is_admin))
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await;
    let id: i64 =
        unique(inserted, || format!("a user with login {:?} or that GitHub login", user.login))?.try_get("id")?;
    audit::append(
        &mut tx,
        db.dialect(),
        now_ms,
        Entry {
            actor,
            action: "user.created",
            subject: &format!("user:{}", user.login),
            details: json!({"name": name, "github_login": user.github_login, "is_admin": user.is_admin}),
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::Sql)?;
    Ok(id)
}

/// Disables (or re-enables) a user. Disabling ends all of their sessions in the same
/// transaction, so they are signed out everywhere at once.
pub async fn set_disabled(
    db: &Db,
    actor: &Actor,
    now_ms: i64,
    login: &str,
    disabled: bool,
) -> Result<u64, AccountError> {
    let mut tx = db.begin_write().await?;
    let row = sqlx::query("UPDATE users SET disabled = $1, updated_at_ms = $2 WHERE login = $3 RETURNING id")
        .bind(flag(disabled))
        .bind(now_ms)
        .bind(login)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        return Err(AccountError::NotFound(format!("user {login:?}")));
    };
    let id: i64 = row.try_get("id")?;
    let ended = if disabled {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?.rows_affected()
    } else {
        0
    };
    let action = if disabled { "user.disabled" } else { "user.enabled" };
    audit::append(
        &mut tx,
        db.dialect(),
        now_ms,
        Entry { actor, action, subject: &format!("user:{login}"), details: json!({"sessions_ended": ended}) },
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

/// Changes a user's own password after checking the current one. Other sessions of the
/// user are ended; the caller keeps (and should re-cycle) its own.
pub async fn change_password(
    db: &Db,
    now_ms: i64,
    user_id: i64,
    current: SecretString,
    new: SecretString,
    keep_session: &str,
) -> Result<(), AccountError> {
    let row = sqlx::query("SELECT login, password_hash FROM users WHERE id = $1 AND disabled = 0")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| AccountError::NotFound("user".into()))?;
    let login: String = row.try_get("login")?;
    let hash: String = row.try_get("password_hash")?;
    if !verify_password(current, Some(hash)).await {
        return Err(AccountError::Invalid("current password is wrong".into()));
    }
    check_password_policy(&new)?;
    let new_hash = hash_password(new).await?;
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE users SET password_hash = $1, updated_at_ms = $2 WHERE id = $3")
        .bind(&new_hash)
        .bind(now_ms)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(keep_session)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let actor = Actor::User(login.clone());
    audit::append(
        &mut tx,
        db.dialect(),
        now_ms,
        Entry {
            actor: &actor,
            action: "user.password_changed",
            subject: &format!("user:{login}"),
            details: json!({"other_sessions_ended": ended}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The signed-in view of a user, or `None` when the user is gone or disabled.
pub async fn load_me(db: &Db, user_id: i64) -> Result<Option<Me>, AccountError> {
    let Some(row) = sqlx::query("SELECT id, login, name, is_admin FROM users WHERE id = $1 AND disabled = 0")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?
    else {
        return Ok(None);
    };
    let teams = sqlx::query(
        "SELECT t.slug, t.name, t.reviewing FROM teams t JOIN team_members m ON m.team_id = t.id \
         WHERE m.user_id = $1 ORDER BY t.slug",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| -> Result<TeamRef, sqlx::Error> {
        Ok(TeamRef {
            slug: r.try_get("slug")?,
            name: r.try_get("name")?,
            reviewing: r.try_get::<i64, _>("reviewing")? != 0,
        })
    })
    .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Me {
        id: row.try_get("id")?,
        login: row.try_get("login")?,
        name: row.try_get("name")?,
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
        teams,
    }))
}

pub async fn list_users(db: &Db) -> Result<Vec<UserSummary>, AccountError> {
    let rows = sqlx::query("SELECT id, login, name, github_login, is_admin, disabled FROM users ORDER BY login")
        .fetch_all(db.pool())
        .await?;
    let memberships =
        sqlx::query("SELECT m.user_id, t.slug FROM team_members m JOIN teams t ON t.id = m.team_id ORDER BY t.slug")
            .fetch_all(db.pool())
            .await?;
    let mut teams_of = group_names(&memberships, "user_id", "slug");
    rows.iter()
        .map(|r| {
            let teams = teams_of.remove(&r.try_get::<i64, _>("id")?).unwrap_or_default();
            Ok(UserSummary {
                login: r.try_get("login")?,
                name: r.try_get("name")?,
                github_login: r.try_get("github_login")?,
                is_admin: r.try_get::<i64, _>("is_admin")? != 0,
                disabled: r.try_get::<i64, _>("disabled")? != 0,
                teams,
            })
        })
        .collect()
}

pub async fn user_count(db: &Db) -> Result<i64, AccountError> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(db.pool()).await?.try_get("n")?)
}
