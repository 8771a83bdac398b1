//! The shared taxi on the head-end: the boxes' routes (`routes`: places,
//! quote, book, cancel — decided by `engawa_ride::booking`, shared with the
//! console's phone booking), the console's pages (`console`: the day's
//! manifests, figures, setup, riders, booking by phone), the SQL (`db`), the
//! day's and month's figures (`figures`), the solver on benchmark instances
//! (`dispatch`), the background improvement of today's plan
//! (`routes::run_improver`) and the tables (`schema`).

pub mod console;
pub mod db;
pub mod dispatch;
pub mod figures;
pub mod routes;
pub mod schema;

use axum::Router;

use crate::AppState;

pub use routes::{book_for, improve_today, quote_for, run_improver};

/// The taxi's box routes and console pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(crate::http::box_api(routes::router()))
        .merge(console::router())
}
