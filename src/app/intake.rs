//! The intake pipeline: a signal is segmented, matched against the keyword rules, graded,
//! and either joins the open case of its story (same fingerprint, or near-identical text
//! within the window: a near SimHash and enough words in common) or opens a new case in the
//! team its route names. Opening and joining go through the same commit as chat commands:
//! case change, event, notices and the signal itself in one transaction.

mod alerts;

pub use alerts::{AlertOutcome, AlertUnit, IncomingAlert};

use super::Notice;
use super::similar::Similar;
use super::stories::{Bar, Probe, Quote, StoryIndex};
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::grading::{self, CategoryHit, Explanation, Weights};
use crate::domain::untrusted;
use crate::domain::{Case, CaseId, EventAction, Grade, NewCase, NewEvent};
use crate::intake::{Intake, RawSignal, SignalSink};
use crate::store::{CaseWrite, Commit, JobWrite, NewOutbox, NewSignal, Store, StoreError};
use crate::text::{
    Analyzer, HanWord, Rules, Sketch, Specifics, TokenSet, identifiers, quoted_parts, simhash, token_set,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::Notify;

/// The actor recorded for what tocsin decides by itself.
pub const SYSTEM: &str = "tocsin";
/// Many reports of one story can arrive at once; each lost race costs one short re-read.
const ATTEMPTS: usize = 32;
const MAX_SUMMARY: usize = 2000;
/// A repost or quote joins an earlier signal when it holds at least this share of the earlier
/// signal's content words (measured on `tests/fixtures/stories.jsonl`: reposts and quotes
/// 0.9–1.0, the hard negatives near a part's SimHash at most 0.6; BENCHMARKS.md, "Stories").
const MIN_CONTAINMENT: f64 = 0.85;
/// …and when the earlier signal has at least this many distinct content words: one short
/// sentence quoted in an article does not join the article to it.
const MIN_QUOTED_WORDS: usize = 8;
/// How much further a quoted part's SimHash may be from an earlier signal's than a whole
/// text's: a candidate only, the containment check decides (see `super::stories::Bar`).
const QUOTE_EXTRA_BITS: u32 = 8;
/// Open cases asked whether they are the one a new case is "possibly the same as".
const SIMILAR_CANDIDATES: usize = 3;

pub struct Pipeline {
    store: Arc<dyn Store>,
    config: Arc<Config>,
    analyzer: Arc<Analyzer>,
    rules: Rules,
    clock: Arc<dyn Clock>,
    outbox_signal: Arc<Notify>,
    /// Wakes the scheduler: a new case, a regrade or a resolution changes its clock jobs.
    jobs_signal: Arc<Notify>,
    stories: StoryIndex,
    /// Reports joining one case here wait their turn instead of racing each other to a
    /// version conflict (other instances' joins are still caught by the version check).
    joining: std::sync::Mutex<std::collections::HashMap<CaseId, Arc<tokio::sync::Mutex<()>>>>,
}

/// What joining a story's case came to.
enum Joined {
    /// Joined; whether the scheduler must be woken.
    Done(bool),
    /// The case can no longer be joined (closed or dismissed).
    Gone,
    /// A leader merged the case into this one (`/merge`).
    Merged(CaseId),
    /// A drill case and a real signal, a real case and a drill signal, or another drill's case.
    NotOurs,
}

/// A signal after analysis, ready to be placed.
struct Analysed {
    signal: RawSignal,
    hits: Vec<CategoryHit>,
    attention: f64,
    weight: f64,
    simhash: u64,
    sketch: Sketch,
    /// Every distinct content word: what an earlier signal's words must be found in.
    words: TokenSet,
    /// Its quoted or reposted parts, looked up on their own.
    quotes: Vec<Quote>,
    /// Its building numbers, lines, days and hours: another incident's disagree.
    ids: Vec<String>,
    /// Title and body, as analysed.
    text: String,
    /// Its Chinese words' parts of speech (byte ranges in `text`), for its places.
    han: Vec<HanWord>,
}

impl Pipeline {
    pub fn new(
        store: Arc<dyn Store>,
        config: Arc<Config>,
        analyzer: Arc<Analyzer>,
        clock: Arc<dyn Clock>,
        outbox_signal: Arc<Notify>,
        jobs_signal: Arc<Notify>,
    ) -> Pipeline {
        let rules = Rules::new(&analyzer, &config.keywords);
        Pipeline {
            store,
            config,
            analyzer,
            rules,
            clock,
            outbox_signal,
            jobs_signal,
            stories: StoryIndex::default(),
            joining: Default::default(),
        }
    }

    /// A configured source's or feed's influence weight.
    pub fn weight_of(&self, source: &str) -> Option<f64> {
        let c = &self.config;
        c.sources
            .iter()
            .find(|s| s.name == source)
            .map(|s| s.weight)
            .or_else(|| c.feeds.iter().find(|f| f.name == source).map(|f| f.weight))
    }

    /// Signals a leader moved to another case: the story index follows them.
    pub fn signals_moved(&self, signals: &[i64], to: CaseId) {
        self.stories.reassign(signals, to);
    }

    /// Takes a signal in. Its text is cleaned first (see [`RawSignal::cleaned`]), so the
    /// ledger holds only safe titles; its influence is the configured weight of its
    /// authenticated source (an identity not in bot.toml — none reaches here from a webhook or
    /// feed — counts fully).
    pub async fn take(&self, signal: RawSignal) -> anyhow::Result<Intake> {
        let signal = signal.cleaned();
        let weight = self.weight_of(&signal.source).unwrap_or(1.0);
        if let Some(key) = &signal.dedup_key
            && self.store.was_handled(key).await?
        {
            return Ok(Intake::Duplicate);
        }
        let analysed = self.analyse(signal, weight);
        // The story is looked up once; only the short read-decide-commit is retried when
        // another report of the same story commits first.
        let mut stories = self.story_of(&analysed, self.clock.now()).await?.into_iter();
        let mut story = stories.next();
        for attempt in 0..ATTEMPTS {
            let now = self.clock.now();
            let result = match story {
                Some(case) => match self.join(case, &analysed, now).await {
                    Ok(Joined::Done(wake)) => Ok((Intake::Joined(case), wake)),
                    // Merged by a leader since: the story goes on in the case it went into.
                    Ok(Joined::Merged(into)) => {
                        story = Some(into);
                        continue;
                    }
                    // Closed or dismissed since: the next nearest story, else a new case.
                    Ok(Joined::Gone) => {
                        self.stories.forget(case);
                        story = stories.next();
                        continue;
                    }
                    // A drill's case for a real signal or the other way round: never joined.
                    Ok(Joined::NotOurs) => {
                        story = stories.next();
                        continue;
                    }
                    Err(e) => Err(e),
                },
                None => self.open(&analysed, now).await.map(|(case, wake)| (Intake::Opened(case), wake)),
            };
            match result {
                Ok((intake, wake)) => {
                    self.outbox_signal.notify_one();
                    if wake {
                        self.jobs_signal.notify_one();
                    }
                    return Ok(intake);
                }
                Err(StoreError::Duplicate) => return Ok(Intake::Duplicate),
                Err(StoreError::Conflict) => {
                    // Lost the race to another report of the same story: step back a little longer
                    // each time, so a burst of reports spreads out instead of colliding again.
                    tokio::time::sleep(std::time::Duration::from_millis(attempt as u64)).await;
                    continue;
                }
                Err(e) => return Err(anyhow::Error::new(e).context("taking a signal in")),
            }
        }
        anyhow::bail!("the story's case kept changing while a signal joined it")
    }

    fn analyse(&self, signal: RawSignal, weight: f64) -> Analysed {
        let text = format!("{}\n{}", signal.title, signal.body);
        // One segmentation for the tokens, the quoted parts' tokens and the places.
        let mut tagged = self.analyzer.tagged(&text);
        let han = std::mem::take(&mut tagged.han);
        let tokens = &tagged.tokens;
        let quotes = quoted_parts(&text)
            .into_iter()
            .map(|part| {
                let tokens = tagged.within(&text, part).unwrap_or_else(|| self.analyzer.tokens(part));
                Quote { hash: simhash(&tokens), words: token_set(&tokens) }
            })
            .collect();
        let words = token_set(tokens);
        let hits = self
            .rules
            .classify(tokens)
            .into_iter()
            .map(|h| CategoryHit { name: h.category, weight: h.weight, count: h.count, terms: h.terms })
            .collect();
        let m = signal.metrics;
        Analysed {
            hits,
            attention: grading::attention(m.views, m.comments, m.shares),
            weight,
            simhash: simhash(tokens),
            sketch: words.sketch(),
            words,
            quotes,
            ids: identifiers(&text),
            signal,
            text,
            han,
        }
    }

    /// The cases this signal's story may already have, most likely first: the case of the
    /// source's fingerprint, else those with near-identical text among the window's signals
    /// (SimHash and token sketch, both from memory: no signal rows are read).
    /// Whether a case is still open is checked when joining it.
    async fn story_of(&self, a: &Analysed, now: DateTime<Utc>) -> Result<Vec<CaseId>, StoreError> {
        if let Some(fp) = &a.signal.fingerprint
            && let Some(case) = self.store.case_by_fingerprint(fp).await?
        {
            return Ok(vec![case]);
        }
        self.stories.refresh(self.store.as_ref(), now, self.window()).await?;
        let g = &self.config.grading;
        let probe = Probe { hash: a.simhash, sketch: &a.sketch, words: &a.words, quotes: &a.quotes, ids: &a.ids };
        let bar = Bar {
            max_distance: g.simhash_distance,
            max_quote_distance: g.simhash_distance + QUOTE_EXTRA_BITS,
            min_overlap: g.token_overlap,
            min_containment: MIN_CONTAINMENT,
            min_quoted: MIN_QUOTED_WORDS,
        };
        Ok(self.stories.lookup(&probe, bar, now - self.window()))
    }

    /// What a new case names: its places, keyword categories and terms.
    fn specifics(&self, a: &Analysed) -> Specifics {
        let categories = a.hits.iter().map(|h| h.name.clone()).collect();
        let terms = a.hits.iter().flat_map(|h| h.terms.iter().cloned()).collect();
        self.analyzer.specifics(&a.text, categories, terms, Some(a.ids.clone()), Some(&a.han))
    }

    /// The open case of `team`, opened within the window, that a new case with `specifics` is
    /// "possibly the same story" as: it shares a category and a named place (see
    /// [`Specifics::shared_with`]). Only a suggestion: nothing is merged. The index names the
    /// candidates; only those few cases are read, for their team and state.
    async fn similar(
        &self,
        specifics: &Specifics,
        team: &str,
        drill: bool,
        now: DateTime<Utc>,
    ) -> Result<Option<Similar>, StoreError> {
        if specifics.is_empty() || specifics.categories.is_empty() {
            return Ok(None);
        }
        for (id, shared) in self.stories.alike(specifics, now - self.window(), SIMILAR_CANDIDATES) {
            let Some(case) = self.store.case(id).await? else { continue };
            if case.team == team && case.state.is_active() && case.drill == drill {
                return Ok(Some(Similar { case: id, shared: shared.items }));
            }
        }
        Ok(None)
    }

    fn window(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.config.grading.window).unwrap_or(chrono::Duration::hours(1))
    }

    fn weights(&self) -> Weights {
        let g = &self.config.grading;
        Weights {
            thresholds: g.thresholds,
            attention_weight: g.attention_weight,
            diffusion_weight: g.diffusion_weight,
            max_attention: g.max_attention,
        }
    }

    fn explain(&self, a: &Analysed, sources: usize) -> Explanation {
        let window = self.config.grading.window.as_secs();
        grading::assess(a.hits.clone(), a.attention, a.weight, sources, window, &self.weights())
    }

    fn stored(&self, a: &Analysed, e: &Explanation, specifics: Option<Specifics>, now: DateTime<Utc>) -> NewSignal {
        NewSignal {
            source: a.signal.source.clone(),
            title: a.signal.title.clone(),
            url: a.signal.url.clone(),
            fingerprint: a.signal.fingerprint.clone(),
            simhash: a.simhash,
            sketch: Some(a.sketch.clone()),
            score: e.score,
            explanation: serde_json::to_string(e).expect("an explanation always serialises"),
            received_at: now,
            specifics,
        }
    }

    fn event(&self, action: EventAction, details: serde_json::Value, now: DateTime<Utc>) -> NewEvent {
        NewEvent { actor: SYSTEM.into(), action, details, platform: "intake".into(), at: now }
    }

    /// The notice for the team chat of `team` (and its mirrors).
    fn notice(&self, team: &str, notice: &Notice) -> Vec<NewOutbox> {
        let Some(team) = self.config.team(team) else { return vec![] };
        team.team_chats()
            .filter_map(|name| self.config.chat(name))
            .map(|c| NewOutbox { chat: c.name.clone(), platform: c.platform, payload: notice.to_payload() })
            .collect()
    }

    /// The first route that matches the grade, categories and tags; else the first team.
    fn route(&self, grade: Grade, a: &Analysed) -> String {
        let matches = |want: &[String], have: &[&String]| want.is_empty() || have.iter().any(|h| want.contains(h));
        let categories: Vec<&String> = a.hits.iter().map(|h| &h.name).collect();
        let tags: Vec<&String> = a.signal.tags.iter().collect();
        self.config
            .routes
            .iter()
            .find(|r| {
                (r.grades.is_empty() || r.grades.contains(&grade))
                    && matches(&r.categories, &categories)
                    && matches(&r.tags, &tags)
            })
            .map(|r| r.team.clone())
            .unwrap_or_else(|| self.config.teams[0].name.clone())
    }

    /// Opens the story's case; also says whether the scheduler must be woken for its jobs.
    async fn open(&self, a: &Analysed, now: DateTime<Utc>) -> Result<(CaseId, bool), StoreError> {
        let e = self.explain(a, 1);
        // A drill's cases stay in the team that runs it, whatever the routes say.
        let team = match &a.signal.drill {
            Some(mark) => mark.team.clone(),
            None => self.route(e.grade, a),
        };
        // Already one clean line of at most `untrusted::MAX_TITLE` characters (`take` cleaned it).
        let title = a.signal.title.clone();
        let summary = Some(untrusted::block(&a.signal.body, MAX_SUMMARY)).filter(|s| !s.is_empty());
        let source = a.signal.url.clone().unwrap_or_else(|| a.signal.source.clone());
        let specifics = self.specifics(a);
        let similar = self.similar(&specifics, &team, a.signal.drill.is_some(), now).await?;
        let notice = Notice::Opened {
            title: title.clone(),
            summary: summary.clone(),
            grade: e.grade,
            by: a.signal.source.clone(),
            similar: similar.clone(),
        };
        let mut details = json!({
            "title": title, "grade": e.grade.as_str(), "source": a.signal.source, "label": a.signal.label,
            "score": e.score, "drill": a.signal.drill.as_ref().map(|d| d.id),
        });
        // The card reads it back from here on every rendering (see `super::similar`).
        if let Some(similar) = &similar {
            details["similar"] = similar.to_json();
        }
        let new = NewCase {
            owner: None,
            leader: self.config.team(&team).and_then(|t| t.leader.clone()),
            team: team.clone(),
            title,
            summary,
            source,
            grade: e.grade,
            opened_by: SYSTEM.into(),
            drill: a.signal.drill.is_some(),
            opened_at: now,
        };
        let (new, duty, jobs) = super::clocks::opening(&self.config, self.store.as_ref(), new).await?;
        let wake = wakes_scheduler(&jobs, now);
        let mut outbox = self.notice(&team, &notice);
        if let Some(duty) = duty {
            outbox.extend(self.notice(&team, &duty));
        }
        let commit = Commit {
            events: vec![self.event(EventAction::Opened, details, now)],
            outbox,
            handled: a.signal.dedup_key.clone(),
            signals: vec![self.stored(a, &e, Some(specifics).filter(|s| !s.is_empty() || !s.ids.is_empty()), now)],
            jobs,
            ..Commit::new(CaseWrite::Insert(new), now)
        };
        Ok((self.store.commit(commit).await?.expect("an insert returns its case"), wake))
    }

    /// Adds the signal to its story's case; diffusion grows, and the grade rises if the
    /// new assessment is more severe (automatic grading never lowers a grade). `None` when the
    /// case can no longer be joined; else whether the scheduler must be woken.
    async fn join(&self, id: CaseId, a: &Analysed, now: DateTime<Utc>) -> Result<Joined, StoreError> {
        let turn = self.joining.lock().unwrap_or_else(|e| e.into_inner()).entry(id).or_default().clone();
        let _held = turn.lock().await;
        let joined = self.join_locked(id, a, now).await;
        drop(_held);
        // The last one out removes the case's lock (the map holds one reference, we hold one).
        let mut joining = self.joining.lock().unwrap_or_else(|e| e.into_inner());
        if joining.get(&id).is_some_and(|l| Arc::strong_count(l) <= 2) {
            joining.remove(&id);
        }
        joined
    }

    async fn join_locked(&self, id: CaseId, a: &Analysed, now: DateTime<Utc>) -> Result<Joined, StoreError> {
        let Some(mut case) = self.store.case(id).await? else { return Ok(Joined::Gone) };
        if let Some(into) = case.merged_into {
            return Ok(Joined::Merged(into));
        }
        if !case.state.is_on_ledger() {
            return Ok(Joined::Gone);
        }
        // Drills are kept apart from real work both ways; one drill's cases are all in the
        // team that runs it, and a team runs one drill at a time.
        let ours = match &a.signal.drill {
            None => !case.drill,
            Some(mark) => case.drill && case.team == mark.team,
        };
        if !ours {
            return Ok(Joined::NotOurs);
        }
        // Distinct authenticated sources: one credential posting under many names counts once.
        let mut sources = self.store.case_sources(id, now - self.window()).await?;
        if !sources.contains(&a.signal.source) {
            sources.push(a.signal.source.clone());
        }
        let e = self.explain(a, sources.len());
        let mut events = vec![self.event(
            EventAction::SignalAdded,
            json!({
                "source": a.signal.source, "label": a.signal.label, "sources": sources.len(), "score": e.score,
                "grade": e.grade.as_str(),
            }),
            now,
        )];
        let mut outbox = vec![];
        let mut jobs = vec![];
        if e.grade < case.grade && case.state.is_active() {
            let from = case.grade;
            raise(&mut case, e.grade, now);
            events.push(self.event(
                EventAction::Regraded,
                json!({ "from": from.as_str(), "to": e.grade.as_str(), "auto": true }),
                now,
            ));
            let notice = Notice::Regraded { title: case.title.clone(), from, to: e.grade, by: SYSTEM.into() };
            outbox = self.notice(&case.team, &notice);
            outbox.extend(super::drafts::redraw_after_regrade(self.store.as_ref(), &self.config, &case).await?);
            // A more severe grade has shorter clocks.
            jobs = super::clocks::reschedule(self.store.as_ref(), &self.config, &case, now).await?;
        }
        let wake = wakes_scheduler(&jobs, now);
        let commit = Commit {
            events,
            outbox,
            handled: a.signal.dedup_key.clone(),
            signals: vec![self.stored(a, &e, ids_only(a), now)],
            jobs,
            ..Commit::new(CaseWrite::Update(case), now)
        };
        self.store.commit(commit).await.map(|_| Joined::Done(wake))
    }
}

