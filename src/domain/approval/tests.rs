use super::*;
use chrono::{Duration, TimeZone};

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn record(grade: Grade, versions: u32) -> DraftRecord {
    DraftRecord {
        grade,
        authors: (0..versions).map(|_| "ann".to_string()).collect(),
        ballots: vec![],
        concerns: vec![],
        published: None,
    }
}

fn approve(by: &str, version: u32, at: i64) -> Ballot {
    Ballot { by: by.into(), version, vote: Vote::Approve, at: t(at) }
}

fn reject(by: &str, version: u32, at: i64) -> Ballot {
    Ballot { by: by.into(), version, vote: Vote::Reject { reason: "numbers unchecked".into() }, at: t(at) }
}

fn concern(by: &str, raised: i64, withdrawn: Option<i64>) -> Concern {
    Concern {
        by: by.into(),
        text: "the cause is not confirmed".into(),
        raised_at: t(raised),
        withdrawn_at: withdrawn.map(t),
    }
}

fn policy() -> ApprovalPolicy {
    ApprovalPolicy::default()
}

#[test]
fn drafts_are_named_by_case_and_number() {
    let d = DraftRef::parse("#12.3").unwrap();
    assert_eq!((d.case.get(), d.n, d.to_string()), (12, 3, "12.3".to_string()));
    assert_eq!(DraftRef::parse("12.1"), Some(DraftRef { case: CaseId::parse("12").unwrap(), n: 1 }));
    for bad in ["12", "12.", ".1", "12.0", "12.1.1", "x.1", "12.x", "-1.1", "12.+1", ""] {
        assert_eq!(DraftRef::parse(bad), None, "{bad}");
    }
}

#[test]
fn a_version_can_be_named_after_the_draft() {
    let v = DraftVersion::parse("12.1v2").unwrap();
    assert_eq!((v.draft.to_string(), v.version, v.to_string()), ("12.1".into(), Some(2), "12.1v2".to_string()));
    assert_eq!(DraftVersion::parse("12.1").unwrap().version, None);
    for bad in ["12.1v", "12.1v0", "12.1vx", "12v1", "v1", "12.1v+1"] {
        assert_eq!(DraftVersion::parse(bad), None, "{bad}");
    }
}

#[test]
fn a_grade_one_reply_needs_two_leaders_and_a_grade_two_reply_one() {
    let mut r = record(Grade::I, 1);
    r.ballots.push(approve("lee", 1, 1));
    assert_eq!(evaluate(&r, 1, &policy(), t(2)), Standing::Waiting { approvals: vec!["lee".into()], needed: 2 });
    r.ballots.push(approve("lee", 1, 2));
    assert!(matches!(evaluate(&r, 1, &policy(), t(3)), Standing::Waiting { .. }), "the same leader counts once");
    r.ballots.push(approve("max", 1, 3));
    assert_eq!(evaluate(&r, 1, &policy(), t(4)), Standing::Approved { approvals: vec!["lee".into(), "max".into()] });
    r.grade = Grade::II;
    r.ballots.truncate(1);
    assert!(matches!(evaluate(&r, 1, &policy(), t(4)), Standing::Approved { .. }));
}

#[test]
fn the_author_cannot_approve_their_own_draft() {
    let mut r = record(Grade::II, 1);
    assert_eq!(can_vote(&r, 1, "ann", &policy(), t(1)), Err(NotNow::OwnDraft));
    r.ballots.push(approve("ann", 1, 1));
    assert!(
        matches!(evaluate(&r, 1, &policy(), t(2)), Standing::Waiting { .. }),
        "a recorded self-approval never counts"
    );
}

#[test]
fn a_new_version_needs_approving_again_and_the_old_one_is_superseded() {
    let mut r = record(Grade::II, 1);
    r.ballots.push(approve("lee", 1, 1));
    assert!(matches!(evaluate(&r, 1, &policy(), t(2)), Standing::Approved { .. }));
    r.authors.push("bob".into());
    assert_eq!(evaluate(&r, 1, &policy(), t(3)), Standing::Superseded { latest: 2 });
    assert_eq!(can_publish(&r, 1, &policy(), t(3)), Err(NotNow::Superseded { latest: 2 }));
    assert_eq!(evaluate(&r, 2, &policy(), t(3)), Standing::Waiting { approvals: vec![], needed: 1 });
    assert_eq!(can_publish(&r, 2, &policy(), t(3)), Err(NotNow::NotApproved { approvals: 0, needed: 1 }));
    assert_eq!(can_vote(&r, 2, "ann", &policy(), t(3)), Err(NotNow::OwnDraft), "a redraft of her text is partly hers");
    assert_eq!(can_vote(&r, 2, "bob", &policy(), t(3)), Err(NotNow::OwnDraft));
    assert_eq!(can_vote(&r, 2, "lee", &policy(), t(3)), Ok(()));
}

#[test]
fn one_rejection_rejects_the_version() {
    let mut r = record(Grade::I, 1);
    r.ballots.extend([approve("lee", 1, 1), approve("max", 1, 2), reject("kim", 1, 3)]);
    assert!(matches!(evaluate(&r, 1, &policy(), t(4)), Standing::Rejected { ref by, .. } if by == "kim"));
    assert_eq!(can_vote(&r, 1, "joe", &policy(), t(4)), Err(NotNow::Rejected { by: "kim".into() }));
    assert!(matches!(evaluate(&r, 1, &policy(), t(2)), Standing::Approved { .. }), "not before it was recorded");
}

