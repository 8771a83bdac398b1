//! Shared taxi (ぐるっとタクシー): the dial-a-ride problem (DARP).
//!
//! Pure: no I/O beyond parsing text handed in, no clock (the solver takes a
//! deadline as an `Instant` budget from its caller).
//! - `instance`: the Cordeau (2006) and Cordeau & Laporte (2003) text formats,
//!   refused with the line number when malformed.
//! - `verify`: an independent checker (its own schedule computation, Floyd–
//!   Warshall on the difference constraints) that recomputes the cost and lists
//!   every violated constraint.
//! - `route`: the solver's route evaluation: cheap necessary filters, then an
//!   exact schedule check (latest feasible times by label correction).
//! - `alns`: adaptive large-neighbourhood search (destroy: random, worst, related,
//!   route; repair: greedy and regret-2 with noise; simulated annealing).
//! - `service`: the real service's day plan (placing a booking, improving the
//!   plan without breaking a promise); `day_sim`: a simulated day of bookings.
//! - `booking`: quoting and booking as the head-end does it, decided here —
//!   fares by eligibility and channel (TV or phone), zones, seats and needs,
//!   offers and every refusal with its code, words and log detail.
//! - `travel`: the `TravelTime` trait (Euclidean for benchmarks, haversine ×
//!   road factor for real places, or a matrix from a routing engine).

pub mod alns;
pub mod api;
pub mod booking;
pub mod day_sim;
pub mod generate;
pub mod instance;
pub mod online;
pub mod rng;
pub mod route;
pub mod service;
pub mod solution;
pub mod travel;
pub mod verify;

pub use instance::{Instance, ParseError};
pub use solution::Solution;
