-- The names marked [[name:…]] anywhere on the site, ever, by where they
-- were written (`item:42`, `media:7`, `newsletter:3`, `setting:tagline`…):
-- the list the name guard searches every way out for. `public` is 1 for a
-- name in an appeal whose names are public; a name is protected as soon
-- as one row says 0. Filled from the existing content at the first start
-- of this version (meta key `names_recorded`).
CREATE TABLE protected_names (
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    public INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (name, source)
);
