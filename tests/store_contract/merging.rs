//! The store's contract for decisions about two cases at once (`/merge`, `/split`): both cases,
//! their events and notices, and the signals moved between them, in one transaction or not at all.

use super::*;
use tocsin::store::{OtherCase, SignalMove};

fn signal(source: &str, fingerprint: Option<&str>, at: DateTime<Utc>) -> tocsin::store::NewSignal {
    tocsin::store::NewSignal {
        source: source.into(),
        title: format!("report from {source}"),
        url: None,
        fingerprint: fingerprint.map(str::to_string),
        simhash: 1,
        sketch: None,
        score: 1.0,
        explanation: "{}".into(),
        received_at: at,
        specifics: None,
    }
}

async fn with_signals(store: &Arc<dyn Store>, title: &str, sources: &[&str]) -> CaseId {
    let signals = sources.iter().map(|s| signal(s, Some(&format!("fp:{s}")), t(0))).collect();
    let commit = Commit { signals, ..Commit::new(CaseWrite::Insert(new_case(title, t(0))), t(0)) };
    store.commit(commit).await.unwrap().unwrap()
}

fn merge_commit(into: Case, mut from: Case, at: DateTime<Utc>) -> Commit {
    let from_id = from.id;
    from.merge_into(into.id, at).unwrap();
    Commit {
        events: vec![event(EventAction::MergedFrom, at)],
        outbox: vec![post("ops", Platform::Console, "into")],
        others: vec![OtherCase {
            case: from,
            events: vec![event(EventAction::MergedInto, at)],
            outbox: vec![post("ops", Platform::Console, "from")],
        }],
        moves: vec![SignalMove::All { from: from_id }],
        ..Commit::new(CaseWrite::Update(into), at)
    }
}

async fn a_merge_writes_both_cases_and_moves_every_signal_in_one_commit(db: TestDb) {
    let store = db.store().await;
    let a = with_signals(&store, "a", &["weibo", "xinhua"]).await;
    let b = with_signals(&store, "b", &["rss"]).await;
    let (from, into) = (store.case(a).await.unwrap().unwrap(), store.case(b).await.unwrap().unwrap());
    assert_eq!(store.commit(merge_commit(into, from, t(5))).await.unwrap(), Some(b));
    let from = store.case(a).await.unwrap().unwrap();
    assert_eq!((from.state, from.merged_into, from.version), (CaseState::Closed, Some(b), 2));
    assert!(store.case_signals(a).await.unwrap().is_empty());
    let sources: Vec<String> = store.case_signals(b).await.unwrap().into_iter().map(|s| s.signal.source).collect();
    assert_eq!(sources, ["weibo", "xinhua", "rss"], "oldest first, whichever case they came from");
    assert_eq!(store.case_by_fingerprint("fp:weibo").await.unwrap(), Some(b));
    let actions = |events: Vec<tocsin::domain::Event>| events.into_iter().map(|e| e.action).collect::<Vec<_>>();
    assert_eq!(actions(store.events(a).await.unwrap()), [EventAction::MergedInto]);
    assert_eq!(actions(store.events(b).await.unwrap()), [EventAction::MergedFrom]);
    let queued = store.claim_outbox(Platform::Console, t(6), t(60), 10).await.unwrap();
    let by_case: Vec<(Option<CaseId>, &str)> = queued.iter().map(|m| (m.case, m.payload.as_str())).collect();
    assert!(by_case.contains(&(Some(a), "from")) && by_case.contains(&(Some(b), "into")), "{by_case:?}");
}

async fn a_merge_written_against_a_stale_case_is_a_conflict_and_moves_nothing(db: TestDb) {
    let store = db.store().await;
    let a = with_signals(&store, "a", &["weibo"]).await;
    let b = with_signals(&store, "b", &["rss"]).await;
    let (from, into) = (store.case(a).await.unwrap().unwrap(), store.case(b).await.unwrap().unwrap());
    // Someone acknowledges the case being merged away in the meantime.
    let mut acked = from.clone();
    acked.acknowledge(t(1)).unwrap();
    update(&store, acked, EventAction::Acknowledged, vec![]).await.unwrap();
    let stale = store.commit(merge_commit(into, from, t(5))).await;
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    assert_eq!(store.case_signals(a).await.unwrap().len(), 1, "no signal moved");
    assert_eq!(store.case(b).await.unwrap().unwrap().version, 1, "the target was not written either");
    assert!(store.events(b).await.unwrap().is_empty());
    assert_eq!(store.case(a).await.unwrap().unwrap().merged_into, None);
}

