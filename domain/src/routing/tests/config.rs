//! Every configuration error, with the message a person gets at start.

use super::{DEFAULT_RULE, EXAMPLE, File, errors, known, parse, with_rules};
use crate::routing::Known;

/// Asserts exactly one error and that it is `expected`.
fn only_error(toml_text: &str, expected: &str) {
    assert_eq!(errors(toml_text), vec![expected.to_string()]);
}

#[test]
fn the_example_is_valid_and_fills_defaults() {
    let config = parse(EXAMPLE);
    assert_eq!(config.working_hours.start, "09:00");
    assert_eq!(config.rules.len(), 5);
    assert_eq!(config.rules[1].reviewers[0].approvals, 1, "approvals defaults to 1");
    assert!(config.check(&known()).is_ok());
    // The demo's teams must exist when teams are checked.
    let without_security = Known { teams: vec!["sre".into(), "dba".into()], ..known() };
    let errors = config.check(&without_security).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].to_string(),
        "`[[routing.rules]]` #2 (\"iam\"): `reviewers` #1 (team \"security\"): unknown team; reviewing teams: sre, dba"
    );
}

#[test]
fn unknown_fields_are_rejected_by_serde() {
    let text = with_rules(&DEFAULT_RULE.replace("sla_hours", "sla_hour"));
    let message = toml::from_str::<File>(&text).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("unknown field `sla_hour`"), "{message}");
    let when =
        with_rules(&format!("[[routing.rules]]\nname = \"x\"\nwhen = {{ enviroments = [\"dev\"] }}\n{DEFAULT_RULE}"));
    let message = toml::from_str::<File>(&when).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("unknown field `enviroments`"), "{message}");
    let tier = with_rules(&format!(
        "[[routing.rules]]\nname = \"x\"\nwhen = {{ risk_tiers = [\"critical\"] }}\n{DEFAULT_RULE}"
    ));
    assert!(toml::from_str::<File>(&tier).is_err());
}

#[test]
fn timezone_must_be_an_iana_name() {
    only_error(
        &format!("[routing]\ntimezone = \"Europe/Berln\"\n{DEFAULT_RULE}"),
        "`routing.timezone`: unknown time zone \"Europe/Berln\"; use an IANA name such as \"Europe/Berlin\" or \"UTC\"",
    );
}

#[test]
fn working_hours_must_be_hh_mm_and_ordered() {
    let hours = |start: &str, end: &str| {
        format!(
            "[routing]\ntimezone = \"UTC\"\nworking_hours = {{ start = \"{start}\", end = \"{end}\" }}\n{DEFAULT_RULE}"
        )
    };
    assert_eq!(
        errors(&hours("9", "17:60")),
        vec![
            "`routing.working_hours.start`: \"9\" is not a time of day; write it as HH:MM, e.g. \"09:00\"",
            "`routing.working_hours.end`: \"17:60\" is not a time of day; write it as HH:MM, e.g. \"09:00\"",
        ]
    );
    only_error(
        &hours("17:00", "09:00"),
        "`routing.working_hours`: start 17:00 is not before end 09:00; working hours must lie within one day",
    );
    only_error(
        &hours("09:00", "09:00"),
        "`routing.working_hours`: start 09:00 is not before end 09:00; working hours must lie within one day",
    );
    assert!(parse(&hours("00:00", "23:59")).check(&known()).is_ok());
}

#[test]
fn there_must_be_rules() {
    let message = &errors("[routing]\ntimezone = \"UTC\"\n")[0];
    assert!(message.starts_with("`routing.rules`: there are no rules; add at least a default rule with no `when`"));
}

#[test]
fn names_must_be_present_and_unique() {
    let text = with_rules(&format!(
        "[[routing.rules]]\nname = \"\"\nwhen = {{ modules = [\"a\"] }}\nauto_approve = true\n\
         [[routing.rules]]\nname = \"default\"\nwhen = {{ modules = [\"b\"] }}\nauto_approve = true\n{DEFAULT_RULE}"
    ));
    assert_eq!(
        errors(&text),
        vec![
            "`[[routing.rules]]` #1: `name` is empty; every rule needs a name, it is stored with each revision it routes",
            "`[[routing.rules]]` #3 (\"default\"): `name` \"default\" is already used by rule #2; rule names must be unique",
        ]
    );
}

