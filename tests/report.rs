//! The leaders' daily report: it fires at the team's local report time, also across a
//! daylight-saving change, in the leaders' chat's language; `/report` answers on demand; and
//! `tocsin report` prints the same report as Markdown or CSV.

use crate::support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;
use support::TestDb;
use support::process::Tocsin;
use tocsin::app::{App, Notice};
use tocsin::clock::{Clock, ManualClock};
use tocsin::config::Config;
use tocsin::domain::Locale;
use tocsin::i18n::I18n;
use tocsin::platform::Platform;
use tocsin::store::Store;

/// Friday 27 March 2026, 09:00 UTC (10:00 in Berlin). Europe moves its clocks forward on
/// Sunday 29 March at 02:00 local time: 18:00 is 17:00 UTC before and 16:00 UTC after.
fn friday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 27, 9, 0, 0).unwrap()
}

/// The committed bot.toml, the team in Berlin with a report at `report_at` to a leaders'
/// chat speaking `locale`.
fn config_text(report_at: &str, locale: &str) -> String {
    let base = include_str!("../bot.toml");
    let anchor = "team_chat = \"ops\"\n";
    base.replace(
        anchor,
        &format!("{anchor}leaders_chat = \"leads\"\ntimezone = \"Europe/Berlin\"\nreport_at = \"{report_at}\"\n"),
    ) + &format!("\n[chats.leads]\nplatform = \"console\"\nlocale = \"{locale}\"\n")
}

fn config(report_at: &str, locale: &str) -> Config {
    Config::parse(&config_text(report_at, locale)).unwrap_or_else(|e| panic!("test config is invalid:\n{e}"))
}

struct Desk {
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    app: App,
    config: Arc<Config>,
    i18n: Arc<I18n>,
}

impl Desk {
    async fn new(db: &TestDb, config: Config) -> Desk {
        let store = tocsin::store::connect(&db.url).await.unwrap();
        store.migrate().await.unwrap();
        let clock = Arc::new(ManualClock::at(friday()));
        let (config, i18n) = (Arc::new(config), Arc::new(I18n::new().unwrap()));
        let app = App::new(store.clone(), config.clone(), i18n.clone(), clock.clone());
        app.queue_reports().await.unwrap();
        Desk { store, clock, app, config, i18n }
    }

    async fn say(&self, chat: &str, text: &str) -> Option<String> {
        let inv = support::says(Platform::Console, "alice", chat, text);
        self.app.handle(&inv).await.reply
    }

    /// Moves the clock to `at`, runs what fell due, and returns the reports sent (chat,
    /// text as the chat reads it), taking everything out of the outbox.
    async fn at(&self, at: DateTime<Utc>) -> Vec<(String, String)> {
        self.clock.advance(at - self.clock.now());
        self.app.run_due_jobs().await.expect("jobs run");
        let now = self.clock.now();
        let items = self.store.claim_outbox(Platform::Console, now, now + Duration::minutes(1), 1000).await.unwrap();
        let mut reports = vec![];
        for item in items {
            self.store.outbox_delivered(item.id, now).await.unwrap();
            let notice = Notice::from_payload(&item.payload).unwrap();
            if matches!(notice, Notice::Report { .. }) {
                let chat = self.config.chat(&item.chat).unwrap();
                let locale = chat.locale.unwrap_or(Locale::En);
                reports.push((item.chat, notice.render(None, &self.config, &self.i18n, locale)));
            }
        }
        reports
    }

    /// Runs the scheduler every minute up to `end`, as a running tocsin would; returns the
    /// reports sent.
    async fn run_until(&self, end: DateTime<Utc>) -> Vec<(String, String)> {
        let mut reports = vec![];
        while self.clock.now() < end {
            let next = (self.clock.now() + Duration::minutes(1)).min(end);
            reports.extend(self.at(next).await);
        }
        reports
    }
}

fn utc(d: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, h, m, s).unwrap()
}

