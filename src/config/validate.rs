//! Turns the raw file into a checked [`Config`], naming every bad key.

use super::raw::{RawChat, RawConfig, RawGrade, RawPerson, RawTeam, RawTelegram};
use super::{
    Chat, Config, ConfigError, ConfigErrors, ConsoleConfig, GradeStyle, Person, Team, TelegramConfig, TelegramMode,
};
use super::{intake, response};
use crate::domain::{Grade, Locale, Role, Roles};
use crate::platform::Platform;
use std::collections::{BTreeMap, HashMap};

#[derive(Default)]
pub(super) struct Problems(Vec<ConfigError>);

impl Problems {
    pub(super) fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigError { path: path.into(), message: message.into() });
    }

    fn locale(&mut self, path: String, value: &str) -> Option<Locale> {
        let parsed = Locale::parse(value);
        if parsed.is_none() {
            self.add(path, format!("unknown locale \"{value}\" (expected \"en\" or \"zh-CN\")"));
        }
        parsed
    }
}

pub(super) fn validate(raw: RawConfig) -> Result<Config, ConfigErrors> {
    let mut p = Problems::default();
    let default_locale = p.locale("default_locale".into(), &raw.default_locale).unwrap_or(Locale::En);
    let default_grade = Grade::parse(&raw.default_grade).unwrap_or_else(|| {
        p.add("default_grade", format!("unknown grade \"{}\" (expected I, II, III or IV)", raw.default_grade));
        Grade::IV
    });
    if url_has_password(&raw.database) {
        p.add("database", format!("contains a password; set {} in the environment instead", super::DATABASE_ENV));
    }
    let people = people(&mut p, &raw.people);
    let chats = chats(&mut p, &raw.chats);
    let (teams, chat_team) = teams(&mut p, &raw.teams, &chats, &people);
    let chats = chats
        .into_iter()
        .map(|mut c| {
            match chat_team.get(&c.name) {
                Some(team) => c.team = team.clone(),
                None => p.add(format!("chats.{}", c.name), "is not used by any team"),
            }
            (c.name.clone(), c)
        })
        .collect::<BTreeMap<_, _>>();
    let grades = grades(&mut p, &raw.grades);
    let console = raw.console.as_ref().and_then(|c| console(&mut p, &c.chat, &chats, &people));
    let telegram = raw.telegram.as_ref().and_then(|t| telegram(&mut p, t));
    let discord = raw.discord.as_ref().and_then(|d| super::discord::discord(&mut p, d));
    let http = raw.http.as_ref().and_then(|h| intake::http(&mut p, h));
    let sources = intake::sources(&mut p, &raw.sources);
    let feeds = intake::feeds(&mut p, &raw.feeds, &sources);
    if http.is_none() && !sources.is_empty() {
        p.add("sources", "webhook sources need an [http] section to listen on");
    }
    let grading = intake::grading(&mut p, &raw.grading.unwrap_or_default());
    let keywords = intake::keywords(&mut p, &raw.keywords);
    let routes = intake::routes(&mut p, &raw.routes, &teams);
    let clocks = response::clocks(&mut p, raw.clocks.as_ref(), raw.watch.as_ref());
    let approvals = super::publishing::approvals(&mut p, raw.approvals.as_ref());
    let status_page = super::publishing::status_page(&mut p, raw.status_page.as_ref());
    let retention = super::retention::retention(&mut p, raw.retention.as_ref());
    let user_dict = raw.text.and_then(|t| t.user_dict).map(std::path::PathBuf::from);
    if telegram.is_none() && raw.telegram.is_none() && chats.values().any(|c| c.platform == Platform::Telegram) {
        p.add("telegram", "Telegram chats are configured but there is no [telegram] section");
    }

    if p.0.is_empty() {
        Ok(Config {
            database_url: raw.database,
            default_locale,
            default_grade,
            console,
            telegram,
            discord,
            http,
            sources,
            feeds,
            grading,
            keywords,
            routes,
            user_dict,
            people,
            chats,
            teams,
            grades: grades.expect("grades are complete when there are no problems"),
            clocks,
            approvals,
            status_page,
            retention,
            drills: vec![],
        })
    } else {
        Err(ConfigErrors(p.0))
    }
}

fn url_has_password(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else { return false };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.split_once(':').is_some_and(|(_, pw)| !pw.is_empty()))
}

