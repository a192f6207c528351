-- Leases on work that must run in one instance at a time (Telegram long polling, the Discord
-- gateway, the platforms' send budgets, feed polling): a row per lease, held by one instance
-- until `expires_ms` (the database's own clock, so instances' clocks need not agree). Each
-- change of holder raises `token`, the fencing token: a holder renews only while the token is
-- still the one it was given, so an instance that hung and woke up finds it has lost the lease.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    token BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
