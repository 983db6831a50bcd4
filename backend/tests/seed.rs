//! `seed`: a small scale on SQLite and PostgreSQL — the same code path as the full-scale
//! benchmark, checked by its outcomes: rows per table, a valid audit chain continuing the one
//! already there, scope rows matching their requests, the approval queue, the request page's
//! data, files that are exactly what rendering them gives, and the refusal to seed twice.
#![allow(clippy::unwrap_used)]

mod common;
mod requests_fixtures;

use std::collections::BTreeMap;

use backend::Db;
use backend::accounts::{self, NewTeam};
use backend::requests::{QueueQuery, queue};
use backend::seed::{Options, Report, SeedError, Setting, seed};
use common::*;
use domain::request::{Draft, Environment, RenderContext, Status, evaluate, render_input};
use domain::routing::{Known, Routing, RoutingConfig};
use requests_fixtures::catalog;
use serde_json::json;
use sqlx::Row;

const SCALE: u64 = 400;
const BASE_URL: &str = "https://infradesk.example.com";

fn environments() -> Vec<Environment> {
    [("dev", "111111111111"), ("staging", "222222222222"), ("prod", "333333333333")]
        .map(|(name, account)| Environment {
            name: name.into(),
            aws_account_id: account.into(),
            region: "eu-west-1".into(),
            directory: format!("environments/{name}"),
            protected: name == "prod",
        })
        .to_vec()
}

/// The demo configuration's routing (infradesk.toml).
fn routing() -> Routing {
    let config: RoutingConfig = serde_json::from_value(json!({
        "timezone": "Europe/Berlin",
        "rules": [
            { "name": "dev-low-risk", "when": { "environments": ["dev"], "risk_tiers": ["low"] }, "auto_approve": true },
            { "name": "iam", "when": { "modules": ["iam-service-role"] },
              "reviewers": [{ "team": "security" }, { "team": "sre" }], "sla_hours": 8 },
            { "name": "prod-databases", "when": { "environments": ["prod"], "modules": ["rds-postgresql", "elasticache-redis"] },
              "reviewers": [{ "team": "sre", "approvals": 2 }, { "team": "dba" }], "sla_hours": 8 },
            { "name": "prod", "when": { "environments": ["prod"] },
              "reviewers": [{ "team": "sre", "approvals": 2 }], "sla_hours": 8 },
            { "name": "default", "reviewers": [{ "team": "sre" }], "sla_hours": 16 },
        ],
    }))
    .unwrap();
    let known = Known {
        environments: vec!["dev".into(), "staging".into(), "prod".into()],
        teams: vec!["sre".into(), "dba".into(), "security".into()],
    };
    config.check(&known).unwrap()
}

/// The demo teams and users (server/src/demo.rs), made through the accounts service.
async fn demo_people(db: &Db) {
    for (slug, reviewing) in
        [("payments", false), ("checkout", false), ("sre", true), ("dba", true), ("security", true)]
    {
        let team = NewTeam { slug: slug.into(), name: slug.into(), github_team_slug: None, reviewing };
        accounts::create_team(db, &admin(), T0, team).await.unwrap();
    }
    let members: [(&str, &[&str]); 6] = [
        ("dev", &["payments"]),
        ("dev2", &["checkout", "payments"]),
        ("sre", &["sre"]),
        ("sre2", &["sre"]),
        ("dba", &["dba"]),
        ("sec", &["security"]),
    ];
    for (login, teams) in members {
        make_user(db, login, "correct horse battery").await;
        for team in teams {
            accounts::add_member(db, &admin(), T0, team, login).await.unwrap();
        }
    }
}

async fn run(db: &Db, options: &Options) -> Result<Report, SeedError> {
    let modules: Vec<_> = catalog().modules.values().cloned().collect();
    let (environments, routing) = (environments(), routing());
    let setting = Setting {
        modules: &modules,
        environments: &environments,
        path_template: "{env_dir}/{module}-{instance}.tf",
        routing: &routing,
        base_url: BASE_URL,
        pull_url: "https://github.com/acme/infra/pull/",
    };
    let mut batches = 0;
    let report = seed(db, &setting, options, &mut |_| batches += 1).await?;
    assert!(batches >= 1, "progress is reported");
    Ok(report)
}

fn small(scale: u64) -> Options {
    // Small batches, so that several transactions and the timeline between them are tested.
    Options { batch: 64, ..Options::new(scale, T0) }
}

