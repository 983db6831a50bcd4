//! Checking `[routing]` before the server starts. Every message names the configuration key it
//! is about and says what to write instead; all problems are returned together.

use super::sla::{WorkingHours, parse_time_of_day, time_zone};
use super::{Match, ReviewerRequirement, Routing, RoutingConfig, RoutingOutcome, RuleConfig};
use crate::catalog::RiskTier;
use jiff::civil::Time;
use std::fmt;

/// Most approvals one team can be asked for; more is surely a typo.
const MAX_APPROVALS: u32 = 10;
/// Longest SLA: about half a year of working days. It also bounds the work of `due_at`.
const MAX_SLA_HOURS: u32 = 1000;
const ALL_RISK_TIERS: [RiskTier; 3] = [RiskTier::Low, RiskTier::Medium, RiskTier::High];

/// What the rules are checked against. An empty list is not checked.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Names of the configured environments.
    pub environments: Vec<String>,
    /// Slugs of the teams that may review. Requesting teams in `when.teams` are not checked:
    /// teams are created at run time, and a rule for a team that does not exist yet is harmless.
    pub teams: Vec<String>,
}

/// One problem in `[routing]`: where (`routing.timezone`, `[[routing.rules]]` #2 ("prod")) and
/// what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {message}")]
pub struct RoutingConfigError {
    pub place: String,
    pub message: String,
}

impl RoutingConfig {
    /// Checks everything and builds the [`Routing`] the server uses, or returns every problem.
    pub fn check(&self, known: &Known) -> Result<Routing, Vec<RoutingConfigError>> {
        let mut errors = Vec::new();
        let mut error = |place: String, message: String| errors.push(RoutingConfigError { place, message });

        let timezone = time_zone(&self.timezone);
        if timezone.is_none() {
            error(
                "`routing.timezone`".into(),
                format!("unknown time zone {:?}; use an IANA name such as \"Europe/Berlin\" or \"UTC\"", self.timezone),
            );
        }
        let times = self.check_working_hours(&mut error);

        if self.rules.is_empty() {
            error(
                "`routing.rules`".into(),
                "there are no rules; add at least a default rule with no `when`, e.g. \
                 `[[routing.rules]]` with name = \"default\", reviewers = [{ team = \"sre\" }] and sla_hours = 16"
                    .into(),
            );
        }
        for (i, rule) in self.rules.iter().enumerate() {
            check_rule(&self.rules, i, rule, known, &mut error);
        }
        check_order(&self.rules, known, &mut error);

        match (errors.is_empty(), timezone, times, self.rules.split_last()) {
            (true, Some(timezone), Some((start, end)), Some((last, rest))) => Ok(Routing {
                config: self.clone(),
                rules: rest.iter().map(|r| (r.when.clone(), outcome(r))).collect(),
                default: outcome(last),
                working_hours: WorkingHours::new(timezone, start, end),
            }),
            _ => Err(errors),
        }
    }

    fn check_working_hours(&self, error: &mut impl FnMut(String, String)) -> Option<(Time, Time)> {
        let parse = |key: &str, text: &str, error: &mut dyn FnMut(String, String)| {
            let time = parse_time_of_day(text);
            if time.is_none() {
                error(
                    format!("`routing.working_hours.{key}`"),
                    format!("{text:?} is not a time of day; write it as HH:MM, e.g. \"09:00\""),
                );
            }
            time
        };
        let start = parse("start", &self.working_hours.start, error);
        let end = parse("end", &self.working_hours.end, error);
        let (start, end) = (start?, end?);
        if start >= end {
            error(
                "`routing.working_hours`".into(),
                format!(
                    "start {} is not before end {}; working hours must lie within one day",
                    self.working_hours.start, self.working_hours.end
                ),
            );
            return None;
        }
        Some((start, end))
    }
}

fn outcome(rule: &RuleConfig) -> RoutingOutcome {
    RoutingOutcome {
        rule: rule.name.clone(),
        reviewers: rule
            .reviewers
            .iter()
            .map(|r| ReviewerRequirement { team: r.team.clone(), approvals: r.approvals })
            .collect(),
        sla_hours: rule.sla_hours,
        auto_approve: rule.auto_approve,
    }
}

/// How a rule is named in messages: its position counted from 1 as in the file, and its name.
struct RuleRef<'a>(usize, &'a RuleConfig);

impl fmt::Display for RuleRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0 + 1)?;
        if !self.1.name.is_empty() {
            write!(f, " ({:?})", self.1.name)?;
        }
        Ok(())
    }
}

fn place(i: usize, rule: &RuleConfig) -> String {
    format!("`[[routing.rules]]` {}", RuleRef(i, rule))
}