#[async_trait]
impl SignalSink for Pipeline {
    async fn accept(&self, signal: RawSignal) -> anyhow::Result<Intake> {
        self.take(signal).await
    }
}

/// Whether a commit's jobs need the scheduler woken now: only one due before it would look by
/// itself. Opening a case queues its clock jobs, minutes away at the least; waking the
/// scheduler for every signal kept it claiming and re-reading jobs in a loop, taking SQLite's
/// write lock between the intake writer's batches.
fn wakes_scheduler(jobs: &[JobWrite], now: DateTime<Utc>) -> bool {
    jobs.iter().any(|job| match job {
        JobWrite::Schedule(j) | JobWrite::ScheduleForCase(j) => {
            // The scheduler looks by itself at least every `MAX_NAP`.
            (j.due - now).to_std().is_ok_and(|ahead| ahead < super::scheduler::MAX_NAP) || j.due <= now
        }
        // A withdrawn job is not run whenever the scheduler looks.
        JobWrite::WithdrawCase { .. } | JobWrite::Withdraw(_) => false,
    })
}

/// What a signal that joins a case keeps of its specifics: its identifiers, if any.
fn ids_only(a: &Analysed) -> Option<Specifics> {
    (!a.ids.is_empty()).then(|| Specifics { ids: a.ids.clone(), ..Specifics::default() })
}

fn raise(case: &mut Case, grade: Grade, now: DateTime<Utc>) {
    // `regrade` refuses only a no-op or a finished case, both excluded by the caller.
    let _ = case.regrade(grade, now);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewJob;

    #[test]
    fn only_a_job_due_before_the_scheduler_looks_again_wakes_it() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let job = |secs| NewJob {
            key: "k".into(),
            kind: "clock".into(),
            case: None,
            team: None,
            due: now + chrono::Duration::seconds(secs),
            payload: "{}".into(),
        };
        assert!(!wakes_scheduler(&[], now));
        assert!(!wakes_scheduler(&[JobWrite::ScheduleForCase(job(300)), JobWrite::Schedule(job(30))], now));
        assert!(wakes_scheduler(&[JobWrite::Schedule(job(300)), JobWrite::ScheduleForCase(job(29))], now));
        assert!(wakes_scheduler(&[JobWrite::Schedule(job(-5))], now), "already due");
        let withdraw = JobWrite::WithdrawCase { case: CaseId::from_db(1), kind: "clock".into() };
        assert!(!wakes_scheduler(&[withdraw, JobWrite::Withdraw("k".into())], now));
    }
}
