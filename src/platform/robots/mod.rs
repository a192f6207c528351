//! Group robots of Feishu/Lark, DingTalk and WeCom: incoming webhooks that post into one group
//! each. They hear nothing (commands come from a two-way platform or the console), cannot edit
//! what they posted, and have no buttons.
//!
//! So on a robot a case card is a fresh message at every change (its buttons become the
//! commands to type elsewhere), and case changes may be folded into a digest under a flood like
//! any other notice: a digest line after an older card reads in order, where on a platform
//! that edits, it would leave the card showing an old state. One [`RobotSender`] per platform;
//! each chat is one robot, and the platforms' per-robot limits are the limiter's per-chat ones.
//!
//! The robots answer HTTP 200 with an error code in the body ([`Verdict`]): rate limits wait
//! (this robot only), transient errors back off, and refusals (bad signature, keyword missing,
//! robot removed) are never retried; the delivery worker tells the leaders.

pub mod dingtalk;
pub mod feishu;
pub mod format;
pub mod sign;
pub mod wecom;

use crate::clock::Clock;
use crate::config::{Chat, Config};
use crate::delivery::limiter::{Budget, Limits};
use crate::delivery::split::split;
use crate::delivery::{Outgoing, SendError, Sender};
use crate::platform::Platform;
use anyhow::Context as _;
use async_trait::async_trait;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A person to notify: the name as it appears in the text, and their id on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub shown: String,
    pub user_id: String,
}

/// What a robot's answer means for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Rate limited: this robot waits this long.
    Wait(Duration, String),
    /// A passing failure: back off and retry.
    Retry(String),
    /// Never accepted as it is (bad signature, robot removed): no retry.
    Refused(String),
    /// No error code in the answer.
    Unreadable,
}

fn reason(platform: &str, code: i64, msg: &str) -> String {
    let msg: String = msg.chars().take(200).collect();
    format!("the {platform} robot answered {code}: {msg}")
}

/// One robot: its webhook URL (holding its token; never logged) and signing secret.
struct Robot {
    url: reqwest::Url,
    secret: Option<String>,
}

pub struct RobotSender {
    platform: Platform,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
    /// By chat name.
    robots: HashMap<String, Robot>,
}

