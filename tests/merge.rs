//! `/merge` and `/split`: a leader folds two cases of one story together, or takes a signal
//! out into a case of its own. Signals arrive through the real intake webhook; commands go
//! through `App::handle` as a Discord message would; on SQLite and on Postgres.

use crate::support;

use chrono::{DateTime, Utc};
use serde_json::json;
use support::TestDb;
use support::intake::Intake;
use tocsin::app::Notice;
use tocsin::domain::clocks::ClockKind;
use tocsin::domain::{CaseId, CaseState, EventAction, Grade};
use tocsin::platform::Platform;

/// Bert, a member without the leader role, on the same Discord as Alice (the leader, id 77).
const BERT: &str = "\n[[people]]\nname = \"bert\"\ndisplay = \"Bert Ma\"\nroles = [\"member\"]\ndiscord = 78\n";

fn id(n: i64) -> CaseId {
    CaseId::from_db(n)
}

const GAS: &str = "建国路一栋居民楼发生燃气泄漏，消防和燃气公司已经赶到现场处置，附近居民被紧急疏散。";
const OUTAGE: &str =
    "A power outage left four thousand households in the old town without electricity after a substation fault.";

async fn start(db: TestDb) -> Intake {
    let extra = format!("{}{BERT}", support::intake::outlets(3));
    Intake::start_on(support::intake::config(&extra), db).await
}

async fn ask_as(intake: &Intake, user: &str, text: &str) -> tocsin::app::Response {
    intake.services.app.handle(&support::says(Platform::Discord, user, "1", text)).await
}

/// The deadlines of a case's three clocks as its stored facts put them.
async fn deadlines(intake: &Intake, case: i64) -> Vec<DateTime<Utc>> {
    let case = intake.store.case(id(case)).await.unwrap().unwrap();
    let facts = tocsin::app::clocks::facts(intake.store.as_ref(), &case, Utc::now()).await.unwrap();
    let policy = &intake.services.app.config().clocks;
    ClockKind::ALL.iter().map(|k| tocsin::domain::clocks::deadline(policy, &facts, *k)).collect()
}

/// Every notice waiting for the (unsendable) Discord team chat, with the case it is about.
/// Claiming leases them, and a chat's later messages wait behind a leased one: ask once.
async fn announced(intake: &Intake) -> Vec<(Option<CaseId>, Notice)> {
    let now = Utc::now();
    let items =
        intake.store.claim_outbox(Platform::Discord, now, now + chrono::Duration::minutes(1), 1000).await.unwrap();
    items.into_iter().map(|i| (i.case, Notice::from_payload(&i.payload).unwrap())).collect()
}

async fn two_stories(intake: &Intake) {
    // The gas leak (safety ×2: grade II) first, then an outage (grade III), a different story.
    let (_, a) = intake
        .signal_as("outlet-0", json!({ "source": "outlet-0", "title": "建国路居民楼燃气泄漏", "body": GAS }))
        .await;
    assert_eq!(a["case"], 1, "{a}");
    let (_, b) = intake
        .signal_as("outlet-1", json!({ "source": "outlet-1", "title": "Power outage in the old town", "body": OUTAGE }))
        .await;
    assert_eq!(b, json!({ "outcome": "opened", "case": 2 }));
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().grade, Grade::II);
    assert_eq!(intake.store.case(id(2)).await.unwrap().unwrap().grade, Grade::III);
}

