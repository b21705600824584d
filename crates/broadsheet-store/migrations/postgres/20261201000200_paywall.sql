-- The metered paywall (issue 10, items 3 and 6).
--
-- meter_opens: which metered stories each reader opened in each meter
-- period. subject is 'a:<account id>' for a signed-in reader or
-- 'd:<device id>' for the signed device cookie; period is the period's
-- number (unix seconds / period length). Bounded by the allowance per
-- subject per period; old periods are pruned by a job.
CREATE TABLE meter_opens (
    subject TEXT NOT NULL,
    period BIGINT NOT NULL,
    story_id BIGINT NOT NULL,
    opened_at BIGINT NOT NULL,
    PRIMARY KEY (subject, period, story_id)
);
CREATE INDEX meter_opens_period ON meter_opens (period);

-- New device meters started per client address (a keyed hash of it, never
-- the address) per day: clearing cookies gets a fresh meter only so often.
CREATE TABLE meter_mints (
    client TEXT NOT NULL,
    day BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (client, day)
);

-- Sections and tags whose metered stories are for subscribers only.
CREATE TABLE paywall_sections (
    section_id BIGINT PRIMARY KEY REFERENCES sections(id) ON DELETE CASCADE
);
CREATE TABLE paywall_tags (
    tag_id BIGINT PRIMARY KEY REFERENCES tags(id) ON DELETE CASCADE
);

-- Gift links: a subscriber shares one paid story. Only the SHA-256 of the
-- link's token is kept; the giver is a reader account (never in the URL).
CREATE TABLE gift_links (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL CONSTRAINT gift_links_token_key UNIQUE,
    story_id BIGINT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    giver BIGINT NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    max_uses BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX gift_links_giver ON gift_links (giver, created_at);

-- Who a gift link brought: one row per reader (subject) it opened the story for.
CREATE TABLE gift_uses (
    link_id BIGINT NOT NULL REFERENCES gift_links(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (link_id, subject)
);
