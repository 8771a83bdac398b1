//! Watch-over on the box: the ladder fed by every key press and tick, and its
//! mails to family (`worker`), the settings fetched from the head-end and the
//! state reported on the heartbeat (`sync`), its part of the database — the
//! activity log, the ladder's state, alerts, the head-end's settings
//! (`store`) — and its tables (`schema`). The screens and words are
//! `engawa_app::watch` and the safety check in `engawa_app::App`.

pub mod schema;
pub mod store;
pub mod sync;
pub mod worker;

/// The family contacts of the configuration file (name, address; up to 4, in
/// order) and the operator as the mails name them. Once the head-end has sent
/// the household's settings, its contacts replace the file's.
#[derive(Clone, Debug)]
pub struct WatchMail {
    pub contacts: Vec<(String, String)>,
    pub operator: String,
    pub operator_phone: String,
    pub serial: String,
    /// For Message-IDs: the domain of the sender address.
    pub domain: String,
}