/// Three evenings in a row at 18:00 Berlin time, the clocks having moved in between.
async fn reports_follow_local_time_across_dst(locale: &str, heading: &str, cet: &str, cest: &str) {
    let db = TestDb::sqlite();
    let desk = Desk::new(&db, config("18:00", locale)).await;
    assert!(desk.say("ops", "/new I Gas smell on Elm Street").await.is_none());

    assert!(desk.at(utc(27, 16, 59, 59)).await.is_empty(), "nothing before 18:00 CET");
    let first = desk.at(utc(27, 17, 0, 0)).await;
    assert_eq!(first.len(), 1, "one report at 18:00 CET: {first:?}");
    let (chat, text) = &first[0];
    assert_eq!(chat, "leads");
    assert!(text.contains(heading), "{text}");
    assert!(text.contains(&format!("2026-03-27 18:00 {cet}")), "the period ends at 18:00 local time: {text}");
    assert!(text.contains("#1 Gas smell on Elm Street"), "the new case is listed: {text}");

    let second = desk.at(utc(28, 17, 0, 0)).await;
    assert_eq!(second.len(), 1, "Saturday's report: {second:?}");
    assert!(second[0].1.contains(&format!("2026-03-27 18:00 {cet} – 2026-03-28 18:00 {cet}")), "{}", second[0].1);

    // Sunday: summer time. 17:00 UTC would be 19:00; the report comes at 16:00 UTC.
    assert!(desk.at(utc(29, 15, 59, 59)).await.is_empty(), "nothing before 18:00 CEST");
    let third = desk.at(utc(29, 16, 0, 0)).await;
    assert_eq!(third.len(), 1, "Sunday's report at 18:00 CEST: {third:?}");
    assert!(third[0].1.contains(&format!("2026-03-28 18:00 {cet} – 2026-03-29 18:00 {cest}")), "{}", third[0].1);
    assert!(desk.at(utc(29, 17, 0, 0)).await.is_empty(), "and only once");
}

#[tokio::test]
async fn the_daily_report_comes_at_six_in_berlin_before_and_after_the_clocks_change_in_english() {
    reports_follow_local_time_across_dst("en", "Report for city-desk", "CET", "CEST").await;
}

#[tokio::test]
async fn the_daily_report_comes_at_six_in_berlin_before_and_after_the_clocks_change_in_chinese() {
    reports_follow_local_time_across_dst("zh-CN", "city-desk 报告", "CET", "CEST").await;
}

#[tokio::test]
async fn a_report_time_skipped_by_the_clock_change_comes_at_the_end_of_the_gap() {
    let db = TestDb::sqlite();
    let desk = Desk::new(&db, config("02:30", "en")).await;
    // Saturday 02:30 CET is 01:30 UTC; on Sunday 02:30 does not exist: 03:00 CEST (01:00 UTC).
    assert_eq!(desk.at(utc(28, 1, 30, 0)).await.len(), 1);
    assert!(desk.at(utc(29, 0, 59, 59)).await.is_empty());
    let sunday = desk.at(utc(29, 1, 0, 0)).await;
    assert_eq!(sunday.len(), 1, "{sunday:?}");
    assert!(sunday[0].1.contains("2026-03-29 03:00 CEST"), "{}", sunday[0].1);
}

#[tokio::test]
async fn the_report_lists_new_open_overdue_and_missed_deadlines_with_owners() {
    let db = TestDb::sqlite();
    let desk = Desk::new(&db, config("18:00", "en")).await;
    desk.say("ops", "/new I Gas smell on Elm Street").await;
    desk.say("ops", "/new IV Pothole | <b>not bold</b>").await;
    desk.say("ops", "/assign 2 bob").await;
    // Grade I must be acknowledged within 10 minutes and answered within an hour (the
    // default clocks): by 18:00 both deadlines have long passed.
    let reports = desk.run_until(utc(27, 17, 0, 0)).await;
    let text = &reports.last().expect("a report").1;
    let after = |heading: &str| text.split(heading).nth(1).unwrap_or_else(|| panic!("no {heading} in {text}"));
    assert!(after("New cases (2)").contains("#2 Pothole"), "{text}");
    let open = after("Open cases by grade (2)");
    let (grade_i, grade_iv) = (open.find("#1 Gas smell").unwrap(), open.find("#2 Pothole").unwrap());
    assert!(grade_i < grade_iv, "the most severe first: {text}");
    assert!(open.contains("owner: Bob Li"), "{text}");
    let overdue = after("Overdue clocks (");
    assert!(overdue.contains("#1 Gas smell on Elm Street: acknowledge was due 2026-03-27 10:10 CET"), "{text}");
    assert!(after("Deadlines missed (").contains("#1 Gas smell on Elm Street: acknowledge deadline"), "{text}");

    // /report answers the same in the chat, for today.
    let reply = desk.say("ops", "/report").await.expect("a reply");
    assert!(reply.contains("Report for city-desk: 2026-03-27 00:00 CET"), "{reply}");
    assert!(reply.contains("Deadlines missed (3)"), "{reply}");
    let week = desk.say("ops", "/report week").await.unwrap();
    assert!(week.contains("2026-03-21 00:00 CET"), "{week}");
    let usage = desk.say("ops", "/report yesterday").await.unwrap();
    assert!(usage.contains("/report [today|week]"), "{usage}");
}

