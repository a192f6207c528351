//! What the load benches (`intake_load`, `clocks_load`) share: the backends and the throwaway
//! ledger of a run, the bench config's starting point, env knobs, and what /proc says about the
//! machine and CPU time. Each bench includes it with `#[path = "../support/mod.rs"] mod support;`.

mod db;
mod machine;
#[path = "../../tests/support/pg_url.rs"]
mod pg_url;

pub use db::Db;
pub use machine::{MachineTicks, loadavg, machine, stat};

/// The committed bot.toml, which each bench adapts to what it measures.
pub const BOT_TOML: &str = include_str!("../../bot.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Every backend, in the order the benches run them.
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The backends a run asks for, and the Postgres server its databases are made on.
pub struct Backends {
    /// The knob's value, `sqlite,postgres` unless set.
    chosen: String,
    /// `BENCH_DATABASE_URL`, else `TEST_DATABASE_URL`.
    admin: Option<String>,
}

impl Backends {
    /// The backends the env knob `var` names (default both).
    pub fn from_env(var: &str) -> Backends {
        let chosen = std::env::var(var).unwrap_or_else(|_| "sqlite,postgres".into());
        let admin = ["BENCH_DATABASE_URL", "TEST_DATABASE_URL"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()));
        Backends { chosen, admin }
    }

    /// The URL of the Postgres server databases are made on, when one is named.
    pub fn admin(&self) -> Option<&str> {
        self.admin.as_deref()
    }

    /// Whether `backend` runs: asked for, and for Postgres a server named. Says so when Postgres
    /// is skipped for want of a server, and prints the `=== name ===` header of a backend that runs.
    pub fn start(&self, backend: Backend) -> bool {
        if !self.chosen.contains(backend.name()) {
            return false;
        }
        if backend == Backend::Postgres && self.admin.is_none() {
            println!("NOTICE: neither BENCH_DATABASE_URL nor TEST_DATABASE_URL is set: Postgres is skipped\n");
            return false;
        }
        println!("=== {} ===", backend.name());
        true
    }
}

/// The number the env knob `key` holds, or `default` when it is unset or not a number.
pub fn env_num<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}
