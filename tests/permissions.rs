//! The permission matrix, every command × every role, end to end: a Telegram message goes
//! through `App::handle` against a real SQLite file, and a refusal must leave the ledger,
//! the event log, the chat settings and the outbox exactly as they were.

use crate::support;

use chrono::{Duration, TimeZone, Utc};
use std::sync::Arc;
use tempfile::TempDir;
use tocsin::app::{App, Response};
use tocsin::clock::{Clock as _, ManualClock};
use tocsin::command::{self, SPECS};
use tocsin::config::Config;
use tocsin::domain::{Action, Case, Event, Locale, Role, Roles};
use tocsin::i18n::I18n;
use tocsin::platform::Platform;
use tocsin::store::{CaseFilter, SqliteStore, Store};

const CHAT_ID: &str = "-100123";
const STRANGER: &str = "999999";

/// One person per role, each holding only that role: (role, name, Telegram user id).
const PEOPLE: [(Role, &str, &str); 4] = [
    (Role::Member, "m1", "1001"),
    (Role::Leader, "l1", "1002"),
    (Role::Spokesperson, "s1", "1003"),
    (Role::Observer, "o1", "1004"),
];

const Y: bool = true;
const N: bool = false;

/// The matrix as written down: columns are member, leader, spokesperson, observer.
const MATRIX: [(Action, [bool; 4]); 30] = [
    (Action::Help, [Y, Y, Y, Y]),
    (Action::WhoAmI, [Y, Y, Y, Y]),
    (Action::Status, [Y, Y, Y, Y]),
    (Action::List, [Y, Y, Y, Y]),
    (Action::New, [Y, Y, N, N]),
    (Action::Ack, [Y, Y, N, N]),
    (Action::Claim, [Y, Y, N, N]),
    (Action::Resolve, [Y, Y, N, N]),
    (Action::Assign, [N, Y, N, N]),
    (Action::Grade, [N, Y, N, N]),
    (Action::Reopen, [N, Y, N, N]),
    (Action::Dismiss, [N, Y, N, N]),
    (Action::Close, [N, Y, N, N]),
    (Action::Lang, [N, Y, N, N]),
    (Action::Due, [N, Y, N, N]),
    (Action::Duty, [Y, Y, Y, Y]),
    (Action::DutySwap, [N, Y, N, N]),
    (Action::Watch, [N, Y, N, N]),
    (Action::Report, [Y, Y, Y, Y]),
    (Action::Draft, [Y, Y, N, N]),
    (Action::Redraft, [Y, Y, N, N]),
    (Action::Approve, [N, Y, N, N]),
    (Action::Reject, [N, Y, N, N]),
    (Action::Concern, [Y, Y, Y, N]),
    (Action::Withdraw, [Y, Y, Y, N]),
    (Action::Publish, [N, N, Y, N]),
    (Action::Update, [N, N, Y, N]),
    (Action::Drill, [N, Y, N, N]),
    (Action::Merge, [N, Y, N, N]),
    (Action::Split, [N, Y, N, N]),
];

/// A valid command for `action` against case `case`, in a state where it succeeds.
fn command_text(action: Action, case: i64) -> String {
    match action {
        Action::Help => "/help".into(),
        Action::WhoAmI => "/whoami".into(),
        Action::Status => format!("/status {case}"),
        Action::List => "/list all".into(),
        Action::New => "/new II Water main burst | reported by a caller".into(),
        Action::Ack => format!("/ack {case}"),
        Action::Claim => format!("/claim {case}"),
        Action::Resolve => format!("/resolve {case} valve replaced"),
        Action::Assign => format!("/assign {case} m1"),
        Action::Grade => format!("/grade {case} II"),
        Action::Reopen => format!("/reopen {case}"),
        Action::Dismiss => format!("/dismiss #{case} duplicate of an older report"),
        Action::Close => format!("/close {case}"),
        Action::Lang => "/lang zh-CN".into(),
        Action::Due => format!("/due {case} ack 30m waiting for the utility"),
        Action::Duty => "/duty".into(),
        Action::DutySwap => "/duty swap m1 2026-11-23".into(),
        Action::Watch => "/watch on storm warning for 2h".into(),
        Action::Report => "/report week".into(),
        Action::Draft => format!("/draft {case} We know of the gas smell and are checking it."),
        Action::Redraft => format!("/redraft {case}.1 The gas company is checking the main."),
        Action::Approve => format!("/approve {case}.1"),
        Action::Reject => format!("/reject {case}.1 the cause is not confirmed"),
        Action::Concern => format!("/concern {case}.1 the cause is not confirmed"),
        Action::Withdraw => format!("/withdraw {case}.1"),
        Action::Publish => format!("/publish {case}.1"),
        Action::Update => format!("/update {case} investigating Crews are on site."),
        Action::Drill => "/drill status".into(),
        // The harness opens the second case (and gives the first two signals) for these.
        Action::Merge => format!("/merge {} into {case}", case + 1),
        Action::Split => format!("/split {case} 2"),
    }
}

