//! Shopping, the parts that are rules rather than pixels or SQL.
//!
//! `delivery`: when an order arrives and until when it can be cancelled (the 11:00
//! cut-off, delivery weekdays, holidays). `order`: an order request checked,
//! priced against the items of the moment and given its delivery day, or
//! refused by item. `billing`: the 1,000 yen monthly fee and
//! the sellers' 10 % fee with its rounding rule. Pure: time comes in as arguments,
//! always judged on the Asia/Tokyo calendar.

/// The shop's categories, in the order residents see them.
pub const CATEGORIES: &[&str] = &[
    "やさい・くだもの",
    "肉・魚",
    "パン・惣菜",
    "飲み物",
    "日用品",
    "お菓子",
    "調味料",
    "冷凍食品",
];

pub mod api;
pub mod billing;
pub mod cart;
pub mod delivery;
pub mod demo;
pub mod order;
pub mod photo;
