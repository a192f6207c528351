//! The pure core: cases, grades, roles, response clocks, the duty roster and the facts the
//! event log records.
//!
//! Nothing in here performs I/O or reads the wall clock; every decision takes `now` from
//! the caller so that time rules can be tested without sleeping.

pub mod approval;
pub mod case;
pub mod clocks;
pub mod event;
pub mod grade;
pub mod grading;
pub mod locale;
pub mod role;
pub mod roster;
pub mod span;
pub mod untrusted;

pub use case::{Case, CaseId, CaseState, NewCase, TransitionError};
pub use clocks::{ClockDurations, ClockFacts, ClockKind, ClockPolicy, ClockStatus, Due, Stage};
pub use event::{Event, EventAction, NewEvent};
pub use grade::Grade;
pub use locale::Locale;
pub use role::{Action, Refusal, Role, Roles};
pub use roster::{Duty, Every, NewCaseDuty, Rotation, Shift, Swap};
pub use span::{Span, SpanError};
