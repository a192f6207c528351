//! Group robots end to end: tocsin posting to fakes of the Feishu, DingTalk and WeCom robot
//! APIs on loopback that check each platform's signature and record what they were posted.
//! Case cards, reminders that mention the owner, published statements, a flood kept within
//! each robot's per-minute limit, a rate-limit code waited out, and a refusal told to the
//! leaders.

use crate::support;

use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;
use support::robots::{PATIENCE, Rb, shown};
use tocsin::clock::Clock;

const HOSTILE_TITLE: &str = "Gas <b>leak</b> **near** <@all> <at user_id=\"all\"> [x](http://evil) #5";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_card_reaches_each_robot_signed_in_its_own_format_and_a_change_posts_a_fresh_one() {
    let rb = Rb::start().await;
    rb.alice(&format!("/new II {HOSTILE_TITLE}")).await;

    // Feishu: an interactive card, its header in the grade's colour, every text plain.
    let card = rb.expect("fs-ops", "#1 Gas").await;
    assert_eq!(card["msg_type"], "interactive");
    let header = &card["card"]["header"];
    assert_eq!(header["template"], "orange", "grade II's colour: {header}");
    assert_eq!(header["title"]["tag"], "plain_text");
    assert!(header["title"]["content"].as_str().unwrap().ends_with(&format!("#1 {HOSTILE_TITLE}")), "{header}");
    assert!(shown(&card).contains("👀 Acknowledge: /ack 1 · 🙋 Claim: /claim 1"), "buttons become commands");
    assert!(card.to_string().matches("lark_md").count() == 0, "nothing typed is markdown on Feishu");

    // DingTalk: markdown with the title escaped, and nobody pinged.
    let card = rb.expect("dt-ops", "#1 Gas").await;
    assert_eq!(card["msgtype"], "markdown");
    assert_eq!(card["at"], json!({ "isAtAll": false }));
    let text = card["markdown"]["text"].as_str().unwrap();
    assert!(text.starts_with("### "), "{text}");
    assert!(text.contains(r"\*\*near\*\*") && text.contains(r"\[x\]\(http://evil\)"), "{text}");
    assert!(!text.contains("<@all>") && !text.contains("<b>") && !text.contains("<at "), "{text}");
    assert!(card["markdown"]["title"].as_str().unwrap().contains("#1 Gas"), "the notification's title");

    // WeCom: markdown with the headline in WeCom's orange-red, no tag of the title live.
    let card = rb.expect("wc-ops", "#1 Gas").await;
    assert_eq!(card["msgtype"], "markdown");
    let content = card["markdown"]["content"].as_str().unwrap();
    assert!(content.starts_with("### <font color=\"warning\">"), "{content}");
    assert!(!content.contains("<@all>") && !content.contains("<b>"), "{content}");
    assert!(content.contains("<\u{200b}@all\\>"), "shown, not a mention: {content}");

    // A robot cannot edit: the acknowledgement is a fresh card.
    rb.alice("/ack 1").await;
    for robot in ["fs-ops", "dt-ops", "wc-ops"] {
        rb.expect(robot, "Alice Chen: acknowledged it").await;
        let cards = rb.fake.lock().accepted(robot).len();
        assert_eq!(cards, 2, "{robot}: the first card, then a fresh one");
    }
    assert_eq!(rb.fake.lock().violations, 0);
    for robot in ["fs-news", "dt-news", "wc-news"] {
        assert!(rb.fake.lock().answered(robot).is_empty(), "an outlet gets no card");
    }
    rb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_mentions_the_owner_on_each_robot_and_pings_nobody_else() {
    let rb = Rb::start().await;
    rb.alice("/new IV Fallen tree on @all Road").await;
    rb.alice("/assign 1 bob").await;
    rb.expect("wc-ops", "Bob Li").await;
    // Grade IV's acknowledge clock is 4 h: its first reminder falls at half of it.
    rb.advance(chrono::Duration::minutes(120) + chrono::Duration::seconds(1));
    rb.services.app.run_due_jobs().await.expect("jobs run");

    let feishu = rb.expect("fs-ops", "⏰").await;
    assert_eq!(feishu["msg_type"], "post");
    let paragraphs = feishu["content"]["post"]["zh_cn"]["content"].as_array().unwrap();
    let ats: Vec<_> = paragraphs.iter().flat_map(|p| p.as_array().unwrap()).filter(|e| e["tag"] == "at").collect();
    assert_eq!(ats, [&json!({ "tag": "at", "user_id": "ou_bob" })], "Bob, in place of his name");

    let dingtalk = rb.expect("dt-ops", "⏰").await;
    assert_eq!(dingtalk["msgtype"], "text");
    assert_eq!(dingtalk["at"], json!({ "atUserIds": ["bob01"], "isAtAll": false }));
    assert!(dingtalk["text"]["content"].as_str().unwrap().contains("Owner: @bob01"), "{dingtalk}");

    let wecom = rb.expect("wc-ops", "⏰").await;
    assert_eq!(wecom["msgtype"], "text");
    assert_eq!(wecom["text"]["mentioned_list"], json!(["bob.li"]));
    assert!(wecom["text"]["content"].as_str().unwrap().contains("Fallen tree on @all Road"), "{wecom}");
    rb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_statement_reaches_each_robot_outlet_exactly_as_written() {
    let rb = Rb::start().await;
    rb.alice("/new IV Water main burst on Elm Street").await;
    let statement = "Crews are on site <b>now</b> & **working**; 抢修人员已到场 <@all>";
    rb.alice(&format!("/update 1 investigating {statement}")).await;
    for robot in ["fs-news", "dt-news", "wc-news"] {
        let body = rb.expect(robot, "Crews are on site").await;
        let text = match robot {
            "fs-news" => {
                assert_eq!(body["msg_type"], "post");
                body["content"]["post"]["zh_cn"]["content"][0][0]["text"].as_str().unwrap().to_string()
            }
            _ => {
                assert_eq!(body["msgtype"], "text", "{body}");
                body["text"]["content"].as_str().unwrap().to_string()
            }
        };
        assert!(text.contains(statement), "{robot} shows it as written: {text:?}");
        assert!(body.get("at").is_none_or(|at| at["isAtAll"] == false), "{body}");
        assert_eq!(rb.fake.lock().answered(robot), [0], "{robot}: the statement and nothing else");
    }
    rb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_cases_keeps_each_robots_per_minute_limit_with_digests_and_loses_nothing() {
    let rb = Rb::start().await;
    // Two new cases a second for 100 seconds: past every robot's per-minute limit (Feishu's
    // 100, DingTalk's and WeCom's 20), with time passing as they come in.
    for i in 1..=200 {
        rb.alice(&format!("/new Report {i} of smoke")).await;
        if i % 2 == 0 {
            rb.advance(chrono::Duration::seconds(1));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let wanted: BTreeSet<String> = (1..=200).map(|i| format!("#{i} ")).collect();
    let everything = |robot: &str| {
        let joined: String = rb.fake.lock().accepted(robot).iter().map(shown).collect();
        wanted.iter().all(|w| joined.contains(w.as_str()))
    };
    // Time passes a second at a step; the robots' limits are counted in it.
    let mut steps = 0;
    while !["fs-ops", "dt-ops", "wc-ops"].iter().all(|r| everything(r)) {
        steps += 1;
        assert!(steps < 600, "not everything arrived within ten minutes of clock time after the flood");
        rb.advance(chrono::Duration::seconds(1));
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    {
        let st = rb.fake.lock();
        assert_eq!(st.violations, 0, "no robot was posted past its limit");
        for (robot, per_minute) in [("fs-ops", 100), ("dt-ops", 20), ("wc-ops", 20)] {
            let at: Vec<_> = st.posts.iter().filter(|p| p.robot == robot).map(|p| p.at).collect();
            for (i, first) in at.iter().enumerate() {
                let in_minute = at[i..].iter().filter(|t| **t - *first < chrono::Duration::seconds(60)).count();
                assert!(in_minute <= per_minute, "{robot}: {in_minute} posts in one minute");
            }
            let digests = st.accepted(robot).iter().filter(|b| shown(b).contains("📋")).count();
            assert!(digests > 0, "{robot} got digests");
            assert!(at.len() < 200, "{robot}: {} posts for 200 cases", at.len());
        }
    }
    rb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_code_makes_that_robot_wait_and_only_that_robot() {
    let rb = Rb::start().await;
    rb.fake.fail("dt-ops", 130101, "send too fast, exceed 20 times per minute", 1);
    rb.alice("/new Bridge closed").await;
    rb.expect("wc-ops", "Bridge closed").await;
    let limited = rb.fake.wait_until(|st| st.answered("dt-ops") == [130101], PATIENCE).await;
    assert!(limited, "{:?}", rb.fake.lock().answered("dt-ops"));
    // Other robots go on meanwhile; DingTalk's waits for its ten-minute throttle.
    rb.alice("/ack 1").await;
    rb.expect("wc-ops", "acknowledged it").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rb.fake.lock().answered("dt-ops"), [130101], "nothing more while the robot is throttled");
    rb.advance(chrono::Duration::seconds(601));
    // The wait counts from when the worker read the answer (under load, maybe after the
    // advance above): move on a little more until it has passed.
    for _ in 0..20 {
        let sent = |st: &support::fake_robots::State| st.answered("dt-ops").len() > 1;
        if rb.fake.wait_until(sent, Duration::from_secs(1)).await {
            break;
        }
        rb.advance(chrono::Duration::seconds(10));
    }
    rb.expect("dt-ops", "Bridge closed").await;
    rb.expect("dt-ops", "acknowledged it").await;
    rb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_signature_is_never_retried_and_the_leaders_robot_is_told() {
    let rb = Rb::start_with(|vars| {
        vars.insert("ROBOT_OPS_FEISHU_SECRET".into(), "not-the-robots-secret".into());
    })
    .await;
    rb.alice("/new Chemical spill").await;
    let told = rb.expect("wc-leaders", "refuses our messages").await;
    let text = told["text"]["content"].as_str().unwrap();
    assert!(text.contains("ops-feishu") && text.contains("19021"), "{text}");
    rb.expect("dt-ops", "Chemical spill").await;
    // Well past any back-off: still the one attempt.
    rb.advance(chrono::Duration::minutes(10));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rb.fake.lock().answered("fs-ops"), [19021], "a refusal is not retried");
    rb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_report_goes_to_a_leaders_chat_that_is_a_robot() {
    let rb = Rb::start_edited(|c| c.replace("leaders_chat = ", "report_at = \"00:00\"\nleaders_chat = "), |_| {}).await;
    rb.alice("/new I Chemical spill at the port").await;
    let now = rb.clock.now();
    let midnight = (now.date_naive() + chrono::Days::new(1)).and_hms_opt(0, 0, 1).unwrap().and_utc();
    rb.advance(midnight - now);
    rb.services.app.run_due_jobs().await.expect("jobs run");
    let report = rb.expect("wc-leaders", "📋 Report for city-desk").await;
    assert_eq!(report["msgtype"], "text");
    rb.expect("wc-leaders", "Chemical spill at the port").await;
    rb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_report_asked_for_on_the_console_also_reaches_the_leaders_robot() {
    let rb = Rb::start().await;
    rb.alice("/drill start pipe 60").await;
    rb.advance(chrono::Duration::seconds(2));
    rb.services.app.run_due_jobs().await.expect("jobs run");
    rb.expect("wc-ops", "Pipe burst on Quay Street").await;
    rb.alice("/drill stop").await;
    let asked = rb
        .services
        .app
        .handle(&support::says(tocsin::platform::Platform::Console, "alice", "ops", "/drill report"))
        .await;
    let reply = asked.reply.expect("the report, on the console");
    assert!(reply.contains("after-action report"), "{reply}");
    let posted = rb.expect("wc-leaders", "after-action report").await;
    assert!(shown(&posted).contains("Pipe burst on Quay Street"), "{posted}");
    assert!(rb.fake.lock().answered("wc-news").is_empty(), "a drill reaches no public outlet");
    rb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_robot_is_retried_after_a_back_off_and_the_leaders_are_not_bothered() {
    let rb = Rb::start().await;
    rb.fake.fail("wc-ops", -1, "system busy", 1);
    rb.alice("/new Power cut in district 4").await;
    let busy = rb.fake.wait_until(|st| st.answered("wc-ops") == [-1], PATIENCE).await;
    assert!(busy, "{:?}", rb.fake.lock().answered("wc-ops"));
    // The retry is timed from when the worker read the answer, which may come after this
    // test saw it: move the clock on until the back-off has passed, however late it began.
    for _ in 0..10 {
        rb.advance(chrono::Duration::seconds(2));
        let retried = |st: &support::fake_robots::State| st.answered("wc-ops").len() > 1;
        if rb.fake.wait_until(retried, Duration::from_secs(2)).await {
            break;
        }
    }
    rb.expect("wc-ops", "Power cut in district 4").await;
    assert_eq!(rb.fake.lock().answered("wc-ops"), [-1, 0], "retried once, delivered once");
    assert!(rb.fake.lock().answered("wc-leaders").is_empty(), "a passing failure is not the leaders' business");
    rb.shutdown().await;
}
