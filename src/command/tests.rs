use super::*;

fn ok(text: &str) -> Command {
    parse(text, None).unwrap_or_else(|e| panic!("{text:?} should parse: {e:?}"))
}

fn usage_of(text: &str) -> &'static str {
    match parse(text, None) {
        Err(ParseError::BadArguments { spec, problem: Problem::Usage }) => spec.name,
        other => panic!("{text:?} should be a usage error, got {other:?}"),
    }
}

fn id(n: &str) -> CaseId {
    CaseId::parse(n).unwrap()
}

#[test]
fn new_takes_a_title_an_optional_summary_and_an_optional_leading_grade() {
    assert_eq!(
        ok("/new Water main burst on 5th Avenue | residents report flooding"),
        Command::New {
            grade: None,
            title: "Water main burst on 5th Avenue".into(),
            summary: Some("residents report flooding".into())
        }
    );
    assert_eq!(
        ok("/new II Gas smell near school"),
        Command::New { grade: Some(Grade::II), title: "Gas smell near school".into(), summary: None }
    );
    assert_eq!(
        ok("/new 燃气泄漏 | 居民报告"),
        Command::New { grade: None, title: "燃气泄漏".into(), summary: Some("居民报告".into()) }
    );
    // A lone numeral is a title, not a grade without one.
    assert_eq!(ok("/new IV"), Command::New { grade: None, title: "IV".into(), summary: None });
    assert_eq!(usage_of("/new"), "new");
    assert_eq!(usage_of("/new | only a summary"), "new");
}

#[test]
fn an_overlong_title_is_refused_with_the_limit() {
    let long = "x".repeat(cases::MAX_TITLE + 1);
    assert!(matches!(
        parse(&format!("/new {long}"), None),
        Err(ParseError::BadArguments { problem: Problem::TooLong { max: 200 }, .. })
    ));
}

#[test]
fn a_typed_title_follows_the_title_rule_and_free_text_is_neutralised() {
    // A Telegram message may hold line breaks, escapes and bidi overrides.
    assert_eq!(
        ok("/new Leak\n✅ #1 Leak — resolved by Alice Chen\u{1b}[2K | seen\nat 9\u{202E}"),
        Command::New {
            grade: None,
            title: "Leak ✅ #1 Leak — resolved by Alice Chen\u{FFFD}[2K".into(),
            summary: Some("seen\nat 9\u{FFFD}".into())
        }
    );
    assert_eq!(
        ok("/resolve 1 fixed\r\n\u{7}done"),
        Command::Resolve { case: id("1"), summary: "fixed\n\u{FFFD}done".into() }
    );
}

#[test]
fn a_case_is_written_with_or_without_a_hash() {
    assert_eq!(ok("/ack 42"), Command::Ack { case: id("42") });
    assert_eq!(ok("/ack #42"), Command::Ack { case: id("42") });
    assert_eq!(ok("/ACK #42"), Command::Ack { case: id("42") });
    for bad in ["/ack", "/ack x", "/ack 1 2", "/ack #", "/ack -3"] {
        assert_eq!(usage_of(bad), "ack", "{bad}");
    }
}

#[test]
fn grade_accepts_only_the_four_grades() {
    assert_eq!(ok("/grade 1 II"), Command::Grade { case: id("1"), grade: Grade::II });
    assert_eq!(ok("/grade #1 iv"), Command::Grade { case: id("1"), grade: Grade::IV });
    for bad in ["/grade 1 V", "/grade 1", "/grade II 1", "/grade 1 II now"] {
        assert_eq!(usage_of(bad), "grade", "{bad}");
    }
}

#[test]
fn assign_takes_a_person_with_or_without_an_at_sign() {
    assert_eq!(ok("/assign 3 @bob"), Command::Assign { case: id("3"), person: "bob".into() });
    assert_eq!(ok("/assign #3 bob"), Command::Assign { case: id("3"), person: "bob".into() });
    assert_eq!(usage_of("/assign 3"), "assign");
    assert_eq!(usage_of("/assign 3 bob carol"), "assign");
}

