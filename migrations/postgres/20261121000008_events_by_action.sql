-- The status page reads every published statement at once (`WHERE action = ?`): rare events
-- among many, so an index rather than a scan of the whole event log.
CREATE INDEX events_by_action ON events (action, id);
