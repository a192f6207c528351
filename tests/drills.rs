//! Drills: a scenario's injects go through the real intake at a speed, on the console and on
//! Telegram; nothing of a drill reaches an outlet, the status page or a feed; real signals and
//! drill signals never share a case; `/drill stop` ends what is open; the after-action report's
//! figures are those of the event log; a malformed scenario is refused with file and line.

use crate::support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;
use support::TestDb;
use support::telegram::{ALICE, BOB, DANA, PATIENCE, TEAM, Tg, texts};
use tocsin::app::App;
use tocsin::app::drills::report::{self, DrillReport};
use tocsin::app::intake::Pipeline;
use tocsin::clock::{Clock, ManualClock};
use tocsin::config::Config;
use tocsin::config::drills::Scenario;
use tocsin::domain::{Case, CaseId, CaseState, Event, EventAction};
use tocsin::i18n::I18n;
use tocsin::intake::{Intake, Metrics, RawSignal};
use tocsin::platform::Platform;
use tocsin::store::{CaseFilter, Store};

/// Six injects in four scenario minutes: at 60× the whole drill is injected in about 4 s.
/// "leak" spreads (four sources, more attention at +3m); "traffic" and "school" are one each.
pub const QUICK: &str = r#"
title = "Quick gas leak"
[expect]
acknowledge = "10m"
first_statement = "30m"
resolve = "1h"

[[inject]]
at = "+0m"
source = "wire"
story = "leak"
title = "Gas smell on Harbour Road"
text = "A caller reports a smell of gas."
metrics = { views = 20 }

[[inject]]
at = "+1m"
source = "city-news"
story = "leak"
title = "Residents report gas smell near the plant"

[[inject]]
at = "+2m"
source = "radio"
story = "traffic"
title = "Harbour Road closed to traffic"

[[inject]]
at = "+3m"
source = "forum"
story = "leak"
title = "Video: people leaving flats near the plant"
metrics = { views = 40000, comments = 900, shares = 2500 }

[[inject]]
at = "+3m"
source = "tv"
story = "leak"
title = "TV: gas leak feared at the plant"
metrics = { views = 60000, comments = 1200, shares = 3000 }

[[inject]]
at = "+4m"
source = "hotline"
story = "school"
title = "School asks what to tell parents"
"#;

fn quick() -> Scenario {
    tocsin::config::drills::parse("drills/quick.toml", "quick", QUICK).expect("the test scenario is valid")
}

fn id(n: i64) -> CaseId {
    CaseId::parse(&n.to_string()).unwrap()
}

async fn all_cases(store: &dyn Store) -> Vec<Case> {
    let mut cases = store.cases(&CaseFilter { on_ledger: false, owner: None, limit: None }).await.unwrap();
    cases.sort_by_key(|c| c.id.get());
    cases
}

/// The report's figures computed again, here, straight from each case's events.
async fn check_against_the_log(store: &dyn Store, r: &DrillReport) {
    for f in &r.cases {
        let case = store.case(f.case).await.unwrap().unwrap();
        let events: Vec<Event> = store.events(f.case).await.unwrap();
        let took = |actions: &[EventAction]| {
            events
                .iter()
                .find(|e| actions.contains(&e.action))
                .map(|e| (e.at - case.opened_at).num_milliseconds() * i64::from(r.speed) / 1000)
        };
        assert_eq!(f.acknowledged, took(&[EventAction::Acknowledged]), "{}", f.case);
        assert_eq!(f.owner, took(&[EventAction::Claimed, EventAction::Assigned]), "{}", f.case);
        assert_eq!(f.approved, took(&[EventAction::DraftApproved]), "{}", f.case);
        assert_eq!(f.published, took(&[EventAction::StatementPublished]), "{}", f.case);
        assert_eq!(f.resolved, took(&[EventAction::Resolved]), "{}", f.case);
    }
}

/// When the acknowledge clock's next stage of a case is due.
async fn ack_due(store: &dyn Store, case: CaseId) -> Option<DateTime<Utc>> {
    let jobs = store.case_jobs(case).await.unwrap();
    jobs.iter().filter(|j| j.key.contains("ack")).map(|j| j.due).min()
}

