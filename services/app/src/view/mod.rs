//! From app state to a `Frame`: every word already formatted, in the chosen
//! language — pure and unit-tested. `frame` is the vocabulary (the `Frame`
//! and its parts, key hints, `t`); `model` the hub plus home, reminders and
//! watch-over; each service's words live in its own module (`shop::view`,
//! `ride::view`). The box copies a
//! `Frame` into Slint (`engawa::view::bridge`).

pub mod frame;
pub mod model;

pub use model::{BoxInfo, Frame, Lang};
