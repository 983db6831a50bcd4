//! The demo catalog shipped in the repository loads completely, with the demo environments.

use backend::catalog::load_catalog;
use domain::catalog::{Presence, RiskTier};
use std::path::PathBuf;

fn demo() -> backend::catalog::Catalog {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../catalog");
    let environments: Vec<String> = ["dev", "staging", "prod"].map(String::from).to_vec();
    load_catalog(&dir, &environments)
}

#[test]
fn demo_catalog_loads_without_errors() {
    let catalog = demo();
    let errors: Vec<String> = catalog.errors.iter().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(catalog.failed.is_empty());
    assert!(catalog.modules.len() >= 8, "{:?}", catalog.modules.keys());
    for id in [
        "s3-bucket",
        "rds-postgresql",
        "sqs-queue",
        "dynamodb-table",
        "ecr-repository",
        "iam-service-role",
        "elasticache-redis",
        "sns-topic",
    ] {
        let module = catalog.modules.get(id).unwrap_or_else(|| panic!("{id} missing"));
        assert!(module.source.source.starts_with("acme/"), "{id}: {}", module.source.source);
        assert!(module.tags.is_some(), "{id} injects tags");
        assert!(module.inputs().count() >= 3, "{id} has a real form");
    }
}

#[test]
fn demo_catalog_handles_secrets_and_prod_limits() {
    let catalog = demo();
    let rds = &catalog.modules["rds-postgresql"];
    assert_eq!(rds.owner_team, "dba");
    assert_eq!(rds.risk_tier, RiskTier::High);
    let password = rds.field("master_password").expect("declared");
    assert_eq!(password.presence, Presence::SensitiveByReference { input: "master_password_ssm_parameter".into() });
    assert_eq!(password.default, None);
    let reference = rds.field("master_password_ssm_parameter").expect("declared");
    assert_eq!(reference.reference_for.as_deref(), Some("master_password"));
    let class = rds.field("instance_class").expect("declared");
    let prod = class.rules_in("prod").allowed.expect("prod limits instance classes");
    assert!(prod.iter().all(|v| v.as_str().is_some_and(|s| s.starts_with("db.r6g."))));
    assert_eq!(
        rds.field("deletion_protection").and_then(|f| f.fixed_in("prod")),
        Some(domain::catalog::Value::Bool(true))
    );
    assert_eq!(rds.field("deletion_protection").and_then(|f| f.fixed_in("dev")), None);

    let redis = &catalog.modules["elasticache-redis"];
    assert_eq!(redis.field("auth_token").map(|f| &f.presence), Some(&Presence::SensitiveOmitted));

    let secrets = catalog.modules.values().flat_map(|m| &m.fields).filter(|f| f.sensitive).count();
    assert!(secrets >= 2);
}

#[test]
fn loading_is_deterministic() {
    assert_eq!(demo(), demo());
}
