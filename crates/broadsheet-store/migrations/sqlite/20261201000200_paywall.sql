-- The metered paywall (issue 10, items 3 and 6).
--
-- meter_opens: which metered stories each reader opened in each meter
-- period. subject is 'a:<account id>' for a signed-in reader or
-- 'd:<device id>' for the signed device cookie; period is the period's
-- number (unix seconds / period length). Bounded by the allowance per
-- subject per period; old periods are pruned by a job.
CREATE TABLE meter_opens (
    subject TEXT NOT NULL,
    period INTEGER NOT NULL,
    story_id INTEGER NOT NULL,
    opened_at INTEGER NOT NULL,
    PRIMARY KEY (subject, period, story_id)
) WITHOUT ROWID;
CREATE INDEX meter_opens_period ON meter_opens (period);

-- New device meters started per client address (a keyed hash of it, never
-- the address) per day: clearing cookies gets a fresh meter only so often.
CREATE TABLE meter_mints (
    client TEXT NOT NULL,
    day INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (client, day)
) WITHOUT ROWID;

-- Sections and tags whose metered stories are for subscribers only.
CREATE TABLE paywall_sections (
    section_id INTEGER PRIMARY KEY REFERENCES sections(id) ON DELETE CASCADE
);
CREATE TABLE paywall_tags (
    tag_id INTEGER PRIMARY KEY REFERENCES tags(id) ON DELETE CASCADE
);

-- Gift links: a subscriber shares one paid story. Only the SHA-256 of the
-- link's token is kept; the giver is a reader account (never in the URL).
CREATE TABLE gift_links (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL CONSTRAINT gift_links_token_key UNIQUE,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    giver INTEGER NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    max_uses INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX gift_links_giver ON gift_links (giver, created_at);

-- Who a gift link brought: one row per reader (subject) it opened the story for.
CREATE TABLE gift_uses (
    link_id INTEGER NOT NULL REFERENCES gift_links(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (link_id, subject)
) WITHOUT ROWID;
