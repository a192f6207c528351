//! Text analysis speed: segmentation, keyword rules, SimHash, and Python jieba beside them.
//!
//! Everything runs on one thread, one measurement at a time. Texts: a ~200 B news sentence and a
//! ~4 KB article (`src/text/testdata/news_zh.txt`, Chinese with two English paragraphs), and a
//! ≥ 1 MiB Chinese text made by drawing the article's Chinese sentences in a fixed pseudo-random
//! order. Rules: 6 categories × 10 terms, as a team would configure them.
//!
//! Latencies are per call (`Instant` around each call), p50/p99 over as many calls as fit in a
//! fixed time budget. Throughput is MB/s (10^6 bytes of UTF-8 input per second), median of runs.
//! Then the same texts go to Python `jieba` in a throwaway venv (`bench/python_jieba.py`), in
//! this same run; if Python, venv or pip fail, that is printed and the Rust figures stand.
//!
//! Run with `cargo bench --bench text`. Results go to BENCHMARKS.md by hand; nothing here
//! asserts anything about time.

use serde_json::Value;
use std::hint::black_box;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tocsin::domain::grading::{self, CategoryHit, Weights};
use tocsin::text::{Analyzer, Category, Hit, Rules, simhash};

const ARTICLE: &str = include_str!("../src/text/testdata/news_zh.txt");
/// Time spent measuring one latency figure (after a short warm-up).
const BUDGET: Duration = Duration::from_millis(1500);
const MAX_CALLS: usize = 200_000;
const LONG_BYTES: usize = 1 << 20;
/// Runs of each throughput figure: enough for a median that other work on the machine cannot
/// move much.
const LONG_RUNS: usize = 15;
const WEIGHTS: Weights = Weights {
    thresholds: [12.0, 8.0, 4.0],
    attention_weight: 1.0,
    diffusion_weight: 2.0,
    max_attention: grading::DEFAULT_MAX_ATTENTION,
};

