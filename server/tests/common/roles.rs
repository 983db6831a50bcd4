//! The seven roles of the authorisation matrices, and a request brought into review.

use std::time::Duration;

use backend::accounts::{self, NewUser};
use secrecy::SecretString;

use super::TestApp;
use super::forms::{MODULE, form_key, valid_form};

/// requester, other member of the requesting team, member of another team, reviewer of the
/// routed team (sre), reviewer of another team (dba), admin, signed out (None).
pub const ROLES: [Option<&str>; 7] =
    [Some("dev"), Some("dev2"), Some("olga"), Some("sre"), Some("dba"), Some("admin"), None];

/// Many sign-ins from one address: the sign-in rate limit lifted for matrix tests.
pub const NO_LOGIN_LIMIT: [(&str, &str); 2] =
    [("INFRADESK_LOGIN_RATE_LIMIT__BURST", "100000"), ("INFRADESK_LOGIN_RATE_LIMIT__PER_MINUTE", "100000")];

pub async fn as_role(app: &TestApp, role: Option<&str>) {
    app.logout().await;
    if let Some(login) = role {
        app.sign_in(login).await;
    }
}

/// Olga: a member of checkout, a team that neither requests here nor reviews.
pub async fn add_olga(app: &TestApp) {
    let cli = domain::audit::Actor::Cli("test".into());
    let olga = NewUser {
        login: "olga".into(),
        name: "Olga Other".into(),
        password: SecretString::from(server::demo::DEMO_PASSWORD),
        github_login: None,
        is_admin: false,
    };
    accounts::create_user(&app.db, &cli, 0, olga).await.unwrap();
    accounts::add_member(&app.db, &cli, 0, "checkout", "olga").await.unwrap();
}

/// dev submits request `number` (`name`, for payments in dev, routed to sre) and it reaches review.
pub async fn submit_and_open(app: &TestApp, name: &str, number: i64) {
    as_role(app, Some("dev")).await;
    let key = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
    app.post_form(&format!("/requests/new/{MODULE}"), &valid_form(&key, name)).await;
    for _ in 0..100 {
        let row: (String,) = sqlx::query_as("SELECT status FROM requests WHERE id = $1")
            .bind(number)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        if row.0 == "in_review" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("request #{number} never reached review");
}

pub async fn version(app: &TestApp, n: i64) -> String {
    let row: (i64,) =
        sqlx::query_as("SELECT version FROM requests WHERE id = $1").bind(n).fetch_one(app.db.pool()).await.unwrap();
    row.0.to_string()
}
