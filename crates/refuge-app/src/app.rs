//! [`App`]: the one handle through which a running server changes
//! anything. It alone holds the store's writing side (privately); the
//! web layer gets this handle, a read-only view ([`App::reads`]) and a
//! few narrow counters, so no handler can write a row by itself: every
//! change is one of the use cases listed here, with its checks, its
//! audit line and its transaction.

use std::sync::Arc;

use refuge_core::{
    AppealUpdate, Aside, BackOfficeReads, ClientLimits, Confirmation, DataDir, Email, Item, Language, Media, MenuEntry,
    NewMail, Newsletter, Role, Session, SignInThrottle, Store, StoreError, Subscriber, User, subscribers::Topic,
};

use crate::{
    AppError, accounts, appeals, audit, contact, drafts, editorial, housekeeping, inbox, items, list, media,
    newsletters, publishing, sessions, site, subscriptions,
};

/// The application: use cases over a store that only it can write.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("App")
    }
}

impl App {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Everything there is to read, and no way to write.
    pub fn reads(&self) -> Arc<dyn BackOfficeReads> {
        self.store.clone()
    }

    /// The failed sign-in counts (a narrow capability: counters only).
    pub fn sign_in_throttle(&self) -> Arc<dyn SignInThrottle> {
        self.store.clone()
    }

    /// Per-client limits and one-time keys (counters only).
    pub fn client_limits(&self) -> Arc<dyn ClientLimits> {
        self.store.clone()
    }

    /// Queues a mail worded by the caller unless one with the same
    /// dedupe key exists; whether it was queued.
    pub fn queue_mail(&self, mail: &NewMail<'_>) -> Result<bool, StoreError> {
        self.store.enqueue(mail)
    }
}

