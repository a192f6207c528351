//! The fake Discord server's own tests, against the real serenity client.
use crate::support::fake_discord::FakeDiscord;

#[tokio::test]
async fn starts() {
    let fake = FakeDiscord::start().await;
    assert!(fake.base_url().starts_with("http://127.0.0.1:"));
}
