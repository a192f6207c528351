//! Discord delivery throughput and latency, measured against the fake Discord.
//!
//! tocsin runs for real (SQLite ledger in a temp dir, the serenity gateway client, tocsin's own
//! REST sender and the delivery worker with Discord's limits) against
//! `tests/support/fake_discord`, which does not throttle but counts every send over Discord's
//! limits (5 messages / 5 s per channel, 50 requests / s per bot). Cases are opened in 100
//! Discord channels by calling `App::handle` directly; the commit time of case N is the instant
//! `handle` returned, its receipt time the arrival at the fake of the first accepted message
//! post or edit whose content or embed shows `#N `. Two scenarios, each on a fresh fake and
//! database:
//!
//! - steady: one case per channel per second (100 cases/s, spread evenly) for ten seconds;
//! - burst: 1,000 cases opened back to back, round-robin over the channels.
//!
//! Run with `cargo bench --bench discord_delivery`. Results go to BENCHMARKS.md by hand; this
//! binary asserts nothing about time.

#[path = "../tests/support/fake_discord/mod.rs"]
mod fake_discord;

use fake_discord::{Call, FakeDiscord, State};
use serde_json::Value;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tocsin::app::Invocation;
use tocsin::clock::SystemClock;
use tocsin::config::Config;
use tocsin::domain::CaseId;
use tocsin::platform::Platform;
use tocsin::run::{Secrets, Services};

const BOT_TOML: &str = include_str!("../bot.toml");
const CHANNELS: usize = 100;
const STEADY_SECONDS: usize = 10;
const BURST_CASES: usize = 1_000;
const GUILD: u64 = 600_000_000_000_000_001;
const LEADER: u64 = 620_000_000_000_000_001;
const TOKEN: &str = "discord-bench-token";
/// No scenario may take longer than this, from its first commit to its last receipt.
const LIMIT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(50);

/// The Discord id of channel `i` (0-based).
fn channel_id(i: usize) -> u64 {
    610_000_000_000_001_000 + u64::try_from(i).expect("a small index")
}

/// bot.toml for 100 teams, each with its own Discord channel as team chat, and one leader.
fn config(fake: &FakeDiscord) -> String {
    let grades = &BOT_TOML[BOT_TOML.find("[grades.I]").expect("bot.toml has grades")..];
    let mut toml =
        String::from("database = \"sqlite://unused.db\"\ndefault_locale = \"en\"\ndefault_grade = \"IV\"\n\n");
    let _ = write!(toml, "[discord]\napi_url = \"{}\"\n\n", fake.base_url());
    let _ = write!(
        toml,
        "[[people]]\nname = \"lead\"\ndisplay = \"Lea Lead\"\nroles = [\"leader\", \"member\"]\ndiscord = {LEADER}\n\n"
    );
    for i in 0..CHANNELS {
        let _ = write!(toml, "[chats.chan-{i:03}]\nplatform = \"discord\"\nid = \"{}\"\n\n", channel_id(i));
    }
    for i in 0..CHANNELS {
        let _ = write!(toml, "[[teams]]\nname = \"team-{i:03}\"\nleader = \"lead\"\nteam_chat = \"chan-{i:03}\"\n\n");
    }
    toml.push_str(grades);
    toml
}

/// Discord drops a backslash before ASCII punctuation (tocsin escapes `#` at a line start).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(char::is_ascii_punctuation) {
            out.push(chars.next().expect("peeked"));
        } else {
            out.push(c);
        }
    }
    out
}

/// What a reader sees of a sent message: its content and each embed's title and description.
fn shown(body: &Value) -> String {
    let mut parts = vec![body["content"].as_str().unwrap_or("").to_string()];
    for e in body["embeds"].as_array().into_iter().flatten() {
        parts.extend(["title", "description"].iter().filter_map(|k| e[*k].as_str().map(str::to_string)));
    }
    unescape(&parts.join("\n"))
}

