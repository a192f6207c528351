//! Response clocks with a fake clock: every reminder, breach and escalation fires at its
//! moment and once; an extension moves them; acknowledging stops the acknowledge clock;
//! heightened watch scales clocks; what fell due while tocsin was down is sent once, late.

use crate::support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;
use support::TestDb;
use tocsin::app::{App, Notice};
use tocsin::clock::ManualClock;
use tocsin::config::Config;
use tocsin::i18n::I18n;
use tocsin::platform::Platform;
use tocsin::store::{JobState, Store};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// The committed bot.toml with a leaders' chat and a "level above" chat, all on the console.
fn config() -> Config {
    let base = include_str!("../bot.toml");
    let anchor = "team_chat = \"ops\"\n";
    let text = base.replace(anchor, &format!("{anchor}leaders_chat = \"leads\"\nescalation_chat = \"hq\"\n"))
        + "\n[chats.leads]\nplatform = \"console\"\n\n[chats.hq]\nplatform = \"console\"\n";
    Config::parse(&text).unwrap_or_else(|e| panic!("test config is invalid:\n{e}"))
}

struct Desk {
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    app: App,
}

impl Desk {
    fn on(store: Arc<dyn Store>, clock: Arc<ManualClock>) -> Desk {
        let app = App::new(store.clone(), Arc::new(config()), Arc::new(I18n::new().unwrap()), clock.clone());
        Desk { store, clock, app }
    }

    /// Alice (leader, console) types a command.
    async fn say(&self, text: &str) {
        let inv = support::says(Platform::Console, "alice", "ops", text);
        let r = self.app.handle(&inv).await;
        assert!(r.committed, "{text:?} did not commit: {r:?}");
    }

    /// Moves the clock to `at` after the start, runs what fell due, and returns what was sent
    /// (chat, notice), taking it out of the outbox.
    async fn at(&self, minutes: i64, seconds: i64) -> Vec<(String, Notice)> {
        let target = start() + Duration::minutes(minutes) + Duration::seconds(seconds);
        self.clock.advance(target - self.clock_now());
        self.app.run_due_jobs().await.expect("jobs run");
        self.sent().await
    }

    fn clock_now(&self) -> DateTime<Utc> {
        use tocsin::clock::Clock;
        self.clock.now()
    }

    async fn sent(&self) -> Vec<(String, Notice)> {
        let now = self.clock_now();
        let items = self.store.claim_outbox(Platform::Console, now, now + Duration::minutes(1), 1000).await.unwrap();
        let mut out = vec![];
        for item in items {
            self.store.outbox_delivered(item.id, now).await.unwrap();
            out.push((item.chat, Notice::from_payload(&item.payload).unwrap()));
        }
        out
    }
}

fn kinds(sent: &[(String, Notice)]) -> Vec<String> {
    sent.iter()
        .map(|(chat, n)| match n {
            Notice::Reminder { clock, percent, late, .. } => {
                format!("{chat}: {clock} {percent}%{}", if late.is_some() { " (late)" } else { "" })
            }
            Notice::Breached { clock, late, .. } => {
                format!("{chat}: {clock} breached{}", if late.is_some() { " (late)" } else { "" })
            }
            Notice::Escalated { clock, .. } => format!("{chat}: {clock} escalated"),
            other => format!("{chat}: {}", serde_json::to_value(other).unwrap()["kind"].as_str().unwrap()),
        })
        .collect()
}

#[tokio::test]
async fn every_stage_of_the_acknowledge_clock_fires_at_its_moment_and_once() {
    let db = TestDb::sqlite();
    let desk = Desk::on(db.store().await, Arc::new(ManualClock::at(start())));
    desk.say("/new I Gas leak at the school").await;
    assert_eq!(kinds(&desk.sent().await), ["ops: opened"]);
    // Grade I: acknowledge within 10 min; reminders at 50 % and 80 %, escalation at 150 %.
    assert_eq!(kinds(&desk.at(4, 59).await), Vec::<String>::new());
    assert_eq!(kinds(&desk.at(5, 0).await), ["ops: ack 50%"]);
    assert_eq!(kinds(&desk.at(5, 1).await), Vec::<String>::new(), "once");
    assert_eq!(kinds(&desk.at(8, 0).await), ["ops: ack 80%"]);
    assert_eq!(kinds(&desk.at(10, 0).await), ["leads: ack breached"], "the breach goes to the leaders");
    assert_eq!(kinds(&desk.at(15, 0).await), ["hq: ack escalated"], "and then to the level above");
    assert_eq!(kinds(&desk.at(29, 0).await), Vec::<String>::new());
    // The first-response clock (1 h) runs on.
    assert_eq!(kinds(&desk.at(30, 0).await), ["ops: respond 50%"]);
    let events = desk.store.events(tocsin::domain::CaseId::parse("1").unwrap()).await.unwrap();
    let breaches = events.iter().filter(|e| e.action == tocsin::domain::EventAction::ClockBreached).count();
    assert_eq!(breaches, 1, "the breach is on the record for the reports");
}