#[tokio::test]
async fn a_seeded_database_holds_what_the_application_would_have_written() {
    each_db(|db| async move {
        demo_people(&db).await;
        let before = audit_count(&db).await;
        let report = run(&db, &small(SCALE)).await.unwrap();
        eprintln!("[{:?}] seeded: {report:?}", db.dialect());

        // Rows per table, as reported.
        assert_eq!(report.requests, SCALE);
        assert_eq!(report.numbers, (1, SCALE as i64));
        for (table, expected) in [
            ("requests", report.requests),
            ("request_revisions", report.revisions),
            ("review_queue", report.queued),
            ("pull_requests", report.pull_requests),
            ("approvals", report.approvals),
            ("review_comments", report.comments),
            ("outbox_jobs", report.jobs),
            ("audit_request_scope", report.request_events),
        ] {
            assert_eq!(count(&db, &format!("SELECT COUNT(*) FROM {table}")).await, expected as i64, "{table}");
        }
        assert_eq!(count(&db, "SELECT COUNT(*) FROM module_versions").await, catalog().modules.len() as i64);
        assert!(report.revisions > report.requests && report.revisions < report.requests * 2, "{report:?}");
        let per_request = report.events as f64 / report.requests as f64;
        assert!((8.0..=12.0).contains(&per_request), "about ten events per request: {per_request}");

        // Statuses in realistic proportions: mostly done, a few percent open.
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM requests GROUP BY status")
            .fetch_all(db.pool())
            .await
            .unwrap();
        let statuses: BTreeMap<String, i64> =
            rows.iter().map(|r| (r.try_get("status").unwrap(), r.try_get("n").unwrap())).collect();
        let reported: BTreeMap<String, i64> =
            report.statuses.iter().map(|(s, n)| ((*s).to_owned(), *n as i64)).collect();
        assert_eq!(statuses, reported);
        let done: i64 = ["merged", "cancelled", "rejected"].iter().map(|s| statuses.get(*s).unwrap_or(&0)).sum();
        assert!(done * 100 >= SCALE as i64 * 85, "{statuses:?}");
        assert!(statuses["merged"] > statuses["cancelled"] + statuses["rejected"], "{statuses:?}");
        assert!(statuses.get("in_review").is_some_and(|n| *n >= 3), "{statuses:?}");

        // The chain continues the one that was there and ends at the head.
        let v = backend::audit::verify(&db).await.unwrap();
        assert_eq!(v.broken, None);
        assert_eq!(v.events, before + report.events as i64);
        assert_eq!((v.head_seq, v.events), (report.head_seq, report.head_seq));
        let about_requests = count(&db, "SELECT COUNT(*) FROM audit_events WHERE subject LIKE 'request:%'").await;
        assert_eq!(about_requests, report.request_events as i64);

        // Every scope row names its event's request, with that request's team, environment, module.
        let matching = count(
            &db,
            "SELECT COUNT(*) FROM audit_request_scope s JOIN audit_events e ON e.seq = s.seq \
             JOIN requests r ON r.id = s.request_id JOIN teams t ON t.id = r.team_id \
             WHERE e.subject = 'request:' || r.id AND s.team = t.slug AND s.environment = r.environment \
             AND s.module = r.module_id",
        )
        .await;
        assert_eq!(matching, report.request_events as i64);
        // Times run with the chain; the history ends before "now".
        let backwards = format!(
            "SELECT COUNT(*) FROM audit_events a JOIN audit_events b ON b.seq = a.seq + 1 \
             WHERE b.at_ms < a.at_ms AND a.seq > {before}"
        );
        assert_eq!(count(&db, &backwards).await, 0);
        assert!(count(&db, "SELECT MAX(at_ms) FROM audit_events WHERE subject LIKE 'request:%'").await < T0);

        check_queue(&db).await;
        check_request_pages(&db).await;
    })
    .await;
}

/// The queue lists exactly the requests in review whose approvals from the team are still
/// incomplete as the request page counts them, oldest first, in pages.
async fn check_queue(db: &Db) {
    let in_review: Vec<i64> =
        sqlx::query("SELECT id FROM requests WHERE status = 'in_review' ORDER BY created_at_ms, id")
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get("id").unwrap())
            .collect();
    let mut tallies = Vec::new();
    for n in &in_review {
        tallies.push((*n, backend::requests::review_state(db, *n).await.unwrap().tally));
    }
    for team in ["sre", "dba", "security"] {
        let expected: Vec<i64> = tallies
            .iter()
            .filter(|(_, t)| t.teams.iter().any(|t| t.team == team && !t.complete()))
            .map(|(n, _)| *n)
            .collect();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let q = QueueQuery { teams: vec![team.into()], after, limit: 5, ..QueueQuery::default() };
            let page = queue(db, &q).await.unwrap();
            seen.extend(page.items.iter().map(|i| i.number));
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{team}");
        if team == "sre" {
            assert!(expected.len() >= 3, "sre has a queue: {expected:?}");
        }
    }
}

