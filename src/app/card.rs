//! The case card: how a platform that can edit messages shows one case — posted once to the
//! team chat, then edited in place whenever the case changes. Built here, platform-neutral
//! and already in the chat's language; the platform only lays it out and escapes it.

use super::format;
use super::similar::Similar;
use crate::config::Config;
use crate::domain::approval::DraftVersion;
use crate::domain::clocks::{ClockKind, ClockStatus};
use crate::domain::{Case, CaseId, CaseState, Locale};
use crate::i18n::I18n;
use crate::store::TrackedAlert;
use crate::t;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardView {
    pub case: CaseId,
    /// Another card about the same case in the same chat (a draft's: `draft1`); `None` for
    /// the case card itself.
    pub slot: Option<String>,
    /// `🟠 #12 Gas leak at Elm Street`: the grade's emoji, the number and the title.
    pub headline: String,
    pub summary: Option<String>,
    /// Grade and state; owner and leader; source.
    pub facts: Vec<String>,
    /// What changed last, as the notice that caused this rendering put it.
    pub last: String,
    pub buttons: Vec<CardButton>,
    /// The grade's colour (`#d32f2f`), for platforms that colour a card (Discord's embeds).
    pub colour: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardButton {
    pub label: String,
    pub press: Press,
}

/// What pressing a card button asks for. Travels as short callback data (`ack:12`), well
/// under Telegram's 64-byte limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    Ack(CaseId),
    Claim(CaseId),
    /// A draft card's buttons name the version the card showed.
    Approve(DraftVersion),
    Reject(DraftVersion),
    /// Merge the first case into the second (the "possibly the same story" line's button).
    Merge {
        from: CaseId,
        into: CaseId,
    },
}

impl Press {
    pub fn data(self) -> String {
        match self {
            Press::Ack(c) => format!("ack:{}", c.get()),
            Press::Claim(c) => format!("claim:{}", c.get()),
            Press::Approve(d) => format!("approve:{d}"),
            Press::Reject(d) => format!("reject:{d}"),
            Press::Merge { from, into } => format!("merge:{}:{}", from.get(), into.get()),
        }
    }

    pub fn parse(data: &str) -> Option<Press> {
        let (verb, arg) = data.split_once(':')?;
        match verb {
            "ack" => Some(Press::Ack(CaseId::parse(arg)?)),
            "claim" => Some(Press::Claim(CaseId::parse(arg)?)),
            "approve" => Some(Press::Approve(DraftVersion::parse(arg)?)),
            "reject" => Some(Press::Reject(DraftVersion::parse(arg)?)),
            "merge" => {
                let (from, into) = arg.split_once(':')?;
                Some(Press::Merge { from: CaseId::parse(from)?, into: CaseId::parse(into)? })
            }
            _ => None,
        }
    }

    /// The chat command the press stands for, so it goes through the same grammar,
    /// permission matrix and decisions as typing it.
    pub fn command(self) -> String {
        match self {
            Press::Ack(c) => format!("/ack {}", c.get()),
            Press::Claim(c) => format!("/claim {}", c.get()),
            Press::Approve(d) => format!("/approve {d}"),
            // A button cannot ask why; the record says where the rejection came from.
            Press::Reject(d) => format!("/reject {d} {REJECTED_ON_CARD}"),
            Press::Merge { from, into } => format!("/merge {} into {}", from.get(), into.get()),
        }
    }
}

/// The reason recorded for a rejection by button: a fixed mark, shown in the reader's
/// language by [`rejection_reason`].
pub const REJECTED_ON_CARD: &str = "(rejected with the button on the draft card)";

/// A rejection's reason as the reader sees it: a person's words as written, the button's
/// mark in the reader's language.
pub fn rejection_reason(i18n: &I18n, locale: Locale, reason: &str) -> String {
    if reason == REJECTED_ON_CARD { i18n.render(locale, &t!("draft-rejected-on-card")) } else { reason.to_string() }
}

