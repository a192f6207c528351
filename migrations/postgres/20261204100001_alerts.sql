-- The alerts of Alertmanager and Grafana sources, one row per alert fingerprint, with the case
-- it belongs to and its state as last seen. A notification that repeats what a row already
-- says changes only `seen_ms`; a retried batch therefore adds nothing twice.
CREATE TABLE alerts (
    fingerprint TEXT    PRIMARY KEY,
    case_id     BIGINT  NOT NULL REFERENCES cases (id),
    -- The notification group (source and groupKey) for `group = "notification"` sources.
    group_key   TEXT,
    name        TEXT    NOT NULL,
    firing      BOOLEAN NOT NULL,
    changed_ms  BIGINT  NOT NULL,
    seen_ms     BIGINT  NOT NULL
);
CREATE INDEX alerts_by_case ON alerts (case_id);
CREATE INDEX alerts_by_group ON alerts (group_key, case_id);
