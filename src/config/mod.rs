//! bot.toml: the raw schema ([`raw`]), and the checked [`Config`] the rest of tocsin uses.
//!
//! Loading never stops at the first problem: every bad key is reported with its path
//! (`people[2].roles: unknown role "admin"`), so one run of `tocsin check-config` shows all.

pub mod discord;
pub mod drills;
pub mod intake;
pub mod publishing;
mod raw;
mod response;
pub mod retention;
pub mod robots;
mod validate;

use validate::Problems;

use crate::domain::{ClockPolicy, Duty, Grade, Locale, Roles};
use crate::platform::Platform;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Overrides `database` from bot.toml, so that a Postgres password never has to be written
/// into a committed file.
pub const DATABASE_ENV: &str = "TOCSIN_DATABASE_URL";

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub default_locale: Locale,
    pub default_grade: Grade,
    pub console: Option<ConsoleConfig>,
    pub telegram: Option<TelegramConfig>,
    pub discord: Option<discord::DiscordConfig>,
    /// The HTTP server for intake webhooks; its presence turns them on.
    pub http: Option<intake::HttpConfig>,
    pub sources: Vec<intake::SourceConfig>,
    pub feeds: Vec<intake::FeedSource>,
    pub grading: intake::GradingConfig,
    pub keywords: Vec<crate::text::Category>,
    pub routes: Vec<intake::RouteConfig>,
    /// A jieba user dictionary (domain words), relative to bot.toml.
    pub user_dict: Option<std::path::PathBuf>,
    pub people: Vec<Person>,
    pub chats: BTreeMap<String, Chat>,
    pub teams: Vec<Team>,
    pub grades: [GradeStyle; 4],
    /// Response clocks per grade, reminders, escalation and the watch factor (`[clocks]`,
    /// `[watch]`); the defaults when those sections are absent.
    pub clocks: ClockPolicy,
    /// Who must approve what before it is published (`[approvals]`).
    pub approvals: publishing::Approvals,
    /// The public status page (`[status_page]`); off without it.
    pub status_page: Option<publishing::StatusPage>,
    /// How long third-party signal text is kept (`[retention]`); for ever without it.
    pub retention: Option<retention::Retention>,
    /// Drill scenarios from `drills/*.toml` next to bot.toml (none when parsed from text).
    pub drills: Vec<drills::Scenario>,
}

#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// The logical chat that lines typed on stdin go into.
    pub chat: String,
    /// The person who types them.
    pub person: String,
}

/// How tocsin reaches the Telegram Bot API. The token is never here: it comes from
/// [`TELEGRAM_TOKEN_ENV`].
#[derive(Debug, Clone)]
pub struct TelegramConfig {
    /// A self-hosted Bot API server (or a test's fake) instead of api.telegram.org.
    pub api_url: Option<reqwest::Url>,
    pub mode: TelegramMode,
    /// Long-polling timeout in seconds; below teloxide's 17 s client timeout.
    pub poll_timeout: u32,
}

#[derive(Debug, Clone)]
pub enum TelegramMode {
    Polling,
    /// Telegram posts updates to `url`; tocsin listens on `listen` at `url`'s path.
    Webhook {
        listen: std::net::SocketAddr,
        url: reqwest::Url,
    },
}

pub const TELEGRAM_TOKEN_ENV: &str = "TELOXIDE_TOKEN";
pub const TELEGRAM_WEBHOOK_SECRET_ENV: &str = "TOCSIN_TELEGRAM_WEBHOOK_SECRET";

#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub display: String,
    pub roles: Roles,
    pub locale: Option<Locale>,
    /// One person, one identity: every platform account maps to this one name.
    pub identities: Vec<(Platform, String)>,
}

#[derive(Debug, Clone)]
pub struct Chat {
    pub name: String,
    pub platform: Platform,
    pub id: String,
    /// A forum topic within the chat (Telegram `message_thread_id`).
    pub topic: Option<i64>,
    pub locale: Option<Locale>,
    /// The team this chat belongs to (every configured chat belongs to exactly one).
    pub team: String,
    /// For a group robot (Feishu, DingTalk, WeCom): where its webhook and secret come from.
    pub robot: Option<robots::RobotChat>,
}

#[derive(Debug, Clone)]
pub struct Team {
    pub name: String,
    pub leader: Option<String>,
    pub team_chat: String,
    /// More team chats (a team working on Telegram and Discord at once): each gets the team
    /// chat's cards and notices.
    pub mirrors: Vec<String>,
    pub leaders_chat: Option<String>,
    pub public_outlets: Vec<String>,
    /// The team's local time: duty hand-offs, on-duty hours and the daily report follow it.
    pub timezone: chrono_tz::Tz,
    /// Local time of the leaders' daily report; `None` = no daily report.
    pub report_at: Option<chrono::NaiveTime>,
    /// The chat of the level above, told when a clock escalates (never a public outlet).
    pub escalation_chat: Option<String>,
    /// An internal chat that receives a drill's published statements, as an outlet would
    /// (never a public outlet nor a team chat); drill statements go nowhere without it.
    pub sandbox_outlet: Option<String>,
    /// The duty roster; `None` = nobody is on duty and new cases wait to be claimed.
    pub duty: Option<Duty>,
}

