//! Property tests: whatever a person types or a sender posts, nothing panics and nothing
//! internal breaks. Case counts are fixed so that CI stays within a few minutes; raise them
//! with `PROPTEST_CASES=<n>` for a longer local run.
//!
//! The command property goes through the real core (`App::handle`) on a real SQLite ledger,
//! not just the grammar: an overflow in what a command computes (such as the clock arithmetic
//! of `/due 1 resolve 99999999d x`, which once ended the process) shows up as the internal
//! error line, which a healthy ledger never gives.

use crate::support;

use proptest::prelude::*;
use std::sync::Arc;
use support::{BOT_TOML, TestDb};
use tocsin::app::{App, Invocation};
use tocsin::clock::SystemClock;
use tocsin::config::Config;
use tocsin::platform::Platform;

const INTERNAL_EN: &str = "Something went wrong on my side";
const INTERNAL_ZH: &str = "系统内部出错";

fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    ProptestConfig { cases: n, failure_persistence: None, ..ProptestConfig::default() }
}

fn case_number() -> BoxedStrategy<String> {
    // `{a}` and `{b}` stand for the two cases each run opens first (see `Desk::open`).
    prop_oneof![3 => prop::sample::select(vec!["{a}", "{b}", "1"]).prop_map(str::to_string), 1 => "-?[0-9]{1,25}"]
        .boxed()
}

/// Lengths of time: sensible ones, and digits enough to overflow every integer type.
fn length() -> BoxedStrategy<String> {
    let unit = prop::sample::select(vec!["s", "m", "h", "d", "w", ""]);
    prop_oneof![
        1 => ("[1-9][0-9]{0,2}", unit.clone()).prop_map(|(n, u)| format!("{n}{u}")),
        3 => ("[1-9][0-9]{7,20}", unit).prop_map(|(n, u)| format!("{n}{u}")),
        1 => Just("9223372036854775807s".to_string()),
    ]
    .boxed()
}

fn free_word() -> BoxedStrategy<String> {
    prop_oneof![
        prop::sample::select(vec!["x", "gas", "燃气泄漏", "for", "into", "|", "@alice", "bob", "dana", "2026-11-23"])
            .prop_map(str::to_string),
        "\\PC{1,12}",
    ]
    .boxed()
}

/// What one token of a usage line (`<case>`, `<ack|respond|resolve>`, `[for`, `on`) may become.
fn token(raw: &str) -> BoxedStrategy<String> {
    let optional = raw.starts_with('[') || raw.ends_with(']');
    let bare = raw.trim_matches(|c| c == '[' || c == ']');
    let value = match bare.strip_prefix('<').and_then(|b| b.strip_suffix('>')) {
        Some("case" | "draft") => case_number(),
        Some("duration") => length(),
        Some("person") => {
            prop::sample::select(vec!["bob", "@alice", "dana", "nobody"]).prop_map(str::to_string).boxed()
        }
        Some("YYYY-MM-DD") => prop_oneof![
            prop::sample::select(vec!["2026-11-23", "9999-12-31", "0000-01-01", "2026-02-30"]).prop_map(str::to_string),
            "[0-9]{4,6}-[0-9]{2}-[0-9]{2}",
        ]
        .boxed(),
        Some(alternatives) if alternatives.contains('|') => {
            prop::sample::select(alternatives.split('|').map(str::to_string).collect::<Vec<_>>()).boxed()
        }
        Some(_) => prop::collection::vec(free_word(), 1..4).prop_map(|w| w.join(" ")).boxed(),
        // A bracketed list of choices (`[I|II|III|IV]`, `[today|week]`) or a literal word.
        None if bare.contains('|') && bare.len() > 1 => {
            prop::sample::select(bare.split('|').map(str::to_string).collect::<Vec<_>>()).boxed()
        }
        None => Just(bare.to_string()).boxed(),
    };
    // Now and then anything at all stands where the grammar wants something particular.
    let value = prop_oneof![9 => value, 1 => free_word()].boxed();
    if optional { prop_oneof![value, Just(String::new())].boxed() } else { value }
}

