//! Identifier and target-path rules by example; the property tests in `render_props` cover
//! the same rules with generated input.

use domain::render::{IdentifierError, PathError, target_path, validate_identifier};

#[test]
fn valid_identifiers() {
    let longest = format!("a{}", "b".repeat(62));
    for name in ["a", "orders-db", "orders_db_2", "x-1-y_2", longest.as_str()] {
        assert_eq!(validate_identifier(name), Ok(()), "{name}");
    }
}

#[test]
fn invalid_identifiers_say_what_is_allowed() {
    let too_long = "a".repeat(64);
    let cases: Vec<(&str, IdentifierError)> = vec![
        ("", IdentifierError::Empty),
        (&too_long, IdentifierError::TooLong { len: 64 }),
        ("1db", IdentifierError::BadStart { found: '1' }),
        ("-db", IdentifierError::BadStart { found: '-' }),
        ("_db", IdentifierError::BadStart { found: '_' }),
        ("Orders", IdentifierError::Uppercase { found: 'O', position: 1 }),
        ("orders.db", IdentifierError::BadCharacter { found: '.', position: 7 }),
        ("orders db", IdentifierError::BadCharacter { found: ' ', position: 7 }),
        ("orders/db", IdentifierError::BadCharacter { found: '/', position: 7 }),
        // Cyrillic "а" (U+0430) looks exactly like Latin "a".
        ("dаta", IdentifierError::NotAscii { found: 'а', code: 0x430, position: 2 }),
        ("café", IdentifierError::NotAscii { found: 'é', code: 0xe9, position: 4 }),
        ("ｏrders", IdentifierError::NotAscii { found: 'ｏ', code: 0xff4f, position: 1 }),
        ("k\u{212a}", IdentifierError::NotAscii { found: '\u{212a}', code: 0x212a, position: 2 }),
        ("a\0", IdentifierError::BadCharacter { found: '\0', position: 2 }),
    ];
    for (name, expected) in cases {
        let error = validate_identifier(name).expect_err(name);
        assert_eq!(error, expected, "{name:?}");
        let message = error.to_string();
        assert!(message.contains("lowercase letters a-z, digits 0-9, '-' and '_'"), "{message}");
    }
    let message = validate_identifier("dаta").expect_err("look-alike").to_string();
    assert!(message.contains("U+0430") && message.contains("not an ASCII character"), "{message}");
}

const TEMPLATE: &str = "{env_dir}/{module}-{instance}.tf";

#[test]
fn paths_from_the_template() {
    assert_eq!(target_path(TEMPLATE, "envs/prod", "orders-db", "rds").as_deref(), Ok("envs/prod/rds-orders-db.tf"));
    assert_eq!(
        target_path("live/{env_dir}/{instance}/main.tf", "dev", "web_1", "s3").as_deref(),
        Ok("live/dev/web_1/main.tf")
    );
}

fn unsafe_reason(result: Result<String, PathError>) -> String {
    match result {
        Err(PathError::Unsafe { reason, .. }) => reason,
        other => panic!("expected an unsafe path error, got {other:?}"),
    }
}

#[test]
fn paths_never_leave_the_repository() {
    let cases = [
        ("..", "'..'"),
        ("envs/../..", "'..'"),
        ("./envs", "'..'"),
        ("/etc", "absolute"),
        ("envs\\prod", "backslash"),
        ("envs/\0", "NUL"),
        ("envs//prod", "empty segment"),
        ("envs/", "empty segment"),
        ("envs/pr od", "only A-Z"),
        ("envs/prød", "only A-Z"),
        ("envs/~", "only A-Z"),
        (".git", ".git"),
        ("x/.GIT/hooks", ".git"),
        ("-rf", "starting with '-'"),
    ];
    for (env_dir, reason) in cases {
        let got = unsafe_reason(target_path(TEMPLATE, env_dir, "orders", "rds"));
        assert!(got.contains(reason), "{env_dir:?}: {got}");
    }
    let long = "a".repeat(300);
    assert!(unsafe_reason(target_path(TEMPLATE, &long, "orders", "rds")).contains("segment longer"));
    let deep = vec!["abcdefgh"; 60].join("/");
    assert!(unsafe_reason(target_path(TEMPLATE, &deep, "orders", "rds")).contains("longer than 512"));
    assert!(unsafe_reason(target_path("{env_dir}/{instance}.json", "dev", "orders", "rds")).contains(".tf"));
    assert!(unsafe_reason(target_path("{env_dir}/{instance}/.tf", "dev", "orders", "rds")).contains(".tf"));
}

#[test]
fn values_are_identifiers_and_templates_are_complete() {
    assert!(matches!(target_path(TEMPLATE, "dev", "../x", "rds"), Err(PathError::Instance { .. })));
    assert!(matches!(target_path(TEMPLATE, "dev", "x", "RDS"), Err(PathError::Module { .. })));
    for template in [
        "{env_dir}/{module}.tf",
        "{module}-{instance}.tf",
        "{env_dir}/{inst}-{instance}.tf",
        "{env_dir}/{instance}}.tf",
    ] {
        assert!(matches!(target_path(template, "dev", "x", "rds"), Err(PathError::Template { .. })), "{template}");
    }
}