/// Cards keep the summary short so the whole card stays well inside one message.
const CARD_SUMMARY: usize = 1000;

/// A card lists at most this many of a case's alerts (firing ones first), then a count.
const CARD_ALERTS: usize = 10;

/// `clocks` are the case's running clocks as they stand when the card is shown (see
/// [`super::clocks::running`]); the card is shown again at every reminder, so what is left
/// stays close to true. `alerts` are the case's alerts from an alert source, if any. `similar`
/// is the open case it is possibly the same story as ([`super::similar::for_card`]): a line
/// and a Merge button, shown to everyone (the permission is checked when `/merge` runs).
#[allow(clippy::too_many_arguments)]
pub fn card(
    case: &Case,
    last: String,
    clocks: &[(ClockKind, ClockStatus)],
    alerts: &[TrackedAlert],
    similar: Option<&Similar>,
    config: &Config,
    i18n: &I18n,
    locale: Locale,
) -> CardView {
    let r = |text| i18n.render(locale, &text);
    let nobody = || r(t!("nobody"));
    let mut facts = vec![
        r(
            t!("status-grade-state", "grade" => format::grade(config, case.grade, locale), "state" => format::state(case.state)),
        ),
        r(t!("status-people",
            "owner" => case.owner.as_deref().map_or_else(nobody, |o| format::person(config, o)),
            "leader" => case.leader.as_deref().map_or_else(nobody, |l| format::person(config, l)))),
        r(t!("card-source", "source" => case.source.as_str())),
    ];
    if let Some(into) = case.merged_into {
        facts.push(r(t!("status-merged", "into" => into.to_string())));
    }
    if let Some(line) = clocks_line(clocks, i18n, locale) {
        facts.push(line);
    }
    if case.drill {
        facts.push(r(t!("status-drill")));
    }
    facts.extend(alert_lines(alerts, i18n, locale));
    let mut buttons = vec![];
    if let Some(similar) = similar {
        let into = similar.case.to_string();
        facts.push(r(t!("card-similar", "case" => into.clone(), "shared" => similar.shared_list())));
        buttons.push(CardButton {
            label: r(t!("button-merge", "case" => into)),
            press: Press::Merge { from: case.id, into: similar.case },
        });
    }
    if case.state == CaseState::Open {
        buttons.push(CardButton { label: r(t!("button-ack")), press: Press::Ack(case.id) });
    }
    if case.state.is_active() && case.owner.is_none() {
        buttons.push(CardButton { label: r(t!("button-claim")), press: Press::Claim(case.id) });
    }
    CardView {
        case: case.id,
        slot: None,
        headline: format!("{} {} {}", config.grade(case.grade).emoji, case.id, case.title),
        summary: case.summary.as_ref().map(|s| format::shorten(s, CARD_SUMMARY)),
        facts,
        last,
        buttons,
        colour: Some(config.grade(case.grade).colour.clone()),
    }
}

/// `Alerts: 2 of 5 firing`, then one line per alert, firing first: nothing for a case with
/// fewer than two alerts (its title and last line already say it all).
pub fn alert_lines(alerts: &[TrackedAlert], i18n: &I18n, locale: Locale) -> Vec<String> {
    if alerts.len() < 2 {
        return vec![];
    }
    let firing = alerts.iter().filter(|a| a.firing).count();
    let mut lines = vec![i18n.render(locale, &t!("card-alerts", "firing" => firing, "total" => alerts.len()))];
    let mut ordered: Vec<&TrackedAlert> = alerts.iter().collect();
    ordered.sort_by_key(|a| !a.firing);
    for a in ordered.iter().take(CARD_ALERTS) {
        let name = a.name.as_str();
        let line =
            if a.firing { t!("card-alert-firing", "name" => name) } else { t!("card-alert-resolved", "name" => name) };
        lines.push(i18n.render(locale, &line));
    }
    if alerts.len() > CARD_ALERTS {
        lines.push(i18n.render(locale, &t!("card-alerts-more", "count" => alerts.len() - CARD_ALERTS)));
    }
    lines
}

