//! The public status page (axum): what the public may read, and nothing else.
//!
//! Server-rendered HTML that needs no JavaScript, in English or Chinese, and Atom feeds for
//! the site and for each case. Everything shown comes from [`crate::app::statements`]: only
//! published statements of cases that are not drills — never drafts, owners, internal
//! notes or case titles.
//!
//! Routes:
//! - `GET /` — current public cases with their latest status, then recently resolved ones;
//! - `GET /cases/{n}` — one case's published statements, newest first;
//! - `GET /feed.atom` — every statement, newest first (at most [`SITE_FEED_ENTRIES`]);
//! - `GET /cases/{n}/feed.atom` — one case's statements, newest first;
//! - `GET /healthz` — `ok`.
//!
//! Anything else, and a case that is unknown, a drill or has published nothing, is a
//! localised 404. The language is `?lang=en|zh-CN` if given, else the best match of
//! `Accept-Language`, else bot.toml's `default_locale`. Answers carry
//! `Cache-Control: public, max-age=60`, `Last-Modified` (and a `304` for a matching
//! `If-Modified-Since`) and `Vary: Accept-Language`. The ledger is read at most once per
//! [`FRESH`] for all requests together, so a crowd arriving during an incident does not
//! become a crowd of database reads.

mod atom;
mod html;
mod http;

use self::http::{ATOM, HTML, cached, common_headers, lang_param, negotiate, valid_host};
use crate::app::statements::{PublicCase, UpdateStatus, public_cases};
use crate::config::publishing::StatusPage;
use crate::domain::{CaseId, Locale};
use crate::i18n::{I18n, Text};
use crate::store::{Store, StoreError};
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, SubsecRound, Utc};
use reqwest::Url;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one read of the ledger answers every request.
pub const FRESH: Duration = Duration::from_secs(5);
/// What browsers and proxies may keep.
pub const CACHE_CONTROL: &str = "public, max-age=60";
/// Entries in the site feed, the newest.
pub const SITE_FEED_ENTRIES: usize = 50;
/// Resolved cases listed on the front page, the most recently updated.
pub const RESOLVED_LISTED: usize = 20;

/// Everything the page's handlers share.
pub struct Page {
    store: Arc<dyn Store>,
    settings: StatusPage,
    default_locale: Locale,
    i18n: Arc<I18n>,
    /// When this process started serving: nothing it renders is older (a new version of the
    /// templates or a new title in bot.toml changes every page).
    started: DateTime<Utc>,
    snapshot: tokio::sync::Mutex<Option<(Instant, Arc<Vec<PublicCase>>)>>,
}

/// The router of the status page.
pub fn router(
    store: Arc<dyn Store>,
    settings: StatusPage,
    default_locale: Locale,
    i18n: Arc<I18n>,
    started: DateTime<Utc>,
) -> Router {
    let page = Page {
        store,
        settings,
        default_locale,
        i18n,
        started: started.trunc_subsecs(0),
        snapshot: tokio::sync::Mutex::new(None),
    };
    Router::new()
        .route("/", get(index))
        .route("/feed.atom", get(site_feed))
        .route("/cases/{n}", get(case_page))
        .route("/cases/{n}/feed.atom", get(case_feed))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .with_state(Arc::new(page))
}

/// What one request asks for besides its path: a language, and where the site is.
pub(crate) struct Request {
    pub locale: Locale,
    /// The language came from `?lang=`: links keep it, so the reader stays in it.
    pub explicit: bool,
    /// The site's absolute address, ending in `/`.
    pub base: Url,
}

impl Request {
    /// `?lang=xx` when the reader chose the language, for links to keep it.
    pub fn lang_query(&self) -> String {
        if self.explicit { format!("?lang={}", self.locale.as_str()) } else { String::new() }
    }

    /// The site's path (`""` at the root, `/status` under a prefix), for links in HTML.
    pub fn prefix(&self) -> &str {
        self.base.path().trim_end_matches('/')
    }

    /// An absolute URL of a path of the site (`cases/12`, no leading `/`), with the
    /// reader's chosen language.
    pub fn absolute(&self, path: &str) -> String {
        let mut url = self.base.join(path).unwrap_or_else(|_| self.base.clone());
        if self.explicit {
            url.set_query(Some(&format!("lang={}", self.locale.as_str())));
        }
        url.to_string()
    }

    /// The authority of `tag:` URIs naming feed entries.
    pub fn authority(&self) -> &str {
        self.base.host_str().unwrap_or("localhost")
    }
}

impl Page {
    /// Every public case, read at most once per [`FRESH`]; requests arriving while it is
    /// read wait for that one read.
    async fn cases(&self) -> Result<Arc<Vec<PublicCase>>, StoreError> {
        let mut snapshot = self.snapshot.lock().await;
        if let Some((at, cases)) = snapshot.as_ref()
            && at.elapsed() < FRESH
        {
            return Ok(cases.clone());
        }
        let cases = Arc::new(public_cases(self.store.as_ref()).await?);
        *snapshot = Some((Instant::now(), cases.clone()));
        Ok(cases)
    }

