//! One contract, two backends: every test here runs on a fresh SQLite file and on a fresh
//! Postgres database, and both must behave the same.

use crate::support;

/// The alerts of alert sources.
mod alerts;
/// Signals, stories, the scheduler's jobs and settings.
mod merging;
mod signals_and_jobs;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use std::sync::Arc;
use support::TestDb;
use tocsin::domain::{Case, CaseId, CaseState, EventAction, Grade, Locale, NewCase, NewEvent};
use tocsin::platform::Platform;
use tocsin::store::{
    CaseFilter, CaseWrite, Commit, JobState, JobWrite, NewJob, NewOutbox, OutboxState, Store, StoreError, StoryHash,
};

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + Duration::seconds(secs) + Duration::milliseconds(123)
}

fn new_case(title: &str, at: DateTime<Utc>) -> NewCase {
    NewCase {
        team: "city-desk".into(),
        title: title.into(),
        summary: Some("居民报告 <b>flooding</b> & \"more\"".into()),
        source: "console:ops".into(),
        grade: Grade::II,
        owner: None,
        leader: Some("alice".into()),
        opened_by: "bob".into(),
        drill: true,
        opened_at: at,
    }
}

fn event(action: EventAction, at: DateTime<Utc>) -> NewEvent {
    NewEvent {
        actor: "alice".into(),
        action,
        details: json!({ "n": 1, "text": "燃气" }),
        platform: "console".into(),
        at,
    }
}

fn post(chat: &str, platform: Platform, payload: &str) -> NewOutbox {
    NewOutbox { chat: chat.into(), platform, payload: payload.into() }
}

async fn open(store: &Arc<dyn Store>, title: &str, at: DateTime<Utc>, outbox: Vec<NewOutbox>) -> CaseId {
    store
        .commit(Commit {
            events: vec![event(EventAction::Opened, at)],
            outbox,
            ..Commit::new(CaseWrite::Insert(new_case(title, at)), at)
        })
        .await
        .unwrap()
        .expect("an insert returns its case")
}

async fn update(
    store: &Arc<dyn Store>,
    case: Case,
    action: EventAction,
    outbox: Vec<NewOutbox>,
) -> Result<Option<CaseId>, StoreError> {
    let at = case.updated_at;
    store.commit(Commit { events: vec![event(action, at)], outbox, ..Commit::new(CaseWrite::Update(case), at) }).await
}

async fn a_new_case_reads_back_exactly_as_written(db: TestDb) {
    let store = db.store().await;
    let id = open(&store, "Water main burst on 5th Avenue", t(0), vec![]).await;
    let case = store.case(id).await.unwrap().unwrap();
    assert_eq!(case, Case::opened(id, new_case("Water main burst on 5th Avenue", t(0))));
    assert_eq!(case.opened_at, t(0), "millisecond precision survives");
    assert!(store.case(CaseId::parse("999").unwrap()).await.unwrap().is_none());
}

async fn case_numbers_count_up_from_one(db: TestDb) {
    let store = db.store().await;
    let a = open(&store, "a", t(0), vec![]).await;
    let b = open(&store, "b", t(1), vec![]).await;
    assert_eq!((a.get(), b.get()), (1, 2));
}

async fn an_update_is_stored_with_a_new_version(db: TestDb) {
    let store = db.store().await;
    let id = open(&store, "gas leak", t(0), vec![]).await;
    let mut case = store.case(id).await.unwrap().unwrap();
    case.acknowledge(t(5)).unwrap();
    case.set_owner("bob", t(6)).unwrap();
    update(&store, case.clone(), EventAction::Acknowledged, vec![]).await.unwrap();
    let stored = store.case(id).await.unwrap().unwrap();
    assert_eq!(stored.state, CaseState::Responding);
    assert_eq!(stored.acknowledged_at, Some(t(5)));
    assert_eq!(stored.version, case.version + 1);
}

