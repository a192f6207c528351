//! The intake webhooks end to end: real HTTP on loopback, a real SQLite ledger. Good,
//! malformed, unauthenticated and oversized bodies for every endpoint; Alertmanager's own
//! bodies; one case per story.

use crate::support;

use serde_json::json;
use support::intake::{AM_TOKEN, GRAFANA_KEY, Intake, SIGNED_KEY, WIRE_TOKEN, bearer, signature, signed};
use tocsin::domain::{CaseId, CaseState, EventAction, Grade};
use tocsin::platform::Platform;

const FIRING: &str = include_str!("fixtures/alertmanager/firing.json");
const RESOLVED: &str = include_str!("fixtures/alertmanager/resolved.json");

fn id(n: i64) -> CaseId {
    CaseId::parse(&n.to_string()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_signal_opens_a_graded_case_and_says_which() {
    let intake = Intake::start("").await;
    let (status, body) = intake
        .signal(json!({
            "source": "city-hotline", "title": "Gas leak reported on Elm Street",
            "body": "Residents smell gas near the school.", "url": "https://example.org/r/1",
            "language": "en", "metrics": { "views": 120, "comments": 4 }, "tags": ["north"],
            "occurred_at": "2026-11-21T08:00:00Z"
        }))
        .await;
    assert_eq!((status, &body), (202, &json!({ "outcome": "opened", "case": 1 })));
    let case = intake.store.case(id(1)).await.unwrap().unwrap();
    assert_eq!(case.title, "Gas leak reported on Elm Street");
    assert_eq!(case.source, "https://example.org/r/1");
    assert_eq!(case.grade, Grade::III, "safety ×1 (gas leak) plus some attention");
    let signals = intake.store.case_signals(id(1)).await.unwrap();
    assert_eq!(signals[0].signal.source, "wire", "the credential's source, not the body's \"source\"");
    assert!(signals[0].signal.explanation.contains("\"safety\""), "{}", signals[0].signal.explanation);
    assert_eq!(intake.store.outbox_pending(Platform::Discord).await.unwrap(), 1, "the team chat is told");
    let (health, _) = (intake.client.get(format!("http://{}/healthz", intake.addr)).send().await.unwrap().status(), ());
    assert_eq!(health.as_u16(), 200);
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signals_are_refused_with_a_reason_and_nothing_is_taken_in() {
    let intake = Intake::start("").await;
    let cases = [
        (b"{not json".to_vec(), 400),
        (br#"{"source": "x"}"#.to_vec(), 422),
        (br#"{"source": "x", "title": "t", "colour": "red"}"#.to_vec(), 422),
        (br#"{"source": "x", "title": "   "}"#.to_vec(), 422),
        (br#"{"source": "x", "title": "t", "metrics": {"views": -1}}"#.to_vec(), 422),
        (br#"[1, 2, 3]"#.to_vec(), 422),
        (Vec::new(), 400),
    ];
    for (body, want) in cases {
        let (status, answer) = intake.post("/api/v1/signals", &[bearer(WIRE_TOKEN)], body.clone()).await;
        assert_eq!(status, want, "{} → {answer}", String::from_utf8_lossy(&body));
        assert!(answer["error"].as_str().is_some_and(|e| !e.is_empty()), "a reason is given: {answer}");
    }
    assert!(intake.store.case(id(1)).await.unwrap().is_none());
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_configured_credentials_get_in() {
    let intake = Intake::start("").await;
    let body = br#"{"source": "x", "title": "Power outage downtown"}"#.to_vec();
    let no_auth = intake.post("/api/v1/signals", &[], body.clone()).await;
    assert_eq!(no_auth.0, 401);
    assert!(no_auth.1["error"].as_str().unwrap().starts_with("missing credentials"));
    assert_eq!(intake.post("/api/v1/signals", &[bearer("guess")], body.clone()).await.0, 401);
    // The Alertmanager token does not open the generic endpoint.
    assert_eq!(intake.post("/api/v1/signals", &[bearer(AM_TOKEN)], body.clone()).await.0, 401);
    let forged = signed("not-the-key", &body);
    assert_eq!(intake.post("/api/v1/signals", &forged, body.clone()).await.0, 401);
    // A signature of the body alone (the scheme before timestamps) is no longer enough.
    let unstamped = signature("x-tocsin-signature", SIGNED_KEY, &body);
    assert_eq!(intake.post("/api/v1/signals", &[unstamped], body.clone()).await.0, 401);
    assert!(intake.store.case(id(1)).await.unwrap().is_none());
    let good = signed(SIGNED_KEY, &body);
    assert_eq!(intake.post("/api/v1/signals", &good, body).await, (202, json!({ "outcome": "opened", "case": 1 })));
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413_on_every_endpoint() {
    let intake = Intake::start("").await;
    let big = format!(r#"{{"source": "x", "title": "{}"}}"#, "y".repeat(9000));
    for (path, auth) in [("/api/v1/signals", bearer(WIRE_TOKEN)), ("/api/v1/alertmanager", bearer(AM_TOKEN))] {
        assert_eq!(intake.post(path, &[auth], big.clone()).await.0, 413, "{path}");
    }
    let sig = signature("x-grafana-alerting-signature", GRAFANA_KEY, big.as_bytes());
    assert_eq!(intake.post("/api/v1/grafana", &[sig], big.clone()).await.0, 413);
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_post_with_the_same_idempotency_key_is_taken_in_once() {
    let intake = Intake::start("").await;
    let body = br#"{"source": "x", "title": "Water outage in district 9"}"#.to_vec();
    let headers = [bearer(WIRE_TOKEN), ("idempotency-key", "r-1".to_string())];
    assert_eq!(intake.post("/api/v1/signals", &headers, body.clone()).await.1["outcome"], "opened");
    assert_eq!(intake.post("/api/v1/signals", &headers, body).await.1, json!({ "outcome": "duplicate" }));
    assert_eq!(intake.store.case_signals(id(1)).await.unwrap().len(), 1);
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alertmanager_alert_fires_into_one_case_and_its_resolution_is_noted() {
    let intake = Intake::start("").await;
    let am = [bearer(AM_TOKEN)];
    assert_eq!(
        intake.post("/api/v1/alertmanager", &am, FIRING).await,
        (202, json!({ "alerts": [{ "fingerprint": "7b7eebf4efc7d977", "outcome": "opened", "case": 1 }] }))
    );
    // Alertmanager repeats a firing notification: nothing new, so nothing is recorded.
    assert_eq!(intake.post("/api/v1/alertmanager", &am, FIRING).await.1["alerts"][0]["outcome"], "repeat");
    let (status, answer) = intake.post("/api/v1/alertmanager", &am, RESOLVED).await;
    let noted = json!({ "alerts": [{ "fingerprint": "7b7eebf4efc7d977", "outcome": "noted", "case": 1 }] });
    assert_eq!((status, answer), (202, noted));
    let case = intake.store.case(id(1)).await.unwrap().unwrap();
    assert_eq!(case.title, "CPU > 90%");
    assert_eq!(case.state, CaseState::Open, "a resolved alert is noted; people resolve the case");
    let actions: Vec<EventAction> = intake.store.events(id(1)).await.unwrap().iter().map(|e| e.action).collect();
    assert_eq!(actions, [EventAction::Opened, EventAction::Noted]);
    for bad in [r#"{"version": "3", "alerts": []}"#, r#"{"alerts": "none"}"#, "{"] {
        let (status, _) = intake.post("/api/v1/alertmanager", &am, bad).await;
        assert!(status == 400 || status == 422, "{bad} → {status}");
    }
    assert_eq!(intake.post("/api/v1/alertmanager", &[bearer(WIRE_TOKEN)], FIRING).await.0, 401);
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_trusted_to_auto_resolve_resolves_the_case() {
    let intake = Intake::start_auto_resolve().await;
    let am = [bearer(AM_TOKEN)];
    intake.post("/api/v1/alertmanager", &am, FIRING).await;
    intake.post("/api/v1/alertmanager", &am, RESOLVED).await;
    let case = intake.store.case(id(1)).await.unwrap().unwrap();
    assert_eq!(case.state, CaseState::Resolved);
    assert_eq!(case.resolution.as_deref(), Some("am: HighCPU"), "the source and the alerts that resolved it");
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grafana_alerts_come_in_signed() {
    let intake = Intake::start("").await;
    let body = serde_json::to_vec(&json!({
        "receiver": "tocsin", "status": "firing", "title": "[FIRING:1] Disk full",
        "alerts": [{ "status": "firing", "labels": { "alertname": "DiskFull", "severity": "warning" },
                     "annotations": { "description": "disk 98% on db-2" }, "startsAt": "2026-11-21T08:00:00Z",
                     "fingerprint": "abc123", "values": { "A": 98 } }]
    }))
    .unwrap();
    let sig = signature("x-grafana-alerting-signature", GRAFANA_KEY, &body);
    assert_eq!(
        intake.post("/api/v1/grafana", &[sig], body.clone()).await,
        (202, json!({ "alerts": [{ "fingerprint": "abc123", "outcome": "opened", "case": 1 }] }))
    );
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().title, "DiskFull");
    assert_eq!(intake.post("/api/v1/grafana", &[bearer(AM_TOKEN)], body).await.0, 401);
    for (bad, want) in [(&b"{\"alerts\": [{}]}"[..], 422), (&b"<xml/>"[..], 400)] {
        let sig = signature("x-grafana-alerting-signature", GRAFANA_KEY, bad);
        let (status, answer) = intake.post("/api/v1/grafana", &[sig], bad.to_vec()).await;
        assert_eq!(status, want, "{answer}");
    }
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_send_a_case_to_the_team_its_category_grade_or_tags_name() {
    let routes = "\n[chats.utilities]\nplatform = \"discord\"\nid = 2\n\n[[teams]]\nname = \"utilities\"\nteam_chat = \"utilities\"\n\n\
                  [[routes]]\nteam = \"utilities\"\ncategories = [\"outage\"]\n\n[[routes]]\nteam = \"utilities\"\ntags = [\"infra\"]\n";
    let intake = Intake::start(routes).await;
    intake.signal(json!({ "source": "x", "title": "停电：老城区四千户断电" })).await;
    intake.signal(json!({ "source": "x", "title": "Gas leak on Elm Street" })).await;
    intake.post("/api/v1/alertmanager", &[bearer(AM_TOKEN)], FIRING).await;
    let mut teams = vec![];
    for n in 1..=3 {
        teams.push(intake.store.case(id(n)).await.unwrap().unwrap().team);
    }
    // The outage category routes there; no route matches: the first team; the infra tag.
    assert_eq!(teams, ["utilities", "city-desk", "utilities"]);
    intake.shutdown().await;
}
