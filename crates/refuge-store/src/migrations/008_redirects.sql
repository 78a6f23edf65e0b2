-- Permanent redirects from the paths of an old site (say `/2faced.html`)
-- to what replaced them: an item (followed to its current path, so a
-- later slug change keeps the old address working) or a fixed path (an
-- image now in the media library).
CREATE TABLE redirects (
    from_path TEXT PRIMARY KEY,
    item_id INTEGER REFERENCES items(id) ON DELETE CASCADE,
    to_path TEXT,
    created_at TEXT NOT NULL,
    CHECK ((item_id IS NULL) <> (to_path IS NULL))
);
CREATE INDEX redirects_item ON redirects(item_id);
