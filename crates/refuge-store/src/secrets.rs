//! `SiteSecrets`, kept in `meta` under `secret:NAME`, and `Leases`
//! (migration 019): what the servers sharing a database agree on.

use refuge_core::store::{Leases, SiteSecrets, StoreResult};

use crate::db::{SqlStore, backend};
use crate::sql::{Optional, params};

impl SiteSecrets for SqlStore {
    fn shared_secret(&self, name: &str) -> StoreResult<String> {
        let conn = self.conn()?;
        let key = format!("secret:{name}");
        // Two servers starting at once: the first insert wins, and both
        // read the same value back.
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
            params![key, refuge_core::secret::random_hex(32)],
        )
        .map_err(backend)?;
        conn.query_row("SELECT value FROM meta WHERE key = ?", params![key], |r| r.get(0)).map_err(backend)
    }
}

impl Leases for SqlStore {
    fn take_lease(&self, name: &str, seconds: i64) -> StoreResult<bool> {
        let now = crate::db::now().unix_timestamp();
        // One statement: of two servers asking at once, one gets it.
        let held = self
            .conn()?
            .query_row(
                "INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
                 WHERE leases.until <= ?4 OR leases.holder = excluded.holder
                 RETURNING holder",
                params![name, self.server_id(), now.saturating_add(seconds), now],
                |r| r.get::<String>(0),
            )
            .optional()
            .map_err(backend)?;
        Ok(held.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_made_once_and_shared() {
        for db in crate::testing::each_engine() {
            let first = db.store.shared_secret("form").unwrap();
            assert_eq!(first.len(), 64);
            assert_eq!(db.reopen().shared_secret("form").unwrap(), first, "another server reads the same");
            assert_ne!(db.store.shared_secret("other").unwrap(), first);
        }
    }

    #[test]
    fn a_lease_is_held_by_one_server_until_it_ends() {
        for db in crate::testing::each_engine() {
            let (a, b) = (&db.store, db.reopen());
            a.set_server_id("a");
            b.set_server_id("b");
            assert!(a.take_lease("housekeeping", 3600).unwrap());
            assert!(!b.take_lease("housekeeping", 3600).unwrap(), "held by a");
            assert!(a.take_lease("housekeeping", 0).unwrap(), "renewed by its holder, here to end at once");
            assert!(b.take_lease("housekeeping", 3600).unwrap(), "ended: b takes it");
            assert!(!a.take_lease("housekeeping", 3600).unwrap());
            assert!(a.take_lease("other work", 3600).unwrap(), "leases are by name");
        }
    }
}