fn people(p: &mut Problems, raw: &[RawPerson]) -> Vec<Person> {
    let mut seen_names: HashMap<String, usize> = HashMap::new();
    let mut seen_ids: HashMap<(Platform, String), usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, rp) in raw.iter().enumerate() {
        let at = format!("people[{i}]");
        let name = rp.name.trim();
        if name.is_empty() || name.chars().any(char::is_whitespace) || name.starts_with('@') {
            p.add(format!("{at}.name"), format!("\"{}\" must be one word without spaces or a leading @", rp.name));
        } else if let Some(j) = seen_names.insert(name.to_lowercase(), i) {
            p.add(format!("{at}.name"), format!("\"{name}\" is already used by people[{j}]"));
        }
        let mut roles = Vec::new();
        for r in &rp.roles {
            match Role::parse(r) {
                Some(role) => roles.push(role),
                None => p.add(
                    format!("{at}.roles"),
                    format!("unknown role \"{r}\" (expected member, leader, spokesperson or observer)"),
                ),
            }
        }
        if rp.roles.is_empty() {
            p.add(format!("{at}.roles"), "needs at least one role");
        }
        let locale = rp.locale.as_ref().and_then(|l| p.locale(format!("{at}.locale"), l));
        let mut identities = Vec::new();
        if let Some(id) = rp.telegram {
            identities.push((Platform::Telegram, id.to_string()));
        }
        if let Some(id) = rp.discord {
            identities.push((Platform::Discord, id.to_string()));
        }
        super::robots::identities(p, &at, rp, &mut identities);
        if rp.console {
            identities.push((Platform::Console, name.to_string()));
        }
        for ident in &identities {
            if ident.0 == Platform::Console {
                continue; // checked once below: only one person may type on the console
            }
            if let Some(j) = seen_ids.insert(ident.clone(), i) {
                p.add(format!("{at}.{}", ident.0), format!("{} is already people[{j}]", ident.1));
            }
        }
        out.push(Person {
            name: name.to_string(),
            display: rp.display.clone().unwrap_or_else(|| name.to_string()),
            roles: Roles::of(&roles),
            locale,
            identities,
        });
    }
    let console_people: Vec<usize> = raw.iter().enumerate().filter(|(_, r)| r.console).map(|(i, _)| i).collect();
    if console_people.len() > 1 {
        p.add(format!("people[{}].console", console_people[1]), "only one person can type on the console");
    }
    out
}

fn chats(p: &mut Problems, raw: &BTreeMap<String, RawChat>) -> Vec<Chat> {
    let mut seen: HashMap<(Platform, String, Option<i64>), &str> = HashMap::new();
    let mut out = Vec::new();
    for (name, rc) in raw {
        let at = format!("chats.{name}");
        let Some(platform) = Platform::parse(&rc.platform) else {
            p.add(
                format!("{at}.platform"),
                format!(
                    "unknown platform \"{}\" (expected console, telegram, discord, feishu, dingtalk or wecom)",
                    rc.platform
                ),
            );
            continue;
        };
        let robot = super::robots::chat(p, &at, platform, rc);
        let id = match (&rc.id, platform, &robot) {
            // A robot is known by its webhook's variable: two chats cannot share one robot.
            (None, _, Some(r)) => r.webhook_env.clone(),
            (Some(id), _, _) => id.text(),
            (None, Platform::Console, _) => name.clone(),
            (None, p, _) if p.is_robot() => continue, // reported by robots::chat
            (None, _, _) => {
                p.add(format!("{at}.id"), format!("a {platform} chat needs its chat id"));
                continue;
            }
        };
        if matches!(platform, Platform::Telegram | Platform::Discord)
            && id.parse::<i64>().is_err()
            && id.parse::<u64>().is_err()
        {
            p.add(format!("{at}.id"), format!("\"{id}\" is not a {platform} chat id (a number)"));
        }
        if rc.topic.is_some() && platform != Platform::Telegram {
            p.add(format!("{at}.topic"), "only Telegram chats have forum topics");
        }
        if let Some(other) = seen.insert((platform, id.clone(), rc.topic), name) {
            p.add(format!("{at}.id"), format!("the same {platform} chat as chats.{other}"));
        }
        let locale = rc.locale.as_ref().and_then(|l| p.locale(format!("{at}.locale"), l));
        out.push(Chat { name: name.clone(), platform, id, topic: rc.topic, locale, team: String::new(), robot });
    }
    out
}

