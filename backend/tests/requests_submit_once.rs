//! Request store contract, submitting once: the same form sent twice or at the same time makes
//! one request, and an instance name is taken by one request at a time, on every database.
#![allow(clippy::unwrap_used)]

mod common;
mod requests_fixtures;

use std::sync::Arc;

use backend::requests::{RequestError, Submitted};
use common::*;
use requests_fixtures::*;

#[tokio::test]
async fn the_same_form_sent_twice_makes_one_request() {
    each_db(|db| async move {
        let p = people(&db).await;
        let m = module("sqs-queue");
        let first = submit_simple(&db, T0, Simple { user: (p.alice, "alice"), ..simple("k-1", &m, "events") }).await;
        let Ok(Submitted::Created(n)) = first else { panic!("{first:?}") };
        let again = submit_simple(&db, T0 + 5, Simple { user: (p.alice, "alice"), ..simple("k-1", &m, "events") });
        assert_eq!(again.await.unwrap(), Submitted::AlreadySubmitted(n));
        // Even if the resent form differs (another name), the key decides.
        let other = submit_simple(&db, T0 + 6, Simple { user: (p.alice, "alice"), ..simple("k-1", &m, "other") });
        assert_eq!(other.await.unwrap(), Submitted::AlreadySubmitted(n));
        assert_eq!(counts(&db).await, [1, 1, 1, 1]);
        let updated = count(&db, "SELECT updated_at_ms FROM requests").await;
        assert_eq!(updated, T0, "a resent form changes nothing");
    })
    .await;
}

#[tokio::test]
async fn concurrent_submits_with_one_key_make_one_request() {
    each_db(|db| async move {
        let p = people(&db).await;
        let m = Arc::new(module("sqs-queue"));
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (db, m) = (db.clone(), Arc::clone(&m));
                tokio::spawn(async move {
                    let r = Simple { user: (p.alice, "alice"), ..simple("same-key", &m, "events") };
                    submit_simple(&db, T0 + i, r).await
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap().unwrap());
        }
        let created: Vec<i64> =
            outcomes.iter().filter(|o| matches!(o, Submitted::Created(_))).map(|o| o.number()).collect();
        assert_eq!(created.len(), 1, "{outcomes:?}");
        assert!(outcomes.iter().all(|o| o.number() == created[0]), "{outcomes:?}");
        assert_eq!(counts(&db).await, [1, 1, 1, 1]);
    })
    .await;
}

#[tokio::test]
async fn concurrent_submits_for_one_instance_name_take_it_once() {
    each_db(|db| async move {
        let p = people(&db).await;
        let m = Arc::new(module("sqs-queue"));
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let (db, m) = (db.clone(), Arc::clone(&m));
                tokio::spawn(async move {
                    let key = format!("key-{i}");
                    let r = Simple { user: (p.bob, "bob"), ..simple(&key, &m, "events") };
                    submit_simple(&db, T0 + i, r).await
                })
            })
            .collect();
        let mut created = Vec::new();
        let mut taken = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                Ok(Submitted::Created(n)) => created.push(n),
                Err(RequestError::InstanceTaken { number, .. }) => taken.push(number),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(created.len(), 1);
        assert_eq!(taken, vec![created[0]; 5]);
        assert_eq!(counts(&db).await, [1, 1, 1, 1]);
    })
    .await;
}

#[tokio::test]
async fn a_taken_instance_name_names_its_request_until_that_is_cancelled_or_rejected() {
    each_db(|db| async move {
        let p = people(&db).await;
        let m = module("sqs-queue");
        let alice = (p.alice, "alice");
        let Submitted::Created(first) =
            submit_simple(&db, T0, Simple { user: alice, ..simple("a1", &m, "events") }).await.unwrap()
        else {
            panic!("created")
        };
        let before = audit_count(&db).await;
        let err = submit_simple(&db, T0, Simple { user: alice, ..simple("a2", &m, "events") }).await.unwrap_err();
        match &err {
            RequestError::InstanceTaken { name, environment, number } => {
                assert_eq!((name.as_str(), environment.as_str(), *number), ("events", "dev", first));
            }
            other => panic!("{other:?}"),
        }
        let message = err.to_string();
        assert!(message.contains(&format!("#{first}")) && message.contains("cancelled or rejected"), "{message}");
        assert_eq!(counts(&db).await, [1, 1, 1, 1]);
        assert_eq!(audit_count(&db).await, before);

        // Another environment has its own names.
        let staging = Simple { user: alice, environment: "staging", ..simple("a3", &m, "events") };
        assert!(matches!(submit_simple(&db, T0, staging).await, Ok(Submitted::Created(_))));

        // Merged still holds the name; cancelled gives it back.
        let set_status = |status: &'static str, id: i64| {
            let db = db.clone();
            async move {
                sqlx::query("UPDATE requests SET status = $1 WHERE id = $2")
                    .bind(status)
                    .bind(id)
                    .execute(db.pool())
                    .await
                    .unwrap();
            }
        };
        set_status("merged", first).await;
        let again = submit_simple(&db, T0, Simple { user: alice, ..simple("a4", &m, "events") }).await;
        assert!(matches!(again, Err(RequestError::InstanceTaken { number, .. }) if number == first), "{again:?}");
        set_status("cancelled", first).await;
        let second = submit_simple(&db, T0, Simple { user: alice, ..simple("a5", &m, "events") }).await;
        let Ok(Submitted::Created(second)) = second else { panic!("{second:?}") };
        set_status("rejected", second).await;
        let third = submit_simple(&db, T0, Simple { user: alice, ..simple("a6", &m, "events") }).await;
        assert!(matches!(third, Ok(Submitted::Created(_))), "{third:?}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM requests WHERE instance_name = 'events'").await, 4);
    })
    .await;
}
