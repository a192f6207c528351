//! Chaos (issue 12): real `tocsin` processes — this build's release binary — on one database,
//! against the fake Telegram Bot API (`tests/support/fake_telegram`) on loopback, killed with
//! SIGKILL or cut off from Postgres. Prints what happened; asserts nothing about time, but ends
//! non-zero when work was lost or done twice.
//!
//! Scenarios (`CHAOS=failover,limits,kill,outage`, all by default):
//! - `failover`: 3 instances on Postgres, a flood of `/new` commands, the leader SIGKILLed three
//!   times (each time restarted as a standby): how long until another leads and answers, and
//!   what was answered twice or never;
//! - `limits`: 1,000 cases opened across 3 instances' intake webhooks: sends per second to the
//!   Bot API in total and per minute to the team group, at their worst;
//! - `kill`: a 10,000-signal intake flood (16 clients) with tocsin SIGKILLed at 5 random points
//!   and restarted, on SQLite and on Postgres: every 202 kept, no story with two cases;
//! - `outage`: intake load while the Postgres connection is cut for 30 s (or, with
//!   `CHAOS_PG_STOP` and `CHAOS_PG_START` set to shell commands, the server stopped and started):
//!   answers by status, and how long until the first 202 once it is back.
//!
//! `cargo bench --bench chaos` (Postgres from `BENCH_DATABASE_URL` or `TEST_DATABASE_URL`).

#[path = "../../tests/support/fake_telegram/mod.rs"]
mod fake_telegram;
#[path = "../../tests/support/proxy.rs"]
mod proxy;
#[path = "../support/mod.rs"]
#[allow(dead_code, unused_imports)] // shared with the load benches; this one uses part of it
mod support;

mod failover;
mod instance;
mod intake_kill;
mod limits;
mod outage;

use support::Backend;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let chosen = std::env::var("CHAOS").unwrap_or_else(|_| "failover,limits,kill,outage".into());
    let backends = support::Backends::from_env("CHAOS_BACKENDS");
    println!("machine: {}; load average at start: {}", support::machine(), support::loadavg());
    let mut faults = 0;
    if chosen.contains("failover") {
        faults += with_postgres(&backends, "failover", failover::run).await?;
    }
    if chosen.contains("limits") {
        faults += with_postgres(&backends, "limits", limits::run).await?;
    }
    if chosen.contains("kill") {
        for backend in Backend::ALL {
            if backends.start(backend) {
                let db = support::Db::fresh(backend, backends.admin(), "tocsin_chaos").await?;
                faults += intake_kill::run(&db).await?;
                db.remove().await;
            }
        }
    }
    if chosen.contains("outage") {
        faults += with_postgres(&backends, "outage", outage::run).await?;
    }
    if faults > 0 {
        anyhow::bail!("{faults} faults: work lost or done twice (see above)");
    }
    Ok(())
}

async fn with_postgres<F, Fut>(backends: &support::Backends, name: &str, scenario: F) -> anyhow::Result<usize>
where
    F: FnOnce(support::Db) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    let Some(admin) = backends.admin() else {
        println!("NOTICE: {name} needs Postgres (BENCH_DATABASE_URL or TEST_DATABASE_URL): skipped\n");
        return Ok(0);
    };
    println!("=== {name} (postgres) ===");
    let db = support::Db::fresh(Backend::Postgres, Some(admin), "tocsin_chaos").await?;
    scenario(db).await
}