fn teams(p: &mut Problems, raw: &[RawTeam], chats: &[Chat], people: &[Person]) -> (Vec<Team>, HashMap<String, String>) {
    let mut chat_team: HashMap<String, String> = HashMap::new();
    let mut out: Vec<Team> = Vec::new();
    if raw.is_empty() {
        p.add("teams", "at least one team is needed");
    }
    for (i, rt) in raw.iter().enumerate() {
        let at = format!("teams[{i}]");
        if out.iter().any(|t| t.name == rt.name) {
            p.add(format!("{at}.name"), format!("\"{}\" is already a team", rt.name));
        }
        for (j, c) in rt.public_outlets.iter().enumerate() {
            if *c == rt.team_chat || rt.leaders_chat.as_ref() == Some(c) || rt.mirrors.contains(c) {
                // Cards, notices and replies go to those chats; the public must never read them.
                let why = format!("\"{c}\" is this team's own chat; an outlet carries only statements");
                p.add(format!("{at}.public_outlets[{j}]"), why);
            }
        }
        if let Some(c) = &rt.sandbox_outlet
            && (*c == rt.team_chat || rt.mirrors.contains(c) || rt.public_outlets.contains(c))
        {
            // A drill's statement must look like what the public would get, and never reach it.
            let why = format!("\"{c}\" is a team chat or a public outlet; the sandbox needs a chat of its own");
            p.add(format!("{at}.sandbox_outlet"), why);
        }
        for (j, c) in rt.mirrors.iter().enumerate() {
            if *c == rt.team_chat || rt.mirrors[..j].contains(c) {
                p.add(format!("{at}.mirrors[{j}]"), format!("\"{c}\" is already a team chat of this team"));
            }
        }
        let mut use_chat = |key: &str, chat: &str| {
            if !chats.iter().any(|c| c.name == chat) {
                p.add(format!("{at}.{key}"), format!("no chat named \"{chat}\" in [chats]"));
            } else if let Some(other) = chat_team.insert(chat.to_string(), rt.name.clone())
                && other != rt.name
            {
                p.add(format!("{at}.{key}"), format!("chat \"{chat}\" already belongs to team \"{other}\""));
            }
        };
        use_chat("team_chat", &rt.team_chat);
        for (j, c) in
            rt.mirrors.iter().enumerate().filter(|(j, c)| **c != rt.team_chat && !rt.mirrors[..*j].contains(c))
        {
            use_chat(&format!("mirrors[{j}]"), c);
        }
        if let Some(c) = &rt.leaders_chat {
            use_chat("leaders_chat", c);
        }
        for (j, c) in rt.public_outlets.iter().enumerate() {
            use_chat(&format!("public_outlets[{j}]"), c);
        }
        if let Some(c) = &rt.sandbox_outlet {
            use_chat("sandbox_outlet", c);
        }
        let leader = rt.leader.as_ref().and_then(|name| {
            match people.iter().find(|person| person.name.eq_ignore_ascii_case(name)) {
                None => p.add(format!("{at}.leader"), format!("no person named \"{name}\"")),
                Some(person) if !person.roles.contains(Role::Leader) => {
                    p.add(format!("{at}.leader"), format!("\"{name}\" does not have the leader role"))
                }
                Some(person) => return Some(person.name.clone()),
            }
            None
        });
        let timezone = match &rt.timezone {
            None => Some(chrono_tz::Tz::UTC),
            Some(name) => response::timezone(p, format!("{at}.timezone"), name),
        };
        let report_at = rt.report_at.as_ref().and_then(|s| response::time_of_day(p, format!("{at}.report_at"), s));
        let duty = rt.duty.as_ref().and_then(|d| response::duty(p, &at, d, timezone, people));
        out.push(Team {
            name: rt.name.clone(),
            leader,
            team_chat: rt.team_chat.clone(),
            mirrors: rt.mirrors.clone(),
            leaders_chat: rt.leaders_chat.clone(),
            public_outlets: rt.public_outlets.clone(),
            timezone: timezone.unwrap_or(chrono_tz::Tz::UTC),
            report_at,
            escalation_chat: rt.escalation_chat.clone(),
            sandbox_outlet: rt.sandbox_outlet.clone(),
            duty,
        });
    }
    // Escalation chats last, once every team has claimed its own chats.
    for (i, rt) in raw.iter().enumerate() {
        let Some(chat) = &rt.escalation_chat else { continue };
        let at = format!("teams[{i}].escalation_chat");
        if !chats.iter().any(|c| c.name == *chat) {
            p.add(at, format!("no chat named \"{chat}\" in [chats]"));
        } else if let Some(t) = raw.iter().find(|t| t.public_outlets.contains(chat)) {
            p.add(at, format!("\"{chat}\" is a public outlet of team \"{}\"; escalations stay internal", t.name));
        } else if chat_team.get(chat) == Some(&rt.name) {
            p.add(at, format!("\"{chat}\" is this team's own chat; name a chat of the level above"));
        } else if !chat_team.contains_key(chat) {
            // A chat used only to tell the level above belongs to the first team escalating to it.
            chat_team.insert(chat.clone(), rt.name.clone());
        }
    }
    (out, chat_team)
}

