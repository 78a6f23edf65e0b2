-- Two-step sign-in: the last time step whose code was accepted, so the
-- same code is never accepted twice.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
-- When the last confirmation mail was queued for a sign-up, so signing up
-- again while unconfirmed sends it again, at most once an hour.
ALTER TABLE subscribers ADD COLUMN confirm_sent_at TEXT;
