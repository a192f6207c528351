//! Alerts from Alertmanager and Grafana. Unlike reports, an alert names itself: its
//! fingerprint is its identity, so alerts join cases by fingerprint (or by their notification
//! group) and never by text. tocsin keeps each alert's last known state (`alerts` table), so a
//! notification that only repeats what is known changes nothing but a last-seen time, and a
//! batch sent again after a failure adds nothing twice.
//!
//! A *unit* is what one commit decides: one alert for `group = "alert"` sources, a whole
//! notification group for `group = "notification"` ones. Per unit:
//!
//! - an alert firing that is not known firing on the unit's case is *fired*: it opens the
//!   case (none yet, or the last one was closed or dismissed), reopens it (it was resolved:
//!   the same trouble is back, and its owner and history are where the team will look), or
//!   joins it;
//! - an alert resolving that was firing on the case is *cleared*; when the case has no
//!   firing alert left, the case is resolved (`auto_resolve`) or the team told;
//! - anything else is a *repeat*: only the last-seen time moves — no signal, event or message.
//!
//! The grade is the text's assessment with the alert's severity as a floor
//! ([`crate::domain::grading::Explanation::at_least`]); a case is only ever raised by it.

use super::{Analysed, Pipeline};
use crate::app::Notice;
use crate::config::intake::SourceConfig;
use crate::domain::grading::{Explanation, Severity};
use crate::domain::untrusted;
use crate::domain::{Case, CaseId, EventAction, Grade, NewCase};
use crate::intake::RawSignal;
use crate::store::{AlertWrite, CaseWrite, Commit, StoreError, TrackedAlert};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// What one commit decides about: one alert, or one notification group's alerts.
#[derive(Debug, Clone)]
pub struct AlertUnit {
    /// The configured source (its name in bot.toml) the request authenticated as.
    pub source: String,
    /// `<source>:<groupKey>` for a notification group; `None`: the unit is one alert.
    pub group: Option<String>,
    /// The group's title and description, for a case the group opens.
    pub title: Option<String>,
    pub summary: Option<String>,
    pub alerts: Vec<IncomingAlert>,
}

#[derive(Debug, Clone)]
pub struct IncomingAlert {
    /// `<source>:<the sender's fingerprint>`.
    pub fingerprint: String,
    /// One line naming it on the card.
    pub name: String,
    pub firing: bool,
    pub severity: Option<Severity>,
    /// Its text, graded when it fires and kept as the case's signal.
    pub signal: RawSignal,
}

/// What became of one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertOutcome {
    /// It opened a case.
    Opened(CaseId),
    /// It began firing on an open case.
    Joined(CaseId),
    /// It fired again on a resolved case, which is open again.
    Reopened(CaseId),
    /// Nothing new: its last-seen time moved.
    Repeat(CaseId),
    /// It resolved; the case has it noted.
    Noted(CaseId),
    /// It resolved, the last of its case's alerts, and the source resolved the case.
    Resolved(CaseId),
    /// It resolved, but tocsin never saw it fire (or its case is closed).
    Unknown,
}

impl AlertOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertOutcome::Opened(_) => "opened",
            AlertOutcome::Joined(_) => "joined",
            AlertOutcome::Reopened(_) => "reopened",
            AlertOutcome::Repeat(_) => "repeat",
            AlertOutcome::Noted(_) => "noted",
            AlertOutcome::Resolved(_) => "resolved",
            AlertOutcome::Unknown => "unknown",
        }
    }

    pub fn case(self) -> Option<CaseId> {
        match self {
            AlertOutcome::Opened(c)
            | AlertOutcome::Joined(c)
            | AlertOutcome::Reopened(c)
            | AlertOutcome::Repeat(c)
            | AlertOutcome::Noted(c)
            | AlertOutcome::Resolved(c) => Some(c),
            AlertOutcome::Unknown => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Fired,
    Cleared,
    Repeat,
    Unknown,
}

/// What a unit's decision did to its case, for the outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placed {
    Opened,
    Reopened,
    Joined,
    Resolved,
}

