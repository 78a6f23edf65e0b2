-- The back office's item lists sort by last change, publication date or
-- title; with these the first page is read from an index instead of
-- sorting every item.
CREATE INDEX items_changed ON items (updated_at DESC, id DESC);
CREATE INDEX items_published_any ON items (coalesce(published_at, '') DESC, id DESC);
CREATE INDEX items_title ON items (title COLLATE NOCASE, id);
