-- Timed work: reminders and escalations of case clocks, daily reports, the end of a
-- heightened watch. A job is written in the same transaction as the decision that makes it
-- due, and marked done in the same transaction as what it sends, so it runs exactly once.
CREATE TABLE jobs (
    -- Unique per what the job is about (`clock:42:ack:remind50:<deadline ms>`): the same
    -- reminder can never be queued twice.
    key            TEXT PRIMARY KEY,
    kind           TEXT    NOT NULL,
    case_id        INTEGER REFERENCES cases (id),
    team           TEXT,
    due_ms         INTEGER NOT NULL,
    payload        TEXT    NOT NULL,
    -- pending | done | withdrawn
    state          TEXT    NOT NULL DEFAULT 'pending',
    lease_until_ms INTEGER,
    attempts       INTEGER NOT NULL DEFAULT 0,
    done_ms        INTEGER
);
CREATE INDEX jobs_due ON jobs (state, due_ms);
CREATE INDEX jobs_by_case ON jobs (case_id);

-- When the case first had someone responding: the first-response clock stops there until
-- publishing statements exists.
ALTER TABLE cases ADD COLUMN responded_ms INTEGER;