// --- With a fake clock: the rules, exactly -------------------------------------------------

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

struct Desk {
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    app: App,
    pipeline: Arc<Pipeline>,
    config: Arc<Config>,
    _db: TestDb,
}

impl Desk {
    async fn new() -> Desk {
        Desk::on(TestDb::sqlite(), Arc::new(ManualClock::at(start()))).await
    }

    /// A new process on the same ledger, at the same moment.
    async fn restart(self) -> Desk {
        let Desk { clock, _db, .. } = self;
        Desk::on(_db, clock).await
    }

    async fn on(db: TestDb, clock: Arc<ManualClock>) -> Desk {
        let store = db.store().await;
        let mut config = Config::parse(support::BOT_TOML).unwrap();
        config.drills = vec![quick()];
        let config = Arc::new(config);
        let app = App::new(store.clone(), config.clone(), Arc::new(I18n::new().unwrap()), clock.clone());
        let analyzer = Arc::new(tocsin::text::Analyzer::new(None).unwrap());
        let pipeline = Arc::new(Pipeline::new(
            store.clone(),
            config.clone(),
            analyzer,
            clock.clone(),
            app.outbox_signal(),
            app.jobs_signal(),
        ));
        app.set_pipeline(pipeline.clone());
        Desk { store, clock, app, pipeline, config, _db: db }
    }

    /// Alice (leader, on the console) types a command; returns the reply, if any.
    async fn say(&self, text: &str) -> Option<String> {
        let r = self.app.handle(&support::says(Platform::Console, "alice", "ops", text)).await;
        assert!(!r.refused, "{text:?} was refused: {r:?}");
        r.reply
    }

    /// Real seconds pass; whatever fell due runs.
    async fn after(&self, secs: i64) {
        self.clock.advance(Duration::seconds(secs));
        self.app.run_due_jobs().await.expect("jobs run");
    }

