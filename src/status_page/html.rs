//! The status page's HTML: written out by hand, no JavaScript, a little inline CSS.
//!
//! Every text that is not markup goes through [`escape`], whoever wrote it. Statements keep
//! their line breaks through CSS (`white-space: pre-wrap`), not through inserted `<br>`s.

use super::{RESOLVED_LISTED, Request, escape, local_time, status_label};
use crate::app::format::{first_line, shorten};
use crate::app::statements::{PublicCase, Statement, UpdateStatus};
use crate::domain::Locale;
use crate::i18n::{I18n, Text};
use crate::t;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// How much of a case's latest statement the front page shows.
const EXCERPT: usize = 280;

const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1b1b1b;--muted:#5a5a5a;--line:#d9d9d9;--bg:#fff;--link:#0b57d0}\
@media (prefers-color-scheme:dark){:root{--fg:#e8e8e8;--muted:#a8a8a8;--line:#444;--bg:#161616;--link:#8ab4f8}}\
body{margin:0 auto;max-width:46rem;padding:1rem 1.25rem 3rem;background:var(--bg);color:var(--fg);\
font:16px/1.55 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",\"Noto Sans CJK SC\",\"PingFang SC\",\"Microsoft YaHei\",sans-serif}\
a{color:var(--link)}\
header{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;gap:.5rem;\
border-bottom:1px solid var(--line);padding-bottom:.5rem}\
header .site{font-weight:700;font-size:1.1rem;text-decoration:none;color:var(--fg)}\
h1{font-size:1.6rem;line-height:1.3;margin:1.25rem 0 .5rem}\
h2{font-size:1.15rem;margin:1.75rem 0 .5rem}\
h3{font-size:1.05rem;margin:.35rem 0}\
ul.cases,ol.timeline{list-style:none;padding:0;margin:0}\
.cases li,.timeline li{border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;margin:.75rem 0}\
.meta,.note,footer{color:var(--muted);font-size:.9rem}\
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.5rem 0 0}\
.status{display:inline-block;padding:0 .5rem;border-radius:4px;font-size:.85rem;font-weight:600;\
background:#ececec;color:#333}\
.status-investigating{background:#fde2e1;color:#8a1c1c}\
.status-identified{background:#fff0d1;color:#6f4500}\
.status-monitoring{background:#dde9ff;color:#0b3d91}\
.status-resolved{background:#d9f3e1;color:#13582b}\
footer{border-top:1px solid var(--line);margin-top:2rem;padding-top:.5rem}";

/// What every page of one request knows.
pub(crate) struct View<'a> {
    pub i18n: &'a I18n,
    pub req: &'a Request,
    pub title: String,
    /// This page's path under the site (`/cases/12`), for the link to the other language.
    pub path: &'a str,
}

impl View<'_> {
    /// A message in the reader's language, escaped.
    fn t(&self, text: &Text) -> String {
        escape(&self.i18n.render(self.req.locale, text))
    }

    /// A message with one markup placeable: `arg` is filled with `markup` after escaping.
    fn t_with(&self, text: Text, arg: &'static str, markup: &str) -> String {
        const HOLE: &str = "\u{E000}";
        self.t(&text.arg(arg, HOLE)).replace(HOLE, markup)
    }

    /// A link to a path of the site, keeping a language the reader chose; escaped.
    fn href(&self, path: &str) -> String {
        escape(&format!("{}{}{}", self.req.prefix(), path, self.req.lang_query()))
    }

    fn time(&self, at: DateTime<Utc>) -> String {
        format!(
            "<time datetime=\"{}\">{}</time>",
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            escape(&local_time(self.i18n, self.req.locale, at))
        )
    }

    /// The case's status as the public sees it: its last announced status, or "closed" if
    /// the team finished it without announcing that it was resolved.
    fn case_status(&self, case: &PublicCase) -> String {
        if case.closed_quietly() {
            return format!("<span class=\"status status-closed\">{}</span>", self.t(&t!("page-status-closed")));
        }
        self.status(case.status())
    }

    fn status(&self, status: Option<UpdateStatus>) -> String {
        let class = status.map_or("statement", UpdateStatus::as_str);
        format!("<span class=\"status status-{class}\">{}</span>", self.t(&status_label(status)))
    }

    fn other_locale(&self) -> Locale {
        match self.req.locale {
            Locale::En => Locale::ZhCn,
            Locale::ZhCn => Locale::En,
        }
    }

    /// The document around a page's `<main>`.
    fn document(&self, heading_title: Option<&str>, feed: Option<&str>, main: &str) -> String {
        let lang = self.req.locale.as_str();
        let other = self.other_locale().as_str();
        let site = escape(&self.title);
        let title = match heading_title {
            Some(h) => format!("{} · {site}", escape(h)),
            None => site.clone(),
        };
        let switch = escape(&format!("{}{}?lang={other}", self.req.prefix(), self.path));
        let mut head = String::new();
        if let Some(feed) = feed {
            let _ = writeln!(
                head,
                "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{}\" href=\"{}\">",
                self.t(&t!("page-feed")),
                self.href(feed)
            );
        }
        let _ = writeln!(head, "<link rel=\"alternate\" hreflang=\"{other}\" href=\"{switch}\">");
        format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n{head}<style>{STYLE}</style>\n</head>\n<body>\n\
             <header><a class=\"site\" href=\"{home}\">{site}</a>\n\
             <nav><a href=\"{switch}\" hreflang=\"{other}\" lang=\"{other}\">{language}</a> · \
             <a href=\"{site_feed}\">{feed_label}</a></nav></header>\n\
             <main>\n{main}</main>\n<footer><p>{utc}</p></footer>\n</body>\n</html>\n",
            home = self.href("/"),
            language = self.t(&t!("page-switch-language")),
            site_feed = self.href("/feed.atom"),
            feed_label = self.t(&t!("page-feed")),
            utc = self.t(&t!("page-times-utc")),
        )
    }

    fn case_item(&self, case: &PublicCase) -> String {
        let n = case.case.get();
        let latest = case.statements.last().map_or("", |s| s.text.as_str());
        format!(
            "<li id=\"case-{n}\">\n<p class=\"meta\">{status} {label}</p>\n\
             <h3><a href=\"{href}\">{headline}</a></h3>\n<p class=\"text\">{excerpt}</p>\n\
             <p class=\"meta\">{updated}</p>\n</li>\n",
            status = self.case_status(case),
            label = self.t(&t!("page-case", "case" => case.case.to_string())),
            href = self.href(&format!("/cases/{n}")),
            headline = escape(&case.headline),
            excerpt = escape(&shorten(latest.trim(), EXCERPT)),
            updated = self.t_with(t!("page-updated"), "time", &self.time(case.updated_at())),
        )
    }

    fn statement_item(&self, s: &Statement) -> String {
        format!(
            "<li id=\"statement-{slug}\">\n<p class=\"meta\">{status} {published}</p>\n\
             <div class=\"text\">{text}</div>\n</li>\n",
            slug = s.number,
            status = self.status(s.status),
            published = self.t_with(t!("page-published"), "time", &self.time(s.published_at)),
            text = escape(s.text.trim_end()),
        )
    }
}

