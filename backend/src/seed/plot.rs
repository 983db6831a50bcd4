//! How a seeded request goes: submitted, its pull request opened, reviewed (comments, changes
//! requested and an edit, approvals from distinct reviewers of the routed teams), then merged,
//! rejected or cancelled — or still open at any step on the way.

use std::collections::HashMap;

use domain::audit::Actor;
use domain::catalog::Module;
use domain::render::target_path;
use domain::request::transition::{Event, Role};
use domain::request::{Environment, Status};
use serde_json::json;

use super::chain::Scope;
use super::rng::Rng;
use super::rows::{JobRow, PullRow};
use super::steps::{close, decision_comment, finish, merge, revision};
use super::story::{CANCEL_REASONS, CHANGES, Member, QUESTIONS, REJECTIONS, REMARKS, Story, Team, pick_approvers};
use super::templates::{Key, Templates};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

const WORDS: &[&str] = &[
    "orders", "invoices", "ledger", "checkout", "sessions", "search", "catalog", "billing", "fraud", "reports",
    "events", "pricing", "refunds", "payouts", "carts", "emails", "exports", "audit", "metrics", "profiles",
];

const JUSTIFICATIONS: &[&str] = &[
    "New service for the Q3 launch.",
    "Load tests need their own copy.",
    "Replacing the hand-made one from 2021 so it is in Terraform.",
    "Needed by the reporting pipeline (ticket OPS-1432).",
    "",
];
const EDITED: &str = "Updated as the reviewers asked.";

/// Where a request ends up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    Merged,
    Rejected,
    Cancelled,
    /// Still open in this status.
    Open(Status),
}

/// A module version stored in `module_versions`.
pub(super) struct Version {
    pub id: i64,
    pub digest: String,
}

/// Request `id` created at `created`, told to its `outcome` with delays times `pace`,
/// nothing after `limit`; its pull request (if opened) is `pull_number`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ask {
    pub id: i64,
    pub pull_number: i64,
    pub created: i64,
    pub outcome: Outcome,
    pub pace: f64,
    pub limit: i64,
}

pub(super) struct Plot<'a> {
    pub templates: Templates<'a>,
    pub modules: &'a [Module],
    pub versions: Vec<Version>,
    pub environments: &'a [Environment],
    pub path_template: &'a str,
    pub requesting: Vec<Team>,
    pub reviewers: HashMap<String, Vec<Member>>,
    pub pull_url: &'a str,
}

