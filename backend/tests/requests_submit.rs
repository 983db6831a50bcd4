//! Request store contract, submitting: idempotency, membership, instance names, module
//! versions, the audit event and nothing stored on failure, judged by the rows that end up in
//! the tables, on every database.
#![allow(clippy::unwrap_used)]

mod common;
mod requests_fixtures;

use backend::requests::{self, NewRequest, Rendered, RequestError, Submitted, submit};
use common::*;
use domain::catalog::{Module, Value};
use domain::form::FormState;
use domain::request::{Draft, RenderContext, Status, evaluate, initial_state, render_input};
use requests_fixtures::*;
use serde_json::json;
use sqlx::Row;

#[tokio::test]
async fn submit_stores_the_request_its_revision_module_version_and_audit_event() {
    each_db(|db| async move {
        let p = people(&db).await;
        let m = module("rds-postgresql");
        let mut form = initial_state(&m, "dev");
        for (k, v) in [
            ("instance_class", "db.t4g.small"),
            ("allocated_storage", "50"),
            ("master_password_ssm_parameter", "/orders/db"),
            ("subnet_group_name", "payments-private"),
        ] {
            form.set(k, v);
        }
        let draft = Draft {
            environment: "dev".into(),
            team: "payments".into(),
            instance_name: "orders-db".into(),
            justification: "orders need a database".into(),
            inputs: form,
        };
        let evaluation = evaluate(&m, &draft);
        assert!(evaluation.is_valid(), "{:#?}", evaluation.errors);
        let routing = json!({"required": [{"team": "dba", "reason": "module owner"}], "auto_approve": false});
        let req = NewRequest {
            idempotency_key: "0f8e7c1a-2b3c-4d5e-8f90-123456789abc",
            requester_id: p.alice,
            requester_login: "alice",
            team_slug: "payments",
            module: &m,
            environment: "dev",
            instance_name: "orders-db",
            inputs: &evaluation.inputs,
            form: &draft.inputs,
            routing: routing.clone(),
            checks: &evaluation.checks,
            justification: &draft.justification,
        };
        let (module_ref, draft_ref, evaluation_ref) = (&m, &draft, &evaluation);
        let number = submit(&db, T0, req, move |n| {
            let ctx = RenderContext {
                request_number: u64::try_from(n).map_err(|e| e.to_string())?,
                request_url: &format!("https://infradesk.example.com/requests/{n}"),
                requester: "alice",
            };
            let input = render_input(module_ref, draft_ref, evaluation_ref, &ctx);
            let content = domain::render::render_module(&input).map_err(|e| e.to_string())?;
            let path = domain::render::target_path("{env_dir}/{module}-{instance}.tf", "envs/dev", "orders-db", "rds")
                .map_err(|e| e.to_string())?;
            Ok(Rendered { content, path })
        })
        .await
        .unwrap();
        let Submitted::Created(n) = number else { panic!("{number:?}") };
        assert_eq!(counts(&db).await, [1, 1, 1, 1]);

        let row = sqlx::query(
            "SELECT r.team_id, r.requester_id, r.module_id, r.environment, r.instance_name, r.status, \
             r.current_revision, r.version, r.idempotency_key, r.created_at_ms, r.updated_at_ms, t.slug \
             FROM requests r JOIN teams t ON t.id = r.team_id WHERE r.id = $1",
        )
        .bind(n)
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(row.try_get::<String, _>("slug").unwrap(), "payments");
        assert_eq!(row.try_get::<i64, _>("requester_id").unwrap(), p.alice);
        assert_eq!(row.try_get::<String, _>("module_id").unwrap(), "rds-postgresql");
        assert_eq!(row.try_get::<String, _>("environment").unwrap(), "dev");
        assert_eq!(row.try_get::<String, _>("instance_name").unwrap(), "orders-db");
        // Submitting also asks for the pull request (status and job in the same transaction).
        assert_eq!(row.try_get::<String, _>("status").unwrap(), "pr_pending");
        assert_eq!(row.try_get::<i64, _>("current_revision").unwrap(), 1);
        assert_eq!(row.try_get::<i64, _>("version").unwrap(), 2);
        let jobs =
            count(&db, &format!("SELECT COUNT(*) FROM outbox_jobs WHERE request_id = {n} AND kind = 'open_pr'")).await;
        assert_eq!(jobs, 1);
        assert_eq!(row.try_get::<String, _>("idempotency_key").unwrap(), "0f8e7c1a-2b3c-4d5e-8f90-123456789abc");
        assert_eq!(row.try_get::<i64, _>("created_at_ms").unwrap(), T0);
        assert_eq!(row.try_get::<i64, _>("updated_at_ms").unwrap(), T0);

        let rev = sqlx::query(
            "SELECT v.revision, v.rendered, v.content_hash, v.path, v.routing, v.inputs, v.author_id, \
             v.justification, v.created_at_ms, mv.module_id, mv.digest, mv.definition \
             FROM request_revisions v JOIN module_versions mv ON mv.id = v.module_version_id WHERE v.request_id = $1",
        )
        .bind(n)
        .fetch_one(db.pool())
        .await
        .unwrap();
        let rendered: String = rev.try_get("rendered").unwrap();
        assert!(
            rendered.starts_with(&format!("# Managed by Infradesk — request #{n}: ")),
            "the number reached the render: {rendered}"
        );
        let tag = rendered.lines().find(|l| l.trim_start().starts_with("infradesk-request "));
        assert!(tag.is_some_and(|l| l.ends_with(&format!("= \"{n}\""))), "{rendered}");
        assert_eq!(rev.try_get::<i64, _>("revision").unwrap(), 1);
        assert_eq!(rev.try_get::<String, _>("content_hash").unwrap(), sha256_hex(&rendered));
        assert_eq!(rev.try_get::<String, _>("path").unwrap(), "envs/dev/rds-orders-db.tf");
        assert_eq!(rev.try_get::<i64, _>("author_id").unwrap(), p.alice);
        assert_eq!(rev.try_get::<i64, _>("created_at_ms").unwrap(), T0);
        assert_eq!(rev.try_get::<String, _>("justification").unwrap(), "orders need a database");
        let stored_routing: serde_json::Value =
            serde_json::from_str(&rev.try_get::<String, _>("routing").unwrap()).unwrap();
        assert_eq!(stored_routing, routing);
        // Inputs as [[name, value], ...] in declaration order.
        let stored_inputs: serde_json::Value =
            serde_json::from_str(&rev.try_get::<String, _>("inputs").unwrap()).unwrap();
        assert_eq!(stored_inputs[0][0], json!("identifier"));
        let definition: String = rev.try_get("definition").unwrap();
        assert_eq!(rev.try_get::<String, _>("module_id").unwrap(), "rds-postgresql");
        let digest: String = rev.try_get("digest").unwrap();
        assert_eq!(digest, sha256_hex(&definition));
        assert_eq!(digest, sha256_hex(&serde_json::to_string(&m).unwrap()));

        let (action, subject, _) = last_event(&db).await;
        assert_eq!((action.as_str(), subject.as_str()), ("request.pr_requested", format!("request:{n}").as_str()));
        let details: String = sqlx::query("SELECT details FROM audit_events WHERE action = 'request.submitted'")
            .fetch_one(db.pool())
            .await
            .unwrap()
            .try_get("details")
            .unwrap();
        let details: serde_json::Value = serde_json::from_str(&details).unwrap();
        assert_eq!(
            details,
            json!({
                "module": "rds-postgresql",
                "module_digest": digest,
                "environment": "dev",
                "team": "payments",
                "instance_name": "orders-db",
                "path": "envs/dev/rds-orders-db.tf",
                "content_hash": sha256_hex(&rendered),
                "routing": routing,
            })
        );
        let actor = count(&db, "SELECT COUNT(*) FROM audit_events WHERE actor = 'user:alice'").await;
        assert_eq!(actor, 1);
        assert!(backend::audit::verify(&db).await.unwrap().broken.is_none());

        // Read back: typed inputs, form, checks and module as submitted.
        let detail = requests::get(&db, n).await.unwrap().unwrap();
        assert_eq!(detail.summary.number, n);
        assert_eq!(detail.summary.status, Status::PrPending);
        assert_eq!(detail.summary.requester, "alice");
        assert_eq!(detail.summary.team, "payments");
        assert_eq!((detail.team_id, detail.requester_id), (row.try_get("team_id").unwrap(), p.alice));
        assert_eq!((detail.version, detail.current_revision), (2, 1));
        let r = &detail.revision;
        assert_eq!(r.number, 1);
        assert_eq!(r.inputs, evaluation.inputs);
        assert!(r.inputs.iter().any(|(k, v)| k == "allocated_storage" && v.to_string() == "50"), "{:?}", r.inputs);
        assert_eq!(r.form, draft.inputs);
        assert_eq!(r.checks, evaluation.checks);
        // The module as stored. Compared as JSON: domain's serde turns `Some(Value::Null)` (a
        // `default = null`) into `None` on the way back, so `r.module == m` fails until
        // `Field::module_default`/`default` keep an explicit null (reported).
        assert_eq!(serde_json::to_value(&r.module).unwrap(), serde_json::to_value(&m).unwrap());
        assert_eq!(r.module.fields.len(), m.fields.len());
        assert_eq!(r.module_digest, digest);
        assert_eq!(r.rendered, rendered);
        assert_eq!(r.content_hash, sha256_hex(&rendered));
        assert_eq!(r.path, "envs/dev/rds-orders-db.tf");
        assert_eq!(r.routing, routing);
        assert_eq!(r.justification, "orders need a database");
        assert_eq!((r.author.as_str(), r.created_at_ms), ("alice", T0));
        assert!(requests::get(&db, n + 1000).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn refused_submissions_store_nothing() {
    each_db(|db| async move {
        let p = people(&db).await;
        let m = module("sqs-queue");
        let before = audit_count(&db).await;

        let carol = Simple { user: (p.carol, "carol"), ..simple("c1", &m, "events") };
        let err = submit_simple(&db, T0, carol).await.unwrap_err();
        assert!(matches!(&err, RequestError::NotMember { team } if team == "payments"), "{err:?}");
        assert_eq!(err.to_string(), "you are not a member of team payments: only its members may request for it");

        let unknown = Simple { user: (p.alice, "alice"), team: "nope", ..simple("c2", &m, "events") };
        let err = submit_simple(&db, T0, unknown).await.unwrap_err();
        assert!(matches!(&err, RequestError::UnknownTeam(t) if t == "nope"), "{err:?}");

        for key in ["", "has space", "under_score", &"k".repeat(101)] {
            let r = Simple { user: (p.alice, "alice"), ..simple(key, &m, "events") };
            let err = submit_simple(&db, T0, r).await.unwrap_err();
            assert!(matches!(err, RequestError::InvalidIdempotencyKey), "{key:?}: {err:?}");
        }
        assert_eq!(counts(&db).await, [0, 0, 0, 0]);
        assert_eq!(audit_count(&db).await, before);
    })
    .await;
}

#[tokio::test]
async fn a_failed_render_stores_nothing_and_keeps_the_key_usable() {
    each_db(|db| async move {
        let p = people(&db).await;
        let m = module("sqs-queue");
        let before = audit_count(&db).await;
        let inputs = vec![("name".to_owned(), Value::String("events-dev".into()))];
        let form = FormState::default();
        let req = || NewRequest {
            idempotency_key: "r-1",
            requester_id: p.alice,
            requester_login: "alice",
            team_slug: "payments",
            module: &m,
            environment: "dev",
            instance_name: "events",
            inputs: &inputs,
            form: &form,
            routing: json!(null),
            checks: &[],
            justification: "",
        };
        let mut seen = None;
        let err = submit(&db, T0, req(), |n| {
            seen = Some(n);
            Err(format!("cannot render request {n}"))
        })
        .await
        .unwrap_err();
        assert!(matches!(&err, RequestError::Render(m) if m.starts_with("cannot render request")), "{err:?}");
        assert!(seen.is_some(), "render was called with the number");
        assert_eq!(counts(&db).await, [0, 0, 0, 0]);
        assert_eq!(audit_count(&db).await, before);

        // A path outside the repository is refused the same way.
        let err = submit(&db, T0, req(), |_| Ok(Rendered { content: "x".into(), path: "../escape.tf".into() }))
            .await
            .unwrap_err();
        assert!(matches!(&err, RequestError::Render(m) if m.contains("../escape.tf")), "{err:?}");
        assert_eq!(counts(&db).await, [0, 0, 0, 0]);
        assert_eq!(audit_count(&db).await, before);

        // The write connection is usable and the key was not consumed.
        let ok = submit(&db, T0, req(), |n| Ok(Rendered { content: format!("#{n}\n"), path: "envs/dev/e.tf".into() }));
        assert!(matches!(ok.await, Ok(Submitted::Created(_))));
        assert_eq!(counts(&db).await, [1, 1, 1, 1]);
    })
    .await;
}

#[tokio::test]
async fn module_versions_are_shared_by_digest() {
    each_db(|db| async move {
        let p = people(&db).await;
        let m = module("sqs-queue");
        let alice = (p.alice, "alice");
        let one = submit_simple(&db, T0, Simple { user: alice, ..simple("m1", &m, "one") }).await.unwrap().number();
        let two = submit_simple(&db, T0, Simple { user: alice, ..simple("m2", &m, "two") }).await.unwrap().number();
        assert_eq!(count(&db, "SELECT COUNT(*) FROM module_versions").await, 1);

        let mut changed = m.clone();
        changed.description.push_str(" Now with more queue.");
        let three =
            submit_simple(&db, T0, Simple { user: alice, ..simple("m3", &changed, "three") }).await.unwrap().number();
        assert_eq!(count(&db, "SELECT COUNT(*) FROM module_versions").await, 2);
        let other = module("sns-topic");
        submit_simple(&db, T0, Simple { user: alice, ..simple("m4", &other, "four") }).await.unwrap();
        assert_eq!(count(&db, "SELECT COUNT(*) FROM module_versions").await, 3);
        assert_eq!(count(&db, "SELECT COUNT(DISTINCT module_version_id) FROM request_revisions").await, 3);

        let [a, b, c] = [one, two, three].map(|n| requests::get(&db, n));
        let (a, b, c) = (a.await.unwrap().unwrap(), b.await.unwrap().unwrap(), c.await.unwrap().unwrap());
        assert_eq!(a.revision.module_digest, b.revision.module_digest);
        assert_ne!(a.revision.module_digest, c.revision.module_digest);
        // As JSON: see the note on module round trips in the first test.
        let json = |m: &Module| serde_json::to_value(m).unwrap();
        assert_eq!(json(&a.revision.module), json(&m));
        assert_eq!(json(&c.revision.module), json(&changed), "a request keeps the definition it was made with");
        assert!(c.revision.module.description.ends_with("Now with more queue."));
    })
    .await;
}