/// The request page's data loads, and the stored file is what the real code renders.
async fn check_request_pages(db: &Db) {
    let sample = sqlx::query(
        "SELECT id FROM requests WHERE id IN (SELECT MIN(id) FROM requests GROUP BY status) \
         OR id IN (SELECT MAX(request_id) FROM request_revisions WHERE revision = 2) ORDER BY id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert!(sample.len() >= 5, "requests in several statuses, one edited");
    for row in sample {
        let n: i64 = row.try_get("id").unwrap();
        let detail = backend::requests::get(db, n).await.unwrap().unwrap();
        let r = &detail.revision;
        assert_eq!(r.content_hash, requests_fixtures::sha256_hex(&r.rendered), "#{n}");
        assert!(r.rendered.contains(&format!("request #{n}: {BASE_URL}/requests/{n}")), "#{n}:\n{}", r.rendered);
        assert!(r.path.contains(&detail.summary.instance_name), "#{n}: {}", r.path);
        let draft = Draft {
            environment: detail.summary.environment.clone(),
            team: detail.summary.team.clone(),
            instance_name: detail.summary.instance_name.clone(),
            justification: r.justification.clone(),
            inputs: r.form.clone(),
        };
        let evaluation = evaluate(&r.module, &draft);
        assert!(evaluation.is_valid(), "#{n}: {:?}", evaluation.errors);
        assert_eq!(evaluation.inputs, r.inputs, "#{n}");
        let url = format!("{BASE_URL}/requests/{n}");
        let ctx = RenderContext { request_number: n as u64, request_url: &url, requester: &detail.summary.requester };
        let rendered = domain::render::render_module(&render_input(&r.module, &draft, &evaluation, &ctx)).unwrap();
        assert_eq!(rendered, r.rendered, "#{n}");

        let review = backend::requests::review_state(db, n).await.unwrap();
        assert_eq!(review.revision, detail.current_revision);
        let pull = backend::pulls::of_request(db, n).await.unwrap();
        let status = detail.summary.status;
        assert_eq!(pull.is_some(), status != Status::PrPending, "#{n} {status:?}");
        if status == Status::Merged {
            let auto = r.routing["auto_approve"] == json!(true);
            assert!(auto || review.tally.complete(), "#{n}: merged with its approvals: {:?}", review.tally);
        }
        let events = backend::audit::for_subject(db, &format!("request:{n}")).await.unwrap();
        assert_eq!(events.first().map(|e| e.action.as_str()), Some("request.submitted"), "#{n}");
    }
}

#[tokio::test]
async fn seeding_twice_needs_append_and_continues_numbers_and_chain() {
    each_db(|db| async move {
        demo_people(&db).await;
        let first = run(&db, &small(30)).await.unwrap();
        match run(&db, &small(30)).await {
            Err(SeedError::NotEmpty(30)) => {}
            other => panic!("a second seed without --append must be refused: {other:?}"),
        }
        let more = run(&db, &Options { append: true, ..small(25) }).await.unwrap();
        assert_eq!(more.numbers, (31, 55));
        assert_eq!(count(&db, "SELECT COUNT(*) FROM requests").await, 55);
        let v = backend::audit::verify(&db).await.unwrap();
        assert_eq!(v.broken, None);
        assert_eq!(v.head_seq, more.head_seq);
        assert!(more.head_seq > first.head_seq);
        // The application carries on after the seeded numbers.
        let next: i64 = sqlx::query(
            "INSERT INTO requests (team_id, requester_id, module_id, environment, instance_name, status, \
             current_revision, idempotency_key, created_at_ms, updated_at_ms) \
             VALUES (1, 1, 'sqs-queue', 'dev', 'after-seed', 'submitted', 1, 'after-seed', 1, 1) RETURNING id",
        )
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
        assert_eq!(next, 56);
    })
    .await;
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data() {
    let mut fingerprints = Vec::new();
    for _ in 0..2 {
        let t = backend::testing::TestDb::sqlite().await;
        demo_people(&t.db).await;
        let report = run(&t.db, &small(60)).await.unwrap();
        let rows = sqlx::query("SELECT id, status, instance_name, version, idempotency_key FROM requests ORDER BY id")
            .fetch_all(t.db.pool())
            .await
            .unwrap();
        let requests: Vec<String> = rows
            .iter()
            .map(|r| {
                let (id, status): (i64, String) = (r.try_get("id").unwrap(), r.try_get("status").unwrap());
                let name: String = r.try_get("instance_name").unwrap();
                let key: String = r.try_get("idempotency_key").unwrap();
                format!("{id} {status} {name} {} {key}", r.try_get::<i64, _>("version").unwrap())
            })
            .collect();
        let head: String =
            sqlx::query("SELECT hash FROM audit_head").fetch_one(t.db.pool()).await.unwrap().try_get("hash").unwrap();
        fingerprints.push((report, requests, head));
        t.cleanup().await;
    }
    assert_eq!(fingerprints[0], fingerprints[1]);
}