#[derive(Debug, Clone)]
pub struct GradeStyle {
    pub emoji: String,
    pub colour: String,
    pub names: BTreeMap<Locale, String>,
}

/// One problem in bot.toml: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

impl Team {
    /// The team chat and its mirrors: every chat that shows the team's cards and notices.
    pub fn team_chats(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.team_chat.as_str()).chain(self.mirrors.iter().map(String::as_str))
    }

    pub fn is_team_chat(&self, chat: &str) -> bool {
        self.team_chats().any(|c| c == chat)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

/// Every problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl Config {
    /// Reads and checks a file, then lets the environment override the database URL.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        use anyhow::Context as _;
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut config = Config::parse(&text)?;
        let dir = path.parent().unwrap_or(Path::new(""));
        config.drills = drills::load_dir(dir)?;
        // Like the SQLite file, a relative dictionary path means next to bot.toml.
        config.user_dict = config.user_dict.map(|d| if d.is_relative() { dir.join(d) } else { d });
        match std::env::var(DATABASE_ENV) {
            Ok(url) if !url.trim().is_empty() => config.database_url = url,
            _ => config.database_url = sqlite_next_to(&config.database_url, dir),
        }
        Ok(config)
    }

    /// Parses and checks bot.toml text; the environment is not consulted.
    pub fn parse(text: &str) -> Result<Config, ConfigErrors> {
        let de = toml::Deserializer::new(text);
        let raw: raw::RawConfig = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let message = e.inner().message().trim().replace('`', "\"").replace('\n', "; ");
            // Syntax errors have no key path yet: the line and column are all a person has to go on.
            let path = if path == "." { String::new() } else { path };
            let message = match (e.inner().span(), path.is_empty()) {
                (Some(span), true) => format!("{}: {message}", position(text, span.start)),
                (Some(span), false) => format!("{message} ({})", position(text, span.start)),
                (None, _) => message,
            };
            ConfigErrors(vec![ConfigError { path, message }])
        })?;
        validate::validate(raw)
    }

    pub fn person(&self, name: &str) -> Option<&Person> {
        let name = name.strip_prefix('@').unwrap_or(name);
        self.people.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    pub fn person_by_identity(&self, platform: Platform, user_id: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.identities.iter().any(|(pl, id)| *pl == platform && id == user_id))
    }

    pub fn chat(&self, name: &str) -> Option<&Chat> {
        self.chats.get(name)
    }

    /// The chat a message came from: the chat configured for its exact forum topic if
    /// there is one, else the chat as a whole.
    pub fn chat_for(&self, platform: Platform, id: &str, topic: Option<i64>) -> Option<&Chat> {
        let find = |t: Option<i64>| self.chats.values().find(|c| c.platform == platform && c.id == id && c.topic == t);
        topic.and_then(|t| find(Some(t))).or_else(|| find(None))
    }

    /// Grades whose quorum is more leaders than bot.toml names, for a team that publishes:
    /// their drafts could never be approved (pre-approved updates aside). `(grade, needed,
    /// leaders)`; a warning at start, not an error, since a roster may be filled in later.
    pub fn unreachable_quorums(&self) -> Vec<(Grade, usize, usize)> {
        if self.teams.iter().all(|t| t.public_outlets.is_empty()) {
            return vec![];
        }
        let leaders = self.people.iter().filter(|p| p.roles.contains(crate::domain::Role::Leader)).count();
        Grade::ALL
            .into_iter()
            .map(|g| (g, self.approvals.policy.needed(g), leaders))
            .filter(|(_, needed, leaders)| needed > leaders)
            .collect()
    }

    /// Whether a chat is a public outlet: it carries published statements and nothing else.
    pub fn is_public_outlet(&self, chat: &str) -> bool {
        self.teams.iter().any(|t| t.public_outlets.iter().any(|o| o == chat))
    }

    pub fn drill(&self, name: &str) -> Option<&drills::Scenario> {
        self.drills.iter().find(|s| s.name.eq_ignore_ascii_case(name))
    }

    pub fn team(&self, name: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.name == name)
    }

    pub fn grade(&self, grade: Grade) -> &GradeStyle {
        &self.grades[grade.index()]
    }

    /// Platforms with at least one configured chat.
    pub fn platforms_in_use(&self) -> Vec<Platform> {
        let mut v: Vec<Platform> = self.chats.values().map(|c| c.platform).collect();
        v.sort();
        v.dedup();
        v
    }
}

/// A relative SQLite path in bot.toml means a file next to bot.toml, wherever tocsin is
/// started from; other URLs are returned unchanged.
fn sqlite_next_to(url: &str, dir: &Path) -> String {
    let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
        return url.to_string();
    };
    let (path, query) = rest.split_once('?').map_or((rest, None), |(p, q)| (p, Some(q)));
    if path.is_empty() || path == ":memory:" || Path::new(path).is_absolute() || dir.as_os_str().is_empty() {
        return url.to_string();
    }
    let joined = dir.join(path);
    match query {
        Some(q) => format!("sqlite://{}?{q}", joined.display()),
        None => format!("sqlite://{}", joined.display()),
    }
}

/// "line 3, column 9" for a byte offset into the file (both counted from 1, columns in characters).
fn position(text: &str, offset: usize) -> String {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("line {line}, column {column}")
}

#[cfg(test)]
mod tests;
