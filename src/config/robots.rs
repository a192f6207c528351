//! Group-robot chats (`platform = "feishu" | "dingtalk" | "wecom"`) and the people's ids there.
//!
//! A robot's webhook URL carries its token, so bot.toml names only the environment variables
//! the URL and the signing secret come from (`webhook_env`, `secret_env`).

use super::raw::{RawChat, RawPerson};
use super::validate::Problems;
use crate::platform::Platform;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotChat {
    /// The environment variable holding the robot's webhook URL.
    pub webhook_env: String,
    /// The environment variable holding its signing secret (Feishu, DingTalk), if it signs.
    pub secret_env: Option<String>,
}

/// Checks a chat's robot keys; `Some` for a robot platform with a usable `webhook_env`.
pub(super) fn chat(p: &mut Problems, at: &str, platform: Platform, raw: &RawChat) -> Option<RobotChat> {
    if !platform.is_robot() {
        for (key, set) in [("webhook_env", raw.webhook_env.is_some()), ("secret_env", raw.secret_env.is_some())] {
            if set {
                p.add(format!("{at}.{key}"), "only feishu, dingtalk and wecom robots have webhooks");
            }
        }
        return None;
    }
    if raw.id.is_some() {
        p.add(format!("{at}.id"), "a robot has no chat id: name its webhook's variable in webhook_env");
    }
    if raw.topic.is_some() {
        p.add(format!("{at}.topic"), "only Telegram chats have forum topics");
    }
    if platform == Platform::WeCom && raw.secret_env.is_some() {
        p.add(format!("{at}.secret_env"), "WeCom robots do not sign; the key in the webhook URL is the secret");
    }
    let mut ok = true;
    for (key, value) in [("webhook_env", raw.webhook_env.as_deref()), ("secret_env", raw.secret_env.as_deref())] {
        if let Some(v) = value
            && !super::intake::is_env_name(v)
        {
            p.add(format!("{at}.{key}"), format!("\"{v}\" is not an environment variable name"));
            ok = false;
        }
    }
    let Some(webhook_env) = raw.webhook_env.clone() else {
        p.add(format!("{at}.webhook_env"), format!("a {platform} robot needs the variable its webhook URL is in"));
        return None;
    };
    ok.then_some(RobotChat { webhook_env, secret_env: raw.secret_env.clone() })
}

/// The person's ids on the robot platforms, used only to mention them.
pub(super) fn identities(p: &mut Problems, at: &str, raw: &RawPerson, out: &mut Vec<(Platform, String)>) {
    for (platform, id) in
        [(Platform::Feishu, &raw.feishu), (Platform::DingTalk, &raw.dingtalk), (Platform::WeCom, &raw.wecom)]
    {
        let Some(id) = id.as_deref().map(str::trim) else { continue };
        // Ids go into mention markup (`<at user_id="…">`, `<@…>`): nothing that could close it.
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || "_-.@".contains(c)) {
            p.add(format!("{at}.{platform}"), format!("\"{id}\" is not a {platform} user id"));
            continue;
        }
        out.push((platform, id.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::platform::Platform;

    const COMMITTED: &str = include_str!("../../bot.toml");

    /// bot.toml with `chats` added and used as mirrors of the team chat.
    fn with_robots(chats: &str, mirrors: &str) -> Result<Config, Vec<String>> {
        let text = COMMITTED
            .replace("[chats.ops]\nplatform = \"console\"\n", &format!("[chats.ops]\nplatform = \"console\"\n{chats}"))
            .replace("team_chat = \"ops\"\n", &format!("team_chat = \"ops\"\nmirrors = [{mirrors}]\n"));
        Config::parse(&text).map_err(|e| e.0.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn a_robot_chat_names_where_its_webhook_and_secret_come_from() {
        let chats = "[chats.fs]\nplatform = \"feishu\"\nwebhook_env = \"FS_HOOK\"\nsecret_env = \"FS_SECRET\"\n\
                     [chats.wc]\nplatform = \"wecom\"\nwebhook_env = \"WC_HOOK\"\n";
        let c = with_robots(chats, "\"fs\", \"wc\"").expect("valid");
        let fs = c.chat("fs").unwrap();
        assert_eq!(fs.platform, Platform::Feishu);
        let robot = fs.robot.as_ref().unwrap();
        assert_eq!((robot.webhook_env.as_str(), robot.secret_env.as_deref()), ("FS_HOOK", Some("FS_SECRET")));
        assert_eq!(c.chat("wc").unwrap().robot.as_ref().unwrap().secret_env, None);
    }

    #[test]
    fn a_robot_without_a_webhook_variable_or_with_a_chat_id_or_a_wecom_secret_is_refused() {
        let chats = "[chats.dt]\nplatform = \"dingtalk\"\n\
                     [chats.wc]\nplatform = \"wecom\"\nid = \"x\"\nwebhook_env = \"WC_HOOK\"\nsecret_env = \"WC_SECRET\"\n\
                     [chats.fs]\nplatform = \"feishu\"\nwebhook_env = \"https://open.feishu.cn/hook/x\"\n";
        let errs = with_robots(chats, "\"dt\", \"wc\", \"fs\"").unwrap_err();
        let has = |prefix: &str| errs.iter().any(|e| e.starts_with(prefix));
        assert!(has("chats.dt.webhook_env: a dingtalk robot needs"), "{errs:?}");
        assert!(has("chats.wc.id: a robot has no chat id"), "{errs:?}");
        assert!(has("chats.wc.secret_env: WeCom robots do not sign"), "{errs:?}");
        assert!(
            has("chats.fs.webhook_env: \"https://open.feishu.cn/hook/x\" is not an environment variable"),
            "{errs:?}"
        );
    }

    #[test]
    fn people_have_robot_ids_that_cannot_break_out_of_mention_markup() {
        let text = COMMITTED.replace(
            "display = \"Bob Li\"\n",
            "display = \"Bob Li\"\nfeishu = \"ou_123\"\ndingtalk = \"bob01\"\nwecom = \"x\\\"><@all\"\n",
        );
        let errs: Vec<String> = Config::parse(&text).unwrap_err().0.iter().map(ToString::to_string).collect();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].starts_with("people[1].wecom: "), "{errs:?}");
        let ok = COMMITTED.replace("display = \"Bob Li\"\n", "display = \"Bob Li\"\nfeishu = \"ou_123\"\n");
        let c = Config::parse(&ok).unwrap();
        assert!(c.person("bob").unwrap().identities.contains(&(Platform::Feishu, "ou_123".to_string())));
    }
}
