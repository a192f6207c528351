//! The two signatures group robots check, each exactly as its platform documents it. Both
//! are HMAC-SHA256 over a timestamp and the secret, base64-encoded, but key and message are
//! the other way round, and Feishu counts seconds where DingTalk counts milliseconds.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

fn hmac_base64(key: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Feishu/Lark custom bot: `base64(HMAC-SHA256(key = "{timestamp}\n{secret}", message = ""))`,
/// `timestamp` in seconds; both go into the JSON body as `timestamp` (a string) and `sign`.
pub fn feishu(timestamp_secs: i64, secret: &str) -> String {
    hmac_base64(format!("{timestamp_secs}\n{secret}").as_bytes(), b"")
}

/// DingTalk custom robot: `base64(HMAC-SHA256(key = secret, message = "{timestamp}\n{secret}"))`,
/// `timestamp` in milliseconds; both go into the URL's query (the sign URL-encoded there).
pub fn dingtalk(timestamp_ms: i64, secret: &str) -> String {
    hmac_base64(secret.as_bytes(), format!("{timestamp_ms}\n{secret}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent values, computed with Python's `hmac` and `base64` from the platforms'
    /// sample code (`hmac.new(key, msg, hashlib.sha256).digest()`).
    #[test]
    fn signatures_match_the_platforms_sample_code() {
        assert_eq!(feishu(1_599_360_473, "demo"), "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=");
        assert_eq!(dingtalk(1_577_262_236_757, "this is secret"), "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=");
    }
}