#[test]
fn a_standing_concern_holds_approval_until_withdrawn() {
    let mut r = record(Grade::II, 1);
    r.concerns.push(concern("kim", 1, Some(5)));
    r.ballots.push(approve("lee", 1, 2));
    assert!(matches!(evaluate(&r, 1, &policy(), t(3)), Standing::Held { .. }));
    assert!(matches!(can_publish(&r, 1, &policy(), t(3)), Err(NotNow::Held { .. })));
    assert!(matches!(can_vote(&r, 1, "max", &policy(), t(3)), Err(NotNow::Held { .. })), "no approving past it");
    assert!(matches!(evaluate(&r, 1, &policy(), t(5)), Standing::Approved { .. }), "withdrawn at 5");
    r.concerns.push(concern("kim", 6, None));
    assert!(matches!(evaluate(&r, 1, &policy(), t(7)), Standing::Held { .. }), "a new concern holds it again");
}

#[test]
fn published_stays_published() {
    let mut r = record(Grade::II, 1);
    r.ballots.push(approve("lee", 1, 1));
    r.published = Some((1, t(2)));
    r.ballots.push(reject("kim", 1, 3));
    r.concerns.push(concern("kim", 3, None));
    assert_eq!(evaluate(&r, 1, &policy(), t(4)), Standing::Published { at: t(2) });
    assert_eq!(can_publish(&r, 1, &policy(), t(4)), Err(NotNow::AlreadyPublished));
    assert_eq!(evaluate(&r, 3, &policy(), t(4)), Standing::Unknown);
    assert_eq!(evaluate(&r, 0, &policy(), t(4)), Standing::Unknown);
}

/// Every record over three leaders, the authors, two versions, a concern, publication and
/// votes or concerns that must not count (an older version's, or recorded after now):
/// the rule's promises hold in each.
#[test]
fn every_small_record_keeps_the_rules_promises() {
    let people = ["ann", "lee", "max", "kim"]; // ann writes version 1; lee writes version 2
    let votes = [None, Some(true), Some(false)]; // none, approve, reject
    let mut checked = 0;
    for grade in Grade::ALL {
        for versions in 1..=2u32 {
            for code in 0..3usize.pow(4) {
                for concern_state in 0..3 {
                    for (published, noise) in [(false, false), (true, false), (false, true), (true, true)] {
                        let mut r = record(grade, versions);
                        if versions == 2 {
                            r.authors[1] = "lee".into();
                        }
                        let latest = versions;
                        let mut c = code;
                        for (i, who) in people.iter().enumerate() {
                            if let Some(v) = votes[c % 3] {
                                let b = if v { approve(who, latest, i as i64) } else { reject(who, latest, i as i64) };
                                r.ballots.push(b);
                            }
                            c /= 3;
                        }
                        match concern_state {
                            1 => r.concerns.push(concern("kim", 0, None)),
                            2 => r.concerns.push(concern("kim", 0, Some(5))),
                            _ => {}
                        }
                        if published {
                            r.published = Some((latest, t(8)));
                        }
                        if noise {
                            // What must not count now: a vote on an older version, and a
                            // rejection and a concern recorded after `now`.
                            if latest == 2 {
                                r.ballots.push(reject("max", 1, 0));
                            }
                            r.ballots.push(reject("kim", latest, 20));
                            r.concerns.push(concern("max", 20, None));
                        }
                        check_promises(&r, latest, t(10));
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 4 * 2 * 81 * 3 * 4);
}

fn check_promises(r: &DraftRecord, version: u32, now: DateTime<Utc>) {
    let p = policy();
    let standing = evaluate(r, version, &p, now);
    let counted: Vec<&Ballot> =
        r.ballots.iter().filter(|b| b.version == version && b.at <= now && !r.wrote(&b.by, version)).collect();
    let mut approvers: Vec<&str> = counted.iter().filter(|b| b.vote == Vote::Approve).map(|b| b.by.as_str()).collect();
    approvers.sort_unstable();
    approvers.dedup();
    let rejected = counted.iter().any(|b| b.vote != Vote::Approve);
    let held = r.concerns.iter().any(|c| c.standing(now));
    let ctx = format!("{r:?} → {standing:?}");
    if r.published.is_some() {
        assert!(matches!(standing, Standing::Published { .. }), "{ctx}");
    } else if rejected {
        assert!(matches!(standing, Standing::Rejected { .. }), "{ctx}");
    } else if held {
        assert!(matches!(standing, Standing::Held { .. }), "{ctx}");
    } else if approvers.len() >= p.needed(r.grade) {
        assert!(matches!(standing, Standing::Approved { .. }), "{ctx}");
    } else {
        assert!(matches!(standing, Standing::Waiting { .. }), "{ctx}");
    }
    // Publishing is allowed exactly when the version is approved.
    assert_eq!(can_publish(r, version, &p, now).is_ok(), matches!(standing, Standing::Approved { .. }), "{ctx}");
    // The authors' own ballots never change anything.
    let mut without_authors = r.clone();
    without_authors.ballots.retain(|b| !r.wrote(&b.by, version));
    assert_eq!(evaluate(&without_authors, version, &p, now), standing, "{ctx}");
    // An older version is never approvable nor publishable.
    if version > 1 {
        assert!(matches!(evaluate(r, version - 1, &p, now), Standing::Superseded { .. }), "{ctx}");
    }
    // No author of any version so far can vote on it.
    for author in &r.authors[..version as usize] {
        assert!(can_vote(r, version, author, &p, now).is_err(), "{ctx}");
    }
}
