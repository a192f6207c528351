//! What a failed Bot API call means for delivery: retry, wait, or give up.

use crate::delivery::SendError;
use teloxide::{ApiError, RequestError};

/// teloxide reports the description of an API error, not its HTTP status (and it sleeps
/// ten seconds on a 5xx before reporting it). Telegram's descriptions say which kind it
/// was: "Bad Request: ..." and "Forbidden: ..." never succeed on retry; anything else
/// reported by the API (a gateway error, an internal error) may.
pub fn classify(e: &RequestError) -> SendError {
    match e {
        RequestError::RetryAfter(wait) => SendError::RateLimited(wait.duration()),
        RequestError::MigrateToChatId(id) => SendError::Permanent(format!(
            "the group was upgraded to a supergroup; its new chat id is {} (update bot.toml)",
            id.0
        )),
        RequestError::Api(ApiError::Unknown(description)) if !is_final(description) => {
            SendError::Transient { reason: description.clone(), retry_after: None }
        }
        // Telegram's own words, not teloxide's "Unknown error: ..." wrapping of them.
        RequestError::Api(ApiError::Unknown(description)) => SendError::Permanent(description.clone()),
        RequestError::Api(api) => SendError::Permanent(api.to_string()),
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
            SendError::Transient { reason: e.to_string(), retry_after: None }
        }
    }
}

fn is_final(description: &str) -> bool {
    description.starts_with("Bad Request")
        || description.starts_with("Forbidden")
        || description.starts_with("Unauthorized")
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::Seconds;

    #[test]
    fn failures_are_sorted_into_wait_retry_and_give_up() {
        assert_eq!(
            classify(&RequestError::RetryAfter(Seconds::from_seconds(2))),
            SendError::RateLimited(std::time::Duration::from_secs(2))
        );
        assert!(matches!(classify(&RequestError::Api(ApiError::BotKicked)), SendError::Permanent(_)));
        assert!(matches!(classify(&RequestError::Api(ApiError::ChatNotFound)), SendError::Permanent(_)));
        assert!(matches!(
            classify(&RequestError::Api(ApiError::Unknown("Bad Gateway".into()))),
            SendError::Transient { .. }
        ));
        assert!(matches!(
            classify(&RequestError::Api(ApiError::Unknown("Bad Request: something new".into()))),
            SendError::Permanent(_)
        ));
    }
}
