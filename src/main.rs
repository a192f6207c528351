//! The `tocsin` command line. Kept thin: each subcommand calls into the library.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tocsin::config::{Config, DATABASE_ENV};

#[derive(Parser)]
#[command(name = "tocsin", version, about = "A chat-ops bot for response teams")]
struct Cli {
    /// How log lines are written to stderr: `text` for people, `json` (one object a line, with
    /// the request id and case in its spans) for log collectors.
    #[arg(long, value_enum, default_value = "text", global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start everything bot.toml enables (with the committed bot.toml: SQLite and the console).
    Run {
        #[arg(long, default_value = "bot.toml")]
        config: PathBuf,
    },
    /// Check bot.toml and report every problem with its key path.
    CheckConfig {
        #[arg(long, default_value = "bot.toml")]
        config: PathBuf,
    },
    /// Print the leaders' report (new, open, overdue, missed deadlines) as Markdown or CSV.
    Report {
        /// First day of the period (YYYY-MM-DD), from local midnight in each team's time zone.
        #[arg(long, required_unless_present = "drill")]
        since: Option<chrono::NaiveDate>,
        /// Instead of the leaders' report: the after-action report of this drill, as Markdown.
        #[arg(long, conflicts_with_all = ["since", "until", "team"])]
        drill: Option<i64>,
        /// Day after the last one (YYYY-MM-DD); without it the period runs until now.
        #[arg(long)]
        until: Option<chrono::NaiveDate>,
        #[arg(long, value_enum, default_value = "md")]
        format: ReportFormat,
        /// Only this team (by its name in bot.toml); every team by default.
        #[arg(long)]
        team: Option<String>,
        /// Language of the Markdown (en or zh-CN); bot.toml's default locale otherwise.
        #[arg(long)]
        lang: Option<String>,
        /// Database URL; defaults to $TOCSIN_DATABASE_URL, then to bot.toml's `database`.
        #[arg(long, env = DATABASE_ENV, hide_env_values = true)]
        database: Option<String>,
        #[arg(long, default_value = "bot.toml")]
        config: PathBuf,
    },
    /// Clear third-party signal text older than `[retention] signal_text` (tocsin also does this
    /// hourly while it runs).
    Purge {
        /// Only count what would be cleared.
        #[arg(long)]
        dry_run: bool,
        /// Database URL; defaults to $TOCSIN_DATABASE_URL, then to bot.toml's `database`.
        #[arg(long, env = DATABASE_ENV, hide_env_values = true)]
        database: Option<String>,
        #[arg(long, default_value = "bot.toml")]
        config: PathBuf,
    },
    /// Apply database migrations and exit.
    Migrate {
        /// Database URL; defaults to $TOCSIN_DATABASE_URL, then to bot.toml's `database`.
        #[arg(long, env = DATABASE_ENV, hide_env_values = true)]
        database: Option<String>,
        #[arg(long, default_value = "bot.toml")]
        config: PathBuf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Md,
    Csv,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tocsin: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(dispatch(cli.command));
    // Reading stdin blocks a thread that cannot be cancelled; do not wait for it on exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tocsin: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr (stdout is the console's chat), filtered by `RUST_LOG`.
fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,tocsin=info".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
        LogFormat::Json => logs.json().with_current_span(true).with_span_list(true).init(),
    }
}

async fn dispatch(cmd: Cmd) -> anyhow::Result<()> {
    match cmd {
        Cmd::Run { config } => tocsin::run::run(Config::load(&config)?).await,
        Cmd::CheckConfig { config } => {
            Config::load(&config)?;
            println!("{}: ok", config.display());
            Ok(())
        }
        Cmd::Report { since, drill, until, format, team, lang, database, config } => {
            use tocsin::app::report;
            let config = Config::load(&config)?;
            let locale = match lang {
                Some(l) => tocsin::domain::Locale::parse(&l).with_context(|| format!("unknown language {l:?}"))?,
                None => config.default_locale,
            };
            let url = database.unwrap_or_else(|| config.database_url.clone());
            let store = tocsin::store::connect(&url).await?;
            store.migrate().await.context("migrating the database")?;
            let format = match format {
                ReportFormat::Md => report::Format::Markdown,
                ReportFormat::Csv => report::Format::Csv,
            };
            let i18n = tocsin::i18n::I18n::new()?;
            if let Some(drill) = drill {
                let md = tocsin::app::drills::report::markdown(store.as_ref(), &config, &i18n, drill, locale).await?;
                print!("{md}");
                return Ok(());
            }
            let since = since.context("--since is needed")?;
            let req = report::Request { team, since, until, format, locale };
            print!("{}", report::for_command_line(store.as_ref(), &config, &i18n, &req, chrono::Utc::now()).await?);
            Ok(())
        }
        Cmd::Purge { dry_run, database, config } => {
            let config = Config::load(&config)?;
            let retention =
                config.retention.clone().context("bot.toml has no [retention] section: nothing is cleared")?;
            let store = tocsin::store::connect(&database.unwrap_or_else(|| config.database_url.clone())).await?;
            store.migrate().await.context("migrating the database")?;
            let p = tocsin::app::retention::purge(store.as_ref(), &retention, chrono::Utc::now(), dry_run).await?;
            let before = p.before.format("%Y-%m-%d %H:%M UTC");
            match dry_run {
                true => {
                    println!("{} signals received before {before} would have their text cleared (dry run)", p.signals)
                }
                false => println!("cleared the text of {} signals received before {before}", p.signals),
            }
            Ok(())
        }
        Cmd::Migrate { database, config } => {
            let url = match database {
                Some(url) => url,
                None => Config::load(&config)?.database_url,
            };
            let store = tocsin::store::connect(&url).await?;
            store.migrate().await.context("migrating the database")?;
            println!("migrations applied");
            Ok(())
        }
    }
}
