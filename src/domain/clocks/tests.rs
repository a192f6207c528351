use super::*;
use chrono::TimeZone;

fn opened() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()
}

/// `opened() + m` minutes.
fn m(minutes: i64) -> DateTime<Utc> {
    opened() + Duration::minutes(minutes)
}

fn case(grade: Grade) -> ClockFacts {
    ClockFacts::new(opened(), grade)
}

fn policy() -> ClockPolicy {
    ClockPolicy::default()
}

/// The stages of one clock in a schedule, with their instants.
fn of(due: &[Due], kind: ClockKind) -> Vec<(Stage, DateTime<Utc>)> {
    due.iter().filter(|d| d.kind == kind).map(|d| (d.stage, d.at)).collect()
}

const R50: Stage = Stage::Remind(50);
const R80: Stage = Stage::Remind(80);
use ClockKind::{Acknowledge as Ack, Resolve, Respond};
use Stage::{Breach, Escalate};

#[test]
fn clock_kinds_are_read_by_name_or_alias_in_any_case() {
    for (text, kind) in
        [("ack", Ack), ("Acknowledge", Ack), ("respond", Respond), ("RESPONSE", Respond), ("resolve", Resolve)]
    {
        assert_eq!(ClockKind::parse(text), Some(kind), "{text}");
    }
    for k in ClockKind::ALL {
        assert_eq!(ClockKind::parse(k.as_str()), Some(k));
    }
    for bad in ["", "acked", "resolved", "due"] {
        assert_eq!(ClockKind::parse(bad), None, "{bad}");
    }
}

#[test]
fn stages_are_written_and_read_back_by_name() {
    for s in [Stage::Remind(1), R50, Stage::Remind(99), Breach, Escalate] {
        assert_eq!(Stage::parse(&s.as_str()), Some(s));
    }
    assert_eq!(R50.as_str(), "remind50");
    assert_eq!(Breach.to_string(), "breach");
    for bad in ["remind", "remind0", "remind100", "remind5x", "remind+5", "Breach", "escalated", ""] {
        assert_eq!(Stage::parse(bad), None, "{bad}");
    }
}

#[test]
fn the_default_policy_is_the_plan_for_each_grade() {
    let p = policy();
    let lengths = |g| ClockKind::ALL.map(|k| p.base(g, k));
    assert_eq!(lengths(Grade::I), [Duration::minutes(10), Duration::hours(1), Duration::hours(24)]);
    assert_eq!(lengths(Grade::II), [Duration::minutes(30), Duration::hours(4), Duration::days(3)]);
    assert_eq!(lengths(Grade::III), [Duration::hours(1), Duration::hours(12), Duration::days(7)]);
    assert_eq!(lengths(Grade::IV), [Duration::hours(4), Duration::days(2), Duration::days(14)]);
    assert_eq!(p.reminders, vec![0.5, 0.8]);
    assert_eq!(p.escalate, Some(1.5));
    assert_eq!(p.watch_factor, 0.5);
}

#[test]
fn a_grade_one_case_is_reminded_at_5_and_8_minutes_breaches_at_10_and_escalates_at_15() {
    let due = schedule(&policy(), &case(Grade::I), &[], opened());
    assert_eq!(of(&due, Ack), vec![(R50, m(5)), (R80, m(8)), (Breach, m(10)), (Escalate, m(15))]);
    assert_eq!(of(&due, Respond), vec![(R50, m(30)), (R80, m(48)), (Breach, m(60)), (Escalate, m(90))]);
    assert_eq!(of(&due, Resolve)[2], (Breach, m(24 * 60)));
}

#[test]
fn every_stage_of_every_clock_falls_at_its_fraction_of_that_grades_clock() {
    let p = policy();
    for grade in Grade::ALL {
        let due = schedule(&p, &case(grade), &[], opened());
        assert_eq!(due.len(), 3 * 4, "{grade}");
        for kind in ClockKind::ALL {
            let base = p.base(grade, kind);
            let expected = [(R50, 0.5), (R80, 0.8), (Breach, 1.0), (Escalate, 1.5)]
                .map(|(s, f)| (s, opened() + Duration::milliseconds((base.num_milliseconds() as f64 * f) as i64)));
            assert_eq!(of(&due, kind), expected.to_vec(), "{grade} {kind}");
            assert!(due.iter().filter(|d| d.kind == kind).all(|d| d.deadline == opened() + base));
        }
    }
}

