//! Accounts contract: users, teams, sign-in, disabling and password changes behave the
//! same on every database, judged by what ends up in the tables and the audit trail.
#![allow(clippy::unwrap_used)]

mod common;

use backend::accounts::{self, AccountError, NewTeam, NewUser, SignInFailure};
use common::*;
use sqlx::Row;

const PW: &str = "correct horse battery";

fn team(slug: &str, reviewing: bool) -> NewTeam {
    NewTeam { slug: slug.into(), name: format!("Team {slug}"), github_team_slug: None, reviewing }
}

#[tokio::test]
async fn users_teams_and_roles_round_trip() {
    each_db(|db| async move {
        let alice = accounts::create_user(
            &db,
            &admin(),
            T0,
            NewUser { github_login: Some("alice-gh".into()), is_admin: true, ..new_user("alice", PW) },
        )
        .await
        .unwrap();
        let bob = make_user(&db, "bob", PW).await;
        assert_ne!(alice, bob);
        accounts::create_team(
            &db,
            &admin(),
            T0,
            NewTeam { github_team_slug: Some("sre-team".into()), ..team("sre", true) },
        )
        .await
        .unwrap();
        accounts::create_team(&db, &admin(), T0, team("payments", false)).await.unwrap();
        accounts::add_member(&db, &admin(), T0, "sre", "alice").await.unwrap();
        accounts::add_member(&db, &admin(), T0, "payments", "alice").await.unwrap();
        accounts::add_member(&db, &admin(), T0, "payments", "bob").await.unwrap();

        let users = accounts::list_users(&db).await.unwrap();
        let summary: Vec<_> = users
            .iter()
            .map(|u| (u.login.as_str(), u.github_login.as_deref(), u.is_admin, u.disabled, u.teams.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                ("alice", Some("alice-gh"), true, false, vec!["payments".to_owned(), "sre".to_owned()]),
                ("bob", None, false, false, vec!["payments".to_owned()]),
            ]
        );
        assert_eq!(users[0].name, "User alice");

        let teams = accounts::list_teams(&db).await.unwrap();
        let summary: Vec<_> = teams
            .iter()
            .map(|t| (t.slug.as_str(), t.github_team_slug.as_deref(), t.reviewing, t.members.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                ("payments", None, false, vec!["alice".to_owned(), "bob".to_owned()]),
                ("sre", Some("sre-team"), true, vec!["alice".to_owned()]),
            ]
        );

        let me = accounts::load_me(&db, alice).await.unwrap().unwrap();
        assert_eq!((me.id, me.login.as_str(), me.name.as_str(), me.is_admin), (alice, "alice", "User alice", true));
        let slugs: Vec<_> = me.teams.iter().map(|t| (t.slug.as_str(), t.reviewing)).collect();
        assert_eq!(slugs, [("payments", false), ("sre", true)]);
        assert!(me.is_reviewer());
        assert_eq!(me.role_names(), ["requester", "reviewer", "admin"]);

        let me = accounts::load_me(&db, bob).await.unwrap().unwrap();
        assert!(!me.is_reviewer() && !me.is_admin);
        assert_eq!(me.role_names(), ["requester"]);
        assert!(accounts::load_me(&db, bob + alice + 100).await.unwrap().is_none());
        assert_eq!(accounts::user_count(&db).await.unwrap(), 2);

        // Membership errors change nothing.
        let head = audit_head(&db).await;
        let dup = accounts::add_member(&db, &admin(), T0, "sre", "alice").await;
        assert!(matches!(dup, Err(AccountError::Duplicate(_))), "{dup:?}");
        let missing = accounts::add_member(&db, &admin(), T0, "nope", "alice").await;
        assert!(matches!(missing, Err(AccountError::NotFound(_))), "{missing:?}");
        let missing = accounts::add_member(&db, &admin(), T0, "sre", "nobody").await;
        assert!(matches!(missing, Err(AccountError::NotFound(_))), "{missing:?}");
        let dup = accounts::create_team(&db, &admin(), T0, team("sre", false)).await;
        assert!(matches!(dup, Err(AccountError::Duplicate(_))), "{dup:?}");
        assert_eq!(audit_head(&db).await, head);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM team_members").await, 3);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM teams").await, 2);
    })
    .await;
}

