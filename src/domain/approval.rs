//! Leader approval of a reply before it is published (docs/ARCHITECTURE.md §1, rule 4): the whole rule is
//! [`evaluate`], one pure function over what was recorded about a draft.
//!
//! - A draft has numbered versions; approvals and rejections belong to one version, so a new
//!   version (`/redraft`) needs approving again and only the latest version can be approved
//!   or published.
//! - A version is approved when as many distinct leaders as its case's grade requires
//!   ([`ApprovalPolicy::quorum`]) approved it. The author's own approval never counts.
//! - One rejection of a version rejects it (it is redrafted, not outvoted).
//! - A standing concern (`/concern`) blocks approval, and publishing, of every version until
//!   the person who raised it withdraws it: it is a hold, not a vote.
//! - Once published, a version stays published whatever is recorded later.
//!
//! The command layer checks roles (only leaders approve); [`evaluate`] takes the record as
//! it is and is also what [`can_approve`] and [`can_publish`] explain their refusals with.

use super::{CaseId, Grade};
use chrono::{DateTime, Utc};
use std::fmt;

/// A draft is named by its case and its number within the case: `12.1` (or `#12.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DraftRef {
    pub case: CaseId,
    pub n: u32,
}

impl DraftRef {
    pub fn parse(s: &str) -> Option<DraftRef> {
        let (case, n) = s.split_once('.')?;
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = n.parse().ok().filter(|n| *n >= 1)?;
        Some(DraftRef { case: CaseId::parse(case)?, n })
    }
}

/// A draft, perhaps with one version named: `12.1` (its latest version) or `12.1v2`. A
/// button on a card names the version it showed, so that a press never approves a version
/// written after the card was drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DraftVersion {
    pub draft: DraftRef,
    pub version: Option<u32>,
}

impl DraftVersion {
    pub fn parse(s: &str) -> Option<DraftVersion> {
        match s.split_once(['v', 'V']) {
            None => Some(DraftVersion { draft: DraftRef::parse(s)?, version: None }),
            Some((draft, v)) => {
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let version = v.parse().ok().filter(|v| *v >= 1)?;
                Some(DraftVersion { draft: DraftRef::parse(draft)?, version: Some(version) })
            }
        }
    }
}

impl fmt::Display for DraftVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Some(v) => write!(f, "{}v{v}", self.draft),
            None => write!(f, "{}", self.draft),
        }
    }
}

/// `12.1`, without the `#`, so that it reads the same everywhere it is typed.
impl fmt::Display for DraftRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.case.get(), self.n)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalPolicy {
    /// Distinct approving leaders needed, per grade I…IV (at least 1).
    pub quorum: [u8; 4],
}

impl Default for ApprovalPolicy {
    fn default() -> ApprovalPolicy {
        ApprovalPolicy { quorum: [2, 1, 1, 1] }
    }
}

