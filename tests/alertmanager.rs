//! The real Prometheus Alertmanager (Debian's `prometheus-alertmanager`, installed by
//! `.ci/run`) fires alerts and resolves them; they arrive through `/api/v1/alertmanager`,
//! graded by their severity and grouped as the source says (issue 18).

use crate::support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::intake::{AM_TOKEN, Intake};
use tocsin::domain::{CaseId, CaseState, EventAction};

const BINARY: &str = "prometheus-alertmanager";

struct Alertmanager {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts Alertmanager routing every alert to tocsin's webhook, or `None` (with a notice)
/// where it is not installed — except under CI, where it must be.
async fn alertmanager(webhook: &str) -> Option<Alertmanager> {
    alertmanager_repeating(webhook, "1h").await
}

/// The same, repeating a group's notification every `repeat` while nothing changes.
async fn alertmanager_repeating(webhook: &str, repeat: &str) -> Option<Alertmanager> {
    if Command::new(BINARY).arg("--version").output().is_err() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but {BINARY} is not installed (.ci/run installs it)");
        }
        eprintln!("NOTICE: {BINARY} is not installed; skipping the real Alertmanager test");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    // group_wait is how long Alertmanager gathers a new group's alerts before its first
    // notification: at 1 s a loaded CI machine once let the first of five alerts posted together
    // go out alone (its own summary became the case's title).
    let config = format!(
        "route:\n  receiver: tocsin\n  group_by: ['alertname']\n  group_wait: 3s\n  group_interval: 1s\n  repeat_interval: {repeat}\n\
         receivers:\n  - name: tocsin\n    webhook_configs:\n      - url: {webhook}\n        send_resolved: true\n\
         \x20       http_config:\n          authorization:\n            type: Bearer\n            credentials: {AM_TOKEN}\n"
    );
    std::fs::write(dir.path().join("am.yml"), config).unwrap();
    let port = free_port();
    let child = Command::new(BINARY)
        .arg(format!("--config.file={}", dir.path().join("am.yml").display()))
        .arg(format!("--storage.path={}", dir.path().join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start alertmanager");
    let am = Alertmanager { child, url: format!("http://127.0.0.1:{port}"), _dir: dir };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if client.get(format!("{}/-/ready", am.url)).send().await.is_ok_and(|r| r.status().is_success()) {
            return Some(am);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("alertmanager did not become ready");
}

async fn post_alert(am: &Alertmanager, ends_at: Option<chrono::DateTime<chrono::Utc>>) {
    let mut alert = serde_json::json!({
        "labels": { "alertname": "GasPressureLow", "zone": "4", "severity": "critical" },
        "annotations": { "summary": "Gas pressure low in zone 4", "description": "pressure below 1.2 bar" },
        "startsAt": (chrono::Utc::now() - chrono::Duration::seconds(5)).to_rfc3339(),
    });
    if let Some(t) = ends_at {
        alert["endsAt"] = t.to_rfc3339().into();
    }
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v2/alerts", am.url))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&serde_json::json!([alert])).unwrap())
        .send()
        .await
        .expect("post to alertmanager");
    assert!(resp.status().is_success(), "alertmanager refused the alert: {}", resp.status());
}

async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_alertmanager_alert_fires_into_one_case_and_its_resolution_is_noted() {
    let intake = Intake::start("").await;
    let Some(am) = alertmanager(&format!("http://{}/api/v1/alertmanager", intake.addr)).await else { return };
    let case = CaseId::parse("1").unwrap();

    post_alert(&am, None).await;
    wait_for("the firing alert to open a case", async || intake.store.case(case).await.unwrap().is_some()).await;
    let opened = intake.store.case(case).await.unwrap().unwrap();
    assert_eq!(opened.title, "Gas pressure low in zone 4");

    post_alert(&am, Some(chrono::Utc::now())).await;
    let noted = async || intake.store.events(case).await.unwrap().iter().any(|e| e.action == EventAction::Noted);
    wait_for("the resolution to be noted", noted).await;
    assert!(intake.store.case(CaseId::parse("2").unwrap()).await.unwrap().is_none(), "one alert, one case");
    intake.shutdown().await;
}

/// Posts alerts of the group `DiskFull` to Alertmanager: `(instance, severity)`, resolved
/// (ended a moment ago) when `resolved`.
async fn post_disks(am: &Alertmanager, alertname: &str, alerts: &[(&str, &str)], resolved: bool) {
    let now = chrono::Utc::now();
    let body: Vec<serde_json::Value> = alerts
        .iter()
        .map(|(instance, severity)| {
            let mut alert = serde_json::json!({
                "labels": { "alertname": alertname, "instance": instance, "severity": severity },
                "annotations": { "summary": format!("{alertname} on {instance}") },
                "startsAt": (now - chrono::Duration::seconds(60)).to_rfc3339(),
            });
            if resolved {
                alert["endsAt"] = (now - chrono::Duration::seconds(1)).to_rfc3339().into();
            }
            alert
        })
        .collect();
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v2/alerts", am.url))
        .json(&body)
        .send()
        .await
        .expect("post to alertmanager");
    assert!(resp.status().is_success(), "alertmanager refused the alerts: {}", resp.status());
}

const DISKS: [(&str, &str); 5] =
    [("db-0", "critical"), ("db-1", "critical"), ("db-2", "critical"), ("db-3", "critical"), ("db-4", "critical")];

fn with_am_keys(keys: &str) -> String {
    support::intake::config("").replace("tags = [\"infra\"]", &format!("tags = [\"infra\"]\n{keys}"))
}

async fn firing(intake: &Intake, case: CaseId) -> (usize, usize) {
    let alerts = intake.store.case_alerts(case).await.unwrap();
    (alerts.iter().filter(|a| a.firing).count(), alerts.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_alertmanager_group_of_five_critical_alerts_is_one_grade_i_case_that_repeats_do_not_grow() {
    let text = with_am_keys("group = \"notification\"\nauto_resolve = true");
    let intake = Intake::start_on(text, support::TestDb::sqlite()).await;
    let webhook = format!("http://{}/api/v1/alertmanager", intake.addr);
    let Some(am) = alertmanager_repeating(&webhook, "2s").await else { return };
    let case = CaseId::parse("1").unwrap();

    post_disks(&am, "DiskFull", &DISKS, false).await;
    wait_for("five alerts on one case", async || firing(&intake, case).await == (5, 5)).await;
    let opened = intake.store.case(case).await.unwrap().unwrap();
    assert_eq!((opened.grade, opened.title.as_str()), (tocsin::domain::Grade::I, "DiskFull"));
    assert!(intake.store.case(CaseId::parse("2").unwrap()).await.unwrap().is_none(), "one group, one case");

    // Alertmanager repeats the notification every 2 s; for 15 s nothing may be added.
    let count = async || {
        let signals = intake.store.case_signals(case).await.unwrap().len();
        let events = intake.store.events(case).await.unwrap().len();
        let pending = intake.store.outbox_pending(tocsin::platform::Platform::Discord).await.unwrap();
        (signals, events, pending)
    };
    let before = count().await;
    let seen = intake.store.case_alerts(case).await.unwrap()[0].seen_at;
    tokio::time::sleep(Duration::from_secs(15)).await;
    assert_eq!(count().await, before, "(signals, events, messages) after 15 s of repeats");
    assert_eq!(before.0, 5);
    assert!(intake.store.case_alerts(case).await.unwrap()[0].seen_at > seen, "the repeats did arrive");

    post_disks(&am, "DiskFull", &DISKS[..3], true).await;
    wait_for("three of five resolved", async || firing(&intake, case).await == (2, 5)).await;
    let status = intake.ask("/status 1").await;
    assert!(
        status.contains("Alerts: 2 of 5 firing") && status.contains("🟢 DiskFull instance=db-0 (resolved)"),
        "{status}"
    );
    assert_eq!(intake.store.case(case).await.unwrap().unwrap().state, CaseState::Open);

    post_disks(&am, "DiskFull", &DISKS[3..], true).await;
    let resolved = async || intake.store.case(case).await.unwrap().unwrap().state == CaseState::Resolved;
    wait_for("the last alert to resolve the case", resolved).await;
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_alertmanager_grouped_by_alert_makes_five_grade_i_cases_and_a_warning_grade_iii() {
    let intake = Intake::start("").await;
    let Some(am) = alertmanager(&format!("http://{}/api/v1/alertmanager", intake.addr)).await else { return };
    post_disks(&am, "DiskFull", &DISKS, false).await;
    let five = async || intake.store.case(CaseId::parse("5").unwrap()).await.unwrap().is_some();
    wait_for("five cases", five).await;
    for n in 1..=5 {
        let case = intake.store.case(CaseId::parse(&n.to_string()).unwrap()).await.unwrap().unwrap();
        assert_eq!(case.grade, tocsin::domain::Grade::I, "case {n}");
    }
    post_disks(&am, "QueueSlow", &[("mq-0", "warning")], false).await;
    let sixth = async || intake.store.case(CaseId::parse("6").unwrap()).await.unwrap().is_some();
    wait_for("the warning's case", sixth).await;
    let warning = intake.store.case(CaseId::parse("6").unwrap()).await.unwrap().unwrap();
    assert_eq!((warning.grade, warning.title.as_str()), (tocsin::domain::Grade::III, "QueueSlow on mq-0"));
    intake.shutdown().await;
}
