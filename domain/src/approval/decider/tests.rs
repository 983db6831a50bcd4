use std::collections::BTreeSet;

use super::*;
use crate::identity::TeamRef;

fn req(team: &str, approvals: u32) -> ReviewerRequirement {
    ReviewerRequirement { team: team.into(), approvals }
}

fn who<'a>(login: &'a str, teams: &[&'a str]) -> Decider<'a> {
    Decider { login, reviewing_teams: teams.to_vec() }
}

fn set(logins: &[&str]) -> BTreeSet<String> {
    logins.iter().map(|l| (*l).to_owned()).collect()
}

fn me(login: &str, is_admin: bool, teams: &[(&str, bool)]) -> Me {
    Me {
        id: 1,
        login: login.into(),
        name: login.into(),
        is_admin,
        teams: teams
            .iter()
            .map(|(slug, reviewing)| TeamRef { slug: (*slug).into(), name: (*slug).into(), reviewing: *reviewing })
            .collect(),
    }
}

#[test]
fn a_routed_reviewer_who_neither_requested_nor_edited_may_decide() {
    let routing = [req("sre", 1), req("dba", 1)];
    assert_eq!(may_decide(&who("sam", &["dba"]), &routing, "dana", &set(&["dana"])), Ok(()));
}

#[test]
fn the_requester_is_refused_even_as_a_routed_reviewer() {
    let routing = [req("sre", 1)];
    let refusal = may_decide(&who("dana", &["sre"]), &routing, "dana", &set(&["dana"])).unwrap_err();
    assert_eq!(refusal, Refusal::OwnRequest);
    assert_eq!(refusal.to_string(), "you cannot decide on this request: it is your own request");
}

#[test]
fn the_author_of_any_revision_is_refused() {
    let routing = [req("sre", 1)];
    // chris edited revision 2; the current revision is someone else's: still refused.
    let refusal = may_decide(&who("chris", &["sre"]), &routing, "dana", &set(&["dana", "chris", "alex"])).unwrap_err();
    assert_eq!(refusal, Refusal::Editor);
    assert_eq!(refusal.to_string(), "you cannot decide on this request: you edited it");
}

#[test]
fn a_member_of_no_routed_team_is_refused_with_the_routed_teams() {
    let routing = [req("sre", 2), req("dba", 1)];
    let refusal = may_decide(&who("pat", &["net"]), &routing, "dana", &set(&["dana"])).unwrap_err();
    assert_eq!(refusal, Refusal::NotRoutedReviewer { routed: vec!["sre".into(), "dba".into()] });
    assert_eq!(refusal.to_string(), "only members of a team this request is routed to (sre, dba) can decide on it");
    let nothing = may_decide(&who("pat", &["net"]), &[], "dana", &set(&["dana"])).unwrap_err();
    assert_eq!(nothing.to_string(), "only members of a team this request is routed to (none) can decide on it");
}

#[test]
fn a_routed_team_needing_no_approvals_does_not_make_its_members_reviewers() {
    let routing = [req("sre", 1), req("dba", 0)];
    let refusal = may_decide(&who("sam", &["dba"]), &routing, "dana", &set(&["dana"])).unwrap_err();
    assert_eq!(refusal, Refusal::NotRoutedReviewer { routed: vec!["sre".into()] });
    assert_eq!(refusal.to_string(), "only members of a team this request is routed to (sre) can decide on it");
}

#[test]
fn not_routed_is_checked_before_the_four_eyes_rules() {
    let routing = [req("sre", 1)];
    let refusal = may_decide(&who("dana", &["net"]), &routing, "dana", &set(&["dana"])).unwrap_err();
    assert!(matches!(refusal, Refusal::NotRoutedReviewer { .. }));
    // The requester is refused as the requester before as an editor.
    let refusal = may_decide(&who("dana", &["sre"]), &routing, "dana", &set(&["dana"])).unwrap_err();
    assert_eq!(refusal, Refusal::OwnRequest);
}

#[test]
fn a_requesting_team_member_who_is_a_routed_reviewer_may_decide() {
    // The request comes from the platform team; riley is in platform and in sre.
    let riley = me("riley", false, &[("platform", false), ("sre", true)]);
    assert_eq!(may_decide(&Decider::of(&riley), &[req("sre", 1)], "dana", &set(&["dana"])), Ok(()));
}

#[test]
fn the_admin_flag_and_non_reviewing_teams_give_nothing() {
    let routing = [req("sre", 1)];
    let admin = me("ada", true, &[]);
    let refusal = may_decide(&Decider::of(&admin), &routing, "dana", &set(&["dana"])).unwrap_err();
    assert_eq!(refusal, Refusal::NotRoutedReviewer { routed: vec!["sre".into()] });
    // A team with the routed slug that is not (or no longer) a reviewing team does not count.
    let former = me("sam", true, &[("sre", false)]);
    assert!(may_decide(&Decider::of(&former), &routing, "dana", &set(&["dana"])).is_err());
    assert_eq!(Decider::of(&former).reviewing_teams, Vec::<&str>::new());
}
