-- Signals taken in from webhooks, feeds and chats, each attached to the case of its story.
CREATE TABLE signals (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases (id),
    source      TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    url         TEXT,
    fingerprint TEXT,
    -- SimHash of the segmented text, stored as a signed 64-bit integer (same bits).
    simhash     BIGINT NOT NULL,
    score       DOUBLE PRECISION    NOT NULL,
    explanation TEXT    NOT NULL,
    received_ms BIGINT NOT NULL
);
CREATE INDEX signals_by_time ON signals (received_ms);
CREATE INDEX signals_by_case ON signals (case_id, id);
CREATE INDEX signals_by_fingerprint ON signals (fingerprint);
