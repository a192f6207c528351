//! One case per story: reports of the same incident from many sources join one case whose
//! grade rises with diffusion; a different story opens its own case.

use crate::support;

use serde_json::json;
use support::intake::{Intake, outlets};
use tocsin::domain::{CaseId, EventAction, Grade};

fn id(n: i64) -> CaseId {
    CaseId::parse(&n.to_string()).unwrap()
}

/// Ten outlets' takes on one incident: the same facts, a word or two changed.
fn gas_report(i: usize) -> String {
    let when = ["下午三点", "下午3点", "今天下午三点", "下午三点左右", "15时"][i % 5];
    format!(
        "{when}，朝阳区建国路一栋居民楼发生燃气泄漏，消防和燃气公司已经赶到现场处置，附近三百多名居民被紧急疏散，暂无人员伤亡报告，事故原因正在调查中。"
    )
}

const BUS_REPORT: &str = "今天早上七点，一辆载有二十多名乘客的公交车在京藏高速回龙观附近与货车相撞，多人受伤被送往医院，交警正在调查事故原因。";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_chinese_reports_of_one_incident_become_one_case_whose_grade_rises() {
    // Diffusion counts authenticated sources: each outlet posts with its own credential.
    let intake = Intake::start(&outlets(10)).await;
    let mut grades = vec![];
    for i in 0..10 {
        let outlet = format!("outlet-{i}");
        let (status, answer) = intake
            .signal_as(&outlet, json!({ "source": outlet, "title": "建国路居民楼燃气泄漏", "body": gas_report(i) }))
            .await;
        assert_eq!(status, 202, "{answer}");
        assert_eq!(answer["case"], 1, "report {i} joined the first case: {answer}");
        grades.push(intake.store.case(id(1)).await.unwrap().unwrap().grade);
    }
    // 燃气 and 泄漏 (safety, weight 3, counted at most 3 times) make one report a II.
    assert_eq!(grades.first(), Some(&Grade::II), "{grades:?}");
    assert_eq!(grades.last(), Some(&Grade::I), "ten sources carry it: {grades:?}");
    assert!(grades.windows(2).all(|w| w[1] <= w[0]), "the grade only ever rises: {grades:?}");
    let events = intake.store.events(id(1)).await.unwrap();
    let regraded = events.iter().filter(|e| e.action == EventAction::Regraded).count();
    assert_eq!(regraded, 1, "II → I once enough sources carry it");
    let announced = intake.store.outbox_pending(tocsin::platform::Platform::Discord).await.unwrap();
    assert_eq!(announced, 2, "the opening and the regrade, nothing for each joining report");
    let sources: std::collections::BTreeSet<String> =
        intake.store.case_signals(id(1)).await.unwrap().into_iter().map(|s| s.signal.source).collect();
    assert_eq!(sources.len(), 10, "the case lists its sources");
    let status = intake.ask("/status 1").await;
    assert!(status.contains("Sources (10): outlet-0, outlet-1,"), "{status}");
    assert!(
        status.contains("Graded: safety ×5 (燃气, 泄漏) · attention 0.0 · source weight 1.0 · 10 sources in 1 h → I"),
        "the grade is explained on the case: {status}"
    );

    let (_, answer) =
        intake.signal(json!({ "source": "outlet-0", "title": "京藏高速公交车事故", "body": BUS_REPORT })).await;
    assert_eq!(answer, json!({ "outcome": "opened", "case": 2 }), "a different story is a different case");
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_reports_join_by_text_and_different_stories_stay_apart() {
    let intake = Intake::start("").await;
    let report = |outlet: &str, extra: &str| {
        json!({ "source": outlet, "title": "Explosion at chemical plant",
                "body": format!("An explosion at the Riverside chemical plant forced the evacuation of nearby homes on Tuesday evening; firefighters are still at the scene and no injuries have been reported so far{extra}.") })
    };
    assert_eq!(intake.signal(report("wire-a", "")).await.1["case"], 1);
    assert_eq!(intake.signal(report("wire-b", " by officials")).await.1, json!({ "outcome": "joined", "case": 1 }));
    let other = json!({ "source": "wire-a", "title": "Power outage in the old town",
                        "body": "A power outage left four thousand households in the old town without electricity after a substation fault." });
    assert_eq!(intake.signal(other).await.1, json!({ "outcome": "opened", "case": 2 }));
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fingerprint_names_the_story_even_when_the_words_change() {
    let intake = Intake::start("").await;
    let a = json!({ "source": "monitor", "title": "Water pressure low in zone 4", "fingerprint": "zone4-pressure" });
    let b = json!({ "source": "monitor", "title": "Completely different words", "fingerprint": "zone4-pressure" });
    assert_eq!(intake.signal(a).await.1["case"], 1);
    assert_eq!(intake.signal(b).await.1, json!({ "outcome": "joined", "case": 1 }));
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exclusion_term_keeps_a_drill_from_grading_up() {
    let intake = Intake::start("").await;
    let drill = json!({ "source": "x", "title": "燃气泄漏应急演练", "body": "社区今天举行燃气泄漏应急演练。" });
    intake.signal(drill).await;
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().grade, Grade::IV);
    intake.shutdown().await;
}

/// Each instance keeps the window's story hashes in memory; what another instance took in
/// reaches it through the shared ledger before its next lookup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]
async fn two_instances_on_one_postgres_database_keep_one_case_per_story() {
    let Some(db) = support::TestDb::postgres().await else { return };
    let second = db.alias();
    let a = Intake::start_on(support::intake::config(""), db).await;
    let b = Intake::start_on(support::intake::config(""), second).await;
    for i in 0..6 {
        let to = if i % 2 == 0 { &a } else { &b };
        let (status, answer) = to
            .signal(json!({ "source": format!("outlet-{i}"), "title": "建国路居民楼燃气泄漏", "body": gas_report(i) }))
            .await;
        assert_eq!(status, 202, "{answer}");
        assert_eq!(answer["case"], 1, "report {i}, to instance {}, joined the first case: {answer}", i % 2);
    }
    let (_, answer) =
        b.signal(json!({ "source": "outlet-0", "title": "京藏高速公交车事故", "body": BUS_REPORT })).await;
    assert_eq!(answer, json!({ "outcome": "opened", "case": 2 }));
    let (_, answer) =
        a.signal(json!({ "source": "outlet-9", "title": "京藏高速公交车事故", "body": BUS_REPORT })).await;
    assert_eq!(answer, json!({ "outcome": "joined", "case": 2 }), "A learns of B's case");
    b.shutdown().await;
    a.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_reports_raise_the_grade_a_waiting_drafts_card_is_drawn_again() {
    let intake = Intake::start(&outlets(10)).await;
    let report =
        |i: usize| json!({ "source": format!("outlet-{i}"), "title": "建国路居民楼燃气泄漏", "body": gas_report(i) });
    assert_eq!(intake.signal_as("outlet-0", report(0)).await.0, 202);
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().grade, Grade::II);
    assert_eq!(intake.ask("/draft 1 We are checking the building.").await, "", "the draft is written");
    for i in 1..10 {
        assert_eq!(intake.signal_as(&format!("outlet-{i}"), report(i)).await.0, 202);
    }
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().grade, Grade::I, "diffusion raised it");
    // Grade I needs two leaders: the card must say so again, not stay as drawn for grade II.
    let now = chrono::Utc::now() + chrono::Duration::hours(1);
    let queued = intake.store.claim_outbox(tocsin::platform::Platform::Discord, now, now, 1000).await.unwrap();
    let cards = queued
        .iter()
        .filter(|i| matches!(tocsin::app::Notice::from_payload(&i.payload), Ok(tocsin::app::Notice::DraftCard { .. })))
        .count();
    assert_eq!(cards, 2, "drawn when written, and again after the regrade");
    intake.shutdown().await;
}