impl RobotSender {
    /// The sender for `platform`'s chats in bot.toml, their URLs and secrets read through `var`;
    /// `None` when no chat uses the platform. A variable that is not set stops the start.
    pub fn from_config(
        platform: Platform,
        config: &Config,
        clock: Arc<dyn Clock>,
        var: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Option<RobotSender>> {
        let mut robots = HashMap::new();
        for chat in config.chats.values().filter(|c| c.platform == platform) {
            let Some(r) = &chat.robot else { continue };
            let set = |name: &str| var(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
            let url = set(&r.webhook_env).with_context(|| {
                format!("chats.{} is a {platform} robot but {} is not set", chat.name, r.webhook_env)
            })?;
            // The error never shows the URL: it holds the robot's token.
            let url = reqwest::Url::parse(&url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .with_context(|| format!("{} (chats.{}) is not an http(s) URL", r.webhook_env, chat.name))?;
            let secret = match &r.secret_env {
                Some(name) => Some(set(name).with_context(|| {
                    format!("chats.{} names secret_env {name}, but that variable is not set", chat.name)
                })?),
                None => None,
            };
            robots.insert(chat.name.clone(), Robot { url, secret });
        }
        if robots.is_empty() {
            return Ok(None);
        }
        let client = reqwest::Client::builder().user_agent("tocsin").build()?;
        Ok(Some(RobotSender { platform, client, clock, robots }))
    }

    fn card(&self, view: &crate::app::card::CardView) -> Value {
        match self.platform {
            Platform::Feishu => feishu::card(view),
            Platform::DingTalk => dingtalk::card(view),
            _ => wecom::card(view),
        }
    }

    fn text(&self, piece: &str, mention: Option<&Mention>) -> Value {
        match self.platform {
            Platform::Feishu => feishu::text(piece, mention),
            Platform::DingTalk => dingtalk::text(piece, mention),
            _ => wecom::text(piece, mention),
        }
    }

    /// Posts one message, signed as the platform wants, and reads the code in the answer.
    async fn post(&self, robot: &Robot, mut body: Value) -> Result<(), SendError> {
        let mut url = robot.url.clone();
        let now = self.clock.now();
        match (&robot.secret, self.platform) {
            (Some(secret), Platform::Feishu) => feishu::sign(&mut body, secret, now.timestamp()),
            (Some(secret), Platform::DingTalk) => dingtalk::sign(&mut url, secret, now.timestamp_millis()),
            _ => {}
        }
        let network =
            |e: reqwest::Error| SendError::Transient { reason: e.without_url().to_string(), retry_after: None };
        let resp = self
            .client
            .post(url)
            .header("Content-Type", "application/json; charset=utf-8")
            .body(body.to_string())
            .send()
            .await
            .map_err(network)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(network)?;
        let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let verdict = match self.platform {
            Platform::Feishu => feishu::verdict(&answer),
            Platform::DingTalk => dingtalk::verdict(&answer),
            _ => wecom::verdict(&answer),
        };
        let name = self.platform;
        match verdict {
            Verdict::Ok if status.is_success() => Ok(()),
            Verdict::Wait(wait, _) => Err(SendError::ChatRateLimited(wait)),
            Verdict::Retry(reason) => Err(SendError::Transient { reason, retry_after: None }),
            Verdict::Refused(reason) => Err(SendError::Permanent(reason)),
            _ if status.as_u16() == 429 => Err(SendError::ChatRateLimited(Duration::from_secs(60))),
            _ if status.is_server_error() || status.as_u16() == 408 => {
                Err(SendError::Transient { reason: format!("the {name} robot answered {status}"), retry_after: None })
            }
            // A 4xx without a code (404: the webhook path no longer exists), or a 200 that says nothing.
            _ => Err(SendError::Permanent(format!("the {name} robot answered {status} without a result code"))),
        }
    }
}

/// Per robot: the platform's documented per-minute budget (and Feishu's 5 a second). There is
/// no token shared between robots, so the per-token budget is only a sanity bound.
pub fn limits(platform: Platform) -> Limits {
    let minute = chrono::Duration::seconds(60);
    let per_minute = match platform {
        Platform::Feishu => feishu::PER_MINUTE,
        Platform::DingTalk => dingtalk::PER_MINUTE,
        _ => wecom::PER_MINUTE,
    };
    let per_chat = match platform {
        Platform::Feishu => Budget::new(feishu::PER_SECOND, chrono::Duration::seconds(1)),
        _ => Budget::new(per_minute, minute),
    };
    Limits {
        per_chat,
        per_group: Budget::new(per_minute, minute),
        per_token: Budget::new(1000, chrono::Duration::seconds(1)),
    }
}

#[async_trait]
impl Sender for RobotSender {
    fn platform(&self) -> Platform {
        self.platform
    }

    fn limits(&self) -> Option<Limits> {
        Some(limits(self.platform))
    }

    /// Every robot posts into a group.
    fn is_group(&self, _chat: &Chat) -> bool {
        true
    }

    /// Case changes show as the card's layout, posted anew each time.
    fn shows_cards(&self) -> bool {
        true
    }

    fn edits_cards(&self) -> bool {
        false
    }

    fn max_text(&self) -> usize {
        match self.platform {
            Platform::Feishu => feishu::MAX_TEXT,
            Platform::DingTalk => dingtalk::MAX_TEXT,
            _ => wecom::MAX_TEXT,
        }
    }

    async fn send(&self, chat: &Chat, message: &Outgoing) -> Result<usize, SendError> {
        let Some(robot) = self.robots.get(&chat.name) else {
            return Err(SendError::Permanent(format!(
                "no {} robot is set up for chat \"{}\"",
                self.platform, chat.name
            )));
        };
        let (text, mention) = match message {
            Outgoing::Card(view) => return self.post(robot, self.card(view)).await.map(|()| 1),
            Outgoing::Text(text) => (text, None),
            Outgoing::Mentioning { text, shown, user_id } => {
                (text, Some(Mention { shown: shown.clone(), user_id: user_id.clone() }))
            }
        };
        let pieces = split(text, self.max_text());
        // The mention goes into the last piece that names the person.
        let mentioned = mention.as_ref().and_then(|m| pieces.iter().rposition(|p| p.contains(&m.shown)));
        for (i, piece) in pieces.iter().enumerate() {
            let m = mention.as_ref().filter(|_| Some(i) == mentioned);
            self.post(robot, self.text(piece, m)).await?;
        }
        Ok(pieces.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_are_sorted_into_wait_retry_and_refused() {
        assert_eq!(feishu::verdict(&json!({ "code": 0, "msg": "success" })), Verdict::Ok);
        assert_eq!(feishu::verdict(&json!({ "StatusCode": 0 })), Verdict::Ok);
        assert!(matches!(feishu::verdict(&json!({ "code": 11232, "msg": "frequency limited" })), Verdict::Wait(..)));
        assert!(matches!(feishu::verdict(&json!({ "code": 19021, "msg": "sign match fail" })), Verdict::Refused(_)));
        assert!(matches!(
            dingtalk::verdict(&json!({ "errcode": 130101, "errmsg": "send too fast" })),
            Verdict::Wait(..)
        ));
        assert!(matches!(dingtalk::verdict(&json!({ "errcode": -1, "errmsg": "busy" })), Verdict::Retry(_)));
        assert!(matches!(
            dingtalk::verdict(&json!({ "errcode": 310000, "errmsg": "sign not match" })),
            Verdict::Refused(_)
        ));
        assert!(matches!(wecom::verdict(&json!({ "errcode": 45009, "errmsg": "freq" })), Verdict::Wait(..)));
        assert!(matches!(
            wecom::verdict(&json!({ "errcode": 93000, "errmsg": "invalid webhook url" })),
            Verdict::Refused(_)
        ));
        assert_eq!(wecom::verdict(&json!("not an answer")), Verdict::Unreadable);
    }

    #[test]
    fn a_mention_is_a_field_of_its_own_and_never_everyone() {
        let m = Mention { shown: "Bob Li".into(), user_id: "bob01".into() };
        let text = "@all <at user_id=\"all\"> reminder for Bob Li";
        let d = dingtalk::text(text, Some(&m));
        assert_eq!(d["at"], json!({ "atUserIds": ["bob01"], "isAtAll": false }));
        assert_eq!(d["text"]["content"], json!("@all <at user_id=\"all\"> reminder for @bob01"));
        let w = wecom::text(text, Some(&m));
        assert_eq!(w["text"]["mentioned_list"], json!(["bob01"]));
        let f = feishu::text(text, Some(&m));
        let para = &f["content"]["post"]["zh_cn"]["content"][0];
        assert_eq!(para[0], json!({ "tag": "text", "text": "@all <at user_id=\"all\"> reminder for " }));
        assert_eq!(para[1], json!({ "tag": "at", "user_id": "bob01" }));
    }
}
