//! Which rule a revision goes to, and what the outcome says.

use super::{DEFAULT_RULE, EXAMPLE, checked, with_rules};
use crate::catalog::RiskTier;
use crate::routing::{ReviewerRequirement, Routing, RoutingFacts, RoutingOutcome};

fn facts<'a>(environment: &'a str, module: &'a str, risk_tier: RiskTier, changed: &'a [String]) -> RoutingFacts<'a> {
    RoutingFacts { environment, module, risk_tier, team: "payments", changed_inputs: changed }
}

fn rule_for(routing: &Routing, facts: &RoutingFacts<'_>) -> String {
    routing.route(facts).rule
}

#[test]
fn the_example_routes_as_documented() {
    let routing = checked(EXAMPLE);
    let none: &[String] = &[];
    let low = RiskTier::Low;
    let high = RiskTier::High;

    let dev = routing.route(&facts("dev", "sqs-queue", low, none));
    assert_eq!(
        dev,
        RoutingOutcome { rule: "dev-low-risk".into(), reviewers: vec![], sla_hours: None, auto_approve: true }
    );
    assert_eq!(dev.summary(), "approved automatically by rule \"dev-low-risk\"");

    // Same module in staging: nothing specific, so the default.
    let staging = routing.route(&facts("staging", "sqs-queue", low, none));
    assert_eq!(staging.rule, "default");
    assert_eq!(staging.summary(), "reviewed by sre (1 approval); SLA 16 working hours");

    let db = routing.route(&facts("prod", "rds-postgresql", high, none));
    assert_eq!(db.rule, "prod-databases");
    assert_eq!(
        db.reviewers,
        vec![
            ReviewerRequirement { team: "sre".into(), approvals: 2 },
            ReviewerRequirement { team: "dba".into(), approvals: 1 }
        ]
    );
    assert_eq!(db.sla_hours, Some(8));
    assert_eq!(db.summary(), "reviewed by sre (2 approvals) and dba (1 approval); SLA 8 working hours");

    assert_eq!(rule_for(&routing, &facts("prod", "sqs-queue", low, none)), "prod");
    // The IAM rule sits above "prod", so it wins there too; in dev a high-risk role is not auto-approved.
    assert_eq!(rule_for(&routing, &facts("prod", "iam-service-role", high, none)), "iam");
    assert_eq!(rule_for(&routing, &facts("dev", "iam-service-role", high, none)), "iam");
    // A medium-risk module in dev is not low risk: default.
    assert_eq!(rule_for(&routing, &facts("dev", "s3-bucket", RiskTier::Medium, none)), "default");
}

/// One rule per dimension in front of the default; each fact routes to its rule only.
fn per_dimension() -> Routing {
    checked(&with_rules(&format!(
        r#"
[[routing.rules]]
name = "by-env"
when = {{ environments = ["staging"] }}
auto_approve = true

[[routing.rules]]
name = "by-module"
when = {{ modules = ["sns-topic", "ecr-repository"] }}
auto_approve = true

[[routing.rules]]
name = "by-risk"
when = {{ risk_tiers = ["high"] }}
reviewers = [{{ team = "security" }}]
sla_hours = 4

[[routing.rules]]
name = "by-team"
when = {{ teams = ["checkout"] }}
reviewers = [{{ team = "dba", approvals = 3 }}]
sla_hours = 1

[[routing.rules]]
name = "by-input"
when = {{ inputs_changed = ["deletion_protection", "multi_az"] }}
reviewers = [{{ team = "dba" }}]
sla_hours = 2

{DEFAULT_RULE}"#
    )))
}

