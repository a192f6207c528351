//! Who may post signals: each configured source has a bearer token or an HMAC-SHA256 key,
//! read from the environment variable bot.toml names (never from bot.toml itself).
//!
//! Credentials are looked at in two steps, so that a request without any is refused before its
//! body is read (issue 15): [`Credentials::check_headers`] decides what the headers alone can
//! (a bearer token names its source; a signature must be present, well formed and, in tocsin's
//! own scheme, fresh), and [`Credentials::check_body`] verifies a signature over the body read
//! within its limit.
//!
//! tocsin's own scheme signs `"{timestamp}.{body}"`, the timestamp (unix seconds) sent in
//! `X-Tocsin-Timestamp`: a request older or newer than [`WINDOW`] is refused, and within the
//! window the caller refuses a signature seen before ([`Signed::replay_key`]). Grafana's scheme
//! (`X-Grafana-Alerting-Signature`, the body alone) stays as Grafana sends it.

use crate::config::intake::{SourceConfig, SourceKind};
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-tocsin-signature";
pub const TIMESTAMP_HEADER: &str = "x-tocsin-timestamp";
pub const GRAFANA_SIGNATURE_HEADER: &str = "x-grafana-alerting-signature";
/// How far a signed request's timestamp may be from now, either way, in seconds.
pub const WINDOW: i64 = 300;
/// A signature is remembered this much longer than its window, for clocks a little apart
/// between instances.
const MARGIN: i64 = 60;

pub struct Credentials {
    sources: Vec<(SourceConfig, Option<String>, Option<String>)>,
}

/// What the headers alone say.
pub enum Presented {
    /// A bearer token: the source is known before the body is read.
    Source(SourceConfig),
    /// A signature: the body is read (within its limit) to learn whose it is.
    Signed(Signed),
}

/// A signature taken from the headers, not yet verified.
pub struct Signed {
    kind: SourceKind,
    signature: Vec<u8>,
    /// tocsin's scheme: the signed timestamp. `None`: Grafana's, over the body alone.
    timestamp: Option<i64>,
}

impl Signed {
    /// For tocsin's scheme: the key under which this signature is remembered, and until when
    /// (unix seconds). A replay within the window finds the key taken.
    pub fn replay_key(&self, source: &SourceConfig) -> Option<(String, i64)> {
        let ts = self.timestamp?;
        Some((format!("{}:{}", source.name, hex::encode(&self.signature)), ts + WINDOW + MARGIN))
    }
}

const MISSING: &str = "missing credentials: send Authorization: Bearer <token>, or X-Tocsin-Timestamp: <unix seconds> \
                       with X-Tocsin-Signature: sha256=<hmac of \"<timestamp>.<body>\">";
const INVALID: &str = "invalid credentials";

impl Credentials {
    /// Reads every source's secrets; a configured source whose variable is unset is an
    /// error at start, not a silent open door or a silent closed one.
    pub fn from_env(sources: &[SourceConfig], env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Credentials> {
        let mut out = Vec::new();
        for s in sources {
            let read = |name: &Option<String>| -> anyhow::Result<Option<String>> {
                match name {
                    None => Ok(None),
                    Some(var) => match env(var) {
                        Some(v) if !v.is_empty() => Ok(Some(v)),
                        _ => anyhow::bail!("source \"{}\" needs the environment variable {var}", s.name),
                    },
                }
            };
            out.push((s.clone(), read(&s.token_env)?, read(&s.hmac_env)?));
        }
        Ok(Credentials { sources: out })
    }

    fn of_kind(&self, kind: SourceKind) -> impl Iterator<Item = &(SourceConfig, Option<String>, Option<String>)> {
        self.sources.iter().filter(move |(s, _, _)| s.kind == kind)
    }

    /// What the headers of a request to the `kind` endpoint say, at `now` (unix seconds); the
    /// reason to refuse it (401) without reading its body.
    pub fn check_headers(&self, kind: SourceKind, headers: &HeaderMap, now: i64) -> Result<Presented, &'static str> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let bearer =
            header("authorization").and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
        let ours = header(SIGNATURE_HEADER);
        let grafana = header(GRAFANA_SIGNATURE_HEADER).filter(|_| kind == SourceKind::Grafana);
        if bearer.is_none() && ours.is_none() && grafana.is_none() {
            return Err(MISSING);
        }
        if let Some(given) = bearer {
            for (source, token, _) in self.of_kind(kind) {
                if let Some(token) = token
                    && constant_time_eq(given.as_bytes(), token.as_bytes())
                {
                    return Ok(Presented::Source(source.clone()));
                }
            }
        }
        if !self.of_kind(kind).any(|(_, _, key)| key.is_some()) {
            return Err(INVALID);
        }
        let (signature, timestamp) = match (ours, grafana) {
            (Some(sig), _) => {
                let Some(ts) = header(TIMESTAMP_HEADER) else {
                    return Err("X-Tocsin-Signature needs X-Tocsin-Timestamp: the unix seconds it signs with the body");
                };
                let ts: i64 = ts.trim().parse().map_err(|_| "X-Tocsin-Timestamp must be unix seconds")?;
                if now.abs_diff(ts) > WINDOW.unsigned_abs() {
                    return Err(
                        "X-Tocsin-Timestamp is more than 5 minutes from now: sign each request when it is sent",
                    );
                }
                (sig, Some(ts))
            }
            (None, Some(sig)) => (sig, None),
            (None, None) => return Err(INVALID),
        };
        let signature = hex::decode(signature.trim().strip_prefix("sha256=").unwrap_or(signature.trim()))
            .ok()
            .filter(|s| s.len() == 32)
            .ok_or(INVALID)?;
        Ok(Presented::Signed(Signed { kind, signature, timestamp }))
    }

