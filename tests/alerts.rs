//! Alerts keep their own severity and grouping (issue 18), and an Alertmanager batch is
//! answered with exactly what was taken in (issue 15, item 7): bodies shaped as Alertmanager
//! and Grafana send them, posted to the webhooks of a running tocsin.

use crate::support;

use serde_json::{Value, json};
use support::TestDb;
use support::intake::{AM_TOKEN, GRAFANA_KEY, Intake, bearer, config, signature};
use tocsin::app::Notice;
use tocsin::domain::{CaseId, CaseState, EventAction, Grade};
use tocsin::platform::Platform;

const GRAFANA_FIRING: &str = include_str!("fixtures/grafana/firing.json");
const GRAFANA_RESOLVED: &str = include_str!("fixtures/grafana/resolved.json");

fn id(n: i64) -> CaseId {
    CaseId::parse(&n.to_string()).unwrap()
}

/// The `am` source of the test config with these extra keys.
fn am_with(keys: &str) -> String {
    config("").replace("tags = [\"infra\"]", &format!("tags = [\"infra\"]\n{keys}"))
}

async fn start(keys: &str) -> Intake {
    Intake::start_on(am_with(keys), TestDb::sqlite()).await
}

/// One Alertmanager notification of the group `alertname`: `(fingerprint, instance, severity,
/// status)` per alert, as Alertmanager 0.25 sends it (`tests/fixtures/alertmanager`).
fn notification(alertname: &str, alerts: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    let alerts: Vec<Value> = alerts
        .iter()
        .map(|(fp, instance, severity, status)| {
            json!({
                "status": status,
                "labels": { "alertname": alertname, "instance": instance, "severity": severity },
                "annotations": { "summary": format!("{alertname} on {instance}") },
                "startsAt": "2026-12-04T08:00:00Z",
                "endsAt": if *status == "firing" { "0001-01-01T00:00:00Z" } else { "2026-12-04T08:05:00Z" },
                "generatorURL": "",
                "fingerprint": fp,
            })
        })
        .collect();
    let status = if alerts.iter().any(|a| a["status"] == "firing") { "firing" } else { "resolved" };
    serde_json::to_vec(&json!({
        "receiver": "tocsin", "status": status, "alerts": alerts,
        "groupLabels": { "alertname": alertname }, "commonLabels": { "alertname": alertname },
        "commonAnnotations": {}, "externalURL": "http://am.example:9093", "version": "4",
        "groupKey": format!("{{}}:{{alertname=\"{alertname}\"}}"), "truncatedAlerts": 0,
    }))
    .unwrap()
}

fn five(status: &str) -> Vec<(String, String, &'static str, String)> {
    (0..5).map(|i| (format!("fp{i}"), format!("db-{i}"), "critical", status.to_string())).collect()
}

fn body(alerts: &[(String, String, &str, String)]) -> Vec<u8> {
    let refs: Vec<(&str, &str, &str, &str)> =
        alerts.iter().map(|(f, i, s, st)| (f.as_str(), i.as_str(), *s, st.as_str())).collect();
    notification("DiskFull", &refs)
}

async fn post(intake: &Intake, body: Vec<u8>) -> (u16, Value) {
    intake.post("/api/v1/alertmanager", &[bearer(AM_TOKEN)], body).await
}

/// Everything tocsin queued for the team chat since the last look, oldest first (marked sent).
async fn notices(intake: &Intake) -> Vec<Notice> {
    let now = chrono::Utc::now();
    let lease = now + chrono::Duration::hours(1);
    let items = intake.store.claim_outbox(Platform::Discord, now, lease, 1000).await.unwrap();
    for item in &items {
        intake.store.outbox_delivered(item.id, now).await.unwrap();
    }
    items.iter().map(|i| Notice::from_payload(&i.payload).unwrap()).collect()
}

async fn pending(intake: &Intake) -> i64 {
    intake.store.outbox_pending(Platform::Discord).await.unwrap()
}