/// The most alert names kept in one event's details.
const MAX_EVENT_NAMES: usize = 50;

impl Pipeline {
    /// Takes one unit of alerts in, in one commit: every outcome is durable when this returns
    /// `Ok`, and none of them when it returns `Err`.
    pub async fn take_alerts(&self, unit: AlertUnit) -> anyhow::Result<Vec<AlertOutcome>> {
        let Some(source) = self.config.sources.iter().find(|s| s.name == unit.source) else {
            anyhow::bail!("alerts from \"{}\", which is not a configured source", unit.source);
        };
        // One alert twice in a body counts once, as its last mention says; every mention is
        // answered with that one outcome.
        let mut unit = unit;
        let mut slot: HashMap<String, usize> = HashMap::new();
        let mut unique: Vec<IncomingAlert> = Vec::with_capacity(unit.alerts.len());
        let mut positions = Vec::with_capacity(unit.alerts.len());
        for mut a in std::mem::take(&mut unit.alerts) {
            // The alert's own words are third-party text, like a signal's title.
            a.name = untrusted::one_line(&a.name, untrusted::MAX_TITLE);
            match slot.get(&a.fingerprint) {
                Some(&i) => {
                    positions.push(i);
                    unique[i] = a;
                }
                None => {
                    slot.insert(a.fingerprint.clone(), unique.len());
                    positions.push(unique.len());
                    unique.push(a);
                }
            }
        }
        unit.alerts = unique;
        // Text is analysed once; only the short read-decide-commit is retried on a conflict.
        let analysed: Vec<Option<Analysed>> = unit
            .alerts
            .iter()
            .map(|a| a.firing.then(|| self.analyse(a.signal.clone().cleaned(), source.weight)))
            .collect();
        for attempt in 0..super::ATTEMPTS {
            match self.place_alerts(&unit, source, &analysed).await {
                Ok((outcomes, wake)) => {
                    self.outbox_signal.notify_one();
                    if wake {
                        self.jobs_signal.notify_one();
                    }
                    return Ok(positions.iter().map(|&i| outcomes[i]).collect());
                }
                Err(StoreError::Conflict) => {
                    tokio::time::sleep(std::time::Duration::from_millis(attempt as u64)).await;
                }
                Err(e) => return Err(anyhow::Error::new(e).context("taking alerts in")),
            }
        }
        anyhow::bail!("the alerts' case kept changing while they were taken in")
    }

