//! The demo catalogue: about 300 everyday items of four local sellers across the
//! shop's categories, at realistic prices (yen incl. tax). Used to seed the demo
//! head-end and to draw the shop's screenshots.
//!
//! Source: `demo_catalogue.txt` — a `seller|category` line starts a block, each
//! `name|unit|price` line is an item. A second farm sells organic (有機) versions
//! of the vegetables, and family packs (お徳用) of meat, fish and sweets double the
//! amount for 1.8× the price.

use chrono::{DateTime, Utc};

use crate::api::{Order, OrderLine};
use crate::cart::Cart;
use crate::delivery::DeliveryRules;

const DATA: &str = include_str!("demo_catalogue.txt");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoItem {
    pub seller: &'static str,
    pub category: &'static str,
    pub name: String,
    pub unit: String,
    pub price_yen: i64,
}

/// The sellers of the demo catalogue and their phone numbers.
pub const SELLERS: &[(&str, &str)] = &[
    ("みどり農園", "0265-21-1001"),
    ("ひだまり農家", "0265-21-1002"),
    ("まるや精肉店", "0265-21-2001"),
    ("パン工房こむぎ", "0265-21-3001"),
    ("よろず屋たなか", "0265-21-4001"),
];

/// "200g" → "400g", "3個" → "6個"; a unit without a plain leading number is kept.
fn doubled(unit: &str) -> Option<String> {
    let digits: String = unit.chars().take_while(char::is_ascii_digit).collect();
    let rest = &unit[digits.len()..];
    if digits.is_empty() || rest.starts_with('/') {
        return None;
    }
    let n: u32 = digits.parse().ok()?;
    Some(format!("{}{rest}", n * 2))
}

fn round_price(p: i64) -> i64 {
    // Shop prices end in 8: 398, 1,280 stays as it is for round thousands.
    (p / 10) * 10 + 8
}

pub fn items() -> Vec<DemoItem> {
    let mut out = Vec::new();
    let (mut seller, mut category) = ("", "");
    for line in DATA.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&'static str> = line.split('|').collect();
        match f.as_slice() {
            [s, c] => (seller, category) = (s, c),
            [name, unit, price] => out.push(DemoItem {
                seller,
                category,
                name: name.to_string(),
                unit: unit.to_string(),
                price_yen: price.parse().unwrap_or(100),
            }),
            _ => {}
        }
    }
    let mut extra = Vec::new();
    for it in &out {
        match it.category {
            "やさい・くだもの" => extra.push(DemoItem {
                seller: "ひだまり農家",
                name: format!("有機 {}", it.name),
                price_yen: round_price(it.price_yen * 135 / 100),
                ..it.clone()
            }),
            "肉・魚" | "お菓子" => {
                if let Some(unit) = doubled(&it.unit) {
                    extra.push(DemoItem {
                        name: format!("{}（お徳用）", it.name),
                        unit,
                        price_yen: round_price(it.price_yen * 18 / 10),
                        ..it.clone()
                    });
                }
            }
            _ => {}
        }
    }
    out.extend(extra);
    out
}

/// The catalogue as the CSV the head-end imports.
pub fn csv() -> String {
    let mut s = String::from("seller,category,name,price_yen,unit,on_sale\n");
    for it in items() {
        s.push_str(&format!(
            "{},{},{},{},{},1\n",
            it.seller, it.category, it.name, it.price_yen, it.unit
        ));
    }
    s
}

/// An order as the head-end would answer it for `cart`, placed at `placed`
/// (the demo and the box's tests stand in for the head-end with it).
pub fn order_for(id: i64, cart: &Cart, placed: DateTime<Utc>) -> Order {
    let rules = DeliveryRules::default();
    let day = rules
        .delivery_day_for(placed)
        .unwrap_or_else(|| placed.date_naive());
    Order {
        id,
        placed_at: placed,
        delivery_day: day,
        cancel_until: rules.cutoff_for(day).unwrap_or(placed),
        cancelled_at: None,
        lines: cart
            .lines
            .iter()
            .map(|l| OrderLine {
                item_id: l.item_id,
                name: l.name.clone(),
                unit: l.unit.clone(),
                price_yen: l.price_yen,
                qty: l.qty,
            })
            .collect(),
        total_yen: cart.total(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_three_hundred_distinct_items_in_every_category() {
        let items = items();
        assert!((280..=340).contains(&items.len()), "{}", items.len());
        let mut keys: Vec<(&str, &str, &str)> = items
            .iter()
            .map(|i| (i.seller, i.name.as_str(), i.unit.as_str()))
            .collect();
        keys.sort();
        let n = keys.len();
        keys.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        assert_eq!(keys.len(), n, "seller + name is unique (the import key)");
        for c in crate::CATEGORIES {
            assert!(
                items.iter().filter(|i| i.category == *c).count() >= 20,
                "{c}"
            );
        }
        assert!(items.iter().all(|i| (30..=5_000).contains(&i.price_yen)));
        assert!(
            items
                .iter()
                .all(|i| SELLERS.iter().any(|s| s.0 == i.seller))
        );
        assert_eq!(doubled("200g").as_deref(), Some("400g"));
        assert_eq!(doubled("1/4株"), None);
    }
}
