//! Demo mode: the teams and users someone trying Infradesk signs in with. Seeding is
//! idempotent (existing users and teams are left alone), and production mode refuses to
//! start while any of these accounts is enabled.

use app::context::DemoAccount;
use backend::Db;
use backend::accounts::{self, AccountError, NewTeam, NewUser};
use domain::audit::Actor;
use secrecy::SecretString;

pub const DEMO_PASSWORD: &str = "infradesk-demo";

struct DemoUser {
    login: &'static str,
    name: &'static str,
    github: &'static str,
    admin: bool,
    teams: &'static [&'static str],
}

const TEAMS: &[(&str, &str, &str, bool)] = &[
    ("payments", "Payments", "payments", false),
    ("checkout", "Checkout", "checkout", false),
    ("sre", "SRE", "sre", true),
    ("dba", "Database administrators", "dba", true),
    ("security", "Security", "security", true),
];

const USERS: &[DemoUser] = &[
    DemoUser { login: "dev", name: "Dana Developer", github: "dana-dev", admin: false, teams: &["payments"] },
    DemoUser {
        login: "dev2",
        name: "Chris Checkout",
        github: "chris-checkout",
        admin: false,
        teams: &["checkout", "payments"],
    },
    DemoUser { login: "sre", name: "Sam Reliability", github: "sam-sre", admin: false, teams: &["sre"] },
    DemoUser { login: "sre2", name: "Riley Oncall", github: "riley-sre", admin: false, teams: &["sre"] },
    DemoUser { login: "dba", name: "Dee Bee", github: "dee-dba", admin: false, teams: &["dba"] },
    DemoUser { login: "sec", name: "Sasha Security", github: "sasha-sec", admin: false, teams: &["security"] },
    DemoUser { login: "admin", name: "Ada Admin", github: "ada-admin", admin: true, teams: &[] },
];

pub fn demo_logins() -> Vec<&'static str> {
    USERS.iter().map(|u| u.login).collect()
}

/// The accounts listed on the login page in demo mode.
pub fn accounts() -> Vec<DemoAccount> {
    USERS
        .iter()
        .map(|u| {
            let reviewing = u.teams.iter().any(|t| TEAMS.iter().any(|(slug, _, _, r)| slug == t && *r));
            let mut roles = Vec::new();
            if !u.teams.is_empty() {
                roles.push(format!("requester ({})", u.teams.join(", ")));
            }
            if reviewing {
                roles.push("reviewer".to_owned());
            }
            if u.admin {
                roles.push("admin".to_owned());
            }
            DemoAccount { login: u.login.into(), name: u.name.into(), roles: roles.join(", ") }
        })
        .collect()
}

fn ignore_duplicate<T>(result: Result<T, AccountError>) -> Result<(), AccountError> {
    match result {
        Ok(_) | Err(AccountError::Duplicate(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates whatever demo teams, users and memberships are missing.
pub async fn seed(db: &Db, now_ms: i64) -> Result<usize, AccountError> {
    let actor = Actor::System;
    let existing: Vec<String> = accounts::list_users(db).await?.into_iter().map(|u| u.login).collect();
    for (slug, name, gh, reviewing) in TEAMS {
        let team = NewTeam {
            slug: (*slug).into(),
            name: (*name).into(),
            github_team_slug: Some((*gh).into()),
            reviewing: *reviewing,
        };
        ignore_duplicate(accounts::create_team(db, &actor, now_ms, team).await)?;
    }
    let mut created = 0;
    for user in USERS.iter().filter(|u| !existing.iter().any(|e| e == u.login)) {
        let new = NewUser {
            login: user.login.into(),
            name: user.name.into(),
            password: SecretString::from(DEMO_PASSWORD),
            github_login: Some(user.github.into()),
            is_admin: user.admin,
        };
        accounts::create_user(db, &actor, now_ms, new).await?;
        for team in user.teams {
            ignore_duplicate(accounts::add_member(db, &actor, now_ms, team, user.login).await)?;
        }
        created += 1;
    }
    Ok(created)
}

/// Demo accounts that are enabled and still have the published demo password
/// (production refuses to start with any). A real user who happens to be called `admin`
/// does not count.
pub async fn enabled_demo_users(db: &Db) -> Result<Vec<String>, AccountError> {
    let mut found = Vec::new();
    for login in demo_logins() {
        if accounts::has_password(db, login, SecretString::from(DEMO_PASSWORD)).await? {
            found.push(login.to_owned());
        }
    }
    Ok(found)
}
