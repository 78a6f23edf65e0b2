//! `SiteSecrets`: kept in `meta` under `secret:NAME`.

use refuge_core::store::{SiteSecrets, StoreResult};

use crate::db::{SqlStore, backend};
use crate::sql::params;

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
}
