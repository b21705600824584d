-- Subscriptions, payments and group access (issue 10 items 5 and 8).
-- Entitlement itself stays in reader_entitlements (the one record the gate
-- reads); these tables say why a row there starts and ends. Times are unix
-- seconds; money is in minor units (pence, cents).

-- What readers can buy, set by an admin in the newsroom.
CREATE TABLE plans (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    billing_interval TEXT NOT NULL CONSTRAINT plans_interval_check CHECK (billing_interval IN ('month', 'year')),
    price_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    trial_days BIGINT NOT NULL DEFAULT 0,
    -- The payment provider's price id (Stripe: price_…).
    provider_price_id TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

-- A reader's subscription as the provider last told us (webhooks).
CREATE TABLE subscriptions (
    id BIGSERIAL PRIMARY KEY,
    reader_id BIGINT NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    plan_id BIGINT REFERENCES plans(id) ON DELETE SET NULL,
    provider_subscription_id TEXT NOT NULL CONSTRAINT subscriptions_provider_key UNIQUE,
    provider_customer_id TEXT NOT NULL,
    -- trialing, active, past_due, canceled, unpaid, refunded, incomplete, …
    status TEXT NOT NULL,
    current_period_end BIGINT,
    cancel_at_period_end BIGINT NOT NULL DEFAULT 0,
    -- After a failed renewal: entitled until then while the provider retries.
    grace_until BIGINT,
    -- The reader_entitlements row this subscription keeps.
    entitlement_id BIGINT REFERENCES reader_entitlements(id) ON DELETE SET NULL,
    -- The provider's time of the newest event applied (older ones are stale).
    provider_updated_at BIGINT NOT NULL,
    retention_offered_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX subscriptions_reader ON subscriptions (reader_id);
CREATE INDEX subscriptions_customer ON subscriptions (provider_customer_id);

-- Every webhook event accepted (signature good), once by its id.
CREATE TABLE payment_events (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    provider_created BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    -- applied, ignored (unknown type), stale (older than what we hold), unmatched
    outcome TEXT NOT NULL,
    reader_id BIGINT REFERENCES readers(id) ON DELETE SET NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX payment_events_reader ON payment_events (reader_id);

-- Organisations whose people read for free: by seat, or by a verified
-- address at one of their domains.
CREATE TABLE organisations (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    seats BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE organisation_domains (
    domain TEXT PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE
);
CREATE INDEX organisation_domains_org ON organisation_domains (organisation_id);

CREATE TABLE organisation_seats (
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    reader_id BIGINT NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    entitlement_id BIGINT REFERENCES reader_entitlements(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, reader_id)
);
CREATE INDEX organisation_seats_reader ON organisation_seats (reader_id);
