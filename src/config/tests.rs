use super::*;
use crate::domain::{ClockKind, Every, NewCaseDuty};

const COMMITTED: &str = include_str!("../../bot.toml");

fn errors(text: &str) -> Vec<String> {
    match Config::parse(text) {
        Ok(_) => vec![],
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

fn with(extra_people: &str) -> String {
    COMMITTED.replace("[[people]]\nname = \"olga\"", &format!("{extra_people}\n[[people]]\nname = \"olga\""))
}

#[test]
fn the_committed_bot_toml_is_valid() {
    let c = Config::parse(COMMITTED).expect("bot.toml must be valid");
    assert_eq!(c.database_url, "sqlite://tocsin.db");
    let console = c.console.as_ref().unwrap();
    assert_eq!((console.chat.as_str(), console.person.as_str()), ("ops", "alice"));
    assert_eq!(c.chat("ops").unwrap().team, "city-desk");
    assert_eq!(c.grade(Grade::I).names[&Locale::ZhCn], "Ⅰ级（红色）");
    assert_eq!(c.clocks, ClockPolicy::default());
    let team = c.team("city-desk").unwrap();
    assert_eq!(
        (team.timezone, team.report_at, &team.escalation_chat, &team.duty),
        (chrono_tz::UTC, None, &None, &None)
    );
}

#[test]
fn an_unknown_role_is_named_with_its_key_path() {
    let text = with("[[people]]\nname = \"eve\"\nroles = [\"admin\"]\n");
    let errs = errors(&text);
    assert!(errs.iter().any(|e| e.starts_with("people[3].roles: unknown role \"admin\"")), "{errs:?}");
}

#[test]
fn an_unknown_key_is_an_error_that_names_it() {
    let text = COMMITTED.replace("[console]\n", "[console]\ncolour = \"blue\"\n");
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("console.colour: unknown field \"colour\""), "{errs:?}");
}

#[test]
fn a_syntax_error_says_on_which_line_and_column() {
    let text = COMMITTED.replacen("[console]\n", "[console\n", 1);
    let line = COMMITTED.lines().position(|l| l == "[console]").unwrap() + 1;
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with(&format!("line {line}, column 9: invalid table header")), "{errs:?}");
    let errs = errors("database = \"x.db\"\npeople = 3 3\n");
    assert!(errs[0].starts_with("line 2, column 12: "), "{errs:?}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = COMMITTED
        .replace("team_chat = \"ops\"", "team_chat = \"opz\"")
        .replace("default_grade = \"IV\"", "default_grade = \"V\"")
        .replace("colour = \"#d32f2f\"", "colour = \"red\"");
    let errs = errors(&text);
    for expected in [
        "teams[0].team_chat: no chat named \"opz\" in [chats]",
        "default_grade: unknown grade \"V\"",
        "grades.I.colour: \"red\" is not a colour",
        "chats.ops: is not used by any team",
    ] {
        assert!(errs.iter().any(|e| e.starts_with(expected)), "missing {expected:?} in {errs:?}");
    }
}

#[test]
fn a_missing_grade_or_grade_name_is_an_error() {
    let text = COMMITTED
        .replace("name = { en = \"Grade II (orange)\", zh-CN = \"Ⅱ级（橙色）\" }", "name = { en = \"Grade II\" }");
    assert_eq!(errors(&text), vec!["grades.II.name: missing the zh-CN name"]);
    let no_iv = COMMITTED.split("[grades.IV]").next().unwrap();
    assert!(errors(no_iv).iter().any(|e| e.starts_with("grades.IV: missing")));
}

#[test]
fn a_password_in_the_database_url_is_refused() {
    let text = COMMITTED.replace("sqlite://tocsin.db", "postgres://tocsin:hunter2@db/tocsin");
    assert_eq!(
        errors(&text),
        vec!["database: contains a password; set TOCSIN_DATABASE_URL in the environment instead"]
    );
    let no_password = COMMITTED.replace("sqlite://tocsin.db", "postgres://tocsin@db/tocsin");
    assert!(errors(&no_password).is_empty());
}

#[test]
fn one_platform_account_cannot_belong_to_two_people() {
    let text = with(
        "[[people]]\nname = \"eve\"\nroles = [\"member\"]\ntelegram = 42\n[[people]]\nname = \"Eve\"\nroles = [\"member\"]\ntelegram = 42\n",
    );
    let errs = errors(&text);
    assert!(errs.contains(&"people[4].name: \"Eve\" is already used by people[3]".to_string()), "{errs:?}");
    assert!(errs.contains(&"people[4].telegram: 42 is already people[3]".to_string()), "{errs:?}");
}

#[test]
fn a_team_leader_must_hold_the_leader_role() {
    let text = COMMITTED.replace("leader = \"alice\"", "leader = \"bob\"");
    assert_eq!(errors(&text), vec!["teams[0].leader: \"bob\" does not have the leader role"]);
}

#[test]
fn people_are_found_by_name_or_mention_case_insensitively() {
    let c = Config::parse(COMMITTED).unwrap();
    assert_eq!(c.person("@Bob").map(|p| p.name.as_str()), Some("bob"));
    assert_eq!(c.person_by_identity(Platform::Console, "alice").map(|p| p.name.as_str()), Some("alice"));
    assert!(c.person("nobody").is_none());
}

#[test]
fn a_relative_sqlite_file_lives_next_to_bot_toml() {
    let dir = Path::new("/srv/tocsin");
    assert_eq!(sqlite_next_to("sqlite://tocsin.db", dir), "sqlite:///srv/tocsin/tocsin.db");
    assert_eq!(sqlite_next_to("sqlite:data/t.db?mode=rwc", dir), "sqlite:///srv/tocsin/data/t.db?mode=rwc");
    assert_eq!(sqlite_next_to("sqlite:///var/t.db", dir), "sqlite:///var/t.db");
    assert_eq!(sqlite_next_to("sqlite://tocsin.db", Path::new("")), "sqlite://tocsin.db");
    assert_eq!(sqlite_next_to("postgres://db/x", dir), "postgres://db/x");
}

/// The committed bot.toml with the commented lines that start with these keys switched on.
fn uncomment(text: &str, keys: &[&str]) -> String {
    let mut out = text.to_string();
    for key in keys {
        let commented = format!("\n# {key}");
        assert_eq!(out.matches(&commented).count(), 1, "bot.toml has one commented {key:?}");
        out = out.replace(&commented, &format!("\n{key}"));
    }
    out
}

/// bot.toml with these lines added to the team (before its commented duty example).
fn team_with(keys: &str) -> String {
    COMMITTED.replace("team_chat = \"ops\"\n", &format!("team_chat = \"ops\"\n{keys}\n"))
}

/// A duty roster for the team, with `fields` after its people.
fn duty_with(people: &str, fields: &str) -> String {
    team_with(&format!("[teams.duty]\npeople = {people}\n{fields}"))
}

const GOOD_DUTY: &str = "handoff = \"09:00\"\nstart = \"2026-11-02\"";

fn hm(h: u32, m: u32) -> chrono::NaiveTime {
    chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

#[test]
fn the_commented_clock_watch_and_duty_examples_are_valid() {
    let text = uncomment(
        COMMITTED,
        &[
            "timezone =",
            "report_at =",
            "[teams.duty]",
            "people =",
            "every =",
            "handoff =",
            "start =",
            "hours =",
            "new_cases =",
            "[clocks]",
            "reminders =",
            "escalate =",
            "[clocks.I]",
            "acknowledge =",
            "respond =",
            "resolve =",
            "[watch]",
            "factor =",
        ],
    );
    let c = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.clocks, ClockPolicy::default(), "the examples show the defaults");
    let team = c.team("city-desk").unwrap();
    assert_eq!(team.timezone, chrono_tz::Asia::Shanghai);
    assert_eq!(team.report_at, Some(hm(18, 0)));
    let duty = team.duty.as_ref().unwrap();
    assert_eq!(duty.rotation.people, ["alice", "bob"]);
    assert_eq!(duty.rotation.every, Every::Daily);
    assert_eq!(duty.rotation.handoff, hm(9, 0));
    assert_eq!(duty.rotation.start, chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap());
    assert_eq!(duty.rotation.hours, Some((hm(8, 0), hm(20, 0))));
    assert_eq!(duty.rotation.tz, chrono_tz::Asia::Shanghai);
    assert_eq!(duty.new_cases, NewCaseDuty::Assign);
}

#[test]
fn clocks_keep_their_defaults_for_every_grade_and_key_not_given() {
    let text = format!("{COMMITTED}\n[clocks]\n[clocks.II]\nrespond = \"2h\"\n[watch]\nfactor = 0.25\n");
    let c = Config::parse(&text).unwrap();
    let defaults = ClockPolicy::default();
    assert_eq!(c.clocks.base(Grade::II, ClockKind::Respond), chrono::Duration::hours(2));
    assert_eq!(c.clocks.base(Grade::II, ClockKind::Acknowledge), chrono::Duration::minutes(30));
    assert_eq!(c.clocks.per_grade[0], defaults.per_grade[0]);
    assert_eq!((&c.clocks.reminders, c.clocks.escalate), (&defaults.reminders, defaults.escalate));
    assert_eq!(c.clocks.watch_factor, 0.25);
}

#[test]
fn escalation_can_be_turned_off_and_reminders_left_out() {
    let c = Config::parse(&format!("{COMMITTED}\n[clocks]\nreminders = []\nescalate = false\n")).unwrap();
    assert_eq!((c.clocks.reminders.len(), c.clocks.escalate), (0, None));
    let c = Config::parse(&format!("{COMMITTED}\n[clocks]\nreminders = [0.25, 0.9]\nescalate = 2\n")).unwrap();
    assert_eq!((c.clocks.reminders, c.clocks.escalate), (vec![0.25, 0.9], Some(2.0)));
}

#[test]
fn every_bad_clock_setting_is_reported_with_its_key() {
    let text = format!(
        "{COMMITTED}\n[clocks]\nreminders = [0.5, 1.2, 0.4, 0.0, 0.999]\nescalate = 0.9\n\
         [clocks.I]\nacknowledge = \"10 minutes\"\nrespond = \"0m\"\n[watch]\nfactor = 0\n"
    );
    let errs = errors(&text);
    for expected in [
        "clocks.reminders[1]: 1.2 is not a fraction between 0 and 1",
        "clocks.reminders[2]: 0.4 must come later than the reminder before it",
        "clocks.reminders[3]: 0 is not a fraction between 0 and 1",
        "clocks.reminders[4]: 0.999 rounds to remind100",
        "clocks.escalate: 0.9 is not a fraction above 1",
        "clocks.I.acknowledge: \"10 minutes\" is not a duration like 10m, 4h or 3d",
        "clocks.I.respond: \"0m\" is not a duration",
        "watch.factor: 0 is not a factor above 0 and at most 10",
    ] {
        assert!(errs.iter().any(|e| e.starts_with(expected)), "missing {expected:?} in {errs:?}");
    }
    assert_eq!(errs.len(), 8, "{errs:?}");
    let text = format!("{COMMITTED}\n[clocks]\nescalate = true\n");
    assert!(errors(&text)[0].starts_with("clocks.escalate: true is not a fraction above 1"), "{:?}", errors(&text));
}

#[test]
fn an_unknown_grade_or_clock_in_clocks_is_named() {
    let errs = errors(&format!("{COMMITTED}\n[clocks.V]\nrespond = \"1h\"\n"));
    assert!(errs[0].starts_with("clocks.V: unknown field \"V\""), "{errs:?}");
    let errs = errors(&format!("{COMMITTED}\n[clocks.I]\nack = \"5m\"\n"));
    assert!(errs[0].starts_with("clocks.I.ack: unknown field \"ack\", expected"), "{errs:?}");
}

#[test]
fn a_grades_clocks_must_not_get_shorter_from_acknowledge_to_resolve() {
    let errs = errors(&format!("{COMMITTED}\n[clocks.IV]\nacknowledge = \"3d\"\n"));
    assert_eq!(
        errs,
        vec!["clocks.IV: respond (2d) must not be shorter than acknowledge (3d); missing keys keep their defaults"]
    );
    let errs = errors(&format!("{COMMITTED}\n[clocks.I]\nresolve = \"30m\"\n"));
    assert!(errs[0].starts_with("clocks.I: resolve (30m) must not be shorter than respond (1h)"), "{errs:?}");
}

#[test]
fn a_teams_time_zone_and_report_time_are_checked() {
    let errs = errors(&team_with("timezone = \"Mars/Olympus\"\nreport_at = \"6pm\""));
    assert!(errs.contains(&"teams[0].timezone: unknown time zone \"Mars/Olympus\" (an IANA name like \"Asia/Shanghai\", \"Europe/Berlin\", \"UTC\")".to_string()), "{errs:?}");
    assert!(
        errs.contains(&"teams[0].report_at: \"6pm\" is not a time like \"09:00\" (HH:MM, 24-hour clock)".to_string()),
        "{errs:?}"
    );
    for bad in ["24:00", "18:00:00", "18.00", "9:00"] {
        let errs = errors(&team_with(&format!("report_at = \"{bad}\"")));
        assert!(errs.len() == 1 && errs[0].starts_with("teams[0].report_at"), "{bad}: {errs:?}");
    }
    let c = Config::parse(&team_with("timezone = \"Europe/Berlin\"\nreport_at = \"17:30\"")).unwrap();
    assert_eq!((c.teams[0].timezone, c.teams[0].report_at), (chrono_tz::Europe::Berlin, Some(hm(17, 30))));
}

#[test]
fn a_duty_roster_names_people_by_their_configured_names() {
    let c = Config::parse(&duty_with(
        "[\"Alice\", \"bob\", \"alice\"]",
        &format!("{GOOD_DUTY}\nevery = \"weekly\"\nhours = \"20:00-08:00\"\nnew_cases = \"mention\""),
    ))
    .unwrap();
    let duty = c.teams[0].duty.as_ref().unwrap();
    assert_eq!(duty.rotation.people, ["alice", "bob", "alice"]);
    assert_eq!(duty.rotation.every, Every::Weekly);
    assert_eq!(duty.rotation.hours, Some((hm(20, 0), hm(8, 0))));
    assert_eq!(duty.rotation.tz, chrono_tz::UTC, "the team's time zone, UTC by default");
    assert_eq!(duty.new_cases, NewCaseDuty::Mention);
}

#[test]
fn every_problem_in_a_duty_roster_is_reported_at_once() {
    let text = duty_with(
        "[\"zed\", \"olga\", \"dana\"]",
        "every = \"monthly\"\nhandoff = \"9\"\nstart = \"02/11/2026\"\nhours = \"8-20\"\nnew_cases = \"own\"",
    );
    let errs = errors(&text);
    for expected in [
        "teams[0].duty.people[0]: no person named \"zed\"",
        "teams[0].duty.people[1]: \"olga\" cannot work cases on duty (needs the member or leader role)",
        "teams[0].duty.people[2]: \"dana\" cannot work cases on duty",
        "teams[0].duty.every: unknown rotation \"monthly\" (expected \"daily\" or \"weekly\")",
        "teams[0].duty.handoff: \"9\" is not a time like \"09:00\"",
        "teams[0].duty.start: \"02/11/2026\" is not a date like \"2026-11-02\"",
        "teams[0].duty.hours: \"8-20\" is not hours like \"08:00-20:00\"",
        "teams[0].duty.new_cases: unknown value \"own\" (expected \"assign\" or \"mention\")",
    ] {
        assert!(errs.iter().any(|e| e.starts_with(expected)), "missing {expected:?} in {errs:?}");
    }
    assert_eq!(errs.len(), 8, "{errs:?}");
}

#[test]
fn a_duty_roster_needs_people_and_hours_that_are_not_empty() {
    let errs = errors(&duty_with("[]", &format!("{GOOD_DUTY}\nhours = \"09:00-09:00\"")));
    assert_eq!(
        errs,
        vec![
            "teams[0].duty.people: needs at least one person",
            "teams[0].duty.hours: \"09:00-09:00\" starts and ends at the same time; omit hours for all day",
        ]
    );
    let errs = errors(&duty_with("[\"bob\"]", "start = \"2026-11-02\""));
    assert!(errs[0].starts_with("teams[0].duty: missing field \"handoff\""), "{errs:?}");
}

#[test]
fn a_bad_time_zone_is_reported_once_not_again_for_the_duty_roster() {
    let text = COMMITTED.replace(
        "team_chat = \"ops\"\n",
        &format!("team_chat = \"ops\"\ntimezone = \"Asia/Shangai\"\n[teams.duty]\npeople = [\"bob\"]\n{GOOD_DUTY}\n"),
    );
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("teams[0].timezone: unknown time zone \"Asia/Shangai\""), "{errs:?}");
}

