-- Each signal's token sketch (crate::text::Sketch: up to 64 little-endian u32 hashes of its
-- content words), the second "same story?" check after the SimHash. NULL for signals taken in
-- before it existed: for those the SimHash decides alone.
ALTER TABLE signals ADD COLUMN sketch BLOB;