#[test]
fn a_rule_either_auto_approves_or_has_reviewers() {
    only_error(
        &with_rules(
            "[[routing.rules]]\nname = \"d\"\nreviewers = [{ team = \"sre\" }]\nsla_hours = 8\nauto_approve = true\n",
        ),
        "`[[routing.rules]]` #1 (\"d\"): `auto_approve = true` and `reviewers` contradict each other; remove one of them",
    );
    only_error(
        &with_rules("[[routing.rules]]\nname = \"d\"\nsla_hours = 8\n"),
        "`[[routing.rules]]` #1 (\"d\"): has no `reviewers` and no `auto_approve = true`; add e.g. \
         reviewers = [{ team = \"sre\", approvals = 1 }] and sla_hours = 8, or set auto_approve = true",
    );
    // A catch-all auto-approval is allowed: some installations review nothing by default.
    assert!(parse(&with_rules("[[routing.rules]]\nname = \"d\"\nauto_approve = true\n")).check(&known()).is_ok());
}

#[test]
fn sla_hours_are_required_with_reviewers_and_bounded() {
    only_error(
        &with_rules("[[routing.rules]]\nname = \"d\"\nreviewers = [{ team = \"sre\" }]\n"),
        "`[[routing.rules]]` #1 (\"d\"): `sla_hours` is missing: the working hours reviewers have; add e.g. `sla_hours = 8`",
    );
    for (hours, ok) in [(0, false), (1, true), (1000, true), (1001, false)] {
        let text = with_rules(&format!(
            "[[routing.rules]]\nname = \"d\"\nreviewers = [{{ team = \"sre\" }}]\nsla_hours = {hours}\n"
        ));
        if ok {
            assert!(parse(&text).check(&known()).is_ok(), "{hours}");
        } else {
            only_error(
                &text,
                &format!("`[[routing.rules]]` #1 (\"d\"): `sla_hours = {hours}` is out of range; use 1 to 1000"),
            );
        }
    }
    only_error(
        &with_rules("[[routing.rules]]\nname = \"d\"\nauto_approve = true\nsla_hours = 8\n"),
        "`[[routing.rules]]` #1 (\"d\"): `sla_hours` has no effect with `auto_approve = true`; remove it",
    );
}

#[test]
fn reviewers_are_known_distinct_teams_with_sensible_approvals() {
    let text = with_rules(
        "[[routing.rules]]\nname = \"d\"\nsla_hours = 8\nreviewers = [\
         { team = \"sre-prod\" }, { team = \"sre\", approvals = 0 }, { team = \"sre\", approvals = 11 }, { team = \"\" }]\n",
    );
    assert_eq!(
        errors(&text),
        vec![
            "`[[routing.rules]]` #1 (\"d\"): `reviewers` #1 (team \"sre-prod\"): unknown team; reviewing teams: sre, dba, security",
            "`[[routing.rules]]` #1 (\"d\"): `reviewers` #2 (team \"sre\"): `approvals = 0` is out of range; use 1 to 10",
            "`[[routing.rules]]` #1 (\"d\"): `reviewers` #3 (team \"sre\"): the team is listed twice; ask for more \
             approvals with one entry and `approvals = 2`",
            "`[[routing.rules]]` #1 (\"d\"): `reviewers` #3 (team \"sre\"): `approvals = 11` is out of range; use 1 to 10",
            "`[[routing.rules]]` #1 (\"d\"): `reviewers` #4 (team \"\"): `team` is empty; give the slug of a reviewing team",
        ]
    );
    // With no known teams (not loaded), team names are not checked.
    let unchecked = Known { teams: vec![], ..known() };
    let config =
        parse(&with_rules("[[routing.rules]]\nname = \"d\"\nsla_hours = 8\nreviewers = [{ team = \"sre-prod\" }]\n"));
    assert!(config.check(&unchecked).is_ok());
}

#[test]
fn environments_must_be_configured_ones() {
    only_error(
        &with_rules(&format!(
            "[[routing.rules]]\nname = \"prod-databases\"\nwhen = {{ environments = [\"production\"] }}\nauto_approve = true\n{DEFAULT_RULE}"
        )),
        "`[[routing.rules]]` #1 (\"prod-databases\"): `when.environments` names unknown environment \"production\"; \
         known environments: dev, staging, prod",
    );
}

#[test]
fn when_lists_have_no_empty_names() {
    only_error(
        &with_rules(&format!(
            "[[routing.rules]]\nname = \"x\"\nwhen = {{ inputs_changed = [\"\"] }}\nauto_approve = true\n{DEFAULT_RULE}"
        )),
        "`[[routing.rules]]` #1 (\"x\"): `when.inputs_changed` contains an empty name",
    );
}