async fn a_stale_update_is_a_conflict_and_writes_nothing_at_all(db: TestDb) {
    let store = db.store().await;
    let id = open(&store, "gas leak", t(0), vec![]).await;
    let original = store.case(id).await.unwrap().unwrap();
    let mut first = original.clone();
    first.acknowledge(t(1)).unwrap();
    update(&store, first, EventAction::Acknowledged, vec![]).await.unwrap();
    let mut stale = original;
    stale.resolve("done", t(2)).unwrap();
    let err = update(&store, stale, EventAction::Resolved, vec![post("ops", Platform::Console, "{}")]).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "{err:?}");
    assert_eq!(store.case(id).await.unwrap().unwrap().state, CaseState::Acknowledged);
    assert_eq!(store.events(id).await.unwrap().len(), 2, "the conflicting event was rolled back");
    assert_eq!(store.outbox_pending(Platform::Console).await.unwrap(), 0, "and so was its message");
}

async fn updating_a_case_that_does_not_exist_says_so(db: TestDb) {
    let store = db.store().await;
    let ghost = Case::opened(CaseId::parse("42").unwrap(), new_case("ghost", t(0)));
    assert!(matches!(update(&store, ghost, EventAction::Closed, vec![]).await, Err(StoreError::NoSuchCase)));
}

async fn events_come_back_in_order_with_their_details(db: TestDb) {
    let store = db.store().await;
    let id = open(&store, "x", t(0), vec![]).await;
    let mut case = store.case(id).await.unwrap().unwrap();
    case.acknowledge(t(1)).unwrap();
    update(&store, case, EventAction::Acknowledged, vec![]).await.unwrap();
    let events = store.events(id).await.unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.action).collect();
    assert_eq!(actions, [EventAction::Opened, EventAction::Acknowledged]);
    assert_eq!(events[0].details, json!({ "n": 1, "text": "燃气" }));
    assert_eq!((events[0].case, events[0].at, events[0].platform.as_str()), (Some(id), t(0), "console"));
}

async fn events_of_one_kind_come_from_every_case_oldest_first(db: TestDb) {
    let store = db.store().await;
    let a = open(&store, "a", t(0), vec![]).await;
    let b = open(&store, "b", t(1), vec![]).await;
    let case_a = store.case(a).await.unwrap().unwrap();
    update(&store, case_a, EventAction::Acknowledged, vec![]).await.unwrap();
    let opened = store.events_of_kind(EventAction::Opened).await.unwrap();
    assert_eq!(opened.iter().map(|e| e.case).collect::<Vec<_>>(), [Some(a), Some(b)]);
    let acked = store.events_of_kind(EventAction::Acknowledged).await.unwrap();
    assert_eq!((acked.len(), acked[0].case), (1, Some(a)));
    assert!(store.events_of_kind(EventAction::StatementPublished).await.unwrap().is_empty());
}

/// Every kind of event, the drill ones (which belong to no case) among them, reads back as written.
async fn every_kind_of_event_reads_back_with_or_without_a_case(db: TestDb) {
    let store = db.store().await;
    let case = open(&store, "燃气", t(0), vec![]).await;
    for (i, action) in EventAction::ALL.into_iter().enumerate() {
        let at = t(i as i64 + 1);
        let no_case =
            matches!(action, EventAction::DrillStarted | EventAction::DrillStopped | EventAction::DrillReported);
        let commit = if no_case {
            Commit {
                events: vec![NewEvent { details: json!({ "drill": 7, "team": "city-desk" }), ..event(action, at) }],
                ..Commit::new(CaseWrite::None, at)
            }
        } else {
            let current = store.case(case).await.unwrap().unwrap();
            Commit { events: vec![event(action, at)], ..Commit::new(CaseWrite::Update(current), at) }
        };
        store.commit(commit).await.unwrap_or_else(|e| panic!("{action:?}: {e}"));
        // The case's opening wrote one `opened` already: the one just written is the last.
        let back = store.events_of_kind(action).await.unwrap();
        let last = back.last().expect("written");
        assert_eq!((last.action, last.at, last.case), (action, at, (!no_case).then_some(case)), "{action:?}");
        if no_case {
            assert_eq!(last.details["drill"], 7);
        }
    }
}

