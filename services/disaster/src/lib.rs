//! engawa's disaster service (防災), the pure part: JMA disaster XML read
//! safely (`xml`, `jma`) and each municipality's rules for opening a
//! 安否確認 campaign (`policy`).

pub mod jma;
pub mod policy;
pub mod xml;

pub use jma::{Intensity, Report, ReportError};
