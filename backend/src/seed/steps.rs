//! The steps of a story that write rows: a revision, a reviewer's words, the merge and close
//! jobs, and the request row at the end.

use domain::audit::Actor;
use domain::request::transition::{Event, Role};
use serde_json::json;

use super::rng::Rng;
use super::rows::{RequestRow, RevisionRow};
use super::story::{Member, Story, Team};
use super::templates::Template;

/// A reviewer's decision with what they wrote (an approval without words stores no comment),
/// after signing in.
pub(super) fn decision_comment(
    s: &mut Story,
    rng: &mut Rng,
    who: &Member,
    rev: i64,
    kind: &'static str,
    body: &'static str,
) {
    if rng.chance(0.9) {
        s.sign_in(rng, &who.login);
    }
    if !body.is_empty() {
        s.comment(rev, who, kind, body);
    }
    if rng.chance(0.25) {
        s.sign_out(rng, &who.login);
    }
}

/// The merge job merges and the request follows.
pub(super) fn merge(s: &mut Story, rng: &mut Rng, asked: i64) {
    s.wait(rng.between(3_000, 180_000));
    s.job_done(rng, "merge_pr", asked);
    let merge_commit = rng.hex(20);
    let t = s.t;
    let (number, head) = match s.pull() {
        Some(pull) => {
            pull.state = "merged";
            pull.merge_commit = Some(merge_commit.clone());
            pull.updated_at_ms = t;
            (pull.number, pull.head_sha.clone())
        }
        None => return,
    };
    let details = json!({ "pull_request": number, "merge_commit": merge_commit, "head": head });
    s.change(Event::Merged, Role::System, &Actor::System, details);
}

/// The close job closes the pull request (rejected or cancelled).
pub(super) fn close(s: &mut Story, rng: &mut Rng) {
    let asked = s.t;
    s.wait(rng.between(1_000, 30_000));
    s.job_done(rng, "close_pr", asked);
    let t = s.t;
    if let Some(pull) = s.pull() {
        pull.state = "closed";
        pull.updated_at_ms = t;
    }
}

/// Stores revision `rev` of the story's request; returns its content hash.
#[allow(clippy::too_many_arguments)]
pub(super) fn revision(
    s: &mut Story,
    module_version_id: i64,
    template: &Template,
    instance: &str,
    path: &str,
    justification: &'static str,
    author_id: i64,
    rev: i64,
) -> String {
    let id = s.id();
    let rendered = Template::fill(&template.rendered, instance, id);
    let content_hash = crate::requests::sha256_hex(rendered.as_bytes());
    s.rows.revisions.push(RevisionRow {
        request_id: id,
        revision: rev,
        module_version_id,
        inputs: Template::fill(&template.inputs, instance, id),
        form: Template::fill(&template.form, instance, id),
        rendered,
        content_hash: content_hash.clone(),
        path: path.to_owned(),
        routing: template.routing_json.to_string(),
        checks: template.checks.clone(),
        justification,
        author_id,
        created_at_ms: s.t,
    });
    content_hash
}

/// The request row as the story leaves it.
#[allow(clippy::too_many_arguments)]
pub(super) fn finish(
    mut s: Story,
    team: &Team,
    requester: &Member,
    instance: &str,
    module: &str,
    environment: &str,
    rev: i64,
    rng: &mut Rng,
) -> Story {
    let id = s.id();
    let created = s.rows.revisions.first().map_or(s.t, |r| r.created_at_ms);
    s.rows.requests.push(RequestRow {
        id,
        team_id: team.id,
        requester_id: requester.id,
        module_id: module.to_owned(),
        environment: environment.to_owned(),
        instance_name: instance.to_owned(),
        status: s.status.as_str(),
        current_revision: rev,
        version: s.version,
        idempotency_key: rng.uuid(),
        created_at_ms: created,
        updated_at_ms: s.updated_at_ms,
    });
    s
}
