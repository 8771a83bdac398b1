//! Orders, their idempotency keys, the delivery rules and the month's billing.
//!
//! Exactly-once ordering: the order, its lines and the row binding the box's
//! `Idempotency-Key` to it are written in one `BEGIN IMMEDIATE` transaction, and
//! the key is looked up inside that same transaction. A replay finds the row and
//! gets the same order; a key voided by `settle_attempt` creates nothing ever.

use crate::db::{Flag, Scope};
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use engawa_core::Yen;
use engawa_shop::api::{Catalogue, CatalogueItem, Order, OrderLine};
use engawa_shop::billing::{MONTHLY_FEE, settle_seller};
use engawa_shop::delivery::DeliveryRules;
use engawa_shop::order::{self, Priced, Stock};
use sqlx::Row;

use super::catalogue::{ItemRow, LineError};
use crate::db::{Db, from_ts, ts};

const RULES_KEY: &str = "shop.delivery_rules";
/// 「いつもの」 shows at most this many items.
const USUAL_MAX: i64 = 12;
/// Order history the box sees.
const HISTORY_DAYS: i64 = 31;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRefusal {
    /// Priced against the items and rules of the moment and refused.
    Refused(order::Refusal),
    NotRegistered,
    /// The same key came with a different request.
    KeyReused,
    /// The key was settled as "no order"; this late copy creates nothing.
    KeyVoid,
}

