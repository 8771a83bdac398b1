//! The shop's wire contract (box ↔ head-end), JSON under `/v1/shop/...`.
//!
//! - `GET  /v1/shop/catalogue` → [`Catalogue`]: everything on sale, the household's
//!   「いつもの」, and the delivery rules so the box can say when an order arrives.
//! - `GET  /v1/shop/orders` → `Vec<Order>`: this household's recent orders, newest first.
//! - `POST /v1/shop/orders` + `Idempotency-Key` → [`Order`] (201; a replay of the same
//!   key answers the same order with 200 and creates nothing).
//! - `POST /v1/shop/orders/{id}/cancel` + `Idempotency-Key` → [`Order`], until the cut-off.
//! - `GET  /v1/shop/photos/{id}` → the item's photo (PNG), if it has one.
//! - `POST /v1/shop/attempts/{key}/settle` → [`Settled`]: the box lost track of an order
//!   request (power cut, timeout). The head-end answers the order that key created, or
//!   voids the key so that a late copy of the request creates nothing. Idempotent.
//!
//! Refusals use the shared envelope; `item_off_sale` and `price_changed` list the
//! item ids concerned in `error.items`.

use chrono::{DateTime, NaiveDate, Utc};
use engawa_core::Yen;
use serde::{Deserialize, Serialize};

use crate::delivery::DeliveryRules;

/// Most lines in one order, and most of one item.
pub const MAX_LINES: usize = 40;
pub const MAX_QTY: u32 = 99;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueItem {
    pub id: i64,
    pub category: String,
    pub name: String,
    /// Whole yen including tax.
    pub price_yen: Yen,
    /// 「1袋」「1パック」「500ml」.
    pub unit: String,
    pub seller: String,
    /// The photo's version if the item has one: fetch `GET /v1/shop/photos/{id}`
    /// (PNG) and keep it until the version changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// In the order residents see them.
    pub categories: Vec<String>,
    /// On sale only.
    pub items: Vec<CatalogueItem>,
    /// Item ids this household bought before, most often first (「いつもの」).
    pub usual: Vec<i64>,
    pub delivery: DeliveryRules,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLineRequest {
    pub item_id: i64,
    pub qty: u32,
    /// The price the resident saw; a different current price is refused
    /// (`price_changed`) instead of charging something not shown.
    pub price_yen: Yen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    pub lines: Vec<OrderLineRequest>,
}

/// A line as ordered: name and price are snapshotted at order time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    pub item_id: i64,
    pub name: String,
    pub unit: String,
    pub price_yen: Yen,
    pub qty: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    pub id: i64,
    pub placed_at: DateTime<Utc>,
    pub delivery_day: NaiveDate,
    /// Cancelling is possible until this instant (the delivery day's cut-off).
    pub cancel_until: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub lines: Vec<OrderLine>,
    pub total_yen: Yen,
}

impl Order {
    pub fn can_cancel(&self, now: DateTime<Utc>) -> bool {
        self.cancelled_at.is_none() && now < self.cancel_until
    }
}

/// The answer to settling a lost order attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settled {
    /// The order the key created, or `None`: no order, and the key is now void.
    pub order: Option<Order>,
}

/// Shop error codes (besides the shared ones in `engawa_core::api::codes`).
pub mod codes {
    pub const ITEM_OFF_SALE: &str = "item_off_sale";
    pub const PRICE_CHANGED: &str = "price_changed";
    pub const TOO_LATE: &str = "too_late";
    pub const KEY_REUSED: &str = "idempotency_key_reused";
    pub const KEY_VOID: &str = "idempotency_key_void";
    pub const NOT_REGISTERED: &str = "not_registered_for_shop";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_quantity_and_unknown_fields_do_not_parse() {
        let neg = r#"{"lines":[{"item_id":1,"qty":-2,"price_yen":100}]}"#;
        assert!(serde_json::from_str::<OrderRequest>(neg).is_err());
        let extra = r#"{"lines":[],"discount":50}"#;
        assert!(serde_json::from_str::<OrderRequest>(extra).is_err());
        let ok = r#"{"lines":[{"item_id":1,"qty":2,"price_yen":100}]}"#;
        assert_eq!(
            serde_json::from_str::<OrderRequest>(ok)
                .map(|r| r.lines.len())
                .ok(),
            Some(1)
        );
    }
}
