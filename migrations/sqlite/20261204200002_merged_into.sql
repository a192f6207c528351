-- A case merged into another (`/merge`) is closed and names the case that took its signals.
-- No new state: the state CHECK cannot be changed in SQLite without rebuilding the table.
ALTER TABLE cases ADD COLUMN merged_into INTEGER REFERENCES cases (id);
