//! Runs the real `tocsin` binary as a user would, talking to it through stdin and stdout.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(30);

pub struct Tocsin {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    errors: Receiver<String>,
    /// Every stdout line seen so far, in order.
    pub seen: Vec<String>,
    /// Every stderr (log) line [`Tocsin::expect_log`] has read so far, in order.
    pub logged: Vec<String>,
}

impl Tocsin {
    /// Starts `tocsin <args>` in `dir` with extra environment variables.
    pub fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Tocsin {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tocsin"));
        cmd.args(args).current_dir(dir).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.env_remove("TOCSIN_DATABASE_URL").env("RUST_LOG", "warn,tocsin=info");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start the tocsin binary");
        let stdin = child.stdin.take();
        let lines = pump(child.stdout.take().expect("stdout"));
        let errors = pump(child.stderr.take().expect("stderr"));
        Tocsin { child, stdin, lines, errors, seen: Vec::new(), logged: Vec::new() }
    }

    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{line}").and_then(|_| stdin.flush()).expect("write to tocsin");
    }

    /// Writes bytes as they are, for input that is not text.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(bytes).and_then(|_| stdin.flush()).expect("write to tocsin");
    }

    /// Waits for a stdout line containing `needle`, and returns it.
    pub fn expect(&mut self, needle: &str) -> String {
        wait_for(&self.lines, &mut self.seen, needle, "printed")
    }

    /// Waits for a stderr (log) line containing `needle`, and returns it.
    pub fn expect_log(&mut self, needle: &str) -> String {
        wait_for(&self.errors, &mut self.logged, needle, "logged")
    }

    /// Closes stdin (Ctrl-D) and waits for a clean exit; returns status, stdout, stderr.
    pub fn finish(mut self) -> (ExitStatus, String, String) {
        drop(self.stdin.take());
        self.wait()
    }

    /// Sends a signal by name (`STOP`, `CONT`, ...) without waiting for anything.
    pub fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args([format!("-{name}").as_str(), &pid]).status().expect("run kill");
        assert!(sent.success(), "kill -{name} {pid}");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the process to end.
    pub fn terminate(mut self) -> (ExitStatus, String, String) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
        self.wait()
    }

    fn wait(&mut self) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for tocsin") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("tocsin did not exit; it printed:\n{}", self.seen.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.seen.extend(self.lines.iter());
        let mut stderr = std::mem::take(&mut self.logged);
        stderr.extend(self.errors.iter());
        (status, self.seen.join("\n"), stderr.join("\n"))
    }
}

impl Drop for Tocsin {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// The first line containing `needle` among those read so far (`seen`) or still to come from
/// `lines`, which are added to `seen` as they are read.
fn wait_for(lines: &Receiver<String>, seen: &mut Vec<String>, needle: &str, did: &str) -> String {
    if let Some(line) = seen.iter().find(|l| l.contains(needle)) {
        return line.clone();
    }
    let deadline = Instant::now() + PATIENCE;
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                seen.push(line.clone());
                if line.contains(needle) {
                    return line;
                }
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                panic!("tocsin never {did} {needle:?}; it {did}:\n{}", seen.join("\n"))
            }
        }
    }
}

fn pump(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Runs a whole piped session: every line in, end of input, and the transcript out.
pub fn session(dir: &Path, env: &[(&str, &str)], input: &[&str]) -> (ExitStatus, String, String) {
    let mut t = Tocsin::start(dir, &["run"], env);
    for line in input {
        t.send(line);
    }
    t.finish()
}