async fn a_merge_moves_signals_raises_the_grade_keeps_the_earliest_deadlines_and_withdraws_drafts(db: TestDb) {
    let intake = start(db).await;
    two_stories(&intake).await;
    assert!(ask_as(&intake, "77", "/draft 1 We know of the gas leak and are checking it.").await.committed);
    // #2's clocks run an hour longer than they would: #1's deadlines are the earlier ones.
    for clock in ["ack", "respond", "resolve"] {
        assert!(ask_as(&intake, "77", &format!("/due 2 {clock} 1h waiting for the utility")).await.committed);
    }
    let earliest = deadlines(&intake, 1).await;

    let merged = ask_as(&intake, "77", "/merge 1 into 2").await;
    assert!(merged.committed, "{merged:?}");

    let (from, into) =
        (intake.store.case(id(1)).await.unwrap().unwrap(), intake.store.case(id(2)).await.unwrap().unwrap());
    assert_eq!((from.state, from.merged_into), (CaseState::Closed, Some(id(2))));
    assert_eq!(into.grade, Grade::II, "the more severe grade of the two: merging never lowers one");
    assert!(intake.store.case_signals(id(1)).await.unwrap().is_empty());
    let sources: Vec<String> =
        intake.store.case_signals(id(2)).await.unwrap().into_iter().map(|s| s.signal.source).collect();
    assert_eq!(sources, ["outlet-0", "outlet-1"], "both signals are #2's now, with their sources");
    // At the same grade now, #1's deadlines still fall first, and #2 keeps them.
    assert_eq!(deadlines(&intake, 2).await, earliest, "each clock keeps the earlier deadline of the two");
    let pending = intake.store.case_jobs(id(1)).await.unwrap();
    assert!(pending.iter().all(|j| j.state != tocsin::store::JobState::Pending), "#1's clocks stop: {pending:?}");

    let events = intake.store.events(id(1)).await.unwrap();
    let withdrawn: Vec<_> = events.iter().filter(|e| e.action == EventAction::DraftWithdrawn).collect();
    assert_eq!(withdrawn.len(), 1, "the draft awaiting approval is withdrawn: {events:?}");
    assert_eq!(withdrawn[0].details["draft"], "1.1");
    assert!(events.iter().any(|e| e.action == EventAction::MergedInto && e.details["into"] == 2));
    let into_events = intake.store.events(id(2)).await.unwrap();
    assert!(into_events.iter().any(|e| e.action == EventAction::MergedFrom && e.details["from"] == 1));

    // Both cards are edited, and the team is told, in the team chat.
    let notices = announced(&intake).await;
    assert!(
        notices.iter().any(|(c, n)| *c == Some(id(1))
            && matches!(n, Notice::MergedInto { into: 2, withdrawn, .. } if withdrawn == &["1.1"])
            && n.is_case_change()),
        "{notices:?}"
    );
    assert!(
        notices
            .iter()
            .any(|(c, n)| *c == Some(id(2))
                && matches!(n, Notice::MergedFrom { from: 1, signals: 1, grade: Grade::II, .. })),
        "{notices:?}"
    );
    assert!(
        notices.iter().any(|(c, n)| *c == Some(id(1)) && matches!(n, Notice::DraftCard { draft } if draft == "1.1"))
    );
    let config = intake.services.app.config();
    let i18n = tocsin::i18n::I18n::new().unwrap();
    let card = tocsin::app::card::card(&from, String::new(), &[], &[], None, config, &i18n, tocsin::domain::Locale::En);
    assert!(card.facts.iter().any(|f| f.contains("Merged into #2")), "{card:?}");
    assert!(card.buttons.is_empty(), "a merged case's card offers nothing to press: {card:?}");

    // On the timeline of both, and the merged case answers for itself.
    let status = intake.ask("/status 1").await;
    assert!(status.contains("Merged into #2") && status.contains("merged it into #2"), "{status}");
    assert!(status.contains("Draft 1.1 (version 1): withdrawn, its case was merged into #2"), "{status}");
    assert!(intake.ask("/status 2").await.contains("merged #1 into it (1 signal; grade II)"));
    for command in ["/ack 1", "/approve 1.1", "/reopen 1", "/merge 2 into 1", "/split 1 1"] {
        let answer = intake.ask(command).await;
        assert!(answer.contains("Case #1 was merged into #2"), "{command}: {answer}");
    }
    intake.shutdown().await;
}

async fn a_signal_of_a_merged_case_story_joins_the_case_it_went_into(db: TestDb) {
    let intake = start(db).await;
    two_stories(&intake).await;
    assert!(ask_as(&intake, "77", "/merge 1 into 2").await.committed);
    let (_, again) = intake
        .signal_as("outlet-2", json!({ "source": "outlet-2", "title": "建国路居民楼燃气泄漏", "body": GAS }))
        .await;
    assert_eq!(again, json!({ "outcome": "joined", "case": 2 }));
    intake.shutdown().await;
}

async fn merging_is_refused_to_a_member_and_where_it_makes_no_sense(db: TestDb) {
    let intake = start(db).await;
    two_stories(&intake).await;
    let refused = ask_as(&intake, "78", "/merge 1 into 2").await;
    assert!(refused.refused && !refused.committed, "{refused:?}");
    assert!(refused.reply.unwrap().contains("/merge needs the leader role"));
    let refused = ask_as(&intake, "78", "/split 1 1").await;
    assert!(refused.reply.unwrap().contains("/split needs the leader role"));
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().merged_into, None, "nothing changed");

    assert!(intake.ask("/merge 1 into 1").await.contains("cannot be merged into itself"));
    assert!(intake.ask("/merge 1 into 9").await.contains("There is no case #9"));
    assert!(intake.ask("/merge 1 onto 2").await.contains("Usage: /merge <case> into <case>"));
    assert!(ask_as(&intake, "77", "/dismiss 2 not ours").await.committed);
    let answer = intake.ask("/merge 1 into 2").await;
    assert!(answer.contains("Case #2 is dismissed"), "{answer}");
    assert!(intake.ask("/split 1 1").await.contains("the last signal of #1"));
    intake.shutdown().await;
}