fn main() {
    machine();
    let started = Instant::now();
    let analyzer = Analyzer::new(None).expect("the built-in dictionary loads");
    println!("Analyzer::new (jieba dictionary load): {:.0} ms", started.elapsed().as_secs_f64() * 1e3);
    let jieba = jieba_rs::Jieba::new();
    let rules = Rules::new(&analyzer, &categories());

    let small = ARTICLE.lines().next().expect("the article has lines");
    let long = long_chinese();
    let sizes = [("~200 B", small), ("~4 KB", ARTICLE)];
    println!("texts: {} B, {} B, long {} B\n", small.len(), ARTICLE.len(), long.len());

    if std::env::args().skip(1).any(|a| a == "grading") {
        return grading_only(&analyzer, &rules, &sizes);
    }

    let mut rows: Vec<(&str, Vec<Stats>)> = Vec::new();
    let mut row = |name, f: &dyn Fn(&str) -> Stats| rows.push((name, sizes.iter().map(|(_, t)| f(t)).collect()));
    row("jieba-rs `cut(text, true)` (raw, for reference)", &|t| latency(|| jieba.cut(t, true)));
    row("(a) `Analyzer::tokens`", &|t| latency(|| analyzer.tokens(t)));
    row("(b) `Rules::classify` on tokens", &|t| {
        let tokens = analyzer.tokens(t);
        latency(|| rules.classify(&tokens))
    });
    row("grading step: classify + `grading::assess`", &|t| {
        let tokens = analyzer.tokens(t);
        latency(|| grade(rules.classify(&tokens)))
    });
    row("(c) `simhash` on tokens", &|t| {
        let tokens = analyzer.tokens(t);
        latency(|| simhash(&tokens))
    });
    row("(d) whole path: tokens + classify + simhash", &|t| latency(|| whole(&analyzer, &rules, t)));

    let hits = rules.classify(&analyzer.tokens(ARTICLE));
    println!("4 KB text: {} tokens, hits: {:?}\n", analyzer.tokens(ARTICLE).len(), summary(&hits));

    let throughput = [
        ("jieba-rs `cut(text, true)`", throughput(&long, |t| jieba.cut(t, true).len())),
        ("`Analyzer::tokens`", throughput(&long, |t| analyzer.tokens(t).len())),
        ("whole path: tokens + classify + simhash", throughput(&long, |t| whole(&analyzer, &rules, t).0)),
    ];

    println!("load average after the Rust measurements: {}", loadavg());
    let python = python_jieba(small, ARTICLE, &long);
    let py_rows = match &python {
        Ok(py) => {
            println!(
                "Python {} with jieba {} (dictionary load {:.0} ms); tokens on the 4 KB text: Python {}, jieba-rs {}",
                py["python"].as_str().unwrap_or("?"),
                py["jieba"].as_str().unwrap_or("?"),
                py["init_ms"].as_f64().unwrap_or(f64::NAN),
                py["medium"]["tokens"],
                jieba.cut(ARTICLE, true).len()
            );
            let stats = |k: &str| Stats::from_json(&py[k]);
            Some((vec![stats("small"), stats("medium")], py["long"]["mb_per_s"].clone()))
        }
        Err(why) => {
            println!("\n!!! Python jieba NOT measured: {why}\n");
            None
        }
    };

    println!("\n| step | {} p50 | p99 | {} p50 | p99 | calls |", sizes[0].0, sizes[1].0);
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, stats) in &rows {
        print_row(name, stats);
    }
    if let Some((stats, _)) = &py_rows {
        print_row("Python `jieba.lcut(text, HMM=True)`", stats);
    }
    println!("\n| path, ≥ 1 MiB Chinese text | MB/s (median) | min | max | runs |");
    println!("|---|---:|---:|---:|---:|");
    for (name, runs) in &throughput {
        print_mbs(name, runs);
    }
    if let Some((_, runs)) = &py_rows {
        let runs: Vec<f64> = runs.as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default();
        print_mbs("Python `jieba.lcut(text, HMM=True)`", &runs);
    }

    let whole_p99 = rows[5].1[1].p99;
    let grading_p99 = rows[3].1[1].p99;
    let mbs = median(&throughput[2].1);
    println!("\ntargets (issue 4):");
    println!("- grading p99 ≤ 20 µs on ~4 KB: whole path {} → {}", us(whole_p99), verdict(whole_p99 <= 20e-6));
    println!(
        "  grading step alone (classify + assess on precomputed tokens) {} → {}",
        us(grading_p99),
        verdict(grading_p99 <= 20e-6)
    );
    println!("- ≥ 30 MB/s through segmentation + rules, one core: {mbs:.1} MB/s → {}", verdict(mbs >= 30.0));
}

/// `cargo bench --bench text -- grading`: only the grading step and `classify` (a few seconds, no
/// Python), for working on the matcher.
///
/// `-- grading N` instead makes exactly N grading-step calls on the ~4 KB text and prints nothing
/// else: a fixed amount of work to profile, e.g. under `valgrind --tool=callgrind`.
fn grading_only(analyzer: &Analyzer, rules: &Rules, sizes: &[(&str, &str)]) {
    if let Some(n) = std::env::args().filter_map(|a| a.parse::<usize>().ok()).next() {
        let tokens = analyzer.tokens(sizes[1].1);
        let total: f64 = (0..n).map(|_| black_box(grade(rules.classify(black_box(&tokens))))).sum();
        println!("{n} grading-step calls on {} tokens, score sum {total}", tokens.len());
        return;
    }
    println!("| step | {} p50 | p99 | {} p50 | p99 | calls |", sizes[0].0, sizes[1].0);
    println!("|---|---:|---:|---:|---:|---:|");
    for _ in 0..2 {
        let stats: Vec<Stats> = sizes
            .iter()
            .map(|(_, t)| {
                let tokens = analyzer.tokens(t);
                latency(|| rules.classify(&tokens))
            })
            .collect();
        print_row("(b) `Rules::classify` on tokens", &stats);
        let stats: Vec<Stats> = sizes
            .iter()
            .map(|(_, t)| {
                let tokens = analyzer.tokens(t);
                latency(|| grade(rules.classify(&tokens)))
            })
            .collect();
        print_row("grading step: classify + `grading::assess`", &stats);
    }
    println!("load average: {}", loadavg());
}

