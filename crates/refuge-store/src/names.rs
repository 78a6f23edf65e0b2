//! The names marked `[[name:…]]` on the site (`NameReads`): recorded by
//! every write of text that may hold them, in the same transaction, and
//! never forgotten; filled once from the existing content when a
//! database first meets this version.

use refuge_core::redaction::names_in;

use crate::sql::{DbResult, Handle, Optional, params};

/// Records the names marked in `texts`, written at `source`; `public`
/// when they may be shown in full (an appeal whose names are public).
pub(crate) fn record(conn: &Handle<'_>, source: &str, texts: &[&str], public: bool) -> DbResult<()> {
    let mut names: Vec<String> = Vec::new();
    for text in texts {
        for name in names_in(text) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    for name in names {
        conn.execute(
            "INSERT INTO protected_names (name, source, public) VALUES (?, ?, ?)
             ON CONFLICT (name, source) DO UPDATE SET public = excluded.public",
            params![name, source, i64::from(public)],
        )?;
    }
    Ok(())
}

/// Records the names of an item as stored now: its text, its appeal's
/// facts and timeline, under `item:ID`, public when its appeal says so.
pub(crate) fn record_item(conn: &Handle<'_>, item_id: i64) -> DbResult<()> {
    let texts: Option<(String, String, String)> = conn
        .query_row("SELECT title, summary, body FROM items WHERE id = ?", params![item_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((title, summary, body)) = texts else { return Ok(()) };
    let facts: Option<(bool, Vec<String>)> = conn
        .query_row(
            "SELECT names_public, people, ages, held_where, held_since, risk, action, letter, number
             FROM appeals WHERE item_id = ?",
            params![item_id],
            |r| Ok((r.get(0)?, (1..9).map(|i| r.get(i)).collect::<DbResult<Vec<String>>>()?)),
        )
        .optional()?;
    let (public, mut more) = facts.unwrap_or_default();
    let updates =
        conn.query_map("SELECT text, source FROM appeal_updates WHERE item_id = ?", params![item_id], |r| {
            Ok((r.get::<String>(0)?, r.get::<String>(1)?))
        })?;
    for (text, source) in updates {
        more.push(text);
        more.push(source);
    }
    let mut all: Vec<&str> = vec![&title, &summary, &body];
    all.extend(more.iter().map(String::as_str));
    record(conn, &format!("item:{item_id}"), &all, public)
}

/// Fills the list from everything stored, once per database (`meta` key
/// `names_recorded`): items with every revision, appeals, media texts,
/// newsletters, FAQ, menus, categories and settings.
pub(crate) fn record_everything_once(conn: &Handle<'_>) -> DbResult<()> {
    let done: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'names_recorded'", params![], |r| r.get(0)).optional()?;
    if done.is_some() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    let ids: Vec<i64> = tx.query_map("SELECT id FROM items ORDER BY id", params![], |r| r.get(0))?;
    for id in &ids {
        record_item(&tx, *id)?;
        let public: bool = tx
            .query_row("SELECT names_public FROM appeals WHERE item_id = ?", params![id], |r| r.get(0))
            .optional()?
            .unwrap_or(false);
        let revisions =
            tx.query_map("SELECT title, summary, body FROM revisions WHERE item_id = ?", params![id], |r| {
                Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?))
            })?;
        for (title, summary, body) in revisions {
            record(&tx, &format!("item:{id}"), &[&title, &summary, &body], public)?;
        }
    }
    let sources: [(&str, &str); 6] = [
        ("SELECT 'media:' || media_id, alt FROM media_alt", "media"),
        ("SELECT 'newsletter:' || id, title || ' ' || body FROM newsletters", "newsletters"),
        ("SELECT 'faq:' || id, question || ' ' || answer FROM faq", "faq"),
        ("SELECT 'menu:' || lang, label FROM menus", "menus"),
        ("SELECT 'category:' || key, name FROM categories", "categories"),
        ("SELECT 'setting:' || key, value FROM settings", "settings"),
    ];
    for (sql, what) in sources {
        let rows = tx.query_map(sql, params![], |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)))?;
        for (source, text) in rows {
            record(&tx, &source, &[&text], false)?;
        }
        tracing::debug!(what, "names recorded");
    }
    tx.execute("INSERT INTO meta (key, value) VALUES ('names_recorded', '1') ON CONFLICT (key) DO NOTHING", params![])?;
    tx.commit()?;
    tracing::info!(items = ids.len(), "the names marked in existing content were recorded for the name guard");
    Ok(())
}