/// bot.toml with a console chat `hq` and the given lines in the team.
fn with_hq(team_keys: &str, rest: &str) -> String {
    format!("{}\n[chats.hq]\nplatform = \"console\"\n{rest}", team_with(team_keys))
}

#[test]
fn a_chat_used_only_to_escalate_to_belongs_to_the_team_that_escalates() {
    let c = Config::parse(&with_hq("escalation_chat = \"hq\"", "")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.teams[0].escalation_chat.as_deref(), Some("hq"));
    assert_eq!(c.chat("hq").unwrap().team, "city-desk");
    let two = with_hq("escalation_chat = \"hq\"", "[[teams]]\nname = \"city-hq\"\nteam_chat = \"hq\"\n");
    let c = Config::parse(&two).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.chat("hq").unwrap().team, "city-hq", "the level above is another team");
}

#[test]
fn the_escalation_chat_is_the_level_above_never_the_team_itself_or_the_public() {
    assert_eq!(
        errors(&team_with("escalation_chat = \"nowhere\"")),
        vec!["teams[0].escalation_chat: no chat named \"nowhere\" in [chats]"]
    );
    assert_eq!(
        errors(&team_with("escalation_chat = \"ops\"")),
        vec!["teams[0].escalation_chat: \"ops\" is this team's own chat; name a chat of the level above"]
    );
    let public = with_hq("public_outlets = [\"hq\"]\nescalation_chat = \"hq\"", "");
    assert_eq!(
        errors(&public),
        vec!["teams[0].escalation_chat: \"hq\" is a public outlet of team \"city-desk\"; escalations stay internal"]
    );
}

