//! Containing a panic to the one update or request that caused it.
//!
//! A bug reached by one person's input (a leader's typo once overflowed date arithmetic) must
//! cost that one update, not the process: webhooks, the status page and every other chat keep
//! running, and in polling mode the update is recorded so it does not come back after a restart.

use futures::FutureExt;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

/// Runs `fut`; a panic inside it is logged (with `what` for context) and returned as `Err`.
///
/// Unwind safety: what a handler shares across updates is the store (whose transactions are
/// rolled back when dropped mid-way) and immutable configuration, so continuing after a panic
/// sees no half-made change.
pub async fn contained<F: Future>(what: &str, fut: F) -> Result<F::Output, String> {
    AssertUnwindSafe(fut).catch_unwind().await.map_err(|panic| {
        let message = message(panic.as_ref());
        tracing::error!(panic = %message, "{what} panicked; only it was abandoned");
        message
    })
}

fn message(panic: &(dyn Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(s), _) => (*s).to_string(),
        (_, Some(s)) => s.clone(),
        _ => "a panic without a message".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_error_with_its_message() {
        let r: Result<(), String> = contained("a test", async { panic!("boom {}", 7) }).await;
        assert_eq!(r, Err("boom 7".to_string()));
        assert_eq!(contained("a test", async { 5 }).await, Ok(5));
    }
}
