//! `infradesk seed` through the binary, with the repository's `infradesk.toml` and demo catalog
//! (demo mode: the demo users are created first), on SQLite and PostgreSQL: what it prints, a
//! chain `audit verify` accepts, the refusal to seed twice and `--append`.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Output};

use common::*;

fn infradesk(env: &TestEnv, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_infradesk"));
    command.arg("--config").arg(repo_path("infradesk.toml")).args(args).current_dir(env.dir.path());
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("INFRADESK_")) {
        command.env_remove(key);
    }
    let catalog = repo_path("catalog").display().to_string();
    command.envs(env.env(&[("INFRADESK_LOG__FILTER", "warn"), ("INFRADESK_CATALOG__DIR", &catalog)]));
    command.output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[tokio::test]
async fn seed_fills_an_empty_database_and_refuses_a_second_time_without_append() {
    for dialect in dialects() {
        let env = TestEnv::new(dialect).await;
        let out = infradesk(&env, &["seed", "--scale", "120"]);
        assert!(out.status.success(), "{}", text(&out));
        let said = text(&out);
        assert!(said.contains("created 7 demo user(s)"), "{said}");
        assert!(said.contains("seeded 120 requests (#1–#120)"), "{said}");
        assert!(said.contains("statuses: ") && said.contains("merged"), "{said}");

        let verify = infradesk(&env, &["audit", "verify"]);
        assert!(verify.status.success() && text(&verify).contains("audit chain intact"), "{}", text(&verify));

        let again = infradesk(&env, &["seed", "--scale", "10"]);
        assert!(!again.status.success(), "a second seed without --append must fail");
        assert!(text(&again).contains("already holds 120 request(s)") && text(&again).contains("--append"));

        let more = infradesk(&env, &["seed", "--scale", "30", "--append"]);
        assert!(more.status.success() && text(&more).contains("seeded 30 requests (#121–#150)"), "{}", text(&more));
        let db = env.connect().await;
        let count: i64 =
            sqlx::Row::try_get(&sqlx::query("SELECT COUNT(*) FROM requests").fetch_one(db.pool()).await.unwrap(), 0)
                .unwrap();
        assert_eq!(count, 150);
        let chain = backend::audit::verify(&db).await.unwrap();
        assert_eq!(chain.broken, None);
        db.close().await;
        env.cleanup().await;
    }
}
