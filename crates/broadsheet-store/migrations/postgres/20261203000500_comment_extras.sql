-- Comment reactions, featured comments and ignore lists (issue 12, item 1).
-- `reactions` on a comment is the count of its `comment_reactions` rows,
-- recounted in the transaction of every reaction (never incremented blind),
-- so the "most reacted" thread order is one index scan.
ALTER TABLE comments ADD COLUMN reactions BIGINT NOT NULL DEFAULT 0;
-- When a moderator featured it (NULL: not featured). Cleared whenever the
-- comment stops being public.
ALTER TABLE comments ADD COLUMN featured_at BIGINT;

CREATE INDEX comments_reacted ON comments (story_id, status, parent_id, reactions, id);
CREATE INDEX comments_featured ON comments (story_id, featured_at) WHERE featured_at IS NOT NULL;

-- One reaction per reader per comment.
CREATE TABLE comment_reactions (
    comment_id BIGINT NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
    reader_id BIGINT NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (comment_id, reader_id)
);
CREATE INDEX comment_reactions_reader ON comment_reactions (reader_id);

-- A reader's ignore list: commenters whose comments are collapsed for them.
CREATE TABLE comment_ignores (
    reader_id BIGINT NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    ignored_id BIGINT NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (reader_id, ignored_id)
);
