use super::*;
use chrono_tz::{America::New_York, Asia::Shanghai, Europe::Berlin};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, mo, d).unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn rotation(tz: Tz, every: Every, start: NaiveDate, handoff: NaiveTime) -> Rotation {
    Rotation { people: vec!["alice".into(), "bob".into(), "carol".into()], every, handoff, start, hours: None, tz }
}

/// Daily at 09:00 Berlin time, from the Friday before summer time starts.
fn berlin() -> Rotation {
    rotation(Berlin, Every::Daily, date(2026, 3, 27), hm(9, 0))
}

fn who(rot: &Rotation, swaps: &[Swap], t: DateTime<Utc>) -> Option<String> {
    shift_at(rot, swaps, t).map(|s| s.person)
}

fn span(s: &Shift) -> (DateTime<Utc>, DateTime<Utc>) {
    (s.starts, s.ends)
}

#[test]
fn before_the_first_hand_off_nobody_is_on_duty_and_the_first_shift_is_next() {
    let rot = berlin();
    let t = utc(2026, 3, 27, 7, 59); // 08:59 CET
    assert_eq!(shift_at(&rot, &[], t), None);
    assert_eq!(on_duty(&rot, &[], t, true), None);
    let first = next_shift(&rot, &[], t).unwrap();
    assert_eq!((first.person.as_str(), first.date), ("alice", date(2026, 3, 27)));
    assert_eq!(span(&first), (utc(2026, 3, 27, 8, 0), utc(2026, 3, 28, 8, 0)));
}

#[test]
fn shifts_run_from_hand_off_to_hand_off_and_people_take_turns() {
    let rot = berlin();
    assert_eq!(who(&rot, &[], utc(2026, 3, 27, 8, 0)).as_deref(), Some("alice"));
    assert_eq!(who(&rot, &[], utc(2026, 3, 28, 7, 59)).as_deref(), Some("alice"));
    assert_eq!(who(&rot, &[], utc(2026, 3, 28, 8, 0)).as_deref(), Some("bob"));
    assert_eq!(who(&rot, &[], utc(2026, 3, 29, 12, 0)).as_deref(), Some("carol"));
    assert_eq!(who(&rot, &[], utc(2026, 3, 30, 12, 0)).as_deref(), Some("alice"), "the turns wrap around");
    assert_eq!(who(&rot, &[], utc(2027, 3, 27, 12, 0)).as_deref(), Some("carol"), "365 days on: 365 % 3 == 2");
}

#[test]
fn the_shift_into_summer_time_lasts_23_hours_and_the_one_out_of_it_25() {
    let rot = berlin();
    let spring = shift_at(&rot, &[], utc(2026, 3, 28, 20, 0)).unwrap();
    assert_eq!(span(&spring), (utc(2026, 3, 28, 8, 0), utc(2026, 3, 29, 7, 0)));
    assert_eq!(spring.ends - spring.starts, chrono::Duration::hours(23));
    let autumn = shift_at(&rot, &[], utc(2026, 10, 25, 0, 0)).unwrap();
    assert_eq!(autumn.date, date(2026, 10, 24));
    assert_eq!(span(&autumn), (utc(2026, 10, 24, 7, 0), utc(2026, 10, 25, 8, 0)));
    assert_eq!(autumn.ends - autumn.starts, chrono::Duration::hours(25));
}

#[test]
fn new_york_hands_off_at_nine_local_on_both_sides_of_its_changes() {
    let rot = rotation(New_York, Every::Daily, date(2026, 3, 1), hm(9, 0));
    let s = shift_at(&rot, &[], utc(2026, 3, 8, 12, 0)).unwrap(); // 08:00 EDT, summer time since 03:00
    assert_eq!(span(&s), (utc(2026, 3, 7, 14, 0), utc(2026, 3, 8, 13, 0)));
    let s = shift_at(&rot, &[], utc(2026, 11, 1, 12, 0)).unwrap();
    assert_eq!(span(&s), (utc(2026, 10, 31, 13, 0), utc(2026, 11, 1, 14, 0)));
}

#[test]
fn a_weekly_rotation_hands_off_once_a_week_in_its_own_time_zone() {
    let rot = rotation(Shanghai, Every::Weekly, date(2026, 11, 2), hm(9, 0));
    let first = shift_at(&rot, &[], utc(2026, 11, 5, 3, 0)).unwrap();
    assert_eq!((first.person.as_str(), first.date), ("alice", date(2026, 11, 2)));
    assert_eq!(span(&first), (utc(2026, 11, 2, 1, 0), utc(2026, 11, 9, 1, 0)));
    assert_eq!(who(&rot, &[], utc(2026, 11, 9, 0, 59)).as_deref(), Some("alice"));
    assert_eq!(who(&rot, &[], utc(2026, 11, 9, 1, 0)).as_deref(), Some("bob"));
    assert_eq!(who(&rot, &[], utc(2026, 11, 23, 1, 0)).as_deref(), Some("alice"), "three weeks on");
    let next = next_shift(&rot, &[], utc(2026, 11, 5, 3, 0)).unwrap();
    assert_eq!((next.person.as_str(), next.date, next.starts), ("bob", date(2026, 11, 9), utc(2026, 11, 9, 1, 0)));
}