#[test]
fn a_public_outlet_is_never_also_a_chat_the_team_works_in() {
    assert_eq!(
        errors(&team_with("public_outlets = [\"ops\"]")),
        vec!["teams[0].public_outlets[0]: \"ops\" is this team's own chat; an outlet carries only statements"]
    );
    assert_eq!(errors(&with_hq("public_outlets = [\"hq\"]", "")), Vec::<String>::new());
}

#[test]
fn a_sandbox_outlet_is_a_chat_of_its_own_never_a_team_chat_or_a_public_outlet() {
    let c = Config::parse(&with_hq("sandbox_outlet = \"hq\"", "")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.teams[0].sandbox_outlet.as_deref(), Some("hq"));
    assert_eq!(
        errors(&team_with("sandbox_outlet = \"ops\"")),
        vec!["teams[0].sandbox_outlet: \"ops\" is a team chat or a public outlet; the sandbox needs a chat of its own"]
    );
    let public = errors(&with_hq("public_outlets = [\"hq\"]\nsandbox_outlet = \"hq\"", ""));
    assert_eq!(public.len(), 1, "{public:?}");
    assert_eq!(
        errors(&team_with("sandbox_outlet = \"nowhere\"")),
        vec!["teams[0].sandbox_outlet: no chat named \"nowhere\" in [chats]"]
    );
}

