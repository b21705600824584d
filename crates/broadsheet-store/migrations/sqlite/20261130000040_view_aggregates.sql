-- Views are counted as they arrive, into per-story hourly buckets, so Most
-- Read sums at most (stories read in the window) x (hours in the window) rows
-- whatever the traffic. Replaces the row-per-view table.
CREATE TABLE view_counts (
    story_id INTEGER NOT NULL,
    -- Start of the hour (unix seconds, a multiple of 3600).
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (story_id, bucket)
) WITHOUT ROWID;
CREATE INDEX view_counts_bucket ON view_counts (bucket);

-- Once per reader per story per window: the last counted view of each
-- (story, reader), kept only while it can still block a count (pruned after
-- one window). reader is a 64-bit id derived from the signed reader cookie.
CREATE TABLE view_readers (
    story_id INTEGER NOT NULL,
    reader INTEGER NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (story_id, reader)
) WITHOUT ROWID;
CREATE INDEX view_readers_at ON view_readers (at);

-- The reader-cookie signing key lives in installation_secrets (made by the
-- sign-in migration), made once by the first node, read by every node.

INSERT INTO view_counts (story_id, bucket, n)
    SELECT story_id, (at / 3600) * 3600, COUNT(*) FROM views GROUP BY story_id, (at / 3600) * 3600;
DROP TABLE views;
