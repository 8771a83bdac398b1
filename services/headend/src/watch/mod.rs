//! Watch-over on the head-end: the boxes' routes (`routes`: config and
//! report), the monitor (`monitor`: boxes gone silent, the daily digest, and
//! every mail to contacts through the outbox), the console's pages
//! (`console`), the family page (`family`), the SQL (`db`) and the tables
//! (`schema`). Family reminders are watch-over's too: set on the family page,
//! kept per household, sent to the box with the config.

pub mod console;
pub mod db;
pub mod family;
pub mod monitor;
pub mod routes;
pub mod schema;

use axum::Router;

use crate::AppState;

pub use monitor::{MonitorConfig, mail_settings, run_monitor, tell_contacts, tick};

/// Watch-over's box routes, console pages and the family page.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(crate::http::box_api(routes::router()))
        .merge(console::router())
        .merge(family::router())
}