async fn the_event_log_refuses_edits_and_deletions(db: TestDb) {
    let store = db.store().await;
    open(&store, "x", t(0), vec![]).await;
    let edit = db.raw("UPDATE events SET actor = 'mallory'").await;
    let delete = db.raw("DELETE FROM events").await;
    assert!(edit.as_ref().is_err_and(|e| e.contains("append-only")), "{edit:?}");
    assert!(delete.as_ref().is_err_and(|e| e.contains("append-only")), "{delete:?}");
}

async fn queued_messages_are_claimed_in_order_and_marked_delivered(db: TestDb) {
    let store = db.store().await;
    let id =
        open(&store, "x", t(0), vec![post("ops", Platform::Console, "one"), post("ops", Platform::Console, "two")])
            .await;
    assert_eq!(store.outbox_pending(Platform::Console).await.unwrap(), 2);
    let batch = store.claim_outbox(Platform::Console, t(1), t(31), 10).await.unwrap();
    let payloads: Vec<_> = batch.iter().map(|i| i.payload.as_str()).collect();
    assert_eq!(payloads, ["one", "two"]);
    assert!(batch.iter().all(|i| i.case == Some(id) && i.attempts == 1 && i.chat == "ops"));
    for item in &batch {
        store.outbox_delivered(item.id, t(2)).await.unwrap();
        assert_eq!(store.outbox_state(item.id).await.unwrap(), Some(OutboxState::Delivered));
    }
    assert!(store.claim_outbox(Platform::Console, t(100), t(130), 10).await.unwrap().is_empty());
    assert_eq!(store.outbox_pending(Platform::Console).await.unwrap(), 0);
}

async fn a_leased_message_is_handed_out_again_only_after_its_lease_runs_out(db: TestDb) {
    let store = db.store().await;
    open(&store, "x", t(0), vec![post("ops", Platform::Console, "m")]).await;
    assert_eq!(store.claim_outbox(Platform::Console, t(1), t(31), 10).await.unwrap().len(), 1);
    assert!(store.claim_outbox(Platform::Console, t(2), t(32), 10).await.unwrap().is_empty(), "still leased");
    let again = store.claim_outbox(Platform::Console, t(32), t(62), 10).await.unwrap();
    assert_eq!(again.len(), 1, "the first worker died: its lease expired");
    assert_eq!(again[0].attempts, 2);
}

async fn a_new_leader_takes_over_a_former_leaders_claims_at_once(db: TestDb) {
    let store = db.store().await;
    open(&store, "x", t(0), vec![post("ops", Platform::Telegram, "m"), post("ops", Platform::Console, "c")]).await;
    assert_eq!(store.claim_outbox(Platform::Telegram, t(1), t(31), 10).await.unwrap().len(), 1);
    assert_eq!(store.claim_outbox(Platform::Console, t(1), t(31), 10).await.unwrap().len(), 1);
    assert_eq!(store.take_over_outbox(Platform::Telegram).await.unwrap(), 1);
    let again = store.claim_outbox(Platform::Telegram, t(2), t(32), 10).await.unwrap();
    assert_eq!(again.len(), 1, "claimable at once, not after the claim ran out");
    assert!(
        store.claim_outbox(Platform::Console, t(2), t(32), 10).await.unwrap().is_empty(),
        "other platforms keep theirs"
    );
}