/// A command line built from its own usage line, so that generated input reaches past the
/// grammar into what each command computes.
fn command_line() -> impl Strategy<Value = String> {
    // Commands that compute with times and dates come up more often: arithmetic is where
    // typed numbers can overflow.
    let forms: Vec<&'static str> = tocsin::command::SPECS
        .iter()
        .flat_map(|s| s.usage_en().split(" | /"))
        .flat_map(|form| {
            let weight = if form.contains("<duration>") || form.contains("<YYYY-MM-DD>") { 5 } else { 1 };
            std::iter::repeat_n(form, weight)
        })
        .collect();
    prop::sample::select(forms).prop_flat_map(|form| {
        let mut words = form.trim_start_matches('/').split_whitespace();
        let name = words.next().unwrap_or("help").to_string();
        let tokens: Vec<BoxedStrategy<String>> = words.map(token).collect();
        tokens.prop_map(move |args| format!("/{name} {}", args.join(" ")))
    })
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn no_typed_command_reaches_an_internal_error(lines in prop::collection::vec(command_line(), 1..5)) {
        let desk = desk();
        desk.rt.block_on(async {
            let (a, b) = desk.open().await;
            for line in &lines {
                let line = line.replace("{a}", &a).replace("{b}", &b);
                let reply = desk.say(&line).await;
                prop_assert!(!reply.contains(INTERNAL_EN) && !reply.contains(INTERNAL_ZH), "{line:?} → {reply}");
            }
            Ok(())
        })?;
    }

    #[test]
    fn the_grammar_takes_any_text_without_panicking(text in "\\PC{0,80}", name in "[a-z]{1,8}") {
        let _ = tocsin::command::parse(&text, Some("tocsin_bot"));
        let _ = tocsin::command::parse(&format!("/{name} {text}"), None);
        let _ = tocsin::domain::Span::parse(&text);
    }

    #[test]
    fn any_length_of_time_that_parses_is_at_most_a_year_and_a_day(n in any::<u64>(), unit in "[smhdw]?") {
        if let Ok(span) = tocsin::domain::Span::parse(&format!("{n}{unit}")) {
            prop_assert!(span.seconds() > 0 && span.seconds() <= tocsin::domain::Span::MAX_DAYS * 86_400);
        }
    }
}

/// One App on one SQLite ledger, shared by every case of the property: its state (cases,
/// watch, language) accumulates, which reaches more of the core than a fresh ledger would.
struct Desk {
    rt: tokio::runtime::Runtime,
    app: App,
    chat_id: String,
    _db: TestDb,
}

impl Desk {
    async fn say(&self, text: &str) -> String {
        let inv = Invocation {
            platform: Platform::Console,
            user_id: "alice".into(),
            chat_id: self.chat_id.clone(),
            text: text.to_string(),
            topic: None,
            bot_username: None,
            dedup_key: None,
        };
        self.app.handle(&inv).await.reply.unwrap_or_default()
    }

    /// Two fresh cases for one run to act on, one of them with an owner: earlier runs may
    /// have closed the ones before.
    async fn open(&self) -> (String, String) {
        self.say("/new II Gas leak at Elm Street | residents smell gas").await;
        self.say("/new Power cut").await;
        let filter = tocsin::store::CaseFilter { on_ledger: true, owner: None, limit: None };
        let mut open: Vec<i64> = self.app.store().cases(&filter).await.unwrap().iter().map(|c| c.id.get()).collect();
        open.sort_unstable();
        let (a, b) = (open[open.len() - 2], open[open.len() - 1]);
        self.say(&format!("/claim {b}")).await;
        (a.to_string(), b.to_string())
    }
}

fn desk() -> &'static Desk {
    static DESK: std::sync::OnceLock<Desk> = std::sync::OnceLock::new();
    DESK.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let db = TestDb::sqlite();
        let (app, chat_id) = rt.block_on(async {
            let config = Arc::new(Config::parse(BOT_TOML).unwrap());
            let chat_id = config.chat("ops").unwrap().id.clone();
            let i18n = Arc::new(tocsin::i18n::I18n::new().unwrap());
            let app = App::new(db.store().await, config, i18n, Arc::new(SystemClock));
            (app, chat_id)
        });
        Desk { rt, app, chat_id, _db: db }
    })
}

/// bot.toml as a person might break it: a line lost, doubled or typed over, a number pushed
/// to its limits.
fn broken_bot_toml() -> impl Strategy<Value = String> {
    let lines: Vec<String> = BOT_TOML.lines().map(str::to_string).collect();
    let n = lines.len();
    let edit = prop_oneof![
        (0..n).prop_map(|i| (i, None)),
        (0..n, "\\PC{0,30}").prop_map(|(i, t)| (i, Some(t))),
        (
            0..n,
            prop::sample::select(vec![
                "-1",
                "0",
                "1e309",
                "18446744073709551616",
                "\"\"",
                "[]",
                "{}",
                "nan",
                "\"99999999d\""
            ])
        )
            .prop_map(|(i, v)| (i, Some(format!("x = {v}")))),
    ];
    prop::collection::vec(edit, 1..4).prop_map(move |edits| {
        let mut lines = lines.clone();
        for (i, replacement) in edits {
            let i = i.min(lines.len().saturating_sub(1));
            match replacement {
                None if lines.len() > 1 => {
                    lines.remove(i);
                }
                None => {}
                // `x = value` replaces the value of a `key = value` line, keeping its key.
                Some(t) if t.starts_with("x = ") => {
                    if let Some((key, _)) = lines[i].split_once(" = ") {
                        lines[i] = format!("{key} = {}", &t[4..]);
                    }
                }
                Some(t) => lines.insert(i, t),
            }
        }
        lines.join("\n")
    })
}

/// What a Discord client shows of escaped markdown: a backslash before punctuation is dropped.
fn unescape_discord(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(n) if c == '\\' && n.is_ascii_punctuation() => out.push(chars.next().expect("peeked")),
            _ => out.push(c),
        }
    }
    out
}

