//! bot.toml sections for speaking to the public: `[approvals]` (who must approve what before
//! it is published) and `[status_page]` (the public page the statements land on).

use super::Problems;
use crate::domain::Grade;
use crate::domain::approval::ApprovalPolicy;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApprovals {
    /// Leaders needed per grade: `{ I = 2, II = 1 }`; grades not named keep the default.
    #[serde(default)]
    pub quorum: BTreeMap<String, i64>,
    /// Grades whose replies go out as soon as they are approved, without `/publish`.
    #[serde(default)]
    pub auto_publish: Vec<String>,
    /// Grades whose progress updates (`/update`) need no approval.
    #[serde(default)]
    pub preapproved_updates: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStatusPage {
    pub listen: String,
    pub title: Option<String>,
    pub base_url: Option<String>,
}

/// `[approvals]`, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Approvals {
    pub policy: ApprovalPolicy,
    pub auto_publish: [bool; 4],
    pub preapproved_updates: [bool; 4],
}

impl Approvals {
    pub fn auto_publish(&self, grade: Grade) -> bool {
        self.auto_publish[grade.index()]
    }

    pub fn preapproved_update(&self, grade: Grade) -> bool {
        self.preapproved_updates[grade.index()]
    }
}

/// `[status_page]`, checked: its presence turns the public page on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPage {
    pub listen: std::net::SocketAddr,
    /// The page's title; the default is localised.
    pub title: Option<String>,
    /// Where the public reaches the page (for absolute links in the Atom feeds); without it
    /// links are made from the request's `Host`.
    pub base_url: Option<reqwest::Url>,
}

fn grades(p: &mut Problems, at: &str, raw: &[String]) -> [bool; 4] {
    let mut out = [false; 4];
    for (i, g) in raw.iter().enumerate() {
        match Grade::parse(g) {
            Some(g) => out[g.index()] = true,
            None => p.add(format!("{at}[{i}]"), format!("\"{g}\" is not a grade (I, II, III or IV)")),
        }
    }
    out
}

pub(super) fn approvals(p: &mut Problems, raw: Option<&RawApprovals>) -> Approvals {
    let mut out = Approvals::default();
    let Some(raw) = raw else { return out };
    for (g, n) in &raw.quorum {
        match (Grade::parse(g), u8::try_from(*n)) {
            (Some(g), Ok(n @ 1..=9)) => out.policy.quorum[g.index()] = n,
            (None, _) => p.add(format!("approvals.quorum.{g}"), format!("\"{g}\" is not a grade (I, II, III or IV)")),
            (Some(_), _) => {
                p.add(format!("approvals.quorum.{g}"), format!("{n} is not a number of leaders from 1 to 9"))
            }
        }
    }
    out.auto_publish = grades(p, "approvals.auto_publish", &raw.auto_publish);
    out.preapproved_updates = grades(p, "approvals.preapproved_updates", &raw.preapproved_updates);
    out
}

pub(super) fn status_page(p: &mut Problems, raw: Option<&RawStatusPage>) -> Option<StatusPage> {
    let raw = raw?;
    let listen = raw.listen.parse().map_err(|_| {
        p.add("status_page.listen", format!("\"{}\" is not an address like 127.0.0.1:8090", raw.listen));
    });
    let base_url = match raw.base_url.as_deref().map(reqwest::Url::parse) {
        None => Ok(None),
        Some(Ok(u)) if matches!(u.scheme(), "http" | "https") => Ok(Some(u)),
        Some(_) => {
            p.add("status_page.base_url", "not an http(s) URL");
            Err(())
        }
    };
    Some(StatusPage { listen: listen.ok()?, title: raw.title.clone(), base_url: base_url.ok()? })
}
