-- Broadsheet initial schema (PostgreSQL). Times are unix seconds (UTC).
CREATE TABLE sections (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_id BIGINT REFERENCES sections(id),
    position BIGINT NOT NULL DEFAULT 0,
    path TEXT NOT NULL CONSTRAINT sections_path_key UNIQUE
);

CREATE TABLE authors (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL CONSTRAINT authors_username_key UNIQUE,
    slug TEXT NOT NULL CONSTRAINT authors_slug_key UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE pictures (
    id BIGSERIAL PRIMARY KEY,
    alt TEXT NOT NULL,
    caption TEXT NOT NULL,
    credit TEXT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    original BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE picture_renditions (
    picture_id BIGINT NOT NULL REFERENCES pictures(id) ON DELETE CASCADE,
    width BIGINT NOT NULL,
    format TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (picture_id, width, format)
);

CREATE TABLE stories (
    id BIGSERIAL PRIMARY KEY,
    section_id BIGINT NOT NULL REFERENCES sections(id),
    slug TEXT NOT NULL,
    headline TEXT NOT NULL,
    standfirst TEXT NOT NULL,
    body TEXT NOT NULL,
    byline_text TEXT,
    status TEXT NOT NULL,
    access TEXT NOT NULL,
    breaking BIGINT NOT NULL DEFAULT 0,
    published_at BIGINT,
    updated_at BIGINT,
    lead_picture_id BIGINT REFERENCES pictures(id),
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL
);
CREATE INDEX stories_published ON stories (status, published_at DESC);
CREATE INDEX stories_section_published ON stories (section_id, status, published_at DESC);

CREATE TABLE story_authors (
    story_id BIGINT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES authors(id),
    position BIGINT NOT NULL,
    PRIMARY KEY (story_id, author_id)
);
CREATE INDEX story_authors_author ON story_authors (author_id);

CREATE TABLE tags (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL CONSTRAINT tags_slug_key UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE story_tags (
    story_id BIGINT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags(id),
    PRIMARY KEY (story_id, tag_id)
);
CREATE INDEX story_tags_tag ON story_tags (tag_id);

CREATE TABLE comments (
    id BIGSERIAL PRIMARY KEY,
    story_id BIGINT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    author_name TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'visible',
    created_at BIGINT NOT NULL
);
CREATE INDEX comments_story ON comments (story_id, status);
CREATE INDEX comments_created ON comments (created_at);

CREATE TABLE views (
    id BIGSERIAL PRIMARY KEY,
    story_id BIGINT NOT NULL,
    reader TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX views_reader ON views (story_id, reader, at);
CREATE INDEX views_at ON views (at);

CREATE TABLE editors_picks (
    position BIGINT PRIMARY KEY,
    story_id BIGINT NOT NULL REFERENCES stories(id) ON DELETE CASCADE
);

-- Every write that changes what readers see appends the surrogate keys it
-- touches; every node polls this to purge its page cache.
CREATE TABLE change_events (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    keys TEXT NOT NULL
);
