//! Atom feeds (RFC 4287) of published statements: one entry per statement.
//!
//! An entry's id is a `tag:` URI (RFC 4151) made of the site's host, the day the statement
//! was published, its case and its place among the case's published statements
//! (`tag:status.example.org,2026-11-21:case-12/statement-2`): statements are only ever
//! added, so it never changes and a reader shows each statement once. It names no draft. Set `base_url` in bot.toml so that the host part does
//! not depend on how a reader reached the page.

use super::{Request, escape, status_label};
use crate::app::format::first_line;
use crate::app::statements::{PublicCase, Statement};
use crate::i18n::I18n;
use crate::t;
use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt::Write as _;

/// How long an entry's title may be, from the statement's first line.
const TITLE: usize = 120;

pub(crate) struct Feed {
    pub id: String,
    pub title: String,
    pub author: String,
    pub updated: DateTime<Utc>,
    pub self_href: String,
    pub alternate: String,
}

pub(crate) struct Entry<'a> {
    pub case: &'a PublicCase,
    pub statement: &'a Statement,
}

fn date(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The entry id of a statement; see the module's documentation.
pub(crate) fn entry_id(authority: &str, case: &PublicCase, s: &Statement) -> String {
    format!("tag:{authority},{}:case-{}/statement-{}", s.published_at.format("%Y-%m-%d"), case.case.get(), s.number)
}

pub(crate) fn render(i18n: &I18n, req: &Request, feed: &Feed, entries: &[Entry]) -> String {
    let locale = req.locale;
    let mut out = String::with_capacity(1024 + entries.len() * 1024);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{lang}\">\n\
         <id>{id}</id>\n<title type=\"text\">{title}</title>\n<updated>{updated}</updated>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{self_href}\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{alternate}\"/>\n\
         <author><name>{author}</name></author>\n<generator>tocsin</generator>\n",
        lang = locale.as_str(),
        id = escape(&feed.id),
        title = escape(&feed.title),
        updated = date(feed.updated),
        self_href = escape(&feed.self_href),
        alternate = escape(&feed.alternate),
        author = escape(&feed.author),
    );
    for Entry { case, statement: s } in entries {
        let status = i18n.render(locale, &status_label(s.status));
        let mut line = first_line(&s.text, TITLE);
        if line.is_empty() {
            line = i18n.render(locale, &t!("page-case", "case" => case.case.to_string()));
        }
        let title = match s.status {
            Some(_) => i18n.render(locale, &t!("page-entry-title", "status" => status.clone(), "line" => line)),
            None => line,
        };
        let link = format!("{}#statement-{}", req.absolute(&format!("cases/{}", case.case.get())), s.number);
        let _ = write!(
            out,
            "<entry>\n<id>{id}</id>\n<title type=\"text\">{title}</title>\n<updated>{at}</updated>\n\
             <published>{at}</published>\n<link rel=\"alternate\" type=\"text/html\" href=\"{link}\"/>\n\
             <category term=\"{term}\" label=\"{label}\"/>\n<content type=\"text\">{content}</content>\n</entry>\n",
            id = escape(&entry_id(req.authority(), case, s)),
            title = escape(&title),
            at = date(s.published_at),
            link = escape(&link),
            term = s.status.map_or("statement", |s| s.as_str()),
            label = escape(&status),
            content = escape(&s.text),
        );
    }
    out.push_str("</feed>\n");
    out
}
