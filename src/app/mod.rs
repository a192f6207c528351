//! Use cases: what tocsin does when someone in a chat asks for something.
//!
//! An adapter turns a platform event into an [`Invocation`]; [`App::handle`] resolves who
//! and where from bot.toml, checks the permission matrix, decides, commits the decision
//! (case change + event + outbox) in one transaction, and returns what to say back. Read-only
//! answers come back directly; announcements of changes go through the outbox.

pub mod card;
mod cases;
pub mod clocks;
pub mod contain;
pub mod drafts;
pub mod drills;
mod duty;
pub mod format;
pub mod gauges;
mod info;
pub mod intake;
mod merge;
mod notice;
pub mod report;
pub mod retention;
pub mod scheduler;
pub mod similar;
pub mod statements;
mod stories;

pub use notice::Notice;

use crate::clock::Clock;
use crate::command::{self, Command, ParseError, Problem};
use crate::config::{Chat, Config, Person, Team};
use crate::domain::{CaseId, EventAction, Locale, NewEvent, Refusal, TransitionError};
use crate::i18n::{I18n, Text};
use crate::platform::Platform;
use crate::store::{NewOutbox, Store, StoreError};
use crate::t;
use crate::telemetry::Telemetry;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::Notify;
use tracing::Instrument as _;

/// One message from one person in one chat, as the platform identified them.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub platform: Platform,
    pub user_id: String,
    pub chat_id: String,
    pub text: String,
    /// The platform's forum topic (Telegram `message_thread_id`), if the message was in one.
    pub topic: Option<i64>,
    /// This bot's username where commands can be addressed to a bot (`/ack@name 3`).
    pub bot_username: Option<String>,
    /// A key naming this platform event (`telegram:update:42`): an event whose key was
    /// already recorded is not acted on again, even after a restart.
    pub dedup_key: Option<String>,
}

/// What the adapter should do after handling.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// A direct reply in the invoking chat, already in its language.
    pub reply: Option<String>,
    /// A decision was committed: its announcements wait in the outbox.
    pub committed: bool,
    /// The event was already handled before; nothing was done this time.
    pub duplicate: bool,
    /// The reply refuses or corrects (a missing role, a usage error, an unknown person, an
    /// internal failure): platforms that can show a reply to its asker alone do so.
    pub refused: bool,
}

/// The two tiers of errors: a user's mistake is explained to them in their language; an
/// internal failure is logged with context and answered with one generic line.
#[derive(Debug)]
enum Failure {
    User(Text),
    Internal(anyhow::Error),
    /// The platform event was acted on before (its key is recorded).
    Duplicate,
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        match e {
            StoreError::Duplicate => Failure::Duplicate,
            e => Failure::Internal(anyhow::Error::new(e).context("talking to the store")),
        }
    }
}

impl From<TransitionError> for Failure {
    fn from(e: TransitionError) -> Failure {
        Failure::User(cases::transition_text(&e))
    }
}

/// What a successful command produced.
enum Done {
    Reply(String),
    Committed,
}

pub struct App {
    store: Arc<dyn Store>,
    config: Arc<Config>,
    i18n: Arc<I18n>,
    clock: Arc<dyn Clock>,
    outbox_signal: Arc<Notify>,
    /// Notified after commits that may have scheduled jobs, so the scheduler wakes.
    jobs_signal: Arc<Notify>,
    telemetry: Arc<Telemetry>,
    /// The intake pipeline, which drills inject through (set by `run` when it starts one).
    pipeline: std::sync::OnceLock<Arc<intake::Pipeline>>,
}

/// Everything a command handler knows about the invocation it serves.
struct Ctx<'a> {
    app: &'a App,
    person: &'a Person,
    chat: &'a Chat,
    team: &'a Team,
    platform: Platform,
    locale: Locale,
    now: DateTime<Utc>,
    /// Recorded with the decision, so a redelivered event is not acted on twice.
    handled: Option<String>,
}

impl Ctx<'_> {
    fn render(&self, text: &Text) -> String {
        self.app.i18n.render(self.locale, text)
    }

    fn event(&self, action: EventAction, details: serde_json::Value) -> NewEvent {
        NewEvent {
            actor: self.person.name.clone(),
            action,
            details,
            platform: self.platform.as_str().to_string(),
            at: self.now,
        }
    }

    /// A notice for the team chat (and its mirrors), plus a copy for the invoking chat when
    /// that is elsewhere (so the person who acted always sees it happen).
    fn notices(&self, notice: &Notice) -> Vec<NewOutbox> {
        let payload = notice.to_payload();
        let mut chats: Vec<&str> = self.team.team_chats().collect();
        if !chats.contains(&self.chat.name.as_str()) {
            chats.push(self.chat.name.as_str());
        }
        chats
            .into_iter()
            .filter_map(|name| self.app.config.chat(name))
            .map(|c| NewOutbox { chat: c.name.clone(), platform: c.platform, payload: payload.clone() })
            .collect()
    }
}