#[tokio::test]
async fn duplicate_login_is_rejected_without_an_audit_event() {
    each_db(|db| async move {
        accounts::create_user(&db, &admin(), T0, NewUser { github_login: Some("al".into()), ..new_user("alice", PW) })
            .await
            .unwrap();
        let head = audit_head(&db).await;
        assert_eq!(head, 1);

        let again = accounts::create_user(&db, &admin(), T0, new_user("alice", PW)).await;
        assert!(matches!(again, Err(AccountError::Duplicate(_))), "{again:?}");
        let same_github = accounts::create_user(
            &db,
            &admin(),
            T0,
            NewUser { github_login: Some("al".into()), ..new_user("alicia", PW) },
        )
        .await;
        assert!(matches!(same_github, Err(AccountError::Duplicate(_))), "{same_github:?}");

        assert_eq!(accounts::user_count(&db).await.unwrap(), 1);
        assert_eq!(audit_head(&db).await, head);
        assert_eq!(audit_count(&db).await, head);
        // The writer is still usable after the rolled-back transactions.
        make_user(&db, "bob", PW).await;
        assert_eq!(audit_head(&db).await, head + 1);
    })
    .await;
}

#[tokio::test]
async fn invalid_input_writes_nothing() {
    each_db(|db| async move {
        let bad_users = [
            new_user("Alice", PW),
            new_user("a", PW),
            new_user("1abc", PW),
            new_user("al ice", PW),
            new_user("alice", "short"),
            new_user("alice", "elevenchars"),
            NewUser { name: "   ".into(), ..new_user("alice", PW) },
            NewUser { github_login: Some("-bad".into()), ..new_user("alice", PW) },
        ];
        for user in bad_users {
            let login = user.login.clone();
            let result = accounts::create_user(&db, &admin(), T0, user).await;
            assert!(matches!(result, Err(AccountError::Invalid(_))), "{login}: {result:?}");
        }
        let bad_team = accounts::create_team(&db, &admin(), T0, team("Bad!", false)).await;
        assert!(matches!(bad_team, Err(AccountError::Invalid(_))), "{bad_team:?}");

        assert_eq!(accounts::user_count(&db).await.unwrap(), 0);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM teams").await, 0);
        assert_eq!(audit_head(&db).await, 0);
        assert_eq!(audit_count(&db).await, 0);
    })
    .await;
}

#[tokio::test]
async fn sign_in_success_returns_me_and_is_audited() {
    each_db(|db| async move {
        let id = make_user(&db, "alice", PW).await;
        let head = audit_head(&db).await;
        let me = accounts::sign_in(&db, T0 + 5, "alice", secret(PW), "10.0.0.7").await.unwrap().unwrap();
        assert_eq!((me.id, me.login.as_str()), (id, "alice"));
        assert_eq!(audit_head(&db).await, head + 1);
        let (action, subject, details) = last_event(&db).await;
        assert_eq!((action.as_str(), subject.as_str()), ("auth.signed_in", "user:alice"));
        let details: serde_json::Value = serde_json::from_str(&details).unwrap();
        assert_eq!(details["client"], "10.0.0.7");
    })
    .await;
}

#[tokio::test]
async fn sign_in_failures_are_audited_without_the_password() {
    each_db(|db| async move {
        make_user(&db, "alice", PW).await;
        make_user(&db, "dora", PW).await;
        accounts::set_disabled(&db, &admin(), T0, "dora", true).await.unwrap();

        let attempts = [
            ("alice", "wrong-password-alice-81", SignInFailure::WrongPassword, "wrong_password"),
            ("nobody", "password-of-nobody-42", SignInFailure::UnknownUser, "unknown_user"),
            ("dora", PW, SignInFailure::Disabled, "disabled"),
        ];
        for (login, password, failure, reason) in attempts {
            let head = audit_head(&db).await;
            let outcome = accounts::sign_in(&db, T0, login, secret(password), "10.0.0.9").await.unwrap();
            assert_eq!(outcome, Err(failure), "{login}");
            assert_eq!(audit_head(&db).await, head + 1, "{login}");
            let (action, subject, details) = last_event(&db).await;
            assert_eq!(action, "auth.sign_in_failed");
            assert_eq!(subject, format!("user:{login}"));
            let details: serde_json::Value = serde_json::from_str(&details).unwrap();
            assert_eq!(details["reason"], reason, "{login}");
            assert_eq!(details["client"], "10.0.0.9");
        }

        let rows = sqlx::query("SELECT actor, action, subject, details, prev_hash, hash FROM audit_events")
            .fetch_all(db.pool())
            .await
            .unwrap();
        for row in rows {
            for col in 0..6 {
                let text: String = row.try_get(col).unwrap();
                for password in [PW, "wrong-password-alice-81", "password-of-nobody-42"] {
                    assert!(!text.contains(password), "audit column {col} holds a password: {text}");
                }
            }
        }
    })
    .await;
}