impl Plot<'_> {
    /// One request's story (see [`Ask`]).
    pub(super) fn request(&mut self, rng: &mut Rng, ask: Ask) -> Result<Story, String> {
        let Ask { id, pull_number, created, outcome, pace, limit } = ask;
        let team = rng.pick(&self.requesting);
        let requester = rng.pick(&team.members);
        let environment = pick_environment(rng, self.environments);
        let module = rng.below(self.modules.len() as u64) as usize;
        let instance = format!("{}-{id}", rng.pick(WORDS));
        let variants = self.templates.variant_count(module, environment);
        let mut key = Key {
            module,
            environment,
            team: team.slug.clone(),
            requester: requester.login.clone(),
            variant: rng.below(variants as u64) as usize,
        };
        let template = self.templates.get(&key)?;
        let (m, env) = (&self.modules[module], &self.environments[environment]);
        let path = target_path(self.path_template, &env.directory, &instance, &m.id).map_err(|e| e.to_string())?;
        let scope =
            Scope { request_id: id, team: team.slug.clone(), environment: env.name.clone(), module: m.id.clone() };
        let mut s = Story::new(scope, created, pace, limit);
        let requester_actor = Actor::User(requester.login.clone());
        let justification = *rng.pick(JUSTIFICATIONS);
        let version = &self.versions[module];

        // Submitted: request, revision 1 (with its routing), the event, the pull request asked for.
        if rng.chance(0.95) {
            s.sign_in(rng, &requester.login);
        }
        let content_hash = revision(&mut s, version.id, &template, &instance, &path, justification, requester.id, 1);
        let submitted = json!({
            "module": m.id, "module_digest": version.digest, "environment": env.name, "team": team.slug,
            "instance_name": instance, "path": path, "content_hash": content_hash, "routing": template.routing_json,
        });
        s.event(&requester_actor, "request.submitted", &submitted);
        s.change(Event::PrRequested, Role::System, &Actor::System, json!({}));
        if rng.chance(0.3) {
            s.sign_out(rng, &requester.login);
        }
        let mut routing = template;
        if outcome == Outcome::Open(Status::PrPending) {
            s.rows.jobs.push(JobRow {
                request_id: id,
                kind: "open_pr",
                state: "pending",
                attempts: 0,
                locked_by: None,
                created_at_ms: created,
                updated_at_ms: created,
            });
            return Ok(finish(s, team, requester, &instance, &m.id, &env.name, 1, rng));
        }

        // The worker opens the pull request.
        s.wait(rng.between(2_000, 40_000));
        let head = rng.hex(20);
        let url = format!("{}{pull_number}", self.pull_url);
        let branch = crate::outbox::branch_name(id, &instance);
        s.rows.pulls.push(PullRow {
            request_id: id,
            number: pull_number,
            url: url.clone(),
            branch: branch.clone(),
            head_sha: head.clone(),
            state: "open",
            merge_commit: None,
            opened_at_ms: s.t,
            updated_at_ms: s.t,
        });
        s.job_done(rng, "open_pr", created);
        let opened = json!({ "pull_request": pull_number, "url": url, "branch": branch, "head": head });
        s.change(Event::PrOpened, Role::System, &Actor::System, opened);

        let mut rev = 1;
        if routing.routing.auto_approve {
            s.change(Event::AutoApproved, Role::System, &Actor::System, json!({ "rule": routing.routing.rule }));
            let asked = s.t;
            if matches!(outcome, Outcome::Open(_)) {
                // Waiting for the merge (GitHub's checks); the job found nothing to do yet.
                s.wait(rng.between(500, 3_000));
                s.job_done(rng, "merge_pr", asked);
            } else {
                merge(&mut s, rng, asked);
            }
            return Ok(finish(s, team, requester, &instance, &m.id, &env.name, rev, rng));
        }

        let routes: Vec<(String, u32)> = routing
            .routing
            .reviewers
            .iter()
            .filter(|r| r.approvals > 0)
            .map(|r| (r.team.clone(), r.approvals))
            .collect();
        let deciders: Vec<&Member> = routes
            .iter()
            .flat_map(|(t, _)| self.reviewers.get(t).into_iter().flatten())
            .filter(|m| m.id != requester.id)
            .collect();
        let approvers = pick_approvers(rng, &routes, &self.reviewers, requester.id);
        // Nobody can decide: it waits, then its team gives up.
        let outcome = match (outcome, deciders.is_empty() || approvers.is_none()) {
            (Outcome::Open(_), true) => Outcome::Open(Status::InReview),
            (_, true) => Outcome::Cancelled,
            (o, false) => o,
        };

        // Comments, then perhaps the requester answers.
        s.wait(rng.exp(4 * HOUR));
        let mut talk = if rng.chance(0.45) { 1 + usize::from(rng.chance(0.3)) } else { 0 };
        while talk > 0 && !deciders.is_empty() {
            talk -= 1;
            let who = deciders[rng.below(deciders.len() as u64) as usize];
            let question = rng_pick(rng, QUESTIONS);
            decision_comment(&mut s, rng, who, rev, "comment", question);
            s.event(&Actor::User(who.login.clone()), "request.commented", &json!({ "revision": rev }));
            if rng.chance(0.7) {
                s.wait(rng.exp(HOUR));
                s.sign_in(rng, &requester.login);
                s.comment(rev, requester, "comment", "Yes — see the justification.");
                s.event(&requester_actor, "request.commented", &json!({ "revision": rev }));
            }
            s.wait(rng.exp(2 * HOUR));
        }
        if outcome == Outcome::Cancelled {
            s.wait(rng.exp(24 * HOUR));
            s.sign_in(rng, &requester.login);
            let reason = *rng.pick(CANCEL_REASONS);
            s.change(Event::Cancelled, Role::Requester, &requester_actor, json!({ "reason": reason }));
            close(&mut s, rng);
            return Ok(finish(s, team, requester, &instance, &m.id, &env.name, rev, rng));
        }

        // Changes requested, and an edit for each (the last may still be awaited).
        let open_changes = outcome == Outcome::Open(Status::ChangesRequested);
        let mut rounds = usize::from(open_changes);
        while rounds < 2 && rng.chance(0.25) {
            rounds += 1;
        }
        for round in 0..rounds {
            let who = deciders[rng.below(deciders.len() as u64) as usize];
            let comment = rng_pick(rng, CHANGES);
            decision_comment(&mut s, rng, who, rev, "changes_requested", comment);
            let details = json!({ "revision": rev, "comment": comment });
            s.change(Event::ChangesRequested, Role::Reviewer, &Actor::User(who.login.clone()), details);
            if open_changes && round + 1 == rounds {
                return Ok(finish(s, team, requester, &instance, &m.id, &env.name, rev, rng));
            }
            s.wait(rng.exp(3 * HOUR));
            s.sign_in(rng, &requester.login);
            key.variant = (key.variant + 1) % variants;
            routing = self.templates.get(&key)?;
            rev += 1;
            // A new variant when the module has one; the justification changes either way, so
            // the edit is never refused as unchanged.
            let hash = revision(&mut s, version.id, &routing, &instance, &path, EDITED, requester.id, rev);
            let details = json!({ "revision": rev, "content_hash": hash, "routing": routing.routing_json });
            s.change(Event::Edited, Role::Requester, &requester_actor, details);
            let asked = s.t;
            s.wait(rng.between(1_000, 20_000));
            s.job_done(rng, "update_pr", asked);
            let head = rng.hex(20);
            let t = s.t;
            if let Some(pull) = s.pull() {
                pull.head_sha = head;
                pull.updated_at_ms = t;
            }
            s.wait(rng.exp(4 * HOUR));
        }

        if outcome == Outcome::Rejected {
            let who = deciders[rng.below(deciders.len() as u64) as usize];
            let comment = rng_pick(rng, REJECTIONS);
            decision_comment(&mut s, rng, who, rev, "rejected", comment);
            let details = json!({ "revision": rev, "comment": comment });
            s.change(Event::Rejected, Role::Reviewer, &Actor::User(who.login.clone()), details);
            close(&mut s, rng);
            return Ok(finish(s, team, requester, &instance, &m.id, &env.name, rev, rng));
        }

        // Approvals from distinct people; the last one needed approves.
        let approvers = approvers.unwrap_or_default();
        let total = approvers.len();
        let given = if outcome == Outcome::Open(Status::InReview) { rng.below(total as u64) as usize } else { total };
        for (k, (who, _)) in approvers.iter().take(given).enumerate() {
            s.wait(rng.exp(40 * MINUTE));
            let body = if rng.chance(0.3) { rng_pick(rng, REMARKS) } else { "" };
            decision_comment(&mut s, rng, who, rev, "approved", body);
            s.approval(rev, who);
            let details = json!({ "revision": rev, "counted": k + 1 });
            let actor = Actor::User(who.login.clone());
            if k + 1 < total {
                s.event(&actor, "request.approval_recorded", &details);
                s.version += 1;
                s.updated_at_ms = s.t;
            } else {
                s.change(Event::Approved, Role::Reviewer, &actor, details);
            }
        }
        if given < total {
            return Ok(finish(s, team, requester, &instance, &m.id, &env.name, rev, rng));
        }
        let asked = s.t;
        if outcome == Outcome::Open(Status::Approved) {
            s.wait(rng.between(500, 3_000));
            s.job_done(rng, "merge_pr", asked);
        } else {
            merge(&mut s, rng, asked);
        }
        Ok(finish(s, team, requester, &instance, &m.id, &env.name, rev, rng))
    }
}

fn rng_pick(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    items[rng.below(items.len() as u64) as usize]
}

/// dev, staging, prod in 45/25/30 proportions when those are the environments; else even.
fn pick_environment(rng: &mut Rng, environments: &[Environment]) -> usize {
    let weight = |e: &Environment| match e.name.as_str() {
        "dev" => 45.0,
        "staging" => 25.0,
        "prod" => 30.0,
        _ => 30.0,
    };
    let total: f64 = environments.iter().map(weight).sum();
    let mut x = rng.unit() * total;
    for (i, e) in environments.iter().enumerate() {
        x -= weight(e);
        if x < 0.0 {
            return i;
        }
    }
    environments.len() - 1
}
