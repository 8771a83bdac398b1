//! Reminders: what to say, when it is due, and what to do about times that passed
//! while the box was off.
//!
//! Pure: no clock reads, no storage. Everything is computed on Asia/Tokyo wall-clock
//! dates and handed back as UTC instants. The box's store persists the results; the
//! app core shows them.

mod phrase;
mod schedule;

pub use phrase::{PHRASES, PRESET_COUNT, Phrase, PhraseError};
pub use schedule::{
    DuePlan, LATE_AFTER, LOOKBACK, Repeat, Schedule, ScheduleError, WeekdaySet, plan_due,
};

use chrono::{DateTime, Utc};
use engawa_core::{OccurrenceId, ReminderId};

/// A reminder the resident set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub id: ReminderId,
    pub phrase: Phrase,
    pub schedule: Schedule,
    /// Set by family on the family page (synced from the head-end), not by the
    /// resident: the TV says so wherever it shows it.
    pub from_family: bool,
}

/// One occurrence waiting for the resident (due, or back from a snooze).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueOccurrence {
    pub id: OccurrenceId,
    pub reminder_id: ReminderId,
    pub phrase: String,
    pub due_at: DateTime<Utc>,
    /// When it is (re)shown: the due time, or the end of a snooze. An answer
    /// applies to one showing; a snoozed occurrence comes back as a new showing.
    pub show_at: DateTime<Utc>,
    /// Noticed well after its time (the box was off): shown marked as late.
    pub late: bool,
    /// Its reminder was set by family ([`Reminder::from_family`]).
    pub from_family: bool,
}
