//! SQLite's file system fails under a running tocsin: the disk fills up, or turns read-only.
//! Webhooks are answered 503 with `Retry-After` (never a hang, a 500 or a crash), the log says
//! what is wrong, nothing that got a 202 is lost, and a disk with space again is written to
//! again without a restart.

use crate::support;

use serde_json::Value;
use std::time::Duration;
use support::BOT_TOML;
use support::process::Tocsin;
use support::volume::Volume;

const TOKEN: &str = "wire-token-for-disks";
/// A guard against a hang, far above the few milliseconds an answer takes.
const HANG: Duration = Duration::from_secs(30);

struct Running {
    tocsin: Tocsin,
    url: String,
    client: reqwest::Client,
}

/// The real binary, with its SQLite database on `volume`.
fn start_on(volume: &Volume, config_dir: &std::path::Path) -> Running {
    let config = format!(
        "{BOT_TOML}\n[http]\nlisten = \"127.0.0.1:0\"\n\n[[sources]]\nname = \"wire\"\nkind = \"generic\"\ntoken_env = \"WIRE_TOKEN\"\n"
    );
    std::fs::write(config_dir.join("bot.toml"), config).unwrap();
    let database = format!("sqlite://{}/tocsin.db", volume.path.display());
    let env = [("WIRE_TOKEN", TOKEN), ("TOCSIN_DATABASE_URL", database.as_str())];
    let mut tocsin = Tocsin::start(config_dir, &["--log-format", "json", "run"], &env);
    let listening: Value = serde_json::from_str(&tocsin.expect_log("/readyz listening")).expect("a JSON line");
    let addr = listening["fields"]["addr"].as_str().expect("the listener's address").to_string();
    Running { tocsin, url: format!("http://{addr}/api/v1/signals"), client: reqwest::Client::new() }
}

/// A distinct report (its own story: the place and the kind differ), about 2 KB.
fn report(n: usize) -> Value {
    let places = ["Elm Street", "Harbour Road", "Mill Lane", "Station Square", "Birch Avenue", "Quay Walk"];
    let kinds = ["water main burst", "power outage", "gas smell", "collapsed wall", "blocked drain", "fallen tree"];
    let title = format!("{} at {} (report {n})", kinds[n % kinds.len()], places[(n / kinds.len()) % places.len()]);
    serde_json::json!({"source": "hotline", "title": title, "body": format!("{title}. {}", "Residents describe it at length. ".repeat(60))})
}

impl Running {
    /// Posts report `n` with its own idempotency key; returns the status and, for a 503, its
    /// `Retry-After`, and the body.
    async fn post(&self, n: usize) -> (u16, Option<u64>, Value) {
        let answer = self
            .client
            .post(&self.url)
            .bearer_auth(TOKEN)
            .header("Idempotency-Key", format!("report-{n}"))
            .json(&report(n))
            .timeout(HANG)
            .send()
            .await
            .expect("an answer, not a hang");
        let status = answer.status().as_u16();
        let retry = answer.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok());
        (status, retry, answer.json().await.unwrap_or(Value::Null))
    }

    /// Posts new reports until one is refused; returns the numbers taken (202) before it.
    async fn post_until_refused(&self, from: usize) -> (Vec<usize>, Value) {
        let mut taken = Vec::new();
        for n in from..from + 2_000 {
            match self.post(n).await {
                (202, _, _) => taken.push(n),
                (503, retry, body) => {
                    assert!(retry.is_some_and(|s| s >= 1), "a 503 says when to retry: {retry:?}");
                    return (taken, body);
                }
                (status, _, body) => panic!("report {n}: {status} {body}, not 202 or 503"),
            }
        }
        panic!("2,000 reports were taken on a volume that should be full")
    }

    /// Every report in `taken` is known to tocsin: sent again, it is answered as a duplicate.
    async fn all_kept(&self, taken: &[usize]) {
        for &n in taken {
            let (status, _, body) = self.post(n).await;
            assert_eq!((status, body["outcome"].as_str()), (202, Some("duplicate")), "report {n} was lost: {body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_sqlites_disk_full_webhooks_get_503_the_log_says_so_and_freed_space_is_used_again() {
    let Some(volume) = Volume::ext4(24) else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut running = start_on(&volume, dir.path());
    let (before, _, _) = running.post(0).await;
    assert_eq!(before, 202);

    let filler = volume.fill();
    let (mut taken, refusal) = running.post_until_refused(1).await;
    assert!(refusal["error"].as_str().unwrap_or_default().contains("retry"), "{refusal}");
    let said = running.tocsin.expect_log("the database did not take a signal");
    assert!(said.contains("database or disk is full"), "the log line says the disk is full: {said}");

    std::fs::remove_file(filler).expect("free the space");
    let mut n = 10_000;
    let deadline = tokio::time::Instant::now() + HANG;
    loop {
        match running.post(n).await {
            (202, _, _) => break,
            (503, _, _) => assert!(tokio::time::Instant::now() < deadline, "tocsin did not use the freed space"),
            (status, _, body) => panic!("{status} {body} after the space was freed"),
        }
        n += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    taken.extend([0, n]);
    running.all_kept(&taken).await;
    let (status, _, log) = running.tocsin.terminate();
    assert!(status.success(), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_sqlites_disk_turned_read_only_webhooks_get_503_and_the_log_says_so() {
    let Some(volume) = Volume::ext4(24) else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut running = start_on(&volume, dir.path());
    let mut taken = Vec::new();
    for n in 0..3 {
        assert_eq!(running.post(n).await.0, 202);
        taken.push(n);
    }

    volume.fail();
    let (more, refusal) = running.post_until_refused(3).await;
    assert!(refusal["error"].as_str().unwrap_or_default().contains("retry"), "{refusal}");
    let said = running.tocsin.expect_log("the database did not take a signal");
    let volume_path = volume.path.display().to_string();
    assert!(said.contains(&format!("the file system holding {volume_path}/tocsin.db is read-only")), "{said}");
    // Still answering, and still refusing with 503: nothing was half taken.
    for n in 100..105 {
        assert_eq!(running.post(n).await.0, 503, "report {n} on a read-only disk");
    }
    taken.extend(more);
    // What was taken before is still known: sent again, it is not taken in a second time.
    running.all_kept(&taken).await;
    let (_, _, log) = running.tocsin.terminate();
    assert!(!log.contains("panicked"), "{log}");
}
