-- The case ledger, its append-only event log, the outbox and per-chat settings.
-- Times are integer milliseconds since the Unix epoch, bound from tocsin's clock: they
-- compare correctly as numbers on both backends (sqlx writes SQLite datetimes as text
-- with a variable number of fractional digits, which does not sort).

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
    opened_ms       INTEGER NOT NULL,
    acknowledged_ms INTEGER,
    resolved_ms     INTEGER,
    closed_ms       INTEGER,
    updated_ms      INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX cases_by_state ON cases (state, id);

CREATE TABLE events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id  INTEGER REFERENCES cases (id),
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    details  TEXT    NOT NULL,
    platform TEXT    NOT NULL,
    at_ms    INTEGER NOT NULL
);
CREATE INDEX events_by_case ON events (case_id, id);

CREATE TRIGGER events_are_never_updated BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    chat            TEXT    NOT NULL,
    platform        TEXT    NOT NULL,
    case_id         INTEGER REFERENCES cases (id),
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_ms      INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    lease_until_ms  INTEGER,
    delivered_ms    INTEGER,
    last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (platform, state, next_attempt_ms, id);

CREATE TABLE chat_settings (
    chat       TEXT PRIMARY KEY,
    locale     TEXT    NOT NULL,
    updated_ms INTEGER NOT NULL
);