async fn a_lease_has_one_holder_until_it_runs_out_or_is_handed_back(db: TestDb) {
    let store = db.store().await;
    let a = store.take_lease("leader", "a", 60_000).await.unwrap().expect("a free lease is taken");
    assert_eq!(store.take_lease("leader", "b", 60_000).await.unwrap(), None, "held by a");
    assert!(store.renew_lease("leader", "a", a, 60_000).await.unwrap());
    assert!(!store.renew_lease("leader", "b", a, 60_000).await.unwrap(), "only its holder renews it");
    let held = store.lease_holder("leader").await.unwrap().expect("held");
    assert_eq!((held.holder.as_str(), held.token), ("a", a));
    store.release_lease("leader", "a", a).await.unwrap();
    assert_eq!(store.lease_holder("leader").await.unwrap(), None, "handed back");
    let b = store.take_lease("leader", "b", 100).await.unwrap().expect("taken by b");
    assert!(b > a, "each new holder gets a higher fencing token");
    assert!(!store.renew_lease("leader", "a", a, 60_000).await.unwrap(), "a's old token is fenced off");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let c = store.take_lease("leader", "c", 60_000).await.unwrap().expect("b let it run out");
    assert!(c > b);
    assert!(!store.renew_lease("leader", "b", b, 60_000).await.unwrap(), "b woke up too late");
}

async fn a_transient_failure_waits_for_its_retry_time_and_a_permanent_one_is_final(db: TestDb) {
    let store = db.store().await;
    open(&store, "x", t(0), vec![post("ops", Platform::Console, "a"), post("ops", Platform::Console, "b")]).await;
    let batch = store.claim_outbox(Platform::Console, t(1), t(31), 10).await.unwrap();
    store.outbox_failed(batch[0].id, "timeout", Some(t(10))).await.unwrap();
    store.outbox_failed(batch[1].id, "chat not found", None).await.unwrap();
    assert_eq!(store.outbox_state(batch[1].id).await.unwrap(), Some(OutboxState::Failed));
    assert!(store.claim_outbox(Platform::Console, t(9), t(39), 10).await.unwrap().is_empty(), "not yet due");
    let retried = store.claim_outbox(Platform::Console, t(10), t(40), 10).await.unwrap();
    assert_eq!(retried.iter().map(|i| i.id).collect::<Vec<_>>(), [batch[0].id]);
    assert_eq!(store.outbox_pending(Platform::Console).await.unwrap(), 1);
}

async fn each_platform_claims_only_its_own_messages(db: TestDb) {
    let store = db.store().await;
    open(&store, "x", t(0), vec![post("ops", Platform::Console, "c"), post("tg", Platform::Telegram, "t")]).await;
    let tg = store.claim_outbox(Platform::Telegram, t(1), t(31), 10).await.unwrap();
    assert_eq!(tg.iter().map(|i| i.payload.as_str()).collect::<Vec<_>>(), ["t"]);
    assert_eq!(tg[0].platform, Platform::Telegram);
    assert_eq!(store.outbox_pending(Platform::Console).await.unwrap(), 1);
}

async fn two_workers_claiming_at_once_never_get_the_same_message(db: TestDb) {
    let store = db.store().await;
    // Forty chats: a chat's messages are claimed in order, never a later one while an earlier
    // one is out, so one chat's messages cannot be shared between workers anyway.
    let posts = (0..40).map(|i| post(&format!("ops{i}"), Platform::Console, &i.to_string())).collect();
    open(&store, "x", t(0), posts).await;
    let claim = |s: Arc<dyn Store>| async move {
        let mut got = vec![];
        loop {
            let batch = s.claim_outbox(Platform::Console, t(1), t(31), 3).await.unwrap();
            if batch.is_empty() {
                return got;
            }
            got.extend(batch.into_iter().map(|i| i.id));
        }
    };
    let (a, b) = tokio::join!(tokio::spawn(claim(store.clone())), tokio::spawn(claim(store.clone())));
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut all: Vec<i64> = a.iter().chain(b.iter()).copied().collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), a.len() + b.len(), "no message claimed twice");
    assert_eq!(all.len(), 40, "every message claimed once");
}

