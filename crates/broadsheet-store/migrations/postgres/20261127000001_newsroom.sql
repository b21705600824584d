-- The newsroom: sessions, revisions, audit log, corrections, optimistic
-- locking on stories.
ALTER TABLE stories ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE stories ADD COLUMN created_by BIGINT REFERENCES authors(id);
ALTER TABLE stories ADD COLUMN scheduled_at BIGINT;
ALTER TABLE stories ADD COLUMN seo_title TEXT NOT NULL DEFAULT '';
ALTER TABLE stories ADD COLUMN seo_description TEXT NOT NULL DEFAULT '';
CREATE INDEX stories_status_modified ON stories (status, modified_at DESC);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    author_id BIGINT NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_author ON sessions (author_id);

CREATE TABLE revisions (
    id BIGSERIAL PRIMARY KEY,
    story_id BIGINT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    author_id BIGINT REFERENCES authors(id),
    at BIGINT NOT NULL,
    headline TEXT NOT NULL,
    standfirst TEXT NOT NULL,
    body TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX revisions_story ON revisions (story_id, id);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    action TEXT NOT NULL,
    story_id BIGINT,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_story ON audit_log (story_id, id);

CREATE TABLE corrections (
    id BIGSERIAL PRIMARY KEY,
    story_id BIGINT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX corrections_story ON corrections (story_id);