/// The case numbers a text mentions as `#N ` (a number followed by a space).
fn case_numbers(text: &str) -> Vec<usize> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices('#') {
        let rest = &text[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0
            && rest[digits..].starts_with(' ')
            && let Ok(n) = rest[..digits].parse()
        {
            found.push(n);
        }
    }
    found
}

/// A message post (`POST /channels/{c}/messages`) or edit (`PATCH …/messages/{m}`): its channel.
fn message_channel(call: &Call) -> Option<u64> {
    let seg: Vec<&str> = call.api_path().trim_start_matches('/').split('/').collect();
    match (call.method.as_str(), seg.as_slice()) {
        ("POST", ["channels", c, "messages"]) | ("PATCH", ["channels", c, "messages", _]) => c.parse().ok(),
        _ => None,
    }
}

fn is_post(call: &Call) -> bool {
    call.method == "POST" && message_channel(call).is_some()
}

/// Reads the fake's calls from `cursor` on, noting the first receipt of each case number.
/// Stops at a call still waiting for its answer, so it is read again next time.
fn scan(st: &State, cursor: &mut usize, receipts: &mut [Option<Instant>]) {
    while let Some(call) = st.calls.get(*cursor) {
        if call.status == 0 {
            return;
        }
        *cursor += 1;
        if call.status != 200 || message_channel(call).is_none() {
            continue;
        }
        let Some(body) = &call.body else { continue };
        for n in case_numbers(&shown(body)) {
            if let Some(slot) = receipts.get_mut(n.wrapping_sub(1))
                && slot.is_none()
            {
                *slot = Some(call.at);
            }
        }
    }
}

