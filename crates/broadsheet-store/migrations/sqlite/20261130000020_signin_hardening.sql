-- Sign-in hardening (issue 8).
-- The last TOTP time step accepted for each account: a code whose step is
-- not newer is refused, so a code cannot be used twice (every node reads
-- the same row).
ALTER TABLE authors ADD COLUMN totp_last_step INTEGER;

-- Per-installation secrets (random, made on first use), e.g. the HMAC key
-- that signs the sign-in form's CSRF cookie and trusted-device cookies.
CREATE TABLE installation_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
