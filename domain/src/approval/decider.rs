//! Who may decide on a request (approve, request changes, reject): the one rule the server
//! enforces and the review page shows, so the two cannot differ.
//!
//! In this order:
//! - a member of a reviewing team the current revision is routed to **with approvals to give**
//!   (a routed team needing 0 approvals does not count);
//! - never the requester;
//! - never anyone who authored any revision of the request.
//!
//! A member of the requesting team who is also a routed reviewer may decide. Admins have no
//! extra power: only team membership counts.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::identity::Me;
use crate::routing::ReviewerRequirement;

/// The person who wants to decide: their login and the slugs of the **reviewing** teams they
/// are a member of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decider<'a> {
    pub login: &'a str,
    pub reviewing_teams: Vec<&'a str>,
}

impl<'a> Decider<'a> {
    /// `me` as a decider: only their reviewing teams count, the admin flag gives nothing.
    pub fn of(me: &'a Me) -> Self {
        Decider {
            login: &me.login,
            reviewing_teams: me.teams.iter().filter(|t| t.reviewing).map(|t| t.slug.as_str()).collect(),
        }
    }
}

/// Why someone may not decide. Its text is what the server answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// In none of the routed teams with approvals to give; `routed` lists those teams, in
    /// routing order (empty: none).
    NotRoutedReviewer { routed: Vec<String> },
    /// The requester.
    OwnRequest,
    /// The person authored a revision of the request.
    Editor,
}

impl Refusal {
    /// The message for someone outside the routed teams; `teams` is the routed teams as text
    /// (`sre, dba`, or `none`).
    pub fn not_routed_message(teams: &str) -> String {
        format!("only members of a team this request is routed to ({teams}) can decide on it")
    }

    /// The message for a four-eyes refusal with its `reason`.
    pub fn four_eyes_message(reason: &str) -> String {
        format!("you cannot decide on this request: {reason}")
    }

    /// The routed teams as text: joined with `, `, or `none`.
    pub fn teams_text(routed: &[String]) -> String {
        if routed.is_empty() { "none".to_owned() } else { routed.join(", ") }
    }

    /// The four-eyes reason, when the refusal is one.
    pub fn four_eyes_reason(&self) -> Option<&'static str> {
        match self {
            Refusal::NotRoutedReviewer { .. } => None,
            Refusal::OwnRequest => Some("it is your own request"),
            Refusal::Editor => Some("you edited it"),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotRoutedReviewer { routed } => {
                f.write_str(&Refusal::not_routed_message(&Refusal::teams_text(routed)))
            }
            Refusal::OwnRequest | Refusal::Editor => {
                f.write_str(&Refusal::four_eyes_message(self.four_eyes_reason().unwrap_or_default()))
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// Whether `who` may decide on a request routed to `requirements`, made by `requester`, whose
/// revisions were authored by `editors`. See the module docs for the rule.
pub fn may_decide(
    who: &Decider<'_>,
    requirements: &[ReviewerRequirement],
    requester: &str,
    editors: &BTreeSet<String>,
) -> Result<(), Refusal> {
    let routed: Vec<&str> = requirements.iter().filter(|r| r.approvals > 0).map(|r| r.team.as_str()).collect();
    if !who.reviewing_teams.iter().any(|t| routed.contains(t)) {
        return Err(Refusal::NotRoutedReviewer { routed: routed.into_iter().map(str::to_owned).collect() });
    }
    if who.login == requester {
        return Err(Refusal::OwnRequest);
    }
    if editors.contains(who.login) {
        return Err(Refusal::Editor);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