async fn a_chats_later_messages_wait_while_an_earlier_one_is_out_or_waiting_for_its_retry(db: TestDb) {
    let store = db.store().await;
    let posts = vec![
        post("x", Platform::Console, "a"),
        post("x", Platform::Console, "b"),
        post("x", Platform::Console, "c"),
        post("y", Platform::Console, "d"),
    ];
    open(&store, "x", t(0), posts).await;
    let claim = |at: i64, n: i64| {
        let store = store.clone();
        async move {
            let got = store.claim_outbox(Platform::Console, t(at), t(at + 30), n).await.unwrap();
            got.into_iter().map(|i| (i.payload, i.id)).collect::<Vec<_>>()
        }
    };
    let a = claim(1, 1).await;
    assert_eq!(a.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(), ["a"]);
    let d = claim(1, 10).await;
    assert_eq!(d.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(), ["d"], "b waits while a is out; y is free");
    store.outbox_delivered(a[0].1, t(2)).await.unwrap();
    let bc = claim(2, 1).await;
    assert_eq!(bc.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(), ["b"]);
    store.outbox_failed(bc[0].1, "502", Some(t(10))).await.unwrap();
    assert!(claim(3, 10).await.is_empty(), "c waits behind b's retry");
    let retried = claim(10, 10).await;
    assert_eq!(retried.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(), ["b", "c"]);
}

async fn concurrent_writers_all_commit(db: TestDb) {
    let store = db.store().await;
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let s = store.clone();
            tokio::spawn(async move {
                open(&s, &format!("case {i}"), t(i), vec![post("ops", Platform::Console, "m")]).await
            })
        })
        .collect();
    let mut ids = vec![];
    for task in tasks {
        ids.push(task.await.unwrap().get());
    }
    ids.sort();
    assert_eq!(ids, (1..=24).collect::<Vec<i64>>());
    assert_eq!(store.outbox_pending(Platform::Console).await.unwrap(), 24);
}

