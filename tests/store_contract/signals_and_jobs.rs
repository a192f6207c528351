//! The store's contract for signals and stories, the scheduler's jobs, and settings: on both
//! backends, like the rest of this binary.

use super::*;

fn signal(source: &str, fingerprint: Option<&str>, simhash: u64, at: DateTime<Utc>) -> tocsin::store::NewSignal {
    tocsin::store::NewSignal {
        source: source.into(),
        title: "燃气泄漏".into(),
        url: Some("https://example.org/a".into()),
        fingerprint: fingerprint.map(str::to_string),
        simhash,
        sketch: Some(tocsin::text::sketch(&["燃气".into(), "泄漏".into(), simhash.to_string()])),
        score: 7.25,
        explanation: "safety ×2 (燃气, 泄漏) → II".into(),
        received_at: at,
        specifics: None,
    }
}

async fn signals_travel_with_their_case_and_stories_are_found_by_time_and_fingerprint(db: TestDb) {
    let store = db.store().await;
    let commit =
        |title: &str, sigs| Commit { signals: sigs, ..Commit::new(CaseWrite::Insert(new_case(title, t(0))), t(0)) };
    // u64::MAX has the top bit set: it must survive the signed 64-bit column.
    let a = store.commit(commit("a", vec![signal("xinhua", Some("am:1"), u64::MAX, t(0))])).await.unwrap().unwrap();
    let b = store.commit(commit("b", vec![signal("weibo", None, 42, t(100))])).await.unwrap().unwrap();
    let stored = store.case_signals(a).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].signal, signal("xinhua", Some("am:1"), u64::MAX, t(0)));
    assert_eq!(store.case_by_fingerprint("am:1").await.unwrap(), Some(a));
    assert_eq!(store.case_by_fingerprint("am:2").await.unwrap(), None);
    let window = store.story_hashes(t(50), None).await.unwrap();
    let hashes = |rows: &[StoryHash]| rows.iter().map(|r| (r.case, r.simhash, r.received_at)).collect::<Vec<_>>();
    assert_eq!(hashes(&window), [(b, 42, t(100))]);
    assert_eq!(window[0].sketch, signal("weibo", None, 42, t(100)).sketch, "the index gets each signal's sketch");
    let all = store.story_hashes(t(0), None).await.unwrap();
    assert_eq!(hashes(&all), [(a, u64::MAX, t(0)), (b, 42, t(100))]);
    // Catching up reads by row id, whenever the rows were received.
    assert_eq!(store.story_hashes(t(1000), Some(all[0].id)).await.unwrap(), window);
    assert_eq!(store.story_hashes(t(0), Some(all[1].id)).await.unwrap(), []);
    assert_eq!(store.story_hashes_by_id(&[all[1].id, 999_999]).await.unwrap(), window);
    assert_eq!(store.story_hashes_by_id(&[]).await.unwrap(), []);
    // A signal without a sketch (as stored before sketches were kept) reads back without one.
    let legacy = tocsin::store::NewSignal { sketch: None, ..signal("rss", None, 7, t(200)) };
    let c = store.commit(commit("c", vec![legacy.clone()])).await.unwrap().unwrap();
    assert_eq!(store.case_signals(c).await.unwrap()[0].signal, legacy);
    let rows = store.story_hashes(t(150), None).await.unwrap();
    assert_eq!((rows.len(), rows[0].case, rows[0].sketch.clone()), (1, c, None));
    assert_eq!(store.story_hashes_by_id(&[rows[0].id]).await.unwrap(), rows);
    // A case's first signal keeps its specifics for "possibly the same story"; the index gets them.
    let specifics = tocsin::text::Specifics {
        strong: vec!["荷花小区".into()],
        weak: vec!["3栋".into()],
        categories: vec!["safety".into()],
        terms: vec!["燃气".into()],
        ids: vec!["栋:3".into()],
    };
    let first = tocsin::store::NewSignal { specifics: Some(specifics.clone()), ..signal("rss", None, 8, t(300)) };
    store.commit(commit("d", vec![first])).await.unwrap().unwrap();
    let rows = store.story_hashes(t(250), None).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.specifics.clone()).collect::<Vec<_>>(), [Some(specifics)]);
    // A closed story takes no more signals by fingerprint (its hashes stay; joining checks the case).
    let mut case_a = store.case(a).await.unwrap().unwrap();
    case_a.dismiss("noise", t(1)).unwrap();
    update(&store, case_a, EventAction::Dismissed, vec![]).await.unwrap();
    assert_eq!(store.case_by_fingerprint("am:1").await.unwrap(), None);
}