fn outcomes(answer: &Value) -> Vec<&str> {
    answer["alerts"].as_array().unwrap().iter().map(|a| a["outcome"].as_str().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_critical_alerts_of_one_notification_become_one_grade_i_case_listing_them() {
    let intake = start("group = \"notification\"").await;
    let (status, answer) = post(&intake, body(&five("firing"))).await;
    assert_eq!((status, outcomes(&answer)), (202, vec!["opened"; 5]), "{answer}");
    let case = intake.store.case(id(1)).await.unwrap().unwrap();
    assert_eq!((case.grade, case.title.as_str()), (Grade::I, "DiskFull"));
    assert!(intake.store.case(id(2)).await.unwrap().is_none(), "one notification, one case");
    assert_eq!(intake.store.case_signals(id(1)).await.unwrap().len(), 5, "each alert is on the record");
    assert_eq!(notices(&intake).await.len(), 1, "the team hears of it once");
    let status = intake.ask("/status 1").await;
    for line in ["Alerts: 5 of 5 firing", "🔴 DiskFull instance=db-3", "severity=critical at the source: at least I"]
    {
        assert!(status.contains(line), "{line} in\n{status}");
    }
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_critical_alerts_grouped_by_alert_become_five_grade_i_cases_and_a_warning_grade_iii() {
    let intake = start("").await;
    let (_, answer) = post(&intake, body(&five("firing"))).await;
    assert_eq!(outcomes(&answer), ["opened"; 5]);
    for n in 1..=5 {
        assert_eq!(intake.store.case(id(n)).await.unwrap().unwrap().grade, Grade::I);
    }
    let warning = notification("QueueSlow", &[("w1", "mq-0", "warning", "firing")]);
    assert_eq!(post(&intake, warning).await.1["alerts"][0]["case"], 6);
    assert_eq!(intake.store.case(id(6)).await.unwrap().unwrap().grade, Grade::III);
    let unknown = notification("Odd", &[("u1", "x-0", "whatever", "firing")]);
    post(&intake, unknown).await;
    assert_eq!(intake.store.case(id(7)).await.unwrap().unwrap().grade, Grade::IV, "no floor: scored as text");
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_severity_map_and_label_replace_the_defaults_and_keywords_can_still_raise() {
    let intake = start("severity_label = \"priority\"\nseverity = { P1 = \"II\", p3 = \"IV\" }").await;
    let alert = |fp: &str, priority: &str, summary: &str| {
        serde_json::to_vec(&json!({ "version": "4", "alerts": [{ "status": "firing", "fingerprint": fp,
            "labels": { "alertname": "X", "priority": priority, "severity": "critical" },
            "annotations": { "summary": summary } }] }))
        .unwrap()
    };
    post(&intake, alert("a", "p1", "Queue backlog")).await;
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().grade, Grade::II, "P1 matches p1; severity is ignored");
    // Keywords (safety ×3 at weight 3 = 9 ≥ II's 8) raise a p3 alert above its floor.
    post(&intake, alert("b", "p3", "gas leak explosion gas leak")).await;
    assert!(intake.store.case(id(2)).await.unwrap().unwrap().grade < Grade::IV);
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_notifications_add_no_signal_no_event_and_no_message() {
    for keys in ["group = \"notification\"", ""] {
        let intake = start(keys).await;
        post(&intake, body(&five("firing"))).await;
        let cases = if keys.is_empty() { 5 } else { 1 };
        let events = |intake: &Intake| {
            let store = intake.store.clone();
            async move {
                let mut n = 0;
                for c in 1..=cases {
                    n += store.events(id(c)).await.unwrap().len();
                }
                n
            }
        };
        let (before_events, before_pending) = (events(&intake).await, pending(&intake).await);
        let seen = intake.store.case_alerts(id(1)).await.unwrap()[0].seen_at;
        for _ in 0..3 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            let (status, answer) = post(&intake, body(&five("firing"))).await;
            assert_eq!((status, outcomes(&answer)), (202, vec!["repeat"; 5]), "{keys}");
        }
        assert_eq!(events(&intake).await, before_events, "{keys}");
        assert_eq!(pending(&intake).await, before_pending, "{keys}");
        let mut signals = 0;
        for c in 1..=cases {
            signals += intake.store.case_signals(id(c)).await.unwrap().len();
        }
        assert_eq!(signals, 5, "{keys}");
        assert!(intake.store.case_alerts(id(1)).await.unwrap()[0].seen_at > seen, "the last-seen time moves");
        intake.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolving_three_of_five_is_listed_and_the_last_one_notes_the_case() {
    let intake = start("group = \"notification\"").await;
    post(&intake, body(&five("firing"))).await;
    notices(&intake).await;
    let mut alerts = five("firing");
    for a in alerts.iter_mut().take(3) {
        a.3 = "resolved".into();
    }
    let (_, answer) = post(&intake, body(&alerts)).await;
    assert_eq!(outcomes(&answer), ["noted", "noted", "noted", "repeat", "repeat"]);
    let said = notices(&intake).await;
    assert!(
        matches!(&said[..], [Notice::AlertsChanged { resolved, firing: 2, total: 5, .. }] if resolved.len() == 3),
        "{said:?}"
    );
    let status = intake.ask("/status 1").await;
    assert!(
        status.contains("Alerts: 2 of 5 firing") && status.contains("🟢 DiskFull instance=db-0 (resolved)"),
        "{status}"
    );
    // The card, as platforms that edit messages show it.
    let case = intake.store.case(id(1)).await.unwrap().unwrap();
    let tracked = intake.store.case_alerts(id(1)).await.unwrap();
    let i18n = tocsin::i18n::I18n::new().unwrap();
    let config = intake.services.app.config().clone();
    let card =
        tocsin::app::card::card(&case, String::new(), &[], &tracked, None, &config, &i18n, tocsin::domain::Locale::En);
    let listed: Vec<&str> = card.facts.iter().map(String::as_str).filter(|f| f.contains("DiskFull")).collect();
    assert_eq!(
        listed,
        [
            "🔴 DiskFull instance=db-3",
            "🔴 DiskFull instance=db-4",
            "🟢 DiskFull instance=db-0 (resolved)",
            "🟢 DiskFull instance=db-1 (resolved)",
            "🟢 DiskFull instance=db-2 (resolved)"
        ]
    );
    assert!(card.facts.iter().any(|f| f == "Alerts: 2 of 5 firing"), "{:?}", card.facts);
    // Alertmanager sends the group's resolved alerts along with the firing ones: repeats.
    assert_eq!(outcomes(&post(&intake, body(&alerts)).await.1), ["repeat"; 5]);
    let (_, answer) = post(&intake, body(&five("resolved"))).await;
    assert_eq!(outcomes(&answer), ["repeat", "repeat", "repeat", "noted", "noted"]);
    let case = intake.store.case(id(1)).await.unwrap().unwrap();
    assert_eq!(case.state, CaseState::Open, "noted, not resolved: people resolve it");
    assert!(matches!(&notices(&intake).await[..], [Notice::AlertsChanged { firing: 0, total: 5, .. }]));
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_auto_resolve_the_last_alert_of_a_group_resolves_its_case() {
    let intake = start("group = \"notification\"\nauto_resolve = true").await;
    post(&intake, body(&five("firing"))).await;
    let mut alerts = five("resolved");
    alerts[4].3 = "firing".into();
    post(&intake, body(&alerts)).await;
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().state, CaseState::Open, "one still fires");
    let (_, answer) = post(&intake, body(&five("resolved"))).await;
    assert_eq!(outcomes(&answer)[4], "resolved");
    let case = intake.store.case(id(1)).await.unwrap().unwrap();
    assert_eq!((case.state, case.resolution.as_deref()), (CaseState::Resolved, Some("am: DiskFull instance=db-4")));
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_firing_again_after_its_case_was_resolved_reopens_it_and_after_closing_opens_a_new_one() {
    let intake = start("auto_resolve = true").await;
    let fire = || notification("HighCPU", &[("cpu", "web-1", "critical", "firing")]);
    let clear = || notification("HighCPU", &[("cpu", "web-1", "critical", "resolved")]);
    post(&intake, fire()).await;
    post(&intake, clear()).await;
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().state, CaseState::Resolved);
    notices(&intake).await;
    let (_, answer) = post(&intake, fire()).await;
    assert_eq!(
        (answer["alerts"][0]["outcome"].as_str(), answer["alerts"][0]["case"].as_i64()),
        (Some("reopened"), Some(1))
    );
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().state, CaseState::Open);
    let said = notices(&intake).await;
    assert!(
        matches!(&said[..], [Notice::AlertRefired { alerts, .. }] if alerts == &["HighCPU instance=web-1"]),
        "{said:?}"
    );
    assert!(intake.store.events(id(1)).await.unwrap().iter().any(|e| e.action == EventAction::Reopened));
    // Resolved and closed by a leader: the team is done with it, so the next firing is news.
    post(&intake, clear()).await;
    intake.ask("/close 1").await;
    let (_, answer) = post(&intake, fire()).await;
    assert_eq!(
        (answer["alerts"][0]["outcome"].as_str(), answer["alerts"][0]["case"].as_i64()),
        (Some("opened"), Some(2))
    );
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().state, CaseState::Closed);
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_full_on_two_hosts_stays_two_cases_and_resolving_one_leaves_the_other() {
    let intake = start("auto_resolve = true").await;
    let disk = |fp: &str, host: &str, status: &str| notification("DiskFull", &[(fp, host, "warning", status)]);
    post(&intake, disk("d0", "db-0", "firing")).await;
    post(&intake, disk("d1", "db-1", "firing")).await;
    assert!(intake.store.case(id(2)).await.unwrap().is_some(), "same text but for a number: still two alerts");
    post(&intake, disk("d0", "db-0", "resolved")).await;
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().state, CaseState::Resolved);
    assert_eq!(intake.store.case(id(2)).await.unwrap().unwrap().state, CaseState::Open);
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grafana_groups_and_grades_its_alerts_the_same_way() {
    let text = config("").replace("hmac_env = \"GRAFANA_KEY\"", "hmac_env = \"GRAFANA_KEY\"\ngroup = \"notification\"");
    let intake = Intake::start_on(text, TestDb::sqlite()).await;
    let send = async |body: &str| {
        let sig = signature("x-grafana-alerting-signature", GRAFANA_KEY, body.as_bytes());
        intake.post("/api/v1/grafana", &[sig], body.as_bytes().to_vec()).await
    };
    let (status, answer) = send(GRAFANA_FIRING).await;
    assert_eq!((status, outcomes(&answer)), (202, vec!["opened", "opened", "opened"]), "{answer}");
    let case = intake.store.case(id(1)).await.unwrap().unwrap();
    // The group's title, not Grafana's "[FIRING:3] …" one, whose count changes.
    assert_eq!((case.grade, case.title.as_str()), (Grade::II, "Replication lag high"));
    let (_, answer) = send(GRAFANA_FIRING).await;
    assert_eq!(outcomes(&answer), ["repeat"; 3]);
    let (_, answer) = send(GRAFANA_RESOLVED).await;
    assert_eq!(outcomes(&answer), ["noted", "repeat", "repeat"]);
    let status = intake.ask("/status 1").await;
    assert!(status.contains("Alerts: 2 of 3 firing") && status.contains("ReplicationLag instance=pg-2"), "{status}");
    intake.shutdown().await;
}

/// A database that fails on the `after`-th alert row written, as a full disk or a lost
/// connection would mid-batch, until `heal` is run.
async fn break_after(db: &(support::Backend, String), after: usize) {
    match db.0 {
        support::Backend::Sqlite => {
            use sqlx::Connection as _;
            let mut conn = sqlx::SqliteConnection::connect(&db.1).await.unwrap();
            let sql = format!(
                "CREATE TRIGGER broken BEFORE INSERT ON alerts WHEN (SELECT COUNT(*) FROM alerts) >= {after} \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            );
            sqlx::query(&sql).execute(&mut conn).await.unwrap();
        }
        support::Backend::Postgres => {
            use sqlx::Connection as _;
            let mut conn = sqlx::PgConnection::connect(&db.1).await.unwrap();
            let function = format!(
                "CREATE FUNCTION broken() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF (SELECT COUNT(*) FROM alerts) >= {after} THEN RAISE EXCEPTION 'injected failure'; END IF; \
                 RETURN NEW; END $$"
            );
            sqlx::query(&function).execute(&mut conn).await.unwrap();
            sqlx::query("CREATE TRIGGER broken BEFORE INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION broken()")
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}

async fn heal(db: &(support::Backend, String)) {
    use sqlx::Connection as _;
    let sql = "DROP TRIGGER broken";
    match db.0 {
        support::Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.1).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        support::Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.1).await.unwrap();
            sqlx::query("DROP TRIGGER broken ON alerts").execute(&mut conn).await.unwrap();
        }
    }
}

async fn a_batch_cut_by_a_database_failure_says_what_was_kept_and_its_retry_adds_nothing_twice(db: TestDb) {
    let handle = (db.backend, db.url.clone());
    let intake = Intake::start_on(am_with(""), db).await;
    let db = handle;
    let batch: Vec<(String, String, &str, String)> =
        (0..12).map(|i| (format!("fp{i}"), format!("db-{i}"), "critical", "firing".to_string())).collect();
    break_after(&db, 7).await;
    let (status, answer) = post(&intake, body(&batch)).await;
    assert_eq!(status, 503, "{answer}");
    assert_eq!(answer["taken_in"], 7);
    let mut want = vec!["opened"; 7];
    want.push("failed");
    want.extend(["not_tried"; 4]);
    assert_eq!(outcomes(&answer), want);
    assert_eq!(answer["alerts"][6], json!({ "fingerprint": "fp6", "outcome": "opened", "case": 7 }));
    assert!(answer["error"].as_str().unwrap().contains("7 of 12"), "{answer}");
    assert!(intake.store.case(id(7)).await.unwrap().is_some() && intake.store.case(id(8)).await.unwrap().is_none());

    heal(&db).await;
    let (status, answer) = post(&intake, body(&batch)).await;
    assert_eq!(status, 202, "{answer}");
    let mut want = vec!["repeat"; 7];
    want.extend(["opened"; 5]);
    assert_eq!(outcomes(&answer), want);
    // Postgres does not give back the case number the failed commit drew: count the cases.
    let cases = intake.store.cases(&tocsin::store::CaseFilter::default()).await.unwrap();
    assert_eq!(cases.len(), 12, "no case twice");
    let mut signals = 0;
    for case in &cases {
        signals += intake.store.case_signals(case.id).await.unwrap().len();
    }
    assert_eq!(signals, 12, "every alert once");
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_taken_in_before_alerts_were_tracked_finds_its_case_by_its_signals() {
    use tocsin::store::{CaseWrite, Commit, NewSignal};
    let intake = start("").await;
    let now = chrono::Utc::now();
    // As an older tocsin left it: a case whose signal carries the alert's fingerprint, no alert row.
    let new = tocsin::domain::NewCase {
        owner: None,
        leader: None,
        team: "city-desk".into(),
        title: "CPU > 90%".into(),
        summary: None,
        source: "am".into(),
        grade: Grade::IV,
        opened_by: "tocsin".into(),
        drill: false,
        opened_at: now,
    };
    let signal = NewSignal {
        source: "am".into(),
        title: "CPU > 90%".into(),
        url: None,
        fingerprint: Some("am:7b7eebf4efc7d977".into()),
        simhash: 1,
        sketch: None,
        score: 0.0,
        explanation: "{}".into(),
        received_at: now,
        specifics: None,
    };
    let commit = Commit { signals: vec![signal], ..Commit::new(CaseWrite::Insert(new), now) };
    intake.store.commit(commit).await.unwrap();
    let firing = include_str!("fixtures/alertmanager/firing.json");
    let (_, answer) = post(&intake, firing.as_bytes().to_vec()).await;
    assert_eq!(
        (answer["alerts"][0]["outcome"].as_str(), answer["alerts"][0]["case"].as_i64()),
        (Some("joined"), Some(1))
    );
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().grade, Grade::I, "raised to its severity");
    let resolved = include_str!("fixtures/alertmanager/resolved.json");
    assert_eq!(outcomes(&post(&intake, resolved.as_bytes().to_vec()).await.1), ["noted"]);
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_twice_in_one_notification_counts_once_and_both_mentions_are_answered() {
    let intake = start("group = \"notification\"").await;
    let twice = notification("DiskFull", &[("d0", "db-0", "critical", "firing"), ("d0", "db-0", "critical", "firing")]);
    let (status, answer) = post(&intake, twice).await;
    assert_eq!((status, outcomes(&answer)), (202, vec!["opened", "opened"]), "{answer}");
    assert_eq!(intake.store.case_alerts(id(1)).await.unwrap().len(), 1);
    intake.shutdown().await;
}

async fn the_same_notification_posted_eight_times_at_once_is_taken_in_once(db: TestDb) {
    let intake = Intake::start_on(am_with("group = \"notification\""), db).await;
    let posts = (0..8).map(|_| post(&intake, body(&five("firing"))));
    let answers = futures::future::join_all(posts).await;
    assert!(answers.iter().all(|(status, _)| *status == 202), "{answers:?}");
    let opened = answers.iter().filter(|(_, a)| outcomes(a) == ["opened"; 5]).count();
    assert_eq!(opened, 1, "{answers:?}");
    let cases = intake.store.cases(&tocsin::store::CaseFilter::default()).await.unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(intake.store.case_signals(cases[0].id).await.unwrap().len(), 5);
    intake.shutdown().await;
}

on_both_backends!(
    a_batch_cut_by_a_database_failure_says_what_was_kept_and_its_retry_adds_nothing_twice,
    the_same_notification_posted_eight_times_at_once_is_taken_in_once,
);
