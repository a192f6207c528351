//! Roles and the permission matrix: who may do what.
//!
//! The matrix is one `match` so it can be read at a glance and tested exhaustively
//! (every action × every role) in `tests/permissions.rs`.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Reports sightings, acknowledges, claims and works cases, drafts replies.
    Member,
    /// Assigns owners, regrades, extends deadlines, approves drafts, closes cases.
    Leader,
    /// Publishes approved statements and progress updates.
    Spokesperson,
    /// Reads, cannot change anything.
    Observer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Member, Role::Leader, Role::Spokesperson, Role::Observer];

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Leader => "leader",
            Role::Spokesperson => "spokesperson",
            Role::Observer => "observer",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The set of roles a person holds. Copyable and tiny: a bit per role.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Roles(u8);

impl Roles {
    pub fn of(roles: &[Role]) -> Roles {
        Roles(roles.iter().fold(0, |acc, r| acc | r.bit()))
    }

    pub fn contains(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Debug for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Everything a person can ask tocsin to do; the subject of a permission decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Help,
    WhoAmI,
    Status,
    List,
    New,
    Ack,
    Claim,
    Resolve,
    Assign,
    Grade,
    Reopen,
    Dismiss,
    Close,
    Lang,
    Due,
    Duty,
    DutySwap,
    Watch,
    Report,
    Draft,
    Redraft,
    Approve,
    Reject,
    Concern,
    Withdraw,
    Publish,
    Update,
    Drill,
    Merge,
    Split,
}

impl Action {
    pub const ALL: [Action; 30] = [
        Action::Help,
        Action::WhoAmI,
        Action::Status,
        Action::List,
        Action::New,
        Action::Ack,
        Action::Claim,
        Action::Resolve,
        Action::Assign,
        Action::Grade,
        Action::Reopen,
        Action::Dismiss,
        Action::Close,
        Action::Lang,
        Action::Due,
        Action::Duty,
        Action::DutySwap,
        Action::Watch,
        Action::Report,
        Action::Draft,
        Action::Redraft,
        Action::Approve,
        Action::Reject,
        Action::Concern,
        Action::Withdraw,
        Action::Publish,
        Action::Update,
        Action::Drill,
        Action::Merge,
        Action::Split,
    ];

    /// The roles of which a person needs at least one; empty means anyone who is configured.
    pub fn allowed_roles(self) -> &'static [Role] {
        use Action::*;
        const ANYONE: &[Role] = &[];
        const WORKERS: &[Role] = &[Role::Member, Role::Leader];
        const LEADERS: &[Role] = &[Role::Leader];
        const SPOKESPERSONS: &[Role] = &[Role::Spokesperson];
        const VOICES: &[Role] = &[Role::Member, Role::Leader, Role::Spokesperson];
        match self {
            // The report reads what /list and /status already show anyone.
            Help | WhoAmI | Status | List | Duty | Report => ANYONE,
            New | Ack | Claim | Resolve => WORKERS,
            // Changing who is in charge, how serious it is, whether it is over, and the
            // team chat's language are leaders' decisions (docs/ARCHITECTURE.md §1).
            Assign | Grade | Reopen | Dismiss | Close | Lang => LEADERS,
            // Moving deadlines, the roster and the team's state of alert likewise.
            Due | DutySwap | Watch => LEADERS,
            // What is one story and what is two decides grades, clocks and drafts.
            Merge | Split => LEADERS,
            // Starting a rehearsal takes the team's attention: a leader's call.
            Drill => LEADERS,
            // Replies are written by the people working the case, approved by leaders, and
            // spoken by spokespersons only (docs/ARCHITECTURE.md §1, rule 4). Anyone who works on the
            // response may hold a draft with a concern.
            Draft | Redraft => WORKERS,
            Approve | Reject => LEADERS,
            Concern | Withdraw => VOICES,
            Publish | Update => SPOKESPERSONS,
        }
    }

    /// Decides whether a person holding `roles` may perform this action.
    pub fn check(self, roles: Roles) -> Result<(), Refusal> {
        let allowed = self.allowed_roles();
        if allowed.is_empty() || allowed.iter().any(|r| roles.contains(*r)) {
            Ok(())
        } else {
            Err(Refusal { action: self, needed: allowed })
        }
    }
}

/// A permission refusal: names the roles that would have been enough.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub action: Action,
    pub needed: &'static [Role],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_only_known_names() {
        assert_eq!(Role::parse("leader"), Some(Role::Leader));
        assert_eq!(Role::parse("admin"), None);
        assert_eq!(Role::parse("Leader"), None);
    }

    #[test]
    fn a_role_set_holds_exactly_what_it_was_given() {
        let r = Roles::of(&[Role::Member, Role::Spokesperson]);
        assert!(r.contains(Role::Member) && r.contains(Role::Spokesperson));
        assert!(!r.contains(Role::Leader) && !r.contains(Role::Observer));
        assert_eq!(r.iter().count(), 2);
    }

    #[test]
    fn a_refusal_names_the_roles_needed() {
        let err = Action::Close.check(Roles::of(&[Role::Member])).unwrap_err();
        assert_eq!(err.needed, &[Role::Leader]);
    }
}
