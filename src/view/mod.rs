//! The bridge from app state to pixels.
//!
//! `model` turns `App` into a plain `Frame` (every word already formatted, in the
//! chosen language) — pure and unit-tested. `bridge` copies a `Frame` into the
//! Slint globals and turns Slint key text into `Key`s; it is the only code that
//! touches generated Slint types.

pub mod bridge;
pub mod model;

pub use model::{BoxInfo, Frame, Lang};