#[test]
fn the_next_shift_starts_when_the_current_one_ends() {
    let rot = berlin();
    let now = utc(2026, 3, 28, 20, 0);
    let (current, next) = (shift_at(&rot, &[], now).unwrap(), next_shift(&rot, &[], now).unwrap());
    assert_eq!((current.person.as_str(), next.person.as_str()), ("bob", "carol"));
    assert_eq!(next.starts, current.ends);
}

#[test]
fn a_swap_gives_one_shift_to_someone_else_and_only_that_one() {
    let rot = berlin();
    let swaps = [Swap { date: date(2026, 3, 28), person: "dave".into() }];
    assert_eq!(who(&rot, &swaps, utc(2026, 3, 27, 12, 0)).as_deref(), Some("alice"));
    assert_eq!(who(&rot, &swaps, utc(2026, 3, 28, 12, 0)).as_deref(), Some("dave"));
    assert_eq!(who(&rot, &swaps, utc(2026, 3, 29, 12, 0)).as_deref(), Some("carol"));
    assert_eq!(next_shift(&rot, &swaps, utc(2026, 3, 27, 12, 0)).unwrap().person, "dave");
}

#[test]
fn the_last_swap_for_a_date_counts() {
    let rot = berlin();
    let swaps = [
        Swap { date: date(2026, 3, 28), person: "dave".into() },
        Swap { date: date(2026, 3, 28), person: "erin".into() },
    ];
    assert_eq!(who(&rot, &swaps, utc(2026, 3, 28, 12, 0)).as_deref(), Some("erin"));
}

#[test]
fn a_swap_in_a_weekly_rotation_is_dated_by_the_first_day_of_the_week() {
    let rot = rotation(Shanghai, Every::Weekly, date(2026, 11, 2), hm(9, 0));
    let midweek = [Swap { date: date(2026, 11, 4), person: "dave".into() }];
    assert_eq!(who(&rot, &midweek, utc(2026, 11, 5, 3, 0)).as_deref(), Some("alice"));
    let week = [Swap { date: date(2026, 11, 2), person: "dave".into() }];
    assert_eq!(who(&rot, &week, utc(2026, 11, 5, 3, 0)).as_deref(), Some("dave"));
}

#[test]
fn within_daytime_hours_the_shift_is_on_duty_and_outside_them_nobody_unless_on_watch() {
    let mut rot = rotation(Shanghai, Every::Daily, date(2026, 11, 2), hm(9, 0));
    rot.hours = Some((hm(8, 0), hm(20, 0)));
    let noon = utc(2026, 11, 2, 4, 0); // 12:00 CST
    let night = utc(2026, 11, 2, 13, 0); // 21:00 CST
    assert_eq!(on_duty(&rot, &[], noon, false).as_deref(), Some("alice"));
    assert_eq!(on_duty(&rot, &[], night, false), None);
    assert_eq!(on_duty(&rot, &[], night, true).as_deref(), Some("alice"), "heightened watch is round the clock");
    assert_eq!(on_duty(&rot, &[], utc(2026, 11, 2, 12, 0), false), None, "20:00 is the end, exclusive");
    assert_eq!(on_duty(&rot, &[], utc(2026, 11, 3, 0, 0), false).as_deref(), Some("alice"), "08:00 next morning");
}

#[test]
fn night_hours_wrap_midnight_and_stay_with_the_shift_that_started_in_the_morning() {
    let mut rot = rotation(Shanghai, Every::Daily, date(2026, 11, 2), hm(9, 0));
    rot.hours = Some((hm(20, 0), hm(8, 0)));
    let at = |d: u32, h: u32| utc(2026, 11, d, h, 0) - chrono::Duration::hours(8); // local CST
    assert_eq!(on_duty(&rot, &[], at(2, 12), false), None);
    assert_eq!(on_duty(&rot, &[], at(2, 20), false).as_deref(), Some("alice"));
    assert_eq!(on_duty(&rot, &[], at(2, 23), false).as_deref(), Some("alice"));
    assert_eq!(on_duty(&rot, &[], at(3, 3), false).as_deref(), Some("alice"));
    assert_eq!(on_duty(&rot, &[], at(3, 8), false), None);
    assert_eq!(on_duty(&rot, &[], at(3, 8), true).as_deref(), Some("alice"));
    assert_eq!(on_duty(&rot, &[], at(3, 21), false).as_deref(), Some("bob"));
}

#[test]
fn equal_hours_mean_all_day() {
    let mut rot = berlin();
    rot.hours = Some((hm(9, 0), hm(9, 0)));
    assert_eq!(on_duty(&rot, &[], utc(2026, 3, 28, 2, 0), false).as_deref(), Some("alice"));
}

#[test]
fn a_rotation_without_people_has_no_shifts() {
    let mut rot = berlin();
    rot.people.clear();
    assert_eq!(shift_at(&rot, &[], utc(2026, 3, 28, 12, 0)), None);
    assert_eq!(next_shift(&rot, &[], utc(2026, 3, 28, 12, 0)), None);
}

