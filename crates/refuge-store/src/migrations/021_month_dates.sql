-- Items dated by a month only ("July 2002", from an old archive): the
-- date is the 1st of the month, and pages show the month alone.
ALTER TABLE items ADD COLUMN month_only INTEGER NOT NULL DEFAULT 0;
