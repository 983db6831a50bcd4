//! Shared by the decision and queue tests: reviewing teams with their people, routing a
//! request, and deciding as a reviewer.
#![allow(dead_code)]

use backend::Db;
use backend::accounts::{self, NewTeam};
use backend::requests::{DecideError, Decided, Decision, DecisionKind, decide};
use domain::identity::{Me, TeamRef};
use serde_json::json;

use crate::common::*;

/// Reviewing teams sre (sam, riley) and dba (dee); sam is also in dba.
pub async fn reviewers(db: &Db) -> Vec<Me> {
    let mut people = Vec::new();
    for login in ["sam", "riley", "dee"] {
        people.push((login, make_user(db, login, "correct horse battery").await));
    }
    for slug in ["sre", "dba"] {
        let team = NewTeam { slug: slug.into(), name: slug.to_uppercase(), github_team_slug: None, reviewing: true };
        accounts::create_team(db, &admin(), T0, team).await.unwrap();
    }
    for (team, login) in [("sre", "sam"), ("sre", "riley"), ("dba", "dee"), ("dba", "sam")] {
        accounts::add_member(db, &admin(), T0, team, login).await.unwrap();
    }
    let teams = |slugs: &[&str]| {
        slugs.iter().map(|s| TeamRef { slug: (*s).into(), name: s.to_uppercase(), reviewing: true }).collect()
    };
    people
        .into_iter()
        .map(|(login, id)| Me {
            id,
            login: login.into(),
            name: login.into(),
            is_admin: false,
            teams: match login {
                "sam" => teams(&["sre", "dba"]),
                "riley" => teams(&["sre"]),
                _ => teams(&["dba"]),
            },
        })
        .collect()
}

/// Routes request `n` to sre × `sre` approvals (and dba × `dba`).
pub async fn route(db: &Db, n: i64, sre: u32, dba: u32) {
    let routing = json!({
        "rule": "test",
        "reviewers": [{"team": "sre", "approvals": sre}, {"team": "dba", "approvals": dba}],
        "sla_hours": 8,
        "auto_approve": false
    });
    sqlx::query("UPDATE request_revisions SET routing = $1 WHERE request_id = $2")
        .bind(routing.to_string())
        .bind(n)
        .execute(db.pool())
        .await
        .unwrap();
}

pub async fn version(db: &Db, n: i64) -> i64 {
    let row: (i64,) =
        sqlx::query_as("SELECT version FROM requests WHERE id = $1").bind(n).fetch_one(db.pool()).await.unwrap();
    row.0
}

pub async fn decide_as(db: &Db, me: &Me, n: i64, kind: DecisionKind, comment: &str) -> Result<Decided, DecideError> {
    let v = version(db, n).await;
    decide(db, T0, Decision { number: n, expected_version: v, kind, comment, reviewer: me }).await
}

pub fn alice_me(id: i64) -> Me {
    Me {
        id,
        login: "alice".into(),
        name: "Alice".into(),
        is_admin: true,
        teams: vec![
            TeamRef { slug: "payments".into(), name: "Payments".into(), reviewing: false },
            TeamRef { slug: "sre".into(), name: "SRE".into(), reviewing: true },
        ],
    }
}
