//! Alertmanager's webhook (version 4) and Grafana's, which shares its shape: the body read
//! into [`AlertUnit`]s, each of which the pipeline takes in with one commit — one per alert,
//! or one per notification group when the source says `group = "notification"`.

use super::{Metrics, RawSignal};
use crate::app::intake::{AlertOutcome, AlertUnit, IncomingAlert, Pipeline};
use crate::config::intake::{Grouping, SourceConfig};
use crate::domain::grading::Severity;
use crate::telemetry::{SignalOutcome, Telemetry};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertBatch {
    pub version: Option<String>,
    pub alerts: Vec<Alert>,
    pub external_url: Option<String>,
    /// Grafana's rendered title for the batch.
    pub title: Option<String>,
    /// Names the notification group (Alertmanager's route and `group_by` labels; Grafana's
    /// the same): the same key on every notification of the group.
    pub group_key: Option<String>,
    #[serde(default)]
    pub group_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_annotations: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub status: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub starts_at: Option<String>,
    pub generator_url: Option<String>,
    pub fingerprint: Option<String>,
}

impl Alert {
    pub fn is_resolved(&self) -> bool {
        self.status == "resolved"
    }

    /// The sender's fingerprint, else one made from the sorted labels (what Alertmanager
    /// itself fingerprints).
    pub fn fingerprint(&self) -> String {
        match &self.fingerprint {
            Some(f) if !f.is_empty() => f.clone(),
            _ => self.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
        }
    }
}

/// `summary` annotation, else the alert name, else the batch title.
pub fn title(alert: &Alert, batch: &AlertBatch) -> String {
    alert
        .annotations
        .get("summary")
        .or_else(|| alert.labels.get("alertname"))
        .or(batch.title.as_ref())
        .cloned()
        .unwrap_or_else(|| "alert".to_string())
}

/// How the card names an alert: its `alertname` and the labels that tell it apart from the
/// rest of its notification (`DiskFull instance=db-0`); labels every alert of the batch shares
/// and the severity say nothing there.
pub fn name(alert: &Alert, batch: &AlertBatch, severity_label: &str) -> String {
    let head = alert.labels.get("alertname").cloned().unwrap_or_else(|| title(alert, batch));
    let own: Vec<String> = alert
        .labels
        .iter()
        .filter(|(k, v)| {
            *k != "alertname" && *k != severity_label && batch.common_labels.get(*k) != Some(*v) && !k.starts_with("__")
        })
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if own.is_empty() { head } else { format!("{head} {}", own.join(" ")) }
}

pub fn signal(alert: &Alert, batch: &AlertBatch, source: &SourceConfig, fingerprint: String) -> RawSignal {
    let mut body = alert.annotations.get("description").cloned().unwrap_or_default();
    let labels: Vec<String> = alert.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if !labels.is_empty() {
        body = format!("{body}\n{}", labels.join(" ")).trim().to_string();
    }
    let mut tags = source.tags.clone();
    tags.extend(alert.labels.get(&source.alerts.severity_label).map(|s| format!("severity:{s}")));
    tags.extend(alert.labels.get("alertname").cloned());
    let url = alert.generator_url.clone().filter(|u| !u.is_empty()).or_else(|| batch.external_url.clone());
    RawSignal {
        source: source.name.clone(),
        label: None,
        title: title(alert, batch),
        body,
        url,
        language: None,
        metrics: Metrics::default(),
        tags,
        fingerprint: Some(fingerprint),
        occurred_at: alert
            .starts_at
            .as_deref()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.to_utc()),
        dedup_key: None,
        drill: None,
    }
}

