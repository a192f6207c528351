//! One public voice, end to end through the fake Telegram Bot API: a member drafts a reply,
//! two leaders press Approve on the draft card in the leaders' chat, the spokesperson
//! publishes, and the public channel receives exactly the approved text; the case's timeline
//! records who approved and who published; the public status page and its Atom feed show it.

use crate::support;

use support::telegram::{ALICE, BOB, DANA, LEADERS, PATIENCE, TEAM, Tg, texts};
use tocsin::domain::{CaseId, EventAction};

const LEE: i64 = 1005;
const CHANNEL: i64 = -100_333;

/// The Telegram test setup plus a second leader and a public channel.
async fn start() -> Tg {
    let tg = Tg::start_with("", |c| {
        c.replace(
            "[[people]]\nname = \"olga\"",
            &format!("[[people]]\nname = \"lee\"\ndisplay = \"Lee Ming\"\nroles = [\"leader\"]\ntelegram = {LEE}\n\n[[people]]\nname = \"olga\""),
        )
        .replace("leaders_chat = \"leaders\"\n", "leaders_chat = \"leaders\"\npublic_outlets = [\"public\"]\n")
            + &format!("\n[chats.public]\nplatform = \"telegram\"\nid = {CHANNEL}\n")
            + "\n[status_page]\nlisten = \"127.0.0.1:0\"\n"
    })
    .await;
    tg.fake.set_chat(CHANNEL, "channel", Some("City news"));
    tg
}

