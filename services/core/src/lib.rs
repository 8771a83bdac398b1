//! Shared domain types for every engawa crate, box and head-end alike.
//!
//! Owns: money (`Yen`), identifiers, the injectable `Clock` fixed to Asia/Tokyo,
//! the error kinds that cross crate boundaries, and the Japanese way of saying a
//! date and a time. Must not do I/O beyond reading the system clock.

pub mod api;
pub mod clock;
pub mod error;
pub mod ids;
pub mod jp;
pub mod money;

pub use clock::{Clock, ManualClock, SystemClock, TOKYO};
pub use error::ErrorKind;
pub use ids::{OccurrenceId, ReminderId};
pub use money::Yen;
