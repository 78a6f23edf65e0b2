use refuge_core::{DedupeKey, Purpose};

use super::*;

#[test]
fn double_opt_in_and_a_queue_that_never_sends_twice() {
    for db in crate::testing::each_engine() {
        let s = &db.store;
        let ja = Language::parse("ja").unwrap();
        let sub = s.subscribe("a@example.org", &ja, &["news".into(), "appeals".into()], "tok1", "form").unwrap();
        let key = DedupeKey::of_lasting(Purpose::Newsletter, 1);
        assert!(!sub.confirmed);
        assert!(
            s.confirmed_subscribers(&ja, refuge_core::subscribers::Topic::News).unwrap().is_empty(),
            "not before confirming"
        );
        assert!(s.confirm_subscription("wrong").unwrap().is_none());
        assert!(s.confirm_subscription("tok1").unwrap().unwrap().confirmed);
        assert_eq!(s.confirmed_subscribers(&ja, refuge_core::subscribers::Topic::Appeals).unwrap().len(), 1);
        assert_eq!(s.confirmed_subscribers(&ja, Topic::News).unwrap().len(), 1);
        let new = NewMail {
            dedupe: &key,
            kind: MailKind::Newsletter,
            lang: "ja",
            recipient: "a@example.org",
            subject: "Hi",
            body: "Body",
            unsubscribe: "",
        };
        assert!(s.enqueue(&new).unwrap());
        assert!(!s.enqueue(&new).unwrap(), "deduplicated");
        let mail = s.take_due(now()).unwrap().unwrap();
        assert_eq!((mail.kind, mail.lang.as_str(), mail.uid.len()), (MailKind::Newsletter, "ja", 32));
        assert!(s.take_due(now()).unwrap().is_none(), "taken once");
        assert_eq!(s.recover_interrupted().unwrap(), 1);
        assert_eq!(s.outbox_counts().unwrap(), [0, 0, 0, 1]);
        assert!(s.take_due(now()).unwrap().is_none(), "an interrupted mail is not sent again");
        let _ = mail;
        // Three permanent failures in a row: left out of list mail.
        for n in 1..=BOUNCING {
            assert_eq!(s.count_bounce("a@example.org").unwrap(), n);
        }
        assert!(s.confirmed_subscribers(&ja, refuge_core::subscribers::Topic::Appeals).unwrap().is_empty(), "bouncing");
        assert!(s.unsubscribe("tok1").unwrap());
        assert!(s.confirmed_subscribers(&ja, refuge_core::subscribers::Topic::News).unwrap().is_empty());
    }
}

/// Sent, given up or interrupted: the outbox keeps no mail's text,
/// whatever its kind (the key stays, so nothing is sent twice).
#[test]
fn mail_done_with_keeps_no_text() {
    for db in crate::testing::each_engine() {
        let s = &db.store;
        let keys: Vec<DedupeKey> = (1..=3).map(|n| DedupeKey::of_lasting(Purpose::Newsletter, n)).collect();
        for key in &keys {
            let new = NewMail {
                dedupe: key,
                kind: MailKind::Newsletter,
                lang: "en",
                recipient: "a@example.org",
                subject: "SUBJECT-MARK",
                body: "BODY-MARK",
                unsubscribe: "",
            };
            assert!(s.enqueue(&new).unwrap());
        }
        let first = s.take_due(now()).unwrap().unwrap();
        s.mark_sent(first.id).unwrap();
        let second = s.take_due(now()).unwrap().unwrap();
        s.mark_failed(second.id, "550 no such user").unwrap();
        let _third = s.take_due(now()).unwrap().unwrap();
        assert_eq!(s.recover_interrupted().unwrap(), 1);
        let conn = s.conn().unwrap();
        let kept: Vec<(String, String)> =
            conn.query_map("SELECT subject, body FROM outbox", params![], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!(kept.len(), 3);
        assert!(kept.iter().all(|(subject, body)| subject.is_empty() && body.is_empty()), "{kept:?}");
        drop(conn);
        for key in &keys {
            let again = NewMail {
                dedupe: key,
                kind: MailKind::Newsletter,
                lang: "en",
                recipient: "a@example.org",
                subject: "x",
                body: "x",
                unsubscribe: "",
            };
            assert!(!s.enqueue(&again).unwrap(), "never twice");
        }
    }
}

#[test]
fn a_server_recovers_only_its_own_mail_or_mail_past_its_lease() {
    for db in crate::testing::each_engine() {
        let (a, b) = (&db.store, db.reopen());
        a.set_server_id("server-a");
        b.set_server_id("server-b");
        let queue = || {
            let key = DedupeKey::once(Purpose::Reply);
            let mail = NewMail {
                dedupe: &key,
                kind: MailKind::Reply,
                lang: "en",
                recipient: "r@example.org",
                subject: "Re",
                body: "Text",
                unsubscribe: "",
            };
            assert!(a.enqueue(&mail).unwrap());
        };
        queue();
        queue();
        let taken_by_a = a.take_due(now()).unwrap().unwrap();
        // B takes the other one; never the one A holds.
        let taken_by_b = b.take_due(now()).unwrap().unwrap();
        assert_ne!(taken_by_a.id, taken_by_b.id);
        assert!(b.take_due(now()).unwrap().is_none());
        // B restarts: A's mail, still sending within its lease, is A's.
        assert_eq!(b.recover_interrupted().unwrap(), 1, "only B's own");
        assert_eq!(a.outbox_counts().unwrap(), [0, 0, 0, 1]);
        a.mark_sent(taken_by_a.id).unwrap();
        assert_eq!(a.outbox_counts().unwrap(), [0, 1, 0, 1]);
        // A mail whose server never came back: past the lease, anyone's.
        queue();
        let abandoned = a.take_due(now()).unwrap().unwrap();
        a.conn()
            .unwrap()
            .execute("UPDATE outbox SET lease_until = ? WHERE id = ?", params![ts(now() - LEASE), abandoned.id])
            .unwrap();
        assert_eq!(b.recover_interrupted().unwrap(), 1, "the lease ran out");
        assert_eq!(a.outbox_counts().unwrap(), [0, 1, 0, 2]);
    }
}

#[test]
fn a_sent_reply_leaves_no_copy_of_its_text_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let s = SqlStore::open(&db).unwrap();
    let on_disk = |text: &str| {
        ["m.db", "m.db-wal"].iter().any(|f| {
            let bytes = std::fs::read(dir.path().join(f)).unwrap_or_default();
            bytes.windows(text.len()).any(|w| w == text.as_bytes())
        })
    };
    let mut ids = Vec::new();
    for (kind, body) in [(MailKind::Reply, "The safe house is on Kita street"), (MailKind::Other, "A plain notice")] {
        let key = DedupeKey::once(Purpose::Reply);
        let mail = NewMail {
            dedupe: &key,
            kind,
            lang: "en",
            recipient: "a@example.org",
            subject: "Re",
            body,
            unsubscribe: "",
        };
        assert!(s.enqueue(&mail).unwrap());
        ids.push(s.take_due(now()).unwrap().unwrap().id);
    }
    assert!(on_disk("The safe house is on Kita street"), "queued, the text is there");
    for id in ids {
        s.mark_sent(id).unwrap();
    }
    assert!(!on_disk("The safe house is on Kita street"), "a sent reply leaves no copy");
}