/// The entity decoder a Telegram client applies to HTML parse mode.
fn unescape_html(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn a_broken_bot_toml_is_an_error_or_a_config_never_a_panic(text in broken_bot_toml()) {
        if let Err(errors) = Config::parse(&text) {
            prop_assert!(!errors.0.is_empty());
            prop_assert!(errors.0.iter().all(|e| !e.to_string().trim().is_empty()));
        }
    }

    #[test]
    fn telegram_html_escaping_round_trips_and_leaves_no_markup(text in "\\PC{0,200}|.{0,200}") {
        // What is shown is the text with control and bidi characters made visible, exactly.
        let escaped = tocsin::platform::telegram::html::escape(&text);
        prop_assert!(!escaped.contains('<') && !escaped.contains('>'), "{escaped}");
        let shown = tocsin::domain::untrusted::shown(&text);
        prop_assert_eq!(unescape_html(&escaped), shown.as_ref());
        prop_assert!(shown.chars().all(|c| c == '\n' || tocsin::domain::untrusted::is_safe(c)), "{shown:?}");
        if text.chars().all(|c| c == '\n' || tocsin::domain::untrusted::is_safe(c)) {
            prop_assert_eq!(shown.as_ref(), text.as_str(), "plain text is shown exactly as written");
        }
    }

    #[test]
    fn discord_markdown_escaping_round_trips_and_leaves_no_live_mention_link_or_markup(text in "\\PC{0,200}|[@<>#*_~`|\\[\\]()\\\\ a-z&\n-]{0,120}") {
        let escaped = tocsin::platform::discord::markdown::escape(&text);
        let shown = tocsin::domain::untrusted::shown(&text);
        prop_assert_eq!(unescape_discord(&escaped), shown.as_ref());
        // Every character that starts a mention, a masked link or inline markup is escaped.
        let mut chars = escaped.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                chars.next();
                continue;
            }
            prop_assert!(!"@<[(*_~`|".contains(c), "an unescaped {:?} in {:?}", c, escaped);
        }
        for piece in tocsin::platform::discord::markdown::pieces(&text) {
            prop_assert!(piece.encode_utf16().count() <= 2000);
        }
    }
}

/// Arbitrary JSON, and objects shaped like each intake body with arbitrary values.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("JSON has no NaN or infinity", |f| f.is_finite()).prop_map(|f| json!(f)),
        "\\PC{0,40}".prop_map(Value::String),
        Just(json!("0001-01-01T00:00:00Z")),
        Just(json!("9999-12-31T23:59:59Z")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::hash_map(
                prop::sample::select(vec![
                    "title",
                    "body",
                    "source",
                    "url",
                    "language",
                    "metrics",
                    "views",
                    "comments",
                    "shares",
                    "tags",
                    "fingerprint",
                    "occurred_at",
                    "alerts",
                    "status",
                    "labels",
                    "annotations",
                    "startsAt",
                    "endsAt",
                    "groupKey",
                    "commonLabels",
                    "externalURL",
                    "version",
                    "x",
                ])
                .prop_map(str::to_string),
                inner,
                0..8,
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn no_intake_body_gets_a_server_error(body in json_value(), endpoint in 0usize..2, raw in any::<bool>()) {
        let intake = intake();
        let (path, auth) = [
            ("/api/v1/signals", support::intake::bearer(support::intake::WIRE_TOKEN)),
            ("/api/v1/alertmanager", support::intake::bearer(support::intake::AM_TOKEN)),
        ][endpoint].clone();
        // Half of the bodies are the real Alertmanager fixture with parts swapped out.
        let body = if raw { body } else { graft(FIRING, &body) };
        let bytes = serde_json::to_vec(&body).unwrap();
        let (status, answer) = intake.rt.block_on(intake.it.post(path, &[auth], bytes));
        prop_assert!((200..500).contains(&status), "{path} {body} → {status} {answer}");
    }
}

const FIRING: &str = include_str!("fixtures/alertmanager/firing.json");

/// The fixture with each top-level key (and each key of its first alert) that `patch` also has
/// replaced by `patch`'s value.
fn graft(fixture: &str, patch: &serde_json::Value) -> serde_json::Value {
    let mut base: serde_json::Value = serde_json::from_str(fixture).unwrap();
    let Some(patch) = patch.as_object() else { return base };
    for (k, v) in patch {
        if base.get(k).is_some() {
            base[k] = v.clone();
        } else if let Some(alert) = base["alerts"].get_mut(0).filter(|a| a.get(k).is_some()) {
            alert[k] = v.clone();
        }
    }
    base
}

struct SharedIntake {
    rt: tokio::runtime::Runtime,
    it: support::intake::Intake,
}

fn intake() -> &'static SharedIntake {
    static INTAKE: std::sync::OnceLock<SharedIntake> = std::sync::OnceLock::new();
    INTAKE.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let it = rt.block_on(support::intake::Intake::start(""));
        SharedIntake { rt, it }
    })
}
