//! An order decided in pure code. The head-end checks the box's request
//! ([`CheckedOrder`], by `TryFrom`), reads the items as they are now
//! ([`Stock`]) and the delivery rules inside its write transaction, and calls
//! [`price`]; it writes the [`Priced`] order it gets, or answers the
//! [`Refusal`].

use chrono::{DateTime, NaiveDate, Utc};
use engawa_core::Yen;

use crate::api::{MAX_LINES, MAX_QTY, OrderLineRequest, OrderRequest};
use crate::delivery::DeliveryRules;

/// An order request whose shape is right: 1 to [`MAX_LINES`] lines, each item
/// once, quantities 1 to [`MAX_QTY`], prices above zero, real item ids. Only
/// `TryFrom` makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedOrder {
    lines: Vec<OrderLineRequest>,
}

impl CheckedOrder {
    pub fn lines(&self) -> &[OrderLineRequest] {
        &self.lines
    }

    /// The items asked for, each once.
    pub fn item_ids(&self) -> Vec<i64> {
        self.lines.iter().map(|l| l.item_id).collect()
    }
}

/// Why a request is not an order at all (the box sent something it never
/// should; the head-end logs the reason and answers `invalid_input`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidOrder {
    #[error("no lines")]
    Empty,
    #[error("more than {MAX_LINES} lines")]
    TooManyLines,
    #[error("an item twice")]
    ItemTwice,
    #[error("quantity, price or item id out of range")]
    OutOfRange,
}

impl TryFrom<OrderRequest> for CheckedOrder {
    type Error = InvalidOrder;

    fn try_from(req: OrderRequest) -> Result<CheckedOrder, InvalidOrder> {
        if req.lines.is_empty() {
            return Err(InvalidOrder::Empty);
        }
        if req.lines.len() > MAX_LINES {
            return Err(InvalidOrder::TooManyLines);
        }
        let mut ids: Vec<i64> = req.lines.iter().map(|l| l.item_id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != req.lines.len() {
            return Err(InvalidOrder::ItemTwice);
        }
        if req
            .lines
            .iter()
            .any(|l| l.qty == 0 || l.qty > MAX_QTY || l.price_yen <= Yen(0) || l.item_id <= 0)
        {
            return Err(InvalidOrder::OutOfRange);
        }
        Ok(CheckedOrder { lines: req.lines })
    }
}

/// An item as the head-end holds it at the moment of ordering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stock {
    pub item_id: i64,
    pub seller_id: i64,
    pub name: String,
    pub unit: String,
    pub price: Yen,
    pub on_sale: bool,
}

/// A line as it will be stored: the name, unit and price of the moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub item_id: i64,
    pub seller_id: i64,
    pub name: String,
    pub unit: String,
    pub price: Yen,
    pub qty: u32,
}

/// An order ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub lines: Vec<PricedLine>,
    pub total: Yen,
    pub delivery_day: NaiveDate,
    /// The delivery day's cut-off: cancelling is possible until then.
    pub cancel_until: DateTime<Utc>,
}

/// Why a well-formed order is not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown or off sale since the resident looked: these items.
    OffSale(Vec<i64>),
    /// Priced differently from what the resident saw: these items. Nothing
    /// is charged that was not shown.
    PriceChanged(Vec<i64>),
    /// The rules leave no delivery day (every weekday off, or holidays without end).
    NoDeliveryDay,
}

