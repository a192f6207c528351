//! The public status page end to end: tocsin started for real with `[status_page]` on a free
//! port and a fresh SQLite ledger, cases opened through the chat commands, statements
//! recorded as the `statement_published` events publishing writes, and the page read over
//! HTTP, parsed as Atom, and loaded in headless Chromium.

use crate::support;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use support::{BOT_TOML, TestDb};
use tocsin::clock::SystemClock;
use tocsin::config::Config;
use tocsin::domain::{CaseId, EventAction, Grade, NewCase, NewEvent};
use tocsin::platform::Platform;
use tocsin::run::{Secrets, Services};
use tocsin::store::{CaseFilter, CaseWrite, Commit, Store};

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const INJECTION: &str = "<script>alert(1)</script> \"><img src=x onerror=alert(2)>";

/// 21 November 2026, 08:00 UTC, plus `minutes`.
fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 8, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
}

/// tocsin, console-only as committed, with the status page on.
struct Site {
    services: Services,
    store: Arc<dyn Store>,
    addr: SocketAddr,
    client: reqwest::Client,
    _db: TestDb,
}

impl Site {
    async fn start() -> Site {
        Site::start_with("").await
    }

    /// `extra` goes into the `[status_page]` section.
    async fn start_with(extra: &str) -> Site {
        let db = TestDb::sqlite();
        let text = format!("{BOT_TOML}\n[status_page]\nlisten = \"127.0.0.1:0\"\n{extra}");
        let mut config = Config::parse(&text).unwrap_or_else(|e| panic!("test config is invalid:\n{e}"));
        config.database_url = db.url.clone();
        let services =
            tocsin::run::start(config, Arc::new(SystemClock), Secrets::default()).await.expect("tocsin starts");
        let addr = services.status_addr.expect("the status page listens");
        let store = services.app.store();
        Site { services, store, addr, client: reqwest::Client::new(), _db: db }
    }

    /// Alice (a leader) types `text` in the team chat.
    async fn say(&self, text: &str) -> String {
        let inv = support::says(Platform::Console, "alice", "ops", text);
        self.services.app.handle(&inv).await.reply.unwrap_or_default()
    }

    /// Opens a case with `/new` and returns its number.
    async fn open(&self, command: &str) -> CaseId {
        self.say(command).await;
        let newest = self.store.cases(&CaseFilter { limit: Some(1), ..CaseFilter::default() }).await.unwrap();
        newest[0].id
    }

    /// A drill case, as a drill would open it.
    async fn open_drill(&self, title: &str) -> CaseId {
        let new = NewCase {
            team: "city-desk".into(),
            title: title.into(),
            summary: None,
            source: "drill".into(),
            grade: Grade::II,
            owner: None,
            leader: Some("alice".into()),
            opened_by: "alice".into(),
            drill: true,
            opened_at: at(0),
        };
        self.store.commit(Commit::new(CaseWrite::Insert(new), at(0))).await.unwrap().expect("a case number")
    }

    /// Records an event on a case, as the app's commands do.
    async fn record(&self, case: CaseId, action: EventAction, details: serde_json::Value, when: DateTime<Utc>) {
        let current = self.store.case(case).await.unwrap().expect("the case exists");
        let mut commit = Commit::new(CaseWrite::Update(current), when);
        commit.events.push(NewEvent { actor: "dana".into(), action, details, platform: "console".into(), at: when });
        self.store.commit(commit).await.unwrap();
    }

