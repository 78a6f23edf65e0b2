-- News listings are ordered by date, newest first, then by id: an index in
-- exactly that order lets a page of a long listing be read from the index
-- (skipping earlier pages there) instead of sorting every article.
CREATE INDEX items_news_order ON items (lang, kind, status, published_at DESC, id DESC);
DROP INDEX items_listing;
