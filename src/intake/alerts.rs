//! Alertmanager's webhook (version 4) and Grafana's, which shares its shape.

use super::{Metrics, RawSignal};
use crate::config::intake::SourceConfig;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertBatch {
    pub version: Option<String>,
    pub alerts: Vec<Alert>,
    pub external_url: Option<String>,
    /// Grafana's rendered title for the batch.
    pub title: Option<String>,
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

pub fn signal(alert: &Alert, batch: &AlertBatch, source: &SourceConfig, fingerprint: String) -> RawSignal {
    let mut body = alert.annotations.get("description").cloned().unwrap_or_default();
    let labels: Vec<String> = alert.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if !labels.is_empty() {
        body = format!("{body}\n{}", labels.join(" ")).trim().to_string();
    }
    let mut tags = source.tags.clone();
    tags.extend(alert.labels.get("severity").map(|s| format!("severity:{s}")));
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
    }
}
