-- Several servers may share the outbox (on PostgreSQL). A mail being sent
-- names the server sending it and until when that server holds it: a
-- server that starts again marks as "unknown" only its own interrupted
-- mails, or those whose holder let the time pass (it stopped and never
-- came back), never a mail another live server is sending.
ALTER TABLE outbox ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