#[tokio::test]
async fn tocsin_report_prints_markdown_and_csv_from_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/ledger.db", dir.path().display());
    std::fs::write(dir.path().join("bot.toml"), config_text("18:00", "en")).unwrap();
    {
        let store = tocsin::store::connect(&db).await.unwrap();
        store.migrate().await.unwrap();
        let now = Utc::now();
        let clock = Arc::new(ManualClock::at(now - Duration::hours(30)));
        let config = Arc::new(config("18:00", "en"));
        let app = App::new(store.clone(), config, Arc::new(I18n::new().unwrap()), clock.clone());
        let say = |text: &'static str| {
            let inv = support::says(Platform::Console, "alice", "ops", text);
            let app = &app;
            async move { app.handle(&inv).await }
        };
        // After 29 hours all three clocks of a grade I case have run out.
        say("/new I =HYPERLINK(\"http://x\") | a, \"quoted\" title").await;
        clock.advance(Duration::hours(29));
        app.run_due_jobs().await.unwrap();
        say("/new IV Pothole | on Main St").await;
    }
    let since = (Utc::now() - Duration::days(3)).format("%Y-%m-%d").to_string();
    let env = [("TOCSIN_DATABASE_URL", db.as_str())];

    let (status, csv, err) =
        Tocsin::start(dir.path(), &["report", "--since", &since, "--format", "csv"], &env).finish();
    assert!(status.success(), "{err}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "team,section,case,grade,state,owner,clock,deadline,overdue_seconds,at,drill,title");
    let rows = |section: &str| lines.iter().filter(|l| l.starts_with(&format!("city-desk,{section},"))).count();
    assert_eq!((rows("new"), rows("open"), rows("breach")), (2, 2, 3), "{csv}");
    assert!(rows("overdue") >= 1, "{csv}");
    assert!(csv.contains(",\"'=HYPERLINK(\"\"http://x\"\")\"\n"), "a formula is defused and quoted: {csv}");

    let args = ["report", "--since", &since, "--format", "md", "--lang", "zh-CN"];
    let (status, md, err) = Tocsin::start(dir.path(), &args, &env).finish();
    assert!(status.success(), "{err}");
    assert!(md.contains("## 新案件（2）"), "{md}");
    assert!(md.contains("| 案件 | 等级 | 状态 | 负责人 | 标题 |"), "{md}");
    assert!(md.contains("| #2 | 🔵"), "{md}");

    let (status, _, err) = Tocsin::start(dir.path(), &["report", "--since", "tomorrow"], &env).finish();
    assert!(!status.success() && err.contains("--since"), "{err}");
}

#[tokio::test]
async fn the_report_lists_what_was_published_and_the_drafts_still_waiting() {
    let text = config_text("18:00", "en")
        .replace(
            "roles = [\"leader\", \"member\"]\nlocale = \"en\"\nconsole = true",
            "roles = [\"leader\", \"member\", \"spokesperson\"]\nlocale = \"en\"\nconsole = true",
        )
        .replace("leaders_chat = \"leads\"\n", "leaders_chat = \"leads\"\npublic_outlets = [\"public\"]\n")
        + "\n[chats.public]\nplatform = \"console\"\n\n[approvals]\npreapproved_updates = [\"I\"]\n";
    let db = TestDb::sqlite();
    let desk = Desk::new(&db, Config::parse(&text).unwrap()).await;
    desk.say("ops", "/new I Gas smell on Elm Street").await;
    assert!(desk.say("ops", "/update 1 investigating Crews are checking the gas main.").await.is_none());
    assert!(desk.say("ops", "/draft 1 The leak is fixed.").await.is_none());
    let reply = desk.say("ops", "/report").await.unwrap();
    assert!(
        reply.contains(
            "Published (1):\n  #1 Gas smell on Elm Street: draft 1.1 published 2026-03-27 10:00 CET by Alice Chen"
        ),
        "{reply}"
    );
    assert!(
        reply.contains("Drafts awaiting approval (1):\n  #1 Gas smell on Elm Street: draft 1.2, 0 of 2 approvals"),
        "{reply}"
    );
}
