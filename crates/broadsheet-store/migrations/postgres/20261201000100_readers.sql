-- Reader accounts (issue 10): accounts separate from staff, their sessions,
-- one-time tokens for mail links, and entitlements (who may read paid text).
-- Times are unix seconds. Tokens and session ids are stored only as the
-- SHA-256 (hex) of the random value handed to the browser or mailed.

CREATE TABLE readers (
    id BIGSERIAL PRIMARY KEY,
    -- Lower-cased before it is stored or looked up.
    email TEXT NOT NULL CONSTRAINT readers_email_key UNIQUE,
    email_verified_at BIGINT,
    display_name TEXT NOT NULL,
    -- NULL for an account that signs in only through a social provider.
    password_hash TEXT,
    -- The newsletters the reader chose, as a JSON list of names.
    newsletters TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    -- Bumped by "sign out everywhere": sessions made at an older epoch are dead.
    session_epoch BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE reader_sessions (
    token_hash TEXT PRIMARY KEY,
    reader_id BIGINT NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    session_epoch BIGINT NOT NULL
);
CREATE INDEX reader_sessions_reader ON reader_sessions (reader_id);

-- Links sent by mail: verify an address, sign in (magic link), reset a
-- password. Each works once (used_at) and until expires_at.
CREATE TABLE reader_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CONSTRAINT reader_tokens_purpose_check CHECK (purpose IN ('verify', 'magic', 'reset')),
    reader_id BIGINT REFERENCES readers(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX reader_tokens_reader ON reader_tokens (reader_id);

-- The one record of who may read paid text: written from payments, staff
-- grants and group (organisation) access; read by the paywall.
CREATE TABLE reader_entitlements (
    id BIGSERIAL PRIMARY KEY,
    reader_id BIGINT NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    source TEXT NOT NULL CONSTRAINT reader_entitlements_source_check CHECK (source IN ('subscription', 'grant', 'group')),
    -- A subscription id, a staff note, an organisation id.
    reference TEXT NOT NULL DEFAULT '',
    starts_at BIGINT NOT NULL,
    ends_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX reader_entitlements_reader ON reader_entitlements (reader_id, starts_at);
