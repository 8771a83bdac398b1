//! Reminders on the box: what the screens ask of the store. The scheduler
//! (due times, occurrences missed while the box was off) runs in the
//! runtime's tick with `engawa_remind`; the reminders' tables are the store's
//! own (migrations 1 and 6). The screens and words are `engawa_app::remind`.

use chrono::{DateTime, Utc};

use crate::app::remind::RemindEffect;
use crate::store::{Store, StoreError};

/// Carry out what a reminder screen or the due card asked.
pub fn apply(store: &mut Store, e: &RemindEffect, now: DateTime<Utc>) -> Result<(), StoreError> {
    match e {
        RemindEffect::Save {
            id,
            phrase,
            schedule,
        } => store.save_reminder(*id, phrase, schedule, now).map(|_| ()),
        RemindEffect::Delete(id) => store.delete_reminder(*id),
        RemindEffect::Done(id) => store.mark_done(*id, now),
        RemindEffect::Snooze { id, until } => store.snooze(*id, *until),
    }
}
