//! Review routing: which teams review a request revision, how many distinct approvals each
//! must give, and in how many working hours; or that a rule approves it automatically.
//!
//! Rules live in the server's configuration file (`[routing]`, `[[routing.rules]]`). They are
//! deserialized into [`RoutingConfig`] and checked once at start by [`RoutingConfig::check`],
//! which returns every problem at once so the server can refuse to start with all of them.
//! The checked [`Routing`] then answers [`Routing::route`] for each revision (the
//! [`RoutingOutcome`] is stored with the revision as JSON and shown on the form before submit)
//! and computes SLA due times in working hours ([`Routing::due_at`]).
//!
//! An annotated example, the one the demo uses:
//!
//! ```toml
#![doc = include_str!("example.toml")]
//! ```

mod rules;
mod sla;
#[cfg(test)]
mod tests;

pub use rules::{Known, RoutingConfigError};
pub use sla::WorkingHours;

use crate::catalog::{RiskTier, Value};
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use std::time::Duration;

/// `[routing]` as written in the configuration file. Check it with [`RoutingConfig::check`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingConfig {
    /// IANA time zone name of the SLA clock, e.g. `"Europe/Berlin"`.
    pub timezone: String,
    #[serde(default)]
    pub working_hours: WorkingHoursConfig,
    /// Tried in order; the last must have no `when`.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
}

/// Daily working hours as `HH:MM`, Monday to Friday.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingHoursConfig {
    pub start: String,
    pub end: String,
}

impl Default for WorkingHoursConfig {
    fn default() -> Self {
        WorkingHoursConfig { start: "09:00".into(), end: "17:00".into() }
    }
}

/// One `[[routing.rules]]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub name: String,
    /// Missing: matches every request (the default rule).
    #[serde(default, skip_serializing_if = "Match::is_empty")]
    pub when: Match,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviewers: Vec<ReviewerConfig>,
    /// Required with reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_hours: Option<u32>,
    #[serde(default)]
    pub auto_approve: bool,
}

/// A reviewing team and the number of distinct approvals it must give.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewerConfig {
    pub team: String,
    #[serde(default = "one")]
    pub approvals: u32,
}

fn one() -> u32 {
    1
}

/// The conditions of a rule. An empty list matches anything; a rule matches when every
/// non-empty list matches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risk_tiers: Vec<RiskTier>,
    /// The requesting team's slug.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<String>,
    /// Matches when any of these inputs is among the changed ones (see [`changed_inputs`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs_changed: Vec<String>,
}

impl Match {
    pub fn is_empty(&self) -> bool {
        self.environments.is_empty()
            && self.modules.is_empty()
            && self.risk_tiers.is_empty()
            && self.teams.is_empty()
            && self.inputs_changed.is_empty()
    }

    pub fn matches(&self, facts: &RoutingFacts<'_>) -> bool {
        let any_or = |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
        any_or(&self.environments, facts.environment)
            && any_or(&self.modules, facts.module)
            && (self.risk_tiers.is_empty() || self.risk_tiers.contains(&facts.risk_tier))
            && any_or(&self.teams, facts.team)
            && (self.inputs_changed.is_empty()
                || self.inputs_changed.iter().any(|name| facts.changed_inputs.contains(name)))
    }
}

/// What routing looks at for one revision of a request.
#[derive(Clone, Copy, Debug)]
pub struct RoutingFacts<'a> {
    pub environment: &'a str,
    /// The catalog module's name, e.g. `rds-postgresql`.
    pub module: &'a str,
    pub risk_tier: RiskTier,
    /// Slug of the team that requests.
    pub team: &'a str,
    /// From [`changed_inputs`].
    pub changed_inputs: &'a [String],
}

/// The decision for one revision, stored with it (JSON) and shown on the form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingOutcome {
    /// Name of the rule that matched.
    pub rule: String,
    /// Empty when auto-approved.
    pub reviewers: Vec<ReviewerRequirement>,
    /// Working hours the reviewers have; `None` when auto-approved.
    pub sla_hours: Option<u32>,
    pub auto_approve: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewerRequirement {
    pub team: String,
    /// Distinct approvals from members of `team`.
    pub approvals: u32,
}

impl RoutingOutcome {
    /// One line for people: `reviewed by sre (2 approvals) and dba (1 approval); SLA 8 working
    /// hours`, or `approved automatically by rule "dev-low-risk"`.
    pub fn summary(&self) -> String {
        if self.auto_approve {
            return format!("approved automatically by rule \"{}\"", self.rule);
        }
        let mut out = String::from("reviewed by ");
        for (i, r) in self.reviewers.iter().enumerate() {
            if i > 0 {
                out.push_str(if i + 1 == self.reviewers.len() { " and " } else { ", " });
            }
            let _ = write!(out, "{} ({})", r.team, plural(r.approvals, "approval"));
        }
        if let Some(hours) = self.sla_hours {
            let _ = write!(out, "; SLA {}", plural(hours, "working hour"));
        }
        out
    }
}

fn plural(n: u32, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// Checked routing rules and working hours, built by [`RoutingConfig::check`].
#[derive(Clone, Debug)]
pub struct Routing {
    config: RoutingConfig,
    /// Every rule but the last, in order.
    rules: Vec<(Match, RoutingOutcome)>,
    /// The last rule, which matches everything; kept apart so `route` needs no fallback case.
    default: RoutingOutcome,
    working_hours: WorkingHours,
}

impl Routing {
    /// The first matching rule decides.
    pub fn route(&self, facts: &RoutingFacts<'_>) -> RoutingOutcome {
        self.rules.iter().find(|(when, _)| when.matches(facts)).map_or(&self.default, |(_, outcome)| outcome).clone()
    }

    /// The configuration this was checked from (e.g. to list the rules on an admin page).
    pub fn config(&self) -> &RoutingConfig {
        &self.config
    }

    pub fn working_hours(&self) -> &WorkingHours {
        &self.working_hours
    }

    /// See [`WorkingHours::due_at`]. Unix milliseconds in and out.
    pub fn due_at(&self, submitted_ms: i64, hours: u32) -> i64 {
        self.working_hours.due_at(submitted_ms, hours)
    }

    /// See [`WorkingHours::working_time_between`].
    pub fn working_time_between(&self, from_ms: i64, to_ms: i64) -> Duration {
        self.working_hours.working_time_between(from_ms, to_ms)
    }

    /// See [`WorkingHours::is_overdue`].
    pub fn is_overdue(&self, submitted_ms: i64, hours: u32, now_ms: i64) -> bool {
        self.working_hours.is_overdue(submitted_ms, hours, now_ms)
    }
}

/// The inputs that `inputs_changed` matches against. For a new request (`previous` is `None`)
/// every input given; for an edit, the inputs whose value differs from the previous revision,
/// was added or was removed. Order: as they appear in `current`, then removed ones as they
/// appeared in `previous`; no name twice.
pub fn changed_inputs(previous: Option<&[(String, Value)]>, current: &[(String, Value)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |name: &str| {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
    };
    match previous {
        None => current.iter().for_each(|(name, _)| push(name)),
        Some(previous) => {
            for (name, value) in current {
                if !previous.iter().any(|(n, v)| n == name && v == value) {
                    push(name);
                }
            }
            for (name, _) in previous {
                if !current.iter().any(|(n, _)| n == name) {
                    push(name);
                }
            }
        }
    }
    out
}
