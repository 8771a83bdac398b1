//! The bridge from app state to pixels.
//!
//! `model` turns `App` into a plain `Frame` (every word already formatted, in the
//! chosen language) — pure and unit-tested. `bridge` copies a `Frame` into the
//! Slint globals and turns Slint key text into `Key`s; it is the only code that
//! touches generated Slint types. `presenter` runs that loop on the UI thread;
//! `headless` renders without a display.

pub mod bridge;
pub mod dump;
pub mod frame;
pub mod headless;
pub mod model;
pub mod presenter;
mod ride;
mod shop;

pub use model::{BoxInfo, Frame, Lang};
pub use presenter::Presenter;
