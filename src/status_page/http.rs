//! The HTTP side of the status page: which language a request wants, and the headers every
//! answer carries (caching, language, and a content policy under which no script runs).

use super::CACHE_CONTROL;
use crate::domain::Locale;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use reqwest::Url;

pub(super) const HTML: &str = "text/html; charset=utf-8";
pub(super) const ATOM: &str = "application/atom+xml; charset=utf-8";

/// `?lang=zh-CN` (any spelling [`Locale::parse`] accepts); an unknown language is ignored.
pub(super) fn lang_param(query: &str) -> Option<Locale> {
    let url = Url::parse(&format!("http://q/?{query}")).ok()?;
    url.query_pairs().filter(|(k, _)| k == "lang").find_map(|(_, v)| Locale::parse(&v))
}

/// The best language of an `Accept-Language` header that tocsin speaks, honouring q-values
/// (ties keep the header's order). Any `en-*` is English; any `zh-*` is Chinese (the only
/// Chinese there is: Simplified); `*` is the default.
pub(super) fn negotiate(header: &str, default: Locale) -> Option<Locale> {
    let mut wanted: Vec<(f32, usize, Locale)> = vec![];
    for (i, item) in header.split(',').enumerate() {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let mut q = 1.0_f32;
        for param in parts {
            let (k, v) = param.split_once('=').unwrap_or((param, ""));
            if k.trim().eq_ignore_ascii_case("q") {
                q = v.trim().parse().ok().filter(|q: &f32| q.is_finite()).unwrap_or(0.0);
            }
        }
        if q <= 0.0 {
            continue;
        }
        let locale = match tag {
            "*" => Some(default),
            _ => Locale::parse(tag).or_else(|| {
                match tag.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase().as_str() {
                    "en" => Some(Locale::En),
                    "zh" => Some(Locale::ZhCn),
                    _ => None,
                }
            }),
        };
        if let Some(locale) = locale {
            wanted.push((q, i, locale));
        }
    }
    wanted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    wanted.first().map(|w| w.2)
}

/// A `Host` header fit to be written into links: a name or address and a port, nothing else.
pub(super) fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        && !host.starts_with(['.', '-', ':'])
}

/// An HTTP date (RFC 9110 IMF-fixdate).
pub(super) fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Whether the client's copy (its `If-Modified-Since`) is still current.
pub(super) fn unchanged_since(headers: &HeaderMap, modified: DateTime<Utc>) -> bool {
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v.trim()).ok())
        .is_some_and(|since| modified <= since.with_timezone(&Utc))
}

pub(super) fn common_headers(headers: &mut HeaderMap, locale: Locale) {
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    if let Ok(lang) = HeaderValue::from_str(locale.as_str()) {
        headers.insert(header::CONTENT_LANGUAGE, lang);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Belt and braces for the escaping: no script runs here, whatever a statement says.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'",
        ),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

/// A page or feed with its cache headers; `304 Not Modified` when the client has it already.
pub(super) fn cached(
    request_headers: &HeaderMap,
    status: StatusCode,
    content_type: &'static str,
    modified: DateTime<Utc>,
    locale: Locale,
    body: impl FnOnce() -> String,
) -> Response {
    let not_modified = status == StatusCode::OK && unchanged_since(request_headers, modified);
    let mut response =
        if not_modified { StatusCode::NOT_MODIFIED.into_response() } else { (status, body()).into_response() };
    let headers = response.headers_mut();
    if !not_modified {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    if let Ok(v) = HeaderValue::from_str(&http_date(modified))
        && status == StatusCode::OK
    {
        headers.insert(header::LAST_MODIFIED, v);
    }
    common_headers(headers, locale);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_is_read_with_its_q_values() {
        let en = Locale::En;
        assert_eq!(negotiate("zh-CN,zh;q=0.9,en;q=0.8", en), Some(Locale::ZhCn));
        assert_eq!(negotiate("en-US,en;q=0.9,zh-CN;q=0.8", Locale::ZhCn), Some(Locale::En));
        assert_eq!(negotiate("fr-FR, en;q=0.3, zh;q=0.5", en), Some(Locale::ZhCn), "the higher q wins, not the order");
        assert_eq!(negotiate("zh-Hans-CN", en), Some(Locale::ZhCn));
        assert_eq!(negotiate("zh-TW", en), Some(Locale::ZhCn), "Chinese, in the only script there is");
        assert_eq!(negotiate("en-AU", Locale::ZhCn), Some(Locale::En));
        assert_eq!(negotiate("zh;q=0, en", Locale::ZhCn), Some(Locale::En), "q=0 means not this");
        assert_eq!(negotiate("*", Locale::ZhCn), Some(Locale::ZhCn));
        assert_eq!(negotiate("fr, de", en), None);
        assert_eq!(negotiate("", en), None);
        assert_eq!(negotiate("en;q=abc, zh", en), Some(Locale::ZhCn), "a malformed q is no preference");
    }

    #[test]
    fn the_lang_parameter_names_a_language_we_speak_or_nothing() {
        assert_eq!(lang_param("lang=zh-CN"), Some(Locale::ZhCn));
        assert_eq!(lang_param("x=1&lang=en"), Some(Locale::En));
        assert_eq!(lang_param("lang=zh%2DCN"), Some(Locale::ZhCn));
        assert_eq!(lang_param("lang=fr"), None);
        assert_eq!(lang_param(""), None);
    }

    #[test]
    fn hosts_with_anything_but_a_name_and_port_are_not_used_in_links() {
        assert!(valid_host("status.example.org"));
        assert!(valid_host("127.0.0.1:8090"));
        assert!(valid_host("[::1]:8090"));
        assert!(!valid_host("evil.org/\"><script>"));
        assert!(!valid_host("a b"));
        assert!(!valid_host(""));
    }

    #[test]
    fn http_dates_round_trip() {
        let t = DateTime::parse_from_rfc3339("2026-11-21T08:05:09Z").unwrap().with_timezone(&Utc);
        assert_eq!(http_date(t), "Sat, 21 Nov 2026 08:05:09 GMT");
        let mut h = HeaderMap::new();
        h.insert(header::IF_MODIFIED_SINCE, HeaderValue::from_str(&http_date(t)).unwrap());
        assert!(unchanged_since(&h, t));
        assert!(!unchanged_since(&h, t + chrono::Duration::seconds(1)));
    }
}
