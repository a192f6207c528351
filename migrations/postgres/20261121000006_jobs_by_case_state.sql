-- Each clock job's commit withdraws its case's pending jobs (`WHERE case_id = ? AND kind = ?
-- AND state = 'pending'`). Without planner statistics Postgres answered that by intersecting
-- `jobs_by_case` with the whole pending part of `jobs_due` (31 ms a job with 300,000 pending);
-- an index on both columns is chosen whatever the statistics (BENCHMARKS.md, response clocks).
DROP INDEX jobs_by_case;
CREATE INDEX jobs_by_case_state ON jobs (case_id, state);
