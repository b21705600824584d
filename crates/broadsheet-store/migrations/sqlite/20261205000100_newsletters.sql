-- Newsletters (issue 13 item 5).
--
-- newsletters: what readers can choose. kind: briefing (the paper's
-- stories), section (a section and those under it), place (a tag naming a
-- place). One issue a day, built at send_hour in the paper's time zone.
-- readers.newsletters (the profile's old list of names, chosen without
-- double opt-in) is no longer read: a subscription here needs a confirmed
-- request.
CREATE TABLE newsletters (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL CONSTRAINT newsletters_slug_key UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    section_id INTEGER REFERENCES sections(id) ON DELETE CASCADE,
    tag_id INTEGER REFERENCES tags(id) ON DELETE CASCADE,
    send_hour INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);
INSERT INTO newsletters (slug, name, description, kind, send_hour, created_at)
VALUES ('morning-briefing', 'The Morning Briefing',
        'The stories of the last day, every morning at 7.', 'briefing', 7, 0);

-- newsletter_subscriptions: one reader's choice of one newsletter and the
-- record of consent: the words they agreed to (consent_text), when and
-- where they asked (requested_at, requested_via), when they confirmed by
-- the mailed link (confirmed_at), when and how they left.
-- status: pending (asked, link not yet followed), active, unsubscribed.
CREATE TABLE newsletter_subscriptions (
    reader_id INTEGER NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    newsletter_id INTEGER NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    consent_text TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    requested_via TEXT NOT NULL,
    confirmed_at INTEGER,
    unsubscribed_at INTEGER,
    unsubscribed_via TEXT,
    PRIMARY KEY (reader_id, newsletter_id)
);
CREATE INDEX newsletter_subscriptions_list ON newsletter_subscriptions (newsletter_id, status);

-- newsletter_issues: one per newsletter and day (the unique period: one
-- node builds it). status: skipped (nothing new), sending, sent.
-- story_ids: space-separated, in the order shown. opens and clicks are
-- counts for the issue as a whole: no reader is recorded.
CREATE TABLE newsletter_issues (
    id INTEGER PRIMARY KEY,
    newsletter_id INTEGER NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    status TEXT NOT NULL,
    subject TEXT NOT NULL,
    story_ids TEXT NOT NULL DEFAULT '',
    window_start INTEGER NOT NULL,
    window_end INTEGER NOT NULL,
    built_at INTEGER NOT NULL,
    finished_at INTEGER,
    opens INTEGER NOT NULL DEFAULT 0,
    clicks INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT newsletter_issues_period_key UNIQUE (newsletter_id, period)
);

-- newsletter_sends: the recipients of an issue, fixed when it is built (the
-- job queue and its log). status: queued; claimed (a node took it, not yet
-- tried); sending (handed to SMTP: after a crash it becomes interrupted and
-- is never sent again); sent; failed (refused for good, or out of
-- attempts); suppressed (the address was on the suppression list by the
-- time its turn came).
CREATE TABLE newsletter_sends (
    issue_id INTEGER NOT NULL REFERENCES newsletter_issues(id) ON DELETE CASCADE,
    reader_id INTEGER NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    claimed_until INTEGER,
    sent_at INTEGER,
    error TEXT,
    PRIMARY KEY (issue_id, reader_id)
);
CREATE INDEX newsletter_sends_due ON newsletter_sends (status, next_at);

-- newsletter_clicks: clicks per issue and story (aggregate only).
CREATE TABLE newsletter_clicks (
    issue_id INTEGER NOT NULL REFERENCES newsletter_issues(id) ON DELETE CASCADE,
    story_id INTEGER NOT NULL,
    clicks INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (issue_id, story_id)
);

-- mail_suppressions: addresses the paper sends no newsletter to: hard
-- bounces (the mail server refused the address for good), complaints, and
-- ones the newsroom added. One list for every newsletter.
CREATE TABLE mail_suppressions (
    email TEXT NOT NULL PRIMARY KEY,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES authors(id) ON DELETE SET NULL
);
