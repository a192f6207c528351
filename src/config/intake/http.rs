//! `[http]`: the listener for intake webhooks and the operations routes, and what one client
//! may take of it.

use super::duration;
use crate::config::Problems;
use serde::Deserialize;
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

pub(in crate::config) fn http(p: &mut Problems, raw: &RawHttp) -> Option<HttpConfig> {
    let listen = raw
        .listen
        .parse()
        .map_err(|_| p.add("http.listen", format!("\"{}\" is not an address like 127.0.0.1:8080", raw.listen)));
    if raw.body_limit == 0 {
        p.add("http.body_limit", "must be more than 0 bytes");
    }
    if let Some(var) = raw.metrics_token_env.as_ref().filter(|v| !super::is_env_name(v)) {
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
