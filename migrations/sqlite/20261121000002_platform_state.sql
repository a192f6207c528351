-- What platform adapters must remember across restarts.

-- Platform events already acted on (a Telegram update id, say), written in the same
-- transaction as what they caused, so a redelivered event is recognised and ignored.
CREATE TABLE handled (
    key   TEXT PRIMARY KEY,
    at_ms INTEGER NOT NULL
);

-- The message that shows a case in a chat (a Telegram card), edited in place on change.
CREATE TABLE cards (
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    chat       TEXT    NOT NULL,
    message_id TEXT    NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (case_id, chat)
);

-- Small named values (a long-polling offset, say).
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_ms INTEGER NOT NULL
);
