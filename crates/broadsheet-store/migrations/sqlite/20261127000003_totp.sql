-- Optional two-factor sign-in for staff (TOTP, RFC 6238): the base32 secret.
ALTER TABLE authors ADD COLUMN totp_secret TEXT;