#[test]
fn a_quorum_more_leaders_than_there_are_is_reported_for_teams_that_publish() {
    let one_leader = Config::parse(&with_hq("public_outlets = [\"hq\"]", "")).unwrap();
    // The committed bot.toml has one leader; grade I needs two by default.
    assert_eq!(one_leader.unreachable_quorums(), vec![(Grade::I, 2, 1)]);
    assert_eq!(Config::parse(COMMITTED).unwrap().unreachable_quorums(), vec![], "no outlet, nothing to approve for");
}

#[test]
fn approvals_and_the_status_page_are_read_and_every_bad_value_named() {
    let good = format!(
        "{COMMITTED}\n[approvals]\nquorum = {{ I = 3, III = 2 }}\nauto_publish = [\"IV\"]\npreapproved_updates = [\"III\", \"IV\"]\n\n[status_page]\nlisten = \"127.0.0.1:8090\"\ntitle = \"City desk\"\nbase_url = \"https://status.example.org/\"\n"
    );
    let c = Config::parse(&good).unwrap();
    assert_eq!(c.approvals.policy.quorum, [3, 1, 2, 1]);
    assert!(c.approvals.auto_publish(Grade::IV) && !c.approvals.auto_publish(Grade::I));
    assert!(c.approvals.preapproved_update(Grade::III) && !c.approvals.preapproved_update(Grade::II));
    let page = c.status_page.unwrap();
    assert_eq!((page.listen.port(), page.title.as_deref()), (8090, Some("City desk")));
    assert_eq!(Config::parse(COMMITTED).unwrap().approvals.policy.quorum, [2, 1, 1, 1], "default: two leaders for I");

    let bad = format!(
        "{COMMITTED}\n[approvals]\nquorum = {{ V = 1, II = 0 }}\nauto_publish = [\"IX\"]\n\n[status_page]\nlisten = \"everywhere\"\nbase_url = \"ftp://x\"\n"
    );
    let errs = errors(&bad);
    for path in [
        "approvals.quorum.V:",
        "approvals.quorum.II: 0 is not",
        "approvals.auto_publish[0]:",
        "status_page.listen:",
        "status_page.base_url:",
    ] {
        assert!(errs.iter().any(|e| e.starts_with(path)), "{path} in {errs:?}");
    }
}