fn case(n: &str) -> CaseId {
    CaseId::parse(n).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_approved_by_two_leaders_is_published_by_the_spokesperson_exactly_as_written() {
    let tg = start().await;
    let statement =
        "We know of a gas smell on Elm Street <b>and</b> the gas company is on site & checking.\n燃气公司已到场检修。";
    tg.say(TEAM, BOB, "/new I Gas smell on Elm Street");
    tg.expect(TEAM, "#1 Gas smell on Elm Street").await;
    tg.say(TEAM, BOB, &format!("/draft 1 {statement}"));

    // Grade I needs two leaders (the default quorum).
    let card = tg.expect(LEADERS, "📝 Reply 1.1").await;
    assert!(card.text.contains(statement), "the card shows the text as written: {}", card.text);
    assert!(card.text.contains("Needs 2 leaders' approvals"), "{}", card.text);
    assert_eq!(
        card.buttons(),
        [("✅ Approve".to_string(), "approve:1.1v1".to_string()), ("❌ Reject".into(), "reject:1.1v1".into())]
    );

    tg.press(LEADERS, ALICE, card.message_id, "approve:1.1v1");
    let one = |st: &support::fake_telegram::State| {
        st.message(LEADERS, card.message_id).is_some_and(|m| m.text.contains("Approved by Alice Chen: 1 of 2"))
    };
    assert!(tg.fake.wait_until(one, PATIENCE).await, "{:#?}", texts(&tg.fake.messages(LEADERS)));
    tg.press(LEADERS, LEE, card.message_id, "approve:1.1v1");
    let both = |st: &support::fake_telegram::State| {
        st.message(LEADERS, card.message_id).is_some_and(|m| m.text.contains("✅ Approved by Alice Chen, Lee Ming"))
    };
    assert!(tg.fake.wait_until(both, PATIENCE).await, "{:#?}", texts(&tg.fake.messages(LEADERS)));
    let approved = tg.fake.message(LEADERS, card.message_id).unwrap();
    assert!(approved.buttons().is_empty(), "nothing left to press: {:?}", approved.buttons());
    assert!(tg.fake.messages(CHANNEL).is_empty(), "approval alone publishes nothing at grade I");

    tg.say(TEAM, DANA, "/publish 1.1");
    let published = tg.expect(CHANNEL, "gas company").await;
    assert_eq!(published.text, statement, "the channel receives the text exactly");
    assert!(published.entities.is_empty(), "markup in the text is shown, not applied: {:?}", published.entities);
    tg.expect(TEAM, "Dana Wu published draft 1.1 to public").await;
    let done = |st: &support::fake_telegram::State| {
        st.message(LEADERS, card.message_id).is_some_and(|m| m.text.contains("📣 Published"))
    };
    assert!(tg.fake.wait_until(done, PATIENCE).await, "the draft card says it went out");

    let events = tg.store.events(case("1")).await.unwrap();
    let who = |action| events.iter().filter(|e| e.action == action).map(|e| e.actor.clone()).collect::<Vec<_>>();
    assert_eq!(who(EventAction::DraftWritten), ["bob"]);
    assert_eq!(who(EventAction::DraftApproved), ["alice", "lee"]);
    assert_eq!(who(EventAction::StatementPublished), ["dana"]);
    let case = tg.store.case(case("1")).await.unwrap().unwrap();
    assert!(case.responded_at.is_some(), "the first statement stops the first-response clock");
    assert_eq!(tg.fake.messages(CHANNEL).len(), 1, "once");

    // The public page and the feed carry the same text, escaped, and nothing internal.
    let addr = tg.services.as_ref().unwrap().status_addr.expect("the status page listens");
    let page = reqwest::get(format!("http://{addr}/cases/1")).await.unwrap().text().await.unwrap();
    assert!(page.contains("We know of a gas smell on Elm Street &lt;b&gt;and&lt;/b&gt;"), "{page}");
    assert!(!page.contains("Gas smell on Elm Street") && !page.contains("Bob Li"), "no case title, no people");
    let feed = reqwest::get(format!("http://{addr}/feed.atom")).await.unwrap().text().await.unwrap();
    let xml = roxmltree::Document::parse(&feed).expect("the feed is XML");
    let entries: Vec<_> = xml.descendants().filter(|n| n.has_tag_name("entry")).collect();
    assert_eq!(entries.len(), 1, "{feed}");
    let content = entries[0].children().find(|n| n.has_tag_name("content")).and_then(|n| n.text());
    assert_eq!(content, Some(statement), "{feed}");
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_longest_draft_with_the_longest_title_and_concern_still_fits_its_card() {
    let tg = start().await;
    // Emoji are two UTF-16 units each, as Telegram counts: every limit here is reached.
    let title = "🔥".repeat(100);
    let statement = "🔥".repeat(1500);
    tg.say(TEAM, BOB, &format!("/new I {title}"));
    tg.expect(TEAM, "#1").await;
    tg.say(TEAM, BOB, &format!("/draft 1 {statement}🔥"));
    tg.expect(TEAM, "too long (at most 3000 characters)").await;
    tg.say(TEAM, BOB, &format!("/draft 1 {statement}"));
    // The fake Bot API refuses a text over 4,096 units as Telegram does, so a card that did
    // not fit would never arrive.
    let card = tg.expect(LEADERS, "📝 Reply 1.1").await;
    assert!(card.text.contains(&statement), "the whole statement is on the card");
    tg.say(LEADERS, LEE, "/approve 1.1");
    let approved = |st: &support::fake_telegram::State| {
        st.message(LEADERS, card.message_id).is_some_and(|m| m.text.contains("Approved by Lee Ming: 1 of 2."))
    };
    assert!(tg.fake.wait_until(approved, PATIENCE).await, "{:#?}", texts(&tg.fake.messages(LEADERS)));
    tg.say(TEAM, ALICE, &format!("/concern 1.1 {}", "⚠".repeat(1000) + &"🔥".repeat(500)));
    let held = |st: &support::fake_telegram::State| {
        st.message(LEADERS, card.message_id).is_some_and(|m| m.text.contains("✋ Held: Alice Chen: ⚠⚠"))
    };
    assert!(tg.fake.wait_until(held, PATIENCE).await, "{:#?}", texts(&tg.fake.messages(LEADERS)));
    let edited = tg.fake.message(LEADERS, card.message_id).unwrap();
    assert!(edited.text.contains(&statement) && edited.text.contains("…"), "the concern is shortened, not the text");
    assert!(edited.text.contains("Approved by Lee Ming: 1 of 2."), "a held card still shows who approved");
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grade_change_redraws_the_draft_card_with_the_new_quorum() {
    let tg = start().await;
    tg.say(TEAM, BOB, "/new I Gas smell on Elm Street");
    tg.expect(TEAM, "#1 Gas smell").await;
    tg.say(TEAM, BOB, "/draft 1 We are checking.");
    let card = tg.expect(LEADERS, "📝 Reply 1.1").await;
    tg.press(LEADERS, ALICE, card.message_id, "approve:1.1v1");
    let shows = |needle: &'static str| {
        let id = card.message_id;
        move |st: &support::fake_telegram::State| st.message(LEADERS, id).is_some_and(|m| m.text.contains(needle))
    };
    assert!(tg.fake.wait_until(shows("1 of 2"), PATIENCE).await);

    // Grade II needs one leader: Alice's approval is enough now.
    tg.say(TEAM, ALICE, "/grade 1 II");
    assert!(
        tg.fake.wait_until(shows("✅ Approved by Alice Chen"), PATIENCE).await,
        "{:#?}",
        texts(&tg.fake.messages(LEADERS))
    );
    assert!(tg.fake.message(LEADERS, card.message_id).unwrap().buttons().is_empty());
    // Back to I: one more leader is needed again, and the buttons return.
    tg.say(TEAM, ALICE, "/grade 1 I");
    assert!(tg.fake.wait_until(shows("1 of 2"), PATIENCE).await, "{:#?}", texts(&tg.fake.messages(LEADERS)));
    assert_eq!(tg.fake.message(LEADERS, card.message_id).unwrap().buttons().len(), 2);
    assert!(tg.fake.messages(CHANNEL).is_empty(), "a regrade publishes nothing");
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reject_button_rejects_that_version_and_the_card_says_so_in_words() {
    let tg = start().await;
    tg.say(TEAM, BOB, "/new II Gas smell on Elm Street");
    tg.expect(TEAM, "#1 Gas smell").await;
    tg.say(TEAM, DANA, "/update 1 investigating We are checking.");
    let card = tg.expect(LEADERS, "📝 Update (Investigating) 1.1").await;
    tg.press(LEADERS, ALICE, card.message_id, "reject:1.1v1");
    let rejected = |st: &support::fake_telegram::State| {
        st.message(LEADERS, card.message_id).is_some_and(|m| {
            m.text.contains("❌ Rejected by Alice Chen: with the Reject button, no reason given")
                && m.buttons().is_empty()
        })
    };
    assert!(tg.fake.wait_until(rejected, PATIENCE).await, "{:#?}", texts(&tg.fake.messages(LEADERS)));
    tg.say(TEAM, DANA, "/publish 1.1");
    tg.expect(TEAM, "was rejected").await;
    assert!(tg.fake.messages(CHANNEL).is_empty());
    tg.shutdown().await;
}