#[test]
fn the_schedule_is_in_order_of_time() {
    let due = schedule(&policy(), &case(Grade::II), &[], opened());
    assert!(due.windows(2).all(|w| w[0].at <= w[1].at), "{due:?}");
    assert_eq!((due[0].kind, due[0].stage, due[0].at), (Ack, R50, m(15)));
}

#[test]
fn a_running_clock_counts_down_and_is_overdue_from_its_deadline_on() {
    let (p, f) = (policy(), case(Grade::I));
    assert_eq!(deadline(&p, &f, Ack), m(10));
    assert_eq!(status(&p, &f, Ack, m(4)), ClockStatus::Running { left: Duration::minutes(6) });
    assert_eq!(status(&p, &f, Ack, m(10)), ClockStatus::Overdue { by: Duration::zero() });
    assert_eq!(status(&p, &f, Ack, m(13)), ClockStatus::Overdue { by: Duration::minutes(3) });
}

#[test]
fn acknowledging_stops_the_ack_clock_and_its_reminders_but_not_the_others() {
    let (p, mut f) = (policy(), case(Grade::I));
    f.acknowledged_at = Some(m(3));
    assert_eq!(status(&p, &f, Ack, m(30)), ClockStatus::Met { at: m(3) });
    let due = schedule(&p, &f, &[], m(3));
    assert!(of(&due, Ack).is_empty(), "{due:?}");
    assert_eq!(of(&due, Respond).len(), 4);
    assert_eq!(of(&due, Resolve).len(), 4);
}

#[test]
fn acknowledging_at_the_deadline_meets_it_and_after_misses_it_by_the_delay() {
    let (p, mut f) = (policy(), case(Grade::I));
    f.acknowledged_at = Some(m(10));
    assert_eq!(status(&p, &f, Ack, m(11)), ClockStatus::Met { at: m(10) });
    f.acknowledged_at = Some(m(12));
    assert_eq!(status(&p, &f, Ack, m(20)), ClockStatus::Missed { at: m(12), by: Duration::minutes(2) });
}

#[test]
fn a_public_response_also_answers_the_ack_clock() {
    let (p, mut f) = (policy(), case(Grade::I));
    f.responded_at = Some(m(7));
    assert_eq!(f.stopped_at(Ack), Some(m(7)));
    assert_eq!(status(&p, &f, Ack, m(30)), ClockStatus::Met { at: m(7) });
    assert_eq!(f.stopped_at(Resolve), None);
    let due = schedule(&p, &f, &[], m(7));
    assert!(due.iter().all(|d| d.kind == Resolve), "{due:?}");
}

#[test]
fn resolving_stops_every_clock_still_running_and_keeps_earlier_stops() {
    let (p, mut f) = (policy(), case(Grade::I));
    f.acknowledged_at = Some(m(4));
    f.resolved_at = Some(m(75));
    assert_eq!(status(&p, &f, Ack, m(80)), ClockStatus::Met { at: m(4) });
    assert_eq!(status(&p, &f, Respond, m(80)), ClockStatus::Missed { at: m(75), by: Duration::minutes(15) });
    assert_eq!(status(&p, &f, Resolve, m(80)), ClockStatus::Met { at: m(75) });
    assert!(schedule(&p, &f, &[], m(80)).is_empty());
}

#[test]
fn a_sent_reminder_is_not_repeated_and_the_next_stage_is_still_to_come() {
    let due = schedule(&policy(), &case(Grade::I), &[(Ack, R50)], m(6));
    assert_eq!(of(&due, Ack), vec![(R80, m(8)), (Breach, m(10)), (Escalate, m(15))]);
}