fn whole(analyzer: &Analyzer, rules: &Rules, text: &str) -> (usize, u64) {
    let tokens = analyzer.tokens(text);
    let hits = rules.classify(&tokens);
    (hits.len() + tokens.len(), simhash(&tokens))
}

/// The grading step the intake pipeline runs after `classify`, as `app::intake` does it.
fn grade(hits: Vec<Hit>) -> f64 {
    let categories = hits
        .into_iter()
        .map(|h| CategoryHit { name: h.category, weight: h.weight, count: h.count, terms: h.terms })
        .collect();
    grading::assess(categories, grading::attention(1200, 30, 8), 0.8, 3, 3600, &WEIGHTS).score
}

fn summary(hits: &[Hit]) -> Vec<String> {
    hits.iter().map(|h| format!("{} ×{} ({})", h.category, h.count, h.terms.join(", "))).collect()
}

#[derive(Clone, Copy)]
struct Stats {
    p50: f64,
    p99: f64,
    calls: usize,
}

impl Stats {
    fn from_json(v: &Value) -> Stats {
        let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        Stats { p50: f("p50_us") * 1e-6, p99: f("p99_us") * 1e-6, calls: v["n"].as_u64().unwrap_or(0) as usize }
    }
}

fn latency<R>(mut f: impl FnMut() -> R) -> Stats {
    let warm = Instant::now();
    while warm.elapsed() < BUDGET / 10 {
        black_box(f());
    }
    let mut samples = Vec::with_capacity(MAX_CALLS);
    let start = Instant::now();
    while samples.len() < MAX_CALLS && start.elapsed() < BUDGET {
        let t = Instant::now();
        black_box(f());
        samples.push(t.elapsed().as_secs_f64());
    }
    samples.sort_by(f64::total_cmp);
    Stats { p50: percentile(&samples, 0.50), p99: percentile(&samples, 0.99), calls: samples.len() }
}

/// Nearest-rank percentile of sorted samples (the Python side uses the same definition).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn throughput<R>(text: &str, mut f: impl FnMut(&str) -> R) -> Vec<f64> {
    black_box(f(text));
    (0..LONG_RUNS)
        .map(|_| {
            let t = Instant::now();
            black_box(f(text));
            text.len() as f64 / t.elapsed().as_secs_f64() / 1e6
        })
        .collect()
}

fn median(runs: &[f64]) -> f64 {
    let mut sorted = runs.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

fn print_row(name: &str, s: &[Stats]) {
    println!("| {name} | {} | {} | {} | {} | {} |", us(s[0].p50), us(s[0].p99), us(s[1].p50), us(s[1].p99), s[1].calls);
}

fn print_mbs(name: &str, runs: &[f64]) {
    let min = runs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = runs.iter().copied().fold(0.0, f64::max);
    println!("| {name} | {:.2} | {min:.2} | {max:.2} | {} |", median(runs), runs.len());
}

fn us(seconds: f64) -> String {
    if seconds.is_nan() { "–".into() } else { format!("{:.2} µs", seconds * 1e6) }
}

fn verdict(met: bool) -> &'static str {
    if met { "MET" } else { "NOT MET" }
}

/// The article's Chinese sentences (the English paragraphs left out), drawn in a fixed
/// pseudo-random order until the text reaches 1 MiB, a paragraph break every few sentences.
fn long_chinese() -> String {
    let sentences: Vec<&str> = ARTICLE
        .lines()
        .filter(|l| !l.starts_with(|c: char| c.is_ascii_alphabetic()))
        .flat_map(|l| l.split_inclusive('。'))
        .collect();
    let mut text = String::with_capacity(LONG_BYTES + 512);
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut n = 0;
    while text.len() < LONG_BYTES {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        text.push_str(sentences[(state >> 33) as usize % sentences.len()]);
        n += 1;
        if n % 5 == 0 {
            text.push('\n');
        }
    }
    text
}

