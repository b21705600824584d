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
    story_id BIGINT PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    seq BIGINT NOT NULL DEFAULT 0
);

-- One update: its Markdown as written and its sanitised HTML (rendered once,
-- at write time, by the same renderer as story bodies). seq: the story's
-- seq at its last write (post, edit, pin, removal). A removed update is kept
-- (removed = 1) so a reader resuming learns of the removal.
CREATE TABLE live_updates (
    id BIGSERIAL PRIMARY KEY,
    story_id BIGINT NOT NULL REFERENCES live_stories(story_id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    posted_at BIGINT NOT NULL,
    edited_at BIGINT,
    author_id BIGINT REFERENCES authors(id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    html TEXT NOT NULL,
    pinned BIGINT NOT NULL DEFAULT 0,
    removed BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX live_updates_story_seq ON live_updates (story_id, seq);
CREATE INDEX live_updates_story_posted ON live_updates (story_id, removed, posted_at);
