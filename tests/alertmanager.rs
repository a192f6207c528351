//! The real Prometheus Alertmanager (Debian's `prometheus-alertmanager`, installed by
//! `.ci/run`) fires an alert and resolves it; both arrive through `/api/v1/alertmanager` as
//! one case with a note on resolution.

use crate::support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::intake::{AM_TOKEN, Intake};
use tocsin::domain::{CaseId, EventAction};

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
    if Command::new(BINARY).arg("--version").output().is_err() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but {BINARY} is not installed (.ci/run installs it)");
        }
        eprintln!("NOTICE: {BINARY} is not installed; skipping the real Alertmanager test");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "route:\n  receiver: tocsin\n  group_by: ['alertname']\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n\
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
