//! engawa's screens, compiled from `ui/*.slint`. The box crate's `view` module is
//! the only code that touches these generated types.

slint::include_modules!();
