use super::*;
use chrono::TimeZone;

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + chrono::Duration::minutes(min)
}

fn fresh() -> Case {
    Case::opened(
        CaseId::parse("7").unwrap(),
        NewCase {
            team: "ops".into(),
            title: "Water main burst".into(),
            summary: None,
            source: "chat:ops".into(),
            grade: Grade::III,
            owner: None,
            leader: None,
            opened_by: "alice".into(),
            drill: false,
            opened_at: t(0),
        },
    )
}

#[test]
fn case_numbers_are_read_with_or_without_a_hash() {
    assert_eq!(CaseId::parse("#42").map(CaseId::get), Some(42));
    assert_eq!(CaseId::parse("42").map(CaseId::get), Some(42));
    for bad in ["", "#", "0", "-1", "4x", "##4", "99999999999999999999", "+4", " 4"] {
        assert_eq!(CaseId::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn acknowledging_an_unowned_case_leaves_it_acknowledged() {
    let mut c = fresh();
    c.acknowledge(t(3)).unwrap();
    assert_eq!(c.state, CaseState::Acknowledged);
    assert_eq!(c.acknowledged_at, Some(t(3)));
}

#[test]
fn an_owner_on_an_acknowledged_case_means_it_is_being_responded_to() {
    let mut c = fresh();
    c.acknowledge(t(1)).unwrap();
    c.set_owner("bob", t(2)).unwrap();
    assert_eq!(c.state, CaseState::Responding);
    assert_eq!(c.responded_at, None, "working on it is not yet a public response");
}

#[test]
fn the_first_published_statement_is_the_first_response() {
    let mut c = fresh();
    c.published(t(2));
    assert_eq!(c.responded_at, Some(t(2)), "the first-response clock stops here");
    c.published(t(5));
    assert_eq!(c.responded_at, Some(t(2)), "only the first statement counts");
}

#[test]
fn acknowledging_an_owned_case_goes_straight_to_responding() {
    let mut c = fresh();
    c.set_owner("bob", t(1)).unwrap();
    assert_eq!(c.state, CaseState::Open);
    c.acknowledge(t(2)).unwrap();
    assert_eq!(c.state, CaseState::Responding);
}

#[test]
fn acknowledging_twice_is_an_error_that_changes_nothing() {
    let mut c = fresh();
    c.acknowledge(t(1)).unwrap();
    let before = c.clone();
    assert!(matches!(c.acknowledge(t(2)), Err(TransitionError::Already { .. })));
    assert_eq!(c, before);
}

#[test]
fn only_a_resolved_case_can_be_closed() {
    let mut c = fresh();
    assert!(matches!(c.close(t(1)), Err(TransitionError::CloseNeedsResolve { .. })));
    c.resolve("repaired", t(2)).unwrap();
    c.close(t(3)).unwrap();
    assert_eq!(c.state, CaseState::Closed);
    assert_eq!(c.closed_at, Some(t(3)));
    assert!(matches!(c.close(t(4)), Err(TransitionError::Already { .. })));
}

#[test]
fn a_dismissed_case_keeps_its_reason_and_can_be_reopened() {
    let mut c = fresh();
    c.dismiss("duplicate of #3", t(1)).unwrap();
    assert_eq!(c.state, CaseState::Dismissed);
    assert_eq!(c.dismissal.as_deref(), Some("duplicate of #3"));
    assert!(c.resolve("x", t(2)).is_err());
    c.reopen(t(3)).unwrap();
    assert_eq!(c.state, CaseState::Open, "never acknowledged, so it is open again");
    assert_eq!(c.dismissal, None);
}

#[test]
fn reopening_returns_a_case_to_where_its_facts_put_it() {
    let mut c = fresh();
    c.acknowledge(t(1)).unwrap();
    c.set_owner("bob", t(2)).unwrap();
    c.resolve("fixed", t(3)).unwrap();
    c.close(t(4)).unwrap();
    c.reopen(t(5)).unwrap();
    assert_eq!(c.state, CaseState::Responding);
    assert_eq!(c.acknowledged_at, Some(t(1)), "the acknowledge clock does not restart");
    assert_eq!((c.resolved_at, c.closed_at, c.resolution.clone()), (None, None, None));
}

#[test]
fn an_active_case_cannot_be_reopened() {
    let mut c = fresh();
    assert!(matches!(c.reopen(t(1)), Err(TransitionError::NotWhile { what: Transition::Reopen, .. })));
}

#[test]
fn regrading_reports_the_old_grade_and_refuses_a_no_op() {
    let mut c = fresh();
    assert_eq!(c.regrade(Grade::I, t(1)), Ok(Grade::III));
    assert!(matches!(c.regrade(Grade::I, t(2)), Err(TransitionError::SameGrade { .. })));
}

#[test]
fn finished_cases_cannot_be_assigned_or_regraded() {
    let mut c = fresh();
    c.resolve("done", t(1)).unwrap();
    assert!(c.set_owner("bob", t(2)).is_err());
    assert!(c.regrade(Grade::I, t(2)).is_err());
    assert!(c.dismiss("late", t(2)).is_err());
}

#[test]
fn the_leader_in_charge_is_never_replaced_by_adoption() {
    let mut c = fresh();
    c.adopt_leader("carol");
    c.adopt_leader("dave");
    assert_eq!(c.leader.as_deref(), Some("carol"));
}

#[test]
fn a_merged_case_is_closed_for_good_and_names_where_it_went() {
    let into = CaseId::parse("3").unwrap();
    let mut c = fresh();
    c.resolve("fixed", t(2)).unwrap();
    c.merge_into(into, t(5)).unwrap();
    assert_eq!((c.state, c.merged_into, c.closed_at), (CaseState::Closed, Some(into), Some(t(5))));
    let not_while = |what| Err(TransitionError::NotWhile { case: c.id, what, state: CaseState::Closed });
    assert_eq!(c.clone().merge_into(into, t(6)), not_while(Transition::Merge), "merged once");
    assert_eq!(c.clone().reopen(t(6)), not_while(Transition::Reopen), "its story goes on in #3");
    let mut dismissed = fresh();
    dismissed.dismiss("noise", t(1)).unwrap();
    let off =
        Err(TransitionError::NotWhile { case: dismissed.id, what: Transition::Merge, state: CaseState::Dismissed });
    assert_eq!(dismissed.merge_into(into, t(2)), off, "only a case on the ledger is merged");
}
