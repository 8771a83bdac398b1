//! The bridge from app state to pixels.
//!
//! `engawa_app::view` turns `App` into a plain `Frame` (every word already
//! formatted, in the chosen language) — pure and unit-tested. `bridge` copies a `Frame` into the
//! Slint globals and turns Slint key text into `Key`s; it is the only code that
//! touches generated Slint types. `presenter` runs that loop on the UI thread;
//! `headless` renders without a display.

pub mod bridge;
pub mod dump;
pub mod headless;
pub mod presenter;

pub use engawa_app::view::{BoxInfo, Frame, Lang, frame, model};
pub use presenter::Presenter;