fn grades(p: &mut Problems, raw: &BTreeMap<String, RawGrade>) -> Option<[GradeStyle; 4]> {
    for key in raw.keys() {
        if Grade::parse(key).is_none() {
            p.add(format!("grades.{key}"), "unknown grade (expected I, II, III or IV)");
        }
    }
    let styles: Vec<Option<GradeStyle>> = Grade::ALL
        .iter()
        .map(|g| {
            let at = format!("grades.{g}");
            let Some(rg) = raw.get(g.as_str()) else {
                p.add(at, "missing: every grade I–IV needs an emoji, a colour and a name per locale");
                return None;
            };
            if !is_hex_colour(&rg.colour) {
                p.add(format!("{at}.colour"), format!("\"{}\" is not a colour like \"#d32f2f\"", rg.colour));
            }
            let mut names = BTreeMap::new();
            for (tag, name) in &rg.name {
                if let Some(l) = p.locale(format!("{at}.name.{tag}"), tag) {
                    names.insert(l, name.clone());
                }
            }
            for l in Locale::ALL {
                if !names.contains_key(&l) {
                    p.add(format!("{at}.name"), format!("missing the {l} name"));
                }
            }
            Some(GradeStyle { emoji: rg.emoji.clone(), colour: rg.colour.clone(), names })
        })
        .collect();
    let complete: Option<Vec<GradeStyle>> = styles.into_iter().collect();
    complete.and_then(|v| v.try_into().ok())
}

fn is_hex_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn console(p: &mut Problems, chat: &str, chats: &BTreeMap<String, Chat>, people: &[Person]) -> Option<ConsoleConfig> {
    match chats.get(chat) {
        None => p.add("console.chat", format!("no chat named \"{chat}\" in [chats]")),
        Some(c) if c.platform != Platform::Console => {
            p.add("console.chat", format!("chat \"{chat}\" is a {} chat, not a console one", c.platform))
        }
        Some(_) => {}
    }
    let person = people.iter().find(|x| x.identities.iter().any(|(pl, _)| *pl == Platform::Console));
    match person {
        None => {
            p.add("console", "no person has console = true, so nobody could type on it");
            None
        }
        Some(person) => Some(ConsoleConfig { chat: chat.to_string(), person: person.name.clone() }),
    }
}

fn telegram(p: &mut Problems, raw: &RawTelegram) -> Option<TelegramConfig> {
    let api_url = raw.api_url.as_ref().and_then(|u| match reqwest::Url::parse(u) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
        _ => {
            p.add("telegram.api_url", format!("\"{u}\" is not an http(s) URL"));
            None
        }
    });
    if !(1..=15).contains(&raw.poll_timeout) {
        p.add("telegram.poll_timeout", "must be 1 to 15 seconds (teloxide's client gives up after 17)");
    }
    let mode = match (raw.mode.as_str(), &raw.webhook) {
        ("polling", _) => TelegramMode::Polling,
        ("webhook", None) => {
            p.add("telegram.webhook", "mode = \"webhook\" needs a [telegram.webhook] section with listen and url");
            return None;
        }
        ("webhook", Some(w)) => {
            let listen = w.listen.parse().map_err(|_| {
                p.add("telegram.webhook.listen", format!("\"{}\" is not an address like 127.0.0.1:8443", w.listen))
            });
            let url = reqwest::Url::parse(&w.url).ok().filter(|u| u.scheme() == "https" || u.scheme() == "http");
            if url.is_none() {
                p.add("telegram.webhook.url", format!("\"{}\" is not an https URL", w.url));
            }
            match (listen, url) {
                (Ok(listen), Some(url)) => TelegramMode::Webhook { listen, url },
                _ => return None,
            }
        }
        (other, _) => {
            p.add("telegram.mode", format!("unknown mode \"{other}\" (expected \"polling\" or \"webhook\")"));
            return None;
        }
    };
    Some(TelegramConfig { api_url, mode, poll_timeout: raw.poll_timeout })
}
