//! The shop on the head-end: the boxes' routes (`routes`: catalogue, orders,
//! photos, settling a lost attempt), the console's pages (`console`), the
//! SQL (`db`: items, orders, delivery rules, the month's billing figures; the
//! order itself is priced by `engawa_shop::order` inside its transaction),
//! the catalogue CSV (`catalogue`) and the tables (`schema`).

pub mod catalogue;
pub mod console;
pub mod db;
pub mod routes;
pub mod schema;

use axum::Router;

use crate::AppState;

/// The shop's box routes and console pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(crate::http::box_api(routes::router()))
        .merge(console::router())
}
