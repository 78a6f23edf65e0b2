-- The names marked [[name:…]] anywhere on the site (see the SQLite migration 022).
CREATE TABLE protected_names (
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    public BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (name, source)
);
