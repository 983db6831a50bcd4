//! Unit tests for routing, one file per concern.

mod changes;
mod config;
mod matching;
mod sla;

use super::{Known, Routing, RoutingConfig, RoutingConfigError};
use serde::Deserialize;

/// The demo configuration shipped as the module's documented example.
const EXAMPLE: &str = include_str!("../example.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    routing: RoutingConfig,
}

fn known() -> Known {
    Known {
        environments: vec!["dev".into(), "staging".into(), "prod".into()],
        teams: vec!["sre".into(), "dba".into(), "security".into()],
    }
}

/// Parses a `[routing]` section as the server's TOML configuration holds it.
fn parse(toml_text: &str) -> RoutingConfig {
    toml::from_str::<File>(toml_text).unwrap_or_else(|e| panic!("bad test TOML: {e}")).routing
}

fn checked(toml_text: &str) -> Routing {
    parse(toml_text).check(&known()).unwrap_or_else(|errors| panic!("unexpected errors: {errors:#?}"))
}

/// The rendered messages of a configuration that must fail.
fn errors(toml_text: &str) -> Vec<String> {
    let errors: Vec<RoutingConfigError> = match parse(toml_text).check(&known()) {
        Ok(_) => panic!("configuration was accepted"),
        Err(errors) => errors,
    };
    errors.iter().map(ToString::to_string).collect()
}

/// `[routing]` with the given rules, in Berlin, default working hours.
fn with_rules(rules: &str) -> String {
    format!("[routing]\ntimezone = \"Europe/Berlin\"\n{rules}")
}

const DEFAULT_RULE: &str = "[[routing.rules]]\nname = \"default\"\nreviewers = [{ team = \"sre\" }]\nsla_hours = 16\n";
