-- Signals taken in from webhooks, feeds and chats, each attached to the case of its story.
CREATE TABLE signals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    source      TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    url         TEXT,
    fingerprint TEXT,
    -- SimHash of the segmented text, stored as a signed 64-bit integer (same bits).
    simhash     INTEGER NOT NULL,
    score       REAL    NOT NULL,
    explanation TEXT    NOT NULL,
    received_ms INTEGER NOT NULL
);
CREATE INDEX signals_by_time ON signals (received_ms);
CREATE INDEX signals_by_case ON signals (case_id, id);
CREATE INDEX signals_by_fingerprint ON signals (fingerprint);