    fn request(&self, query: Option<&str>, headers: &HeaderMap) -> Request {
        let chosen = query.and_then(lang_param);
        let locale = chosen
            .or_else(|| {
                let header = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
                negotiate(header, self.default_locale)
            })
            .unwrap_or(self.default_locale);
        Request { locale, explicit: chosen.is_some(), base: self.base(headers) }
    }

    /// `base_url` from bot.toml, else the address the request was sent to.
    fn base(&self, headers: &HeaderMap) -> Url {
        if let Some(url) = &self.settings.base_url {
            let mut url = url.clone();
            url.set_query(None);
            url.set_fragment(None);
            if !url.path().ends_with('/') {
                let path = format!("{}/", url.path());
                url.set_path(&path);
            }
            return url;
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| valid_host(h))
            .map_or_else(|| self.settings.listen.to_string(), str::to_string);
        let scheme = match headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()) {
            Some(p) if p.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        Url::parse(&format!("{scheme}://{host}/"))
            .or_else(|_| Url::parse(&format!("http://{}/", self.settings.listen)))
            .unwrap_or_else(|_| Url::parse("http://localhost/").expect("a valid URL"))
    }

    fn title(&self, locale: Locale) -> String {
        match &self.settings.title {
            Some(title) if !title.trim().is_empty() => title.trim().to_string(),
            _ => self.t(locale, &crate::t!("page-default-title")),
        }
    }

    fn t(&self, locale: Locale, text: &Text) -> String {
        self.i18n.render(locale, text)
    }

    fn view<'a>(&'a self, req: &'a Request, path: &'a str) -> html::View<'a> {
        html::View { i18n: &self.i18n, req, title: self.title(req.locale), path }
    }

    /// When what a page shows last changed: its newest statement, or this process's start
    /// if that is later.
    fn modified(&self, newest: Option<DateTime<Utc>>) -> DateTime<Utc> {
        newest.map_or(self.started, |t| t.trunc_subsecs(0).max(self.started))
    }

    fn failed(&self, req: &Request, e: StoreError) -> Response {
        tracing::error!(error = ?e, "the status page could not read the ledger");
        let body = html::error(&self.view(req, "/"));
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(HTML));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
        common_headers(headers, req.locale);
        response
    }
}

async fn index(State(page): State<Arc<Page>>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let req = page.request(query.as_deref(), &headers);
    let cases = match page.cases().await {
        Ok(cases) => cases,
        Err(e) => return page.failed(&req, e),
    };
    let modified = page.modified(cases.iter().map(PublicCase::updated_at).max());
    cached(&headers, StatusCode::OK, HTML, modified, req.locale, || html::index(&page.view(&req, "/"), &cases))
}

/// The public case numbered `n`, or the answer to give instead: the 404 page (its language
/// link goes to `path`) or, if the ledger cannot be read, a 503.
async fn find(page: &Page, req: &Request, headers: &HeaderMap, n: &str, path: &str) -> Result<PublicCase, Response> {
    let Some(id) = CaseId::parse(n) else { return Err(missing(page, req, headers, path)) };
    let cases = page.cases().await.map_err(|e| page.failed(req, e))?;
    cases.iter().find(|c| c.case == id).cloned().ok_or_else(|| missing(page, req, headers, path))
}

async fn case_page(
    State(page): State<Arc<Page>>,
    Path(n): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let req = page.request(query.as_deref(), &headers);
    let case = match find(&page, &req, &headers, &n, &format!("/cases/{n}")).await {
        Ok(case) => case,
        Err(response) => return response,
    };
    let modified = page.modified(Some(case.updated_at()));
    let path = format!("/cases/{}", case.case.get());
    cached(&headers, StatusCode::OK, HTML, modified, req.locale, || html::case(&page.view(&req, &path), &case))
}

async fn site_feed(State(page): State<Arc<Page>>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let req = page.request(query.as_deref(), &headers);
    let cases = match page.cases().await {
        Ok(cases) => cases,
        Err(e) => return page.failed(&req, e),
    };
    let newest = cases.iter().map(PublicCase::updated_at).max();
    let modified = page.modified(newest);
    cached(&headers, StatusCode::OK, ATOM, modified, req.locale, || {
        let title = page.title(req.locale);
        let mut entries: Vec<atom::Entry> = cases
            .iter()
            .flat_map(|c| c.statements.iter().map(move |s| atom::Entry { case: c, statement: s }))
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse((e.statement.published_at, e.case.case)));
        entries.truncate(SITE_FEED_ENTRIES);
        let feed = atom::Feed {
            id: req.absolute(""),
            title: title.clone(),
            author: title,
            updated: newest.unwrap_or(page.started),
            self_href: req.absolute("feed.atom"),
            alternate: req.absolute(""),
        };
        atom::render(&page.i18n, &req, &feed, &entries)
    })
}

