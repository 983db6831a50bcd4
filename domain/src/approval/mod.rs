//! Counting approvals with four eyes: which approvals count toward a request's routing, and
//! whether it is complete. Pure, so the review page, the approval flow and GitHub reviews all
//! count the same way (and the browser can show it).
//!
//! Rules:
//! - only approvals of the **current revision** count (an edit dismisses earlier ones);
//! - never from the requester or anyone who authored a revision;
//! - only from a member of a routed team, for that team;
//! - **distinct people**: one person fills at most one approval slot, whatever teams they are
//!   in — so there are never more approvals than people. When a person could count for several
//!   teams, they are assigned so that as many slots as possible are filled (a bipartite
//!   matching), so the outcome does not depend on the order approvals arrived in;
//! - admins have no extra power: an admin counts only through team membership like anyone.
//!
//! Who may decide on a request at all (the same four-eyes rule, for the decision itself) is
//! [`may_decide`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::routing::ReviewerRequirement;

mod decider;

pub use decider::{Decider, Refusal, may_decide};

/// Where an approval was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Infradesk,
    GitHub,
}

/// One person's approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub login: String,
    /// The reviewing teams the person is a member of when counting.
    pub teams: Vec<String>,
    pub revision: i64,
    pub source: Source,
}

/// Why an approval does not count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotCounted {
    /// Given for an earlier revision (dismissed by an edit).
    OldRevision(i64),
    Requester,
    /// The person authored a revision of this request.
    Editor,
    /// The person is in none of the routed teams.
    NotRouted,
    /// Every slot this person could fill is taken by others, or they already count once.
    NotNeeded,
}

impl std::fmt::Display for NotCounted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotCounted::OldRevision(r) => write!(f, "given for revision {r}; an edit dismissed it"),
            NotCounted::Requester => f.write_str("the requester cannot approve their own request"),
            NotCounted::Editor => f.write_str("someone who edited the request cannot approve it"),
            NotCounted::NotRouted => f.write_str("not a member of a team this request is routed to"),
            NotCounted::NotNeeded => f.write_str("the teams this person can approve for are complete"),
        }
    }
}

/// One routed team's approvals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamTally {
    pub team: String,
    pub needed: u32,
    /// Logins counted for this team, sorted.
    pub counted: Vec<String>,
}

impl TeamTally {
    pub fn complete(&self) -> bool {
        self.counted.len() >= self.needed as usize
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub teams: Vec<TeamTally>,
    /// Approvals that do not count, with the reason, in the order given.
    pub not_counted: Vec<(String, NotCounted)>,
}

impl Tally {
    /// Every routed team has its approvals (nothing routed: complete).
    pub fn complete(&self) -> bool {
        self.teams.iter().all(TeamTally::complete)
    }

    /// How many approvals count in all.
    pub fn counted(&self) -> usize {
        self.teams.iter().map(|t| t.counted.len()).sum()
    }
}

/// Counts `approvals` for `requirements` at `current_revision`. `requester` and `editors`
/// (authors of any revision) never count.
pub fn tally(
    requirements: &[ReviewerRequirement],
    current_revision: i64,
    approvals: &[Approval],
    requester: &str,
    editors: &BTreeSet<String>,
) -> Tally {
    let mut not_counted = Vec::new();
    // Eligible people (deduplicated: a person approving twice, or here and on GitHub, is one)
    // with the routed teams they can count for.
    let mut eligible: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for a in approvals {
        let reason = if a.revision != current_revision {
            Some(NotCounted::OldRevision(a.revision))
        } else if a.login == requester {
            Some(NotCounted::Requester)
        } else if editors.contains(&a.login) {
            Some(NotCounted::Editor)
        } else {
            None
        };
        if let Some(reason) = reason {
            not_counted.push((a.login.clone(), reason));
            continue;
        }
        let routed: BTreeSet<&str> = a
            .teams
            .iter()
            .map(String::as_str)
            .filter(|t| requirements.iter().any(|r| r.team == *t && r.approvals > 0))
            .collect();
        if routed.is_empty() {
            not_counted.push((a.login.clone(), NotCounted::NotRouted));
            continue;
        }
        eligible.entry(a.login.as_str()).or_default().extend(routed);
    }

    // Slots: one per needed approval of each team. Kuhn's augmenting paths assign people to
    // slots; people are tried in login order, so the result is deterministic.
    let slots: Vec<&str> =
        requirements.iter().flat_map(|r| std::iter::repeat_n(r.team.as_str(), r.approvals as usize)).collect();
    let people: Vec<(&str, &BTreeSet<&str>)> = eligible.iter().map(|(l, t)| (*l, t)).collect();
    let mut slot_owner: Vec<Option<usize>> = vec![None; slots.len()];
    for person in 0..people.len() {
        let mut seen = vec![false; slots.len()];
        assign(person, &people, &slots, &mut slot_owner, &mut seen);
    }

    let mut teams: Vec<TeamTally> = requirements
        .iter()
        .map(|r| TeamTally { team: r.team.clone(), needed: r.approvals, counted: Vec::new() })
        .collect();
    let mut counted_people = BTreeSet::new();
    for (slot, owner) in slot_owner.iter().enumerate() {
        if let Some(p) = owner {
            let login = people[*p].0;
            counted_people.insert(login);
            if let Some(t) = teams.iter_mut().find(|t| t.team == slots[slot]) {
                t.counted.push(login.to_owned());
            }
        }
    }
    for t in &mut teams {
        t.counted.sort();
    }
    for (login, _) in &people {
        if !counted_people.contains(login) {
            not_counted.push(((*login).to_owned(), NotCounted::NotNeeded));
        }
    }
    Tally { teams, not_counted }
}

/// Tries to give `person` a slot, moving earlier owners to other slots they can fill.
fn assign(
    person: usize,
    people: &[(&str, &BTreeSet<&str>)],
    slots: &[&str],
    owner: &mut [Option<usize>],
    seen: &mut [bool],
) -> bool {
    for slot in 0..slots.len() {
        if seen[slot] || !people[person].1.contains(slots[slot]) {
            continue;
        }
        seen[slot] = true;
        let free = match owner[slot] {
            None => true,
            Some(other) => assign(other, people, slots, owner, seen),
        };
        if free {
            owner[slot] = Some(person);
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests;