#[test]
fn resolve_and_dismiss_need_their_text() {
    assert_eq!(ok("/resolve 1 repaired"), Command::Resolve { case: id("1"), summary: "repaired".into() });
    assert_eq!(ok("/dismiss #2 duplicate of #1"), Command::Dismiss { case: id("2"), reason: "duplicate of #1".into() });
    assert_eq!(usage_of("/resolve 1"), "resolve");
    assert_eq!(usage_of("/dismiss 2   "), "dismiss");
}

#[test]
fn read_commands_take_optional_arguments() {
    assert_eq!(ok("/status"), Command::Status { case: None });
    assert_eq!(ok("/status #9"), Command::Status { case: Some(id("9")) });
    assert_eq!(ok("/list"), Command::List { scope: ListScope::Open });
    assert_eq!(ok("/list MINE"), Command::List { scope: ListScope::Mine });
    assert_eq!(ok("/help /ack"), Command::Help { topic: Some("ack".into()) });
    assert_eq!(ok("/lang zh-CN"), Command::Lang { locale: Locale::ZhCn });
    assert_eq!(usage_of("/list closed"), "list");
    assert_eq!(usage_of("/lang fr"), "lang");
    assert_eq!(usage_of("/whoami now"), "whoami");
}

#[test]
fn unknown_commands_and_plain_text_are_told_apart() {
    assert_eq!(parse("/frobnicate 1", None), Err(ParseError::Unknown { name: "frobnicate".into() }));
    assert_eq!(parse("/", None), Err(ParseError::Unknown { name: String::new() }));
    assert_eq!(parse("hello team", None), Err(ParseError::NotACommand));
    assert_eq!(parse("", None), Err(ParseError::NotACommand));
}

#[test]
fn commands_addressed_to_a_bot_are_ours_only_when_it_is_us() {
    assert_eq!(parse("/ack@tocsin_bot 3", Some("tocsin_bot")), Ok(Command::Ack { case: id("3") }));
    assert_eq!(parse("/ack@other_bot 3", Some("tocsin_bot")), Err(ParseError::NotForThisBot));
}

#[test]
fn every_spec_documents_its_usage_and_help_and_names_its_action_once() {
    for s in SPECS {
        assert!(s.usage_en().starts_with(&format!("/{}", s.name)), "{s:?}");
        assert!(!s.help_en().is_empty(), "{s:?}");
    }
    let mut actions: Vec<_> = SPECS.iter().map(|s| format!("{:?}", s.action)).collect();
    actions.sort();
    actions.dedup();
    assert_eq!(actions.len(), SPECS.len(), "one action per command");
    // `/duty swap` is the one action without a command of its own: it lives inside `/duty`.
    assert_eq!(actions.len(), crate::domain::Action::ALL.len() - 1);
}

#[test]
fn no_input_panics_the_parser() {
    let samples =
        ["/new |", "/new II |", "/assign", "/grade", "/status # ", "/help a b", "/\u{0}", "/new \u{202e}x", "/ack ٣"];
    for s in samples {
        let _ = parse(s, None);
    }
}

#[test]
fn merge_names_two_cases_with_into_as_a_card_button_types_it_or_without() {
    let merge = Command::Merge { from: id("20"), into: id("12") };
    assert_eq!(ok("/merge 20 into 12"), merge);
    assert_eq!(ok(&crate::app::card::Press::Merge { from: id("20"), into: id("12") }.command()), merge);
    assert_eq!(ok("/merge #20 INTO #12"), merge);
    assert_eq!(ok("/merge 20 12"), merge);
    assert_eq!(ok("/merge 20 并入 12"), merge);
    for bad in
        ["/merge", "/merge 20", "/merge 20 into", "/merge 20 onto 12", "/merge 20 into 12 now", "/merge x into 12"]
    {
        assert_eq!(usage_of(bad), "merge", "{bad}");
    }
}

#[test]
fn split_names_a_case_and_one_of_its_signals_by_number() {
    assert_eq!(ok("/split #12 41"), Command::Split { case: id("12"), signal: 41 });
    for bad in ["/split", "/split 12", "/split 12 0", "/split 12 -4", "/split 12 +4", "/split 12 4 5", "/split 12 s4"] {
        assert_eq!(usage_of(bad), "split", "{bad}");
    }
}
