//! Commands of the one public voice: drafts, approval, concerns, publishing, progress updates.

use super::{Command, Problem, bounded, command_spec, first_word, only, with_text};
use crate::app::statements::UpdateStatus;
use crate::domain::approval::{DraftRef, DraftVersion};
use crate::domain::{Action, CaseId};

/// A statement fits one Telegram message (4,096 UTF-16 units) with room to spare, and its
/// draft card too (see `app::drafts::card`). Discord, when it comes, splits it (2,000).
pub const MAX_STATEMENT: usize = 3000;

pub static DRAFT: super::Spec = command_spec!(
    /// /draft <case> <text>
    /// Write a reply for the public about a case; leaders approve it before it is published.
    "draft", Action::Draft, parse_draft
);

pub static REDRAFT: super::Spec = command_spec!(
    /// /redraft <draft> <text>
    /// Write a new version of a draft (such as 12.1); it needs approving again.
    "redraft", Action::Redraft, parse_redraft
);

pub static APPROVE: super::Spec = command_spec!(
    /// /approve <draft>
    /// Approve the latest version of a draft such as 12.1 (or one version: 12.1v2); not your own.
    "approve", Action::Approve, |a| version_only(a).map(|draft| Command::Approve { draft })
);

pub static REJECT: super::Spec = command_spec!(
    /// /reject <draft> <reason>
    /// Reject the latest version of a draft, saying why; it can be redrafted.
    "reject", Action::Reject, parse_reject
);

pub static CONCERN: super::Spec = command_spec!(
    /// /concern <draft> <text>
    /// Hold a draft: it cannot be approved or published until you withdraw your concern.
    "concern", Action::Concern, |a| draft_and_text(a, super::cases::MAX_TEXT).map(|(draft, text)| Command::Concern { draft, text })
);

pub static WITHDRAW: super::Spec = command_spec!(
    /// /withdraw <draft>
    /// Withdraw your concerns about a draft.
    "withdraw", Action::Withdraw, |a| draft_only(a).map(|draft| Command::Withdraw { draft })
);

pub static PUBLISH: super::Spec = command_spec!(
    /// /publish <draft>
    /// Publish the approved latest version of a draft to every public outlet of the team.
    "publish", Action::Publish, |a| version_only(a).map(|draft| Command::Publish { draft })
);

pub static UPDATE: super::Spec = command_spec!(
    /// /update <case> <investigating|identified|monitoring|resolved> <text>
    /// A progress update for the public; approved like a reply unless bot.toml pre-approves it.
    "update", Action::Update, parse_update
);

fn parse_draft(args: &str) -> Result<Command, Problem> {
    let (case, text) = first_word(args);
    let case = CaseId::parse(case).ok_or(Problem::Usage)?;
    Ok(Command::Draft { case, text: bounded(text, MAX_STATEMENT)? })
}

fn parse_redraft(args: &str) -> Result<Command, Problem> {
    draft_and_text(args, MAX_STATEMENT).map(|(draft, text)| Command::Redraft { draft, text })
}

fn parse_update(args: &str) -> Result<Command, Problem> {
    let (case, rest) = first_word(args);
    let (status, text) = first_word(rest);
    let case = CaseId::parse(case).ok_or(Problem::Usage)?;
    let status = UpdateStatus::parse(status).ok_or(Problem::Usage)?;
    Ok(Command::Update { case, status, text: bounded(text, MAX_STATEMENT)? })
}

fn parse_reject(args: &str) -> Result<Command, Problem> {
    let (draft, reason) = with_text(args, super::cases::MAX_TEXT, DraftVersion::parse)?;
    Ok(Command::Reject { draft, reason })
}

fn version_only(args: &str) -> Result<DraftVersion, Problem> {
    only(args, DraftVersion::parse)
}

fn draft_only(args: &str) -> Result<DraftRef, Problem> {
    only(args, DraftRef::parse)
}

fn draft_and_text(args: &str, max: usize) -> Result<(DraftRef, String), Problem> {
    with_text(args, max, DraftRef::parse)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::parse;

    fn d(s: &str) -> DraftVersion {
        DraftVersion::parse(s).unwrap()
    }

    #[test]
    fn draft_commands_parse_their_draft_and_text() {
        assert_eq!(
            parse("/draft #12 We are aware of a gas smell near Elm Street.", None),
            Ok(Command::Draft {
                case: CaseId::parse("12").unwrap(),
                text: "We are aware of a gas smell near Elm Street.".into()
            })
        );
        assert_eq!(parse("/approve 12.1", None), Ok(Command::Approve { draft: d("12.1") }));
        assert_eq!(parse("/publish #12.2", None), Ok(Command::Publish { draft: d("12.2") }));
        assert_eq!(parse("/approve 12.1v3", None), Ok(Command::Approve { draft: d("12.1v3") }));
        assert_eq!(
            parse("/reject 12.1 numbers not confirmed", None),
            Ok(Command::Reject { draft: d("12.1"), reason: "numbers not confirmed".into() })
        );
        assert_eq!(
            parse("/update 12 Monitoring 供水已恢复", None),
            Ok(Command::Update {
                case: CaseId::parse("12").unwrap(),
                status: UpdateStatus::Monitoring,
                text: "供水已恢复".into()
            })
        );
    }

    #[test]
    fn malformed_draft_commands_get_the_usage_line() {
        for bad in [
            "/draft 12",
            "/draft x text",
            "/redraft 12 text",
            "/approve 12",
            "/approve 12.1 now",
            "/reject 12.1",
            "/concern 12.1",
            "/withdraw",
            "/publish",
            "/update 12 fixed it",
            "/update 12 resolved",
        ] {
            assert!(
                matches!(
                    parse(bad, None),
                    Err(crate::command::ParseError::BadArguments { problem: Problem::Usage, .. })
                ),
                "{bad}"
            );
        }
        let long = format!("/draft 1 {}", "x".repeat(MAX_STATEMENT + 1));
        assert!(matches!(
            parse(&long, None),
            Err(crate::command::ParseError::BadArguments { problem: Problem::TooLong { .. }, .. })
        ));
    }
}