#[test]
fn each_dimension_matches_on_its_own() {
    let routing = per_dimension();
    let none: &[String] = &[];
    let base = facts("dev", "sqs-queue", RiskTier::Low, none);
    assert_eq!(rule_for(&routing, &base), "default");
    assert_eq!(rule_for(&routing, &RoutingFacts { environment: "staging", ..base }), "by-env");
    assert_eq!(rule_for(&routing, &RoutingFacts { module: "ecr-repository", ..base }), "by-module");
    assert_eq!(rule_for(&routing, &RoutingFacts { risk_tier: RiskTier::High, ..base }), "by-risk");
    assert_eq!(rule_for(&routing, &RoutingFacts { risk_tier: RiskTier::Medium, ..base }), "default");
    assert_eq!(rule_for(&routing, &RoutingFacts { team: "checkout", ..base }), "by-team");
    assert_eq!(
        routing.route(&RoutingFacts { team: "checkout", ..base }).summary(),
        "reviewed by dba (3 approvals); SLA 1 working hour"
    );

    let multi_az = vec!["instance_class".to_string(), "multi_az".to_string()];
    assert_eq!(rule_for(&routing, &RoutingFacts { changed_inputs: &multi_az, ..base }), "by-input");
    let other = vec!["instance_class".to_string()];
    assert_eq!(rule_for(&routing, &RoutingFacts { changed_inputs: &other, ..base }), "default");
}

#[test]
fn first_match_wins() {
    let routing = per_dimension();
    let none: &[String] = &[];
    // Matches by-env, by-risk and by-team; by-env comes first.
    let all = RoutingFacts { environment: "staging", team: "checkout", ..facts("dev", "x", RiskTier::High, none) };
    assert_eq!(rule_for(&routing, &all), "by-env");
    // Without the environment, by-risk is next in line, ahead of by-team.
    assert_eq!(rule_for(&routing, &RoutingFacts { environment: "prod", ..all }), "by-risk");
}

#[test]
fn every_list_of_a_rule_must_match() {
    let routing = checked(&with_rules(&format!(
        r#"
[[routing.rules]]
name = "prod-db-storage"
when = {{ environments = ["prod"], modules = ["rds-postgresql"], teams = ["payments"], inputs_changed = ["allocated_storage"] }}
reviewers = [{{ team = "dba" }}]
sla_hours = 8

{DEFAULT_RULE}"#
    )));
    let storage = vec!["allocated_storage".to_string()];
    let hit = facts("prod", "rds-postgresql", RiskTier::High, &storage);
    assert_eq!(rule_for(&routing, &hit), "prod-db-storage");
    let none: &[String] = &[];
    for miss in [
        RoutingFacts { environment: "staging", ..hit },
        RoutingFacts { module: "elasticache-redis", ..hit },
        RoutingFacts { team: "checkout", ..hit },
        RoutingFacts { changed_inputs: none, ..hit },
    ] {
        assert_eq!(rule_for(&routing, &miss), "default", "{miss:?}");
    }
}

#[test]
fn summary_lists_three_teams_with_commas() {
    let outcome = RoutingOutcome {
        rule: "x".into(),
        reviewers: ["sre", "dba", "security"]
            .iter()
            .map(|t| ReviewerRequirement { team: (*t).into(), approvals: 1 })
            .collect(),
        sla_hours: Some(1),
        auto_approve: false,
    };
    assert_eq!(
        outcome.summary(),
        "reviewed by sre (1 approval), dba (1 approval) and security (1 approval); SLA 1 working hour"
    );
}

#[test]
fn outcome_round_trips_through_json() {
    let routing = checked(EXAMPLE);
    let outcome = routing.route(&facts("prod", "elasticache-redis", RiskTier::Medium, &[]));
    let json = serde_json::to_value(&outcome).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "rule": "prod-databases",
            "reviewers": [{ "team": "sre", "approvals": 2 }, { "team": "dba", "approvals": 1 }],
            "sla_hours": 8,
            "auto_approve": false
        })
    );
    assert_eq!(serde_json::from_value::<RoutingOutcome>(json).unwrap(), outcome);
}

#[test]
fn config_round_trips_through_toml() {
    let routing = checked(EXAMPLE);
    let text = toml::to_string(routing.config()).unwrap();
    let again: crate::routing::RoutingConfig = toml::from_str(&text).unwrap();
    assert_eq!(&again, routing.config());
}