    async fn place_alerts(
        &self,
        unit: &AlertUnit,
        source: &SourceConfig,
        analysed: &[Option<Analysed>],
    ) -> Result<(Vec<AlertOutcome>, bool), StoreError> {
        let now = self.clock.now();
        let fingerprints: Vec<String> = unit.alerts.iter().map(|a| a.fingerprint.clone()).collect();
        let known: HashMap<String, TrackedAlert> =
            self.store.alerts(&fingerprints).await?.into_iter().map(|a| (a.fingerprint.clone(), a)).collect();
        let case_id = match &unit.group {
            Some(group) => self.store.alert_group_case(group).await?,
            None => match unit.alerts.first() {
                Some(a) => match known.get(&a.fingerprint) {
                    Some(k) => Some(k.case),
                    // Taken in before alerts were tracked: its signals still name its case.
                    None => self.store.case_by_fingerprint(&a.fingerprint).await?,
                },
                None => None,
            },
        };
        let case = match case_id {
            // A closed or dismissed case is the team's finished record: alerts firing again
            // open a new case rather than undo a leader's decision.
            Some(id) => self.store.case(id).await?.filter(|c| c.state.is_on_ledger()),
            None => None,
        };
        let on_case = |fp: &str| known.get(fp).filter(|k| case.as_ref().is_some_and(|c| c.id == k.case));
        // An alert whose case was found by its signals alone (taken in before alerts were
        // tracked) resolving is news for that case too.
        let untracked = unit.group.is_none() && known.is_empty() && case.is_some();
        let changes: Vec<Change> = unit
            .alerts
            .iter()
            .map(|a| match (a.firing, on_case(&a.fingerprint)) {
                (true, Some(k)) if k.firing => Change::Repeat,
                (true, _) => Change::Fired,
                (false, Some(k)) if k.firing => Change::Cleared,
                (false, Some(_)) => Change::Repeat,
                (false, None) if untracked => Change::Cleared,
                (false, None) => Change::Unknown,
            })
            .collect();
        let seen: Vec<AlertWrite> = unit
            .alerts
            .iter()
            .zip(&changes)
            .filter(|(_, c)| **c == Change::Repeat)
            .map(|(a, _)| AlertWrite::Seen { fingerprint: a.fingerprint.clone() })
            .collect();
        let repeat_case = |a: &IncomingAlert| known.get(&a.fingerprint).map(|k| k.case);
        if !changes.iter().any(|c| matches!(c, Change::Fired | Change::Cleared)) {
            if !seen.is_empty() {
                self.store.commit(Commit { alerts: seen, ..Commit::new(CaseWrite::None, now) }).await?;
            }
            let outcomes = unit
                .alerts
                .iter()
                .zip(&changes)
                .map(|(a, c)| match (c, repeat_case(a)) {
                    (Change::Repeat, Some(case)) => AlertOutcome::Repeat(case),
                    _ => AlertOutcome::Unknown,
                })
                .collect();
            return Ok((outcomes, false));
        }
        let decision = Decision { unit, source, analysed, changes: &changes, known: &known, now };
        let (commit, placed, wake) = match case {
            None => decision.open(self).await?,
            Some(case) => decision.update(self, case).await?,
        };
        let mut commit = commit;
        commit.alerts.extend(seen);
        let id = self.store.commit(commit).await?.expect("a commit about a case returns it");
        let outcomes = unit
            .alerts
            .iter()
            .zip(&changes)
            .map(|(a, c)| match c {
                Change::Fired => match placed {
                    Placed::Opened => AlertOutcome::Opened(id),
                    Placed::Reopened => AlertOutcome::Reopened(id),
                    Placed::Joined | Placed::Resolved => AlertOutcome::Joined(id),
                },
                Change::Cleared if placed == Placed::Resolved => AlertOutcome::Resolved(id),
                Change::Cleared => AlertOutcome::Noted(id),
                Change::Repeat => repeat_case(a).map_or(AlertOutcome::Unknown, AlertOutcome::Repeat),
                Change::Unknown => AlertOutcome::Unknown,
            })
            .collect();
        Ok((outcomes, wake))
    }
}

/// One unit's changes, read against the ledger, to be turned into one commit.
struct Decision<'a> {
    unit: &'a AlertUnit,
    source: &'a SourceConfig,
    analysed: &'a [Option<Analysed>],
    changes: &'a [Change],
    known: &'a HashMap<String, TrackedAlert>,
    now: DateTime<Utc>,
}