    async fn real_signal(&self, title: &str) -> Intake {
        let signal = RawSignal {
            source: "wire".into(),
            label: None,
            title: title.into(),
            body: String::new(),
            url: None,
            language: None,
            metrics: Metrics::default(),
            tags: vec![],
            fingerprint: None,
            occurred_at: None,
            dedup_key: None,
            drill: None,
        };
        self.pipeline.take(signal).await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injects_arrive_at_speed_as_drill_cases_and_a_real_signal_mid_drill_opens_a_real_case() {
    let desk = Desk::new().await;
    desk.say("/drill start quick 60").await;
    desk.after(0).await;
    let cases = all_cases(desk.store.as_ref()).await;
    assert_eq!(cases.len(), 1, "the +0m inject at once");
    assert!(cases[0].drill);
    // +2m at 60× is two real seconds: the leak's second report joined, the traffic story opened.
    desk.after(2).await;
    assert_eq!(all_cases(desk.store.as_ref()).await.len(), 2);
    // A real report of the same story, word for word, while the drill runs: a real case of its own.
    let real = desk.real_signal("Gas smell on Harbour Road").await;
    let Intake::Opened(real) = real else { panic!("a real signal joined a drill case: {real:?}") };
    assert!(!desk.store.case(real).await.unwrap().unwrap().drill);
    // The rest of the drill: the spreading story joins its drill case, never the real one.
    desk.after(3).await;
    let cases = all_cases(desk.store.as_ref()).await;
    assert_eq!(cases.iter().filter(|c| c.drill).count(), 3, "leak, traffic, school");
    assert_eq!(desk.store.case_signals(real).await.unwrap().len(), 1, "nothing of the drill joined the real case");
    let leak = desk.store.case_signals(id(1)).await.unwrap();
    assert_eq!(leak.len(), 4, "the story spread to four sources");
    let leak_case = desk.store.case(id(1)).await.unwrap().unwrap();
    assert!(leak_case.grade < cases.iter().find(|c| c.id == real).unwrap().grade, "more sources raised its grade");
    // A drill case's clocks run at the drill's speed: its acknowledge deadline is 60× nearer.
    let (drill_due, real_due) =
        (ack_due(desk.store.as_ref(), id(2)).await.unwrap(), ack_due(desk.store.as_ref(), real).await.unwrap());
    let drill_case = desk.store.case(id(2)).await.unwrap().unwrap();
    let real_case = desk.store.case(real).await.unwrap().unwrap();
    let (d, r) = ((drill_due - drill_case.opened_at).num_seconds(), (real_due - real_case.opened_at).num_seconds());
    assert!(d * 50 < r, "drill {d}s vs real {r}s");
    assert_eq!(real, id(3), "the real case came between the drill's second and third");

    let status = desk.say("/drill status").await.unwrap();
    assert!(status.contains("6 of 6 injects sent") && status.contains("3 drill cases open"), "{status}");

    // Acknowledged one minute of scenario time after it opened (one real second).
    desk.after(1).await;
    desk.say("/ack 1").await;
    desk.say("/drill stop").await;
    for c in all_cases(desk.store.as_ref()).await {
        if c.drill {
            assert_eq!((c.state, c.dismissal.as_deref()), (CaseState::Dismissed, Some("drill ended")), "{}", c.id);
        } else {
            assert_eq!(c.state, CaseState::Open, "the real case is untouched");
        }
    }
    // The leaders' daily report is about real work: the real case is in it, no drill case is.
    let daily = desk.say("/report").await.unwrap();
    assert!(daily.contains("#3") && !daily.contains("#2") && !daily.contains("Harbour Road closed"), "{daily}");
    let reply = desk.say("/drill report").await.unwrap();
    assert!(reply.contains("after-action report") && reply.contains("Timeline"), "{reply}");

    let r = report::gather(desk.store.as_ref(), &desk.config, "city-desk", Some(1)).await.unwrap().unwrap();
    assert_eq!(r.cases.len(), 3);
    check_against_the_log(desk.store.as_ref(), &r).await;
    let leak = &r.cases[0];
    assert_eq!(leak.acknowledged, Some(6 * 60), "acknowledged at +6m of scenario time");
    // Acknowledged in time, never published nor resolved: 1 of 3 per case for the leak, 0 for the others.
    assert_eq!(leak.missed.iter().map(|m| m.0).collect::<Vec<_>>(), ["first_statement", "resolve"]);
    assert_eq!(r.score, 100 / 9);
    for action in [EventAction::DrillStarted, EventAction::DrillStopped, EventAction::DrillReported] {
        assert_eq!(desk.store.events_of_kind(action).await.unwrap().len(), 1, "{action:?} on the ledger");
    }
    // A second drill can start once the first has stopped, and gets the next number.
    desk.say("/drill start quick 10").await;
    assert_eq!(desk.store.events_of_kind(EventAction::DrillStarted).await.unwrap()[1].details["drill"], 2);
    let _ = desk.clock.now();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_goes_on_after_a_restart_and_no_inject_is_lost_or_repeated() {
    let desk = Desk::new().await;
    desk.say("/drill start quick 60").await;
    desk.after(1).await;
    let desk = desk.restart().await;
    // Down for a while: what fell due meanwhile is injected once, at start.
    desk.clock.advance(Duration::seconds(10));
    desk.app.run_due_jobs().await.unwrap();
    desk.app.run_due_jobs().await.unwrap();
    let signals = |c| desk.store.case_signals(id(c));
    assert_eq!(signals(1).await.unwrap().len(), 4, "every report of the leak, once");
    assert_eq!(signals(2).await.unwrap().len(), 1);
    assert_eq!(signals(3).await.unwrap().len(), 1);
    assert_eq!(all_cases(desk.store.as_ref()).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_drill_and_an_unknown_scenario_are_refused() {
    let desk = Desk::new().await;
    let r = desk.app.handle(&support::says(Platform::Console, "alice", "ops", "/drill start nope")).await;
    assert!(r.refused && r.reply.as_deref().unwrap_or("").contains("quick"), "{r:?}");
    desk.say("/drill start quick").await;
    let r = desk.app.handle(&support::says(Platform::Console, "alice", "ops", "/drill start quick 60")).await;
    assert!(r.refused && r.reply.as_deref().unwrap_or("").contains("/drill stop"), "{r:?}");
    let r = desk.app.handle(&support::says(Platform::Console, "alice", "ops", "/drill start quick 9000")).await;
    assert!(r.refused, "a speed past 600 is a usage error");
}

// --- The real thing: Telegram and the console ----------------------------------------------

const CHANNEL: i64 = -100_333;
/// Where the team's drill statements go instead of the public channel.
const SANDBOX: i64 = -100_444;

/// Waits (real time) until `done` holds for the ledger.
async fn until(store: &dyn Store, what: &str, done: impl Fn(&[Case]) -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        if done(&all_cases(store).await) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn events_of(store: &dyn Store, case: i64) -> Vec<EventAction> {
    store.events(id(case)).await.unwrap().iter().map(|e| e.action).collect()
}

async fn until_event(store: &dyn Store, case: i64, action: EventAction) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !events_of(store, case).await.contains(&action) {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {action:?} on #{case}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_six_inject_drill_at_60x_runs_end_to_end_on_telegram_and_nothing_of_it_goes_public() {
    let begun = std::time::Instant::now();
    let tg = Tg::start_with_drills(
        "",
        |c| {
            let team = "leaders_chat = \"leaders\"\npublic_outlets = [\"public\"]\nsandbox_outlet = \"sandbox\"\n";
            c.replace("leaders_chat = \"leaders\"\n", team)
                + &format!("\n[chats.public]\nplatform = \"telegram\"\nid = {CHANNEL}\n")
                + &format!("\n[chats.sandbox]\nplatform = \"telegram\"\nid = {SANDBOX}\n")
                + "\n[status_page]\nlisten = \"127.0.0.1:0\"\n"
        },
        vec![quick()],
    )
    .await;
    tg.fake.set_chat(CHANNEL, "channel", Some("City news"));
    tg.fake.set_chat(SANDBOX, "supergroup", Some("Drill sandbox"));
    let store = tg.store.clone();

    tg.say(TEAM, ALICE, "/drill start quick 60");
    tg.expect(TEAM, "DRILL #1 started").await;
    until(store.as_ref(), "the leak story's case", |c| !c.is_empty()).await;
    tg.say(TEAM, ALICE, "/ack 1");
    until_event(store.as_ref(), 1, EventAction::Acknowledged).await;
    tg.say(TEAM, BOB, "/claim 1");
    until_event(store.as_ref(), 1, EventAction::Claimed).await;
    tg.say(TEAM, BOB, "/draft 1 We are checking reports of a gas smell on Harbour Road.");
    until_event(store.as_ref(), 1, EventAction::DraftWritten).await;
    tg.say(TEAM, ALICE, "/approve 1.1");
    until_event(store.as_ref(), 1, EventAction::DraftApproved).await;
    tg.say(TEAM, DANA, "/publish 1.1");
    until_event(store.as_ref(), 1, EventAction::StatementPublished).await;
    tg.say(TEAM, ALICE, "/resolve 1 the valve was closed");
    until_event(store.as_ref(), 1, EventAction::Resolved).await;
    // Every inject in (six, in three stories), then the drill is stopped mid-way.
    until(store.as_ref(), "all three stories", |c| c.len() == 3).await;
    let deadline = std::time::Instant::now() + PATIENCE;
    while tg.store.case_signals(id(3)).await.unwrap().is_empty()
        || tg.store.case_signals(id(1)).await.unwrap().len() < 4
    {
        assert!(std::time::Instant::now() < deadline, "injects missing");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tg.say(TEAM, ALICE, "/drill stop");
    tg.expect(TEAM, "DRILL #1 stopped").await;
    tg.say(TEAM, ALICE, "/drill report");
    let report_msg = tg.expect(TEAM, "after-action report · score").await;
    assert!(report_msg.text.contains("score"), "{}", report_msg.text);

    let cases = all_cases(store.as_ref()).await;
    assert!(cases.iter().all(|c| c.drill));
    assert_eq!(cases[0].state, CaseState::Closed, "the resolved one is closed when the drill stops");
    for c in &cases[1..] {
        assert_eq!((c.state, c.dismissal.as_deref()), (CaseState::Dismissed, Some("drill ended")));
    }
    let config = Config::parse(&tg.config).unwrap();
    let config = Config { drills: vec![quick()], ..config };
    let r = report::gather(store.as_ref(), &config, "city-desk", None).await.unwrap().unwrap();
    check_against_the_log(store.as_ref(), &r).await;
    let leak = &r.cases[0];
    assert!(leak.acknowledged.is_some() && leak.published.is_some() && leak.resolved.is_some());
    assert!(r.cases[1].ended_by_drill && r.cases[2].ended_by_drill);
    assert!(report_msg.text.contains(&format!("score {}/100", r.score)), "{}", report_msg.text);

    // Marked DRILL wherever it shows; nothing reached the public channel, the page or its feed.
    let team = tg.fake.messages(TEAM);
    for m in team.iter().filter(|m| m.from_bot && m.text.contains("Harbour Road")) {
        assert!(m.text.contains("DRILL"), "not marked: {}", m.text);
    }
    assert!(tg.fake.messages(CHANNEL).is_empty(), "{:?}", texts(&tg.fake.messages(CHANNEL)));
    // The statement went, marked, to the sandbox instead: exactly as the public would have read it.
    let statement = tg.expect(SANDBOX, "We are checking reports of a gas smell on Harbour Road.").await;
    assert!(statement.text.starts_with("🧯 [DRILL]"), "{}", statement.text);
    let addr = tg.services.as_ref().unwrap().status_addr.expect("the status page listens");
    for path in ["/", "/feed.atom", "/cases/1", "/cases/1/feed.atom"] {
        let body = reqwest::get(format!("http://{addr}{path}")).await.unwrap().text().await.unwrap();
        assert!(!body.contains("Harbour Road") && !body.contains("gas smell"), "{path} shows the drill:\n{body}");
    }
    tg.shutdown().await;
    assert!(begun.elapsed() < std::time::Duration::from_secs(60), "took {:?}", begun.elapsed());
}

#[test]
fn a_six_inject_drill_at_60x_runs_on_the_console_and_a_malformed_scenario_is_refused_with_file_and_line() {
    use support::process::Tocsin;
    let begun = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bot.toml"), support::BOT_TOML).unwrap();
    std::fs::create_dir(dir.path().join("drills")).unwrap();
    std::fs::write(dir.path().join("drills/quick.toml"), QUICK).unwrap();

    let mut t = Tocsin::start(dir.path(), &["run"], &[]);
    t.send("/drill start quick 60");
    t.expect("DRILL #1 started");
    t.expect("[DRILL] 🆕 #1 Gas smell on Harbour Road");
    t.expect("[DRILL] 🆕 #3 School asks what to tell parents");
    t.send("/ack 1");
    t.expect("acknowledged by Alice Chen");
    t.send("/drill stop");
    t.expect("DRILL #1 stopped");
    t.send("/drill report");
    t.expect("after-action report");
    let (status, out, err) = t.finish();
    assert!(status.success(), "exit {status}; stderr:\n{err}");
    assert!(out.contains("drill ended"), "{out}");
    assert!(begun.elapsed() < std::time::Duration::from_secs(60));
    // The same report as Markdown on the command line, from the ledger on disk.
    let md = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["report", "--drill", "1"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.starts_with("# 🧯 DRILL #1 (quick) at 60× — after-action report"), "{md}");
    assert!(md.contains("drill_started") && md.contains("drill_stopped"), "{md}");

    let bad = QUICK.replace("at = \"+2m\"", "at = \"two minutes\"");
    std::fs::write(dir.path().join("drills/broken.toml"), bad).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["check-config"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("drills/broken.toml: line 23, column 6"), "{err}");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["run"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!run.status.success() && String::from_utf8_lossy(&run.stderr).contains("drills/broken.toml: line 23"));
}