#[cfg(test)]
mod tests {
    use refuge_core::{
        AppealFacts, AppealStore, ContentStore, ItemDraft, ItemSave, Kind, Language, NameReads, Slug, Status,
    };

    use crate::db::SqlStore;

    fn draft(slug: &str, body: &str) -> ItemDraft {
        ItemDraft {
            group_id: None,
            kind: Kind::Appeal,
            lang: Language::parse("en").unwrap(),
            slug: Slug::parse(slug).unwrap(),
            title: "Free [[name:Park Ji-hoon]]".into(),
            summary: String::new(),
            body: body.into(),
            category: None,
            tags: Vec::new(),
            status: Status::Draft,
            published_at: None,
        }
    }

    #[test]
    fn every_write_records_its_names_and_none_is_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(&dir.path().join("n.db")).unwrap();
        let item = store.save_item(None, &draft("free", "[[name:김민지]] and [[Name:Choi Yu-na]]")).unwrap();
        assert_eq!(store.protected_names().unwrap(), ["Choi Yu-na", "Park Ji-hoon", "김민지"]);
        // Taken out of the text, the name stays protected.
        store.save_item(Some(item.id), &draft("free", "Nothing.")).unwrap();
        assert_eq!(store.protected_names().unwrap().len(), 3);
        store
            .add_appeal_update(
                item.id,
                &refuge_core::NewUpdate { date: "2026-12-01", text: "[[name:李明华]] moved", ..Default::default() },
            )
            .unwrap();
        store.set_setting("tagline", None, "For [[name:Sato Hanako]]").unwrap();
        let names = store.protected_names().unwrap();
        assert!(names.contains(&"李明华".to_owned()) && names.contains(&"Sato Hanako".to_owned()), "{names:?}");
    }

    #[test]
    fn names_of_an_appeal_whose_names_are_public_are_not_protected() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(&dir.path().join("n.db")).unwrap();
        let facts = AppealFacts { names_public: true, ..AppealFacts::default() };
        let d = draft("public", "");
        let save = ItemSave { appeal: Some((&facts, &[])), ..ItemSave::item(None, &d, None, "") };
        let item = store.save_item_with(&save).unwrap();
        assert!(store.protected_names().unwrap().is_empty());
        // The same name hidden elsewhere is protected everywhere.
        store.save_item(None, &draft("other", "")).unwrap();
        assert_eq!(store.protected_names().unwrap(), ["Park Ji-hoon"]);
        // Made private again: protected.
        let private = AppealFacts::default();
        let save = ItemSave { appeal: Some((&private, &[])), ..ItemSave::item(Some(item.id), &d, None, "") };
        store.save_item_with(&save).unwrap();
        assert_eq!(store.protected_names().unwrap(), ["Park Ji-hoon"]);
    }

    #[test]
    fn an_older_database_is_filled_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.db");
        {
            let store = SqlStore::open(&path).unwrap();
            store.save_item(None, &draft("old", "[[name:Kim Minji]]")).unwrap();
            let conn = store.conn().unwrap();
            conn.batch("DELETE FROM protected_names; DELETE FROM meta WHERE key = 'names_recorded'").unwrap();
            drop(conn);
            assert!(store.protected_names().unwrap().is_empty());
        }
        let store = SqlStore::open(&path).unwrap();
        assert_eq!(store.protected_names().unwrap(), ["Kim Minji", "Park Ji-hoon"]);
    }
}
