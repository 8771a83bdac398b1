//! The shop on the box: the worker that loads the catalogue and sends orders
//! through the outbox (`worker`), its part of the database — the cart, the
//! cached catalogue and photos, the outbox (`store`) — and its tables
//! (`schema`). The screens and words are `engawa_app::shop`.

pub mod schema;
pub mod store;
pub mod worker;