#[tokio::test]
async fn an_extension_moves_the_reminders_and_acknowledging_stops_the_clock() {
    let db = TestDb::sqlite();
    let desk = Desk::on(db.store().await, Arc::new(ManualClock::at(start())));
    desk.say("/new I Gas leak at the school").await;
    desk.sent().await;
    assert_eq!(kinds(&desk.at(5, 0).await), ["ops: ack 50%"]);
    desk.say("/due 1 ack 10m waiting for the caretaker's keys").await;
    assert_eq!(kinds(&desk.sent().await), ["ops: extended"]);
    // Now 20 min: 80 % falls at 16 min, not 8; the 50 % already sent is not repeated.
    assert_eq!(kinds(&desk.at(8, 0).await), Vec::<String>::new());
    assert_eq!(kinds(&desk.at(16, 0).await), ["ops: ack 80%"]);
    desk.say("/ack 1").await;
    desk.sent().await;
    assert_eq!(kinds(&desk.at(29, 59).await), Vec::<String>::new(), "no breach of a stopped clock");
    let pending: Vec<String> = desk
        .store
        .case_jobs(tocsin::domain::CaseId::parse("1").unwrap())
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.state == JobState::Pending)
        .map(|j| j.key.split(':').nth(2).unwrap().to_string())
        .collect();
    assert_eq!(pending, ["respond", "resolve"], "only the running clocks have a next job");
}

#[tokio::test]
async fn what_fell_due_while_tocsin_was_down_is_sent_once_and_late() {
    let db = TestDb::sqlite();
    let clock = Arc::new(ManualClock::at(start()));
    let desk = Desk::on(db.store().await, clock.clone());
    desk.say("/new I Gas leak at the school").await;
    desk.sent().await;
    assert_eq!(kinds(&desk.at(5, 0).await), ["ops: ack 50%"]);
    drop(desk);
    // Down from minute 5 to minute 12: the 80 % reminder and the breach fell due meanwhile.
    let desk = Desk::on(db.store().await, clock);
    assert_eq!(kinds(&desk.at(12, 0).await), ["ops: ack 80% (late)", "leads: ack breached (late)"]);
    assert_eq!(kinds(&desk.at(12, 1).await), Vec::<String>::new(), "not repeated");
    assert_eq!(kinds(&desk.at(15, 0).await), ["hq: ack escalated"]);
}

#[tokio::test]
async fn after_a_downtime_past_the_escalation_every_stage_is_sent_once_late() {
    let db = TestDb::sqlite();
    let clock = Arc::new(ManualClock::at(start()));
    let desk = Desk::on(db.store().await, clock.clone());
    desk.say("/new I Gas leak at the school").await;
    desk.sent().await;
    drop(desk);
    // Down from the start to minute 20: every stage of the acknowledge clock fell due, and
    // each is sent once, late, in order.
    let desk = Desk::on(db.store().await, clock);
    let sent = ["ops: ack 50% (late)", "ops: ack 80% (late)", "leads: ack breached (late)", "hq: ack escalated"];
    assert_eq!(kinds(&desk.at(20, 0).await), sent);
    let events = desk.store.events(tocsin::domain::CaseId::parse("1").unwrap()).await.unwrap();
    let breaches = events.iter().filter(|e| e.action == tocsin::domain::EventAction::ClockBreached).count();
    assert_eq!(breaches, 1);
    assert_eq!(kinds(&desk.at(20, 1).await), Vec::<String>::new(), "and not again");
}

#[tokio::test]
async fn a_regrade_that_puts_the_escalation_in_the_past_tells_the_leaders_of_the_breach_and_is_not_late() {
    let db = TestDb::sqlite();
    let desk = Desk::on(db.store().await, Arc::new(ManualClock::at(start())));
    desk.say("/new IV Pothole on the school road").await;
    desk.sent().await;
    assert_eq!(kinds(&desk.at(20, 0).await), Vec::<String>::new());
    // Grade I's acknowledge clock (10 min) ran out long ago: the most advanced stage is
    // announced now, not a burst of stale reminders; the breach it implies is recorded too.
    desk.say("/grade 1 I").await;
    desk.sent().await;
    assert_eq!(kinds(&desk.at(20, 1).await), ["leads: ack breached", "hq: ack escalated"]);
    let events = desk.store.events(tocsin::domain::CaseId::parse("1").unwrap()).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.action == tocsin::domain::EventAction::ClockBreached).count(), 1);
}

#[tokio::test]
async fn heightened_watch_scales_the_clocks_of_open_cases_and_new_ones() {
    let db = TestDb::sqlite();
    let desk = Desk::on(db.store().await, Arc::new(ManualClock::at(start())));
    desk.say("/new I Gas leak at the school").await;
    desk.say("/watch on typhoon landfall").await;
    desk.sent().await;
    // Watch halves the clocks: acknowledge in 5 min, so 50 % at 2.5 min, 80 % at 4 min.
    assert_eq!(kinds(&desk.at(2, 30).await), ["ops: ack 50%"]);
    assert_eq!(kinds(&desk.at(4, 0).await), ["ops: ack 80%"]);
    desk.say("/watch off").await;
    desk.sent().await;
    // Back to 10 min: the breach is at 10, not 5.
    assert_eq!(kinds(&desk.at(9, 59).await), Vec::<String>::new());
    assert_eq!(kinds(&desk.at(10, 0).await), ["leads: ack breached"]);
}