/// `⏱ acknowledge: 4m left · first response: overdue by 2m`, or nothing when no clock runs.
pub fn clocks_line(clocks: &[(ClockKind, ClockStatus)], i18n: &I18n, locale: Locale) -> Option<String> {
    let parts: Vec<String> = clocks
        .iter()
        .filter_map(|&(kind, status)| {
            let clock = format::clock(kind);
            let text = match status {
                ClockStatus::Running { left } => t!("card-clock-left", "clock" => clock, "left" => format::span(left)),
                ClockStatus::Overdue { by } => t!("card-clock-overdue", "clock" => clock, "by" => format::span(by)),
                ClockStatus::Met { .. } | ClockStatus::Missed { .. } => return None,
            };
            Some(i18n.render(locale, &text))
        })
        .collect();
    (!parts.is_empty()).then(|| format!("⏱ {}", parts.join(" · ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presses_travel_as_short_callback_data_and_come_back() {
        for p in [Press::Ack(CaseId::parse("12").unwrap()), Press::Claim(CaseId::parse("999999999").unwrap())] {
            assert!(p.data().len() <= 64);
            assert_eq!(Press::parse(&p.data()), Some(p));
        }
        let v = DraftVersion::parse("12.1v3").unwrap();
        for p in [Press::Approve(v), Press::Reject(v)] {
            assert!(p.data().len() <= 64);
            assert_eq!(Press::parse(&p.data()), Some(p));
        }
        assert_eq!(Press::Approve(v).command(), "/approve 12.1v3");
        for bad in ["", "ack", "ack:", "ack:x", "close:1", "ack:-1", "ack:1:2", "approve:12", "reject:x.1"] {
            assert_eq!(Press::parse(bad), None, "{bad}");
        }
        assert_eq!(Press::Ack(CaseId::parse("3").unwrap()).command(), "/ack 3");
        let merge = Press::Merge { from: CaseId::parse("20").unwrap(), into: CaseId::parse("12").unwrap() };
        assert_eq!(Press::parse(&merge.data()), Some(merge));
        assert_eq!(merge.command(), "/merge 20 into 12");
        for bad in ["merge:1", "merge:1:", "merge::2", "merge:1:2:3"] {
            assert_eq!(Press::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_cards_alerts_are_counted_and_listed_firing_first_up_to_a_limit() {
        let i18n = I18n::new().unwrap();
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let alert = |n: usize, firing: bool| TrackedAlert {
            fingerprint: format!("am:{n}"),
            case: CaseId::parse("1").unwrap(),
            group: None,
            name: format!("DiskFull instance=db-{n}"),
            firing,
            changed_at: at,
            seen_at: at,
        };
        assert!(alert_lines(&[alert(0, true)], &i18n, Locale::En).is_empty(), "one alert: the card says it already");
        let five: Vec<_> = (0..5).map(|n| alert(n, n >= 3)).collect();
        let lines = alert_lines(&five, &i18n, Locale::En);
        assert_eq!(lines[0], "Alerts: 2 of 5 firing");
        assert!(lines[1].starts_with("🔴") && lines[1].contains("db-3"), "{lines:?}");
        assert!(lines[5].starts_with("🟢") && lines[5].contains("(resolved)"), "{lines:?}");
        let many: Vec<_> = (0..25).map(|n| alert(n, true)).collect();
        let lines = alert_lines(&many, &i18n, Locale::ZhCn);
        assert_eq!(lines.len(), 1 + CARD_ALERTS + 1);
        assert!(lines.last().unwrap().contains("15"), "{lines:?}");
    }

    #[test]
    fn long_summaries_are_cut_on_a_character_boundary() {
        assert_eq!(format::shorten("燃气泄漏", 2), "燃气…");
        assert_eq!(format::shorten("ok", 5), "ok");
    }
}
