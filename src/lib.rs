//! engawa, the set-top box runtime. See ARCHITECTURE.md for the map.
//!
//! The binary (`main.rs`) only wires these modules together; tests and benches use
//! them directly.

/// The headless core (its own crate, `services/app`, so the compiler keeps it
/// free of Slint, SQLite and the async runtime).
pub use engawa_app as app;
pub mod config;
pub mod demo;
pub mod diag;
pub mod disaster;
pub mod fonts;
pub mod input;
pub mod remind;
pub mod ride;
pub mod runtime;
pub mod shop;
pub mod store;
pub mod view;
pub mod watch;