impl App {
    pub fn new(store: Arc<dyn Store>, config: Arc<Config>, i18n: Arc<I18n>, clock: Arc<dyn Clock>) -> App {
        let telemetry = Arc::new(Telemetry::new(&config));
        App {
            store,
            config,
            i18n,
            clock,
            outbox_signal: Arc::new(Notify::new()),
            jobs_signal: Arc::new(Notify::new()),
            telemetry,
            pipeline: std::sync::OnceLock::new(),
        }
    }

    /// The pipeline drills inject through; the first one set stays.
    pub fn set_pipeline(&self, pipeline: Arc<intake::Pipeline>) {
        let _ = self.pipeline.set(pipeline);
    }

    /// Signals a leader moved to another case (`/merge`, `/split`): this instance's story
    /// index follows them at once.
    fn signals_moved(&self, signals: &[i64], to: CaseId) {
        if let Some(pipeline) = self.pipeline.get() {
            pipeline.signals_moved(signals, to);
        }
    }

    /// What this instance counts about itself, shared with everything `run` starts.
    pub fn telemetry(&self) -> Arc<Telemetry> {
        self.telemetry.clone()
    }

    /// Notified after commits that may have scheduled jobs.
    pub fn jobs_signal(&self) -> Arc<Notify> {
        self.jobs_signal.clone()
    }

