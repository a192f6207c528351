//! The approval rules as people meet them in chat: every refusal is explained in the chat's
//! language and changes nothing (no event, nothing queued for any chat); progress updates and
//! automatic publication follow bot.toml.

use crate::support;

use chrono::{TimeZone, Utc};
use std::sync::Arc;
use support::TestDb;
use tocsin::app::{App, Notice, Response};
use tocsin::clock::ManualClock;
use tocsin::config::Config;
use tocsin::domain::{CaseId, CaseState, Event, EventAction};
use tocsin::i18n::I18n;
use tocsin::platform::Platform;
use tocsin::store::Store;

const ALICE: &str = "1001"; // leader
const BOB: &str = "1002"; // member
const DANA: &str = "1003"; // spokesperson
const LEE: &str = "1005"; // leader
const TEAM: &str = "-100111";
const PUBLIC: &str = "-100333";

/// bot.toml with the team on Telegram (no Telegram needed: commands go straight to `App`),
/// a second leader, a public channel, and `extra` appended.
fn config(extra: &str) -> Config {
    config_with(extra, true)
}

/// The same, with or without the team's public outlet.
fn config_with(extra: &str, outlet: bool) -> Config {
    let (outlets, channel) = if outlet {
        ("public_outlets = [\"public\"]\n", format!("\n[chats.public]\nplatform = \"telegram\"\nid = {PUBLIC}\n"))
    } else {
        ("", String::new())
    };
    let text = support::BOT_TOML
        .replace("[console]\nchat = \"ops\"\n", "[telegram]\n")
        .replace("console = true\n", &format!("telegram = {ALICE}\n"))
        .replace("roles = [\"member\"]\nlocale = \"zh-CN\"\n", &format!("roles = [\"member\"]\ntelegram = {BOB}\n"))
        .replace("roles = [\"spokesperson\"]\n", &format!("roles = [\"spokesperson\"]\ntelegram = {DANA}\n"))
        .replace(
            "[[people]]\nname = \"olga\"",
            &format!("[[people]]\nname = \"lee\"\ndisplay = \"Lee Ming\"\nroles = [\"leader\"]\ntelegram = {LEE}\n\n[[people]]\nname = \"olga\""),
        )
        .replace(
            "[chats.ops]\nplatform = \"console\"\n",
            &format!("[chats.ops]\nplatform = \"telegram\"\nid = {TEAM}\n{channel}"),
        )
        .replace("team_chat = \"ops\"\n", &format!("team_chat = \"ops\"\n{outlets}"))
        + extra;
    Config::parse(&text).unwrap_or_else(|e| panic!("test config is invalid:\n{e}"))
}

struct Desk {
    _db: TestDb,
    store: Arc<dyn Store>,
    app: App,
}

impl Desk {
    async fn new(extra: &str) -> Desk {
        Desk::with(config(extra)).await
    }

    async fn with(config: Config) -> Desk {
        let db = TestDb::sqlite();
        let store = db.store().await;
        let clock = Arc::new(ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()));
        let app = App::new(store.clone(), Arc::new(config), Arc::new(I18n::new().unwrap()), clock);
        Desk { _db: db, store, app }
    }

    async fn say(&self, who: &str, text: &str) -> Response {
        self.say_in(TEAM, who, text).await
    }

    async fn say_in(&self, chat: &str, who: &str, text: &str) -> Response {
        self.app.handle(&support::says(Platform::Telegram, who, chat, text)).await
    }

    /// A command that must commit.
    async fn does(&self, who: &str, text: &str) {
        let r = self.say(who, text).await;
        assert!(r.committed, "{text:?} did not commit: {r:?}");
    }

    /// A command that must be refused with `reason` and change nothing at all.
    async fn refused(&self, who: &str, text: &str, reason: &str) {
        let before = self.everything().await;
        let r = self.say(who, text).await;
        let reply = r.reply.clone().unwrap_or_default();
        assert!(!r.committed && reply.contains(reason), "{text:?}: expected {reason:?}, got {r:?}");
        assert_eq!(self.everything().await, before, "{text:?} was refused but changed something");
    }

    async fn events(&self) -> Vec<Event> {
        self.store.events(CaseId::parse("1").unwrap()).await.unwrap()
    }

    /// Every event of the case and every queued message, for "nothing changed".
    async fn everything(&self) -> (Vec<Event>, i64) {
        (self.events().await, self.store.outbox_pending(Platform::Telegram).await.unwrap())
    }

    /// What was queued for the public channel, in order.
    async fn public(&self) -> Vec<String> {
        let now = self.app.now();
        let items = self.store.claim_outbox(Platform::Telegram, now, now, 1000).await.unwrap();
        items
            .into_iter()
            .filter(|i| i.chat == "public")
            .map(|i| match Notice::from_payload(&i.payload).unwrap() {
                Notice::Statement { text } => text,
                other => panic!("only statements go to a public outlet, not {other:?}"),
            })
            .collect()
    }
}