/// An order for the day's lists, with where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayOrder {
    pub order: Order,
    pub household_id: i64,
    pub name: String,
    pub address: String,
    pub district: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickLine {
    pub seller: String,
    pub item: String,
    pub unit: String,
    pub qty: i64,
    pub amount_yen: i64,
    pub household_id: i64,
    pub household: String,
    pub district: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdBill {
    pub household_id: i64,
    pub name: String,
    pub registered: bool,
    pub monthly_fee_yen: i64,
    pub goods_yen: i64,
    pub orders: i64,
    /// Taxi rides of the month (not cancelled) and their fares.
    pub rides: i64,
    pub ride_yen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerBill {
    pub seller_id: i64,
    pub name: String,
    pub gross_yen: i64,
    pub fee_yen: i64,
    pub payout_yen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingMonth {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub households: Vec<HouseholdBill>,
    pub sellers: Vec<SellerBill>,
}

fn order_head(r: &crate::db::engine::Row) -> Result<Order, sqlx::Error> {
    let day: String = r.try_get("delivery_day")?;
    Ok(Order {
        id: r.try_get("id")?,
        placed_at: from_ts(Some(r.try_get("placed_at")?)).unwrap_or_default(),
        delivery_day: day.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        cancel_until: from_ts(Some(r.try_get("cancel_until")?)).unwrap_or_default(),
        cancelled_at: from_ts(r.try_get("cancelled_at")?),
        lines: Vec::new(),
        total_yen: Yen(r.try_get("total_yen")?),
    })
}

/// The columns `order_head` reads.
macro_rules! order_columns {
    () => {
        "SELECT id, placed_at, delivery_day, cancel_until, cancelled_at, total_yen"
    };
}

impl Db {
    pub async fn delivery_rules(&self) -> Result<DeliveryRules, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        Self::delivery_rules_in(&mut conn).await
    }

    async fn delivery_rules_in(conn: &mut crate::db::Conn) -> Result<DeliveryRules, sqlx::Error> {
        let v: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(RULES_KEY)
            .fetch_optional(&mut *conn)
            .await?;
        match v {
            None => Ok(DeliveryRules::default()),
            Some(json) => serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e))),
        }
    }

    pub async fn set_delivery_rules(&self, rules: &DeliveryRules) -> Result<(), sqlx::Error> {
        let json = serde_json::to_string(rules).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(RULES_KEY)
        .bind(json)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// What a household's box shows: items on sale in the operator's order (as
    /// imported), its 「いつもの」, the rules.
    pub async fn catalogue(
        &self,
        household_id: i64,
        categories: &[&str],
    ) -> Result<Catalogue, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT i.id, i.category, i.name, i.price_yen, i.unit, s.name, p.version
             FROM items i JOIN sellers s ON s.id = i.seller_id
             LEFT JOIN item_photos p ON p.item_id = i.id
             WHERE i.on_sale = 1 ORDER BY i.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(CatalogueItem {
                    id: r.try_get(0)?,
                    category: r.try_get(1)?,
                    name: r.try_get(2)?,
                    price_yen: Yen(r.try_get(3)?),
                    unit: r.try_get(4)?,
                    seller: r.try_get(5)?,
                    photo: r.try_get(6)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let usual: Vec<i64> = sqlx::query_scalar(
            "SELECT l.item_id FROM order_lines l
             JOIN orders o ON o.id = l.order_id
             JOIN items i ON i.id = l.item_id
             WHERE o.household_id = $1 AND o.cancelled_at IS NULL AND i.on_sale = 1
             GROUP BY l.item_id ORDER BY COUNT(*) DESC, MAX(o.placed_at) DESC, l.item_id
             LIMIT $2",
        )
        .bind(household_id)
        .bind(USUAL_MAX)
        .fetch_all(&self.pool)
        .await?;
        Ok(Catalogue {
            categories: categories.iter().map(|c| c.to_string()).collect(),
            items,
            usual,
            delivery: self.delivery_rules().await?,
        })
    }

    async fn order_lines(conn: &mut crate::db::Conn, order: &mut Order) -> Result<(), sqlx::Error> {
        let rows = sqlx::query(
            "SELECT item_id, name, unit, price_yen, qty FROM order_lines WHERE order_id = $1 ORDER BY line",
        )
        .bind(order.id)
        .fetch_all(&mut *conn)
        .await?;
        order.lines = rows
            .iter()
            .map(|r| {
                Ok(OrderLine {
                    item_id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    unit: r.try_get(2)?,
                    price_yen: Yen(r.try_get(3)?),
                    qty: r.try_get::<i64, _>(4)?.try_into().unwrap_or(0),
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(())
    }

    async fn order_in(
        conn: &mut crate::db::Conn,
        household_id: i64,
        order_id: i64,
    ) -> Result<Option<Order>, sqlx::Error> {
        let row = sqlx::query(concat!(
            order_columns!(),
            " FROM orders WHERE id = $1 AND household_id = $2"
        ))
        .bind(order_id)
        .bind(household_id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut order = order_head(&row)?;
        Self::order_lines(conn, &mut order).await?;
        Ok(Some(order))
    }

    /// Place an order for the box's household, exactly once per `key`.
    /// `Ok(Ok((order, replayed)))`: `replayed` is true when the key had already
    /// created this order. `decide` prices the order against the items and the
    /// delivery rules as they are inside the transaction (see
    /// `engawa_shop::order::price`).
    pub async fn place_order(
        &self,
        (box_id, household_id): (i64, i64),
        key: &str,
        request_hash: &str,
        items: &[i64],
        now: DateTime<Utc>,
        decide: impl FnOnce(&[Stock], &DeliveryRules) -> Result<Priced, order::Refusal>,
    ) -> Result<Result<(Order, bool), OrderRefusal>, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let seen = sqlx::query(
            "SELECT request_hash, order_id FROM idempotency WHERE box_id = $1 AND key = $2",
        )
        .bind(box_id)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(seen) = seen {
            let (hash, order_id): (Option<String>, Option<i64>) =
                (seen.try_get(0)?, seen.try_get(1)?);
            let Some(order_id) = order_id else {
                return Ok(Err(OrderRefusal::KeyVoid));
            };
            if hash.as_deref() != Some(request_hash) {
                return Ok(Err(OrderRefusal::KeyReused));
            }
            return match Self::order_in(&mut tx, household_id, order_id).await? {
                Some(o) => Ok(Ok((o, true))),
                None => Ok(Err(OrderRefusal::KeyReused)),
            };
        }
        let registered: Option<Flag> = sqlx::query_scalar(
            "SELECT shop = 1 AND shop_until IS NULL FROM households WHERE id = $1",
        )
        .bind(household_id)
        .fetch_optional(&mut *tx)
        .await?;
        if registered != Some(Flag(true)) {
            return Ok(Err(OrderRefusal::NotRegistered));
        }
        let mut stock = Vec::with_capacity(items.len());
        for &id in items {
            let row = sqlx::query(
                "SELECT seller_id, name, unit, price_yen, on_sale FROM items WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(r) = row {
                stock.push(Stock {
                    item_id: id,
                    seller_id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    unit: r.try_get(2)?,
                    price: Yen(r.try_get(3)?),
                    on_sale: r.try_get::<Flag, _>(4)?.0,
                });
            }
        }
        let rules = Self::delivery_rules_in(&mut tx).await?;
        let priced = match decide(&stock, &rules) {
            Ok(p) => p,
            Err(r) => return Ok(Err(OrderRefusal::Refused(r))),
        };
        let order_id: i64 = sqlx::query_scalar(
            "INSERT INTO orders (household_id, box_id, placed_at, delivery_day, cancel_until, total_yen)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(household_id)
        .bind(box_id)
        .bind(ts(now))
        .bind(priced.delivery_day.to_string())
        .bind(ts(priced.cancel_until))
        .bind(priced.total.0)
        .fetch_one(&mut *tx)
        .await?;
        for (i, l) in priced.lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO order_lines (order_id, line, item_id, seller_id, name, unit, price_yen, qty)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(order_id)
            .bind(i as i64)
            .bind(l.item_id)
            .bind(l.seller_id)
            .bind(&l.name)
            .bind(&l.unit)
            .bind(l.price.0)
            .bind(i64::from(l.qty))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO idempotency (box_id, key, request_hash, order_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(box_id)
        .bind(key)
        .bind(request_hash)
        .bind(order_id)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        let order = Self::order_in(&mut tx, household_id, order_id).await?;
        tx.commit().await?;
        order
            .map(|o| Ok((o, false)))
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// The box lost track of the request sent with `key`: the order it created,
    /// or — if none — the key is voided so that it never creates one.
    pub async fn settle_attempt(
        &self,
        (box_id, household_id): (i64, i64),
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Order>, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO idempotency (box_id, key, request_hash, order_id, created_at)
             VALUES ($1, $2, NULL, NULL, $3) ON CONFLICT (box_id, key) DO NOTHING",
        )
        .bind(box_id)
        .bind(key)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        let order_id: Option<i64> =
            sqlx::query_scalar("SELECT order_id FROM idempotency WHERE box_id = $1 AND key = $2")
                .bind(box_id)
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
        let order = match order_id {
            Some(id) => Self::order_in(&mut tx, household_id, id).await?,
            None => None,
        };
        tx.commit().await?;
        Ok(order)
    }

    /// This household's orders of the last month, newest first.
    pub async fn orders_for(
        &self,
        household_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<Order>, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(concat!(
            order_columns!(),
            " FROM orders WHERE household_id = $1 AND placed_at > $2 ORDER BY placed_at DESC, id DESC"
        ))
        .bind(household_id)
        .bind(ts(now) - HISTORY_DAYS * 86_400)
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut o = order_head(r)?;
            Self::order_lines(&mut conn, &mut o).await?;
            out.push(o);
        }
        Ok(out)
    }

    /// Cancel an order of this household until its cut-off. `Ok(None)`: no such
    /// order in this household; `Ok(Some(Err(o)))`: too late, `o` unchanged.
    pub async fn cancel_order(
        &self,
        household_id: i64,
        order_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<Result<Order, Order>>, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let Some(order) = Self::order_in(&mut tx, household_id, order_id).await? else {
            return Ok(None);
        };
        if order.cancelled_at.is_some() {
            return Ok(Some(Ok(order)));
        }
        if !order.can_cancel(now) {
            return Ok(Some(Err(order)));
        }
        sqlx::query("UPDATE orders SET cancelled_at = $1 WHERE id = $2")
            .bind(ts(now))
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        let order = Self::order_in(&mut tx, household_id, order_id).await?;
        tx.commit().await?;
        Ok(order.map(Ok))
    }

    /// Live (not cancelled) orders delivered on `day`, by district and address
    /// (the order of a delivery round).
    pub async fn orders_on(&self, day: NaiveDate) -> Result<Vec<DayOrder>, sqlx::Error> {
        self.orders_in(day, &Scope::All).await
    }

    /// `orders_on` for the households in `scope`.
    pub async fn orders_in(
        &self,
        day: NaiveDate,
        scope: &Scope,
    ) -> Result<Vec<DayOrder>, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT o.id, o.placed_at, o.delivery_day, o.cancel_until, o.cancelled_at, o.total_yen,
                    h.id AS hid, h.name AS hname, h.address AS haddr, h.district AS hdistrict,
                    h.phone AS hphone
             FROM orders o JOIN households h ON h.id = o.household_id
             WHERE o.delivery_day = $1 AND o.cancelled_at IS NULL AND ($2 = '*' OR h.municipality = $2)
             ORDER BY h.district, h.address, o.id",
        )
        .bind(day.to_string())
        .bind(scope.bind())
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut order = order_head(r)?;
            Self::order_lines(&mut conn, &mut order).await?;
            out.push(DayOrder {
                order,
                household_id: r.try_get("hid")?,
                name: r.try_get("hname")?,
                address: r.try_get("haddr")?,
                district: r.try_get("hdistrict")?,
                phone: r.try_get("hphone")?,
            });
        }
        Ok(out)
    }

    /// What each seller packs for `day`: one row per seller, item and household.
    pub async fn picking(&self, day: NaiveDate) -> Result<Vec<PickLine>, sqlx::Error> {
        self.picking_in(day, &Scope::All).await
    }

    /// `picking` for the orders of the households in `scope`.
    pub async fn picking_in(
        &self,
        day: NaiveDate,
        scope: &Scope,
    ) -> Result<Vec<PickLine>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT s.name, l.name, l.unit, l.qty, l.price_yen * l.qty, h.id, h.name, h.district
             FROM order_lines l JOIN orders o ON o.id = l.order_id
             JOIN sellers s ON s.id = l.seller_id JOIN households h ON h.id = o.household_id
             WHERE o.delivery_day = $1 AND o.cancelled_at IS NULL AND ($2 = '*' OR h.municipality = $2)
             ORDER BY s.id, l.item_id, h.district, h.id",
        )
        .bind(day.to_string())
        .bind(scope.bind())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PickLine {
                    seller: r.try_get(0)?,
                    item: r.try_get(1)?,
                    unit: r.try_get(2)?,
                    qty: r.try_get(3)?,
                    amount_yen: r.try_get(4)?,
                    household_id: r.try_get(5)?,
                    household: r.try_get(6)?,
                    district: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// Counts for tests and the benchmark: (orders, order lines, idempotency keys).
    pub async fn order_counts(&self) -> Result<(i64, i64, i64), sqlx::Error> {
        let r = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM orders), (SELECT COUNT(*) FROM order_lines),
                    (SELECT COUNT(*) FROM idempotency WHERE order_id IS NOT NULL)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
    }

    /// The month's bill. Goods count in the month of their delivery day;
    /// cancelled orders count nowhere. Every household registered for shopping on
    /// any day of the month pays the monthly fee.
    pub async fn billing_month(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<BillingMonth, sqlx::Error> {
        self.billing_month_in(first, last, &Scope::All).await
    }

    /// `billing_month` of the households in `scope` (and what the sellers
    /// sold to them).
    pub async fn billing_month_in(
        &self,
        first: NaiveDate,
        last: NaiveDate,
        scope: &Scope,
    ) -> Result<BillingMonth, sqlx::Error> {
        let (f, l) = (first.to_string(), last.to_string());
        let rows = sqlx::query(
            "SELECT h.id, h.name,
                    (h.shop_from IS NOT NULL AND h.shop_from <= $2
                     AND (h.shop_until IS NULL OR h.shop_until >= $1)) AS registered,
                    CAST(COALESCE((SELECT SUM(ln.price_yen * ln.qty) FROM orders o JOIN order_lines ln ON ln.order_id = o.id
                              WHERE o.household_id = h.id AND o.cancelled_at IS NULL
                                AND o.delivery_day BETWEEN $1 AND $2), 0) AS BIGINT) AS goods,
                    (SELECT COUNT(*) FROM orders o WHERE o.household_id = h.id AND o.cancelled_at IS NULL
                       AND o.delivery_day BETWEEN $1 AND $2) AS n,
                    (SELECT COUNT(*) FROM rides r WHERE r.household_id = h.id AND r.state = 'booked'
                       AND r.day BETWEEN $1 AND $2) AS rides,
                    CAST(COALESCE((SELECT SUM(r.fare_yen) FROM rides r WHERE r.household_id = h.id AND r.state = 'booked'
                       AND r.day BETWEEN $1 AND $2), 0) AS BIGINT) AS ride_yen
             FROM households h WHERE ($3 = '*' OR h.municipality = $3) ORDER BY h.id",
        )
        .bind(&f)
        .bind(&l)
        .bind(scope.bind())
        .fetch_all(&self.pool)
        .await?;
        let mut households = Vec::new();
        for r in &rows {
            let registered = r.try_get::<Flag, _>(2)?.0;
            let goods: i64 = r.try_get(3)?;
            let (rides, ride_yen): (i64, i64) = (r.try_get(5)?, r.try_get(6)?);
            if !registered && goods == 0 && rides == 0 {
                continue;
            }
            households.push(HouseholdBill {
                household_id: r.try_get(0)?,
                name: r.try_get(1)?,
                registered,
                monthly_fee_yen: if registered { MONTHLY_FEE.0 } else { 0 },
                goods_yen: goods,
                orders: r.try_get(4)?,
                rides,
                ride_yen,
            });
        }
        let rows = sqlx::query(
            "SELECT s.id, s.name, CAST(SUM(ln.price_yen * ln.qty) AS BIGINT)
             FROM order_lines ln JOIN orders o ON o.id = ln.order_id JOIN sellers s ON s.id = ln.seller_id
             WHERE o.cancelled_at IS NULL AND o.delivery_day BETWEEN $1 AND $2
               AND ($3 = '*' OR o.household_id IN (SELECT id FROM households WHERE municipality = $3))
             GROUP BY s.id ORDER BY s.id",
        )
        .bind(&f)
        .bind(&l)
        .bind(scope.bind())
        .fetch_all(&self.pool)
        .await?;
        let mut sellers = Vec::new();
        for r in &rows {
            let gross: i64 = r.try_get(2)?;
            let s = settle_seller(Yen(gross));
            sellers.push(SellerBill {
                seller_id: r.try_get(0)?,
                name: r.try_get(1)?,
                gross_yen: gross,
                fee_yen: s.fee.0,
                payout_yen: s.payout.0,
            });
        }
        Ok(BillingMonth {
            first,
            last,
            households,
            sellers,
        })
    }

    /// Store an item's photo (already checked). `None` when there is no such item.
    pub async fn set_photo(
        &self,
        item_id: i64,
        png: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM items WHERE id = $1")
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO item_photos (item_id, png, version, updated_at) VALUES ($1, $2, 1, $3)
             ON CONFLICT (item_id) DO UPDATE SET png = excluded.png,
               version = item_photos.version + 1, updated_at = excluded.updated_at
             RETURNING version",
        )
        .bind(item_id)
        .bind(png)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(version))
    }

    pub async fn photo(&self, item_id: i64) -> Result<Option<Vec<u8>>, sqlx::Error> {
        sqlx::query_scalar("SELECT png FROM item_photos WHERE item_id = $1")
            .bind(item_id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Put an item on or off sale. False when there is no such item.
    pub async fn set_on_sale(
        &self,
        item_id: i64,
        on_sale: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE items SET on_sale = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::from(on_sale))
            .bind(ts(now))
            .bind(item_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Item id → (seller name, category) for the console's lists.
    pub async fn item_sellers(&self) -> Result<BTreeMap<i64, (String, String)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT i.id, s.name, i.category FROM items i JOIN sellers s ON s.id = i.seller_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?))))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerRow {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub items: i64,
}

/// An item as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemListing {
    pub id: i64,
    pub seller: String,
    pub category: String,
    pub name: String,
    pub price_yen: i64,
    pub unit: String,
    pub on_sale: bool,
    pub photo: bool,
}

