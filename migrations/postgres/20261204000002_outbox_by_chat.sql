-- A chat's messages go out in the order they were queued: a message is claimed only when no
-- earlier pending message of its chat is waiting for a retry or out with a sender. This index
-- answers that "anything earlier?" question per chat.
CREATE INDEX outbox_pending_by_chat ON outbox (platform, chat, id) WHERE state = 'pending';
