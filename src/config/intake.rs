//! bot.toml sections for taking signals in and grading them: `[http]`, `[[sources]]`,
//! `[[feeds]]`, `[grading]`, `[[keywords]]`, `[[routes]]`, `[text]`.

use super::Problems;
use crate::domain::Grade;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    pub listen: String,
    #[serde(default = "default_body_limit")]
    pub body_limit: usize,
    /// The environment variable holding the bearer token `/metrics` asks for.
    pub metrics_token_env: Option<String>,
    #[serde(default = "default_header_limit")]
    pub header_limit: usize,
    #[serde(default = "default_uri_limit")]
    pub uri_limit: usize,
    #[serde(default = "default_timeout")]
    pub header_timeout: String,
    #[serde(default = "default_timeout")]
    pub body_timeout: String,
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
}

fn default_body_limit() -> usize {
    256 * 1024
}

fn default_header_limit() -> usize {
    16 * 1024
}

fn default_uri_limit() -> usize {
    8 * 1024
}

fn default_timeout() -> String {
    "10s".into()
}

/// Well under the 1024 descriptors a default `ulimit -n` gives, leaving room for the database
/// pool, outgoing calls and the status page.
fn default_max_connections() -> usize {
    512
}

fn default_max_in_flight() -> usize {
    64
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub name: String,
    pub kind: String,
    #[serde(default = "one")]
    pub weight: f64,
    pub token_env: Option<String>,
    pub hmac_env: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub auto_resolve: bool,
    /// `"60/min"`: at most this many requests from this credential (429 beyond).
    pub rate: Option<String>,
    // Alert sources (Alertmanager, Grafana) only: see `AlertSettings`.
    /// Label value → grade (`{ critical = "I" }`); replaces the default map when given.
    pub severity: Option<BTreeMap<String, String>>,
    /// The label that carries the severity (`severity` by default).
    pub severity_label: Option<String>,
    /// `alert` (one case per alert) or `notification` (one case per notification group).
    pub group: Option<String>,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeed {
    pub name: String,
    pub url: String,
    #[serde(default = "default_interval")]
    pub interval: String,
    #[serde(default = "one")]
    pub weight: f64,
    #[serde(default)]
    pub tags: Vec<String>,
}

fn default_interval() -> String {
    "5m".into()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGrading {
    pub window: Option<String>,
    pub simhash_distance: Option<u32>,
    pub token_overlap: Option<f64>,
    #[serde(default)]
    pub thresholds: BTreeMap<String, f64>,
    pub attention_weight: Option<f64>,
    pub diffusion_weight: Option<f64>,
    pub max_attention: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKeywords {
    pub category: String,
    #[serde(default = "one")]
    pub weight: f64,
    pub terms: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    pub team: String,
    #[serde(default)]
    pub grades: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawText {
    pub user_dict: Option<String>,
}

/// Checked intake settings.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    pub body_limit: usize,
    /// The name of the environment variable holding `/metrics`' bearer token (never the token);
    /// without it `/metrics` is open to whoever reaches the listener.
    pub metrics_token_env: Option<String>,
    pub limits: HttpLimits,
}

/// What one client may take of the listener (issue 15): a request head or body that never
/// finishes, or thousands of idle connections, must not starve everyone else.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Bytes of request line and headers (431 beyond).
    pub header_limit: usize,
    /// Bytes of the request target (414 beyond).
    pub uri_limit: usize,
    /// A request head must arrive within this (the connection is closed otherwise); also how
    /// long an idle keep-alive connection is kept.
    pub header_timeout: Duration,
    /// A request body must arrive within this (408 otherwise).
    pub body_timeout: Duration,
    /// Open connections at most; beyond it the longest-idle connection is closed to make room.
    pub max_connections: usize,
    /// Intake requests being handled at once at most (503 with Retry-After beyond).
    pub max_in_flight: usize,
}

impl Default for HttpLimits {
    fn default() -> HttpLimits {
        HttpLimits {
            header_limit: default_header_limit(),
            uri_limit: default_uri_limit(),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: default_max_connections(),
            max_in_flight: default_max_in_flight(),
        }
    }
}

/// A per-source request rate: `count` requests per `per`, in a burst or spread out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

impl Rate {
    /// Parses `60/min`, `10/s`, `1000/h`, `5000/day`.
    pub fn parse(s: &str) -> Option<Rate> {
        let (n, unit) = s.trim().split_once('/')?;
        let count: u32 = n.trim().parse().ok().filter(|&n| n > 0)?;
        let secs = match unit.trim() {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            "d" | "day" => 86_400,
            _ => return None,
        };
        Some(Rate { count, per: Duration::from_secs(secs) })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Generic,
    Alertmanager,
    Grafana,
}

#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub name: String,
    pub kind: SourceKind,
    /// Influence: how much a signal from here counts (0.0–1.0 typical).
    pub weight: f64,
    /// Names of environment variables holding the credentials, never the secrets themselves.
    pub token_env: Option<String>,
    pub hmac_env: Option<String>,
    pub tags: Vec<String>,
    /// Resolve the case when Alertmanager/Grafana says the alert is resolved.
    pub auto_resolve: bool,
    /// At most this many requests with this credential (429 beyond); unlimited without.
    pub rate: Option<Rate>,
    /// How an alert source's alerts are graded and grouped (defaults for other kinds, unused).
    pub alerts: AlertSettings,
}

/// What becomes of an alert source's alerts: a grade floor from their severity label, and
/// whether each alert or each notification group is one case.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSettings {
    pub severity_label: String,
    /// Lower-case label value → the least severe grade an alert with it may have.
    pub severity: BTreeMap<String, Grade>,
    pub group: Grouping,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// One case per alert fingerprint.
    Alert,
    /// One case per Alertmanager `groupKey` / Grafana group: its alerts listed on the card.
    Notification,
}

impl Default for AlertSettings {
    fn default() -> AlertSettings {
        let severity = [("critical", Grade::I), ("error", Grade::II), ("warning", Grade::III), ("info", Grade::IV)]
            .into_iter()
            .map(|(k, g)| (k.to_string(), g))
            .collect();
        AlertSettings { severity_label: "severity".into(), severity, group: Grouping::Alert }
    }
}

impl AlertSettings {
    /// The grade an alert's labels put a floor under, with the label value that did it.
    pub fn floor(&self, labels: &BTreeMap<String, String>) -> Option<(String, Grade)> {
        let value = labels.get(&self.severity_label)?;
        self.severity.get(&value.trim().to_lowercase()).map(|g| (value.clone(), *g))
    }
}

#[derive(Debug, Clone)]
pub struct FeedSource {
    pub name: String,
    pub url: reqwest::Url,
    pub interval: Duration,
    pub weight: f64,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct GradingConfig {
    /// Signals within this window of each other can be one story; diffusion counts sources in it.
    pub window: Duration,
    pub simhash_distance: u32,
    /// A SimHash candidate is the same story only if the two texts share at least this share
    /// (Jaccard) of their distinct content words; 0 leaves the decision to the SimHash.
    pub token_overlap: f64,
    /// Minimum score for grades I, II and III (below III is IV).
    pub thresholds: [f64; 3],
    pub attention_weight: f64,
    pub diffusion_weight: f64,
    /// The ceiling on a signal's attention: engagement numbers are the sender's word.
    pub max_attention: f64,
}

impl Default for GradingConfig {
    fn default() -> GradingConfig {
        GradingConfig {
            window: Duration::from_secs(3600),
            simhash_distance: 12,
            token_overlap: crate::text::DEFAULT_OVERLAP,
            thresholds: [12.0, 8.0, 4.0],
            attention_weight: 1.0,
            diffusion_weight: 2.0,
            max_attention: crate::domain::grading::DEFAULT_MAX_ATTENTION,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RouteConfig {
    pub team: String,
    pub grades: Vec<Grade>,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
}

/// Parses `30s`, `5m`, `2h`, `1d`.
pub fn duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let secs = match unit {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    (secs > 0).then(|| Duration::from_secs(secs))
}

pub(super) fn http(p: &mut Problems, raw: &RawHttp) -> Option<HttpConfig> {
    let listen = raw
        .listen
        .parse()
        .map_err(|_| p.add("http.listen", format!("\"{}\" is not an address like 127.0.0.1:8080", raw.listen)));
    if raw.body_limit == 0 {
        p.add("http.body_limit", "must be more than 0 bytes");
    }
    let env_name = |v: &String| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if let Some(var) = raw.metrics_token_env.as_ref().filter(|v| !env_name(v)) {
        p.add("http.metrics_token_env", format!("\"{var}\" is not an environment variable name (A-Z, 0-9, _)"));
    }
    let mut at_least = |key: &str, value: usize, min: usize, what: &str| {
        if value < min {
            p.add(format!("http.{key}"), format!("must be at least {min} {what}"));
        }
    };
    at_least("header_limit", raw.header_limit, 1024, "bytes");
    at_least("uri_limit", raw.uri_limit, 256, "bytes");
    at_least("max_connections", raw.max_connections, 2, "connections");
    at_least("max_in_flight", raw.max_in_flight, 1, "requests");
    // hyper reads the URI into u16-sized spans: a longer target is refused by hyper itself.
    if raw.uri_limit > 60 * 1024 {
        p.add("http.uri_limit", "at most 61440 bytes");
    }
    let mut timeout = |key: &str, value: &str| {
        let d = duration(value);
        if d.is_none() {
            p.add(format!("http.{key}"), format!("\"{value}\" is not a duration like 10s or 1m"));
        }
        d
    };
    let header_timeout = timeout("header_timeout", &raw.header_timeout);
    let body_timeout = timeout("body_timeout", &raw.body_timeout);
    Some(HttpConfig {
        listen: listen.ok()?,
        body_limit: raw.body_limit,
        metrics_token_env: raw.metrics_token_env.clone(),
        limits: HttpLimits {
            header_limit: raw.header_limit,
            uri_limit: raw.uri_limit,
            header_timeout: header_timeout?,
            body_timeout: body_timeout?,
            max_connections: raw.max_connections,
            max_in_flight: raw.max_in_flight,
        },
    })
}

pub(super) fn sources(p: &mut Problems, raw: &[RawSource]) -> Vec<SourceConfig> {
    let mut out: Vec<SourceConfig> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let at = format!("sources[{i}]");
        if out.iter().any(|s| s.name == r.name) {
            p.add(format!("{at}.name"), format!("\"{}\" is already a source", r.name));
        }
        let kind = match r.kind.as_str() {
            "generic" => SourceKind::Generic,
            "alertmanager" => SourceKind::Alertmanager,
            "grafana" => SourceKind::Grafana,
            other => {
                p.add(
                    format!("{at}.kind"),
                    format!("unknown kind \"{other}\" (expected generic, alertmanager or grafana)"),
                );
                continue;
            }
        };
        if r.token_env.is_none() && r.hmac_env.is_none() {
            p.add(&at, "needs token_env or hmac_env: the name of the environment variable holding its credential");
        }
        for (key, name) in [("token_env", &r.token_env), ("hmac_env", &r.hmac_env)] {
            if let Some(name) = name
                && !is_env_name(name)
            {
                // Never echo the value: a secret pasted here by mistake must not reach the logs.
                p.add(
                    format!("{at}.{key}"),
                    "must be the NAME of an environment variable (letters, digits and _), not the secret itself; put the secret in that variable",
                );
            }
        }
        weight(p, &format!("{at}.weight"), r.weight);
        let rate = r.rate.as_deref().and_then(|text| {
            let rate = Rate::parse(text);
            if rate.is_none() {
                p.add(format!("{at}.rate"), format!("\"{text}\" is not a rate like 60/min, 10/s or 1000/h"));
            }
            rate
        });
        let alerts = alert_settings(p, &at, r, kind);
        out.push(SourceConfig {
            name: r.name.clone(),
            kind,
            weight: r.weight,
            token_env: r.token_env.clone(),
            hmac_env: r.hmac_env.clone(),
            tags: r.tags.clone(),
            auto_resolve: r.auto_resolve,
            rate,
            alerts,
        });
    }
    out
}

/// `severity`, `severity_label` and `group`, which only alert sources understand.
fn alert_settings(p: &mut Problems, at: &str, r: &RawSource, kind: SourceKind) -> AlertSettings {
    let mut settings = AlertSettings::default();
    if kind == SourceKind::Generic {
        for (key, given) in [
            ("severity", r.severity.is_some()),
            ("severity_label", r.severity_label.is_some()),
            ("group", r.group.is_some()),
        ] {
            if given {
                p.add(format!("{at}.{key}"), "only alertmanager and grafana sources have alerts to grade and group");
            }
        }
        return settings;
    }
    if let Some(label) = &r.severity_label {
        if label.trim().is_empty() {
            p.add(format!("{at}.severity_label"), "must name a label (\"severity\" by default)");
        }
        settings.severity_label = label.clone();
    }
    if let Some(map) = &r.severity {
        settings.severity.clear();
        for (value, grade) in map {
            match Grade::parse(grade) {
                Some(g) => {
                    settings.severity.insert(value.trim().to_lowercase(), g);
                }
                None => {
                    p.add(format!("{at}.severity.{value}"), format!("\"{grade}\" is not a grade (I, II, III or IV)"))
                }
            }
        }
    }
    match r.group.as_deref() {
        None | Some("alert") => {}
        Some("notification") => settings.group = Grouping::Notification,
        Some(other) => {
            p.add(format!("{at}.group"), format!("unknown grouping \"{other}\" (expected alert or notification)"))
        }
    }
    settings
}

/// `HOTLINE_TOKEN`: what a shell accepts as a variable name, and not longer than any sane one.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn weight(p: &mut Problems, at: &str, w: f64) {
    if !(w.is_finite() && w >= 0.0) {
        p.add(at, format!("{w} is not a weight (a number 0 or more)"));
    }
}

/// Feeds, named apart from each other and from the sources: a name is the identity that
/// weight and diffusion are counted by, so two feeds (or a feed and a source) under one name
/// would count as one.
pub(super) fn feeds(p: &mut Problems, raw: &[RawFeed], sources: &[SourceConfig]) -> Vec<FeedSource> {
    raw.iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let at = format!("feeds[{i}]");
            if sources.iter().any(|s| s.name == r.name) {
                p.add(format!("{at}.name"), format!("\"{}\" is already a source", r.name));
            } else if raw[..i].iter().any(|f| f.name == r.name) {
                p.add(format!("{at}.name"), format!("\"{}\" is already a feed", r.name));
            }
            let url = reqwest::Url::parse(&r.url).ok().filter(|u| matches!(u.scheme(), "http" | "https"));
            if url.is_none() {
                p.add(format!("{at}.url"), format!("\"{}\" is not an http(s) URL", r.url));
            }
            let interval = duration(&r.interval);
            if interval.is_none() {
                p.add(format!("{at}.interval"), format!("\"{}\" is not a duration like 30s, 5m, 2h", r.interval));
            }
            weight(p, &format!("{at}.weight"), r.weight);
            Some(FeedSource {
                name: r.name.clone(),
                url: url?,
                interval: interval?,
                weight: r.weight,
                tags: r.tags.clone(),
            })
        })
        .collect()
}

pub(super) fn grading(p: &mut Problems, raw: &RawGrading) -> GradingConfig {
    let mut g = GradingConfig::default();
    if let Some(w) = &raw.window {
        match duration(w) {
            Some(d) => g.window = d,
            None => p.add("grading.window", format!("\"{w}\" is not a duration like 30m or 1h")),
        }
    }
    if let Some(d) = raw.simhash_distance {
        if d > 32 {
            p.add("grading.simhash_distance", "at most 32 (of 64 bits) — more would join unrelated stories");
        }
        g.simhash_distance = d;
    }
    if let Some(o) = raw.token_overlap {
        if !(0.0..=1.0).contains(&o) {
            p.add("grading.token_overlap", "a share of words, from 0.0 (SimHash alone decides) to 1.0");
        }
        g.token_overlap = o;
    }
    for (key, value) in &raw.thresholds {
        match Grade::parse(key) {
            Some(Grade::IV) | None => {
                p.add(format!("grading.thresholds.{key}"), "thresholds are given for I, II and III")
            }
            Some(grade) => g.thresholds[grade.index()] = *value,
        }
    }
    if !(g.thresholds[0] >= g.thresholds[1] && g.thresholds[1] >= g.thresholds[2]) {
        p.add("grading.thresholds", "must not increase from I to III (I needs the highest score)");
    }
    if let Some(w) = raw.attention_weight {
        weight(p, "grading.attention_weight", w);
        g.attention_weight = w;
    }
    if let Some(w) = raw.diffusion_weight {
        weight(p, "grading.diffusion_weight", w);
        g.diffusion_weight = w;
    }
    if let Some(m) = raw.max_attention {
        if !(m.is_finite() && m >= 0.0) {
            p.add(
                "grading.max_attention",
                format!("{m} is not a ceiling (a number 0 or more; 6 = a million engagements)"),
            );
        }
        g.max_attention = m;
    }
    g
}

pub(super) fn keywords(p: &mut Problems, raw: &[RawKeywords]) -> Vec<crate::text::Category> {
    raw.iter()
        .enumerate()
        .map(|(i, k)| {
            if k.terms.iter().all(|t| t.trim().is_empty()) {
                p.add(format!("keywords[{i}].terms"), "needs at least one term");
            }
            weight(p, &format!("keywords[{i}].weight"), k.weight);
            crate::text::Category {
                name: k.category.clone(),
                weight: k.weight,
                terms: k.terms.clone(),
                exclude: k.exclude.clone(),
            }
        })
        .collect()
}

pub(super) fn routes(p: &mut Problems, raw: &[RawRoute], teams: &[super::Team]) -> Vec<RouteConfig> {
    raw.iter()
        .enumerate()
        .map(|(i, r)| {
            if !teams.iter().any(|t| t.name == r.team) {
                p.add(format!("routes[{i}].team"), format!("no team named \"{}\"", r.team));
            }
            let grades = r
                .grades
                .iter()
                .filter_map(|g| {
                    let parsed = Grade::parse(g);
                    if parsed.is_none() {
                        p.add(format!("routes[{i}].grades"), format!("unknown grade \"{g}\""));
                    }
                    parsed
                })
                .collect();
            RouteConfig { team: r.team.clone(), grades, categories: r.categories.clone(), tags: r.tags.clone() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::duration;
    use crate::config::Config;
    use std::time::Duration;

    #[test]
    fn the_token_overlap_defaults_to_the_measured_share_and_must_be_a_share() {
        let committed = include_str!("../../bot.toml");
        let with = |value: &str| Config::parse(&format!("{committed}\n[grading]\ntoken_overlap = {value}\n"));
        let overlap = |c: Config| c.grading.token_overlap;
        assert_eq!(Config::parse(committed).map(overlap).unwrap(), crate::text::DEFAULT_OVERLAP);
        assert_eq!(with("0.0").map(overlap).unwrap(), 0.0);
        assert_eq!(with("0.75").map(overlap).unwrap(), 0.75);
        for bad in ["-0.1", "1.5", "nan"] {
            let err = with(bad).unwrap_err().to_string();
            assert!(err.contains("grading.token_overlap"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_attention_ceiling_defaults_to_a_million_engagements_and_must_be_a_number() {
        let committed = include_str!("../../bot.toml");
        let with = |value: &str| Config::parse(&format!("{committed}\n[grading]\nmax_attention = {value}\n"));
        assert_eq!(Config::parse(committed).unwrap().grading.max_attention, 6.0);
        assert_eq!(with("3.5").unwrap().grading.max_attention, 3.5);
        for bad in ["-1.0", "nan", "inf"] {
            let err = with(bad).unwrap_err().to_string();
            assert!(err.contains("grading.max_attention"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_feed_may_not_share_its_name_with_a_source_or_another_feed() {
        let committed = include_str!("../../bot.toml");
        let intake = "\n[http]\nlisten = \"127.0.0.1:0\"\n\n[[sources]]\nname = \"wire\"\nkind = \"generic\"\ntoken_env = \"T\"\n";
        let feed = |name: &str| format!("\n[[feeds]]\nname = \"{name}\"\nurl = \"https://news.example/rss\"\n");
        let err = Config::parse(&format!("{committed}{intake}{}", feed("wire"))).unwrap_err().to_string();
        assert!(err.contains("feeds[0].name: \"wire\" is already a source"), "{err}");
        let err =
            Config::parse(&format!("{committed}{intake}{}{}", feed("news"), feed("news"))).unwrap_err().to_string();
        assert!(err.contains("feeds[1].name: \"news\" is already a feed"), "{err}");
        assert!(Config::parse(&format!("{committed}{intake}{}", feed("news"))).is_ok());
    }

    #[test]
    fn the_metrics_token_is_named_by_an_environment_variable_never_given_itself() {
        let committed = include_str!("../../bot.toml");
        let with = |line: &str| Config::parse(&format!("{committed}\n[http]\nlisten = \"127.0.0.1:0\"\n{line}\n"));
        assert_eq!(with("").unwrap().http.unwrap().metrics_token_env, None);
        let named = with("metrics_token_env = \"TOCSIN_METRICS_TOKEN\"").unwrap();
        assert_eq!(named.http.unwrap().metrics_token_env.as_deref(), Some("TOCSIN_METRICS_TOKEN"));
        let err = with("metrics_token_env = \"s3cr3t token!\"").unwrap_err().to_string();
        assert!(err.contains("http.metrics_token_env"), "{err}");
        let err = with("metrics_token = \"x\"").unwrap_err().to_string();
        assert!(err.contains("metrics_token"), "unknown keys are refused: {err}");
    }

    #[test]
    fn the_listener_limits_have_defaults_and_are_checked() {
        let committed = include_str!("../../bot.toml");
        let with = |lines: &str| Config::parse(&format!("{committed}\n[http]\nlisten = \"127.0.0.1:0\"\n{lines}\n"));
        let limits = with("").unwrap().http.unwrap().limits;
        assert_eq!((limits.max_connections, limits.max_in_flight, limits.header_limit), (512, 64, 16384));
        assert_eq!(limits.header_timeout, Duration::from_secs(10));
        let set = with("max_in_flight = 16\nbody_timeout = \"30s\"").unwrap().http.unwrap().limits;
        assert_eq!((set.max_in_flight, set.body_timeout), (16, Duration::from_secs(30)));
        for (bad, key) in [
            ("max_in_flight = 0", "http.max_in_flight"),
            ("max_connections = 1", "http.max_connections"),
            ("header_timeout = \"soon\"", "http.header_timeout"),
            ("header_limit = 10", "http.header_limit"),
            ("uri_limit = 100000", "http.uri_limit"),
        ] {
            let err = with(bad).unwrap_err().to_string();
            assert!(err.contains(key), "{bad}: {err}");
        }
    }

    #[test]
    fn alert_sources_map_severity_to_grade_by_default_and_may_replace_the_map_and_grouping() {
        use super::{Grouping, SourceKind};
        use crate::domain::Grade;
        let committed = include_str!("../../bot.toml");
        let source = |kind: &str, keys: &str| {
            let intake = format!(
                "\n[http]\nlisten = \"127.0.0.1:0\"\n\n[[sources]]\nname = \"am\"\nkind = \"{kind}\"\ntoken_env = \"T\"\n{keys}\n"
            );
            Config::parse(&format!("{committed}{intake}")).map(|c| c.sources[0].clone())
        };
        let am = source("alertmanager", "").unwrap();
        assert_eq!(am.kind, SourceKind::Alertmanager);
        let labels = |value: &str| [("severity".to_string(), value.to_string())].into_iter().collect();
        assert_eq!(am.alerts.floor(&labels("critical")), Some(("critical".into(), Grade::I)));
        assert_eq!(am.alerts.floor(&labels("Warning")), Some(("Warning".into(), Grade::III)), "any case");
        assert_eq!(am.alerts.floor(&labels("page")), None);
        assert_eq!(am.alerts.group, Grouping::Alert, "today's behaviour unless asked");
        let custom =
            source("grafana", "severity_label = \"priority\"\nseverity = { P1 = \"I\" }\ngroup = \"notification\"")
                .unwrap();
        let priority = [("priority".to_string(), "p1".to_string())].into_iter().collect();
        assert_eq!(custom.alerts.floor(&priority), Some(("p1".into(), Grade::I)));
        assert_eq!(custom.alerts.floor(&labels("critical")), None, "a given map replaces the default one");
        assert_eq!(custom.alerts.group, Grouping::Notification);
        for (kind, keys, path) in [
            ("alertmanager", "severity = { critical = \"1\" }", "sources[0].severity.critical"),
            ("alertmanager", "group = \"folder\"", "sources[0].group"),
            ("alertmanager", "severity_label = \" \"", "sources[0].severity_label"),
            ("generic", "group = \"notification\"", "sources[0].group"),
            ("generic", "severity = { critical = \"I\" }", "sources[0].severity"),
        ] {
            let err = source(kind, keys).unwrap_err().to_string();
            assert!(err.contains(path), "{keys}: {err}");
        }
    }

    #[test]
    fn a_source_rate_is_a_count_per_unit_of_time() {
        let committed = include_str!("../../bot.toml");
        let with = |rate: &str| {
            Config::parse(&format!(
                "{committed}\n[http]\nlisten = \"127.0.0.1:0\"\n\n[[sources]]\nname = \"wire\"\nkind = \"generic\"\ntoken_env = \"T\"\n{rate}\n"
            ))
        };
        assert_eq!(with("").unwrap().sources[0].rate, None);
        let rate = with("rate = \"60/min\"").unwrap().sources[0].rate.unwrap();
        assert_eq!((rate.count, rate.per), (60, Duration::from_secs(60)));
        let err = with("rate = \"lots\"").unwrap_err().to_string();
        assert!(err.contains("sources[0].rate"), "{err}");
    }

    #[test]
    fn durations_are_read_with_their_unit() {
        assert_eq!(duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(duration("1d"), Some(Duration::from_secs(86_400)));
        for bad in ["", "m", "5", "0m", "5 m", "-5m", "5w", "99999999999999999999d"] {
            assert_eq!(duration(bad), None, "{bad}");
        }
    }
}