struct Outcome {
    name: &'static str,
    opened: usize,
    /// From the first commit to the last.
    open_span: Duration,
    /// Accepted message posts and edits, and of those: posts, posts with an embed (cards), digests.
    delivered: usize,
    posts: usize,
    cards: usize,
    digests: usize,
    /// How many case numbers each digest carried.
    digest_sizes: Vec<usize>,
    /// Answers with status 429 from the fake, and other non-2xx answers to message calls.
    too_many: usize,
    refused: usize,
    /// Sends tocsin counted as rate limited (`tocsin_sends_total{result="rate_limited"}`): a
    /// 429, or a channel bucket the headers said was empty, held back without a call.
    held_back: u64,
    limit_violations: usize,
    /// The same count redone from the call log, by limit: (over 50/s, over 5/5 s in a channel).
    over_global: usize,
    over_channel: usize,
    /// The most REST requests (all but interaction answers) in any one second, and posts to one channel in
    /// any five seconds.
    max_per_second: usize,
    max_per_channel_5s: usize,
    /// From the first commit to the last receipt.
    span: Duration,
    latencies: Vec<Duration>,
    missing: Vec<usize>,
    /// Cases whose stored title is not the one opened under that number.
    misnumbered: usize,
    /// The slowest commit → receipt of the cases opened in each second after the first commit.
    worst_by_second: Vec<Duration>,
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // Lossless enough for a thousand samples; the rank is clamped to the slice.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Redoes the fake's count of sends over Discord's limits (`State::count_request`) from its call
/// log, telling the two limits apart: a request with 50 others in the second before it, and a
/// post with 5 others to its channel in the five seconds before it.
fn over_limits(calls: &[&Call]) -> (usize, usize) {
    let (mut global, mut channel) = (0, 0);
    for (i, call) in calls.iter().enumerate() {
        let before = calls[..i].iter().rev().take_while(|c| call.at.duration_since(c.at).as_secs_f64() <= 5.0);
        let (mut last_second, mut in_channel) = (0, 0);
        for c in before {
            if call.at.duration_since(c.at).as_secs_f64() <= 1.0 {
                last_second += 1;
            }
            if is_post(call) && is_post(c) && message_channel(c) == message_channel(call) {
                in_channel += 1;
            }
        }
        global += usize::from(last_second >= 50);
        channel += usize::from(in_channel >= 5);
    }
    (global, channel)
}

fn most_in_window(times: &mut [Instant], window: Duration) -> usize {
    times.sort();
    let mut best = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

/// `tocsin_sends_total{platform="discord",result="rate_limited"}` from the app's metrics.
fn held_back(services: &Services) -> u64 {
    let text = services.app.telemetry().render(None).unwrap_or_default();
    text.lines()
        .find(|l| {
            l.starts_with("tocsin_sends_total{")
                && l.contains("platform=\"discord\"")
                && l.contains("result=\"rate_limited\"")
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Opens the cases `plan` lists — `(channel index, when to open it after the start)` — one
/// after another, then waits until every case number reached the fake or `LIMIT` passed.
async fn scenario(name: &'static str, plan: &[(usize, Duration)]) -> Outcome {
    let fake = FakeDiscord::start().await;
    fake.set_token(TOKEN);
    fake.add_guild(GUILD, "Bench");
    for i in 0..CHANNELS {
        fake.add_channel(GUILD, channel_id(i), &format!("chan-{i:03}"));
    }
    fake.add_user(LEADER, "lead");
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut config = Config::parse(&config(&fake)).expect("a valid bench config");
    config.database_url = format!("sqlite://{}/tocsin.db", dir.path().display());
    let secrets = Secrets { discord_token: Some(TOKEN.into()), vars: Some(Default::default()), ..Default::default() };
    let services: Services =
        tocsin::run::start(config, Arc::new(SystemClock), secrets).await.expect("tocsin starts against the fake");
    // As on Discord, the commands are registered once the gateway session is up: start then.
    let registered = fake.wait_until(|st| st.commands.contains_key(&GUILD), Duration::from_secs(30)).await;
    assert!(registered, "tocsin connected to the fake gateway and registered its commands");
    // serenity's start-up requests (application, gateway, commands) count against the fake's
    // 50/s too, but tocsin's limiter does not see them: let them leave the window first.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let calls_before = fake.with_state(|st| st.calls.len());

    let user_id = LEADER.to_string();
    let mut titles = Vec::with_capacity(plan.len());
    let mut commits: Vec<Instant> = Vec::with_capacity(plan.len());
    let start = tokio::time::Instant::now();
    for (n, (channel, after)) in plan.iter().enumerate() {
        tokio::time::sleep_until(start + *after).await;
        if start.elapsed() > LIMIT {
            println!("{name}: stopped opening cases after {LIMIT:?}, with {n} of {} open", plan.len());
            break;
        }
        let title = format!("Load {name} case {} in channel {channel:03}", n + 1);
        let inv = Invocation {
            platform: Platform::Discord,
            user_id: user_id.clone(),
            chat_id: channel_id(*channel).to_string(),
            text: format!("/new {title}"),
            topic: None,
            bot_username: None,
            dedup_key: None,
        };
        let response = services.app.handle(&inv).await;
        commits.push(Instant::now());
        assert!(response.committed, "/new was not committed: {:?}", response.reply);
        titles.push(title);
    }
    let opened = commits.len();
    let first_commit = commits.first().copied().unwrap_or_else(Instant::now);
    let open_span = commits.last().map_or(Duration::ZERO, |l| *l - first_commit);

    let mut receipts: Vec<Option<Instant>> = vec![None; opened];
    let mut cursor = calls_before;
    loop {
        fake.with_state(|st| scan(st, &mut cursor, &mut receipts));
        if receipts.iter().all(Option::is_some) {
            break;
        }
        if first_commit.elapsed() > LIMIT {
            let left = receipts.iter().filter(|r| r.is_none()).count();
            println!("{name}: gave up waiting after {LIMIT:?}; {left} of {opened} cases never reached the fake");
            break;
        }
        tokio::time::sleep(POLL).await;
    }

    let store = services.app.store();
    let mut misnumbered = 0;
    for (i, title) in titles.iter().enumerate() {
        let id = CaseId::parse(&(i + 1).to_string()).expect("a case number");
        if store.case(id).await.ok().flatten().is_none_or(|c| c.title != *title) {
            misnumbered += 1;
        }
    }
    let held_back = held_back(&services);
    services.shutdown().await;

    let calls = fake.calls();
    let limit_violations = fake.limit_violations();
    // Interaction callbacks and webhooks are authorised by their own token and do not count
    // against the bot's limits (as on Discord, and in the fake's count); none happen here anyway.
    let by_token = |c: &Call| c.api_path().starts_with("/interactions/") || c.api_path().starts_with("/webhooks/");
    let bot_calls: Vec<&Call> = calls.iter().filter(|c| !by_token(c)).collect();
    let message_calls: Vec<&Call> = bot_calls.iter().copied().filter(|c| message_channel(c).is_some()).collect();
    let (over_global, over_channel) = over_limits(&bot_calls);
    let accepted: Vec<&Call> = message_calls.iter().copied().filter(|c| c.status == 200).collect();
    let mut times: Vec<Instant> = bot_calls.iter().map(|c| c.at).collect();
    let max_per_second = most_in_window(&mut times, Duration::from_secs(1));
    let max_per_channel_5s = (0..CHANNELS)
        .map(|i| {
            let mut t: Vec<Instant> = accepted
                .iter()
                .filter(|c| is_post(c) && message_channel(c) == Some(channel_id(i)))
                .map(|c| c.at)
                .collect();
            most_in_window(&mut t, Duration::from_secs(5))
        })
        .max()
        .unwrap_or(0);
    let last_receipt = receipts.iter().flatten().max().copied().unwrap_or(first_commit);
    let mut latencies: Vec<Duration> =
        receipts.iter().zip(&commits).filter_map(|(r, c)| r.map(|r| r.saturating_duration_since(*c))).collect();
    let mut worst_by_second: Vec<Duration> = Vec::new();
    for (commit, receipt) in commits.iter().zip(&receipts) {
        let second = usize::try_from((*commit - first_commit).as_secs()).unwrap_or(usize::MAX);
        if second >= worst_by_second.len() {
            worst_by_second.resize(second + 1, Duration::ZERO);
        }
        let latency = receipt.map_or(Duration::MAX, |r| r.saturating_duration_since(*commit));
        worst_by_second[second] = worst_by_second[second].max(latency);
    }
    latencies.sort();
    let posts: Vec<&Call> = accepted.iter().copied().filter(|c| is_post(c)).collect();
    let has_embed = |c: &Call| c.body.as_ref().is_some_and(|b| b["embeds"].as_array().is_some_and(|e| !e.is_empty()));
    let digest_texts: Vec<String> = posts
        .iter()
        .filter(|c| !has_embed(c))
        .filter_map(|c| c.body.as_ref().map(shown))
        .filter(|t| t.starts_with("📋 "))
        .collect();
    Outcome {
        name,
        opened,
        open_span,
        delivered: accepted.len(),
        posts: posts.len(),
        cards: posts.iter().filter(|c| has_embed(c)).count(),
        digests: digest_texts.len(),
        digest_sizes: digest_texts.iter().map(|t| case_numbers(t).len()).collect(),
        too_many: calls.iter().filter(|c| c.status == 429).count(),
        refused: message_calls.iter().filter(|c| c.status != 200 && c.status != 429).count(),
        held_back,
        limit_violations,
        over_global,
        over_channel,
        max_per_second,
        max_per_channel_5s,
        span: last_receipt - first_commit,
        latencies,
        missing: receipts.iter().enumerate().filter(|(_, r)| r.is_none()).map(|(i, _)| i + 1).collect(),
        misnumbered,
        worst_by_second,
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn report(outcomes: &[Outcome]) {
    println!();
    println!(
        "| scenario | cases opened | opening took | Discord messages delivered (cards, digests) | first commit → last receipt | messages/s | cases/s delivered | latency p50 | p90 | p99 | max | 429s | limit violations | every case delivered |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for o in outcomes {
        let span = o.span.as_secs_f64().max(f64::EPSILON);
        #[allow(clippy::cast_precision_loss)]
        let (per_s, cases_per_s) = (o.delivered as f64 / span, o.latencies.len() as f64 / span);
        let all = if o.missing.is_empty() && o.misnumbered == 0 {
            format!("yes ({} of {})", o.latencies.len(), o.opened)
        } else {
            format!("NO: {} missing, {} misnumbered", o.missing.len(), o.misnumbered)
        };
        println!(
            "| {} | {} | {} | {} ({}, {}) | {} | {per_s:.1} | {cases_per_s:.1} | {} | {} | {} | {} | {} | {} | {all} |",
            o.name,
            o.opened,
            secs(o.open_span),
            o.delivered,
            o.cards,
            o.digests,
            secs(o.span),
            secs(percentile(&o.latencies, 0.50)),
            secs(percentile(&o.latencies, 0.90)),
            secs(percentile(&o.latencies, 0.99)),
            secs(percentile(&o.latencies, 1.0)),
            o.too_many,
            o.limit_violations,
        );
    }
    println!();
    for o in outcomes {
        println!(
            "{}: {} posts and {} edits accepted; {} other refusals; most bot requests in any 1 s {}, most posts to one channel in any 5 s {}",
            o.name,
            o.posts,
            o.delivered - o.posts,
            o.refused,
            o.max_per_second,
            o.max_per_channel_5s
        );
        println!(
            "{}: 429s from the fake {}; sends tocsin counted as rate limited (429 or an empty bucket held back) {}",
            o.name, o.too_many, o.held_back
        );
        println!(
            "{}: the fake's limit violations {}: over 50 requests/s {}, over 5 posts/5 s in a channel {}",
            o.name, o.limit_violations, o.over_global, o.over_channel
        );
        let carried: usize = o.digest_sizes.iter().sum();
        #[allow(clippy::cast_precision_loss)]
        let mean = carried as f64 / o.digest_sizes.len().max(1) as f64;
        println!(
            "{}: {} cases went out in {} digests (mean {mean:.1}, largest {} cases each), {} as cards",
            o.name,
            carried,
            o.digests,
            o.digest_sizes.iter().max().unwrap_or(&0),
            o.cards
        );
        let worst: Vec<String> = o.worst_by_second.iter().map(|d| format!("{:.1}", d.as_secs_f64())).collect();
        println!("{}: slowest latency (s) of the cases opened in second 0, 1, 2…: {}", o.name, worst.join(" "));
        if !o.missing.is_empty() {
            let shown: Vec<String> = o.missing.iter().take(20).map(|n| format!("#{n}")).collect();
            println!(
                "{}: never delivered: {}{}",
                o.name,
                shown.join(" "),
                if o.missing.len() > 20 { " …" } else { "" }
            );
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; this binary takes no options.
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    let outcomes = runtime.block_on(async {
        let tick = Duration::from_secs(1) / u32::try_from(CHANNELS).expect("few channels");
        let steady: Vec<(usize, Duration)> = (0..STEADY_SECONDS * CHANNELS)
            .map(|k| (k % CHANNELS, tick * u32::try_from(k).expect("few cases")))
            .collect();
        let burst: Vec<(usize, Duration)> = (0..BURST_CASES).map(|k| (k % CHANNELS, Duration::ZERO)).collect();
        println!(
            "tocsin Discord delivery bench: {CHANNELS} channels in one server, fake Discord (REST and gateway) on 127.0.0.1, SQLite in a temp dir"
        );
        println!("steady: {} cases at {} per second; burst: {BURST_CASES} cases back to back", steady.len(), CHANNELS);
        let a = scenario("steady", &steady).await;
        let b = scenario("burst", &burst).await;
        vec![a, b]
    });
    report(&outcomes);
}
