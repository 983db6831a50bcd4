use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

fn req(team: &str, approvals: u32) -> ReviewerRequirement {
    ReviewerRequirement { team: team.into(), approvals }
}

fn vote(login: &str, teams: &[&str], revision: i64) -> Approval {
    Approval {
        login: login.into(),
        teams: teams.iter().map(|t| (*t).to_owned()).collect(),
        revision,
        source: Source::Infradesk,
    }
}

fn none() -> BTreeSet<String> {
    BTreeSet::new()
}

#[test]
fn two_sre_approvals_from_distinct_people_complete_the_request() {
    let routing = [req("sre", 2)];
    let one = tally(&routing, 1, &[vote("sam", &["sre"], 1)], "dana", &none());
    assert!(!one.complete());
    let twice = tally(&routing, 1, &[vote("sam", &["sre"], 1), vote("sam", &["sre"], 1)], "dana", &none());
    assert_eq!(twice.counted(), 1, "the same person twice is one approval");
    let two = tally(&routing, 1, &[vote("sam", &["sre"], 1), vote("riley", &["sre"], 1)], "dana", &none());
    assert!(two.complete());
    assert_eq!(two.teams[0].counted, ["riley", "sam"]);
}

#[test]
fn the_requester_editors_old_revisions_and_other_teams_never_count() {
    let routing = [req("sre", 1)];
    let editors: BTreeSet<String> = ["chris".to_owned()].into();
    let votes =
        [vote("dana", &["sre"], 2), vote("chris", &["sre"], 2), vote("sam", &["sre"], 1), vote("dee", &["dba"], 2)];
    let t = tally(&routing, 2, &votes, "dana", &editors);
    assert!(!t.complete());
    let reasons: Vec<String> = t.not_counted.iter().map(|(l, r)| format!("{l}: {r}")).collect();
    assert_eq!(
        reasons,
        [
            "dana: the requester cannot approve their own request",
            "chris: someone who edited the request cannot approve it",
            "sam: given for revision 1; an edit dismissed it",
            "dee: not a member of a team this request is routed to",
        ]
    );
}

#[test]
fn a_person_in_two_routed_teams_counts_once_and_where_it_completes_most() {
    // sam is in sre and dba; riley only in sre. sre needs 1, dba needs 1.
    let routing = [req("sre", 1), req("dba", 1)];
    // Whatever order they arrive in, sam fills dba and riley fills sre.
    for votes in [
        vec![vote("sam", &["sre", "dba"], 1), vote("riley", &["sre"], 1)],
        vec![vote("riley", &["sre"], 1), vote("sam", &["sre", "dba"], 1)],
    ] {
        let t = tally(&routing, 1, &votes, "dana", &none());
        assert!(t.complete(), "{t:?}");
        assert_eq!(t.teams[0].counted, ["riley"]);
        assert_eq!(t.teams[1].counted, ["sam"]);
    }
    // Alone, sam fills one slot only.
    let alone = tally(&routing, 1, &[vote("sam", &["sre", "dba"], 1)], "dana", &none());
    assert_eq!((alone.counted(), alone.complete()), (1, false));
}

#[test]
fn nothing_routed_is_complete_and_extra_approvals_are_not_needed() {
    assert!(tally(&[], 1, &[], "dana", &none()).complete());
    let t = tally(&[req("sre", 1)], 1, &[vote("sam", &["sre"], 1), vote("riley", &["sre"], 1)], "dana", &none());
    assert_eq!(t.counted(), 1);
    assert_eq!(t.not_counted, [("sam".to_owned(), NotCounted::NotNeeded)]);
}

fn arb_votes() -> impl Strategy<Value = Vec<Approval>> {
    let logins = prop::sample::select(vec!["a", "b", "c", "d", "e", "req", "ed"]);
    let teams = prop::collection::btree_set(prop::sample::select(vec!["sre", "dba", "sec", "other"]), 0..4);
    prop::collection::vec((logins, teams, 1i64..=3), 0..12).prop_map(|v| {
        v.into_iter()
            .map(|(l, t, r)| Approval {
                login: l.to_owned(),
                teams: t.into_iter().map(str::to_owned).collect(),
                revision: r,
                source: Source::GitHub,
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn never_more_approvals_than_eligible_people_and_order_does_not_matter(
        votes in arb_votes(),
        needs in prop::collection::vec(0u32..3, 3),
        current in 1i64..=3,
    ) {
        let routing = [req("sre", needs[0]), req("dba", needs[1]), req("sec", needs[2])];
        let editors: BTreeSet<String> = ["ed".to_owned()].into();
        let t = tally(&routing, current, &votes, "req", &editors);
        let eligible: BTreeSet<&str> = votes
            .iter()
            .filter(|v| v.revision == current && v.login != "req" && v.login != "ed")
            .filter(|v| v.teams.iter().any(|team| routing.iter().any(|r| &r.team == team && r.approvals > 0)))
            .map(|v| v.login.as_str())
            .collect();
        prop_assert!(t.counted() <= eligible.len());
        let counted: Vec<&String> = t.teams.iter().flat_map(|team| team.counted.iter()).collect();
        let distinct: BTreeSet<&&String> = counted.iter().collect();
        prop_assert_eq!(distinct.len(), counted.len(), "a person counts once");
        for team in &t.teams {
            prop_assert!(team.counted.len() <= team.needed as usize);
            for login in &team.counted {
                prop_assert!(login != "req" && login != "ed");
                prop_assert!(votes.iter().any(|v| &v.login == login && v.revision == current && v.teams.contains(&team.team)));
            }
        }
        let mut reversed = votes.clone();
        reversed.reverse();
        let again = tally(&routing, current, &reversed, "req", &editors);
        prop_assert_eq!(again.counted(), t.counted());
        prop_assert_eq!(again.complete(), t.complete());
    }
}
