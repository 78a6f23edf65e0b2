//! Bulk insertion, for imports and generated benchmark corpora.

use refuge_core::ItemDraft;
use refuge_core::store::StoreResult;

use crate::changes::touch;
use crate::content::write_item;
use crate::db::{SqlStore, backend};

impl SqlStore {
    /// Inserts many new items (each its own translation group) in one
    /// transaction: for imports and generated benchmark corpora.
    pub fn insert_many(&self, drafts: &[ItemDraft]) -> StoreResult<usize> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        for draft in drafts {
            let id = write_item(&tx, None, draft, None, "imported", None)?;
            crate::names::record_item(&tx, id).map_err(backend)?;
        }
        touch(&tx).map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(drafts.len())
    }
}
