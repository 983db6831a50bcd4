//! Signing in and out, with every outcome in the audit trail.

use domain::audit::Actor;
use domain::identity::Me;
use secrecy::SecretString;
use serde_json::json;
use sqlx::Row;

use super::AccountError;
use super::passwords::verify_password;
use super::users::load_me;
use crate::audit::{self, Entry};
use crate::db::Db;

/// Why a sign-in failed. Callers show one generic message whatever the reason; the
/// reason goes to the audit trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInFailure {
    UnknownUser,
    WrongPassword,
    Disabled,
}

impl SignInFailure {
    fn as_str(self) -> &'static str {
        match self {
            SignInFailure::UnknownUser => "unknown_user",
            SignInFailure::WrongPassword => "wrong_password",
            SignInFailure::Disabled => "disabled",
        }
    }
}

/// Checks a login and password and records the outcome (`auth.signed_in` or
/// `auth.sign_in_failed`, with the client address) in the audit trail.
pub async fn sign_in(
    db: &Db,
    now_ms: i64,
    login: &str,
    password: SecretString,
    client: &str,
) -> Result<Result<Me, SignInFailure>, AccountError> {
    let row = sqlx::query("SELECT id, password_hash, disabled FROM users WHERE login = $1")
        .bind(login)
        .fetch_optional(db.pool())
        .await?;
    let outcome = match row {
        None => {
            verify_password(password, None).await;
            Err(SignInFailure::UnknownUser)
        }
        Some(row) => {
            let id: i64 = row.try_get("id")?;
            let hash: String = row.try_get("password_hash")?;
            let disabled: i64 = row.try_get("disabled")?;
            let ok = verify_password(password, Some(hash)).await;
            match (ok, disabled != 0) {
                (false, _) => Err(SignInFailure::WrongPassword),
                (true, true) => Err(SignInFailure::Disabled),
                (true, false) => Ok(id),
            }
        }
    };
    // Failed sign-ins name the login tried but never the password.
    let subject = format!("user:{}", login.chars().take(64).collect::<String>());
    match outcome {
        Ok(id) => {
            let actor = Actor::User(login.to_owned());
            audit::record(
                db,
                now_ms,
                Entry {
                    actor: &actor,
                    action: "auth.signed_in",
                    subject: &subject,
                    details: json!({"client": client}),
                },
            )
            .await?;
            let me = load_me(db, id).await?.ok_or_else(|| AccountError::NotFound(format!("user {login:?}")))?;
            Ok(Ok(me))
        }
        Err(failure) => {
            audit::record(
                db,
                now_ms,
                Entry {
                    actor: &Actor::Anonymous,
                    action: "auth.sign_in_failed",
                    subject: &subject,
                    details: json!({"client": client, "reason": failure.as_str()}),
                },
            )
            .await?;
            Ok(Err(failure))
        }
    }
}

/// Whether `login` exists, is enabled and has exactly this password. Records nothing.
pub async fn has_password(db: &Db, login: &str, password: SecretString) -> Result<bool, AccountError> {
    let row = sqlx::query("SELECT password_hash FROM users WHERE login = $1 AND disabled = 0")
        .bind(login)
        .fetch_optional(db.pool())
        .await?;
    match row {
        Some(row) => Ok(verify_password(password, Some(row.try_get("password_hash")?)).await),
        None => Ok(false),
    }
}

/// Ends session `session_id` of `login` and records `auth.signed_out` (with the client
/// address) in the same transaction.
pub async fn sign_out(db: &Db, now_ms: i64, login: &str, session_id: &str, client: &str) -> Result<(), AccountError> {
    let actor = Actor::User(login.to_owned());
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(session_id).execute(&mut *tx).await?;
    let entry = Entry {
        actor: &actor,
        action: "auth.signed_out",
        subject: &format!("user:{login}"),
        details: json!({"client": client}),
    };
    audit::append(&mut tx, db.dialect(), now_ms, entry).await?;
    tx.commit().await?;
    Ok(())
}
