//! What tocsin logged: its ERROR events tallied per run, first lines only.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// ERROR events by target and first line of their fields, since the last `print_errors`.
static ERRORS: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());

pub struct Tally;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Tally {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() != tracing::Level::ERROR {
            return;
        }
        let mut fields = FirstLines(String::new());
        event.record(&mut fields);
        let key = format!("{}:{}", event.metadata().target(), fields.0);
        *ERRORS.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_insert(0) += 1;
    }
}

/// `name=value` of every field, each value cut at its first line (anyhow appends a backtrace).
struct FirstLines(String);

impl tracing::field::Visit for FirstLines {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        let first = text.lines().next().unwrap_or("");
        self.0.push_str(&format!(" {}={first}", field.name()));
    }
}

pub fn print_errors() {
    let errors = std::mem::take(&mut *ERRORS.lock().unwrap_or_else(|e| e.into_inner()));
    for (what, n) in errors {
        println!("tocsin logged {n} × ERROR {what}");
    }
}
