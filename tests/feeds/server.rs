//! A local feed server for the feed poller's tests: an RSS 2.0 feed and an Atom feed whose
//! items a test can change, honouring `If-None-Match` / `If-Modified-Since` with 304 and
//! counting requests, plus routes that fail: 500, garbage XML, a body over the size cap.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Item {
    /// The RSS `guid` / Atom `id`; empty leaves it out.
    pub id: String,
    pub title: String,
    /// Empty leaves it out.
    pub link: String,
    pub published: DateTime<Utc>,
    /// HTML.
    pub body: String,
}

#[derive(Debug, Default)]
pub struct Feed {
    /// Oldest first; served newest first, as feeds do.
    pub items: Vec<Item>,
    /// Bumped on every change; names the version in the ETag and Last-Modified.
    pub version: u32,
    /// A server that always answers 200 with the whole feed.
    pub ignore_validators: bool,
    pub requests: usize,
    pub not_modified: usize,
    /// The `If-None-Match` and `If-Modified-Since` of each request.
    pub validators: Vec<(Option<String>, Option<String>)>,
}

impl Feed {
    pub fn add(&mut self, item: Item) {
        self.items.push(item);
        self.version += 1;
    }

    fn etag(&self) -> String {
        format!("\"v{}\"", self.version)
    }

    fn last_modified(&self) -> String {
        // One second per version, from a fixed day: distinct, valid HTTP dates.
        let at = DateTime::from_timestamp(1_767_225_600 + i64::from(self.version), 0).unwrap();
        at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
    }
}

#[derive(Clone, Default)]
pub struct FeedServer {
    pub rss: Arc<Mutex<Feed>>,
    pub atom: Arc<Mutex<Feed>>,
    pub failures: Arc<AtomicUsize>,
    pub garbage: Arc<AtomicUsize>,
    /// Served as is at `/raw.xml` (bytes in any encoding).
    pub raw: Arc<Mutex<Vec<u8>>>,
}

impl FeedServer {
    /// Starts the server on 127.0.0.1 and returns it with its base URL.
    pub async fn start() -> (FeedServer, String) {
        let server = FeedServer::default();
        let app = Router::new()
            .route("/rss.xml", get(rss))
            .route("/atom.xml", get(atom))
            .route("/fail.xml", get(fail))
            .route("/garbage.xml", get(garbage))
            .route("/huge.xml", get(huge))
            .route("/raw.xml", get(raw))
            .with_state(server.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (server, base)
    }

    pub fn failures(&self) -> usize {
        self.failures.load(Ordering::SeqCst)
    }
}

fn conditional(feed: &Mutex<Feed>, headers: &HeaderMap, content_type: &str, render: fn(&[Item]) -> String) -> Response {
    let mut feed = feed.lock().unwrap();
    feed.requests += 1;
    let value = |name| headers.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok()).map(str::to_string);
    let (inm, ims) = (value(header::IF_NONE_MATCH), value(header::IF_MODIFIED_SINCE));
    feed.validators.push((inm.clone(), ims.clone()));
    let (etag, last_modified) = (feed.etag(), feed.last_modified());
    let fresh = inm.as_deref() == Some(etag.as_str()) || (inm.is_none() && ims.as_deref() == Some(&last_modified));
    if fresh && !feed.ignore_validators {
        feed.not_modified += 1;
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let body = render(&feed.items);
    let headers = [
        (header::CONTENT_TYPE, content_type.to_string()),
        (header::ETAG, etag),
        (header::LAST_MODIFIED, last_modified),
    ];
    (headers, body).into_response()
}

async fn rss(State(s): State<FeedServer>, headers: HeaderMap) -> Response {
    conditional(&s.rss, &headers, "application/rss+xml; charset=utf-8", render_rss)
}

async fn atom(State(s): State<FeedServer>, headers: HeaderMap) -> Response {
    conditional(&s.atom, &headers, "application/atom+xml; charset=utf-8", render_atom)
}

async fn fail(State(s): State<FeedServer>) -> Response {
    s.failures.fetch_add(1, Ordering::SeqCst);
    (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response()
}

async fn garbage(State(s): State<FeedServer>) -> Response {
    s.garbage.fetch_add(1, Ordering::SeqCst);
    "<rss version=\"2.0\"><channel><item><title>half</titl></channel".into_response()
}

async fn huge() -> Response {
    let padding = "x".repeat(6 * 1024 * 1024);
    format!("<rss version=\"2.0\"><channel><title>{padding}</title></channel></rss>").into_response()
}

async fn raw(State(s): State<FeedServer>) -> Response {
    let bytes = s.raw.lock().unwrap().clone();
    ([(header::CONTENT_TYPE, "application/rss+xml")], bytes).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn render_rss(items: &[Item]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Test news</title><link>http://news.test/</link><description>d</description>\n",
    );
    for item in items.iter().rev() {
        xml.push_str("<item>");
        xml.push_str(&format!("<title>{}</title>", escape(&item.title)));
        if !item.link.is_empty() {
            xml.push_str(&format!("<link>{}</link>", escape(&item.link)));
        }
        if !item.id.is_empty() {
            xml.push_str(&format!("<guid isPermaLink=\"false\">{}</guid>", escape(&item.id)));
        }
        xml.push_str(&format!("<pubDate>{}</pubDate>", item.published.to_rfc2822()));
        xml.push_str(&format!("<description>{}</description>", escape(&item.body)));
        xml.push_str("</item>\n");
    }
    xml.push_str("</channel></rss>\n");
    xml
}

fn render_atom(items: &[Item]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <title>Test atom</title><id>urn:test:atom</id><updated>2026-01-01T00:00:00Z</updated>\n",
    );
    for item in items.iter().rev() {
        xml.push_str("<entry>");
        xml.push_str(&format!("<title type=\"text\">{}</title>", escape(&item.title)));
        xml.push_str(&format!("<link rel=\"edit\" href=\"{}/edit\"/>", escape(&item.link)));
        xml.push_str(&format!("<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", escape(&item.link)));
        xml.push_str(&format!("<id>{}</id>", escape(&item.id)));
        xml.push_str(&format!("<published>{}</published>", item.published.to_rfc3339()));
        xml.push_str(&format!("<updated>{}</updated>", (item.published + chrono::Duration::hours(1)).to_rfc3339()));
        xml.push_str(&format!("<summary type=\"html\">{}</summary>", escape(&item.body)));
        xml.push_str("</entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}
