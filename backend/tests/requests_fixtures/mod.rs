//! Fixtures shared by the request store tests: the demo catalog, people and teams, and a
//! short way to submit a request.
#![allow(dead_code, unused_imports)] // each test binary uses a different subset

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::common::*;
use backend::Db;
use backend::accounts::{self, NewTeam};
use backend::requests::{
    self, ListQuery, NewRequest, Page, Rendered, RequestError, Scope, Submitted, list, submit, user_team_ids,
};
use domain::catalog::{Module, Value};
use domain::form::FormState;
use domain::request::{Draft, RenderContext, Status, evaluate, initial_state, render_input};
use serde_json::json;
use sqlx::Row;

const PW: &str = "correct horse battery";

pub fn catalog() -> &'static backend::catalog::Catalog {
    static CATALOG: OnceLock<backend::catalog::Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../catalog");
        backend::catalog::load_catalog(&dir, &["dev", "staging", "prod"].map(String::from))
    })
}

pub fn module(id: &str) -> Module {
    catalog().modules.get(id).unwrap_or_else(|| panic!("demo module {id}")).clone()
}

/// alice: payments. bob: payments and search. carol: search only.
pub struct People {
    pub alice: i64,
    pub bob: i64,
    pub carol: i64,
}

pub async fn people(db: &Db) -> People {
    let alice = make_user(db, "alice", PW).await;
    let bob = make_user(db, "bob", PW).await;
    let carol = make_user(db, "carol", PW).await;
    for slug in ["payments", "search"] {
        let team =
            NewTeam { slug: slug.into(), name: format!("Team {slug}"), github_team_slug: None, reviewing: false };
        accounts::create_team(db, &admin(), T0, team).await.unwrap();
    }
    for (team, login) in [("payments", "alice"), ("payments", "bob"), ("search", "bob"), ("search", "carol")] {
        accounts::add_member(db, &admin(), T0, team, login).await.unwrap();
    }
    People { alice, bob, carol }
}

/// A minimal request: what the store needs, not what a real form produces.
pub struct Simple<'a> {
    pub key: &'a str,
    pub user: (i64, &'a str),
    pub team: &'a str,
    pub module: &'a Module,
    pub environment: &'a str,
    pub name: &'a str,
}

pub async fn submit_simple(db: &Db, at_ms: i64, r: Simple<'_>) -> Result<Submitted, RequestError> {
    let inputs = vec![("name".to_owned(), Value::String(r.name.to_owned()))];
    let form = FormState::default();
    let req = NewRequest {
        idempotency_key: r.key,
        requester_id: r.user.0,
        requester_login: r.user.1,
        team_slug: r.team,
        module: r.module,
        environment: r.environment,
        instance_name: r.name,
        inputs: &inputs,
        form: &form,
        routing: json!({"teams": ["sre"]}),
        checks: &[],
        justification: "because",
    };
    let env = r.environment.to_owned();
    submit(db, at_ms, req, move |n| {
        Ok(Rendered { content: format!("# request #{n}\n"), path: format!("envs/{env}/request-{n}.tf") })
    })
    .await
}

pub fn simple<'a>(key: &'a str, m: &'a Module, name: &'a str) -> Simple<'a> {
    Simple { key, user: (0, "alice"), team: "payments", module: m, environment: "dev", name }
}

pub async fn counts(db: &Db) -> [i64; 4] {
    [
        count(db, "SELECT COUNT(*) FROM requests").await,
        count(db, "SELECT COUNT(*) FROM request_revisions").await,
        count(db, "SELECT COUNT(*) FROM module_versions").await,
        count(db, "SELECT COUNT(*) FROM audit_events WHERE action = 'request.submitted'").await,
    ]
}

pub fn sha256_hex(text: &str) -> String {
    // Plain SHA-256 (see backend::requests): the audit chain hash with an empty link.
    domain::audit::chain_hash("", text.as_bytes())
}