async fn of_two_concurrent_updates_to_one_version_exactly_one_wins(db: TestDb) {
    let store = db.store().await;
    let id = open(&store, "x", t(0), vec![]).await;
    let base = store.case(id).await.unwrap().unwrap();
    let attempts: Vec<_> = (0..6)
        .map(|i| {
            let (s, mut c) = (store.clone(), base.clone());
            tokio::spawn(async move {
                c.set_owner(&format!("p{i}"), t(1)).unwrap();
                update(&s, c, EventAction::Assigned, vec![]).await
            })
        })
        .collect();
    let mut won = 0;
    for a in attempts {
        match a.await.unwrap() {
            Ok(_) => won += 1,
            Err(StoreError::Conflict) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(store.events(id).await.unwrap().len(), 2);
}

async fn listing_filters_by_ledger_and_owner_newest_first(db: TestDb) {
    let store = db.store().await;
    for i in 0..4 {
        open(&store, &format!("c{i}"), t(i), vec![]).await;
    }
    let mut c2 = store.case(CaseId::parse("2").unwrap()).await.unwrap().unwrap();
    c2.set_owner("bob", t(10)).unwrap();
    update(&store, c2, EventAction::Assigned, vec![]).await.unwrap();
    let mut c3 = store.case(CaseId::parse("3").unwrap()).await.unwrap().unwrap();
    c3.dismiss("noise", t(11)).unwrap();
    update(&store, c3, EventAction::Dismissed, vec![]).await.unwrap();
    let ids = |v: Vec<Case>| v.iter().map(|c| c.id.get()).collect::<Vec<_>>();
    assert_eq!(ids(store.cases(&CaseFilter::default()).await.unwrap()), [4, 3, 2, 1]);
    assert_eq!(ids(store.cases(&CaseFilter { on_ledger: true, ..Default::default() }).await.unwrap()), [4, 2, 1]);
    let mine = CaseFilter { on_ledger: true, owner: Some("bob".into()), limit: None };
    assert_eq!(ids(store.cases(&mine).await.unwrap()), [2]);
    assert_eq!(ids(store.cases(&CaseFilter { limit: Some(2), ..Default::default() }).await.unwrap()), [4, 3]);
}

async fn a_chat_language_is_stored_and_can_be_changed(db: TestDb) {
    let store = db.store().await;
    assert_eq!(store.chat_locale("ops").await.unwrap(), None);
    for locale in [Locale::ZhCn, Locale::En] {
        store
            .commit(Commit {
                events: vec![event(EventAction::LanguageChanged, t(1))],
                chat_locale: Some(("ops".into(), locale)),
                ..Commit::new(CaseWrite::None, t(1))
            })
            .await
            .unwrap();
        assert_eq!(store.chat_locale("ops").await.unwrap(), Some(locale));
    }
}

async fn migrating_twice_changes_nothing(db: TestDb) {
    let store = db.store().await;
    open(&store, "kept", t(0), vec![]).await;
    store.migrate().await.unwrap();
    let again = db.store().await;
    assert_eq!(again.case(CaseId::parse("1").unwrap()).await.unwrap().unwrap().title, "kept");
}

async fn an_event_key_is_acted_on_once_and_a_repeat_writes_nothing(db: TestDb) {
    let store = db.store().await;
    let commit = |title: &str| Commit {
        events: vec![event(EventAction::Opened, t(0))],
        outbox: vec![post("ops", Platform::Console, "m")],
        handled: Some("telegram:update:7".into()),
        ..Commit::new(CaseWrite::Insert(new_case(title, t(0))), t(0))
    };
    assert!(!store.was_handled("telegram:update:7").await.unwrap());
    store.commit(commit("first")).await.unwrap();
    assert!(store.was_handled("telegram:update:7").await.unwrap());
    assert!(matches!(store.commit(commit("again")).await, Err(StoreError::Duplicate)));
    assert_eq!(store.cases(&CaseFilter::default()).await.unwrap().len(), 1, "the repeat opened nothing");
    assert_eq!(store.outbox_pending(Platform::Console).await.unwrap(), 1, "and queued nothing");
}

/// On SQLite concurrent commits share one transaction (each under a savepoint); on Postgres each
/// has its own. Either way a refused commit takes nothing else down with it.
async fn concurrent_commits_succeed_or_fail_each_on_its_own(db: TestDb) {
    let store = db.store().await;
    let stale = store.case(open(&store, "contested", t(0), vec![]).await).await.unwrap().unwrap();
    let commit = |i: usize| Commit {
        events: vec![event(EventAction::Opened, t(1))],
        outbox: vec![post("ops", Platform::Console, "m")],
        // Every pair shares an event key: one of each pair must be refused as a duplicate.
        handled: Some(format!("key:{}", i / 2)),
        ..Commit::new(CaseWrite::Insert(new_case(&format!("case {i}"), t(1))), t(1))
    };
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let (to, write) = (store.clone(), commit(i));
        tasks.spawn(async move { to.commit(write).await.map(|_| ()) });
        // Interleaved: writes to one case from the same stale read; only one can win.
        let (to, mut case) = (store.clone(), stale.clone());
        tasks.spawn(async move {
            case.acknowledge(t(2)).unwrap();
            to.commit(Commit::new(CaseWrite::Update(case), t(2))).await.map(|_| ())
        });
    }
    let (mut ok, mut duplicate, mut conflict) = (0, 0, 0);
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::Duplicate) => duplicate += 1,
            Err(StoreError::Conflict) => conflict += 1,
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!((ok, duplicate, conflict), (21, 20, 39));
    assert_eq!(store.cases(&CaseFilter::default()).await.unwrap().len(), 21);
    assert_eq!(store.outbox_pending(Platform::Console).await.unwrap(), 20);
    assert_eq!(store.case(stale.id).await.unwrap().unwrap().version, stale.version + 1);
}

