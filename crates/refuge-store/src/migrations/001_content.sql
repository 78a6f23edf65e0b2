-- Content: translation groups of articles and pages, their language
-- versions, tags, categories, FAQ, menus, settings and accounts.
CREATE TABLE groups (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('news', 'page', 'appeal')),
    created_at TEXT NOT NULL
);

CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('news', 'page', 'appeal')),
    lang TEXT NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    category TEXT,
    status TEXT NOT NULL CHECK (status IN ('draft', 'review', 'scheduled', 'published', 'archived')),
    published_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (group_id, lang),
    UNIQUE (kind, lang, slug)
);
CREATE INDEX items_listing ON items (lang, kind, status, published_at DESC);
CREATE INDEX items_slug ON items (kind, slug);

CREATE TABLE item_tags (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (item_id, tag)
) WITHOUT ROWID;
CREATE INDEX item_tags_tag ON item_tags (tag, item_id);

CREATE TABLE categories (
    key TEXT NOT NULL,
    lang TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (key, lang)
) WITHOUT ROWID;

CREATE TABLE faq (
    id INTEGER PRIMARY KEY,
    lang TEXT NOT NULL,
    anchor TEXT NOT NULL,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    UNIQUE (lang, anchor)
);

CREATE TABLE menus (
    lang TEXT NOT NULL,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (lang, position)
) WITHOUT ROWID;

CREATE TABLE settings (
    key TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT '',
    value TEXT NOT NULL,
    PRIMARY KEY (key, lang)
) WITHOUT ROWID;

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'translator')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