fn check_rule(
    rules: &[RuleConfig],
    i: usize,
    rule: &RuleConfig,
    known: &Known,
    error: &mut impl FnMut(String, String),
) {
    let mut err = |message: String| error(place(i, rule), message);

    if rule.name.trim().is_empty() {
        err("`name` is empty; every rule needs a name, it is stored with each revision it routes".into());
    } else if let Some(first) = rules[..i].iter().position(|r| r.name == rule.name) {
        err(format!("`name` {:?} is already used by rule #{}; rule names must be unique", rule.name, first + 1));
    }

    if rule.auto_approve {
        if !rule.reviewers.is_empty() {
            err("`auto_approve = true` and `reviewers` contradict each other; remove one of them".into());
        } else if rule.sla_hours.is_some() {
            err("`sla_hours` has no effect with `auto_approve = true`; remove it".into());
        }
    } else if rule.reviewers.is_empty() {
        err("has no `reviewers` and no `auto_approve = true`; add e.g. reviewers = [{ team = \"sre\", approvals = 1 }] \
             and sla_hours = 8, or set auto_approve = true"
            .into());
    } else {
        match rule.sla_hours {
            None => err("`sla_hours` is missing: the working hours reviewers have; add e.g. `sla_hours = 8`".into()),
            Some(h) if !(1..=MAX_SLA_HOURS).contains(&h) => {
                err(format!("`sla_hours = {h}` is out of range; use 1 to {MAX_SLA_HOURS}"))
            }
            Some(_) => {}
        }
    }

    for (j, reviewer) in rule.reviewers.iter().enumerate() {
        let at = format!("`reviewers` #{} (team {:?})", j + 1, reviewer.team);
        if reviewer.team.trim().is_empty() {
            err(format!("{at}: `team` is empty; give the slug of a reviewing team"));
        } else if !known.teams.is_empty() && !known.teams.contains(&reviewer.team) {
            err(format!("{at}: unknown team; reviewing teams: {}", known.teams.join(", ")));
        }
        if rule.reviewers[..j].iter().any(|r| r.team == reviewer.team) {
            err(format!("{at}: the team is listed twice; ask for more approvals with one entry and `approvals = 2`"));
        }
        if !(1..=MAX_APPROVALS).contains(&reviewer.approvals) {
            err(format!("{at}: `approvals = {}` is out of range; use 1 to {MAX_APPROVALS}", reviewer.approvals));
        }
    }

    let when = &rule.when;
    if !known.environments.is_empty() {
        for env in when.environments.iter().filter(|e| !known.environments.contains(e)) {
            err(format!(
                "`when.environments` names unknown environment {env:?}; known environments: {}",
                known.environments.join(", ")
            ));
        }
    }
    for (key, list) in [("modules", &when.modules), ("teams", &when.teams), ("inputs_changed", &when.inputs_changed)] {
        if list.iter().any(|name| name.trim().is_empty()) {
            err(format!("`when.{key}` contains an empty name"));
        }
    }
}

/// The default rule must come last, and every rule must be able to match something that no
/// rule above it already takes: an unreachable rule is a mistake the author should hear about.
fn check_order(rules: &[RuleConfig], known: &Known, error: &mut impl FnMut(String, String)) {
    let Some(last) = rules.len().checked_sub(1) else { return };
    let any = Match::default();
    if let Some(first_default) = rules[..last].iter().position(|r| covers(&r.when, &any, known)) {
        let later: Vec<String> =
            rules.iter().enumerate().skip(first_default + 1).map(|(i, r)| RuleRef(i, r).to_string()).collect();
        error(
            place(first_default, &rules[first_default]),
            format!(
                "matches every request, so the rules after it never apply: {}; move it to the end",
                later.join(", ")
            ),
        );
        return;
    }
    if !covers(&rules[last].when, &any, known) {
        error(
            place(last, &rules[last]),
            "the last rule has a `when`, so some requests would match no rule; \
             add a default rule at the end with no `when`"
                .into(),
        );
    }
    for (i, rule) in rules.iter().enumerate() {
        if let Some(earlier) = rules[..i].iter().position(|e| covers(&e.when, &rule.when, known)) {
            error(
                place(i, rule),
                format!(
                    "never applies: every request it matches is already matched by rule {} above it; \
                     move it above that rule or narrow that rule's `when`",
                    RuleRef(earlier, &rules[earlier])
                ),
            );
        }
    }
}

/// Whether every request `inner` matches is also matched by `outer`. Exact for each list on
/// its own; lists that name every known environment or every risk tier count as "any".
fn covers(outer: &Match, inner: &Match, known: &Known) -> bool {
    fn list<T: PartialEq>(outer: &[T], inner: &[T], domain: Option<&[T]>) -> bool {
        let is_any = |l: &[T]| l.is_empty() || domain.is_some_and(|d| !d.is_empty() && d.iter().all(|v| l.contains(v)));
        is_any(outer) || (!is_any(inner) && inner.iter().all(|v| outer.contains(v)))
    }
    list(&outer.environments, &inner.environments, Some(&known.environments))
        && list(&outer.modules, &inner.modules, None)
        && list(&outer.risk_tiers, &inner.risk_tiers, Some(&ALL_RISK_TIERS))
        && list(&outer.teams, &inner.teams, None)
        && list(&outer.inputs_changed, &inner.inputs_changed, None)
}
