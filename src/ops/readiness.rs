//! `/readyz`: whether this instance can do its work now. Checks, each named in the answer:
//!
//! - `database` — it answers a query on a connection of its own, within [`super::PATIENCE`];
//! - `migrations` — every migration of this build is applied, unchanged, and none unknown to it
//!   (a newer tocsin migrated the database: this one should make way);
//! - one per platform in use — Telegram: the last `getUpdates` succeeded, no longer ago than the
//!   poll can take (polling), or the webhook was registered (webhook mode: Telegram calls us,
//!   and a quiet hour is no failure); Discord: the gateway session is up (READY or RESUMED, and
//!   no disconnect since); the console: always. On a standby (another instance on the same
//!   Postgres leads, see `crate::leadership`) Telegram and Discord pass as "standing by": it
//!   keeps no connection of its own, and takes intake and webhook work all the same.

use super::{Ops, PATIENCE};
use crate::platform::Platform;
use crate::store::readings::Schema;
use crate::telemetry::links::Verdict;
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    /// `Ok` with a note, or `Err` with why not.
    pub result: Result<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn ready(&self) -> bool {
        self.checks.iter().all(|c| c.result.is_ok())
    }

    pub fn failed(&self) -> Vec<&'static str> {
        self.checks.iter().filter(|c| c.result.is_err()).map(|c| c.name).collect()
    }

    /// `{"ready": false, "failed": ["database"], "checks": {"database": {"ok": false, "detail": ".."}}}`
    pub fn to_json(&self) -> Value {
        let checks: serde_json::Map<String, Value> = self
            .checks
            .iter()
            .map(|c| {
                let (ok, detail) = match &c.result {
                    Ok(note) => (true, note),
                    Err(why) => (false, why),
                };
                (c.name.to_string(), json!({ "ok": ok, "detail": detail }))
            })
            .collect();
        json!({ "ready": self.ready(), "failed": self.failed(), "checks": checks })
    }
}

pub async fn check(ops: &Ops) -> Report {
    let schema = match tokio::time::timeout(PATIENCE, ops.store.schema()).await {
        Ok(Ok(schema)) => Ok(schema),
        Ok(Err(e)) => Err(format!("the database cannot be reached: {e}")),
        Err(_) => Err(format!("the database did not answer within {} s", PATIENCE.as_secs())),
    };
    let mut checks = vec![
        Check { name: "database", result: schema.as_ref().map(|_| "answers".to_string()).map_err(Clone::clone) },
        Check { name: "migrations", result: migrations(schema.as_ref()) },
    ];
    let now = ops.clock.now();
    for platform in ops.config.platforms_in_use() {
        let result = match platform {
            Platform::Console => Ok("reads standard input".to_string()),
            // Polling and the gateway are the leader's (`crate::leadership`).
            Platform::Telegram | Platform::Discord if !ops.leader.is_leading() => {
                Ok("standing by: another instance leads and keeps the connection".to_string())
            }
            // A robot holds no connection: each message is one request, judged by its answer.
            Platform::Feishu | Platform::DingTalk | Platform::WeCom => Ok("posts through webhooks".to_string()),
            Platform::Telegram | Platform::Discord => match ops.telemetry.links.judge(platform, now) {
                Verdict::Connected => Ok("connected".to_string()),
                Verdict::NotConnected(why) => Err(why),
            },
        };
        checks.push(Check { name: platform.as_str(), result });
    }
    Report { checks }
}

fn migrations(schema: Result<&Schema, &String>) -> Result<String, String> {
    let schema = schema.map_err(|_| "not checked: the database cannot be reached".to_string())?;
    let list = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let mut problems = vec![];
    if !schema.pending.is_empty() {
        problems.push(format!("not applied: {} (run `tocsin migrate`)", list(&schema.pending)));
    }
    if !schema.altered.is_empty() {
        problems.push(format!("changed since they were applied: {}", list(&schema.altered)));
    }
    if !schema.unknown.is_empty() {
        problems.push(format!("applied but unknown to this version (a newer tocsin?): {}", list(&schema.unknown)));
    }
    if problems.is_empty() { Ok("current".to_string()) } else { Err(problems.join("; ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_names_every_check_and_the_failed_ones() {
        let report = Report {
            checks: vec![
                Check { name: "database", result: Err("the database cannot be reached: refused".into()) },
                Check { name: "migrations", result: migrations(Err(&"x".to_string())) },
                Check { name: "console", result: Ok("reads standard input".into()) },
            ],
        };
        assert!(!report.ready());
        let body = report.to_json();
        assert_eq!(body["failed"], json!(["database", "migrations"]));
        assert_eq!(body["checks"]["console"], json!({ "ok": true, "detail": "reads standard input" }));
        assert_eq!(body["checks"]["migrations"]["ok"], json!(false));
    }

    #[test]
    fn migrations_say_which_versions_are_missing_changed_or_unknown() {
        assert_eq!(migrations(Ok(&Schema::default())), Ok("current".into()));
        let schema = Schema { pending: vec![8, 9], unknown: vec![10], altered: vec![] };
        let why = migrations(Ok(&schema)).unwrap_err();
        assert!(
            why.contains("not applied: 8, 9") && why.contains("unknown to this version (a newer tocsin?): 10"),
            "{why}"
        );
    }
}
