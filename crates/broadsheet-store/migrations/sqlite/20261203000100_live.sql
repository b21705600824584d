-- Live pages (issue 12 item 5): a story marked live carries timestamped
-- updates posted from the newsroom.
--
-- live_stories: one row per story ever marked live. ended_at NULL while it
-- is live; once ended the story stays a normal story showing its updates.
-- seq: the story's update sequence. Every write to one of its updates first
-- bumps it (so writers queue on this row, and a larger seq is never
-- committed before a smaller one) and stamps the update with the new value:
-- the Server-Sent Events id a reader resumes from (Last-Event-ID).
CREATE TABLE live_stories (
    story_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    seq INTEGER NOT NULL DEFAULT 0
);

-- One update: its Markdown as written and its sanitised HTML (rendered once,
-- at write time, by the same renderer as story bodies). seq: the story's
-- seq at its last write (post, edit, pin, removal). A removed update is kept
-- (removed = 1) so a reader resuming learns of the removal.
CREATE TABLE live_updates (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES live_stories(story_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    posted_at INTEGER NOT NULL,
    edited_at INTEGER,
    author_id INTEGER REFERENCES authors(id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    html TEXT NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX live_updates_story_seq ON live_updates (story_id, seq);
CREATE INDEX live_updates_story_posted ON live_updates (story_id, removed, posted_at);