#[test]
fn a_stage_falling_exactly_now_is_due_until_it_is_sent() {
    let (p, f) = (policy(), case(Grade::I));
    assert_eq!(of(&schedule(&p, &f, &[(Ack, R50)], m(8)), Ack)[0], (R80, m(8)));
    assert_eq!(of(&schedule(&p, &f, &[(Ack, R50), (Ack, R80)], m(8)), Ack)[0], (Breach, m(10)));
}

#[test]
fn of_several_stages_that_passed_unsent_only_the_latest_is_due_now() {
    // Nothing could announce between minute 4 and minute 12 (say, the bot was down).
    let due = schedule(&policy(), &case(Grade::I), &[(Ack, R50)], m(12));
    assert_eq!(of(&due, Ack), vec![(Breach, m(10)), (Escalate, m(15))]);
    let after = schedule(&policy(), &case(Grade::I), &[(Ack, R50), (Ack, Breach)], m(12));
    assert_eq!(of(&after, Ack), vec![(Escalate, m(15))], "the skipped 80 % reminder never comes back");
}

#[test]
fn an_extension_moves_the_deadline_and_the_stages_still_to_come() {
    let (p, mut f) = (policy(), case(Grade::I));
    let sent = [(Ack, R50)];
    f.extensions[Ack.index()] = Duration::minutes(10);
    assert_eq!(deadline(&p, &f, Ack), m(20));
    assert_eq!(status(&p, &f, Ack, m(12)), ClockStatus::Running { left: Duration::minutes(8) });
    let due = schedule(&p, &f, &sent, m(6));
    // Half of the new 20 minutes is still ahead, so that reminder comes again, for the new deadline.
    assert_eq!(of(&due, Ack), vec![(R50, m(10)), (R80, m(16)), (Breach, m(20)), (Escalate, m(30))]);
    assert_eq!(of(&due, Respond)[0], (R50, m(30)), "other clocks keep their deadlines");
}

#[test]
fn an_extension_does_not_repeat_stages_already_sent_that_stay_in_the_past() {
    let (p, mut f) = (policy(), case(Grade::I));
    f.extensions[Ack.index()] = Duration::minutes(1);
    let due = schedule(&p, &f, &[(Ack, R50), (Ack, R80)], m(9));
    let at = |min: f64| opened() + Duration::milliseconds((min * 60_000.0) as i64);
    assert_eq!(of(&due, Ack), vec![(Breach, m(11)), (Escalate, at(16.5))]);
}

#[test]
fn an_extension_after_the_breach_gives_the_clock_a_new_breach() {
    let (p, mut f) = (policy(), case(Grade::I));
    let sent = [(Ack, R50), (Ack, R80), (Ack, Breach)];
    f.extensions[Ack.index()] = Duration::minutes(20);
    let due = schedule(&p, &f, &sent, m(11));
    assert_eq!(of(&due, Ack), vec![(R50, m(15)), (R80, m(24)), (Breach, m(30)), (Escalate, m(45))]);
}

#[test]
fn heightened_watch_scales_every_clock_but_not_the_extensions() {
    let (p, mut f) = (policy(), case(Grade::I));
    f.watch = true;
    assert_eq!(deadline(&p, &f, Ack), m(5));
    assert_eq!(deadline(&p, &f, Respond), m(30));
    assert_eq!(deadline(&p, &f, Resolve), m(12 * 60));
    assert_eq!(of(&schedule(&p, &f, &[], opened()), Ack)[0].1, opened() + Duration::seconds(150));
    f.extensions[Ack.index()] = Duration::minutes(10);
    assert_eq!(deadline(&p, &f, Ack), m(15));
}

#[test]
fn regrading_to_a_severe_grade_makes_the_most_advanced_passed_stage_due_now() {
    let (p, mut f) = (policy(), case(Grade::IV));
    let now = m(40);
    assert_eq!(of(&schedule(&p, &f, &[], now), Ack)[0], (R50, m(120)));
    f.grade = Grade::I;
    let due = schedule(&p, &f, &[], now);
    // The ack clock of grade I escalated at 15 minutes; the respond clock passed its 50 %.
    assert_eq!(of(&due, Ack), vec![(Escalate, m(15))]);
    assert_eq!(of(&due, Respond), vec![(R50, m(30)), (R80, m(48)), (Breach, m(60)), (Escalate, m(90))]);
    assert!(due[0].at <= now && due[1].at <= now && due[2].at > now, "{due:?}");
}

