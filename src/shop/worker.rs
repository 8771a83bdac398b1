//! The shop worker: one task with its own connection to the box database, taking
//! the shop's effects in order (so a cart saved before ordering is saved before
//! the order is sent) and talking to the head-end.
//!
//! Ordering is exactly once or not at all, and the resident is told which:
//! 1. before anything else, attempts left `pending` (power cut, lost answer) are
//!    settled with the head-end — it answers the order the key created, or voids
//!    the key so that no late copy can create one;
//! 2. a new attempt is written to the outbox (durable) before it is sent;
//! 3. its answer settles the row: placed (cart cleared in the same transaction),
//!    refused (cart kept, updated to the new prices), or — with no answer — settled
//!    at once if the head-end can be asked, otherwise at the next connection.

use std::sync::Arc;

use engawa_core::{Clock, ErrorKind};
use engawa_shop::api::{Order, codes};
use engawa_shop::cart::Cart;
use tokio::sync::{mpsc, watch};

use super::store::Settlement;
use crate::app::Event;
use crate::app::shop::{ShopEffect, ShopEvent};
use crate::runtime::headend::{ClientError, HeadendClient, new_key, refuses_token};
use crate::runtime::sink::EventSink;
use crate::store::{Store, StoreError};

const ORDER: &str = "order";

pub struct Worker {
    pub store: Store,
    pub client: Option<HeadendClient>,
    /// The box's token once paired (`None` before, or after it was refused).
    pub token: watch::Receiver<Option<String>>,
    pub sink: EventSink,
    pub clock: Arc<dyn Clock>,
}

/// What became of the attempts left pending.
enum Pending {
    None,
    Settled,
    /// The head-end could not be asked; they stay pending.
    Unknown,
}