async fn a_case_counts_its_distinct_sources_within_the_window(db: TestDb) {
    let store = db.store().await;
    let sigs = vec![signal("weibo", None, 1, t(0)), signal("xinhua", None, 2, t(10)), signal("weibo", None, 3, t(20))];
    let commit = Commit { signals: sigs, ..Commit::new(CaseWrite::Insert(new_case("gas", t(0))), t(0)) };
    let id = store.commit(commit).await.unwrap().unwrap();
    assert_eq!(store.case_sources(id, t(0)).await.unwrap(), ["weibo", "xinhua"]);
    assert_eq!(store.case_sources(id, t(15)).await.unwrap(), ["weibo"]);
    assert_eq!(store.case_sources(id, t(30)).await.unwrap(), Vec::<String>::new());
}

fn job(key: &str, case: Option<CaseId>, due: DateTime<Utc>) -> JobWrite {
    JobWrite::Schedule(NewJob {
        key: key.into(),
        kind: "clock".into(),
        case,
        team: Some("city-desk".into()),
        due,
        payload: r#"{"stage":"breach"}"#.into(),
    })
}

fn with_jobs(jobs: Vec<JobWrite>, at: DateTime<Utc>) -> Commit {
    Commit { jobs, ..Commit::new(CaseWrite::None, at) }
}

async fn a_job_is_queued_once_per_key_and_a_withdrawn_one_can_return(db: TestDb) {
    let store = db.store().await;
    let case = open(&store, "x", t(0), vec![]).await;
    store.commit(with_jobs(vec![job("a", Some(case), t(10)), job("a", Some(case), t(99))], t(0))).await.unwrap();
    assert_eq!(store.job("a").await.unwrap().unwrap().due, t(10), "the first schedule stands");
    store
        .commit(with_jobs(
            vec![JobWrite::WithdrawCase { case, kind: "clock".into() }, job("b", Some(case), t(20))],
            t(1),
        ))
        .await
        .unwrap();
    assert_eq!(store.job("a").await.unwrap().unwrap().state, JobState::Withdrawn);
    assert_eq!(store.next_job_due().await.unwrap(), Some(t(20)));
    store.commit(with_jobs(vec![job("a", Some(case), t(15))], t(2))).await.unwrap();
    let a = store.job("a").await.unwrap().unwrap();
    assert_eq!((a.state, a.due), (JobState::Pending, t(15)), "scheduled again, at its new time");
    store.commit(with_jobs(vec![JobWrite::Withdraw("b".into())], t(3))).await.unwrap();
    let keys: Vec<(String, JobState)> =
        store.case_jobs(case).await.unwrap().into_iter().map(|j| (j.key, j.state)).collect();
    assert_eq!(keys, [("a".to_string(), JobState::Pending), ("b".to_string(), JobState::Withdrawn)]);
    // Several at once (written as one statement): a new one queued, a withdrawn one back, a
    // pending one left as it was.
    let three = vec![job("c", Some(case), t(30)), job("b", Some(case), t(31)), job("a", Some(case), t(99))];
    store.commit(with_jobs(three, t(4))).await.unwrap();
    let mut jobs: Vec<(String, JobState, DateTime<Utc>)> =
        store.case_jobs(case).await.unwrap().into_iter().map(|j| (j.key, j.state, j.due)).collect();
    jobs.sort_by(|a, b| a.0.cmp(&b.0));
    let pending = |k: &str, due| (k.to_string(), JobState::Pending, due);
    assert_eq!(jobs, [pending("a", t(15)), pending("b", t(31)), pending("c", t(30))]);
}

