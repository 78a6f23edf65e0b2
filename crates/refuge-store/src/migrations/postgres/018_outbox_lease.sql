-- A mail being sent names its server and until when it holds it (see the
-- SQLite migration 018).
ALTER TABLE outbox ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