/// Whether an allowed `action` commits a decision (rather than only answering).
fn changes_something(action: Action) -> bool {
    match action {
        Action::Help | Action::WhoAmI | Action::Status | Action::List | Action::Report | Action::Duty => false,
        Action::Drill => false,
        Action::New | Action::Ack | Action::Claim | Action::Resolve | Action::Assign => true,
        Action::Grade | Action::Reopen | Action::Dismiss | Action::Close | Action::Lang => true,
        Action::Due | Action::Watch | Action::DutySwap => true,
        Action::Draft | Action::Redraft | Action::Approve | Action::Reject => true,
        Action::Concern | Action::Withdraw | Action::Publish | Action::Update => true,
        Action::Merge | Action::Split => true,
    }
}

/// Reopen and close need a finished case; everything else works on a freshly opened one.
fn needs_resolved_case(action: Action) -> bool {
    matches!(action, Action::Reopen | Action::Close)
}

/// The committed bot.toml, plus the four one-role people and a Telegram chat in the team.
fn config() -> Config {
    let base = include_str!("../bot.toml");
    let anchor = "team_chat = \"ops\"\n";
    assert_eq!(base.matches(anchor).count(), 1, "bot.toml changed shape; update this test's config");
    let mut text = base.replace(anchor, &format!("{anchor}leaders_chat = \"tg\"\npublic_outlets = [\"channel\"]\n"));
    text.push_str(&format!("\n[telegram]\n\n[chats.tg]\nplatform = \"telegram\"\nid = {CHAT_ID}\n"));
    text.push_str("\n[chats.channel]\nplatform = \"telegram\"\nid = -1009999\n");
    for (role, name, id) in PEOPLE {
        text.push_str(&format!("\n[[people]]\nname = \"{name}\"\nroles = [\"{role}\"]\ntelegram = {id}\n"));
    }
    // A roster, so that a leader's `/duty swap` commits; "mention" leaves new cases unowned,
    // as the other cells expect.
    text.push_str("\n[teams.duty]\npeople = [\"m1\", \"l1\"]\nevery = \"daily\"\nhandoff = \"09:00\"\n");
    text.push_str("start = \"2026-01-05\"\nnew_cases = \"mention\"\n");
    Config::parse(&text).unwrap_or_else(|e| panic!("test config is invalid:\n{e}"))
}

fn telegram_id(role: Role) -> &'static str {
    PEOPLE.iter().find(|(r, _, _)| *r == role).expect("a person per role").2
}

/// Everything a command could change, read back from the store.
#[derive(Debug, PartialEq)]
struct Snapshot {
    cases: Vec<Case>,
    events: Vec<Vec<Event>>,
    chat_locales: Vec<Option<Locale>>,
    pending_outbox: Vec<i64>,
}

struct Harness {
    _dir: TempDir,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    app: App,
    /// The number of the case set up for the command under test.
    case: i64,
}

