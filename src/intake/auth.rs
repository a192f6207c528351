//! Who may post signals: each configured source has a bearer token or an HMAC-SHA256 key,
//! read from the environment variable bot.toml names (never from bot.toml itself).

use crate::config::intake::{SourceConfig, SourceKind};
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The signature headers accepted, with a `sha256=` prefix or bare hex.
const SIGNATURE_HEADERS: [&str; 2] = ["x-tocsin-signature", "x-grafana-alerting-signature"];

pub struct Credentials {
    sources: Vec<(SourceConfig, Option<String>, Option<String>)>,
}

pub enum Verdict {
    Allowed(SourceConfig),
    Denied(&'static str),
}

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

    /// The source of `kind` whose credential the request carries.
    pub fn check(&self, kind: SourceKind, headers: &HeaderMap, body: &[u8]) -> Verdict {
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
        let signature = SIGNATURE_HEADERS
            .iter()
            .find_map(|h| headers.get(*h))
            .and_then(|v| v.to_str().ok())
            .map(|v| v.strip_prefix("sha256=").unwrap_or(v))
            .and_then(|hex| hex::decode(hex.trim()).ok());
        if bearer.is_none() && signature.is_none() {
            return Verdict::Denied(
                "missing credentials: send Authorization: Bearer <token> or X-Tocsin-Signature: sha256=<hmac>",
            );
        }
        for (source, token, key) in self.sources.iter().filter(|(s, _, _)| s.kind == kind) {
            if let (Some(given), Some(token)) = (bearer, token)
                && constant_time_eq(given.as_bytes(), token.as_bytes())
            {
                return Verdict::Allowed(source.clone());
            }
            if let (Some(sig), Some(key)) = (&signature, key) {
                let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
                mac.update(body);
                if mac.verify_slice(sig).is_ok() {
                    return Verdict::Allowed(source.clone());
                }
            }
        }
        Verdict::Denied("invalid credentials")
    }
}

/// Compares secrets without an early exit, so response times say nothing about them.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"ab"));
        assert!(!super::constant_time_eq(b"", b"a"));
    }
}