/// The batch as units the pipeline takes in, in the body's order: each alert alone, or the
/// whole batch as its notification group (a group whose key the body does not give — neither
/// `groupKey` nor `groupLabels` — falls back to one unit per alert).
pub fn units(batch: &AlertBatch, source: &SourceConfig) -> Vec<AlertUnit> {
    let incoming = |alert: &Alert| {
        let fingerprint = format!("{}:{}", source.name, alert.fingerprint());
        let settings = &source.alerts;
        let severity = settings.floor(&alert.labels).map(|(value, grade)| Severity {
            label: settings.severity_label.clone(),
            value,
            grade,
        });
        IncomingAlert {
            fingerprint: fingerprint.clone(),
            name: name(alert, batch, &settings.severity_label),
            firing: !alert.is_resolved(),
            severity,
            signal: signal(alert, batch, source, fingerprint),
        }
    };
    let group = (source.alerts.group == Grouping::Notification).then(|| group_key(batch)).flatten();
    match group {
        Some(key) => vec![AlertUnit {
            source: source.name.clone(),
            group: Some(format!("{}:{key}", source.name)),
            title: group_title(batch),
            summary: batch.common_annotations.get("description").cloned(),
            alerts: batch.alerts.iter().map(incoming).collect(),
        }],
        None => batch
            .alerts
            .iter()
            .map(|a| AlertUnit {
                source: source.name.clone(),
                group: None,
                title: None,
                summary: None,
                alerts: vec![incoming(a)],
            })
            .collect(),
    }
}

/// What became of a batch: every unit taken in (202), or those before a failure were and the
/// rest were not (`failed` is then `true`). The body lists every alert of the batch, in order,
/// with its outcome, so the sender — and whoever reads its log — knows exactly what is kept.
pub struct Answer {
    pub failed: bool,
    pub body: Value,
}

/// Takes a batch in unit by unit, each unit one commit, stopping at the first that cannot be
/// stored (the store is most likely down; the rest would fail the same way). Sending the
/// batch again is safe: alerts already taken in come back as repeats and add nothing.
pub async fn take(pipeline: &Pipeline, telemetry: &Telemetry, batch: &AlertBatch, source: &SourceConfig) -> Answer {
    let mut results = Vec::with_capacity(batch.alerts.len());
    let mut taken = 0;
    let mut failure = None;
    let units = units(batch, source);
    for unit in units {
        // The sender's own fingerprints, as it knows them.
        let prefix = format!("{}:", source.name);
        let senders: Vec<String> = unit
            .alerts
            .iter()
            .map(|a| a.fingerprint.strip_prefix(&prefix).unwrap_or(&a.fingerprint).to_string())
            .collect();
        if failure.is_some() {
            results.extend(senders.into_iter().map(|f| json!({ "fingerprint": f, "outcome": "not_tried" })));
            continue;
        }
        match pipeline.take_alerts(unit).await {
            Ok(outcomes) => {
                for (fingerprint, outcome) in senders.into_iter().zip(outcomes) {
                    count(telemetry, &source.name, outcome);
                    taken += 1;
                    results.push(json!({ "fingerprint": fingerprint, "outcome": outcome.as_str(),
                                         "case": outcome.case().map(|c| c.get()) }));
                }
            }
            Err(e) => {
                tracing::error!(source = %source.name, error = ?e, taken, "taking an alert batch in failed");
                for f in senders {
                    telemetry.signal(&source.name, SignalOutcome::Failed);
                    results.push(json!({ "fingerprint": f, "outcome": "failed" }));
                }
                failure = Some(e);
            }
        }
    }
    let total = batch.alerts.len();
    match failure {
        None => Answer { failed: false, body: json!({ "alerts": results }) },
        Some(_) => Answer {
            failed: true,
            body: json!({
                "error": format!(
                    "the database failed after {taken} of {total} alerts were taken in: those listed with a case \
                     are kept, those listed as failed or not_tried are not; sending the whole batch again is safe \
                     (alerts already taken in are not taken in twice)"
                ),
                "taken_in": taken,
                "alerts": results,
            }),
        },
    }
}

fn count(telemetry: &Telemetry, source: &str, outcome: AlertOutcome) {
    let counted = match outcome {
        AlertOutcome::Opened(_) => SignalOutcome::Opened,
        AlertOutcome::Joined(_) | AlertOutcome::Reopened(_) => SignalOutcome::Joined,
        AlertOutcome::Repeat(_) => SignalOutcome::Duplicate,
        AlertOutcome::Noted(_) | AlertOutcome::Resolved(_) => SignalOutcome::Resolved,
        AlertOutcome::Unknown => SignalOutcome::Unmatched,
    };
    telemetry.signal(source, counted);
    tracing::info!(source, outcome = outcome.as_str(), case = outcome.case().map(|c| c.get()), "alert taken in");
}

