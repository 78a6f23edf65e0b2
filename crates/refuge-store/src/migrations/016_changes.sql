-- The change feed. Every change to what readers see appends rows here in
-- the same transaction (these triggers), whoever makes it: the server, a
-- command such as `refuge import html`, or another server sharing the
-- database. Running servers follow the feed and apply each change to their
-- page cache and search index as a local edit would. A row names what
-- changed and, for an item, the facts its pages are chosen by (as they
-- were and as they are), never its text. Rows older than a day are trimmed.
CREATE TABLE changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL DEFAULT (unixepoch()),
    -- item, tag, appeal, faq, newsletters, site
    what TEXT NOT NULL,
    -- the item (item, tag, appeal) or FAQ entry (faq)
    ref_id INTEGER,
    group_id INTEGER,
    kind TEXT,
    lang TEXT,
    slug TEXT,
    -- the category of an item, the tag of a tag row
    label TEXT,
    year INTEGER
);

CREATE TRIGGER changes_item_insert AFTER INSERT ON items BEGIN
    INSERT INTO changes (what, ref_id, group_id, kind, lang, slug, label, year)
    VALUES ('item', NEW.id, NEW.group_id, NEW.kind, NEW.lang, NEW.slug, NEW.category,
            CAST(substr(NEW.published_at, 1, 4) AS INTEGER));
END;
CREATE TRIGGER changes_item_update AFTER UPDATE ON items BEGIN
    INSERT INTO changes (what, ref_id, group_id, kind, lang, slug, label, year)
    VALUES ('item', OLD.id, OLD.group_id, OLD.kind, OLD.lang, OLD.slug, OLD.category,
            CAST(substr(OLD.published_at, 1, 4) AS INTEGER)),
           ('item', NEW.id, NEW.group_id, NEW.kind, NEW.lang, NEW.slug, NEW.category,
            CAST(substr(NEW.published_at, 1, 4) AS INTEGER));
END;
CREATE TRIGGER changes_item_delete AFTER DELETE ON items BEGIN
    INSERT INTO changes (what, ref_id, group_id, kind, lang, slug, label, year)
    VALUES ('item', OLD.id, OLD.group_id, OLD.kind, OLD.lang, OLD.slug, OLD.category,
            CAST(substr(OLD.published_at, 1, 4) AS INTEGER));
END;

-- A tag added or removed: its pages in the item's language (unknown when
-- the item itself was deleted: then in every language).
CREATE TRIGGER changes_tag_insert AFTER INSERT ON item_tags BEGIN
    INSERT INTO changes (what, ref_id, lang, label)
    VALUES ('tag', NEW.item_id, (SELECT lang FROM items WHERE id = NEW.item_id), NEW.tag);
END;
CREATE TRIGGER changes_tag_delete AFTER DELETE ON item_tags BEGIN
    INSERT INTO changes (what, ref_id, lang, label)
    VALUES ('tag', OLD.item_id, (SELECT lang FROM items WHERE id = OLD.item_id), OLD.tag);
END;

-- An appeal's facts, addressees and timeline show on its pages.
CREATE TRIGGER changes_appeal_insert AFTER INSERT ON appeals BEGIN
    INSERT INTO changes (what, ref_id) VALUES ('appeal', NEW.item_id);
END;
CREATE TRIGGER changes_appeal_update AFTER UPDATE ON appeals BEGIN
    INSERT INTO changes (what, ref_id) VALUES ('appeal', NEW.item_id);
END;
CREATE TRIGGER changes_addressee_insert AFTER INSERT ON appeal_addressees BEGIN
    INSERT INTO changes (what, ref_id) VALUES ('appeal', NEW.item_id);
END;
CREATE TRIGGER changes_addressee_delete AFTER DELETE ON appeal_addressees BEGIN
    INSERT INTO changes (what, ref_id) VALUES ('appeal', OLD.item_id);
END;
CREATE TRIGGER changes_update_insert AFTER INSERT ON appeal_updates BEGIN
    INSERT INTO changes (what, ref_id) VALUES ('appeal', NEW.item_id);
END;
CREATE TRIGGER changes_update_delete AFTER DELETE ON appeal_updates BEGIN
    INSERT INTO changes (what, ref_id) VALUES ('appeal', OLD.item_id);
END;

CREATE TRIGGER changes_faq_insert AFTER INSERT ON faq BEGIN
    INSERT INTO changes (what, ref_id, lang) VALUES ('faq', NEW.id, NEW.lang);
END;
CREATE TRIGGER changes_faq_update AFTER UPDATE ON faq BEGIN
    INSERT INTO changes (what, ref_id, lang) VALUES ('faq', NEW.id, NEW.lang);
END;
CREATE TRIGGER changes_faq_delete AFTER DELETE ON faq BEGIN
    INSERT INTO changes (what, ref_id, lang) VALUES ('faq', OLD.id, OLD.lang);
END;

CREATE TRIGGER changes_newsletter_insert AFTER INSERT ON newsletters BEGIN
    INSERT INTO changes (what, lang) VALUES ('newsletters', NEW.lang);
END;
CREATE TRIGGER changes_newsletter_update AFTER UPDATE ON newsletters BEGIN
    INSERT INTO changes (what, lang) VALUES ('newsletters', NEW.lang);
END;

-- Site-wide things every page shows: settings, menus, category names.
CREATE TRIGGER changes_setting_insert AFTER INSERT ON settings BEGIN
    INSERT INTO changes (what) VALUES ('site');
END;
CREATE TRIGGER changes_setting_update AFTER UPDATE ON settings BEGIN
    INSERT INTO changes (what) VALUES ('site');
END;
CREATE TRIGGER changes_setting_delete AFTER DELETE ON settings BEGIN
    INSERT INTO changes (what) VALUES ('site');
END;
CREATE TRIGGER changes_menu_insert AFTER INSERT ON menus BEGIN
    INSERT INTO changes (what) VALUES ('site');
END;
CREATE TRIGGER changes_menu_delete AFTER DELETE ON menus BEGIN
    INSERT INTO changes (what) VALUES ('site');
END;
CREATE TRIGGER changes_category_insert AFTER INSERT ON categories BEGIN
    INSERT INTO changes (what) VALUES ('site');
END;
CREATE TRIGGER changes_category_update AFTER UPDATE ON categories BEGIN
    INSERT INTO changes (what) VALUES ('site');
END;