impl Db {
    pub async fn sellers(&self) -> Result<Vec<SellerRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.phone, (SELECT COUNT(*) FROM items i WHERE i.seller_id = s.id)
             FROM sellers s ORDER BY s.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SellerRow {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    phone: r.try_get(2)?,
                    items: r.try_get(3)?,
                })
            })
            .collect()
    }

    pub async fn add_seller(
        &self,
        name: &str,
        phone: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "INSERT INTO sellers (name, phone, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(phone)
        .bind(ts(now))
        .fetch_one(&self.pool)
        .await
    }

    /// Import validated rows in one transaction: all or nothing. Rows naming an
    /// unknown seller are reported by line. An item already listed by the same
    /// seller under the same name is updated (price, unit, category, on sale).
    pub async fn import_items(
        &self,
        rows: &[ItemRow],
        now: DateTime<Utc>,
    ) -> Result<Result<usize, Vec<LineError>>, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let mut errors = Vec::new();
        for r in rows {
            let seller: Option<i64> = sqlx::query_scalar("SELECT id FROM sellers WHERE name = $1")
                .bind(&r.seller)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(seller) = seller else {
                errors.push(LineError {
                    line: r.line,
                    column: "seller".into(),
                    message: format!("「{}」は 登録された お店では ありません", r.seller),
                });
                continue;
            };
            sqlx::query(
                "INSERT INTO items (seller_id, category, name, price_yen, unit, on_sale, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (seller_id, name) DO UPDATE SET
                   category = excluded.category, price_yen = excluded.price_yen,
                   unit = excluded.unit, on_sale = excluded.on_sale, updated_at = excluded.updated_at",
            )
            .bind(seller)
            .bind(&r.category)
            .bind(&r.name)
            .bind(r.price_yen)
            .bind(&r.unit)
            .bind(i64::from(r.on_sale))
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        }
        if !errors.is_empty() {
            // Dropping the transaction rolls back: nothing of a bad file stays.
            return Ok(Err(errors));
        }
        tx.commit().await?;
        Ok(Ok(rows.len()))
    }

    /// Every item for the console and the CLI, by category then name.
    pub async fn items(&self) -> Result<Vec<ItemListing>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT i.id, s.name, i.category, i.name, i.price_yen, i.unit, i.on_sale,
                    p.item_id IS NOT NULL
             FROM items i JOIN sellers s ON s.id = i.seller_id
             LEFT JOIN item_photos p ON p.item_id = i.id
             ORDER BY i.category, i.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ItemListing {
                    id: r.try_get(0)?,
                    seller: r.try_get(1)?,
                    category: r.try_get(2)?,
                    name: r.try_get(3)?,
                    price_yen: r.try_get(4)?,
                    unit: r.try_get(5)?,
                    on_sale: r.try_get::<Flag, _>(6)?.0,
                    photo: r.try_get::<Flag, _>(7)?.0,
                })
            })
            .collect()
    }
}
