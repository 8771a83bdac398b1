//! The regional platform that several municipalities share (issue 14):
//! for now the platform's running cost and its split among them
//! (`contributions`: the pure split; `db`: the counts and the stored cost and
//! key; `schema`: their tables). `engawa-headend billing cost|key|contributions`.

pub mod contributions;
pub mod db;
pub mod schema;
