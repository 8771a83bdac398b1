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

/// What the box told the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// No activity: the n-th mail of the ladder.
    Inactive,
    /// Activity again after an alert: 「ご安心ください」.
    AllClear,
    /// Away for longer than three days.
    Away,
}

impl AlertKind {
    /// The name on the wire and in both databases.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Inactive => "inactive",
            AlertKind::AllClear => "all_clear",
            AlertKind::Away => "away",
        }
    }

    pub fn parse(s: &str) -> Option<AlertKind> {
        [AlertKind::Inactive, AlertKind::AllClear, AlertKind::Away]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertReport {
    /// The box's own row id: the head-end records each once.
    pub id: i64,
    pub kind: AlertKind,
    pub n: u32,
    pub at: DateTime<Utc>,
}

/// Most alerts and bounces in one report, and most mails of one ladder.
pub const MAX_REPORTED: usize = 100;
pub const MAX_ALERT_NUMBER: u32 = 10;

/// A report whose numbers make sense: a rule of 1 minute to 14 days, at most
/// [`MAX_REPORTED`] alerts and bounces, alert numbers up to
/// [`MAX_ALERT_NUMBER`], addresses and reasons of sane length. Only `TryFrom`
/// makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedReport(WatchReport);

impl CheckedReport {
    pub fn report(&self) -> &WatchReport {
        &self.0
    }
}

impl TryFrom<WatchReport> for CheckedReport {
    type Error = &'static str;

    fn try_from(rep: WatchReport) -> Result<CheckedReport, &'static str> {
        if !(1..=14 * 24 * 60).contains(&rep.threshold_min) {
            return Err("threshold out of range");
        }
        if rep.alerts.len() > MAX_REPORTED || rep.bounces.len() > MAX_REPORTED {
            return Err("too many alerts or bounces");
        }
        if rep.alerts.iter().any(|a| a.n > MAX_ALERT_NUMBER) {
            return Err("alert number out of range");
        }
        if rep
            .bounces
            .iter()
            .any(|b| b.email.len() > 254 || b.reason.len() > 2000)
        {
            return Err("bounce too long");
        }
        Ok(CheckedReport(rep))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn report(threshold_min: i64, alerts: Vec<AlertReport>) -> WatchReport {
        WatchReport {
            state: WatchState::Watching,
            threshold_min,
            adaptive: false,
            away_until: None,
            alerts,
            bounces: vec![],
        }
    }

    fn alert(kind: AlertKind, n: u32) -> AlertReport {
        AlertReport {
            id: 1,
            kind,
            n,
            at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn alert_kinds_are_three_words_on_the_wire() {
        for k in [AlertKind::Inactive, AlertKind::AllClear, AlertKind::Away] {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(AlertKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(AlertKind::parse("hack"), None);
        assert!(serde_json::from_str::<AlertKind>("\"hack\"").is_err());
    }

    #[test]
    fn a_report_with_nonsense_numbers_is_not_checked() {
        let ok = report(24 * 60, vec![alert(AlertKind::Inactive, 2)]);
        assert!(CheckedReport::try_from(ok).is_ok());
        for bad in [
            report(0, vec![]),
            report(15 * 24 * 60, vec![]),
            report(60, vec![alert(AlertKind::Inactive, 11)]),
            report(60, vec![alert(AlertKind::Away, 1); 101]),
        ] {
            assert!(CheckedReport::try_from(bad).is_err());
        }
    }
}