async fn case_feed(
    State(page): State<Arc<Page>>,
    Path(n): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let req = page.request(query.as_deref(), &headers);
    let case = match find(&page, &req, &headers, &n, &format!("/cases/{n}/feed.atom")).await {
        Ok(case) => case,
        Err(response) => return response,
    };
    let modified = page.modified(Some(case.updated_at()));
    cached(&headers, StatusCode::OK, ATOM, modified, req.locale, || {
        let site = page.title(req.locale);
        let n = case.case.get();
        let mut entries: Vec<atom::Entry> =
            case.statements.iter().map(|s| atom::Entry { case: &case, statement: s }).collect();
        entries.reverse();
        let feed = atom::Feed {
            id: req.absolute(&format!("cases/{n}")),
            title: page.t(
                req.locale,
                &crate::t!("page-case-feed-title", "title" => site.clone(), "headline" => case.headline.clone()),
            ),
            author: site,
            updated: case.updated_at(),
            self_href: req.absolute(&format!("cases/{n}/feed.atom")),
            alternate: req.absolute(&format!("cases/{n}")),
        };
        atom::render(&page.i18n, &req, &feed, &entries)
    })
}

async fn healthz() -> Response {
    let mut response = "ok".into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The localised 404 page; `path` is where it was asked for (its language link goes there).
fn missing(page: &Page, req: &Request, headers: &HeaderMap, path: &str) -> Response {
    cached(headers, StatusCode::NOT_FOUND, HTML, page.started, req.locale, || html::not_found(&page.view(req, path)))
}

async fn not_found(
    State(page): State<Arc<Page>>,
    uri: axum::http::Uri,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let req = page.request(query.as_deref(), &headers);
    let path = same_site_path(uri.path());
    missing(&page, &req, &headers, &path)
}

/// The 404 page links to itself in the other language, so the path it was asked for becomes a
/// link: `//host` or `/\host` (browsers read a backslash as a slash) would lead to another site.
/// Leading slashes and backslashes collapse into one `/`, and anything but plain path
/// characters is percent-encoded.
fn same_site_path(raw: &str) -> String {
    let mut out = String::from("/");
    for c in raw.trim_start_matches(['/', '\\']).chars() {
        if c.is_ascii_alphanumeric() || "-._~/%!$&'()*+,;=:@".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// A status's name in the reader's language; a statement without one is a "statement".
fn status_label(status: Option<UpdateStatus>) -> Text {
    status.map_or_else(|| crate::t!("page-status-none"), UpdateStatus::label)
}

/// A time as the reader's language writes it, in UTC: the pattern is the locale's
/// `page-date-format` (chrono's strftime syntax), RFC 3339 if that pattern is broken.
fn local_time(i18n: &I18n, locale: Locale, t: DateTime<Utc>) -> String {
    let pattern = i18n.render(locale, &crate::t!("page-date-format"));
    let items: Vec<chrono::format::Item> = chrono::format::StrftimeItems::new(&pattern).collect();
    if items.iter().any(|i| matches!(i, chrono::format::Item::Error)) {
        return t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    }
    t.format_with_items(items.into_iter()).to_string()
}

/// Text made safe for HTML and XML, in content and in quoted attributes: the five special
/// characters become references, and control characters that XML 1.0 forbids (and HTML
/// calls parse errors) and bidirectional controls (which would reorder what the public reads,
/// see [`crate::domain::untrusted`]) become U+FFFD. Line breaks and tabs stay.
pub fn escape(s: &str) -> String {
    let s = crate::domain::untrusted::shown(s);
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            '\r' => {}
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_text_as_text() {
        assert_eq!(
            escape("<script>alert('x\"')</script> & co"),
            "&lt;script&gt;alert(&#39;x&quot;&#39;)&lt;/script&gt; &amp; co"
        );
        assert_eq!(escape("a\r\nb\u{7}c\u{FFFF}"), "a\nb\u{FFFD}c\u{FFFD}");
        assert_eq!(escape("燃气泄漏\t已处置"), "燃气泄漏\t已处置");
        assert_eq!(escape("price \u{202E}001$\u{202C} \u{2066}x"), "price \u{FFFD}001$\u{FFFD} \u{FFFD}x");
    }

    #[test]
    fn a_404_links_only_to_paths_of_this_site() {
        assert_eq!(same_site_path("/\\evil.example/x"), "/evil.example/x");
        assert_eq!(same_site_path("//\\/evil.example"), "/evil.example");
        assert_eq!(same_site_path("/a\\b c\"<"), "/a%5Cb%20c%22%3C");
        assert_eq!(same_site_path("/cases/%E7%87%83"), "/cases/%E7%87%83");
        assert_eq!(same_site_path("/燃"), "/%E7%87%83");
    }
}
