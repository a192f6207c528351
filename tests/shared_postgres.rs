//! Several instances, one Postgres: nothing a case depends on lives only in one process.

use crate::support;

use support::process::Tocsin;
use support::{BOT_TOML, TestDb};

#[tokio::test]
#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]
async fn two_consoles_on_one_postgres_database_see_each_others_cases() {
    let Some(db) = TestDb::postgres().await else { return };
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [&dir_a, &dir_b] {
        std::fs::write(dir.path().join("bot.toml"), BOT_TOML).unwrap();
    }
    let env = [("TOCSIN_DATABASE_URL", db.url.as_str())];
    let mut a = Tocsin::start(dir_a.path(), &["run"], &env);
    let mut b = Tocsin::start(dir_b.path(), &["run"], &env);

    a.send("/new Gas smell near the school | reported by a parent");
    // Either instance may deliver the announcement (they share the outbox); A's own
    // /status proves the commit happened before B is asked.
    a.send("/status 1");
    a.expect("[ops]   Opened");

    b.send("/status 1");
    b.expect("[ops] 🔵 #1 Gas smell near the school");
    b.expect("[ops]   🔵 Grade IV (blue) · open");
    b.send("/ack 1");
    b.send("/claim 1");
    b.send("/status 1");
    b.expect("[ops]   🔵 Grade IV (blue) · responding");

    a.send("/list");
    a.expect("[ops]   #1 🔵 IV · responding · Alice Chen · Gas smell near the school");
    a.send("/new II Power cut in district 4");
    a.send("/status 2");
    a.expect("[ops] 🟠 #2 Power cut in district 4");
    b.send("/status 2");
    b.expect("[ops]   🟠 Grade II (orange) · open");

    let (status_a, out_a, err_a) = a.finish();
    let (status_b, out_b, err_b) = b.finish();
    assert!(status_a.success() && status_b.success(), "{err_a}\n{err_b}");
    // Every announcement was printed exactly once, by one instance or the other.
    let all = format!("{out_a}\n{out_b}");
    for notice in ["🆕 #1 Gas smell", "👀 #1 Gas smell", "🙋 #1 Gas smell", "🆕 #2 Power cut"] {
        assert_eq!(all.matches(notice).count(), 1, "{notice:?} in\n--- A\n{out_a}\n--- B\n{out_b}");
    }
}
