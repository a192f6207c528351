-- A case merged into another (`/merge`) is closed and names the case that took its signals.
-- No new state: SQLite's state CHECK cannot change without rebuilding its table, and both
-- backends keep the same states.
ALTER TABLE cases ADD COLUMN merged_into BIGINT REFERENCES cases (id);