    /// What `/publish` (or a pre-approved `/update`) records.
    async fn publish(&self, case: CaseId, draft: u32, status: Option<&str>, text: &str, when: DateTime<Utc>) {
        let details = json!({
            "draft": format!("{}.{draft}", case.get()), "version": 1, "text": text,
            "status": status, "outlets": ["public"], "auto": false, "drill": false,
        });
        self.record(case, EventAction::StatementPublished, details, when).await;
    }

    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.client.get(format!("http://{}{path}", self.addr));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("the status page answers")
    }

    /// The status and body of a GET.
    async fn page(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let resp = self.get(path, headers).await;
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    async fn ok(&self, path: &str, headers: &[(&str, &str)]) -> String {
        let (status, body) = self.page(path, headers).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn shutdown(self) {
        self.services.shutdown().await;
    }
}

/// The desk of the tests below: two public cases, one with an owner, a summary, an internal
/// note and an unpublished draft; a case with only a draft; a drill that "published".
struct Desk {
    gas: CaseId,
    draft_only: CaseId,
    drill: CaseId,
    water: CaseId,
}

async fn desk(site: &Site) -> Desk {
    let gas =
        site.open("/new II Caller 555-0101 reports gas smell at Elm St school | internal: caller is a teacher").await;
    site.say(&format!("/assign {} bob", gas.get())).await;
    site.record(gas, EventAction::Noted, json!({ "text": "INTERNAL NOTE: valve supplier blamed" }), at(1)).await;
    site.publish(
        gas,
        1,
        None,
        "Gas smell near Elm Street school\nWe are checking the area.\n\nPlease keep away.",
        at(5),
    )
    .await;
    site.record(
        gas,
        EventAction::DraftWritten,
        json!({ "draft": format!("{}.2", gas.get()), "version": 1, "text": "UNPUBLISHED DRAFT: blame the supplier", "status": "identified" }),
        at(20),
    )
    .await;
    site.publish(gas, 3, Some("monitoring"), "The leak was sealed. We keep measuring the air.", at(40)).await;

    let draft_only = site.open("/new III Rumour of a bridge closure").await;
    site.record(
        draft_only,
        EventAction::DraftWritten,
        json!({ "draft": format!("{}.1", draft_only.get()), "version": 1, "text": "DRAFT ONLY: the bridge stays open", "status": null }),
        at(10),
    )
    .await;

    let drill = site.open_drill("Drill: chemical spill").await;
    site.publish(drill, 1, Some("investigating"), "DRILL STATEMENT: a spill at the port", at(15)).await;

    let water = site.open("/new IV Water outage in district 9").await;
    site.publish(water, 1, Some("investigating"), "停水通知：9区自来水管道维修。", at(2)).await;
    site.publish(water, 2, Some("resolved"), "供水已于 10:30 恢复。", at(30)).await;
    Desk { gas, draft_only, drill, water }
}

/// Everything of the desk that must never reach the public.
const PRIVATE: [&str; 9] = [
    "Bob Li",
    "555-0101",
    "internal: caller is a teacher",
    "INTERNAL NOTE",
    "UNPUBLISHED DRAFT",
    "DRAFT ONLY",
    "DRILL STATEMENT",
    "Drill: chemical spill",
    "Rumour of a bridge closure",
];

fn assert_private_stays_private(body: &str) {
    for secret in PRIVATE {
        assert!(!body.contains(secret), "{secret:?} is on the page:\n{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_page_lists_public_cases_with_their_latest_status_and_nothing_internal() {
    let site = Site::start().await;
    let d = desk(&site).await;
    let body = site.ok("/", &[]).await;
    assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    assert!(body.contains("<html lang=\"en\">"));
    assert!(body.contains("<title>Status updates</title>"), "the default title: {body}");
    let in_progress = body.split("<h2>In progress</h2>").nth(1).expect("a section of cases in progress");
    let (in_progress, resolved) =
        in_progress.split_once("<h2>Recently resolved or closed</h2>").expect("and a resolved one");
    assert!(in_progress.contains("Gas smell near Elm Street school"), "the headline is the first statement's: {body}");
    assert!(in_progress.contains("<span class=\"status status-monitoring\">Monitoring</span>"), "{body}");
    assert!(in_progress.contains("The leak was sealed."), "the latest statement is quoted: {body}");
    assert!(in_progress.contains("Last update: <time datetime=\"2026-11-21T08:40:00Z\">21 Nov 2026, 08:40 UTC</time>"));
    assert!(in_progress.contains(&format!("href=\"/cases/{}\"", d.gas.get())));
    assert!(resolved.contains("停水通知：9区自来水管道维修。"), "{body}");
    assert!(resolved.contains("<span class=\"status status-resolved\">Resolved</span>"));
    for hidden in [d.draft_only, d.drill] {
        assert!(!body.contains(&format!("/cases/{}\"", hidden.get())), "case {hidden} is not listed: {body}");
    }
    assert_private_stays_private(&body);
    assert!(body.contains("All times are in UTC."));
    assert!(!body.contains("<script"), "the page runs no script");
    site.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_the_team_finished_without_a_resolved_update_is_shown_as_closed_not_in_progress() {
    let site = Site::start().await;
    let d = desk(&site).await;
    let before = site.get(&format!("/cases/{}", d.gas.get()), &[]).await;
    let modified = before.headers()["last-modified"].to_str().unwrap().to_string();
    // HTTP dates count whole seconds: finish the case in a later one than the page was served.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let reply = site.say(&format!("/resolve {} Leak sealed by the gas company", d.gas.get())).await;
    assert!(reply.is_empty(), "the case is resolved: {reply}");
    tokio::time::sleep(tocsin::status_page::FRESH).await;

    let body = site.ok("/", &[]).await;
    let (in_progress, over) = body.split_once("<h2>Recently resolved or closed</h2>").expect("a section for it");
    assert!(!in_progress.contains("Gas smell near Elm Street school"), "not in progress any more: {body}");
    assert!(over.contains("Gas smell near Elm Street school"), "{body}");
    assert!(over.contains("<span class=\"status status-closed\">Closed</span>"), "{body}");
    assert!(!body.contains("Leak sealed by the gas company"), "the internal summary stays internal");
    let page = site.get(&format!("/cases/{}", d.gas.get()), &[("if-modified-since", &modified)]).await;
    assert_eq!(page.status().as_u16(), 200, "the page changed, so a cached copy is not current");
    let zh = site.ok(&format!("/cases/{}?lang=zh-CN", d.gas.get()), &[]).await;
    assert!(zh.contains("<span class=\"status status-closed\">已结束</span>"), "{zh}");
    site.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_page_shows_its_published_timeline_newest_first_with_line_breaks_kept() {
    let site = Site::start().await;
    let d = desk(&site).await;
    let body = site.ok(&format!("/cases/{}", d.gas.get()), &[]).await;
    assert!(body.contains("<h1>Gas smell near Elm Street school</h1>"), "{body}");
    assert!(body.contains("2 statements, newest first"), "{body}");
    let newest = body.find("The leak was sealed.").expect("the update is shown");
    let oldest = body.find("We are checking the area.").expect("the first statement is shown");
    assert!(newest < oldest, "newest first: {body}");
    assert!(
        body.contains("Gas smell near Elm Street school\nWe are checking the area.\n\nPlease keep away.</div>"),
        "line breaks are kept as they were written, for white-space: pre-wrap: {body}"
    );
    assert!(body.contains("white-space:pre-wrap"));
    let n = d.gas.get();
    assert!(body.contains("id=\"statement-2\"") && body.contains("id=\"statement-1\""));
    assert!(body.contains("Published <time datetime=\"2026-11-21T08:05:00Z\">21 Nov 2026, 08:05 UTC</time>"));
    assert!(body.contains(&format!("href=\"/cases/{n}/feed.atom\"")), "the case's own feed is linked");
    assert_private_stays_private(&body);
    site.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_in_a_statement_is_shown_as_text_on_the_page_and_in_the_feeds() {
    let site = Site::start().await;
    let case = site.open("/new III Vandalised bus stop").await;
    site.publish(
        case,
        1,
        Some("investigating"),
        &format!("Someone wrote {INJECTION} on the stop & the shelter."),
        at(3),
    )
    .await;
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(2)&gt;";
    for path in ["/".to_string(), format!("/cases/{}", case.get())] {
        let body = site.ok(&path, &[]).await;
        assert!(body.contains(escaped), "{path} shows the markup as text: {body}");
        assert!(body.contains("the stop &amp; the shelter"), "{body}");
        assert!(!body.contains("<script") && !body.contains("<img"), "{path} has live markup: {body}");
    }
    for path in ["/feed.atom".to_string(), format!("/cases/{}/feed.atom", case.get())] {
        let xml = site.ok(&path, &[]).await;
        assert!(!xml.contains("<script") && !xml.contains("<img"), "{xml}");
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{path} is not XML: {e}\n{xml}"));
        let content = entries(&doc)[0].content.clone();
        assert_eq!(content, format!("Someone wrote {INJECTION} on the stop & the shelter."), "the text, exactly");
    }
    let response = site.get("/", &[]).await;
    let csp = response.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("default-src 'none'"), "no script may run even if escaping failed: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "no other site may frame the page: {csp}");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    site.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_is_lang_then_accept_language_then_the_default() {
    let site = Site::start().await;
    let d = desk(&site).await;
    let chinese = site.ok("/?lang=zh-CN", &[("accept-language", "en")]).await;
    assert!(chinese.contains("<html lang=\"zh-CN\">"), "{chinese}");
    assert!(chinese.contains("<title>情况通报</title>") && chinese.contains("<h2>处置中</h2>"), "{chinese}");
    assert!(chinese.contains(">持续监测</span>") && chinese.contains(">已解决</span>"), "statuses: {chinese}");
    assert!(chinese.contains("2026年11月21日 08:40（UTC）"), "dates as Chinese writes them: {chinese}");
    assert!(chinese.contains("所有时间均为协调世界时（UTC）。"));
    assert!(chinese.contains(&format!("href=\"/cases/{}?lang=zh-CN\"", d.gas.get())), "links keep the choice");
    assert!(chinese.contains("href=\"/?lang=en\" hreflang=\"en\" lang=\"en\">English</a>"), "{chinese}");

    let response = site.get("/", &[("accept-language", "zh-CN,zh;q=0.9")]).await;
    assert_eq!(response.headers()["content-language"], "zh-CN");
    let negotiated = response.text().await.unwrap();
    assert!(negotiated.contains("<html lang=\"zh-CN\">") && negotiated.contains("处置中"), "{negotiated}");
    assert!(negotiated.contains(&format!("href=\"/cases/{}\"", d.gas.get())), "no ?lang= when not chosen");
    assert!(negotiated.contains("href=\"/?lang=en\""), "the other language is linked");

    let weighted = site.ok("/", &[("accept-language", "fr;q=1, en;q=0.2, zh;q=0.8")]).await;
    assert!(weighted.contains("<html lang=\"zh-CN\">"), "the best q we speak wins");

    let english = site.ok("/?lang=en", &[("accept-language", "zh-CN,zh;q=0.9")]).await;
    assert!(english.contains("<html lang=\"en\">") && english.contains("<h2>In progress</h2>"), "{english}");
    assert!(english.contains("href=\"/?lang=zh-CN\" hreflang=\"zh-CN\" lang=\"zh-CN\">中文</a>"), "{english}");

    let default = site.ok("/", &[]).await;
    assert!(default.contains("<html lang=\"en\">"), "bot.toml's default_locale");

    let case = site.ok(&format!("/cases/{}", d.water.get()), &[("accept-language", "zh-CN")]).await;
    assert!(case.contains("共 2 条通报，最新的在前") && case.contains("发布于"), "{case}");
    assert!(case.contains("供水已于 10:30 恢复。"));
    site.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_feeds_carry_cache_headers_and_answer_304_when_unchanged() {
    let site = Site::start().await;
    let d = desk(&site).await;
    for (path, content_type) in [
        ("/".to_string(), "text/html; charset=utf-8"),
        (format!("/cases/{}", d.gas.get()), "text/html; charset=utf-8"),
        ("/feed.atom".to_string(), "application/atom+xml; charset=utf-8"),
        (format!("/cases/{}/feed.atom", d.gas.get()), "application/atom+xml; charset=utf-8"),
    ] {
        let response = site.get(&path, &[]).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], content_type, "{path}");
        assert_eq!(headers["cache-control"], "public, max-age=60", "{path}");
        assert_eq!(headers["vary"], "Accept-Language", "{path}");
        let modified = headers["last-modified"].to_str().unwrap().to_string();
        let parsed = DateTime::parse_from_rfc2822(&modified).unwrap_or_else(|e| panic!("{modified}: {e}"));
        assert!(modified.ends_with(" GMT"), "an HTTP date: {modified}");
        assert!(parsed.with_timezone(&Utc) >= at(40), "{path} changed at its newest statement or later: {modified}");

        let again = site.get(&path, &[("if-modified-since", &modified)]).await;
        assert_eq!(again.status().as_u16(), 304, "{path} is not sent again");
        assert_eq!(again.headers()["cache-control"], "public, max-age=60");
        assert!(again.text().await.unwrap().is_empty());
        let older = site.get(&path, &[("if-modified-since", "Sat, 21 Nov 2026 08:00:00 GMT")]).await;
        assert_eq!(older.status().as_u16(), 200, "{path}: an older copy gets the page");
    }
    let health = site.get("/healthz", &[]).await;
    assert_eq!((health.status().as_u16(), health.text().await.unwrap().as_str()), (200, "ok"));
    site.shutdown().await;
}

/// An Atom entry, read back with a real XML parser.
#[derive(Debug, Clone)]
struct Entry {
    id: String,
    title: String,
    updated: String,
    link: String,
    content: String,
}

fn atom<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    node.children().find(|c| c.has_tag_name((ATOM_NS, name)))
}

fn text(node: roxmltree::Node, name: &str) -> String {
    atom(node, name).and_then(|n| n.text()).unwrap_or_default().to_string()
}

fn link(node: roxmltree::Node, rel: &str) -> String {
    node.children()
        .find(|c| c.has_tag_name((ATOM_NS, "link")) && c.attribute("rel") == Some(rel))
        .and_then(|l| l.attribute("href"))
        .unwrap_or_else(|| panic!("no link rel={rel}"))
        .to_string()
}

fn entries(doc: &roxmltree::Document) -> Vec<Entry> {
    let feed = doc.root_element();
    assert!(feed.has_tag_name((ATOM_NS, "feed")), "the root is an Atom feed");
    feed.children()
        .filter(|c| c.has_tag_name((ATOM_NS, "entry")))
        .map(|e| {
            assert_eq!(atom(e, "content").unwrap().attribute("type"), Some("text"));
            assert_eq!(text(e, "published"), text(e, "updated"));
            Entry {
                id: text(e, "id"),
                title: text(e, "title"),
                updated: text(e, "updated"),
                link: link(e, "alternate"),
                content: text(e, "content"),
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_feed_is_atom_with_one_entry_per_published_statement_newest_first() {
    let site = Site::start().await;
    let d = desk(&site).await;
    let xml = site.ok("/feed.atom", &[]).await;
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("not XML: {e}\n{xml}"));
    let feed = doc.root_element();
    let base = format!("http://{}/", site.addr);
    assert_eq!(text(feed, "id"), base);
    assert_eq!(text(feed, "title"), "Status updates");
    assert_eq!(text(feed, "updated"), "2026-11-21T08:40:00Z", "the newest statement");
    assert_eq!(link(feed, "self"), format!("{base}feed.atom"));
    assert_eq!(link(feed, "alternate"), base);
    assert_eq!(atom(feed, "author").and_then(|a| atom(a, "name")).and_then(|n| n.text()), Some("Status updates"));

    let got = entries(&doc);
    let (gas, water) = (d.gas.get(), d.water.get());
    let ids: Vec<&str> = got.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            format!("tag:127.0.0.1,2026-11-21:case-{gas}/statement-2"),
            format!("tag:127.0.0.1,2026-11-21:case-{water}/statement-2"),
            format!("tag:127.0.0.1,2026-11-21:case-{gas}/statement-1"),
            format!("tag:127.0.0.1,2026-11-21:case-{water}/statement-1"),
        ],
        "four published statements, newest first; no draft, no drill"
    );
    let titles: Vec<&str> = got.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Monitoring: The leak was sealed. We keep measuring the air.",
            "Resolved: 供水已于 10:30 恢复。",
            "Gas smell near Elm Street school",
            "Investigating: 停水通知：9区自来水管道维修。",
        ]
    );
    assert_eq!(got[2].content, "Gas smell near Elm Street school\nWe are checking the area.\n\nPlease keep away.");
    assert_eq!(got[0].updated, "2026-11-21T08:40:00Z");
    assert_eq!(got[0].link, format!("{base}cases/{gas}#statement-2"));
    assert_private_stays_private(&xml);

    let again = roxmltree::Document::parse(&site.ok("/feed.atom", &[]).await).map(|d| entries(&d)).unwrap();
    assert_eq!(again.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), ids, "entry ids are stable");

    let zh = site.ok("/feed.atom?lang=zh-CN", &[]).await;
    let zh_doc = roxmltree::Document::parse(&zh).unwrap();
    assert_eq!(text(zh_doc.root_element(), "title"), "情况通报");
    assert_eq!(entries(&zh_doc)[0].title, "持续监测：The leak was sealed. We keep measuring the air.");
    assert_eq!(link(zh_doc.root_element(), "self"), format!("{base}feed.atom?lang=zh-CN"));

    let case_xml = site.ok(&format!("/cases/{water}/feed.atom"), &[]).await;
    let case_doc = roxmltree::Document::parse(&case_xml).unwrap();
    assert_eq!(text(case_doc.root_element(), "id"), format!("{base}cases/{water}"));
    assert_eq!(text(case_doc.root_element(), "title"), "Status updates: 停水通知：9区自来水管道维修。");
    assert_eq!(link(case_doc.root_element(), "self"), format!("{base}cases/{water}/feed.atom"));
    let case_entries = entries(&case_doc);
    assert_eq!(case_entries.len(), 2);
    assert_eq!(case_entries[0].content, "供水已于 10:30 恢复。", "newest first");
    assert_eq!(case_entries[1].id, ids[3], "the same statement has the same id in both feeds");
    site.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_feed_keeps_the_newest_fifty_statements() {
    let site = Site::start().await;
    let case = site.open("/new IV Roadworks on Main Street").await;
    for i in 1..=55 {
        site.publish(case, i, Some("monitoring"), &format!("Update number {i}"), at(i64::from(i))).await;
    }
    let doc_text = site.ok("/feed.atom", &[]).await;
    let doc = roxmltree::Document::parse(&doc_text).unwrap();
    let got = entries(&doc);
    assert_eq!(got.len(), 50);
    assert_eq!((got[0].content.as_str(), got[49].content.as_str()), ("Update number 55", "Update number 6"));
    let case_doc_text = site.ok(&format!("/cases/{}/feed.atom", case.get()), &[]).await;
    assert_eq!(entries(&roxmltree::Document::parse(&case_doc_text).unwrap()).len(), 55, "a case's feed has them all");
    site.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_base_url_links_and_entry_ids_use_it_whatever_host_was_asked() {
    let site =
        Site::start_with("title = \"City desk <status>\"\nbase_url = \"https://status.example.org/city\"\n").await;
    let d = desk(&site).await;
    let gas = d.gas.get();
    let xml = site.ok("/feed.atom", &[]).await;
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(text(doc.root_element(), "title"), "City desk <status>");
    assert_eq!(link(doc.root_element(), "self"), "https://status.example.org/city/feed.atom");
    let got = entries(&doc);
    assert_eq!(got[0].id, format!("tag:status.example.org,2026-11-21:case-{gas}/statement-2"));
    assert_eq!(got[0].link, format!("https://status.example.org/city/cases/{gas}#statement-2"));
    let html = site.ok("/", &[("host", "evil.example")]).await;
    assert!(html.contains("<title>City desk &lt;status&gt;</title>"), "{html}");
    assert!(html.contains(&format!("href=\"/city/cases/{gas}\"")), "links under the base path: {html}");
    assert!(!html.contains("evil.example"));
    site.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_drill_and_unpublished_cases_are_a_localised_404() {
    let site = Site::start().await;
    let d = desk(&site).await;
    for path in [
        "/cases/999".to_string(),
        format!("/cases/{}", d.draft_only.get()),
        format!("/cases/{}", d.drill.get()),
        format!("/cases/{}/feed.atom", d.drill.get()),
        format!("/cases/{}/feed.atom", d.draft_only.get()),
        "/cases/abc".to_string(),
        "/cases/-1".to_string(),
        "/nowhere".to_string(),
    ] {
        let (status, body) = site.page(&path, &[]).await;
        assert_eq!(status, 404, "{path}");
        assert!(body.contains("<h1>Not found</h1>") && body.contains("There is no public statement"), "{body}");
        assert_private_stays_private(&body);
    }
    let (status, body) = site.page(&format!("/cases/{}", d.drill.get()), &[("accept-language", "zh-CN")]).await;
    assert_eq!(status, 404);
    assert!(body.contains("<html lang=\"zh-CN\">") && body.contains("<h1>未找到</h1>"), "{body}");
    // A path that starts with `//` must not become a link to another site.
    let (status, body) = site.page("//evil.example/x", &[]).await;
    assert_eq!(status, 404);
    assert!(!body.contains("\"//evil.example"), "{body}");
    assert!(body.contains("href=\"/evil.example/x?lang=zh-CN\""), "the language link stays on this site: {body}");
    // Nor one with a backslash, which browsers read as a slash (sent raw: HTTP clients fix it).
    let body = raw_get(site.addr, "/\\evil.example/x").await;
    assert!(body.starts_with("HTTP/1.1 404"), "{body}");
    assert!(!body.contains("\"/\\evil.example") && !body.contains("\"//evil.example"), "{body}");
    assert!(body.contains("href=\"/evil.example/x?lang=zh-CN\""), "the language link stays on this site: {body}");
    site.shutdown().await;
}

#[test]
fn the_commented_status_page_example_in_bot_toml_is_valid() {
    let block: Vec<&str> = BOT_TOML
        .lines()
        .skip_while(|l| *l != "# [status_page]")
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect();
    assert!(block.len() >= 4, "bot.toml shows a commented [status_page]: {block:?}");
    let config = Config::parse(&format!("{BOT_TOML}\n{}\n", block.join("\n"))).unwrap_or_else(|e| panic!("{e}"));
    let page = config.status_page.expect("the example turns the page on");
    assert_eq!(page.listen.to_string(), "127.0.0.1:8090");
    assert_eq!(page.title.as_deref(), Some("City Desk"));
    assert_eq!(page.base_url.map(|u| u.to_string()).as_deref(), Some("https://status.example.org/"));
    assert!(Config::parse(BOT_TOML).unwrap().status_page.is_none(), "and it is off as committed");
}

/// `chromium`, if installed; under CI=true it must be (`.ci/run` installs it).
fn chromium() -> Option<&'static str> {
    let found = std::process::Command::new("chromium").arg("--version").output().is_ok_and(|o| o.status.success());
    if found {
        return Some("chromium");
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but chromium is not installed: .ci/run installs Debian's chromium");
    }
    eprintln!("NOTICE: chromium is not installed; skipping the headless browser test");
    None
}

/// The DOM headless Chromium builds from `url`.
async fn dump_dom(chromium: &str, url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let run = tokio::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", url])
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(90), run)
        .await
        .expect("chromium finishes within 90 s")
        .expect("chromium runs");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("a UTF-8 DOM")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_chromium_shows_the_published_statement_and_the_injection_as_text() {
    let Some(chromium) = chromium() else { return };
    let site = Site::start().await;
    let d = desk(&site).await;
    site.publish(d.water, 3, None, &format!("Beware of fake notices like {INJECTION}"), at(50)).await;

    let front = dump_dom(chromium, &site.url("/")).await;
    assert!(front.contains("The leak was sealed. We keep measuring the air."), "the statement is shown:\n{front}");
    assert!(front.contains("Gas smell near Elm Street school"));
    assert!(front.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the injection is text in the DOM:\n{front}");
    assert!(!front.contains("<script") && !front.contains("<img"), "no live element came from it:\n{front}");
    assert_private_stays_private(&front);

    let case = dump_dom(chromium, &site.url(&format!("/cases/{}?lang=zh-CN", d.water.get()))).await;
    assert!(case.contains("<html lang=\"zh-CN\">"), "{case}");
    assert!(case.contains("供水已于 10:30 恢复。") && case.contains("共 3 条通报"), "{case}");
    assert!(case.contains("Beware of fake notices like &lt;script&gt;alert(1)&lt;/script&gt;"), "{case}");
    assert!(!case.contains("<script") && !case.contains("<img"), "{case}");
    site.shutdown().await;
}

/// A GET with the path exactly as given, for paths an HTTP client would normalise.
async fn raw_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}