#[test]
fn the_last_rule_must_be_the_default() {
    only_error(
        &with_rules("[[routing.rules]]\nname = \"prod\"\nwhen = { environments = [\"prod\"] }\nauto_approve = true\n"),
        "`[[routing.rules]]` #1 (\"prod\"): the last rule has a `when`, so some requests would match no rule; \
         add a default rule at the end with no `when`",
    );
}

#[test]
fn a_default_before_the_end_names_the_unreachable_rules() {
    let text = with_rules(&format!(
        "{DEFAULT_RULE}[[routing.rules]]\nname = \"prod\"\nwhen = {{ environments = [\"prod\"] }}\nauto_approve = true\n\
         [[routing.rules]]\nname = \"last\"\nauto_approve = true\n"
    ));
    only_error(
        &text,
        "`[[routing.rules]]` #1 (\"default\"): matches every request, so the rules after it never apply: \
         #2 (\"prod\"), #3 (\"last\"); move it to the end",
    );
    // Listing every risk tier (or every environment) is the same as not listing any.
    let every_tier = with_rules(&format!(
        "[[routing.rules]]\nname = \"all\"\nwhen = {{ risk_tiers = [\"low\", \"medium\", \"high\"] }}\nauto_approve = true\n{DEFAULT_RULE}"
    ));
    assert!(errors(&every_tier)[0].contains("#1 (\"all\"): matches every request"));
    let every_env = with_rules(&format!(
        "[[routing.rules]]\nname = \"all\"\nwhen = {{ environments = [\"prod\", \"dev\", \"staging\"] }}\nauto_approve = true\n{DEFAULT_RULE}"
    ));
    assert!(errors(&every_env)[0].contains("never apply: #2 (\"default\")"));
}

#[test]
fn a_rule_hidden_by_a_broader_one_above_is_an_error() {
    let text = with_rules(&format!(
        r#"
[[routing.rules]]
name = "prod"
when = {{ environments = ["prod"] }}
reviewers = [{{ team = "sre", approvals = 2 }}]
sla_hours = 8

[[routing.rules]]
name = "prod-databases"
when = {{ environments = ["prod"], modules = ["rds-postgresql"] }}
reviewers = [{{ team = "dba" }}]
sla_hours = 8

[[routing.rules]]
name = "risky-inputs"
when = {{ inputs_changed = ["policy"] }}
reviewers = [{{ team = "security" }}]
sla_hours = 8

[[routing.rules]]
name = "risky-prod-inputs"
when = {{ environments = ["prod", "staging"], inputs_changed = ["policy"] }}
reviewers = [{{ team = "security" }}]
sla_hours = 8
{DEFAULT_RULE}"#
    ));
    assert_eq!(
        errors(&text),
        vec![
            "`[[routing.rules]]` #2 (\"prod-databases\"): never applies: every request it matches is already matched \
             by rule #1 (\"prod\") above it; move it above that rule or narrow that rule's `when`",
            "`[[routing.rules]]` #4 (\"risky-prod-inputs\"): never applies: every request it matches is already \
             matched by rule #3 (\"risky-inputs\") above it; move it above that rule or narrow that rule's `when`",
        ]
    );
    // Narrower first is the right order, and a rule on changed inputs does not hide one without:
    // that one also matches edits that change nothing it names.
    let fine = with_rules(&format!(
        r#"
[[routing.rules]]
name = "prod-policy"
when = {{ environments = ["prod"], inputs_changed = ["policy"] }}
auto_approve = true

[[routing.rules]]
name = "prod"
when = {{ environments = ["prod"] }}
auto_approve = true
{DEFAULT_RULE}"#
    ));
    assert!(parse(&fine).check(&known()).is_ok());
}

#[test]
fn all_errors_are_reported_together() {
    let text = "[routing]\ntimezone = \"Mars/Olympus\"\nworking_hours = { start = \"18:00\", end = \"08:00\" }\n\
                [[routing.rules]]\nname = \"a\"\nwhen = { environments = [\"qa\"] }\nreviewers = [{ team = \"sre\" }]\n";
    let errors = errors(text);
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert!(errors[0].starts_with("`routing.timezone`"));
    assert!(errors[1].starts_with("`routing.working_hours`"));
    assert!(errors[2].contains("`sla_hours` is missing"));
    assert!(errors[3].contains("unknown environment \"qa\""));
    assert!(errors[4].contains("add a default rule at the end with no `when`"));
}
