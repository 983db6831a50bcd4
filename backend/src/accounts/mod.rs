//! Local accounts and teams. Passwords are hashed with argon2id; every change is audited
//! in the same transaction as the change.

mod passwords;
mod sign_in;
mod teams;
mod users;

pub use passwords::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, check_password_policy, hash_password};
pub use sign_in::{SignInFailure, has_password, sign_in, sign_out};
pub use teams::{NewTeam, add_member, create_team, list_teams};
pub use users::{NewUser, change_password, create_user, list_users, load_me, set_disabled, user_count};

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("{0} does not exist")]
    NotFound(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> Self {
        AccountError::Db(DbError::Sql(e))
    }
}

/// GitHub logins and team slugs: letters, digits, `-`, `_`, `.`; at most 39 characters.
pub(crate) fn validate_github_name(kind: &str, value: &str) -> Result<(), AccountError> {
    let ok = !value.is_empty()
        && value.len() <= 39
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !value.starts_with('-');
    if ok { Ok(()) } else { Err(AccountError::Invalid(format!("{kind} {value:?} is not a valid GitHub name"))) }
}

/// Turns a unique-constraint violation into [`AccountError::Duplicate`] naming `what`.
pub(crate) fn unique<T>(result: Result<T, sqlx::Error>, what: impl FnOnce() -> String) -> Result<T, AccountError> {
    match result.map_err(DbError::Sql) {
        Ok(value) => Ok(value),
        Err(e) if e.is_unique_violation() => Err(AccountError::Duplicate(what())),
        Err(e) => Err(e.into()),
    }
}

/// Groups `(owner id, name)` rows, e.g. team memberships, by owner.
pub(crate) fn group_names(
    rows: &[sqlx::any::AnyRow],
    id_col: &str,
    name_col: &str,
) -> std::collections::HashMap<i64, Vec<String>> {
    use sqlx::Row;
    let mut groups: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    for row in rows {
        if let (Ok(id), Ok(name)) = (row.try_get::<i64, _>(id_col), row.try_get::<String, _>(name_col)) {
            groups.entry(id).or_default().push(name);
        }
    }
    groups
}
