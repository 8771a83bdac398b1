//! The watch-over part of the box ↔ head-end contract.
//!
//! - `GET /v1/watch` → [`WatchConfig`]: the household's policy, its contacts (in
//!   order of escalation, each with the family-page link put in every mail), a
//!   pause set by the family, and the reminders the family added. The box fetches
//!   it when the heartbeat's answer carries another `watch_version`.
//! - `POST /v1/watch/report` ← [`WatchReport`]: the ladder's state and the rule in
//!   force, the alerts the box raised and the mails refused for good. Never the
//!   activity log itself.

use chrono::{DateTime, Utc};
use engawa_remind::Schedule;
use serde::{Deserialize, Serialize};

use crate::Policy;

/// Most contacts per household.
pub const MAX_CONTACTS: usize = 4;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchConfig {
    /// Changes whenever anything below changes.
    pub version: i64,
    pub policy: Policy,
    pub contacts: Vec<Contact>,
    /// The family paused alerts until then (at most two weeks, like away mode).
    pub paused_until: Option<DateTime<Utc>>,
    pub reminders: Vec<FamilyReminder>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub id: i64,
    pub name: String,
    pub email: String,
    /// The contact's own family-page address (secret, revocable).
    pub link: String,
}

/// A reminder a family member set on the family page; shown on the TV like the
/// resident's own and kept on the box, so it works offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyReminder {
    pub id: i64,
    pub phrase: String,
    pub schedule: Schedule,
}

/// Where the ladder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchState {
    Watching,
    /// 「お元気ですか？」 is on the screen.
    Prompting,
    /// Family has been emailed and there has been no activity since.
    Alerted,
    Away,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchReport {
    pub state: WatchState,
    /// The rule in force now: this long without activity, learned from the
    /// person's rhythm (`adaptive`) or the fixed one.
    pub threshold_min: i64,
    pub adaptive: bool,
    pub away_until: Option<DateTime<Utc>>,
    /// Alerts raised by the box since the last report the head-end accepted.
    pub alerts: Vec<AlertReport>,
    /// Family mails the mail server refused for good.
    pub bounces: Vec<Bounce>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertReport {
    /// The box's own row id: the head-end records each once.
    pub id: i64,
    /// `inactive`, `all_clear` or `away`.
    pub kind: String,
    pub n: u32,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounce {
    /// The box's mail row id.
    pub id: i64,
    pub email: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}