impl Harness {
    /// A fresh database holding one case, opened by the leader, in a state where `action`
    /// is valid.
    async fn for_action(action: Action) -> Harness {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let sqlite = SqliteStore::connect(&url).await.expect("the SQLite file opens");
        sqlite.migrate().await.expect("migrations apply");
        let store: Arc<dyn Store> = Arc::new(sqlite);
        let clock = Arc::new(ManualClock::at(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()));
        let i18n = Arc::new(I18n::new().expect("locales load"));
        let app = App::new(store.clone(), Arc::new(config()), i18n, clock.clone());
        let mut h = Harness { _dir: dir, store, clock, app, case: 0 };
        h.setup("/new Gas smell on Elm Street").await;
        let cases = h.store.cases(&CaseFilter::default()).await.unwrap();
        assert_eq!(cases.len(), 1, "setup opened one case: {cases:?}");
        h.case = cases[0].id.get();
        if needs_resolved_case(action) {
            h.setup(&format!("/resolve {} gas company fixed the leak", h.case)).await;
        }
        let case = h.case;
        let draft = format!("/draft {case} We know of the gas smell.");
        match action {
            // Written by a member, so that the leader under test is not its author.
            Action::Approve | Action::Reject | Action::Publish => h.setup_as(Role::Member, &draft).await,
            Action::Redraft | Action::Concern => h.setup(&draft).await,
            // Everyone who may withdraw has a concern of their own to withdraw.
            Action::Withdraw => {
                h.setup(&draft).await;
                for role in [Role::Member, Role::Leader, Role::Spokesperson] {
                    h.setup_as(role, &format!("/concern {case}.1 not yet")).await;
                }
            }
            _ => {}
        }
        if action == Action::Publish {
            h.setup(&format!("/approve {case}.1")).await;
        }
        if action == Action::Merge {
            h.setup("/new Smell of gas near Elm Street").await;
        }
        if action == Action::Split {
            h.give_signals(2).await;
        }
        h.clock.advance(Duration::minutes(5));
        h
    }

    /// Signals as the intake would have attached them (numbered 1, 2, ... in a fresh database).
    async fn give_signals(&self, n: usize) {
        let case = self.store.case(tocsin::domain::CaseId::from_db(self.case)).await.unwrap().unwrap();
        let signal = |i: usize| tocsin::store::NewSignal {
            source: format!("feed{i}"),
            title: format!("Gas smell report {i}"),
            url: None,
            fingerprint: None,
            simhash: 0,
            sketch: None,
            score: 0.0,
            explanation: "{}".into(),
            received_at: self.clock.now(),
            specifics: None,
        };
        let commit = tocsin::store::Commit {
            signals: (1..=n).map(signal).collect(),
            ..tocsin::store::Commit::new(tocsin::store::CaseWrite::Update(case), self.clock.now())
        };
        self.store.commit(commit).await.expect("the signals are stored");
    }

    async fn setup(&self, text: &str) {
        self.setup_as(Role::Leader, text).await;
    }

    async fn setup_as(&self, role: Role, text: &str) {
        let r = self.send(telegram_id(role), text).await;
        assert!(r.committed, "setup step {text:?} did not commit: {r:?}");
    }

    async fn send(&self, user_id: &str, text: &str) -> Response {
        let inv = support::says(Platform::Telegram, user_id, CHAT_ID, text);
        self.app.handle(&inv).await
    }

    async fn snapshot(&self) -> Snapshot {
        let cases = self.store.cases(&CaseFilter::default()).await.unwrap();
        let mut events = Vec::new();
        for c in &cases {
            events.push(self.store.events(c.id).await.unwrap());
        }
        let mut chat_locales = Vec::new();
        for chat in ["ops", "tg"] {
            chat_locales.push(self.store.chat_locale(chat).await.unwrap());
        }
        let mut pending_outbox = Vec::new();
        for p in Platform::ALL {
            pending_outbox.push(self.store.outbox_pending(p).await.unwrap());
        }
        Snapshot { cases, events, chat_locales, pending_outbox }
    }
}

/// Runs one cell of the matrix end to end; returns what went wrong, if anything.
async fn check_cell(action: Action, role: Role) -> Result<(), String> {
    let h = Harness::for_action(action).await;
    let text = command_text(action, h.case);
    let before = h.snapshot().await;
    let response = h.send(telegram_id(role), &text).await;
    let after = h.snapshot().await;
    let allowed = action.allowed_roles().is_empty() || action.allowed_roles().contains(&role);
    let reply = response.reply.clone().unwrap_or_default();
    let cell = format!("{action:?} as {role} ({text:?}) → {response:?}");
    if !allowed {
        let name = match action {
            Action::DutySwap => "duty swap",
            _ => SPECS.iter().find(|s| s.action == action).expect("a command per action").name,
        };
        let roles = action.allowed_roles().iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" / ");
        let refusal = format!("/{name} needs the {roles} role");
        if !reply.contains(&refusal) {
            return Err(format!("{cell}: expected a refusal saying {refusal:?}"));
        }
        if response.committed {
            return Err(format!("{cell}: a refused command committed"));
        }
        if before != after {
            return Err(format!("{cell}: a refused command changed the store\nbefore {before:?}\nafter {after:?}"));
        }
    } else if changes_something(action) {
        if !response.committed {
            return Err(format!("{cell}: an allowed change did not commit"));
        }
        if before == after {
            return Err(format!("{cell}: committed but the store is unchanged"));
        }
    } else {
        if reply.is_empty() || reply.contains("needs the") || reply.contains('⟨') {
            return Err(format!("{cell}: expected a plain answer"));
        }
        if response.committed || before != after {
            return Err(format!("{cell}: a read-only command changed something"));
        }
    }
    Ok(())
}