#[test]
fn a_secret_pasted_into_token_env_is_refused_without_being_echoed() {
    // Shaped like a Telegram bot token, assembled so that no token-like string is committed.
    let secret = format!("123456789:AAH{}12", "secret".repeat(5));
    let text = format!(
        "{COMMITTED}\n[http]\nlisten = \"127.0.0.1:0\"\n[[sources]]\nname = \"hotline\"\nkind = \"generic\"\ntoken_env = \"{secret}\"\n"
    );
    let errs = errors(&text);
    assert!(
        errs.iter().any(|e| e.starts_with("sources[0].token_env: must be the NAME of an environment variable")),
        "{errs:?}"
    );
    assert!(!errs.iter().any(|e| e.contains("secretsecret")), "{errs:?}");
    assert!(errors(&text.replace(&secret, "HOTLINE_TOKEN")).is_empty());
}

#[test]
fn retention_takes_a_length_of_days_and_names_a_bad_one() {
    let with = |section: &str| Config::parse(&format!("{COMMITTED}\n[retention]\n{section}\n"));
    let kept = with("signal_text = \"90d\"").unwrap().retention.unwrap().signal_text;
    assert_eq!(kept, chrono::TimeDelta::days(90));
    assert_eq!(Config::parse(COMMITTED).unwrap().retention, None, "kept for ever without the section");
    for (bad, why) in
        [("signal_text = \"soon\"", "not a duration"), ("signal_text = \"1h\"", "between 1d"), ("", "is missing")]
    {
        let err = with(bad).unwrap_err().to_string();
        assert!(err.contains("retention.signal_text") && err.contains(why), "{bad}: {err}");
    }
}