async fn a_job_runs_once_in_the_transaction_of_what_it_sends(db: TestDb) {
    let store = db.store().await;
    let case = open(&store, "x", t(0), vec![]).await;
    store.commit(with_jobs(vec![job("remind", Some(case), t(10))], t(0))).await.unwrap();
    assert!(store.claim_jobs(t(9), t(39), 10).await.unwrap().is_empty(), "not due yet");
    let claimed = store.claim_jobs(t(10), t(40), 10).await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.key.as_str()).collect::<Vec<_>>(), ["remind"]);
    assert_eq!(claimed[0].attempts, 1);
    assert!(store.claim_jobs(t(11), t(41), 10).await.unwrap().is_empty(), "leased");
    assert_eq!(store.next_job_due().await.unwrap(), Some(t(40)), "claimable again when the lease runs out");
    let run = || Commit {
        outbox: vec![post("ops", Platform::Console, "reminder")],
        job_done: Some("remind".into()),
        ..Commit::new(CaseWrite::None, t(12))
    };
    store.commit(run()).await.unwrap();
    assert!(matches!(store.commit(run()).await, Err(StoreError::Duplicate)), "a second run is refused");
    assert_eq!(store.outbox_pending(Platform::Console).await.unwrap(), 1, "and sends nothing");
    let done = store.job("remind").await.unwrap().unwrap();
    assert_eq!((done.state, done.done_at), (JobState::Done, Some(t(12))));
    assert_eq!(store.jobs_done_between("clock", t(12), t(13)).await.unwrap(), [done]);
    assert!(store.jobs_done_between("clock", t(13), t(99)).await.unwrap().is_empty());
    assert_eq!(store.next_job_due().await.unwrap(), None);
    store.commit(with_jobs(vec![job("remind", Some(case), t(50))], t(13))).await.unwrap();
    assert_eq!(store.job("remind").await.unwrap().unwrap().state, JobState::Done, "done stays done");
}

async fn two_schedulers_claiming_at_once_never_get_the_same_job(db: TestDb) {
    let store = db.store().await;
    let jobs = (0..200).map(|i| job(&format!("j{i:03}"), None, t(i % 7))).collect();
    store.commit(with_jobs(jobs, t(0))).await.unwrap();
    let claim = |store: Arc<dyn Store>| async move {
        let mut mine = vec![];
        loop {
            let got = store.claim_jobs(t(10), t(100), 7).await.unwrap();
            if got.is_empty() {
                return mine;
            }
            mine.extend(got.into_iter().map(|j| j.key));
        }
    };
    let (a, b) = tokio::join!(tokio::spawn(claim(store.clone())), tokio::spawn(claim(store.clone())));
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut all: Vec<String> = a.iter().chain(&b).cloned().collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), a.len() + b.len(), "no job claimed twice");
    assert_eq!(all.len(), 200, "every job claimed");
}

async fn settings_are_listed_by_prefix(db: TestDb) {
    let store = db.store().await;
    for (k, v) in
        [("duty:swap:a_b:2026-11-02", "bob"), ("duty:swap:a_b:2026-11-01", "dana"), ("duty:swapX", "no"), ("w", "1")]
    {
        store.set_setting(k, v, t(0)).await.unwrap();
    }
    let got = store.settings_with_prefix("duty:swap:a_b:").await.unwrap();
    assert_eq!(
        got,
        [("duty:swap:a_b:2026-11-01".into(), "dana".into()), ("duty:swap:a_b:2026-11-02".into(), "bob".into())]
    );
    assert!(store.settings_with_prefix("duty:swap:a%").await.unwrap().is_empty(), "% is not a wildcard");
}

async fn the_first_response_time_is_stored(db: TestDb) {
    let store = db.store().await;
    let mut case = store.case(open(&store, "x", t(0), vec![]).await).await.unwrap().unwrap();
    case.published(t(2));
    update(&store, case.clone(), EventAction::StatementPublished, vec![]).await.unwrap();
    assert_eq!(store.case(case.id).await.unwrap().unwrap().responded_at, Some(t(2)));
}

async fn old_signal_text_is_cleared_and_the_audit_skeleton_stays(db: TestDb) {
    let store = db.store().await;
    let commit =
        |title: &str, sigs| Commit { signals: sigs, ..Commit::new(CaseWrite::Insert(new_case(title, t(0))), t(0)) };
    let old = vec![signal("weibo", Some("am:1"), 1, t(0)), signal("xinhua", None, 2, t(10))];
    let a = store.commit(commit("a", old)).await.unwrap().unwrap();
    let b = store.commit(commit("b", vec![signal("rss", None, 3, t(100))])).await.unwrap().unwrap();
    assert_eq!(store.purge_signal_text(t(50), t(1000), true).await.unwrap(), 2, "a dry run counts");
    assert_eq!(
        store.case_signals(a).await.unwrap()[0].signal,
        signal("weibo", Some("am:1"), 1, t(0)),
        "and changes nothing"
    );
    assert_eq!(store.purge_signal_text(t(50), t(1000), false).await.unwrap(), 2);
    for (stored, (source, hash, at)) in
        store.case_signals(a).await.unwrap().iter().zip([("weibo", 1, t(0)), ("xinhua", 2, t(10))])
    {
        let kept = tocsin::store::NewSignal { title: String::new(), url: None, ..signal(source, None, hash, at) };
        let fingerprint = stored.signal.fingerprint.clone();
        assert_eq!(tocsin::store::NewSignal { fingerprint: None, ..stored.signal.clone() }, kept, "only the text goes");
        assert_eq!(fingerprint, (source == "weibo").then(|| "am:1".to_string()));
    }
    assert_eq!(store.case_signals(b).await.unwrap()[0].signal, signal("rss", None, 3, t(100)), "newer text stays");
    assert_eq!(store.purge_signal_text(t(50), t(2000), false).await.unwrap(), 0, "cleared once");
    assert_eq!(store.purge_signal_text(t(50), t(2000), true).await.unwrap(), 0);
    assert_eq!(store.case(a).await.unwrap().unwrap().title, "a", "the case and its log stay");
}