    /// The source whose key made `signed` over `body`, if any.
    pub fn check_body(&self, signed: &Signed, body: &[u8]) -> Option<SourceConfig> {
        self.of_kind(signed.kind).find_map(|(source, _, key)| {
            let mut mac = Hmac::<Sha256>::new_from_slice(key.as_ref()?.as_bytes()).ok()?;
            if let Some(ts) = signed.timestamp {
                mac.update(format!("{ts}.").as_bytes());
            }
            mac.update(body);
            mac.verify_slice(&signed.signature).is_ok().then(|| source.clone())
        })
    }
}

/// tocsin's signature of `body` at `timestamp` with `key`: `sha256=<hex>` (for senders and tests).
pub fn sign(key: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Compares secrets without an early exit, so response times say nothing about them.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::intake::SourceKind;

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"ab"));
        assert!(!super::constant_time_eq(b"", b"a"));
    }

    fn signed_source() -> Credentials {
        let source = SourceConfig {
            name: "signed".into(),
            kind: SourceKind::Generic,
            weight: 1.0,
            token_env: None,
            hmac_env: Some("K".into()),
            tags: vec![],
            auto_resolve: false,
            rate: None,
            alerts: Default::default(),
        };
        Credentials::from_env(&[source], |_| Some("key".into())).unwrap()
    }

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (axum::http::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn the_signature_covers_the_timestamp_and_the_body() {
        let creds = signed_source();
        let now = 1_800_000_000;
        let sig = sign(b"key", now, b"{}");
        let h = headers(&[(SIGNATURE_HEADER, sig.clone()), (TIMESTAMP_HEADER, now.to_string())]);
        let Ok(Presented::Signed(signed)) = creds.check_headers(SourceKind::Generic, &h, now + 10) else { panic!() };
        assert_eq!(creds.check_body(&signed, b"{}").map(|s| s.name), Some("signed".into()));
        assert!(creds.check_body(&signed, b"{ }").is_none(), "another body");
        // The same signature under another timestamp is not valid.
        let moved = headers(&[(SIGNATURE_HEADER, sig), (TIMESTAMP_HEADER, (now + 1).to_string())]);
        let Ok(Presented::Signed(signed)) = creds.check_headers(SourceKind::Generic, &moved, now) else { panic!() };
        assert!(creds.check_body(&signed, b"{}").is_none());
    }

    #[test]
    fn a_stale_or_missing_timestamp_is_refused_before_the_body() {
        let creds = signed_source();
        let now = 1_800_000_000;
        for ts in [now - WINDOW - 1, now + WINDOW + 1, i64::MIN, i64::MAX] {
            let h = headers(&[(SIGNATURE_HEADER, sign(b"key", ts, b"{}")), (TIMESTAMP_HEADER, ts.to_string())]);
            assert!(creds.check_headers(SourceKind::Generic, &h, now).is_err(), "{ts}");
        }
        let h = headers(&[(SIGNATURE_HEADER, sign(b"key", now, b"{}"))]);
        assert!(creds.check_headers(SourceKind::Generic, &h, now).is_err());
        assert!(matches!(creds.check_headers(SourceKind::Generic, &HeaderMap::new(), now), Err(MISSING)));
    }
}
