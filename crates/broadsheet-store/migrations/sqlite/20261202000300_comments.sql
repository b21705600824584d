-- Reader comments and moderation (issue 12). The demo's `comments` rows are
-- migrated forward: 'visible' becomes 'public'; demo rows keep reader_id
-- NULL (their authors are names, not accounts). States: pending, public,
-- hidden (author only), removed, deleted (by the author); moves follow
-- broadsheet_domain::comments::TABLE, written WHERE status = the expected one.

ALTER TABLE comments ADD COLUMN reader_id INTEGER REFERENCES readers(id) ON DELETE SET NULL;
ALTER TABLE comments ADD COLUMN parent_id INTEGER REFERENCES comments(id) ON DELETE CASCADE;
ALTER TABLE comments ADD COLUMN edited_at INTEGER;
-- SHA-256 (hex) of the normalised text, lower-cased: the duplicate check.
ALTER TABLE comments ADD COLUMN body_hash TEXT NOT NULL DEFAULT '';
-- Why it was held: the rule, the score and the threshold (all shown to moderators).
ALTER TABLE comments ADD COLUMN held_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE comments ADD COLUMN held_score INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN held_threshold INTEGER NOT NULL DEFAULT 0;
-- A moderator's decision: '', 'approved' or 'rejected' (the queues).
ALTER TABLE comments ADD COLUMN decision TEXT NOT NULL DEFAULT '';
-- The reason shown to the author when hidden or removed.
ALTER TABLE comments ADD COLUMN reason TEXT NOT NULL DEFAULT '';
-- Open reports (the reported queue).
ALTER TABLE comments ADD COLUMN open_reports INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN moderated_at INTEGER;
-- Whether the author was already mailed about this reply's publication.
ALTER TABLE comments ADD COLUMN reply_notified INTEGER NOT NULL DEFAULT 0;

UPDATE comments SET status = 'public' WHERE status = 'visible';

-- The thread, keyset-paginated by id: top-level public comments of a story,
-- then the replies of those on the page.
CREATE INDEX comments_thread ON comments (story_id, status, parent_id, id);
CREATE INDEX comments_replies ON comments (parent_id, status, id);
CREATE INDEX comments_reader ON comments (reader_id, created_at);
CREATE INDEX comments_queue ON comments (status, id);
CREATE INDEX comments_reported ON comments (open_reports, id);

CREATE TABLE comment_reports (
    comment_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
    reader_id INTEGER NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    resolved_at INTEGER,
    PRIMARY KEY (comment_id, reader_id)
);

-- The paper's comment settings: one row.
CREATE TABLE comment_settings (
    id INTEGER PRIMARY KEY CONSTRAINT comment_settings_one CHECK (id = 1),
    enabled INTEGER NOT NULL DEFAULT 1,
    off_message TEXT NOT NULL DEFAULT '',
    -- 'registered' or 'subscribers'
    who TEXT NOT NULL DEFAULT 'registered',
    close_after_hours INTEGER NOT NULL DEFAULT 72,
    new_commenter_holds INTEGER NOT NULL DEFAULT 0,
    banned_words TEXT NOT NULL DEFAULT '',
    suspect_words TEXT NOT NULL DEFAULT '',
    hold_threshold INTEGER NOT NULL DEFAULT 50,
    default_moderation TEXT NOT NULL DEFAULT 'post',
    updated_at INTEGER NOT NULL DEFAULT 0
);
INSERT INTO comment_settings (id) VALUES (1);

-- Per story or section: open or closed, pre- or post-moderation ('inherit':
-- the section's, then the paper's); a story marked legal is pre-moderated.
CREATE TABLE comment_policies (
    scope TEXT NOT NULL,
    target_id INTEGER NOT NULL,
    open TEXT NOT NULL DEFAULT 'inherit',
    moderation TEXT NOT NULL DEFAULT 'inherit',
    legal INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, target_id)
);

-- A commenter's standing: approved count (new-commenter rule) and sanctions.
CREATE TABLE commenter_standing (
    reader_id INTEGER PRIMARY KEY REFERENCES readers(id) ON DELETE CASCADE,
    approved INTEGER NOT NULL DEFAULT 0,
    banned INTEGER NOT NULL DEFAULT 0,
    suspended_until INTEGER NOT NULL DEFAULT 0,
    premod INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT ''
);

-- Every sanction, with the moderator's note and the reason shown to the reader.
CREATE TABLE comment_sanctions (
    id INTEGER PRIMARY KEY,
    reader_id INTEGER NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    until_at INTEGER,
    reason TEXT NOT NULL,
    note TEXT NOT NULL,
    staff_id INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX comment_sanctions_reader ON comment_sanctions (reader_id, id);
