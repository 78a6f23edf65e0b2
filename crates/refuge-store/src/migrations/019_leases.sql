-- Work one server at a time does for all (hourly housekeeping, trimming
-- the change feed): the server holding a lease does it until the lease
-- ends; Unix seconds.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until INTEGER NOT NULL
) WITHOUT ROWID;
