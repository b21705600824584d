-- Wire ingest (issue 14): agencies, their items and the quarantine.
--
-- agencies: set up by an admin in the newsroom. mode: queue (items wait in
-- the newsroom's wire queue until someone opens one as a draft) or auto
-- (published at once to section_id, or to where the rules send them).
-- rules: the editors' mapping rules, as text (broadsheet_domain::wire::rules).
-- token_hash: SHA-256 (hex) of the push token; none: HTTP push is off.
CREATE TABLE agencies (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL CONSTRAINT agencies_slug_key UNIQUE,
    name TEXT NOT NULL,
    byline TEXT NOT NULL,
    credit TEXT NOT NULL,
    section_id BIGINT NOT NULL REFERENCES sections(id),
    mode TEXT NOT NULL DEFAULT 'queue',
    rules TEXT NOT NULL DEFAULT '',
    token_hash TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

-- wire_items: the newest version of each agency item, as mapped (what the
-- story would be), and what became of it. One row per (agency, item id):
-- a version at or below `version` changes nothing (duplicates and
-- out-of-order deliveries are idempotent). status: queued (waiting for the
-- desk), taken (opened as a draft), published (automatic), held (a newer
-- version came after the desk changed the story: waiting for the desk),
-- withheld (the agency held it back: taken down until a usable version),
-- killed (final), refused (not a story: the reason is in notes).
-- story_version: the story's version as the wire last wrote it (a story
-- the desk changed since is not overwritten).
CREATE TABLE wire_items (
    id BIGSERIAL PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    headline TEXT NOT NULL,
    standfirst TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    byline TEXT NOT NULL DEFAULT '',
    section_id BIGINT NOT NULL REFERENCES sections(id),
    tags TEXT NOT NULL DEFAULT '',
    subjects TEXT NOT NULL DEFAULT '',
    urgency BIGINT,
    breaking BIGINT NOT NULL DEFAULT 0,
    language TEXT,
    embargo BIGINT,
    notes TEXT NOT NULL DEFAULT '',
    picture_id BIGINT REFERENCES pictures(id) ON DELETE SET NULL,
    story_id BIGINT REFERENCES stories(id) ON DELETE SET NULL,
    story_version BIGINT,
    received_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT wire_items_item_key UNIQUE (agency_id, item_id)
);
CREATE INDEX wire_items_queue ON wire_items (status, updated_at);
CREATE INDEX wire_items_story ON wire_items (story_id);

-- wire_quarantine: files that could not be read, kept whole (original)
-- with the reason, until someone in the newsroom dismisses the alert.
CREATE TABLE wire_quarantine (
    id BIGSERIAL PRIMARY KEY,
    agency_id BIGINT REFERENCES agencies(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    transport TEXT NOT NULL,
    reason TEXT NOT NULL,
    original BYTEA NOT NULL,
    received_at BIGINT NOT NULL,
    cleared_at BIGINT,
    cleared_by BIGINT REFERENCES authors(id) ON DELETE SET NULL
);
CREATE INDEX wire_quarantine_open ON wire_quarantine (cleared_at, received_at);