#[tokio::test]
async fn nobody_approves_their_own_draft_and_members_do_not_approve_at_all() {
    let desk = Desk::new("").await;
    desk.does(LEE, "/new I Gas smell on Elm Street").await;
    desk.does(LEE, "/draft 1 We know of the gas smell.").await;
    desk.refused(LEE, "/approve 1.1", "You wrote this version of draft 1.1").await;
    desk.refused(BOB, "/approve 1.1", "/approve needs the leader role").await;
    desk.refused(BOB, "/publish 1.1", "/publish needs the spokesperson role").await;
    desk.refused(ALICE, "/approve 1.2", "There is no draft 1.2").await;
    desk.refused(ALICE, "/approve 1.1v2", "There is no draft 1.1v2").await;
}

#[tokio::test]
async fn only_the_approved_latest_version_can_be_published_and_only_once() {
    let desk = Desk::new("").await;
    desk.does(BOB, "/new I Gas smell on Elm Street").await;
    desk.does(BOB, "/draft 1 First words.").await;
    desk.refused(DANA, "/publish 1.1", "draft 1.1 is not approved: 0 of 2 leaders").await;
    desk.does(ALICE, "/approve 1.1").await;
    desk.refused(ALICE, "/approve 1.1", "You have already approved or rejected version 1").await;
    desk.refused(DANA, "/publish 1.1", "not approved: 1 of 2 leaders").await;
    desk.does(LEE, "/approve 1.1").await;
    // Version 1 is approved, but a new version replaces it: neither may go out now.
    desk.does(BOB, "/redraft 1.1 Better words.").await;
    desk.refused(DANA, "/publish 1.1v1", "Version 1 of draft 1.1 was replaced by version 2").await;
    desk.refused(DANA, "/publish 1.1", "Version 2 of draft 1.1 is not approved: 0 of 2").await;
    desk.does(ALICE, "/approve 1.1").await;
    desk.does(LEE, "/approve 1.1v2").await;
    desk.does(DANA, "/publish 1.1").await;
    assert_eq!(desk.public().await, ["Better words."]);
    desk.refused(DANA, "/publish 1.1", "Draft 1.1 is already published").await;
    desk.refused(BOB, "/redraft 1.1 Even better.", "Draft 1.1 is already published").await;
}

#[tokio::test]
async fn a_standing_concern_holds_approval_and_publication_until_withdrawn() {
    let desk = Desk::new("").await;
    desk.does(BOB, "/new IV Water off on Main Street").await;
    desk.does(BOB, "/draft 1 Water is back by noon.").await;
    desk.does(LEE, "/concern 1.1 the utility has not confirmed noon").await;
    desk.refused(ALICE, "/approve 1.1", "held by a concern from Lee Ming").await;
    desk.refused(ALICE, "/withdraw 1.1", "You have no standing concern about draft 1.1").await;
    desk.does(LEE, "/withdraw 1.1").await;
    desk.does(ALICE, "/approve 1.1").await;
    // A concern after approval holds publication too.
    desk.does(BOB, "/concern 1.1 wait for the utility's notice").await;
    desk.refused(DANA, "/publish 1.1", "held by a concern from Bob Li").await;
    desk.does(BOB, "/withdraw 1.1").await;
    desk.does(DANA, "/publish 1.1").await;
    assert_eq!(desk.public().await, ["Water is back by noon."]);
}