/// Every action for one role; all failing cells are reported together.
async fn check_role(role: Role) {
    let mut failures = Vec::new();
    for action in Action::ALL {
        if let Err(e) = check_cell(action, role).await {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{} cell(s) wrong for {role}:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn a_member_may_do_exactly_what_the_matrix_allows_and_nothing_else() {
    check_role(Role::Member).await;
}

#[tokio::test]
async fn a_leader_may_do_exactly_what_the_matrix_allows_and_nothing_else() {
    check_role(Role::Leader).await;
}

#[tokio::test]
async fn a_spokesperson_may_do_exactly_what_the_matrix_allows_and_nothing_else() {
    check_role(Role::Spokesperson).await;
}

#[tokio::test]
async fn an_observer_may_do_exactly_what_the_matrix_allows_and_nothing_else() {
    check_role(Role::Observer).await;
}

#[test]
fn the_permission_matrix_is_the_one_written_down_here() {
    let listed: Vec<Action> = MATRIX.iter().map(|(a, _)| *a).collect();
    assert_eq!(listed, Action::ALL, "the table must list every action once, in Action::ALL order");
    let mut differ = Vec::new();
    for (action, row) in MATRIX {
        for (role, expected) in Role::ALL.into_iter().zip(row) {
            let actual = action.check(Roles::of(&[role])).is_ok();
            if actual != expected {
                differ.push(format!("{action:?} × {role}: table says {expected}, check says {actual}"));
            }
        }
        let allowed: Vec<Role> = Role::ALL.into_iter().zip(row).filter(|(_, y)| *y).map(|(r, _)| r).collect();
        let from_roles =
            if action.allowed_roles().is_empty() { Role::ALL.to_vec() } else { action.allowed_roles().to_vec() };
        if allowed != from_roles {
            differ.push(format!("{action:?}: table allows {allowed:?}, allowed_roles() says {from_roles:?}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn every_command_text_used_here_parses_to_its_action() {
    for action in Action::ALL {
        let text = command_text(action, 7);
        let parsed = command::parse(&text, None).unwrap_or_else(|e| panic!("{text:?} does not parse: {e:?}"));
        assert_eq!(parsed.action(), action, "{text:?}");
    }
}

#[tokio::test]
async fn a_stranger_is_told_their_own_id_and_nothing_changes() {
    for action in Action::ALL {
        let h = Harness::for_action(action).await;
        let text = command_text(action, h.case);
        let before = h.snapshot().await;
        let response = h.send(STRANGER, &text).await;
        let reply = response.reply.clone().unwrap_or_default();
        assert!(reply.contains("I don't know you"), "{text:?} → {response:?}");
        assert!(reply.contains(&format!("platform telegram, id {STRANGER}")), "{text:?} → {response:?}");
        assert!(!response.committed, "{text:?} → {response:?}");
        assert_eq!(before, h.snapshot().await, "{text:?} by a stranger changed the store");
    }
}

#[tokio::test]
async fn a_refused_person_with_malformed_arguments_is_refused_rather_than_taught_the_usage() {
    let h = Harness::for_action(Action::Close).await;
    let before = h.snapshot().await;
    let response = h.send(telegram_id(Role::Observer), "/close").await;
    let reply = response.reply.clone().unwrap_or_default();
    assert!(reply.contains("/close needs the leader role") && !reply.contains("Usage"), "{response:?}");
    assert!(!response.committed);
    assert_eq!(before, h.snapshot().await);
}
