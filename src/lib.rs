//! tocsin: a chat-ops bot for response teams.
//!
//! The crate is layered as docs/ARCHITECTURE.md §2 describes: a pure [`domain`] and [`command`]
//! grammar; [`app`] use cases that decide and commit through a [`store::Store`]; a
//! [`delivery`] worker that sends what the outbox holds; and thin [`platform`] adapters.
//! [`telemetry`] is what an instance counts about itself; [`ops`] serves it (`/metrics`,
//! `/readyz`) next to the intake webhooks.

pub mod app;
pub mod clock;
pub mod command;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod i18n;
pub mod intake;
pub mod leadership;
pub mod ops;
pub mod platform;
pub mod run;
pub mod status_page;
pub mod store;
pub mod telemetry;
pub mod text;
