//! `--log-format json` with the real binary: every line on stderr is one JSON object, and the
//! lines a webhook call causes carry its request id (the caller's, or one made up) and the case.

use crate::support;

use serde_json::Value;
use support::BOT_TOML;
use support::process::Tocsin;

const TOKEN: &str = "wire-token-for-logs";
const GAS_LEAK: &str =
    r#"{"source": "hotline-desk", "title": "Gas leak reported on Elm Street", "body": "Residents smell gas."}"#;

/// The log lines (as JSON) whose spans include one with `field` = `value`.
fn in_span<'a>(lines: &'a [Value], field: &str, value: &Value) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|l| l["spans"].as_array().is_some_and(|spans| spans.iter().any(|s| &s[field] == value)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_each_webhook_calls_request_id_and_the_case_it_touched() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{BOT_TOML}\n[http]\nlisten = \"127.0.0.1:0\"\n\n[[sources]]\nname = \"wire\"\nkind = \"generic\"\ntoken_env = \"WIRE_TOKEN\"\n"
    );
    std::fs::write(dir.path().join("bot.toml"), config).unwrap();
    let env = [("WIRE_TOKEN", TOKEN), ("RUST_LOG", "warn,tocsin=debug")];
    let mut tocsin = Tocsin::start(dir.path(), &["--log-format", "json", "run"], &env);
    let listening: Value = serde_json::from_str(&tocsin.expect_log("/readyz listening")).expect("a JSON line");
    let addr = listening["fields"]["addr"].as_str().expect("the listener's address").to_string();

    let client = reqwest::Client::new();
    let url = format!("http://{addr}/api/v1/signals");
    let given = client.post(&url).bearer_auth(TOKEN).header("x-request-id", "webhook-call-1").body(GAS_LEAK);
    let given = given.send().await.expect("the intake answers");
    assert_eq!(given.status().as_u16(), 202);
    assert_eq!(given.headers()["x-request-id"], "webhook-call-1", "a sane id is the caller's own");
    let again = client.post(&url).bearer_auth(TOKEN).header("x-request-id", "has spaces; not sane").body(GAS_LEAK);
    let again = again.send().await.expect("the intake answers");
    let made_up = again.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(made_up.len(), 36, "an insane id is replaced by a UUID: {made_up}");
    tocsin.send("/ack 1");
    tocsin.expect("acknowledged by Alice Chen");

    let (status, _, stderr) = tocsin.finish();
    assert!(status.success(), "{stderr}");
    let lines: Vec<Value> =
        stderr.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    let first = in_span(&lines, "request_id", &Value::from("webhook-call-1"));
    let taken = first.iter().find(|l| l["fields"]["message"] == "signal taken in").expect("the outcome is logged");
    assert_eq!(taken["fields"]["outcome"], "opened");
    assert_eq!(taken["fields"]["case"], 1);
    assert_eq!(taken["fields"]["source"], "wire", "the configured source, not the body's");
    let second = in_span(&lines, "request_id", &Value::from(made_up.as_str()));
    assert!(
        second.iter().any(|l| l["fields"]["message"] == "signal taken in" && l["fields"]["case"] == 1),
        "the retold story joined case 1: {second:#?}"
    );
    let command = in_span(&lines, "case", &Value::from(1));
    assert!(command.iter().any(|l| l["fields"]["message"] == "command committed"), "{command:#?}");
    assert!(!stderr.contains(TOKEN), "secrets are never logged");
}