/// Intake commits at once (on SQLite the writer takes them as one batch and writes it table
/// by table): each case gets its own events, notices, signals and clock job, and one refused
/// commit (a repeated key) takes nothing from the others.
async fn intake_commits_at_once_each_keep_their_own_rows(db: TestDb) {
    let store = db.store().await;
    let commit = |i: i64, key: i64| Commit {
        events: vec![NewEvent { details: json!({ "n": i }), ..event(EventAction::Opened, t(i)) }],
        outbox: ["ops", "mirror"].map(|chat| post(&format!("{chat}-{i}"), Platform::Console, &i.to_string())).to_vec(),
        handled: Some(format!("intake:{key}")),
        signals: vec![tocsin::store::NewSignal {
            title: format!("signal {i}"),
            ..signal("wire", None, i as u64, t(i))
        }],
        jobs: vec![JobWrite::ScheduleForCase(NewJob {
            key: "clock:{case}:ack".into(),
            kind: "clock".into(),
            case: None,
            team: None,
            due: t(600 + i),
            payload: i.to_string(),
        })],
        ..Commit::new(CaseWrite::Insert(new_case(&format!("case {i}"), t(i))), t(i))
    };
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        // The last one repeats the first one's key.
        let (to, write) = (store.clone(), commit(i, if i == 39 { 0 } else { i }));
        tasks.spawn(async move { (i, to.commit(write).await) });
    }
    let mut opened = std::collections::BTreeMap::new();
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            (i, Ok(Some(case))) => assert!(opened.insert(i, case).is_none()),
            (i, Err(StoreError::Duplicate)) if i == 0 || i == 39 => {}
            (i, other) => panic!("commit {i}: {other:?}"),
        }
    }
    assert_eq!(opened.len(), 39, "all but one of the two with one key");
    let notices = store.claim_outbox(Platform::Console, t(100), t(130), 1000).await.unwrap();
    assert_eq!(notices.len(), 78);
    for (i, case) in &opened {
        assert_eq!(store.case(*case).await.unwrap().unwrap().title, format!("case {i}"));
        let events = store.events(*case).await.unwrap();
        assert_eq!(events.iter().map(|e| e.details["n"].as_i64()).collect::<Vec<_>>(), [Some(*i)]);
        let signals = store.case_signals(*case).await.unwrap();
        assert_eq!(signals.iter().map(|s| s.signal.title.clone()).collect::<Vec<_>>(), [format!("signal {i}")]);
        let jobs = store.case_jobs(*case).await.unwrap();
        assert_eq!(
            jobs.iter().map(|j| (j.key.clone(), j.payload.clone())).collect::<Vec<_>>(),
            [(format!("clock:{}:ack", case.get()), i.to_string())]
        );
        let mut chats: Vec<_> =
            notices.iter().filter(|n| n.case == Some(*case)).map(|n| (n.chat.clone(), n.payload.clone())).collect();
        chats.sort();
        assert_eq!(chats, [(format!("mirror-{i}"), i.to_string()), (format!("ops-{i}"), i.to_string())]);
    }
}

on_both_backends!(
    intake_commits_at_once_each_keep_their_own_rows,
    old_signal_text_is_cleared_and_the_audit_skeleton_stays,
    a_job_is_queued_once_per_key_and_a_withdrawn_one_can_return,
    a_job_runs_once_in_the_transaction_of_what_it_sends,
    two_schedulers_claiming_at_once_never_get_the_same_job,
    settings_are_listed_by_prefix,
    the_first_response_time_is_stored,
    signals_travel_with_their_case_and_stories_are_found_by_time_and_fingerprint,
    a_case_counts_its_distinct_sources_within_the_window,
);
