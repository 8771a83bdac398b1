//! engawa's disaster service (防災), the pure part: JMA disaster XML read
//! safely (`xml`, `jma`), the Atom feeds that announce it (`atom`), the
//! headquarters' orders as OASIS CAP 1.2 and their Atom feed (`cap`), district
//! boundaries drawn for the headquarters' map (`geo`), each
//! municipality's rules for opening a 安否確認 campaign (`policy`), the words
//! on the TV (`words`), the wire types between box and head-end (`api`) and
//! the reader of the head-end's alert stream (`stream`).

pub mod api;
pub mod atom;
pub mod cap;
pub mod geo;
pub mod jma;
pub mod policy;
pub mod stream;
pub mod words;
pub mod xml;

pub use jma::{Intensity, Report, ReportError};
