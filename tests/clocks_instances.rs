//! Two instances on one Postgres database, both running the scheduler: every reminder, breach
//! and escalation is sent exactly once, whichever instance runs it, and no job due is left
//! behind.
//!
//! The instances are two `App`s with their own store handles (their own connection pools) on
//! one fresh database, sharing a manual clock: two machines whose clocks agree. What keeps a
//! notice from being sent twice is layered. A claimed job is leased, so the other instance
//! skips it while the lease runs (`FOR UPDATE SKIP LOCKED` lets both claim at the same moment
//! without waiting on each other's locks). And a job's notice is committed in the transaction
//! that marks the job done, so a second run of the same job fails as a duplicate and sends
//! nothing. The first test checks the outcome with both instances running jobs by hand while
//! they contend for the same cases; the second with the real scheduler loop on both, where
//! each job must also be claimed only once; the last checks the lease itself.

use crate::support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use support::TestDb;
use tocsin::app::{App, Invocation, Notice, scheduler};
use tocsin::clock::{Clock, ManualClock};
use tocsin::config::Config;
use tocsin::domain::clocks::{ClockFacts, ClockKind, Stage, parse_job_key, stage_at};
use tocsin::domain::{CaseId, Grade};
use tocsin::i18n::I18n;
use tocsin::platform::Platform;
use tocsin::store::{Job, JobState};

/// How long the scheduler leases a job it claims (`LEASE_SECS` in src/app/scheduler.rs).
const LEASE: i64 = 60;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// The committed bot.toml with a leaders' chat and a "level above" chat, all on the console,
/// plus `clocks` (bot.toml text; empty for the default clocks).
fn config(clocks: &str) -> Config {
    let base = include_str!("../bot.toml");
    let anchor = "team_chat = \"ops\"\n";
    let text = base.replace(anchor, &format!("{anchor}leaders_chat = \"leads\"\nescalation_chat = \"hq\"\n"))
        + "\n[chats.leads]\nplatform = \"console\"\n\n[chats.hq]\nplatform = \"console\"\n\n"
        + clocks;
    Config::parse(&text).unwrap_or_else(|e| panic!("test config is invalid:\n{e}"))
}

/// The default clocks (I 10m/1h/24h … IV 4h/2d/14d): no two clocks of one case have a stage
/// at the same moment, so at any moment a case has at most one job due.
const DEFAULT_CLOCKS: &str = "";

/// Clocks that make the instances contend, short enough that every case goes through every
/// stage within two hours. All three clocks of a grade run equally long, so a case's three
/// jobs fall due together and the instances contend for one case's row (each job's commit
/// writes the case back, and a concurrent one is a conflict that makes the loser decide
/// again). A grade's clocks are twice as long as the grade above's, so one grade's breach falls
/// with the next one's first reminder: those moments hold more jobs than one claim takes (100),
/// and both instances claim.
const CONTENDED_CLOCKS: &str = "[clocks]\nreminders = [0.5, 0.8]\nescalate = 1.5\n\
    [clocks.I]\nacknowledge = \"10m\"\nrespond = \"10m\"\nresolve = \"10m\"\n\
    [clocks.II]\nacknowledge = \"20m\"\nrespond = \"20m\"\nresolve = \"20m\"\n\
    [clocks.III]\nacknowledge = \"40m\"\nrespond = \"40m\"\nresolve = \"40m\"\n\
    [clocks.IV]\nacknowledge = \"80m\"\nrespond = \"80m\"\nresolve = \"80m\"\n";

/// One announcement of one stage of one clock of one case.
type Stamp = (i64, ClockKind, Stage);

struct Opened {
    id: CaseId,
    grade: Grade,
    /// Acknowledged at the start: its acknowledge clock stopped before any stage.
    acknowledged: bool,
}

/// Two instances on one database, and the cases opened through the first.
struct Pair {
    _db: TestDb,
    clock: Arc<ManualClock>,
    config: Arc<Config>,
    a: Arc<App>,
    b: Arc<App>,
    cases: Vec<Opened>,
}

