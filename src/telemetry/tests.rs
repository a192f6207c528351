use super::*;

fn telemetry() -> Telemetry {
    let config = Config::parse(include_str!("../../bot.toml")).expect("the committed bot.toml");
    Telemetry::new(&config)
}

fn line<'a>(text: &'a str, series: &str) -> Option<&'a str> {
    text.lines().find(|l| l.split_once(' ').is_some_and(|(s, _)| s == series))
}

#[test]
fn counters_start_at_zero_for_every_series_bot_toml_makes_possible() {
    let text = telemetry().render(None).unwrap();
    assert_eq!(
        line(&text, r#"tocsin_sends_total{platform="console",result="ok"}"#),
        Some(r#"tocsin_sends_total{platform="console",result="ok"} 0"#)
    );
    assert!(line(&text, r#"tocsin_clock_stages_total{clock="ack",stage="remind"}"#).is_some(), "{text}");
    assert!(line(&text, r#"tocsin_signals_total{outcome="rejected",source="unknown"}"#).is_some(), "{text}");
    assert_eq!(line(&text, "tocsin_ledger_up"), Some("tocsin_ledger_up 0"), "no snapshot: the ledger was not read");
    assert!(!text.contains("tocsin_ledger_cases"), "no ledger gauges without a snapshot");
}

#[test]
fn a_snapshot_becomes_gauges_with_every_grade_and_state_present() {
    let t = telemetry();
    t.sent(Platform::Console, SendResult::Ok);
    t.clock_stage(ClockKind::Acknowledge, Stage::Remind(80), chrono::Duration::seconds(90));
    let snapshot = Snapshot {
        cases: vec![(Grade::I, CaseState::Open, 2)],
        outbox: vec![Queue { platform: Platform::Discord, depth: 3, oldest_age_seconds: 12.5 }],
        approvals_waiting: 1,
        approvals_held: 0,
        scheduler_lag_seconds: 0.0,
    };
    let text = t.render(Some(&snapshot)).unwrap();
    for (series, value) in [
        (r#"tocsin_ledger_cases{grade="I",state="open"}"#, "2"),
        (r#"tocsin_ledger_cases{grade="IV",state="resolved"}"#, "0"),
        (r#"tocsin_outbox_depth{platform="discord"}"#, "3"),
        (r#"tocsin_outbox_oldest_age_seconds{platform="discord"}"#, "12.5"),
        (r#"tocsin_approvals_waiting{held="false"}"#, "1"),
        (r#"tocsin_sends_total{platform="console",result="ok"}"#, "1"),
        (r#"tocsin_clock_stage_lateness_seconds_bucket{stage="remind",le="60"}"#, "0"),
        (r#"tocsin_clock_stage_lateness_seconds_bucket{stage="remind",le="300"}"#, "1"),
        ("tocsin_ledger_up", "1"),
    ] {
        assert_eq!(line(&text, series), Some(format!("{series} {value}").as_str()), "{text}");
    }
    assert!(line(&text, r#"tocsin_ledger_cases{grade="I",state="closed"}"#).is_none(), "only states on the ledger");
}
