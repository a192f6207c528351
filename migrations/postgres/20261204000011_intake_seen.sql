-- Signatures of signed intake requests (tocsin's own HMAC scheme) seen within their window:
-- the same signature again is a replay and is refused. Shared by every instance on this
-- database; a row is kept until its signature's timestamp has left the window, then deleted.
CREATE TABLE intake_seen (
    key TEXT PRIMARY KEY,
    keep_until_ms BIGINT NOT NULL
);
CREATE INDEX intake_seen_by_expiry ON intake_seen (keep_until_ms);
