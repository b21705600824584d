-- The newsroom: sessions, revisions, audit log, corrections, optimistic
-- locking on stories.
ALTER TABLE stories ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE stories ADD COLUMN created_by INTEGER REFERENCES authors(id);
ALTER TABLE stories ADD COLUMN scheduled_at INTEGER;
ALTER TABLE stories ADD COLUMN seo_title TEXT NOT NULL DEFAULT '';
ALTER TABLE stories ADD COLUMN seo_description TEXT NOT NULL DEFAULT '';
CREATE INDEX stories_status_modified ON stories (status, modified_at DESC);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_author ON sessions (author_id);

CREATE TABLE revisions (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    author_id INTEGER REFERENCES authors(id),
    at INTEGER NOT NULL,
    headline TEXT NOT NULL,
    standfirst TEXT NOT NULL,
    body TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX revisions_story ON revisions (story_id, id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id INTEGER,
    action TEXT NOT NULL,
    story_id INTEGER,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_story ON audit_log (story_id, id);

CREATE TABLE corrections (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX corrections_story ON corrections (story_id);