impl ApprovalPolicy {
    pub fn needed(&self, grade: Grade) -> usize {
        usize::from(self.quorum[grade.index()].max(1))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vote {
    Approve,
    Reject { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    pub by: String,
    pub version: u32,
    pub vote: Vote,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concern {
    pub by: String,
    pub text: String,
    pub raised_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

impl Concern {
    pub fn standing(&self, now: DateTime<Utc>) -> bool {
        self.raised_at <= now && self.withdrawn_at.is_none_or(|w| w > now)
    }
}

/// Everything recorded about one draft, as of now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftRecord {
    /// The grade of the draft's case now: the quorum follows it.
    pub grade: Grade,
    /// Authors by version (index 0 is version 1).
    pub authors: Vec<String>,
    pub ballots: Vec<Ballot>,
    pub concerns: Vec<Concern>,
    /// The version published, and when.
    pub published: Option<(u32, DateTime<Utc>)>,
}

impl DraftRecord {
    pub fn latest(&self) -> u32 {
        u32::try_from(self.authors.len()).unwrap_or(u32::MAX)
    }

    pub fn author(&self, version: u32) -> Option<&str> {
        self.authors.get(usize::try_from(version).ok()?.checked_sub(1)?).map(String::as_str)
    }

    /// Whether `who` wrote any version up to `version`: a redraft of someone's text is still
    /// partly theirs, so neither may approve it (four eyes, not two).
    pub fn wrote(&self, who: &str, version: u32) -> bool {
        let upto = usize::try_from(version).unwrap_or(usize::MAX).min(self.authors.len());
        self.authors[..upto].iter().any(|a| a == who)
    }
}

/// Where one version of a draft stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// There is no such version.
    Unknown,
    Published {
        at: DateTime<Utc>,
    },
    /// A later version replaced it; it can neither be approved nor published.
    Superseded {
        latest: u32,
    },
    Rejected {
        by: String,
        reason: String,
    },
    /// Standing concerns hold it, whatever the approvals.
    Held {
        concerns: Vec<Concern>,
        approvals: Vec<String>,
        needed: usize,
    },
    /// Waiting for more leaders.
    Waiting {
        approvals: Vec<String>,
        needed: usize,
    },
    Approved {
        approvals: Vec<String>,
    },
}

/// The rule: where `version` of a draft stands at `now`.
pub fn evaluate(record: &DraftRecord, version: u32, policy: &ApprovalPolicy, now: DateTime<Utc>) -> Standing {
    if record.author(version).is_none() {
        return Standing::Unknown;
    }
    if let Some((published, at)) = record.published
        && published == version
    {
        return Standing::Published { at };
    }
    if version < record.latest() {
        return Standing::Superseded { latest: record.latest() };
    }
    let ballots =
        record.ballots.iter().filter(|b| b.version == version && b.at <= now && !record.wrote(&b.by, version));
    let mut approvals: Vec<String> = vec![];
    for b in ballots {
        match &b.vote {
            Vote::Reject { reason } => return Standing::Rejected { by: b.by.clone(), reason: reason.clone() },
            Vote::Approve if !approvals.contains(&b.by) => approvals.push(b.by.clone()),
            Vote::Approve => {}
        }
    }
    let needed = policy.needed(record.grade);
    let concerns: Vec<Concern> = record.concerns.iter().filter(|c| c.standing(now)).cloned().collect();
    if !concerns.is_empty() {
        return Standing::Held { concerns, approvals, needed };
    }
    if approvals.len() >= needed { Standing::Approved { approvals } } else { Standing::Waiting { approvals, needed } }
}

/// Why someone may not approve (or reject) a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotNow {
    Unknown,
    OwnDraft,
    AlreadyVoted,
    AlreadyPublished,
    Superseded {
        latest: u32,
    },
    Rejected {
        by: String,
    },
    Held {
        concerns: Vec<Concern>,
    },
    AlreadyApproved,
    /// Publishing: not yet approved.
    NotApproved {
        approvals: usize,
        needed: usize,
    },
}

/// Whether `who` may approve or reject `version` now.
pub fn can_vote(
    record: &DraftRecord,
    version: u32,
    who: &str,
    policy: &ApprovalPolicy,
    now: DateTime<Utc>,
) -> Result<(), NotNow> {
    match evaluate(record, version, policy, now) {
        Standing::Unknown => return Err(NotNow::Unknown),
        Standing::Published { .. } => return Err(NotNow::AlreadyPublished),
        Standing::Superseded { latest } => return Err(NotNow::Superseded { latest }),
        Standing::Rejected { by, .. } => return Err(NotNow::Rejected { by }),
        Standing::Held { concerns, .. } => return Err(NotNow::Held { concerns }),
        Standing::Approved { .. } => return Err(NotNow::AlreadyApproved),
        Standing::Waiting { .. } => {}
    }
    if record.wrote(who, version) {
        return Err(NotNow::OwnDraft);
    }
    if record.ballots.iter().any(|b| b.version == version && b.by == who) {
        return Err(NotNow::AlreadyVoted);
    }
    Ok(())
}

/// Whether `version` may be published now: only an approved, latest, unheld version, once.
pub fn can_publish(
    record: &DraftRecord,
    version: u32,
    policy: &ApprovalPolicy,
    now: DateTime<Utc>,
) -> Result<(), NotNow> {
    match evaluate(record, version, policy, now) {
        Standing::Approved { .. } => Ok(()),
        Standing::Unknown => Err(NotNow::Unknown),
        Standing::Published { .. } => Err(NotNow::AlreadyPublished),
        Standing::Superseded { latest } => Err(NotNow::Superseded { latest }),
        Standing::Rejected { by, .. } => Err(NotNow::Rejected { by }),
        Standing::Held { concerns, .. } => Err(NotNow::Held { concerns }),
        Standing::Waiting { approvals, needed } => Err(NotNow::NotApproved { approvals: approvals.len(), needed }),
    }
}

#[cfg(test)]
mod tests;