#[tokio::test]
async fn a_rejected_version_must_be_redrafted() {
    let desk = Desk::new("").await;
    desk.does(BOB, "/new IV Water off on Main Street").await;
    desk.does(BOB, "/draft 1 Water is back by noon.").await;
    desk.does(ALICE, "/reject 1.1 the utility has not confirmed noon").await;
    desk.refused(LEE, "/approve 1.1", "was rejected by Alice Chen").await;
    desk.refused(DANA, "/publish 1.1", "was rejected by Alice Chen").await;
    desk.does(BOB, "/redraft 1.1 Water is back this afternoon.").await;
    desk.does(LEE, "/approve 1.1").await;
}

#[tokio::test]
async fn refusals_speak_the_chats_language() {
    let desk = Desk::new("").await;
    desk.does(BOB, "/new IV Water off on Main Street").await;
    desk.does(ALICE, "/lang zh-CN").await;
    desk.does(BOB, "/draft 1 Water is back by noon.").await;
    desk.refused(DANA, "/publish 1.1", "尚未获批：目前 0/1 位领导批准").await;
    desk.refused(BOB, "/approve 1.1", "抱歉，/approve 需要「负责领导」角色").await;
}

#[tokio::test]
async fn pre_approved_updates_go_out_at_once_and_resolved_resolves_the_case() {
    let desk = Desk::new("\n[approvals]\npreapproved_updates = [\"IV\"]\n").await;
    desk.does(BOB, "/new IV Water off on Main Street").await;
    desk.does(DANA, "/update 1 investigating Crews are on site.").await;
    desk.does(DANA, "/update 1 resolved Water is back on Main Street.").await;
    assert_eq!(desk.public().await, ["Crews are on site.", "Water is back on Main Street."]);
    let case = desk.store.case(CaseId::parse("1").unwrap()).await.unwrap().unwrap();
    assert_eq!(case.state, CaseState::Resolved);
    assert_eq!(case.resolution.as_deref(), Some("Water is back on Main Street."));
    // Grade I updates still need approval.
    desk.does(BOB, "/new I Gas smell on Elm Street").await;
    desk.does(DANA, "/update 2 investigating We are checking.").await;
    assert!(desk.public().await.is_empty());
    desk.refused(DANA, "/publish 2.1", "not approved").await;
}

#[tokio::test]
async fn where_bot_toml_says_so_approval_publishes_at_once() {
    let desk = Desk::new("\n[approvals]\nauto_publish = [\"IV\"]\n").await;
    desk.does(BOB, "/new IV Water off on Main Street").await;
    desk.does(BOB, "/draft 1 Water is back by noon.").await;
    desk.does(ALICE, "/approve 1.1").await;
    assert_eq!(desk.public().await, ["Water is back by noon."]);
    let published = desk.events().await.into_iter().find(|e| e.action == EventAction::StatementPublished).unwrap();
    assert_eq!((published.actor.as_str(), published.details["auto"].as_bool()), ("alice", Some(true)));
}

#[tokio::test]
async fn a_public_outlet_takes_no_commands_so_nothing_internal_is_posted_there() {
    let desk = Desk::new("").await;
    desk.does(BOB, "/new IV Water off on Main Street").await;
    desk.does(BOB, "/draft 1 Water is back by noon.").await;
    let before = desk.everything().await;
    for (who, text) in
        [(ALICE, "/approve 1.1"), (ALICE, "/status 1"), (BOB, "/draft 1 Another text"), ("4242", "/list")]
    {
        let r = desk.say_in(PUBLIC, who, text).await;
        let reply = r.reply.unwrap_or_default();
        assert!(!r.committed && reply.contains("public outlet"), "{text:?} in the outlet: {reply:?}");
        assert!(!reply.contains("Water"), "nothing about the case is said in public: {reply:?}");
    }
    assert_eq!(desk.everything().await, before, "nothing was recorded or queued");
    assert!(desk.public().await.is_empty());
}

#[tokio::test]
async fn without_an_outlet_auto_publish_leaves_the_approval_standing_and_publish_says_why() {
    let desk = Desk::with(config_with("\n[approvals]\nauto_publish = [\"IV\"]\n", false)).await;
    desk.does(BOB, "/new IV Water off on Main Street").await;
    desk.does(BOB, "/draft 1 Water is back by noon.").await;
    desk.does(ALICE, "/approve 1.1").await;
    let actions: Vec<EventAction> = desk.events().await.into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&EventAction::DraftApproved) && !actions.contains(&EventAction::StatementPublished));
    desk.refused(DANA, "/publish 1.1", "no public outlets to publish to").await;
}
