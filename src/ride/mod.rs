//! The shared taxi on the box: the worker that asks the head-end for places,
//! quotes and bookings, one request at a time (`worker`). It keeps nothing
//! on the box. The screens and words are `engawa_app::ride`.

pub mod worker;
