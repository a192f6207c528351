//! bot.toml sections for taking signals in and grading them: `[http]`, `[[sources]]`,
//! `[[feeds]]`, `[grading]`, `[[keywords]]`, `[[routes]]`, `[text]`.

use super::Problems;
use crate::domain::Grade;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

mod http;
#[cfg(test)]
mod tests;

pub(super) use http::http;
pub use http::{HttpConfig, HttpLimits, RawHttp};

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
pub(super) fn is_env_name(name: &str) -> bool {
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