impl Worker {
    pub async fn run(mut self, mut rx: mpsc::UnboundedReceiver<ShopEffect>) {
        match self.store.cart() {
            Ok(c) if !c.is_empty() => (self.sink)(Event::Shop(ShopEvent::Cart(c))),
            Ok(_) => {}
            Err(e) => self.storage_failed("reading the cart", e),
        }
        match self.store.cached_catalogue() {
            Ok(Some(c)) => (self.sink)(Event::Shop(ShopEvent::Catalogue(c))),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "the cached catalogue is unreadable; ignoring it"),
        }
        let mut token_open = true;
        loop {
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(c) => self.command(c).await,
                    None => break,
                },
                changed = self.token.changed(), if token_open => {
                    if changed.is_err() {
                        token_open = false;
                    } else if self.token.borrow_and_update().is_some() {
                        // Connected (at start, or again): finish what a power cut
                        // interrupted, then bring the catalogue up to date.
                        self.settle_pending().await;
                        self.load_catalogue().await;
                    }
                }
            }
        }
    }

    fn token(&self) -> Option<(HeadendClient, String)> {
        let t = self.token.borrow().clone()?;
        Some((self.client.clone()?, t))
    }

    fn storage_failed(&self, doing: &str, e: StoreError) {
        tracing::error!(error = %e, "{doing} failed");
        (self.sink)(Event::Failed(ErrorKind::Storage));
    }

    async fn command(&mut self, c: ShopEffect) {
        match c {
            ShopEffect::Load => {
                self.settle_pending().await;
                self.load_catalogue().await;
            }
            ShopEffect::LoadOrders => {
                let Some((client, token)) = self.token() else {
                    return (self.sink)(Event::Shop(ShopEvent::Unreachable));
                };
                match client.orders(&token).await {
                    Ok(list) => (self.sink)(Event::Shop(ShopEvent::Orders(list))),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot fetch the order history");
                        (self.sink)(Event::Shop(ShopEvent::Unreachable));
                    }
                }
            }
            ShopEffect::SaveCart(cart) => {
                if let Err(e) = self.store.save_cart(&cart) {
                    self.storage_failed("saving the cart", e);
                }
            }
            ShopEffect::PlaceOrder(cart) => self.place_order(cart).await,
            ShopEffect::Photo { item_id, version } => self.photo(item_id, version).await,
            ShopEffect::Cancel(id) => {
                let Some((client, token)) = self.token() else {
                    return (self.sink)(Event::Shop(ShopEvent::Unreachable));
                };
                match client.cancel_order(&token, id).await {
                    Ok(o) => (self.sink)(Event::Shop(ShopEvent::Cancelled(o))),
                    Err(ClientError::Refused { code, .. }) if code == codes::TOO_LATE => {
                        (self.sink)(Event::Shop(ShopEvent::CancelTooLate))
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, order = id, "cancel not done");
                        (self.sink)(Event::Shop(ShopEvent::Unreachable));
                    }
                }
            }
        }
    }

    /// An item photo from the box database, or fetched and kept there. Without one
    /// the screen keeps its generated picture; nothing is said.
    async fn photo(&mut self, item_id: i64, version: i64) {
        let png = match self.store.photo(item_id, version) {
            Ok(Some(png)) => png,
            Ok(None) => {
                let Some((client, token)) = self.token() else {
                    return;
                };
                match client.photo(&token, item_id).await {
                    Ok(png) => {
                        if let Err(why) = engawa_shop::photo::check(&png) {
                            return tracing::warn!(item_id, %why, "refusing a photo from the head-end");
                        }
                        if let Err(e) = self.store.save_photo(item_id, version, &png) {
                            tracing::warn!(error = %e, "cannot keep a photo");
                        }
                        png
                    }
                    Err(e) => return tracing::debug!(error = %e, item_id, "no photo"),
                }
            }
            Err(e) => return tracing::warn!(error = %e, "cannot read a kept photo"),
        };
        match engawa_shop::photo::decode(&png) {
            Ok(p) => (self.sink)(Event::Shop(ShopEvent::Photo {
                item_id,
                photo: Arc::new(p),
            })),
            Err(why) => tracing::warn!(item_id, %why, "cannot decode a photo"),
        }
    }

    async fn load_catalogue(&mut self) {
        let Some((client, token)) = self.token() else {
            return (self.sink)(Event::Shop(ShopEvent::Offline));
        };
        match client.catalogue(&token).await {
            Ok(c) => {
                if let Err(e) = self.store.cache_catalogue(&c) {
                    tracing::warn!(error = %e, "cannot cache the catalogue");
                }
                (self.sink)(Event::Shop(ShopEvent::Catalogue(c)));
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot fetch the catalogue");
                (self.sink)(Event::Shop(ShopEvent::Offline));
            }
        }
    }

    /// Settle every pending attempt with the head-end, telling the resident the
    /// outcome of each.
    async fn settle_pending(&mut self) -> Pending {
        let pending = match self.store.outbox_pending() {
            Ok(p) => p,
            Err(e) => {
                self.storage_failed("reading the outbox", e);
                return Pending::Unknown;
            }
        };
        if pending.is_empty() {
            return Pending::None;
        }
        let Some((client, token)) = self.token() else {
            return Pending::Unknown;
        };
        for entry in pending {
            match client.settle(&token, &entry.key).await {
                Ok(s) => {
                    let how = if s.order.is_some() {
                        Settlement::Done
                    } else {
                        Settlement::Void
                    };
                    let result = s.order.as_ref().map(|o| o.id.to_string());
                    match self.store.outbox_settle(
                        entry.id,
                        how,
                        result.as_deref(),
                        self.clock.now(),
                    ) {
                        Ok(_) => {
                            tracing::info!(key = %entry.key, placed = s.order.is_some(), "interrupted order settled");
                            (self.sink)(Event::Shop(ShopEvent::Settled(s.order)));
                        }
                        Err(e) => {
                            self.storage_failed("settling an order attempt", e);
                            return Pending::Unknown;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, key = %entry.key, "cannot settle an order attempt yet");
                    return Pending::Unknown;
                }
            }
        }
        Pending::Settled
    }

    async fn place_order(&mut self, cart: Cart) {
        if cart.is_empty() {
            return;
        }
        // An earlier attempt whose fate is unknown must be settled first, or the
        // resident could end up with both.
        match self.settle_pending().await {
            Pending::Unknown => return (self.sink)(Event::Shop(ShopEvent::Unreachable)),
            Pending::Settled => {
                // The resident has been told what became of it; they order again
                // from the (possibly emptied) cart themselves.
                return;
            }
            Pending::None => {}
        }
        let Some((client, token)) = self.token() else {
            return (self.sink)(Event::Shop(ShopEvent::Unreachable));
        };
        let request = cart.request();
        let body = match serde_json::to_string(&request) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode the order");
                return (self.sink)(Event::Failed(ErrorKind::Internal));
            }
        };
        let key = new_key();
        let id = match self.store.outbox_add(ORDER, &key, &body, self.clock.now()) {
            Ok(id) => id,
            Err(e) => return self.storage_failed("recording the order attempt", e),
        };
        tracing::info!(%key, lines = cart.lines.len(), total = cart.total().0, "sending an order");
        let answer = client.place_order(&token, &key, &request).await;
        let now = self.clock.now();
        match answer {
            Ok(order) => self.finish(id, Settlement::Done, Some(&order), now),
            Err(ClientError::Refused { status, code, .. }) => {
                tracing::info!(status, %code, "order refused");
                if code == codes::ITEM_OFF_SALE || code == codes::PRICE_CHANGED {
                    // The cart is held against the new catalogue before the resident
                    // is told what changed.
                    self.load_catalogue().await;
                }
                if let Err(e) = self
                    .store
                    .outbox_settle(id, Settlement::Refused, Some(&code), now)
                {
                    return self.storage_failed("settling a refused order", e);
                }
                (self.sink)(if refuses_token(status, &code) {
                    Event::Failed(ErrorKind::Unauthorized)
                } else {
                    Event::Shop(ShopEvent::Refused { code })
                });
            }
            Err(ClientError::NotSent(e)) => {
                tracing::warn!(error = %e, "order not sent: no connection");
                if let Err(e) = self.store.outbox_settle(id, Settlement::Void, None, now) {
                    return self.storage_failed("settling an unsent order", e);
                }
                (self.sink)(Event::Shop(ShopEvent::Unreachable));
            }
            Err(ClientError::Unavailable(e)) => {
                // It may or may not have arrived. Ask now; if the head-end cannot be
                // asked, the attempt stays pending and is settled at the next chance.
                tracing::warn!(error = %e, "no answer to an order; settling it");
                match client.settle(&token, &key).await {
                    Ok(s) => match s.order {
                        Some(order) => self.finish(id, Settlement::Done, Some(&order), now),
                        None => {
                            self.finish(id, Settlement::Void, None, now);
                            (self.sink)(Event::Shop(ShopEvent::Unreachable));
                        }
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot settle now; will at the next connection");
                        (self.sink)(Event::Shop(ShopEvent::Unsure));
                    }
                }
            }
        }
    }

    fn finish(
        &mut self,
        id: i64,
        how: Settlement,
        order: Option<&Order>,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        let result = order.map(|o| o.id.to_string());
        if let Err(e) = self.store.outbox_settle(id, how, result.as_deref(), now) {
            return self.storage_failed("settling an order", e);
        }
        if let Some(o) = order {
            tracing::info!(order = o.id, total = o.total_yen.0, "order placed");
            (self.sink)(Event::Shop(ShopEvent::Placed(o.clone())));
        }
    }
}