fn categories() -> Vec<Category> {
    let c = |name: &str, weight: f64, terms: &str, exclude: &str| Category {
        name: name.into(),
        weight,
        terms: terms.split('|').map(String::from).collect(),
        exclude: exclude.split('|').filter(|t| !t.is_empty()).map(String::from).collect(),
    };
    vec![
        c("safety", 3.0, "燃气|泄漏|燃气泄漏|爆炸|火灾|起火|煤气|gas leak|explosion|fire", "演习|drill"),
        c("outage", 2.0, "停电|断电|停水|跳闸|抢修|恢复供电|供电|power outage|blackout|outage", "计划停电"),
        c("traffic", 2.0, "事故|相撞|追尾|公交车|货车|受伤|伤亡|交警|crash|collision", ""),
        c("price", 1.0, "价格|调价|上调|涨价|水价|电价|收费|阶梯|price|fare", ""),
        c("service", 1.0, "热线|投诉|抱怨|难以接通|物业|维修|电梯|客服|complaint|hotline", ""),
        c("weather", 1.5, "暴雨|强降雨|大风|雷电|预警|强对流|台风|冰雹|storm|typhoon", ""),
    ]
}

fn machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let rustc =
        Command::new("rustc").arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    println!("machine: {cores} cores, CPU {cpu}, {}", rustc.unwrap_or_else(|e| format!("rustc: {e}")));
    println!("load average at start: {}", loadavg());
}

/// Other work on the machine skews the tails; the load average says how much there was.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Python jieba on the same texts: a venv in a temp dir, `pip install jieba`, then the timing
/// script. Every step is bounded in time; any failure comes back as the reason.
fn python_jieba(small: &str, medium: &str, long: &str) -> Result<Value, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("no temp dir: {e}"))?;
    let path = |name: &str| dir.path().join(name);
    for (name, text) in [("small.txt", small), ("medium.txt", medium), ("long.txt", long)] {
        std::fs::write(path(name), text).map_err(|e| format!("writing {name}: {e}"))?;
    }
    let venv = path("venv");
    let started = Instant::now();
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv), Duration::from_secs(120))?;
    run(
        Command::new(venv.join("bin/pip")).args(["install", "--quiet", "--disable-pip-version-check", "jieba"]),
        Duration::from_secs(300),
    )?;
    println!("\nvenv + pip install jieba: {:.1} s", started.elapsed().as_secs_f64());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/python_jieba.py");
    let out = run(
        Command::new(venv.join("bin/python"))
            .arg(script)
            .args(["--small".as_ref(), path("small.txt").as_os_str()])
            .args(["--medium".as_ref(), path("medium.txt").as_os_str()])
            .args(["--long".as_ref(), path("long.txt").as_os_str()])
            .args(["--budget", "3", "--long-runs", "3"]),
        Duration::from_secs(300),
    )?;
    serde_json::from_str(&out).map_err(|e| format!("the Python script printed no JSON ({e}): {out}"))
}

/// Runs `cmd` to completion within `limit`, killing it otherwise; returns its stdout.
fn run(cmd: &mut Command, limit: Duration) -> Result<String, String> {
    let what = format!("{:?}", cmd.get_program());
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    // Drain both pipes on threads, so a chatty child cannot block on a full pipe.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped")));
    let err = drain(Box::new(child.stderr.take().expect("piped")));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what} did not finish within {} s and was killed", limit.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("waiting for {what}: {e}")),
        }
    };
    let (out, err) = (out.join().unwrap_or_default(), err.join().unwrap_or_default());
    if status.success() { Ok(out) } else { Err(format!("{what} failed ({status}): {}", err.trim())) }
}