/// Price an order against the items as they are now and give it its delivery
/// day. Off-sale items are named before changed prices.
pub fn price(
    order: &CheckedOrder,
    stock: &[Stock],
    rules: &DeliveryRules,
    now: DateTime<Utc>,
) -> Result<Priced, Refusal> {
    let (mut off, mut changed, mut lines) = (Vec::new(), Vec::new(), Vec::new());
    for l in order.lines() {
        match stock.iter().find(|s| s.item_id == l.item_id && s.on_sale) {
            None => off.push(l.item_id),
            Some(s) => {
                if s.price != l.price_yen {
                    changed.push(l.item_id);
                }
                lines.push(PricedLine {
                    item_id: s.item_id,
                    seller_id: s.seller_id,
                    name: s.name.clone(),
                    unit: s.unit.clone(),
                    price: s.price,
                    qty: l.qty,
                });
            }
        }
    }
    if !off.is_empty() {
        return Err(Refusal::OffSale(off));
    }
    if !changed.is_empty() {
        return Err(Refusal::PriceChanged(changed));
    }
    let delivery_day = rules.delivery_day_for(now).ok_or(Refusal::NoDeliveryDay)?;
    let cancel_until = rules.cutoff_for(delivery_day).unwrap_or(now);
    let total = lines.iter().map(|l| l.price * i64::from(l.qty)).sum();
    Ok(Priced {
        lines,
        total,
        delivery_day,
        cancel_until,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn line(item_id: i64, qty: u32, price: i64) -> OrderLineRequest {
        OrderLineRequest {
            item_id,
            qty,
            price_yen: Yen(price),
        }
    }

    fn checked(lines: Vec<OrderLineRequest>) -> Result<CheckedOrder, InvalidOrder> {
        CheckedOrder::try_from(OrderRequest { lines })
    }

    fn stock(item_id: i64, price: i64, on_sale: bool) -> Stock {
        Stock {
            item_id,
            seller_id: 1,
            name: format!("品{item_id}"),
            unit: "1個".into(),
            price: Yen(price),
            on_sale,
        }
    }

    /// Tuesday 2026-11-24, 09:00 in Tokyo.
    fn tuesday_morning() -> DateTime<Utc> {
        engawa_core::TOKYO
            .with_ymd_and_hms(2026, 11, 24, 9, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_request_of_the_wrong_shape_is_not_an_order() {
        assert_eq!(checked(vec![]), Err(InvalidOrder::Empty));
        let many = (1..=MAX_LINES as i64 + 1)
            .map(|i| line(i, 1, 100))
            .collect();
        assert_eq!(checked(many), Err(InvalidOrder::TooManyLines));
        assert_eq!(
            checked(vec![line(1, 1, 100), line(1, 2, 100)]),
            Err(InvalidOrder::ItemTwice)
        );
        for bad in [
            line(1, 0, 100),
            line(1, MAX_QTY + 1, 100),
            line(1, 1, 0),
            line(0, 1, 100),
        ] {
            assert_eq!(checked(vec![bad]), Err(InvalidOrder::OutOfRange));
        }
        let ok = checked(vec![line(2, 3, 180), line(5, 1, 90)]).unwrap();
        assert_eq!(ok.item_ids(), [2, 5]);
    }

    #[test]
    fn an_order_is_priced_as_shown_or_refused_by_item() {
        let rules = DeliveryRules::default();
        let order = checked(vec![line(1, 2, 180), line(2, 3, 150)]).unwrap();
        let p = price(
            &order,
            &[stock(1, 180, true), stock(2, 150, true)],
            &rules,
            tuesday_morning(),
        )
        .unwrap();
        assert_eq!(p.total, Yen(180 * 2 + 150 * 3));
        assert_eq!(
            p.delivery_day.to_string(),
            "2026-11-24",
            "before the cut-off: today"
        );
        assert_eq!((p.lines[1].name.as_str(), p.lines[1].qty), ("品2", 3));
        assert_eq!(
            price(
                &order,
                &[stock(1, 200, true), stock(2, 150, false)],
                &rules,
                tuesday_morning()
            ),
            Err(Refusal::OffSale(vec![2])),
            "off sale is named first"
        );
        assert_eq!(
            price(
                &order,
                &[stock(1, 200, true), stock(2, 150, true)],
                &rules,
                tuesday_morning()
            ),
            Err(Refusal::PriceChanged(vec![1]))
        );
        let never = DeliveryRules {
            weekdays: [false; 7],
            ..rules
        };
        assert_eq!(
            price(
                &order,
                &[stock(1, 180, true), stock(2, 150, true)],
                &never,
                tuesday_morning()
            ),
            Err(Refusal::NoDeliveryDay)
        );
    }
}
