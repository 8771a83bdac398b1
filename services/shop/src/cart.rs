//! The resident's cart on the box: what they picked, at the price they saw.
//! Persisted on the box so a power cut or an unreachable head-end loses nothing.

use engawa_core::Yen;
use serde::{Deserialize, Serialize};

use crate::api::{Catalogue, MAX_LINES, MAX_QTY, OrderLineRequest, OrderRequest};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub item_id: i64,
    pub name: String,
    pub unit: String,
    pub price_yen: Yen,
    pub qty: u32,
}

impl CartLine {
    pub fn subtotal(&self) -> Yen {
        self.price_yen * i64::from(self.qty)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cart {
    pub lines: Vec<CartLine>,
}

/// What changed when the cart was held against a fresh catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refresh {
    /// Names of items no longer on sale, removed from the cart.
    pub removed: Vec<String>,
    /// (name, old price, new price) of items whose price changed.
    pub repriced: Vec<(String, Yen, Yen)>,
}

impl Refresh {
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.repriced.is_empty()
    }
}

impl Cart {
    pub fn total(&self) -> Yen {
        self.lines.iter().map(CartLine::subtotal).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn qty_of(&self, item_id: i64) -> u32 {
        self.lines
            .iter()
            .find(|l| l.item_id == item_id)
            .map_or(0, |l| l.qty)
    }

    /// Put `qty` of an item in the cart (replacing what was there); 0 removes it.
    /// Returns false when the cart is full (a new item beyond `MAX_LINES`).
    pub fn set(&mut self, line: CartLine) -> bool {
        let qty = line.qty.min(MAX_QTY);
        if qty == 0 {
            self.remove(line.item_id);
            return true;
        }
        let full = self.lines.len() >= MAX_LINES;
        match self.lines.iter_mut().find(|l| l.item_id == line.item_id) {
            Some(l) => l.qty = qty,
            None if full => return false,
            None => self.lines.push(CartLine { qty, ..line }),
        }
        true
    }

    pub fn remove(&mut self, item_id: i64) {
        self.lines.retain(|l| l.item_id != item_id);
    }

    /// Hold the cart against the current catalogue: drop items off sale, take the
    /// current price (the resident is shown both before ordering again).
    pub fn refresh(&mut self, c: &Catalogue) -> Refresh {
        let mut r = Refresh::default();
        self.lines
            .retain_mut(|l| match c.items.iter().find(|i| i.id == l.item_id) {
                None => {
                    r.removed.push(l.name.clone());
                    false
                }
                Some(i) => {
                    if i.price_yen != l.price_yen {
                        r.repriced.push((l.name.clone(), l.price_yen, i.price_yen));
                        l.price_yen = i.price_yen;
                    }
                    true
                }
            });
        r
    }

    pub fn request(&self) -> OrderRequest {
        OrderRequest {
            lines: self
                .lines
                .iter()
                .map(|l| OrderLineRequest {
                    item_id: l.item_id,
                    qty: l.qty,
                    price_yen: l.price_yen,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CatalogueItem;
    use crate::delivery::DeliveryRules;

    fn line(id: i64, price: i64, qty: u32) -> CartLine {
        CartLine {
            item_id: id,
            name: format!("品{id}"),
            unit: "1個".into(),
            price_yen: Yen(price),
            qty,
        }
    }

    #[test]
    fn set_replaces_removes_and_caps() {
        let mut c = Cart::default();
        assert!(c.set(line(1, 100, 2)));
        assert!(c.set(line(2, 250, 1)));
        assert!(c.set(line(1, 100, 5)));
        assert_eq!(c.total(), Yen(750));
        assert!(c.set(line(2, 250, 0)));
        assert_eq!(c.lines.len(), 1);
        assert!(c.set(line(3, 10, 1000)));
        assert_eq!(c.qty_of(3), MAX_QTY);
        for id in 10..(10 + MAX_LINES as i64) {
            c.set(line(id, 1, 1));
        }
        assert_eq!(c.lines.len(), MAX_LINES);
        assert!(!c.set(line(999, 1, 1)), "a full cart refuses a new item");
    }

    #[test]
    fn refresh_drops_off_sale_items_and_takes_new_prices() {
        let mut c = Cart::default();
        c.set(line(1, 100, 2));
        c.set(line(2, 250, 1));
        c.set(line(3, 80, 3));
        let item = |id, price| CatalogueItem {
            id,
            category: "日用品".into(),
            name: format!("品{id}"),
            price_yen: price,
            unit: "1個".into(),
            seller: "店".into(),
            photo: None,
        };
        let cat = Catalogue {
            categories: vec![],
            items: vec![item(1, Yen(100)), item(3, Yen(90))],
            usual: vec![],
            delivery: DeliveryRules::default(),
        };
        let r = c.refresh(&cat);
        assert_eq!(r.removed, ["品2"]);
        assert_eq!(r.repriced, [("品3".to_string(), Yen(80), Yen(90))]);
        assert_eq!(c.total(), Yen(200 + 270));
        assert!(c.refresh(&cat).is_empty());
    }
}
