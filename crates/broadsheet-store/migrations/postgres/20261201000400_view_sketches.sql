-- Once per reader per story per window, in bounded storage: each hourly row
-- keeps a sketch of its readers (the exact hashes of up to 128 readers, else
-- a 1 KB HyperLogLog; see broadsheet_store::traffic), and n is its estimate.
-- The per-reader rows, which grew with the readers of a window, go.
ALTER TABLE view_counts ADD COLUMN readers BYTEA;
DROP TABLE view_readers;
