-- The places and keyword categories a case's first signal names (crate::text::Specifics, as
-- JSON), for the "possibly the same story" line: the story index keeps them by place. NULL for
-- the other signals of a case and for those taken in before it existed.
ALTER TABLE signals ADD COLUMN specifics TEXT;
