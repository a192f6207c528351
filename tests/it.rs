//! Every integration test, in one binary: one link of the whole dependency graph instead of one
//! per test file (see `BENCHMARKS.md`, "Test build"). Each file under `tests/` is a module here;
//! `cargo test <module>::` runs one of them, e.g. `cargo test telegram_delivery::`.

#[macro_use]
mod support;

mod alertmanager;
mod alerts;
mod approvals;
mod clocks;
mod clocks_instances;
mod console;
mod db_faults;
mod db_faults_sqlite;
mod delivery;
mod discord;
mod drills;
mod fake_discord;
mod fake_telegram;
mod feeds;
mod hostile;
mod intake;
mod intake_feeds;
mod intake_hostile;
mod intake_trust;
mod leadership;
mod leadership_faults;
mod locales;
mod logs;
mod merge;
mod metrics;
mod permissions;
mod properties;
mod publishing;
mod readyz;
mod report;
mod robots;
mod shared_postgres;
mod status_page;
mod store_contract;
mod stories;
mod stories_reposts;
mod story_eval;
mod telegram;
mod telegram_delivery;
mod telegram_webhook;
