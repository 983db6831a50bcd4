//! Password policy and argon2id hashing (on the dedicated hashing threads).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, password_hash::rand_core::OsRng};
use secrecy::{ExposeSecret, SecretString};

use super::AccountError;

pub const MIN_PASSWORD_LEN: usize = 12;
pub const MAX_PASSWORD_LEN: usize = 1024;

pub fn check_password_policy(password: &SecretString) -> Result<(), AccountError> {
    let len = password.expose_secret().chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(AccountError::Invalid(format!(
            "password is too short: use at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(AccountError::Invalid(format!("password is too long: use at most {MAX_PASSWORD_LEN} characters")));
    }
    Ok(())
}

/// Hashes on the dedicated hashing threads: argon2id is deliberately slow.
pub async fn hash_password(password: SecretString) -> Result<String, AccountError> {
    crate::hashing::run(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AccountError::Invalid(format!("cannot hash password: {e}")))
    })
    .await
    .unwrap_or_else(|| Err(AccountError::Invalid("password hashing is unavailable".into())))
}

/// Checks `password` against `hash`; with no hash (unknown login) it checks against a
/// dummy so that the time taken does not reveal which logins exist.
pub(crate) async fn verify_password(password: SecretString, hash: Option<String>) -> bool {
    crate::hashing::run(move || {
        let hash = hash.unwrap_or_else(dummy_hash);
        PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.expose_secret().as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A valid hash of a random password, checked against when the login is unknown so that
/// the response time does not tell which logins exist.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn dummy_hash() -> String {
    DUMMY_HASH
        .get_or_init(|| {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default().hash_password(b"no such user", &salt).map(|h| h.to_string()).unwrap_or_default()
        })
        .clone()
}
