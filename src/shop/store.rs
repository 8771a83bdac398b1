//! The shop's part of the box database: the cart, the cached catalogue, and the
//! outbox of order attempts.
//!
//! An order attempt is written here (state `pending`, with its Idempotency-Key)
//! and made durable *before* it is sent. Whatever happens next — answer, refusal,
//! power cut — the row is settled exactly once: `done` (the order exists; the cart
//! is cleared in the same transaction), `refused` or `void` (no order; the cart
//! stays). A `pending` row found at start is settled with the head-end.

use chrono::{DateTime, Utc};
use engawa_shop::api::Catalogue;
use engawa_shop::cart::{Cart, CartLine};
use rusqlite::{OptionalExtension, params};

use crate::store::{Store, StoreError};

const CATALOGUE_KEY: &str = "shop.catalogue";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub body: String,
}

/// How an outbox row ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// The head-end holds the result (an order); the cart was cleared.
    Done,
    /// The head-end answered no: nothing happened.
    Refused,
    /// It never took effect and never will (the key is void).
    Void,
}

impl Store {
    pub fn cart(&self) -> Result<Cart, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT line FROM cart ORDER BY position")?;
        let lines = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        let lines = lines
            .iter()
            .map(|j| serde_json::from_str::<CartLine>(j))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Cart { lines })
    }

    pub fn save_cart(&mut self, cart: &Cart) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM cart", [])?;
        for (i, l) in cart.lines.iter().enumerate() {
            tx.execute(
                "INSERT INTO cart (item_id, position, line) VALUES (?1, ?2, ?3)",
                params![l.item_id, i as i64, serde_json::to_string(l)?],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn cached_catalogue(&self) -> Result<Option<Catalogue>, StoreError> {
        match self.setting(CATALOGUE_KEY)? {
            Some(j) => Ok(Some(serde_json::from_str(&j)?)),
            None => Ok(None),
        }
    }

    pub fn cache_catalogue(&mut self, c: &Catalogue) -> Result<(), StoreError> {
        self.set_setting(CATALOGUE_KEY, &serde_json::to_string(c)?)
    }

    /// A cached item photo, if it is the wanted version.
    pub fn photo(&self, item_id: i64, version: i64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT png FROM photos WHERE item_id = ?1 AND version = ?2",
                params![item_id, version],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn save_photo(&mut self, item_id: i64, version: i64, png: &[u8]) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO photos (item_id, version, png) VALUES (?1, ?2, ?3)
             ON CONFLICT (item_id) DO UPDATE SET version = excluded.version, png = excluded.png",
            params![item_id, version, png],
        )?;
        Ok(())
    }

    /// Record an attempt durably before it is sent.
    pub fn outbox_add(
        &mut self,
        kind: &str,
        key: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO outbox (kind, key, body, state, created_at) VALUES (?1, ?2, ?3, 'pending', ?4)",
            params![kind, key, body, now.timestamp()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn outbox_pending(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, key, body FROM outbox WHERE state = 'pending' ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(OutboxEntry {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    key: r.get(2)?,
                    body: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Settle a pending attempt once; a row already settled is left as it was.
    /// `Done` also empties the cart, in the same transaction.
    pub fn outbox_settle(
        &mut self,
        id: i64,
        how: Settlement,
        result: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let state = match how {
            Settlement::Done => "done",
            Settlement::Refused => "refused",
            Settlement::Void => "void",
        };
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE outbox SET state = ?1, result = ?2, settled_at = ?3 WHERE id = ?4 AND state = 'pending'",
            params![state, result, now.timestamp(), id],
        )?;
        if n == 1 && how == Settlement::Done {
            tx.execute("DELETE FROM cart", [])?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    /// (state, result) of an attempt, for tests and diagnostics.
    pub fn outbox_state(&self, key: &str) -> Result<Option<(String, Option<String>)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT state, result FROM outbox WHERE key = ?1",
                params![key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }
}