async fn a_split_moves_one_signal_out_into_a_new_case(db: TestDb) {
    let intake = start(db).await;
    two_stories(&intake).await;
    assert!(ask_as(&intake, "77", "/merge 2 into 1").await.committed);
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().grade, Grade::II, "never lowered by a merge");
    let status = intake.ask("/status 1").await;
    assert!(status.contains("· 2 · outlet-1 · Power outage in the old town"), "signals are numbered: {status}");

    assert!(intake.ask("/split 1 7").await.contains("Case #1 has no signal 7. Its signals: 1, 2."));
    let split = ask_as(&intake, "77", "/split 1 2").await;
    assert!(split.committed, "{split:?}");
    let new = intake.store.case(id(3)).await.unwrap().unwrap();
    assert_eq!(new.title, "Power outage in the old town");
    assert_eq!(
        (new.team.as_str(), new.grade, new.state),
        ("city-desk", Grade::III, CaseState::Open),
        "graded by that signal alone"
    );
    let moved: Vec<i64> = intake.store.case_signals(id(3)).await.unwrap().iter().map(|s| s.id).collect();
    assert_eq!(moved, [2]);
    assert_eq!(intake.store.case_signals(id(1)).await.unwrap().len(), 1);
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().grade, Grade::II);
    assert!(!intake.store.case_jobs(id(3)).await.unwrap().is_empty(), "the new case's clocks run");

    assert!(intake.ask("/status 1").await.contains("moved signal 2 out into #3"));
    assert!(intake.ask("/status 3").await.contains("opened it at grade III from signal 2 of #1"));
    let notices = announced(&intake).await;
    assert!(
        notices
            .iter()
            .any(|(c, n)| *c == Some(id(1)) && matches!(n, Notice::SplitOut { signal: 2, into, .. } if into == "3")),
        "{notices:?}"
    );
    assert!(notices.iter().any(|(c, n)| *c == Some(id(3)) && matches!(n, Notice::Opened { .. })), "{notices:?}");
    // The story index follows the signal: another report of the outage joins the new case.
    let (_, again) = intake
        .signal_as("outlet-2", json!({ "source": "outlet-2", "title": "Power outage in the old town", "body": OUTAGE }))
        .await;
    assert_eq!(again, json!({ "outcome": "joined", "case": 3 }));
    intake.shutdown().await;
}

on_both_backends!(
    a_merge_moves_signals_raises_the_grade_keeps_the_earliest_deadlines_and_withdraws_drafts,
    a_signal_of_a_merged_case_story_joins_the_case_it_went_into,
    merging_is_refused_to_a_member_and_where_it_makes_no_sense,
    a_split_moves_one_signal_out_into_a_new_case,
);

/// On Discord, with the real serenity client against the fake: the slash command's options
/// become `/merge 1 into 2`, and the merged case's card is edited in place to say where it went.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_discord_a_merged_cases_card_is_edited_to_name_the_case_it_went_into() {
    use support::discord::{ALICE, BOB, Dc, OPS, PATIENCE, buttons, shown, shown_all};
    let dc = Dc::start().await;
    dc.signal(json!({ "source": "hotline", "title": "Gas leak at Elm Street", "body": "residents smell gas" })).await;
    dc.signal(json!({ "source": "hotline", "title": "Power cut in district 4", "body": "no electricity since noon" }))
        .await;
    let first = dc.expect(OPS, "#1 Gas leak at Elm Street").await;
    dc.expect(OPS, "#2 Power cut in district 4").await;
    let options = |from: i64, into: i64| json!([{ "name": "case", "type": 4, "value": from }, { "name": "into", "type": 4, "value": into }]);

    let refused = dc.slash(OPS, BOB, "merge", options(1, 2));
    let answered = dc.discord.wait_until(|st| st.responses.iter().any(|r| r.interaction_id == refused), PATIENCE).await;
    assert!(answered, "{:#?}", dc.discord.calls());
    let answer = dc.discord.interaction_responses().into_iter().find(|r| r.interaction_id == refused).unwrap();
    let text = answer.data.as_ref().and_then(|d| d["content"].as_str()).unwrap_or("").to_string();
    assert!(
        answer.ephemeral && support::discord::unescape(&text) == "Sorry, /merge needs the leader role.",
        "{answer:?}"
    );
    assert_eq!(dc.store.case(id(1)).await.unwrap().unwrap().merged_into, None);

    dc.slash(OPS, ALICE, "merge", options(1, 2));
    let edited = dc
        .discord
        .wait_until(|st| st.message(OPS, first.id).is_some_and(|m| shown(&m).contains("Merged into #2")), PATIENCE)
        .await;
    assert!(edited, "{:#?}", shown_all(&dc.discord.messages(OPS)));
    let card = dc.discord.message(OPS, first.id).unwrap();
    assert!(shown(&card).contains("Alice Chen: merged it into #2"), "{}", shown(&card));
    assert!(buttons(&card).is_empty(), "nothing left to press on a merged case: {:?}", buttons(&card));
    assert_eq!(dc.store.case(id(1)).await.unwrap().unwrap().merged_into, Some(id(2)));
    dc.shutdown().await;
}
