-- Items dated by a month only (see the SQLite migration 021).
ALTER TABLE items ADD COLUMN month_only INTEGER NOT NULL DEFAULT 0;
