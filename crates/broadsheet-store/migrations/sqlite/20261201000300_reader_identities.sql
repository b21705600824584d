-- Social sign-in (issue 10): the provider identities a reader signs in
-- with, and the server-side state of sign-in flows in progress.

-- One row per (provider, subject): the provider's stable id for a person
-- ("sub" in OpenID Connect, the Graph API id for Facebook) and the reader
-- account it signs in to. email is what the provider said when it was
-- linked; email_verified whether the provider vouched for it (Facebook
-- never does).
CREATE TABLE reader_identities (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    reader_id INTEGER NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    email TEXT NOT NULL DEFAULT '',
    email_verified INTEGER NOT NULL DEFAULT 0,
    linked_at INTEGER NOT NULL,
    CONSTRAINT reader_identities_provider_subject_key UNIQUE (provider, subject)
);
CREATE INDEX reader_identities_reader ON reader_identities (reader_id);

-- A sign-in flow between "Sign in with X" and the provider's callback,
-- keyed by the SHA-256 of a random value that is also in a short-lived
-- HttpOnly cookie (bs_social): the callback must bring both the cookie and
-- the matching state. Each row is used once (deleted as it is read), so a
-- replayed callback is refused; every node can finish a flow another began.
CREATE TABLE social_flows (
    flow_hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    state TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    -- A path on this site to go back to afterwards.
    return_to TEXT NOT NULL,
    -- The signed-in reader who asked to link this provider (NULL: sign in).
    link_reader_id INTEGER REFERENCES readers(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX social_flows_expires ON social_flows (expires_at);
