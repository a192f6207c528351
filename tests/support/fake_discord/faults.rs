//! REST failures a test injects: what to answer instead of the normal reply, and which requests
//! that applies to.

use serde_json::{Value, json};

/// A failure to answer instead of the normal reply.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// 429 with Discord's body and headers (`Retry-After` in whole seconds, rounded up).
    RateLimited { retry_after: f64, global: bool },
    /// 403 `{"message":"Missing Access","code":50001}`.
    MissingAccess,
    /// 403 `{"message":"Missing Permissions","code":50013}`.
    MissingPermissions,
    /// 404 `{"message":"Unknown Channel","code":10003}`.
    UnknownChannel,
    /// 404 `{"message":"Unknown Message","code":10008}`.
    UnknownMessage,
    /// This 5xx status with `{"message":"..","code":0}`.
    ServerError(u16),
    /// Closes the connection without an answer; the request is not processed.
    Drop,
    /// Never answers (the request stays open until the client gives up); not processed.
    Hang,
}

impl Failure {
    /// Status and body of the JSON answer (`None` for `Drop` and `Hang`).
    pub(crate) fn answer(&self) -> Option<(u16, Value)> {
        let (status, message, code) = match self {
            Failure::RateLimited { retry_after, global } => {
                let body = json!({"message": "You are being rate limited.", "retry_after": retry_after,
                    "global": global, "code": 0});
                return Some((429, body));
            }
            Failure::MissingAccess => (403, "Missing Access", 50001),
            Failure::MissingPermissions => (403, "Missing Permissions", 50013),
            Failure::UnknownChannel => (404, "Unknown Channel", 10003),
            Failure::UnknownMessage => (404, "Unknown Message", 10008),
            Failure::ServerError(s) => (*s, "Internal Server Error", 0),
            Failure::Drop | Failure::Hang => return None,
        };
        Some((status, json!({"message": message, "code": code})))
    }
}

/// Which REST requests a failure applies to; `times: None` means every match from now on.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// `Some(("POST", ["channels", "{id}", "messages"]))`; `{..}` matches any one segment.
    route: Option<(String, Vec<String>)>,
    channel: Option<u64>,
    times: Option<usize>,
}

impl Scope {
    pub fn any() -> Scope {
        Scope::default()
    }
    /// Requests under `/channels/{channel_id}/..`.
    pub fn channel(channel_id: u64) -> Scope {
        Scope { channel: Some(channel_id), ..Scope::default() }
    }
    /// `"POST /channels/{id}/messages"`: method and path after `/api/v10`, `{..}` for any segment.
    /// A route without a method (`"/channels/{id}/messages"`) matches every method.
    pub fn route(route: &str) -> Scope {
        let (method, path) = match route.trim().split_once(' ') {
            Some((m, p)) => (m.to_ascii_uppercase(), p.trim()),
            None => (String::new(), route.trim()),
        };
        Scope { route: Some((method, segments(path))), ..Scope::default() }
    }
    pub fn in_channel(self, channel_id: u64) -> Scope {
        Scope { channel: Some(channel_id), ..self }
    }
    pub fn times(self, n: usize) -> Scope {
        Scope { times: Some(n), ..self }
    }
    pub fn once(self) -> Scope {
        self.times(1)
    }

    /// Whether a request matches (`times` aside); `path` with or without `/api/v10`.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.matches_segments(method, &segments(path))
    }

    fn matches_segments(&self, method: &str, path: &[String]) -> bool {
        if let Some((m, template)) = &self.route {
            let same_shape = template.len() == path.len()
                && template.iter().zip(path).all(|(t, p)| (t.starts_with('{') && t.ends_with('}')) || t == p);
            if (!m.is_empty() && !m.eq_ignore_ascii_case(method)) || !same_shape {
                return false;
            }
        }
        match self.channel {
            Some(c) => path.first().is_some_and(|s| s == "channels") && path.get(1) == Some(&c.to_string()),
            None => true,
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub(crate) failure: Failure,
    scope: Scope,
}

impl Rule {
    pub(crate) fn new(failure: Failure, scope: Scope) -> Rule {
        Rule { failure, scope }
    }
}

/// Takes the first matching rule (counting one use of it) and returns its failure.
///
/// `GET /gateway` fails only for a scope that names it: when that request fails serenity falls back
/// to the real `wss://gateway.discord.gg`, which a test must never reach by accident.
pub(crate) fn take(rules: &mut Vec<Rule>, method: &str, path: &[String]) -> Option<Failure> {
    let discovery = path == ["gateway"];
    let applies = |r: &Rule| {
        r.scope.matches_segments(method, path) && r.scope.times != Some(0) && (!discovery || r.scope.route.is_some())
    };
    let i = rules.iter().position(applies)?;
    let failure = rules[i].failure.clone();
    if let Some(left) = rules[i].scope.times.as_mut() {
        *left -= 1;
        if *left == 0 {
            rules.remove(i);
        }
    }
    Some(failure)
}

/// The path's segments after `/api/v10` (the prefix is optional here).
pub(crate) fn segments(path: &str) -> Vec<String> {
    let path = path.split('?').next().unwrap_or("");
    let path = path.strip_prefix("/api/v10").unwrap_or(path);
    path.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect()
}
