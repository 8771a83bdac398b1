//! The city platform's interfaces (issue 14): what the regional data
//! platform and other municipal systems read from the head-end, never a
//! person or a household. OAuth 2.0 client credentials with scopes
//! (`auth`: the token endpoint and the guard in front of every call, each
//! call audited), the headquarters' evacuation orders as OASIS CAP 1.2 and
//! an Atom feed of them (`routes`, the XML from `engawa_disaster::cap`),
//! NGSI-LD entities and subscriptions (`ngsi`), the clients and tokens
//! (`db`, `schema`).

pub mod auth;
pub mod db;
pub mod ngsi;
pub mod routes;
pub mod schema;

use axum::Router;

use crate::AppState;

pub use db::CityAuth;

/// What a city-platform client may read (OAuth scopes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Alerts: the headquarters' orders (CAP), alerts as NGSI-LD entities.
    Alerts,
    /// Shelters: open or closed, how crowded, capacity.
    Shelters,
    /// Per-district figures: answered shares, rides and orders per day.
    Aggregates,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Alerts, Scope::Shelters, Scope::Aggregates];

    pub fn key(self) -> &'static str {
        match self {
            Scope::Alerts => "alerts:read",
            Scope::Shelters => "shelters:read",
            Scope::Aggregates => "aggregates:read",
        }
    }

    pub fn from_key(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.key() == s)
    }
}

/// Every city route: the token endpoint and what each call needs.
pub fn router() -> Router<AppState> {
    routes::router().merge(ngsi::router()).merge(auth::router())
}
