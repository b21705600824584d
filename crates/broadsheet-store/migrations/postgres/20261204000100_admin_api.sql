-- Admin API and webhooks (issue 13 item 7).
--
-- api_tokens: a token issued in the newsroom to a member of staff, who acts
-- through it with their own role (the permission table decides) narrowed to
-- the token's scopes (space-separated: stories:read stories:write
-- stories:publish pictures:write). Only the SHA-256 of the token is kept;
-- the token itself is shown once. revoked_at set: refused from then on.
CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    author_id BIGINT NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT,
    CONSTRAINT api_tokens_hash_key UNIQUE (token_hash)
);

-- webhooks: where the paper posts story events. secret: the HMAC-SHA256
-- key of the signature (kept in the clear: it signs every delivery; shown
-- to the admin once). events: space-separated (story.published
-- story.updated story.corrected story.withdrawn).
CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT REFERENCES authors(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);

-- webhook_deliveries: the job queue and the delivery log in one. A row is
-- written in the same transaction as the story move it reports (nothing is
-- lost on a crash), then claimed by one node at a time (claimed_until),
-- posted, and marked delivered, or retried at next_at with backoff, or
-- failed after the last attempt. status: pending, delivered, failed.
CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    story_id BIGINT,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    claimed_until BIGINT,
    last_code BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);
