//! Who is signed in and what they may do. Roles come from team membership: a member of
//! a *reviewing* team reviews what is routed to that team; `admin` is a separate flag.

use serde::{Deserialize, Serialize};

/// A team as seen from one of its members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamRef {
    pub slug: String,
    pub name: String,
    pub reviewing: bool,
}

/// The signed-in user, as every page and server function sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub is_admin: bool,
    pub teams: Vec<TeamRef>,
}

impl Me {
    /// Members of at least one reviewing team see the approval queue.
    pub fn is_reviewer(&self) -> bool {
        self.teams.iter().any(|t| t.reviewing)
    }

    /// A user requests for the (non-reviewing or reviewing) teams they belong to.
    pub fn can_request(&self) -> bool {
        !self.teams.is_empty()
    }

    pub fn role_names(&self) -> Vec<&'static str> {
        let mut roles = Vec::new();
        if self.can_request() {
            roles.push("requester");
        }
        if self.is_reviewer() {
            roles.push("reviewer");
        }
        if self.is_admin {
            roles.push("admin");
        }
        roles
    }
}

/// A user as the admin pages list them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub login: String,
    pub name: String,
    pub github_login: Option<String>,
    pub is_admin: bool,
    pub disabled: bool,
    pub teams: Vec<String>,
}

/// A team as the admin pages list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSummary {
    pub slug: String,
    pub name: String,
    pub github_team_slug: Option<String>,
    pub reviewing: bool,
    pub members: Vec<String>,
}

/// Logins and team slugs share one shape: lowercase letters, digits, `-`, `_`, `.`;
/// starting with a letter; 2 to 39 characters (GitHub's login limit).
pub fn validate_slug(kind: &str, value: &str) -> Result<(), String> {
    let ok_len = (2..=39).contains(&value.len());
    let ok_first = value.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let ok_chars = value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if ok_len && ok_first && ok_chars {
        Ok(())
    } else {
        Err(format!(
            "{kind} {value:?} is not valid: use 2 to 39 lowercase letters, digits, '-', '_' or '.', starting with a letter"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me(teams: Vec<TeamRef>, is_admin: bool) -> Me {
        Me { id: 1, login: "a".into(), name: "A".into(), is_admin, teams }
    }

    #[test]
    fn roles_follow_teams_and_admin_flag() {
        let product = TeamRef { slug: "payments".into(), name: "Payments".into(), reviewing: false };
        let sre = TeamRef { slug: "sre".into(), name: "SRE".into(), reviewing: true };
        assert_eq!(me(vec![product.clone()], false).role_names(), ["requester"]);
        assert_eq!(me(vec![sre], false).role_names(), ["requester", "reviewer"]);
        assert_eq!(me(vec![], true).role_names(), ["admin"]);
        assert!(!me(vec![product], true).is_reviewer());
    }

    #[test]
    fn slugs_are_checked() {
        assert!(validate_slug("login", "alice").is_ok());
        assert!(validate_slug("login", "sre-prod_2").is_ok());
        assert!(validate_slug("login", "Alice").is_err());
        assert!(validate_slug("login", "1abc").is_err());
        assert!(validate_slug("login", "a").is_err());
        assert!(validate_slug("login", "a b").is_err());
        let err = validate_slug("team slug", "Bad!").unwrap_err();
        assert!(err.contains("team slug \"Bad!\""), "{err}");
    }
}
