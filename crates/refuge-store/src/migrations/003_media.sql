-- Media library: uploads made safe (metadata removed), their variants and
-- alternative text per language.
CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'pdf')),
    name TEXT NOT NULL,
    stored TEXT NOT NULL UNIQUE,
    extension TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    bytes INTEGER NOT NULL,
    variants TEXT NOT NULL DEFAULT '',
    report TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE media_alt (
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    alt TEXT NOT NULL,
    PRIMARY KEY (media_id, lang)
) WITHOUT ROWID;
