//! The ledger after a run: how the stories fell into cases, and what the story lookup costs over it.

use crate::support::{Backend, Db};
use chrono::Utc;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;
use tocsin::store::Store;

pub struct Ledger {
    pub cases: i64,
    pub signals: i64,
    /// (case, url) of every signal.
    rows: Vec<(i64, Option<String>)>,
}

pub async fn ledger(db: &Db) -> Ledger {
    const CASES: &str = "SELECT COUNT(*) FROM cases";
    const SIGNALS: &str = "SELECT case_id, url FROM signals";
    let (cases, rows) = match db.backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.expect("open the ledger");
            let cases: i64 = sqlx::query_scalar(CASES).fetch_one(&pool).await.expect("count cases");
            let rows = sqlx::query_as(SIGNALS).fetch_all(&pool).await.expect("read signals");
            pool.close().await;
            (cases, rows)
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.expect("open the ledger");
            let cases: i64 = sqlx::query_scalar(CASES).fetch_one(&pool).await.expect("count cases");
            let rows = sqlx::query_as(SIGNALS).fetch_all(&pool).await.expect("read signals");
            pool.close().await;
            (cases, rows)
        }
    };
    Ledger { cases, signals: rows.len() as i64, rows }
}

impl Ledger {
    /// Stories split over several cases, and cases holding several stories.
    pub fn print_stories(&self) {
        let mut cases_of: HashMap<u64, HashSet<i64>> = HashMap::new();
        let mut stories_of: HashMap<i64, HashSet<u64>> = HashMap::new();
        for (case, url) in &self.rows {
            let Some(seed) = url.as_deref().and_then(|u| u.split('/').nth(4)).and_then(|s| s.parse().ok()) else {
                continue;
            };
            cases_of.entry(seed).or_default().insert(*case);
            stories_of.entry(*case).or_default().insert(seed);
        }
        let split = cases_of.values().filter(|c| c.len() > 1).count();
        let merged = stories_of.values().filter(|s| s.len() > 1).count();
        let reports = self.rows.len() - cases_of.len();
        let mut per_case: HashMap<i64, usize> = HashMap::new();
        for (case, _) in &self.rows {
            *per_case.entry(*case).or_insert(0) += 1;
        }
        let largest = per_case.values().copied().max().unwrap_or(0);
        println!(
            "stories: {} distinct ({reports} later reports of one); {split} stories split over several cases, \
             {merged} cases holding several stories; the largest case has {largest} signals",
            cases_of.len()
        );
    }
}

/// Median time of `Store::story_hashes` over the last hour, as the pipeline calls it.
pub async fn scan_time(store: &Arc<dyn Store>) -> f64 {
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let rows = store.story_hashes(Utc::now() - chrono::Duration::hours(1), None).await.expect("story signals");
        times.push(started.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(rows);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}
