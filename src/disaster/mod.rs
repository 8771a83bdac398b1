//! 防災 on the box: the worker that follows the head-end's alert stream and
//! keeps each 安否 answer in an outbox until the head-end has it (`worker`),
//! its part of the database (`store`) and its tables (`schema`). The card and
//! its keys are `engawa_app::disaster`.

pub mod schema;
pub mod store;
pub mod worker;