#[test]
fn regrading_just_past_a_deadline_breaches_now_and_still_escalates_later() {
    let (p, mut f) = (policy(), case(Grade::III));
    f.grade = Grade::I;
    assert_eq!(of(&schedule(&p, &f, &[], m(12)), Ack), vec![(Breach, m(10)), (Escalate, m(15))]);
}

#[test]
fn regrading_to_a_lighter_grade_moves_every_stage_later() {
    let (p, mut f) = (policy(), case(Grade::I));
    f.grade = Grade::II;
    let due = schedule(&p, &f, &[(Ack, R50), (Ack, R80)], m(9));
    assert_eq!(of(&due, Ack), vec![(R50, m(15)), (R80, m(24)), (Breach, m(30)), (Escalate, m(45))]);
}

#[test]
fn without_escalation_a_clock_ends_at_its_breach() {
    let p = ClockPolicy { escalate: None, reminders: vec![0.25], ..policy() };
    let due = schedule(&p, &case(Grade::I), &[], opened());
    assert_eq!(of(&due, Ack), vec![(Stage::Remind(25), opened() + Duration::seconds(150)), (Breach, m(10))]);
    assert_eq!(stage_at(&p, &case(Grade::I), Ack, Escalate), None);
    assert_eq!(stage_at(&p, &case(Grade::I), Ack, R50), None);
}

#[test]
fn a_clock_never_runs_for_less_than_nothing() {
    let (p, mut f) = (policy(), case(Grade::I));
    f.extensions[Ack.index()] = Duration::hours(-1);
    assert_eq!(deadline(&p, &f, Ack), opened());
}

#[test]
fn a_job_key_names_the_case_clock_stage_and_deadline() {
    let case_id = CaseId::parse("42").unwrap();
    let due = schedule(&policy(), &case(Grade::I), &[], opened());
    let first = job_key(case_id, &due[0]);
    assert_eq!(first, format!("clock:42:ack:remind50:{}", m(10).timestamp_millis()));
    assert_eq!(job_key(case_id, &schedule(&policy(), &case(Grade::I), &[], m(1))[0]), first, "stable");
    let mut keys: Vec<String> = due.iter().map(|d| job_key(case_id, d)).collect();
    keys.extend(due.iter().map(|d| job_key(CaseId::parse("43").unwrap(), d)));
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "unique per case, clock and stage");
}

#[test]
fn a_moved_deadline_gives_the_same_stage_a_new_job_key() {
    let case_id = CaseId::parse("42").unwrap();
    let mut f = case(Grade::I);
    let before = schedule(&policy(), &f, &[], opened());
    f.extensions[Ack.index()] = Duration::minutes(5);
    let after = schedule(&policy(), &f, &[], opened());
    assert_eq!((before[0].kind, before[0].stage), (after[0].kind, after[0].stage));
    assert_ne!(job_key(case_id, &before[0]), job_key(case_id, &after[0]));
}

#[test]
fn after_a_stage_is_sent_the_clock_goes_on_with_the_very_next_one_even_if_it_is_past() {
    let facts = case(Grade::I);
    let next =
        |after, sent: &[(ClockKind, Stage)]| next_stage(&policy(), &facts, Ack, after, sent).map(|d| (d.stage, d.at));
    assert_eq!(next(R50, &[(Ack, R50)]), Some((R80, m(8))));
    assert_eq!(next(R80, &[(Ack, R50), (Ack, R80)]), Some((Breach, m(10))));
    assert_eq!(next(R50, &[(Ack, R50), (Ack, R80)]), Some((Breach, m(10))), "a stage sent before is skipped");
    assert_eq!(next(Escalate, &[]), None, "nothing comes after the escalation");
    let mut stopped = facts.clone();
    stopped.acknowledged_at = Some(m(6));
    assert_eq!(next_stage(&policy(), &stopped, Ack, R50, &[]), None, "a stopped clock has no next stage");
}
