-- When a signal's third-party text (title, URL) was cleared under `[retention] signal_text`;
-- NULL while it is kept. The row itself (source, score, explanation, times) stays as the
-- audit skeleton.
ALTER TABLE signals ADD COLUMN purged_ms INTEGER;
