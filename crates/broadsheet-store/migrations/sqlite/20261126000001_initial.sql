-- Broadsheet initial schema (SQLite). Times are unix seconds (UTC).
CREATE TABLE sections (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_id INTEGER REFERENCES sections(id),
    position INTEGER NOT NULL DEFAULT 0,
    path TEXT NOT NULL CONSTRAINT sections_path_key UNIQUE
);

CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL CONSTRAINT authors_username_key UNIQUE,
    slug TEXT NOT NULL CONSTRAINT authors_slug_key UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE pictures (
    id INTEGER PRIMARY KEY,
    alt TEXT NOT NULL,
    caption TEXT NOT NULL,
    credit TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    original BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE picture_renditions (
    picture_id INTEGER NOT NULL REFERENCES pictures(id) ON DELETE CASCADE,
    width INTEGER NOT NULL,
    format TEXT NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (picture_id, width, format)
);

CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    section_id INTEGER NOT NULL REFERENCES sections(id),
    slug TEXT NOT NULL,
    headline TEXT NOT NULL,
    standfirst TEXT NOT NULL,
    body TEXT NOT NULL,
    byline_text TEXT,
    status TEXT NOT NULL,
    access TEXT NOT NULL,
    breaking INTEGER NOT NULL DEFAULT 0,
    published_at INTEGER,
    updated_at INTEGER,
    lead_picture_id INTEGER REFERENCES pictures(id),
    created_at INTEGER NOT NULL,
    modified_at INTEGER NOT NULL
);
CREATE INDEX stories_published ON stories (status, published_at DESC);
CREATE INDEX stories_section_published ON stories (section_id, status, published_at DESC);

CREATE TABLE story_authors (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES authors(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (story_id, author_id)
);
CREATE INDEX story_authors_author ON story_authors (author_id);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL CONSTRAINT tags_slug_key UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE story_tags (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id),
    PRIMARY KEY (story_id, tag_id)
);
CREATE INDEX story_tags_tag ON story_tags (tag_id);

CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    author_name TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'visible',
    created_at INTEGER NOT NULL
);
CREATE INDEX comments_story ON comments (story_id, status);
CREATE INDEX comments_created ON comments (created_at);

CREATE TABLE views (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL,
    reader TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX views_reader ON views (story_id, reader, at);
CREATE INDEX views_at ON views (at);

CREATE TABLE editors_picks (
    position INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE
);

-- Every write that changes what readers see appends the surrogate keys it
-- touches; every node polls this to purge its page cache.
CREATE TABLE change_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    keys TEXT NOT NULL
);