    /// Notified after every commit, so the delivery worker wakes without polling.
    pub fn outbox_signal(&self) -> Arc<Notify> {
        self.outbox_signal.clone()
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The hint for plain text typed where only commands are understood.
    pub async fn hint(&self, chat: &Chat) -> String {
        let locale = self.locale(chat).await;
        self.i18n.render(locale, &t!("hint-commands"))
    }

    /// A line that is not UTF-8 was typed on the console: it is refused, the console goes on.
    pub async fn not_utf8(&self, chat: &Chat) -> String {
        let locale = self.locale(chat).await;
        self.i18n.render(locale, &t!("console-not-utf8"))
    }

    async fn locale(&self, chat: &Chat) -> Locale {
        chat_locale(self.store.as_ref(), &self.config, chat).await
    }

    pub async fn handle(&self, inv: &Invocation) -> Response {
        match contain::contained("handling a command", self.respond(inv)).await {
            Ok(response) => response,
            Err(_) => {
                // Logged by `contained`; the chat learns its command did not go through. The
                // adapter records the event key with this reply, so it is not handled again.
                let chat = self.config.chat_for(inv.platform, &inv.chat_id, inv.topic);
                let locale = match chat {
                    Some(chat) => self.locale(chat).await,
                    None => self.config.default_locale,
                };
                tracing::error!(platform = inv.platform.as_str(), chat = %inv.chat_id, user = %inv.user_id, "a command failed with a panic");
                Response {
                    reply: Some(self.i18n.render(locale, &t!("error-internal"))),
                    refused: true,
                    ..Response::default()
                }
            }
        }
    }

    async fn respond(&self, inv: &Invocation) -> Response {
        let parsed = command::parse(&inv.text, inv.bot_username.as_deref());
        if matches!(parsed, Err(ParseError::NotACommand | ParseError::NotForThisBot)) {
            return Response::default();
        }
        if let Some(key) = &inv.dedup_key {
            match self.store.was_handled(key).await {
                Ok(true) => return Response { duplicate: true, ..Response::default() },
                Ok(false) => {}
                // The commit below still refuses a duplicate; this was only a shortcut.
                Err(e) => tracing::warn!(error = %e, "could not check whether an event was handled"),
            }
        }
        let reply = |locale, text: Text| Response {
            reply: Some(self.i18n.render(locale, &text)),
            refused: true,
            ..Response::default()
        };
        let Some(chat) = self.config.chat_for(inv.platform, &inv.chat_id, inv.topic) else {
            return reply(
                self.config.default_locale,
                t!("refuse-unknown-chat", "platform" => inv.platform.as_str(), "id" => inv.chat_id.as_str()),
            );
        };
        let locale = self.locale(chat).await;
        // The public reads an outlet: no command answers there, so nothing internal (a card,
        // a status, a draft) can be posted to it by a command typed in the wrong chat.
        if self.config.is_public_outlet(&chat.name) {
            return reply(locale, t!("refuse-public-outlet"));
        }
        let person = self.config.person_by_identity(inv.platform, &inv.user_id);
        let Some(person) = person else {
            return reply(
                locale,
                t!("refuse-unknown-person", "platform" => inv.platform.as_str(), "id" => inv.user_id.as_str()),
            );
        };
        let command = match parsed {
            Ok(c) => c,
            Err(ParseError::Unknown { name }) => return reply(locale, t!("command-unknown", "name" => name)),
            Err(ParseError::BadArguments { spec, problem }) => {
                if let Err(refusal) = spec.action.check(person.roles) {
                    return reply(locale, self.refusal_text(locale, &refusal));
                }
                return reply(locale, usage_text(spec, problem));
            }
            // Chat that is not addressed to us was already let pass above.
            Err(ParseError::NotACommand | ParseError::NotForThisBot) => return Response::default(),
        };
        let action = command.action();
        if let Err(refusal) = action.check(person.roles) {
            return reply(locale, self.refusal_text(locale, &refusal));
        }
        let team = self.config.team(&chat.team).expect("every checked chat belongs to a team");
        let ctx = Ctx {
            app: self,
            person,
            chat,
            team,
            platform: inv.platform,
            locale,
            now: self.clock.now(),
            handled: inv.dedup_key.clone(),
        };
        // Everything logged while handling it names the command and, where it has one, the case.
        let span = tracing::info_span!("command", ?action, case = command.case().map(CaseId::get));
        let result = self.execute(&ctx, command).instrument(span.clone()).await;
        let _in_span = span.enter();
        match result {
            Ok(Done::Reply(text)) => {
                tracing::debug!(person = %person.name, chat = %chat.name, "command answered");
                Response { reply: Some(text), ..Response::default() }
            }
            Ok(Done::Committed) => {
                tracing::debug!(person = %person.name, chat = %chat.name, "command committed");
                self.outbox_signal.notify_one();
                self.jobs_signal.notify_one();
                Response { committed: true, ..Response::default() }
            }
            Err(Failure::Duplicate) => Response { duplicate: true, ..Response::default() },
            Err(Failure::User(text)) => reply(locale, text),
            Err(Failure::Internal(e)) if crate::store::is_unavailable(&e) => {
                tracing::error!(error = %format!("{e:#}"), person = %person.name, chat = %chat.name, "a command failed: the database did not answer or write");
                reply(locale, t!("error-unavailable"))
            }
            Err(Failure::Internal(e)) => {
                tracing::error!(error = ?e, person = %person.name, chat = %chat.name, "a command failed");
                reply(locale, t!("error-internal"))
            }
        }
    }

    /// Queues a reply for platforms whose every post goes through the outbox (and its
    /// rate limits), recording the event key with it so a redelivery is not answered twice.
    pub async fn enqueue_reply(&self, chat: &Chat, text: String, dedup_key: Option<String>) -> anyhow::Result<()> {
        let payload = Notice::Reply { text }.to_payload();
        let commit = crate::store::Commit {
            outbox: vec![NewOutbox { chat: chat.name.clone(), platform: chat.platform, payload }],
            handled: dedup_key,
            ..crate::store::Commit::new(crate::store::CaseWrite::None, self.clock.now())
        };
        match self.store.commit(commit).await {
            Ok(_) => {
                self.outbox_signal.notify_one();
                Ok(())
            }
            Err(StoreError::Duplicate) => Ok(()),
            Err(e) => Err(anyhow::Error::new(e).context("queueing a reply")),
        }
    }

    /// Records an event key without anything else (an event that needed no answer).
    pub async fn mark_handled(&self, key: String) -> anyhow::Result<()> {
        let commit = crate::store::Commit {
            handled: Some(key),
            ..crate::store::Commit::new(crate::store::CaseWrite::None, self.clock.now())
        };
        match self.store.commit(commit).await {
            Ok(_) | Err(StoreError::Duplicate) => Ok(()),
            Err(e) => Err(anyhow::Error::new(e).context("recording a handled event")),
        }
    }

    fn refusal_text(&self, locale: Locale, refusal: &Refusal) -> Text {
        // `/duty swap` shares its spec with `/duty`, which anyone may use.
        let command = match refusal.action {
            crate::domain::Action::DutySwap => "/duty swap".to_string(),
            action => {
                command::SPECS.iter().find(|s| s.action == action).map_or_else(String::new, |s| format!("/{}", s.name))
            }
        };
        t!("refuse-role",
            "command" => command,
            "roles" => format::roles(&self.i18n, locale, refusal.needed.iter().copied()))
    }

    async fn execute(&self, ctx: &Ctx<'_>, command: Command) -> Result<Done, Failure> {
        // A merged case lives on in the case it went into: every command but `/status` says so.
        if let Some(id) = command.case()
            && !matches!(command, Command::Status { .. })
            && let Some(case) = self.store.case(id).await?
            && let Some(refusal) = merge::merged_away(&case)
        {
            return Err(refusal);
        }
        match command {
            Command::Help { topic } => Ok(info::help(ctx, topic.as_deref())),
            Command::WhoAmI => Ok(info::whoami(ctx)),
            Command::Status { case: None } => info::overview(ctx).await,
            Command::Status { case: Some(id) } => info::status(ctx, id).await,
            Command::List { scope } => info::list(ctx, scope).await,
            Command::Lang { locale } => info::lang(ctx, locale).await,
            Command::New { grade, title, summary } => cases::open(ctx, grade, title, summary).await,
            Command::Ack { case } => cases::ack(ctx, case).await,
            Command::Claim { case } => cases::claim(ctx, case).await,
            Command::Assign { case, person } => cases::assign(ctx, case, &person).await,
            Command::Grade { case, grade } => cases::regrade(ctx, case, grade).await,
            Command::Resolve { case, summary } => cases::resolve(ctx, case, summary).await,
            Command::Reopen { case } => cases::reopen(ctx, case).await,
            Command::Dismiss { case, reason } => cases::dismiss(ctx, case, reason).await,
            Command::Close { case } => cases::close(ctx, case).await,
            Command::Due { case, clock, extra, reason } => cases::due(ctx, case, clock, extra, reason).await,
            Command::Duty => duty::show(ctx).await,
            Command::DutySwap { person, date } => duty::swap(ctx, &person, date).await,
            Command::WatchOn { reason, span } => duty::watch(ctx, Some((reason, span))).await,
            Command::WatchOff => duty::watch(ctx, None).await,
            Command::Report { period } => report_reply(ctx, period).await,
            Command::Draft { case, text } => drafts::draft(ctx, case, text).await,
            Command::Redraft { draft, text } => drafts::redraft(ctx, draft, text).await,
            Command::Approve { draft } => drafts::vote(ctx, draft, None).await,
            Command::Reject { draft, reason } => drafts::vote(ctx, draft, Some(reason)).await,
            Command::Concern { draft, text } => drafts::concern(ctx, draft, text).await,
            Command::Withdraw { draft } => drafts::withdraw(ctx, draft).await,
            Command::Publish { draft } => drafts::publish(ctx, draft).await,
            Command::Update { case, status, text } => drafts::update(ctx, case, status, text).await,
            Command::Drill(drill) => drills::handle(ctx, drill).await,
            Command::Merge { from, into } => merge::merge(ctx, from, into).await,
            Command::Split { case, signal } => merge::split(ctx, case, signal).await,
        }
    }
}

/// `/report`: the team's report for today or the week, answered in the chat.
async fn report_reply(ctx: &Ctx<'_>, period: report::Period) -> Result<Done, Failure> {
    let from = period.start(ctx.team.timezone, ctx.now);
    let config = &ctx.app.config;
    // Up to and including this instant: what was done just now is in the report.
    let to = ctx.now + chrono::Duration::milliseconds(1);
    let r = report::gather(ctx.app.store.as_ref(), config, ctx.team, from, to).await?;
    Ok(Done::Reply(report::text(&r, config, &ctx.app.i18n, ctx.locale)))
}

/// The language of a chat: set by `/lang`, else bot.toml's chat locale, else the default.
/// Everything posted in a chat, replies and notices alike, speaks it.
pub async fn chat_locale(store: &dyn Store, config: &Config, chat: &Chat) -> Locale {
    match store.chat_locale(&chat.name).await {
        Ok(Some(l)) => l,
        Ok(None) => chat.locale.unwrap_or(config.default_locale),
        Err(e) => {
            tracing::warn!(error = %e, chat = %chat.name, "could not read the chat's language");
            chat.locale.unwrap_or(config.default_locale)
        }
    }
}

fn usage_text(spec: &command::Spec, problem: Problem) -> Text {
    let usage = Text::new(spec.usage_key());
    match problem {
        Problem::Usage => t!("usage", "usage" => usage),
        Problem::TooLong { max } => t!("too-long", "max" => max, "usage" => usage),
        Problem::SpanTooLong => t!("span-too-long", "days" => crate::domain::Span::MAX_DAYS, "usage" => usage),
    }
}