async fn a_split_opens_a_case_with_one_signal_and_names_it_on_the_old_one(db: TestDb) {
    let store = db.store().await;
    let a = with_signals(&store, "a", &["weibo", "xinhua"]).await;
    let signals = store.case_signals(a).await.unwrap();
    let old = store.case(a).await.unwrap().unwrap();
    let split = |old: Case, signal: i64| Commit {
        events: vec![event(EventAction::Opened, t(5))],
        others: vec![OtherCase {
            case: old,
            events: vec![NewEvent { details: json!({ "into": "{case}" }), ..event(EventAction::SplitOut, t(5)) }],
            outbox: vec![post("ops", Platform::Console, r#"{"into":"{case}"}"#)],
        }],
        moves: vec![SignalMove::One { from: a, signal }],
        ..Commit::new(CaseWrite::Insert(new_case("split", t(5))), t(5))
    };
    let new = store.commit(split(old.clone(), signals[1].id)).await.unwrap().unwrap();
    assert_eq!(store.case_signals(new).await.unwrap()[0].signal.source, "xinhua");
    assert_eq!(store.case_signals(a).await.unwrap().len(), 1);
    assert_eq!(store.case_by_fingerprint("fp:xinhua").await.unwrap(), Some(new));
    let out = store.events(a).await.unwrap();
    assert_eq!(out[0].details, json!({ "into": new.get().to_string() }), "the new case's number is filled in");
    let queued = store.claim_outbox(Platform::Console, t(6), t(60), 10).await.unwrap();
    assert_eq!(queued[0].payload, format!(r#"{{"into":"{}"}}"#, new.get()));
    // The same signal again (on a fresh read of the case): it is not the old case's any more.
    let again = store.commit(split(store.case(a).await.unwrap().unwrap(), signals[1].id)).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    assert_eq!(store.cases(&CaseFilter::default()).await.unwrap().len(), 2, "no third case was kept");
}

/// Two leaders merge the same two cases into each other at the same moment (each pressed the
/// other's Merge button): one merge is written, the other is a conflict to decide again on
/// fresh data — never a deadlock that fails both or one with an internal error.
async fn opposite_merges_at_once_write_one_and_refuse_the_other_as_a_conflict(db: TestDb) {
    let store = db.store().await;
    for round in 0..20 {
        let a = with_signals(&store, &format!("a{round}"), &["weibo"]).await;
        let b = with_signals(&store, &format!("b{round}"), &["rss"]).await;
        let (case_a, case_b) = (store.case(a).await.unwrap().unwrap(), store.case(b).await.unwrap().unwrap());
        let a_into_b = merge_commit(case_b.clone(), case_a.clone(), t(5));
        let b_into_a = merge_commit(case_a, case_b, t(5));
        let (one, other) = tokio::join!(store.commit(a_into_b), store.commit(b_into_a));
        let written = [&one, &other].iter().filter(|r| r.is_ok()).count();
        let conflicts = [&one, &other].iter().filter(|r| matches!(r, Err(StoreError::Conflict))).count();
        assert_eq!((written, conflicts), (1, 1), "round {round}: {one:?} and {other:?}");
        let kept = (store.case_signals(a).await.unwrap().len(), store.case_signals(b).await.unwrap().len());
        assert!(kept == (0, 2) || kept == (2, 0), "round {round}: signals left on the two cases {kept:?}");
    }
}

on_both_backends!(
    opposite_merges_at_once_write_one_and_refuse_the_other_as_a_conflict,
    a_merge_writes_both_cases_and_moves_every_signal_in_one_commit,
    a_merge_written_against_a_stale_case_is_a_conflict_and_moves_nothing,
    a_split_opens_a_case_with_one_signal_and_names_it_on_the_old_one,
);
