use super::*;
use refuge_core::{NewsFilter, Status};
use time::macros::datetime;

fn lang(code: &str) -> Language {
    Language::parse(code).unwrap()
}

fn news(l: &str, slug: &str, when: OffsetDateTime, status: Status) -> ItemDraft {
    ItemDraft {
        group_id: None,
        kind: Kind::News,
        lang: lang(l),
        slug: Slug::parse(slug).unwrap(),
        title: format!("Title {slug}"),
        summary: "Sum".into(),
        body: "Body".into(),
        category: Some("reports".into()),
        tags: vec!["china".into(), "長い".into()],
        status,
        published_at: Some(when),
    }
}

#[test]
fn translations_lists_and_filters() {
    for db in crate::testing::each_engine() {
        let s = &db.store;
        let a = s.save_item(None, &news("en", "a", datetime!(2002-07-20 0:00 UTC), Status::Published)).unwrap();
        let mut ja = news("ja", "a", datetime!(2002-07-21 0:00 UTC), Status::Published);
        ja.group_id = Some(a.group_id);
        s.save_item(None, &ja).unwrap();
        s.save_item(None, &news("en", "b", datetime!(2003-01-01 0:00 UTC), Status::Published)).unwrap();
        s.save_item(None, &news("en", "hidden", datetime!(2004-01-01 0:00 UTC), Status::Draft)).unwrap();

        let t = s.published_translations(a.group_id).unwrap();
        assert_eq!(t.iter().map(|r| r.lang.as_str()).collect::<Vec<_>>(), ["en", "ja"]);

        let en = lang("en");
        let (list, total) = s.published_news(&en, &NewsFilter::default(), 0, 10).unwrap();
        assert_eq!(total, 2, "drafts are never listed");
        assert_eq!(list[0].slug.as_str(), "b", "newest first");
        let y2002 = NewsFilter { year: Some(2002), ..Default::default() };
        assert_eq!(s.published_news(&en, &y2002, 0, 10).unwrap().1, 1);
        let tagged = NewsFilter { tag: Some("長い".into()), ..Default::default() };
        assert_eq!(s.published_news(&en, &tagged, 0, 10).unwrap().1, 2);
        assert_eq!(s.news_years(&en).unwrap(), vec![(2003, 1), (2002, 1)]);
        assert_eq!(s.tags(&en).unwrap(), vec![("china".into(), 2), ("長い".into(), 2)]);
        let (page2, _) = s.published_news(&en, &NewsFilter::default(), 1, 1).unwrap();
        assert_eq!(page2[0].slug.as_str(), "a");

        let got = s.published_item(Kind::News, &en, &Slug::parse("a").unwrap()).unwrap().unwrap();
        assert_eq!(got.tags, vec!["china".to_string(), "長い".to_string()]);
        assert!(s.published_item(Kind::News, &en, &Slug::parse("hidden").unwrap()).unwrap().is_none());
    }
}

#[test]
fn conflicts_are_reported() {
    for db in crate::testing::each_engine() {
        let s = &db.store;
        let when = datetime!(2002-07-20 0:00 UTC);
        let a = s.save_item(None, &news("en", "a", when, Status::Published)).unwrap();
        assert!(matches!(s.save_item(None, &news("en", "a", when, Status::Published)), Err(StoreError::Conflict(_))));
        let mut again = news("en", "other", when, Status::Published);
        again.group_id = Some(a.group_id);
        assert!(matches!(s.save_item(None, &again), Err(StoreError::Conflict(_))));
        let mut bad = news("en", "x", when, Status::Published);
        bad.title = String::new();
        assert!(matches!(s.save_item(None, &bad), Err(StoreError::Invalid(_))));
    }
}

#[test]
fn update_and_delete() {
    for db in crate::testing::each_engine() {
        let s = &db.store;
        let when = datetime!(2002-07-20 0:00 UTC);
        let a = s.save_item(None, &news("en", "a", when, Status::Published)).unwrap();
        let mut d = news("en", "a2", when, Status::Published);
        d.group_id = Some(a.group_id);
        d.tags = vec!["one".into()];
        let b = s.save_item(Some(a.id), &d).unwrap();
        assert_eq!((b.id, b.slug.as_str(), b.tags.clone()), (a.id, "a2", vec!["one".to_string()]));
        s.delete_item(a.id).unwrap();
        assert!(s.item(a.id).unwrap().is_none());
        assert!(matches!(s.delete_item(a.id), Err(StoreError::NotFound(_))));
        assert!(s.last_change().unwrap().is_some());
        let stamp = s.change_stamp().unwrap();
        s.set_setting("x", None, "y").unwrap();
        assert_ne!(s.change_stamp().unwrap(), stamp, "every write changes the stamp");
    }
}

#[test]
fn settings_fall_back_to_all_languages() {
    for db in crate::testing::each_engine() {
        let s = &db.store;
        s.set_setting("site_name", None, "Refuge").unwrap();
        s.set_setting("site_name", Some(&lang("ja")), "レフュージ").unwrap();
        assert_eq!(s.setting("site_name", &lang("ja")).unwrap().unwrap(), "レフュージ");
        assert_eq!(s.setting("site_name", &lang("en")).unwrap().unwrap(), "Refuge");
        assert!(s.setting("nothing", &lang("en")).unwrap().is_none());
    }
}

#[test]
fn categories_faq_menus() {
    for db in crate::testing::each_engine() {
        let s = &db.store;
        let key = Slug::parse("reports").unwrap();
        s.save_category(&key, &lang("en"), "Reports").unwrap();
        s.save_item(None, &news("en", "a", datetime!(2002-07-20 0:00 UTC), Status::Published)).unwrap();
        assert_eq!(s.categories(&lang("en")).unwrap()[0].count, 1);
        let q = Slug::parse("who").unwrap();
        s.replace_faq(&lang("en"), &[(q.clone(), "Who?".into(), "Us.".into())]).unwrap();
        assert_eq!(s.faq(&lang("en")).unwrap()[0].anchor, q);
        assert!(matches!(
            s.replace_faq(&lang("en"), &[(q.clone(), "a".into(), "b".into()), (q, "c".into(), "d".into())]),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(s.faq(&lang("en")).unwrap().len(), 1, "a failed replace changes nothing");
        let menu = vec![MenuEntry { label: "About".into(), path: "/en/about/".into() }];
        s.replace_menu(&lang("en"), &menu).unwrap();
        assert_eq!(s.menu(&lang("en")).unwrap(), menu);
        let bad = vec![MenuEntry { label: "x".into(), path: "//evil.example/".into() }];
        assert!(s.replace_menu(&lang("en"), &bad).is_err());
    }
}
