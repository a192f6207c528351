//! The store's contract for the alerts of alert sources (issue 18): each alert's case, group
//! and state, kept with the decision that changed them; a repeat moves only its last-seen time.

use super::*;
use tocsin::store::{AlertWrite, TrackedAlert};

fn set(fp: &str, group: Option<&str>, name: &str, firing: bool, new: bool) -> AlertWrite {
    AlertWrite::Set { fingerprint: fp.into(), group: group.map(str::to_string), name: name.into(), firing, new }
}

async fn open_with(
    store: &Arc<dyn Store>,
    title: &str,
    at: DateTime<Utc>,
    alerts: Vec<AlertWrite>,
) -> Result<Option<CaseId>, StoreError> {
    store.commit(Commit { alerts, ..Commit::new(CaseWrite::Insert(new_case(title, at)), at) }).await
}

async fn alerts_are_kept_with_their_case_and_group_and_read_back(db: TestDb) {
    let store = db.store().await;
    let key = "am:{}:{alertname=\"DiskFull\"}";
    let group = Some(key);
    let writes = vec![
        set("am:b", group, "DiskFull instance=db-1", true, true),
        set("am:a", group, "DiskFull instance=db-0", true, true),
    ];
    let case = open_with(&store, "DiskFull", t(0), writes).await.unwrap().unwrap();
    let listed = store.case_alerts(case).await.unwrap();
    let a = TrackedAlert {
        fingerprint: "am:a".into(),
        case,
        group: group.map(str::to_string),
        name: "DiskFull instance=db-0".into(),
        firing: true,
        changed_at: t(0),
        seen_at: t(0),
    };
    assert_eq!(listed[0], a, "by name, exactly as written");
    assert_eq!(listed.iter().map(|a| a.fingerprint.as_str()).collect::<Vec<_>>(), ["am:a", "am:b"]);
    let mut found = store.alerts(&["am:b".into(), "am:a".into(), "am:zzz".into()]).await.unwrap();
    found.sort_by(|x, y| x.fingerprint.cmp(&y.fingerprint));
    assert_eq!(found, listed, "unknown fingerprints are left out");
    assert_eq!(store.alerts(&[]).await.unwrap(), []);
    assert_eq!(store.alert_group_case(key).await.unwrap(), Some(case));
    assert_eq!(store.alert_group_case("am:other").await.unwrap(), None);
    assert_eq!(store.case_alerts(CaseId::parse("99").unwrap()).await.unwrap(), []);
}

async fn a_repeat_moves_only_the_last_seen_time_and_a_change_moves_both(db: TestDb) {
    let store = db.store().await;
    let case =
        open_with(&store, "HighCPU", t(0), vec![set("am:c", None, "HighCPU", true, true)]).await.unwrap().unwrap();
    let seen = vec![AlertWrite::Seen { fingerprint: "am:c".into() }];
    assert_eq!(store.commit(Commit { alerts: seen, ..Commit::new(CaseWrite::None, t(30)) }).await.unwrap(), None);
    let alert = store.case_alerts(case).await.unwrap().remove(0);
    assert_eq!((alert.firing, alert.changed_at, alert.seen_at), (true, t(0), t(30)));
    let mut c = store.case(case).await.unwrap().unwrap();
    c.updated_at = t(60);
    let cleared = vec![set("am:c", None, "HighCPU", false, false)];
    store.commit(Commit { alerts: cleared, ..Commit::new(CaseWrite::Update(c), t(60)) }).await.unwrap();
    let alert = store.case_alerts(case).await.unwrap().remove(0);
    assert_eq!((alert.firing, alert.changed_at, alert.seen_at), (false, t(60), t(60)));
    // Firing again on a new case (the old one was closed) moves the alert there.
    let moved = vec![set("am:c", None, "HighCPU", true, false)];
    let second = open_with(&store, "HighCPU again", t(90), moved).await.unwrap().unwrap();
    assert_eq!(store.case_alerts(case).await.unwrap(), []);
    assert_eq!(store.case_alerts(second).await.unwrap()[0].case, second);
}

async fn an_alert_recorded_as_new_twice_is_a_conflict_and_the_second_commit_writes_nothing(db: TestDb) {
    let store = db.store().await;
    open_with(&store, "first", t(0), vec![set("am:d", None, "D", true, true)]).await.unwrap();
    let second = open_with(&store, "second", t(1), vec![set("am:d", None, "D", true, true)]).await;
    assert!(matches!(second, Err(StoreError::Conflict)), "{second:?}");
    assert_eq!(store.cases(&CaseFilter::default()).await.unwrap().len(), 1, "the second case was not kept");
    // Updating an alert nobody recorded is a conflict too: the decision was made on stale facts.
    let stale = open_with(&store, "third", t(2), vec![set("am:e", None, "E", true, false)]).await;
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
}

on_both_backends!(
    alerts_are_kept_with_their_case_and_group_and_read_back,
    a_repeat_moves_only_the_last_seen_time_and_a_change_moves_both,
    an_alert_recorded_as_new_twice_is_a_conflict_and_the_second_commit_writes_nothing,
);
