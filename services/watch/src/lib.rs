//! Watch-over (安否確認): noticing that a resident shows no sign of activity, and
//! telling their family — without crying wolf.
//!
//! Pure: time comes in as arguments (Asia/Tokyo calendar), nothing here does I/O.
//! - `policy`: the operator's per-household settings, refused when they could
//!   never fire.
//! - `rhythm`: the person's own quiet gaps by time of day, learned from the
//!   activity log; after two weeks it sets the threshold within the operator's
//!   bounds.
//! - `ladder`: the escalation as a state machine: threshold → on-screen prompt →
//!   grace → email to family → second email; any activity → all clear.
//! - `sim`: a year of synthetic households with injected incidents, comparing the
//!   fixed 24-hour rule with the adaptive one (`engawa-watch sim`).

pub mod api;
pub mod ladder;
pub mod mail;
pub mod policy;
pub mod rhythm;
pub mod sim;

pub use ladder::{Action, Input, Ladder, State};
pub use policy::{Bounds, Policy, PolicyError};
pub use rhythm::Rhythm;
