//! The regional platform that several municipalities share (issue 14): the
//! platform's running cost and its split among them (`contributions`: the
//! pure split; `db`: the counts and the stored cost and key;
//! `engawa-headend billing cost|key|contributions`), the audit log (`audit`,
//! its console page in `console`), and their tables (`schema`).

pub mod audit;
pub mod console;
pub mod contributions;
pub mod db;
pub mod schema;
