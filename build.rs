//! Lets the tests show a Postgres test that cannot run as *ignored* rather than as a silent "ok".
//!
//! Without `TEST_DATABASE_URL` this sets `cfg(no_test_database)`, and every Postgres test carries
//! `#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]`, so
//! `cargo test` lists it as ignored with that reason. Under `CI=true` the cfg is never set: the
//! tests run, and `tests/support/mod.rs` fails them when the variable is missing, because in CI a
//! Postgres test must not skip. Changing either variable rebuilds the crate and its tests.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rustc-check-cfg=cfg(no_test_database)");
    let database = std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.trim().is_empty());
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !database && !ci {
        println!("cargo::rustc-cfg=no_test_database");
    }
}