fn group_key(batch: &AlertBatch) -> Option<String> {
    match &batch.group_key {
        Some(k) if !k.is_empty() => Some(k.clone()),
        _ if !batch.group_labels.is_empty() => {
            let labels: Vec<String> = batch.group_labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            Some(format!("{{{}}}", labels.join(",")))
        }
        _ => None,
    }
}

/// A group's case is named by what all its alerts share: the common `summary`, else the
/// group's label values (`DiskFull`), never Grafana's `[FIRING:5] …` title, whose count changes.
fn group_title(batch: &AlertBatch) -> Option<String> {
    batch.common_annotations.get("summary").cloned().or_else(|| {
        let values: Vec<&str> = batch.group_labels.values().map(String::as_str).collect();
        (!values.is_empty()).then(|| values.join(" "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::intake::{AlertSettings, SourceKind};
    use crate::domain::Grade;

    fn source(group: Grouping) -> SourceConfig {
        SourceConfig {
            name: "am".into(),
            kind: SourceKind::Alertmanager,
            weight: 1.0,
            token_env: None,
            hmac_env: None,
            tags: vec![],
            auto_resolve: false,
            rate: None,
            alerts: AlertSettings { group, ..AlertSettings::default() },
        }
    }

    fn batch(json: &str) -> AlertBatch {
        serde_json::from_str(json).unwrap()
    }

    const FIVE: &str = r#"{"version":"4","groupKey":"{}:{alertname=\"DiskFull\"}",
        "groupLabels":{"alertname":"DiskFull"},"commonLabels":{"alertname":"DiskFull","severity":"critical"},
        "alerts":[{"status":"firing","labels":{"alertname":"DiskFull","instance":"db-0","severity":"critical"},"fingerprint":"a"},
                  {"status":"resolved","labels":{"alertname":"DiskFull","instance":"db-1","severity":"critical"},"fingerprint":"b"}]}"#;

    #[test]
    fn a_notification_source_takes_the_batch_as_one_unit_named_by_its_group() {
        let units = units(&batch(FIVE), &source(Grouping::Notification));
        assert_eq!(units.len(), 1);
        let u = &units[0];
        assert_eq!(u.group.as_deref(), Some("am:{}:{alertname=\"DiskFull\"}"));
        assert_eq!(u.title.as_deref(), Some("DiskFull"));
        let names: Vec<&str> = u.alerts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["DiskFull instance=db-0", "DiskFull instance=db-1"]);
        assert_eq!(u.alerts.iter().map(|a| a.firing).collect::<Vec<_>>(), [true, false]);
        assert_eq!(u.alerts[0].severity.as_ref().map(|s| s.grade), Some(Grade::I));
        assert_eq!(u.alerts[0].fingerprint, "am:a");
    }

    #[test]
    fn an_alert_source_takes_each_alert_alone() {
        let units = units(&batch(FIVE), &source(Grouping::Alert));
        assert_eq!(units.len(), 2);
        assert!(units.iter().all(|u| u.group.is_none() && u.alerts.len() == 1));
    }

    #[test]
    fn a_group_without_a_key_falls_back_to_its_labels_then_to_single_alerts() {
        let keyless = FIVE.replace(r#""groupKey":"{}:{alertname=\"DiskFull\"}","#, "");
        let units_ = units(&batch(&keyless), &source(Grouping::Notification));
        assert_eq!(units_[0].group.as_deref(), Some("am:{alertname=\"DiskFull\"}"));
        let bare = keyless.replace(r#""groupLabels":{"alertname":"DiskFull"},"#, "");
        assert_eq!(units(&batch(&bare), &source(Grouping::Notification)).len(), 2);
    }

    #[test]
    fn an_unknown_severity_sets_no_floor() {
        let odd = FIVE.replace("\"severity\":\"critical\"}", "\"severity\":\"page-me\"}");
        let units = units(&batch(&odd), &source(Grouping::Alert));
        assert!(units.iter().all(|u| u.alerts[0].severity.is_none()));
    }
}