/// `GET /`: cases in progress, then the recently resolved.
pub(crate) fn index(view: &View, cases: &[PublicCase]) -> String {
    let (resolved, current): (Vec<&PublicCase>, Vec<&PublicCase>) = cases.iter().partition(|c| c.is_over());
    let mut main = format!(
        "<h1>{}</h1>\n<p class=\"note\">{}</p>\n<h2>{}</h2>\n",
        escape(&view.title),
        view.t(&t!("page-intro")),
        view.t(&t!("page-current"))
    );
    if current.is_empty() {
        let _ = writeln!(main, "<p>{}</p>", view.t(&t!("page-none-current")));
    } else {
        main.push_str("<ul class=\"cases\">\n");
        current.iter().for_each(|c| main.push_str(&view.case_item(c)));
        main.push_str("</ul>\n");
    }
    if !resolved.is_empty() {
        let _ = writeln!(main, "<h2>{}</h2>\n<ul class=\"cases\">", view.t(&t!("page-resolved")));
        resolved.iter().take(RESOLVED_LISTED).for_each(|c| main.push_str(&view.case_item(c)));
        main.push_str("</ul>\n");
    }
    view.document(None, Some("/feed.atom"), &main)
}

/// `GET /cases/{n}`: the case's statements, newest first.
pub(crate) fn case(view: &View, case: &PublicCase) -> String {
    let n = case.case.get();
    let mut main = format!(
        "<p class=\"meta\"><a href=\"{back}\">{back_label}</a></p>\n<h1>{headline}</h1>\n\
         <p class=\"meta\">{status} {label} · {updated}</p>\n<h2>{timeline}</h2>\n<ol class=\"timeline\" reversed>\n",
        back = view.href("/"),
        back_label = view.t(&t!("page-back")),
        headline = escape(&case.headline),
        status = view.case_status(case),
        label = view.t(&t!("page-case", "case" => case.case.to_string())),
        updated = view.t_with(t!("page-updated"), "time", &view.time(case.updated_at())),
        timeline = view.t(&t!("page-timeline", "count" => case.statements.len())),
    );
    case.statements.iter().rev().for_each(|s| main.push_str(&view.statement_item(s)));
    let feed = format!("/cases/{n}/feed.atom");
    let _ = writeln!(main, "</ol>\n<p><a href=\"{}\">{}</a></p>", view.href(&feed), view.t(&t!("page-case-feed")));
    view.document(Some(&first_line(&case.headline, 80)), Some(&feed), &main)
}

/// The localised 404.
pub(crate) fn not_found(view: &View) -> String {
    let main = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"{}\">{}</a></p>\n",
        view.t(&t!("page-not-found-title")),
        view.t(&t!("page-not-found")),
        view.href("/"),
        view.t(&t!("page-back")),
    );
    view.document(Some(&view.i18n.render(view.req.locale, &t!("page-not-found-title"))), None, &main)
}

/// The page shown when the ledger cannot be read.
pub(crate) fn error(view: &View) -> String {
    let main = format!("<h1>{}</h1>\n<p>{}</p>\n", escape(&view.title), view.t(&t!("page-error")));
    view.document(None, None, &main)
}