/// Each use case as a method of [`App`], passing the store it keeps.
macro_rules! use_cases {
    ($( $(#[$doc:meta])* $name:ident = $path:path [ $($arg:ident : $ty:ty),* ] -> $ret:ty; )*) => {
        impl App {
            $(
                $(#[$doc])*
                pub fn $name(&self, $($arg: $ty),*) -> $ret {
                    $path(&*self.store, $($arg),*)
                }
            )*
        }
    };
}

use_cases! {
    // Accounts.
    add_account = accounts::add_account [actor: &User, email: &str, role: Role, languages: &[Language]] -> Result<accounts::NewAccount, AppError>;
    change_role = accounts::change_role [actor: &User, user_id: i64, role: Role, languages: &[Language]] -> Result<User, AppError>;
    reset_password = accounts::reset_password [actor: &User, user_id: i64] -> Result<accounts::NewAccount, AppError>;
    reset_two_step = accounts::reset_two_step [actor: &User, user_id: i64] -> Result<User, AppError>;
    delete_account = accounts::delete_account [actor: &User, user_id: i64] -> Result<User, AppError>;
    change_own_password = accounts::change_own_password [actor: &User, password: &str, keep_session: &str] -> Result<(), AppError>;
    enable_two_step = accounts::enable_two_step [actor: &User, secret: &str, recovery_hashes: &[String], step: i64, keep_session: &str] -> Result<(), AppError>;
    new_recovery_codes = accounts::new_recovery_codes [actor: &User, recovery_hashes: &[String]] -> Result<(), AppError>;
    disable_two_step = accounts::disable_two_step [actor: &User] -> Result<(), AppError>;
    change_own_email = accounts::change_own_email [actor: &User, email: &Email] -> Result<(), AppError>;
    change_own_zone = accounts::change_own_zone [actor: &User, zone: Option<&str>] -> Result<(), AppError>;
    end_own_sessions = accounts::end_own_sessions [actor: &User] -> Result<u64, AppError>;

    // Sessions.
    check_password = sessions::check_password [email: Option<&Email>, password: &str] -> Result<Option<User>, AppError>;
    second_step = sessions::second_step [user_id: i64, code: &str, now: u64, recovery_hash: impl FnOnce(&str) -> String] -> Result<sessions::SecondStep, AppError>;
    start_session = sessions::start [old: Option<&str>, id_hash: &str, user_id: i64, csrf: &str, verified: bool, now: i64] -> Result<(), AppError>;
    end_session = sessions::end [id_hash: &str] -> ();
    sign_out = sessions::sign_out [id_hash: &str, expired_at: i64] -> Result<(), AppError>;
    look_up_session = sessions::look_up [id_hash: &str, now: i64, expired: impl Fn(&Session) -> bool] -> Result<Option<Session>, AppError>;

    // Items.
    save_item = editorial::save_item [user: &User, save: editorial::SaveItem] -> Result<editorial::Saved, AppError>;
    propose_change = editorial::propose [user: &User, item_id: i64, base_revision: i64, form: &[(String, String)]] -> Result<Item, AppError>;
    discard_review = editorial::discard_review [user: &User, item_id: i64, aside_id: i64] -> Result<Item, AppError>;
    bulk = items::bulk [user: &User, items: Vec<Item>, action: items::Bulk] -> Result<items::BulkDone, AppError>;
    delete_item = items::delete [user: &User, id: i64] -> Result<Item, AppError>;
    restore_revision = items::restore [user: &User, item_id: i64, revision_id: i64] -> Result<editorial::Saved, AppError>;
    publish_due = publishing::publish_due [now: time::OffsetDateTime] -> Result<publishing::Due, AppError>;

    // Forms kept for their author.
    autosave = drafts::autosave [user: &User, place: &str, item_id: Option<i64>, base_revision: i64, form: &[(String, String)]] -> Result<(), AppError>;
    forget_autosave = drafts::forget_autosave [user: &User, place: &str] -> ();
    keep_sent_form = drafts::keep_sent_form [owner: i64, key_hash: &str, place: &str, item_id: Option<i64>, base_revision: i64, form: &[(String, String)]] -> Result<(), AppError>;
    take_sent_form = drafts::take_sent_form [user: &User, key_hash: &str] -> Result<Option<Aside>, AppError>;

    // Appeals' timelines.
    add_timeline_entry = appeals::add_entry [user: &User, item_id: i64, entry: &appeals::NewEntry] -> Result<Result<appeals::Added, appeals::EntryProblem>, AppError>;
    approve_timeline_entry = appeals::approve_entry [user: &User, item_id: i64, update_id: i64] -> Result<(Item, AppealUpdate), AppError>;
    delete_timeline_entry = appeals::delete_entry [user: &User, item_id: i64, update_id: i64] -> Result<Item, AppError>;
    tell_subscribers_once = appeals::tell_once [original: i64, lang: &Language, send: impl FnOnce() -> Result<usize, StoreError>] -> Result<usize, StoreError>;

    // The site around the items.
    save_settings = site::save_settings [user: &User, settings: &site::Settings] -> Result<(), AppError>;
    save_faq = site::save_faq [user: &User, lang: &Language, rows: &[(String, String, String)]] -> Result<Vec<i64>, AppError>;
    save_menu = site::save_menu [user: &User, lang: &Language, entries: &[MenuEntry]] -> Result<(), AppError>;

    // Media.
    record_upload = media::record_upload [user: &User, media: &Media] -> Result<i64, AppError>;
    undo_upload = media::undo_upload [id: i64] -> Result<(), AppError>;
    set_media_texts = media::set_texts [user: &User, id: i64, changed: &[(Language, String)]] -> Result<Media, AppError>;
    delete_media = media::delete [user: &User, id: i64] -> Result<Media, AppError>;

    // The contact inbox.
    submit_message = contact::submit [data: &DataDir, submission: contact::Submission] -> Result<contact::Received, contact::ContactError>;
    queue_reply = inbox::queue_reply [actor: &User, id: i64, mail: &NewMail<'_>] -> Result<inbox::Replied, AppError>;
    set_message_handled = inbox::set_handled [actor: &User, id: i64, handled: bool] -> Result<(), AppError>;
    delete_message = inbox::delete [actor: &User, id: i64] -> Result<refuge_core::Erasure, AppError>;

    // The mailing list, as readers use it.
    request_subscription = subscriptions::request [email: &Email, lang: &Language, topics: &[String], source: &str, confirmation: &dyn Fn(&Subscriber) -> Confirmation] -> Result<Option<Subscriber>, AppError>;
    confirm_subscription = subscriptions::confirm [token: &str] -> Result<Option<Subscriber>, AppError>;
    manage_subscription = subscriptions::manage [token: &str, topics: Option<&[String]>] -> Result<subscriptions::Managed, AppError>;
    first_confirmation_sent = subscriptions::first_confirmation_sent [subscriber_id: i64] -> Result<(), AppError>;

    // The mailing list, as admins manage it; newsletters.
    remove_address = list::remove_address [user: &User, email: &str] -> Result<u64, AppError>;
    set_subscriber_topics = list::set_topics [user: &User, id: i64, email: &str, topics: &[String]] -> Result<(), AppError>;
    import_subscribers = list::import [parsed: &refuge_core::subscribers::ParsedList, source: &str, confirmed: bool, token: &mut dyn FnMut() -> String, added: &mut dyn FnMut(&Subscriber)] -> Result<refuge_core::subscribers::ImportReport, AppError>;
    confirmation_sent_again = list::confirmation_sent_again [user: &User, subscriber_id: i64, email: &str] -> Result<(), AppError>;
    save_newsletter = newsletters::save [actor: &User, id: Option<i64>, lang: &Language, topic: Topic, title: &str, body: &str] -> Result<Newsletter, AppError>;
    send_newsletter = newsletters::send [actor: &User, id: i64, mail_list: impl FnOnce(&Newsletter) -> Result<usize, StoreError>] -> Result<newsletters::Sent, AppError>;

    // The audit log's events that change nothing else.
    audit_event = audit::event [actor: &str, action: &str, subject: &str, detail: &str] -> ();

    // Housekeeping.
    take_housekeeping_turn = housekeeping::take_turn [] -> Result<bool, AppError>;
    fold_pending = housekeeping::fold_pending [] -> Result<bool, AppError>;
    purge_sessions_and_forms = housekeeping::purge_sessions_and_forms [now: i64, times: housekeeping::SessionTimes] -> Result<(u64, u64), AppError>;
    purge_subscribers = housekeeping::purge_subscribers [] -> Result<u64, AppError>;
    purge_messages = housekeeping::purge_messages [before: time::OffsetDateTime] -> Result<u64, AppError>;
    trim_changes = housekeeping::trim_changes [before: time::OffsetDateTime] -> Result<u64, AppError>;
}