#[test]
fn a_hand_off_in_the_skipped_hour_happens_when_the_clocks_come_back() {
    let rot = rotation(Berlin, Every::Daily, date(2026, 3, 27), hm(2, 30));
    let s = shift_at(&rot, &[], utc(2026, 3, 28, 12, 0)).unwrap();
    // 02:30 does not exist on 29 March; 03:00 CEST (01:00 UTC) is the first instant after the gap.
    assert_eq!(span(&s), (utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0)));
    assert_eq!(shift_at(&rot, &[], utc(2026, 3, 29, 1, 0)).unwrap().date, date(2026, 3, 29));
    assert_eq!(shift_at(&rot, &[], utc(2026, 3, 29, 0, 59)).unwrap().date, date(2026, 3, 28));
}

#[test]
fn a_hand_off_in_the_repeated_hour_happens_the_first_time_round() {
    let rot = rotation(Berlin, Every::Daily, date(2026, 10, 20), hm(2, 30));
    let s = shift_at(&rot, &[], utc(2026, 10, 24, 12, 0)).unwrap();
    // 02:30 happens twice on 25 October: first in CEST (00:30 UTC), then in CET (01:30 UTC).
    assert_eq!(span(&s), (utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30)));
    let after = shift_at(&rot, &[], utc(2026, 10, 25, 1, 30)).unwrap();
    assert_eq!(span(&after), (utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)));
}

#[test]
fn the_next_local_time_is_later_today_or_else_tomorrow_in_china() {
    let six_pm = hm(18, 0);
    assert_eq!(next_local(Shanghai, six_pm, utc(2026, 11, 21, 9, 0)), utc(2026, 11, 21, 10, 0));
    assert_eq!(next_local(Shanghai, six_pm, utc(2026, 11, 21, 10, 0)), utc(2026, 11, 22, 10, 0), "strictly after");
    assert_eq!(next_local(Shanghai, six_pm, utc(2026, 11, 21, 12, 0)), utc(2026, 11, 22, 10, 0));
    let midnight = hm(0, 0);
    assert_eq!(next_local(Shanghai, midnight, utc(2026, 11, 21, 15, 59)), utc(2026, 11, 21, 16, 0));
    assert_eq!(next_local(Shanghai, midnight, utc(2026, 12, 31, 16, 0)), utc(2027, 1, 1, 16, 0));
}

#[test]
fn the_next_local_time_follows_berlins_daylight_saving_changes() {
    let six_pm = hm(18, 0);
    assert_eq!(next_local(Berlin, six_pm, utc(2026, 3, 28, 17, 0)), utc(2026, 3, 29, 16, 0));
    assert_eq!(next_local(Berlin, six_pm, utc(2026, 10, 24, 16, 0)), utc(2026, 10, 25, 17, 0));
}

#[test]
fn a_local_time_skipped_in_spring_comes_at_the_end_of_the_gap() {
    let t = next_local(Berlin, hm(2, 30), utc(2026, 3, 28, 12, 0));
    assert_eq!(t, utc(2026, 3, 29, 1, 0));
    assert_eq!(t.with_timezone(&Berlin).time(), hm(3, 0));
    assert_eq!(next_local(Berlin, hm(2, 30), t), utc(2026, 3, 30, 0, 30), "and the day after as usual");
    assert_eq!(next_local(New_York, hm(2, 0), utc(2026, 3, 7, 12, 0)), utc(2026, 3, 8, 7, 0));
    assert_eq!(next_local(New_York, hm(2, 59), utc(2026, 3, 7, 12, 0)), utc(2026, 3, 8, 7, 0));
}

#[test]
fn a_local_time_repeated_in_autumn_comes_only_the_first_time() {
    let first = next_local(Berlin, hm(2, 30), utc(2026, 10, 24, 12, 0));
    assert_eq!(first, utc(2026, 10, 25, 0, 30));
    assert_eq!(next_local(Berlin, hm(2, 30), first), utc(2026, 10, 26, 1, 30), "not again an hour later");
    assert_eq!(next_local(New_York, hm(1, 30), utc(2026, 10, 31, 12, 0)), utc(2026, 11, 1, 5, 30));
}

#[test]
fn the_next_local_time_in_new_york_keeps_to_the_wall_clock() {
    let nine = hm(9, 0);
    assert_eq!(next_local(New_York, nine, utc(2026, 3, 7, 15, 0)), utc(2026, 3, 8, 13, 0));
    assert_eq!(next_local(New_York, nine, utc(2026, 10, 31, 14, 0)), utc(2026, 11, 1, 14, 0));
}

#[test]
fn words_for_rotations_and_new_case_duty_are_read_exactly() {
    assert_eq!(Every::parse("daily"), Some(Every::Daily));
    assert_eq!(Every::parse("weekly").map(Every::days), Some(7));
    assert_eq!(Every::parse("Weekly"), None);
    assert_eq!(NewCaseDuty::parse("mention"), Some(NewCaseDuty::Mention));
    assert_eq!(NewCaseDuty::default(), NewCaseDuty::Assign);
    assert_eq!(NewCaseDuty::parse("owner"), None);
}
