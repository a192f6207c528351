//! Reposts and quotes join the story they repeat; a long text quoting one sentence does not;
//! a template with another building number is another story; and a report that shares a
//! named place and a keyword category with an open case is suggested on its card, with a
//! Merge button (issue 13). Through the real intake HTTP.

use crate::support;

use serde_json::json;
use support::intake::Intake;
use support::telegram::{ALICE, BOB, TEAM, Tg};
use tocsin::app::card::Press;
use tocsin::domain::{CaseId, EventAction, Locale};

const ORIGINAL: &str =
    "荷花小区3栋今天下午发生燃气泄漏，消防和燃气公司已到场处置，楼内四十多户居民被紧急疏散，暂无人员伤亡。";
const ORIGINAL_EN: &str = "Gas leak at 5 Elm Street: firefighters evacuated about forty residents on Tuesday afternoon while the gas company shut off the supply; no injuries have been reported.";

fn id(n: i64) -> CaseId {
    CaseId::parse(&n.to_string()).unwrap()
}

/// Posts `body` (its first words as the title, as feeds do) and returns the case it went to.
async fn post(intake: &Intake, body: &str) -> serde_json::Value {
    let title: String = body.chars().take(18).collect();
    let (status, answer) = intake.signal(json!({ "source": "wire", "title": title, "body": body })).await;
    assert_eq!(status, 202, "{answer}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weibo_repost_chains_and_zhuanfa_join_the_original_after_a_comment_of_any_length() {
    let intake = Intake::start("").await;
    assert_eq!(post(&intake, ORIGINAL).await, json!({ "outcome": "opened", "case": 1 }));
    let long_comment = "这已经是今年第二次了吧？有关部门到底管不管，住在附近的人每天提心吊胆，希望这次能彻底查清楚原因，给大家一个交代，也希望物业以后多检查管道";
    for repost in [
        format!("太吓人了 //@本地新闻: {ORIGINAL}"),
        format!("{long_comment}//@小王:我家就在旁边 //@本地新闻:{ORIGINAL}"),
        format!("{long_comment}//{ORIGINAL}"),
        format!("转发微博：{ORIGINAL}"),
        format!("【转发】@本地新闻：{ORIGINAL}"),
        format!("网友发帖称：“{ORIGINAL}”{long_comment}"),
    ] {
        assert_eq!(post(&intake, &repost).await, json!({ "outcome": "joined", "case": 1 }), "{repost}");
    }
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retweets_and_quoted_blocks_join_the_original() {
    let intake = Intake::start("").await;
    assert_eq!(post(&intake, ORIGINAL_EN).await["case"], 1);
    for repost in [
        format!(
            "Unbelievable. This keeps happening in this city and nobody is ever held responsible; I have lived here for twelve years and it only gets worse. RT @citynews: {ORIGINAL_EN}"
        ),
        format!("Is this the one near the school?\n\n> {ORIGINAL_EN}\n\nplease advise"),
        format!("Reported earlier: \u{201c}{ORIGINAL_EN}\u{201d} Avoid the area."),
    ] {
        assert_eq!(post(&intake, &repost).await, json!({ "outcome": "joined", "case": 1 }), "{repost}");
    }
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_article_quoting_one_sentence_of_a_story_does_not_join_it() {
    let intake = Intake::start("").await;
    assert_eq!(post(&intake, ORIGINAL).await["case"], 1);
    let article = "本周城市安全工作会议通报了近期各类突发事件的处置情况。会议指出，各区要加强对老旧小区、人员密集场所和危险化学品企业的隐患排查，完善应急预案，提高基层应急处置能力。会上提到一位居民的留言：“荷花小区3栋今天下午发生燃气泄漏”会议要求相关部门加快推进智慧应急平台建设，做好汛期和冬季供暖期的安全保障，确保群众生命财产安全。";
    assert_eq!(post(&intake, article).await, json!({ "outcome": "opened", "case": 2 }));
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_template_with_another_building_number_is_another_story() {
    let intake = Intake::start("").await;
    assert_eq!(post(&intake, ORIGINAL).await["case"], 1);
    let next_door = ORIGINAL.replace("3栋", "9栋");
    assert_eq!(post(&intake, &next_door).await, json!({ "outcome": "opened", "case": 2 }));
    let edited = ORIGINAL.replace("已到场处置", "已赶到处置");
    assert_eq!(post(&intake, &edited).await, json!({ "outcome": "joined", "case": 1 }), "a light edit still joins");
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_residents_retelling_is_suggested_as_possibly_the_same_story_and_weak_evidence_is_not() {
    let intake = Intake::start("").await;
    assert_eq!(post(&intake, ORIGINAL).await["case"], 1);
    // Only the place and the kind of event in common: not joined, but suggested.
    let resident = "我住荷花小区，楼道里全是燃气味，燃气公司的人来了，让我们都先下楼，好吓人";
    assert_eq!(post(&intake, resident).await, json!({ "outcome": "opened", "case": 2 }));
    // Another event at the same place, and the same event elsewhere: no suggestion.
    assert_eq!(post(&intake, "荷花小区3栋今天下午小区停电，物业正在抢修").await["case"], 3);
    assert_eq!(post(&intake, "牡丹苑小区今天下午发生燃气泄漏，附近商铺全部关门").await["case"], 4);

    let opened = intake.store.events_of_kind(EventAction::Opened).await.unwrap();
    let similar = |n: i64| {
        opened.iter().find(|e| e.case == Some(id(n))).map(|e| e.details["similar"].clone()).unwrap_or_default()
    };
    assert_eq!(similar(2), json!({ "case": 1, "shared": ["荷花小区", "燃气"] }));
    assert_eq!((similar(3), similar(4)), (json!(null), json!(null)));

    // The card: the line and a Merge button (from the new case into the older one).
    let store = intake.store.as_ref();
    let found = tocsin::app::similar::for_card(store, id(2)).await.unwrap().expect("the card shows it");
    let case = store.case(id(2)).await.unwrap().unwrap();
    let config = tocsin::config::Config::parse(&support::intake::config("")).unwrap();
    let i18n = tocsin::i18n::I18n::new().unwrap();
    for (locale, line, label) in [
        (Locale::En, "🔗 Possibly the same as #1: 荷花小区, 燃气", "🔗 Merge into #1"),
        (Locale::ZhCn, "🔗 可能与 #1 是同一事件：荷花小区, 燃气", "🔗 并入 #1"),
    ] {
        let card = tocsin::app::card::card(&case, String::new(), &[], &[], Some(&found), &config, &i18n, locale);
        assert!(card.facts.iter().any(|f| f == line), "{:?}", card.facts);
        let merge = card.buttons.iter().find(|b| b.label == label).expect("a Merge button");
        assert_eq!(merge.press, Press::Merge { from: id(2), into: id(1) });
        assert_eq!(merge.press.command(), "/merge 2 into 1");
    }
    // Once the older case is dismissed there is nothing to merge into.
    intake.ask("/dismiss 1 duplicate of a drill").await;
    assert_eq!(tocsin::app::similar::for_card(store, id(2)).await.unwrap(), None);
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_telegram_the_new_cases_card_says_possibly_the_same_and_carries_the_merge_button() {
    let tg = Tg::start_with("", |c| {
        format!(
            "{c}\n[http]\nlisten = \"127.0.0.1:0\"\n\n[[sources]]\nname = \"wire\"\nkind = \"generic\"\ntoken_env = \"WIRE_TOKEN\"\n\n[[keywords]]\ncategory = \"safety\"\nweight = 3.0\nterms = [\"燃气\", \"泄漏\"]\n"
        )
    })
    .await;
    let addr = tg.services.as_ref().and_then(|s| s.http_addr).expect("intake listens");
    let client = reqwest::Client::new();
    for body in [ORIGINAL, "我住荷花小区，楼道里全是燃气味，燃气公司的人来了，让我们都先下楼"]
    {
        let title: String = body.chars().take(18).collect();
        let answer = client
            .post(format!("http://{addr}/api/v1/signals"))
            .bearer_auth(support::intake::WIRE_TOKEN)
            .json(&json!({ "source": "wire", "title": title, "body": body }))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 202);
    }
    let card = tg.expect(TEAM, "#2 ").await;
    assert!(card.text.contains("#1") && card.text.contains("荷花小区, 燃气"), "{}", card.text);
    assert!(card.buttons().iter().any(|(_, data)| data == "merge:2:1"), "{:?}", card.buttons());

    // The button is /merge 2 into 1: refused to a member, done for a leader.
    tg.press(TEAM, BOB, card.message_id, "merge:2:1");
    let refused = tg.fake.wait_until(|st| st.answers.iter().any(|a| a.show_alert), support::telegram::PATIENCE).await;
    assert!(refused, "the member is told no: {:?}", tg.fake.answers());
    assert_eq!(tg.store.case(CaseId::from_db(2)).await.unwrap().unwrap().merged_into, None);
    tg.press(TEAM, ALICE, card.message_id, "merge:2:1");
    let merged = tg
        .fake
        .wait_until(
            |st| st.messages(TEAM).iter().any(|m| m.message_id == card.message_id && m.text.contains("Merged into #1")),
            support::telegram::PATIENCE,
        )
        .await;
    assert!(merged, "the card of #2 is edited: {:?}", tg.fake.message(TEAM, card.message_id).map(|m| m.text));
    assert_eq!(tg.store.case(CaseId::from_db(2)).await.unwrap().unwrap().merged_into, Some(CaseId::from_db(1)));
    tg.shutdown().await;
}