async fn a_deferred_message_waits_without_counting_as_a_failed_attempt(db: TestDb) {
    let store = db.store().await;
    open(&store, "x", t(0), vec![post("tg", Platform::Telegram, "m")]).await;
    assert_eq!(store.outbox_next_due(Platform::Telegram).await.unwrap(), Some(t(0)));
    let item = store.claim_outbox(Platform::Telegram, t(1), t(31), 10).await.unwrap().remove(0);
    assert_eq!(store.outbox_next_due(Platform::Telegram).await.unwrap(), Some(t(31)), "not before its lease ends");
    store.outbox_defer(item.id, t(5)).await.unwrap();
    assert_eq!(store.outbox_next_due(Platform::Telegram).await.unwrap(), Some(t(5)));
    assert!(store.claim_outbox(Platform::Telegram, t(4), t(34), 10).await.unwrap().is_empty());
    let again = store.claim_outbox(Platform::Telegram, t(5), t(35), 10).await.unwrap();
    assert_eq!(again[0].attempts, 1, "deferral is not a failed attempt");
    assert_eq!(store.outbox_next_due(Platform::Console).await.unwrap(), None);
}

async fn cards_and_settings_are_remembered_and_replaced(db: TestDb) {
    let store = db.store().await;
    let id = open(&store, "x", t(0), vec![]).await;
    assert_eq!(store.card(id, "tg").await.unwrap(), None);
    store.set_card(id, "tg", "41", t(1)).await.unwrap();
    store.set_card(id, "tg", "42", t(2)).await.unwrap();
    assert_eq!(store.card(id, "tg").await.unwrap().as_deref(), Some("42"));
    assert_eq!(store.card(id, "other").await.unwrap(), None);
    assert_eq!(store.setting("telegram.offset").await.unwrap(), None);
    store.set_setting("telegram.offset", "100", t(1)).await.unwrap();
    store.set_setting("telegram.offset", "101", t(2)).await.unwrap();
    assert_eq!(store.setting("telegram.offset").await.unwrap().as_deref(), Some("101"));
}

on_both_backends!(
    concurrent_commits_succeed_or_fail_each_on_its_own,
    an_event_key_is_acted_on_once_and_a_repeat_writes_nothing,
    a_deferred_message_waits_without_counting_as_a_failed_attempt,
    cards_and_settings_are_remembered_and_replaced,
    a_new_case_reads_back_exactly_as_written,
    case_numbers_count_up_from_one,
    an_update_is_stored_with_a_new_version,
    a_stale_update_is_a_conflict_and_writes_nothing_at_all,
    updating_a_case_that_does_not_exist_says_so,
    events_come_back_in_order_with_their_details,
    events_of_one_kind_come_from_every_case_oldest_first,
    the_event_log_refuses_edits_and_deletions,
    every_kind_of_event_reads_back_with_or_without_a_case,
    queued_messages_are_claimed_in_order_and_marked_delivered,
    a_leased_message_is_handed_out_again_only_after_its_lease_runs_out,
    a_new_leader_takes_over_a_former_leaders_claims_at_once,
    a_lease_has_one_holder_until_it_runs_out_or_is_handed_back,
    a_transient_failure_waits_for_its_retry_time_and_a_permanent_one_is_final,
    each_platform_claims_only_its_own_messages,
    a_chats_later_messages_wait_while_an_earlier_one_is_out_or_waiting_for_its_retry,
    two_workers_claiming_at_once_never_get_the_same_message,
    concurrent_writers_all_commit,
    of_two_concurrent_updates_to_one_version_exactly_one_wins,
    listing_filters_by_ledger_and_owner_newest_first,
    a_chat_language_is_stored_and_can_be_changed,
    migrating_twice_changes_nothing,
);