#[tokio::test]
async fn disabling_ends_that_users_sessions_only() {
    each_db(|db| async move {
        let alice = make_user(&db, "alice", PW).await;
        let bob = make_user(&db, "bob", PW).await;
        add_session(&db, alice).await;
        add_session(&db, alice).await;
        add_session(&db, bob).await;
        assert_eq!(session_count(&db, alice).await, 2);

        let head = audit_head(&db).await;
        let ended = accounts::set_disabled(&db, &admin(), T0, "alice", true).await.unwrap();
        assert_eq!(ended, 2);
        assert_eq!(session_count(&db, alice).await, 0);
        assert_eq!(session_count(&db, bob).await, 1);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM sessions").await, 1);
        assert_eq!(audit_head(&db).await, head + 1);
        let (action, subject, details) = last_event(&db).await;
        assert_eq!((action.as_str(), subject.as_str()), ("user.disabled", "user:alice"));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&details).unwrap()["sessions_ended"], 2);
        assert!(accounts::load_me(&db, alice).await.unwrap().is_none());
        let users = accounts::list_users(&db).await.unwrap();
        assert!(users[0].disabled && !users[1].disabled);

        let missing = accounts::set_disabled(&db, &admin(), T0, "nobody", true).await;
        assert!(matches!(missing, Err(AccountError::NotFound(_))), "{missing:?}");
        assert_eq!(audit_head(&db).await, head + 1);

        assert_eq!(accounts::set_disabled(&db, &admin(), T0, "alice", false).await.unwrap(), 0);
        assert_eq!(last_event(&db).await.0, "user.enabled");
        assert!(accounts::load_me(&db, alice).await.unwrap().is_some());
        assert!(accounts::sign_in(&db, T0, "alice", secret(PW), "c").await.unwrap().is_ok());
    })
    .await;
}

#[tokio::test]
async fn change_password_checks_current_and_ends_other_sessions() {
    each_db(|db| async move {
        const NEW: &str = "a much better passphrase";
        let alice = make_user(&db, "alice", PW).await;
        let bob = make_user(&db, "bob", PW).await;
        let kept = add_session(&db, alice).await;
        add_session(&db, alice).await;
        add_session(&db, alice).await;
        add_session(&db, bob).await;
        let head = audit_head(&db).await;

        let wrong = accounts::change_password(&db, T0, alice, secret("not the password"), secret(NEW), &kept).await;
        assert!(matches!(wrong, Err(AccountError::Invalid(_))), "{wrong:?}");
        let short = accounts::change_password(&db, T0, alice, secret(PW), secret("short"), &kept).await;
        assert!(matches!(short, Err(AccountError::Invalid(_))), "{short:?}");
        assert_eq!(audit_head(&db).await, head);
        assert_eq!(session_count(&db, alice).await, 3);
        assert!(accounts::sign_in(&db, T0, "alice", secret(PW), "c").await.unwrap().is_ok());

        let head = audit_head(&db).await;
        accounts::change_password(&db, T0, alice, secret(PW), secret(NEW), &kept).await.unwrap();
        assert_eq!(audit_head(&db).await, head + 1);
        let (action, subject, details) = last_event(&db).await;
        assert_eq!((action.as_str(), subject.as_str()), ("user.password_changed", "user:alice"));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&details).unwrap()["other_sessions_ended"], 2);

        let left: Vec<String> = sqlx::query("SELECT id FROM sessions WHERE user_id = $1")
            .bind(alice)
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get("id").unwrap())
            .collect();
        assert_eq!(left, [kept]);
        assert_eq!(session_count(&db, bob).await, 1);

        assert_eq!(
            accounts::sign_in(&db, T0, "alice", secret(PW), "c").await.unwrap(),
            Err(SignInFailure::WrongPassword)
        );
        assert!(accounts::sign_in(&db, T0, "alice", secret(NEW), "c").await.unwrap().is_ok());
        assert!(accounts::sign_in(&db, T0, "bob", secret(PW), "c").await.unwrap().is_ok());
    })
    .await;
}
