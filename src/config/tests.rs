use super::*;

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