impl Decision<'_> {
    fn indexes(&self, change: Change) -> Vec<usize> {
        self.changes.iter().enumerate().filter(|(_, c)| **c == change).map(|(i, _)| i).collect()
    }

    fn names(&self, indexes: &[usize]) -> Vec<String> {
        indexes.iter().map(|&i| self.unit.alerts[i].name.clone()).collect()
    }

    /// Each fired alert's assessment: its text graded, its severity the floor.
    fn assessed(&self, p: &Pipeline) -> Vec<(usize, &Analysed, Explanation)> {
        self.indexes(Change::Fired)
            .into_iter()
            .filter_map(|i| {
                let a = self.analysed[i].as_ref()?;
                Some((i, a, p.explain(a, 1).at_least(self.unit.alerts[i].severity.clone())))
            })
            .collect()
    }

    /// The alert rows this decision writes (repeats are added by the caller).
    fn writes(&self) -> Vec<AlertWrite> {
        self.unit
            .alerts
            .iter()
            .zip(self.changes)
            .filter(|(_, c)| matches!(c, Change::Fired | Change::Cleared))
            .map(|(a, c)| AlertWrite::Set {
                fingerprint: a.fingerprint.clone(),
                group: self.unit.group.clone(),
                name: a.name.clone(),
                firing: *c == Change::Fired,
                new: !self.known.contains_key(&a.fingerprint),
            })
            .collect()
    }

    /// No case to join: the fired alerts open one, graded by the most severe of them.
    async fn open(&self, p: &Pipeline) -> Result<(Commit, Placed, bool), StoreError> {
        let assessed = self.assessed(p);
        let Some((first, a, _)) = assessed.first() else {
            return Err(StoreError::Corrupt("a unit without a case had no alert firing".into()));
        };
        let grade = assessed.iter().map(|(_, _, e)| e.grade).min().unwrap_or(Grade::IV);
        let team = p.route(grade, a);
        let title = self
            .unit
            .title
            .as_deref()
            .and_then(untrusted::title)
            .unwrap_or_else(|| self.unit.alerts[*first].signal.clone().cleaned().title);
        // A group's case is described by what its alerts share (its card lists them), an
        // alert's by its own text.
        let text = match &self.unit.group {
            Some(_) => self.unit.summary.clone().unwrap_or_default(),
            None => a.signal.body.clone(),
        };
        let summary = Some(untrusted::block(&text, super::MAX_SUMMARY)).filter(|s| !s.is_empty());
        let fired = self.names(&self.indexes(Change::Fired));
        let notice = Notice::Opened {
            title: title.clone(),
            summary: summary.clone(),
            grade,
            by: self.source.name.clone(),
            similar: None,
        };
        let details = json!({
            "title": title, "grade": grade.as_str(), "source": self.source.name,
            "score": assessed.iter().map(|(_, _, e)| e.score).fold(0.0, f64::max),
            "alerts": capped(&fired),
        });
        let new = NewCase {
            owner: None,
            leader: p.config.team(&team).and_then(|t| t.leader.clone()),
            team: team.clone(),
            title,
            summary,
            source: a.signal.url.clone().unwrap_or_else(|| a.signal.source.clone()),
            grade,
            opened_by: super::SYSTEM.into(),
            drill: false,
            opened_at: self.now,
        };
        let (new, duty, jobs) = crate::app::clocks::opening(&p.config, p.store.as_ref(), new).await?;
        let wake = super::wakes_scheduler(&jobs, self.now);
        let mut outbox = p.notice(&team, &notice);
        if let Some(duty) = duty {
            outbox.extend(p.notice(&team, &duty));
        }
        let commit = Commit {
            events: vec![p.event(EventAction::Opened, details, self.now)],
            outbox,
            signals: assessed.iter().map(|(_, a, e)| p.stored(a, e, super::ids_only(a), self.now)).collect(),
            jobs,
            alerts: self.writes(),
            ..Commit::new(CaseWrite::Insert(new), self.now)
        };
        Ok((commit, Placed::Opened, wake))
    }

    /// Alerts fired on, or cleared from, a case on the ledger.
    async fn update(&self, p: &Pipeline, mut case: Case) -> Result<(Commit, Placed, bool), StoreError> {
        let before = case.clone();
        let now = self.now;
        let source = &self.source.name;
        let (fired, cleared) = (self.indexes(Change::Fired), self.indexes(Change::Cleared));
        let (fired_names, cleared_names) = (self.names(&fired), self.names(&cleared));
        let assessed = self.assessed(p);
        let mut events = vec![];
        let mut notices = vec![];
        let mut placed = Placed::Joined;
        if !fired.is_empty() && !case.state.is_active() {
            let from = case.state;
            // Only a resolved case reaches here (closed and dismissed ones are not joined).
            case.reopen(now).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            events.push(p.event(
                EventAction::Reopened,
                json!({ "from": from.as_str(), "to": case.state.as_str(), "alerts": capped(&fired_names).join(", "),
                        "source": source }),
                now,
            ));
            notices.push(Notice::AlertRefired {
                title: case.title.clone(),
                alerts: fired_names.clone(),
                source: source.clone(),
            });
            placed = Placed::Reopened;
        }
        for (i, a, e) in &assessed {
            events.push(p.event(
                EventAction::SignalAdded,
                json!({ "source": a.signal.source, "alert": self.unit.alerts[*i].name, "score": e.score,
                        "grade": e.grade.as_str(), "sources": 1 }),
                now,
            ));
        }
        if let Some(grade) = assessed.iter().map(|(_, _, e)| e.grade).min()
            && grade < case.grade
            && case.state.is_active()
        {
            let from = case.grade;
            super::raise(&mut case, grade, now);
            events.push(p.event(
                EventAction::Regraded,
                json!({ "from": from.as_str(), "to": grade.as_str(), "auto": true }),
                now,
            ));
            notices.push(Notice::Regraded { title: case.title.clone(), from, to: grade, by: super::SYSTEM.into() });
        }
        for name in &cleared_names {
            events.push(p.event(EventAction::Noted, json!({ "text": name, "source": source, "resolved": true }), now));
        }
        // The case's alerts as they stand after this decision.
        let mut state: BTreeMap<String, bool> =
            p.store.case_alerts(case.id).await?.into_iter().map(|a| (a.fingerprint, a.firing)).collect();
        for (a, c) in self.unit.alerts.iter().zip(self.changes) {
            match c {
                Change::Fired => state.insert(a.fingerprint.clone(), true),
                Change::Cleared => state.insert(a.fingerprint.clone(), false),
                _ => None,
            };
        }
        let (firing, total) = (state.values().filter(|f| **f).count(), state.len());
        let all_clear = !cleared.is_empty() && firing == 0;
        if all_clear && self.source.auto_resolve && case.state.is_active() {
            let summary = format!("{source}: {}", capped(&cleared_names).join(", "));
            case.resolve(&summary, now).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            events.push(p.event(EventAction::Resolved, json!({ "summary": summary }), now));
            notices.push(Notice::Resolved { title: case.title.clone(), summary, by: source.clone() });
            placed = Placed::Resolved;
        } else if total == 1 && all_clear {
            notices.push(Notice::AlertResolved {
                title: case.title.clone(),
                alert: cleared_names.join(", "),
                source: source.clone(),
            });
        } else if placed != Placed::Reopened || !cleared.is_empty() {
            notices.push(Notice::AlertsChanged {
                title: case.title.clone(),
                fired: if placed == Placed::Reopened { vec![] } else { fired_names },
                resolved: cleared_names,
                firing,
                total,
                source: source.clone(),
            });
        }
        let mut outbox: Vec<_> = notices.iter().flat_map(|n| p.notice(&case.team, n)).collect();
        if case.grade != before.grade {
            outbox.extend(crate::app::drafts::redraw_after_regrade(p.store.as_ref(), &p.config, &case).await?);
        }
        let jobs = if crate::app::clocks::moved(&before, &case) {
            crate::app::clocks::reschedule(p.store.as_ref(), &p.config, &case, now).await?
        } else {
            vec![]
        };
        let wake = super::wakes_scheduler(&jobs, now);
        let commit = Commit {
            events,
            outbox,
            signals: assessed.iter().map(|(_, a, e)| p.stored(a, e, super::ids_only(a), now)).collect(),
            jobs,
            alerts: self.writes(),
            ..Commit::new(CaseWrite::Update(case), now)
        };
        Ok((commit, placed, wake))
    }
}

/// At most [`MAX_EVENT_NAMES`] names, for an event's details.
fn capped(names: &[String]) -> Vec<String> {
    names.iter().take(MAX_EVENT_NAMES).cloned().collect()
}
