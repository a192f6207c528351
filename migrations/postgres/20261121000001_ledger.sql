-- The case ledger, its append-only event log, the outbox and per-chat settings.
-- Times are integer milliseconds since the Unix epoch, bound from tocsin's clock, as in
-- the SQLite schema, so that both backends run the same queries.

CREATE TABLE cases (
    id              BIGSERIAL PRIMARY KEY,
    team            TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    summary         TEXT,
    source          TEXT    NOT NULL,
    grade           TEXT    NOT NULL CHECK (grade IN ('I', 'II', 'III', 'IV')),
    state           TEXT    NOT NULL CHECK (state IN ('open', 'acknowledged', 'responding', 'resolved', 'closed', 'dismissed')),
    owner           TEXT,
    leader          TEXT,
    opened_by       TEXT    NOT NULL,
    drill           BOOLEAN NOT NULL DEFAULT FALSE,
    resolution      TEXT,
    dismissal       TEXT,
    opened_ms       BIGINT  NOT NULL,
    acknowledged_ms BIGINT,
    resolved_ms     BIGINT,
    closed_ms       BIGINT,
    updated_ms      BIGINT  NOT NULL,
    version         BIGINT  NOT NULL DEFAULT 1
);
CREATE INDEX cases_by_state ON cases (state, id);

CREATE TABLE events (
    id       BIGSERIAL PRIMARY KEY,
    case_id  BIGINT REFERENCES cases (id),
    actor    TEXT   NOT NULL,
    action   TEXT   NOT NULL,
    details  TEXT   NOT NULL,
    platform TEXT   NOT NULL,
    at_ms    BIGINT NOT NULL
);
CREATE INDEX events_by_case ON events (case_id, id);

CREATE FUNCTION tocsin_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END
$$;
CREATE TRIGGER events_are_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION tocsin_events_are_append_only();

CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    chat            TEXT   NOT NULL,
    platform        TEXT   NOT NULL,
    case_id         BIGINT REFERENCES cases (id),
    payload         TEXT   NOT NULL,
    state           TEXT   NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    created_ms      BIGINT NOT NULL,
    next_attempt_ms BIGINT NOT NULL,
    lease_until_ms  BIGINT,
    delivered_ms    BIGINT,
    last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (platform, state, next_attempt_ms, id);

CREATE TABLE chat_settings (
    chat       TEXT PRIMARY KEY,
    locale     TEXT   NOT NULL,
    updated_ms BIGINT NOT NULL
);