impl Pair {
    /// Two instances on a fresh Postgres database, or `None` (with a notice) without one.
    async fn start(config: Config) -> Option<Pair> {
        let db = TestDb::postgres().await?;
        let second = db.alias();
        let clock = Arc::new(ManualClock::at(start()));
        let config = Arc::new(config);
        let i18n = Arc::new(I18n::new().unwrap());
        let a = Arc::new(App::new(db.store().await, config.clone(), i18n.clone(), clock.clone()));
        let b = Arc::new(App::new(second.store().await, config.clone(), i18n, clock.clone()));
        Some(Pair { _db: db, clock, config, a, b, cases: vec![] })
    }

    /// Alice (leader, console) types a command to the first instance.
    async fn say(&self, text: &str) {
        let inv = Invocation {
            platform: Platform::Console,
            user_id: "alice".into(),
            chat_id: "ops".into(),
            text: text.into(),
            topic: None,
            bot_username: None,
            dedup_key: None,
        };
        let r = self.a.handle(&inv).await;
        assert!(r.committed, "{text:?} did not commit: {r:?}");
    }

    /// Opens `n` cases, a quarter of each grade, and acknowledges every fifth at once.
    async fn open_cases(&mut self, n: usize) {
        for i in 0..n {
            let grade = Grade::ALL[i % 4];
            self.say(&format!("/new {grade} Incident {i} on the east side")).await;
            let id = CaseId::parse(&(i + 1).to_string()).unwrap();
            let acknowledged = i % 5 == 0;
            if acknowledged {
                self.say(&format!("/ack {id}")).await;
            }
            self.cases.push(Opened { id, grade, acknowledged });
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn advance_to(&self, at: DateTime<Utc>) {
        self.clock.advance(at - self.now());
    }

    /// Every stage of every running clock, and when it falls: what the team must hear, once
    /// each, by the time the last of them has passed.
    fn every_stage(&self) -> BTreeMap<Stamp, DateTime<Utc>> {
        let mut stages = BTreeMap::new();
        for case in &self.cases {
            let mut facts = ClockFacts::new(start(), case.grade);
            if case.acknowledged {
                facts.acknowledged_at = Some(start());
            }
            for kind in ClockKind::ALL {
                if facts.stopped_at(kind).is_some() {
                    continue;
                }
                for (stage, _) in self.config.clocks.stages() {
                    let at = stage_at(&self.config.clocks, &facts, kind, stage).unwrap();
                    stages.insert((case.id.get(), kind, stage), at);
                }
            }
        }
        stages
    }

    /// The moments at which some stage falls, in order. The clock stops at each of them, so
    /// that no clock ever has two stages due at once: when several stages of one clock are
    /// past, which of them are announced (the most advanced one, or every one, late) may
    /// depend on the order in which the instances happen to run the jobs of one case, and
    /// this test is about how often, not which.
    fn moments(&self) -> Vec<DateTime<Utc>> {
        self.every_stage().into_values().collect::<BTreeSet<_>>().into_iter().collect()
    }

    /// Every clock notice in the outbox, counted by (case, clock, stage).
    async fn announced(&self) -> BTreeMap<Stamp, usize> {
        let store = self.a.store();
        let now = self.now();
        let items = store.claim_outbox(Platform::Console, now, now + Duration::hours(1), 100_000).await.unwrap();
        let mut counts = BTreeMap::new();
        for item in items {
            let (clock, stage) = match Notice::from_payload(&item.payload).unwrap() {
                Notice::Reminder { clock, percent, .. } => (clock, Stage::Remind(percent)),
                Notice::Breached { clock, .. } => (clock, Stage::Breach),
                Notice::Escalated { clock, .. } => (clock, Stage::Escalate),
                _ => continue,
            };
            let case = item.case.expect("a clock notice belongs to a case").get();
            *counts.entry((case, ClockKind::parse(&clock).unwrap(), stage)).or_default() += 1;
        }
        counts
    }

    /// Every job of every case, as the shared database holds them.
    async fn jobs(&self) -> Vec<Job> {
        let store = self.b.store();
        let mut jobs = vec![];
        for case in &self.cases {
            jobs.extend(store.case_jobs(case.id).await.unwrap());
        }
        jobs
    }

    /// Waits until no job due by now is pending: every one is done (its commit, notice
    /// included, is in) or was withdrawn. A job claimed but not finished is still pending.
    async fn drained(&self) {
        let now = self.now();
        for _ in 0..600 {
            let left = self.jobs().await.into_iter().filter(|j| j.state == JobState::Pending && j.due <= now).count();
            if left == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("jobs due at {now} were still pending after 30 s");
    }

    /// Each stage was announced exactly once, each by the job that was made for it, and
    /// nothing due was left pending.
    async fn assert_each_stage_announced_once(&self) {
        let expected: BTreeSet<Stamp> = self.every_stage().into_keys().collect();
        let announced = self.announced().await;
        let twice: Vec<_> = announced.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "announced more than once: {twice:?}");
        let got: BTreeSet<Stamp> = announced.into_keys().collect();
        let missing: Vec<_> = expected.difference(&got).collect();
        assert!(missing.is_empty(), "never announced: {missing:?}");
        let stray: Vec<_> = got.difference(&expected).collect();
        assert!(stray.is_empty(), "announced though not due (a stopped clock?): {stray:?}");

        let now = self.now();
        let jobs = self.jobs().await;
        let left: Vec<&str> = jobs.iter().filter(|j| j.state == JobState::Pending).map(|j| j.key.as_str()).collect();
        assert!(left.is_empty(), "every stage of every clock has passed, yet jobs are pending: {left:?}");
        assert!(jobs.iter().all(|j| j.due <= now), "no job was queued for a stage that does not exist");
        let done: BTreeSet<Stamp> = jobs
            .iter()
            .filter(|j| j.state == JobState::Done)
            .map(|j| {
                let (kind, stage) = parse_job_key(&j.key).unwrap();
                (j.case.unwrap().get(), kind, stage)
            })
            .collect();
        assert_eq!(done, expected, "each announcement is a job marked done");
        // The only jobs withdrawn for good are the acknowledge clocks' of the cases
        // acknowledged at once (the other clocks' jobs were withdrawn and queued again).
        let withdrawn: BTreeSet<i64> = jobs
            .iter()
            .filter(|j| j.state == JobState::Withdrawn)
            .map(|j| {
                assert_eq!(parse_job_key(&j.key).unwrap().0, ClockKind::Acknowledge, "{} was withdrawn", j.key);
                j.case.unwrap().get()
            })
            .collect();
        let acknowledged: BTreeSet<i64> = self.cases.iter().filter(|c| c.acknowledged).map(|c| c.id.get()).collect();
        assert_eq!(withdrawn, acknowledged);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]
async fn two_instances_running_due_jobs_at_once_announce_every_stage_exactly_once() {
    let Some(mut pair) = Pair::start(config(CONTENDED_CLOCKS)).await else { return };
    pair.open_cases(80).await;
    let (mut ran_a, mut ran_b) = (0, 0);
    for at in pair.moments() {
        pair.advance_to(at);
        // Twice at each moment, as two wake-ups would be: the second must repeat nothing.
        for _ in 0..2 {
            let (a, b) = tokio::join!(pair.a.run_due_jobs(), pair.b.run_due_jobs());
            ran_a += a.expect("instance A runs its jobs");
            ran_b += b.expect("instance B runs its jobs");
        }
    }
    assert!(ran_a > 0 && ran_b > 0, "both instances ran jobs (A {ran_a}, B {ran_b})");
    pair.assert_each_stage_announced_once().await;
    // A run that found its job already done by the other instance counts as a run too. Here a
    // few jobs are run twice although claims are leased: a job's commit withdraws and queues
    // again its case's other pending clock jobs, which clears the lease of one that the other
    // instance is still running, and it can be claimed again. Wasted work, never a second
    // notice: the second run finds the job done.
    let claimed_twice = pair.jobs().await.iter().filter(|j| j.attempts > 1).count();
    eprintln!(
        "runs: A {ran_a}, B {ran_b}; stages announced: {}; jobs claimed more than once: {claimed_twice}",
        pair.every_stage().len()
    );
}

/// The real scheduler loop sleeps until the next job is due by its clock (at most 30 s of real
/// time) or until a commit's signal wakes it. A manual clock does not wake anybody when it
/// moves, so the test moves it and then signals both loops, as a commit would; it waits for
/// the shared database to show every job due done before moving on. With the default clocks a
/// case never has two jobs due at once, so each job is claimed exactly once: the other
/// instance, waking at the same moment, finds it leased.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]
async fn two_instances_running_the_scheduler_loop_announce_every_stage_exactly_once() {
    let Some(mut pair) = Pair::start(config(DEFAULT_CLOCKS)).await else { return };
    pair.open_cases(40).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let loops = [pair.a.clone(), pair.b.clone()].map(|app| tokio::spawn(scheduler::run(app, stopped.clone())));
    for at in pair.moments() {
        pair.advance_to(at);
        pair.a.jobs_signal().notify_one();
        pair.b.jobs_signal().notify_one();
        pair.drained().await;
    }
    stop.send(true).unwrap();
    for running in loops {
        tokio::time::timeout(std::time::Duration::from_secs(10), running)
            .await
            .expect("a scheduler loop stops when told")
            .unwrap();
    }
    pair.assert_each_stage_announced_once().await;
    let jobs = pair.jobs().await;
    let reclaimed: Vec<(&str, i64)> = jobs
        .iter()
        .filter(|j| j.state == JobState::Done && j.attempts != 1)
        .map(|j| (j.key.as_str(), j.attempts))
        .collect();
    assert!(reclaimed.is_empty(), "each job was claimed once, by one instance: {reclaimed:?}");
}

/// The lease itself, at the store: what one instance claimed the other does not get, until
/// the lease runs out (the first instance died) and the other takes the job over. Without
/// `SKIP LOCKED` the claims below would still be disjoint, only slower (a claim would wait for
/// the other's lock and then see its lease): that is about throughput, which no test here
/// measures.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]
async fn a_job_one_instance_claimed_goes_to_the_other_only_once_its_lease_has_run_out() {
    let Some(mut pair) = Pair::start(config(CONTENDED_CLOCKS)).await else { return };
    pair.open_cases(40).await;
    // Grade I's three clocks reach 50 % after 5 minutes: 10 cases, 28 running clocks.
    pair.advance_to(start() + Duration::minutes(5));
    let now = pair.now();
    let lease = now + Duration::seconds(LEASE);
    let (sa, sb) = (pair.a.store(), pair.b.store());
    let keys = |jobs: Vec<Job>| jobs.into_iter().map(|j| j.key).collect::<BTreeSet<_>>();

    let (a, b) = tokio::join!(sa.claim_jobs(now, lease, 20), sb.claim_jobs(now, lease, 20));
    let (a, b) = (keys(a.unwrap()), keys(b.unwrap()));
    assert_eq!(a.len() + b.len(), 28, "together they claimed every job due (A {}, B {})", a.len(), b.len());
    assert!(a.is_disjoint(&b), "no job was claimed by both: {:?}", a.intersection(&b).collect::<Vec<_>>());

    let (again_a, again_b) = tokio::join!(sa.claim_jobs(now, lease, 100), sb.claim_jobs(now, lease, 100));
    assert!(again_a.unwrap().is_empty() && again_b.unwrap().is_empty(), "a leased job is nobody else's");
    let just_before = now + Duration::seconds(LEASE - 1);
    assert!(sb.claim_jobs(just_before, just_before + Duration::seconds(LEASE), 100).await.unwrap().is_empty());

    // A died holding its claims: once its lease has run out, B takes its jobs over.
    let later = now + Duration::seconds(LEASE + 1);
    let taken_over = sb.claim_jobs(later, later + Duration::seconds(LEASE), 100).await.unwrap();
    assert!(taken_over.iter().all(|j| j.attempts == 2), "each was claimed once before");
    assert_eq!(keys(taken_over), &a | &b, "every job still pending is handed out again");
}
