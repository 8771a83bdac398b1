//! The reminder editor: a short form a resident fills in with arrows.
//!
//! Rows: なにを (phrase) · 時 · 分 · くりかえし · (日付 | 曜日 | 毎月の日) · ほぞんする.
//! ◀▶ change the focused row's value, ▲▼ move between rows, 決定 on 曜日 toggles the
//! day under the cursor, 緑 (or 決定 on ほぞんする) saves, 赤 deletes an existing one.

pub mod view;

/// The reminders' screens.
#[derive(Debug, Clone, PartialEq)]
pub enum RemindScreen {
    List,
    Edit(Box<Draft>),
}

/// What the reminders' store and scheduler tell the app.
#[derive(Debug, Clone, PartialEq)]
pub enum RemindEvent {
    /// The stored reminders, after start or after a change.
    List(Vec<Reminder>),
    /// Occurrences waiting for the resident now, oldest first.
    Due(Vec<engawa_remind::DueOccurrence>),
}

/// What the screens ask of the reminders' store.
#[derive(Debug, Clone, PartialEq)]
pub enum RemindEffect {
    Save {
        id: Option<ReminderId>,
        phrase: Phrase,
        schedule: Schedule,
    },
    Delete(ReminderId),
    /// The due card was answered 決定.
    Done(engawa_core::OccurrenceId),
    /// 黄 on the due card: again at `until`.
    Snooze {
        id: engawa_core::OccurrenceId,
        until: DateTime<Utc>,
    },
}

impl crate::App {
    pub(crate) fn remind_event(&mut self, e: RemindEvent) {
        match e {
            RemindEvent::List(list) => {
                self.reminders = list;
                let n = self.list_len();
                if let Screen::Remind(RemindScreen::List) = self.page().screen {
                    let p = self.page_mut();
                    p.focus = p.focus.min(n.saturating_sub(1));
                }
            }
            RemindEvent::Due(list) => {
                self.answered
                    .retain(|key| list.iter().any(|o| (o.id, o.show_at) == *key));
                self.due = list
                    .into_iter()
                    .filter(|o| !self.answered.contains(&(o.id, o.show_at)))
                    .collect();
            }
        }
    }

    pub(crate) fn remind_key(
        &mut self,
        r: RemindScreen,
        focus: usize,
        k: Key,
        fx: &mut Vec<Effect>,
    ) {
        match r {
            RemindScreen::List => self.list_key(focus, k),
            RemindScreen::Edit(mut draft) => {
                let today = self.now.with_timezone(&engawa_core::TOKYO).date_naive();
                match draft.key(k, today, self.now) {
                    EditOutcome::Stay => {}
                    EditOutcome::Save {
                        id,
                        phrase,
                        schedule,
                    } => {
                        fx.push(Effect::Remind(RemindEffect::Save {
                            id,
                            phrase,
                            schedule,
                        }));
                        self.pop();
                        return;
                    }
                    EditOutcome::Delete(id) => self.dialog = Some(Dialog::DeleteReminder(id)),
                }
                self.page_mut().screen = Screen::Remind(RemindScreen::Edit(draft));
            }
        }
    }
}

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Timelike, Utc, Weekday};
use engawa_core::ReminderId;
use engawa_remind::{PHRASES, Phrase, Reminder, Repeat, Schedule, WeekdaySet};

use super::Key;
use crate::{Dialog, Effect, Screen};

pub const MINUTE_STEP: u32 = 5;
/// A one-off reminder can be set up to a year ahead.
pub const MAX_DAYS_AHEAD: i64 = 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatKind {
    Once,
    Daily,
    Weekly,
    Monthly,
}

const KINDS: [RepeatKind; 4] = [
    RepeatKind::Once,
    RepeatKind::Daily,
    RepeatKind::Weekly,
    RepeatKind::Monthly,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Phrase,
    Hour,
    Minute,
    Repeat,
    Date,
    Weekdays,
    MonthDay,
    Save,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftError {
    NoWeekday,
    InPast,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: Option<ReminderId>,
    pub phrase: usize,
    /// A stored phrase that is not in the catalogue (kept as is unless changed).
    pub custom_phrase: Option<Phrase>,
    pub hour: u32,
    pub minute: u32,
    pub kind: RepeatKind,
    pub date: NaiveDate,
    pub weekdays: WeekdaySet,
    pub weekday_cursor: u8,
    pub month_day: u32,
    pub focus: usize,
    pub error: Option<DraftError>,
    original: Option<(Phrase, Schedule)>,
}

pub enum EditOutcome {
    Stay,
    Save {
        id: Option<ReminderId>,
        phrase: Phrase,
        schedule: Schedule,
    },
    Delete(ReminderId),
}

impl Draft {
    pub fn new(today: NaiveDate) -> Draft {
        let mut d = Draft {
            id: None,
            phrase: 0,
            custom_phrase: None,
            hour: 8,
            minute: 0,
            kind: RepeatKind::Daily,
            date: today,
            weekdays: WeekdaySet::default(),
            weekday_cursor: 0,
            month_day: today.day(),
            focus: 0,
            error: None,
            original: None,
        };
        d.original = Some((d.phrase(), d.schedule()));
        d
    }

    pub fn from_reminder(r: &Reminder, today: NaiveDate) -> Draft {
        let mut d = Draft::new(today);
        d.id = Some(r.id);
        match r.phrase.catalogue_index() {
            Some(i) => d.phrase = i,
            None => d.custom_phrase = Some(r.phrase.clone()),
        }
        d.hour = r.schedule.time.hour();
        d.minute = r.schedule.time.minute();
        match r.schedule.repeat {
            Repeat::Once(date) => {
                d.kind = RepeatKind::Once;
                d.date = date;
            }
            Repeat::Daily => d.kind = RepeatKind::Daily,
            Repeat::Weekly(set) => {
                d.kind = RepeatKind::Weekly;
                d.weekdays = set;
            }
            Repeat::Monthly(day) => {
                d.kind = RepeatKind::Monthly;
                d.month_day = day;
            }
        }
        d.original = Some((r.phrase.clone(), r.schedule));
        d
    }

    pub fn fields(&self) -> Vec<Field> {
        let mut f = vec![Field::Phrase, Field::Hour, Field::Minute, Field::Repeat];
        match self.kind {
            RepeatKind::Once => f.push(Field::Date),
            RepeatKind::Daily => {}
            RepeatKind::Weekly => f.push(Field::Weekdays),
            RepeatKind::Monthly => f.push(Field::MonthDay),
        }
        f.push(Field::Save);
        f
    }

    pub fn focused(&self) -> Field {
        let f = self.fields();
        f[self.focus.min(f.len() - 1)]
    }

    pub fn phrase_text(&self) -> &str {
        match &self.custom_phrase {
            Some(p) => p.as_str(),
            None => PHRASES.get(self.phrase).copied().unwrap_or(PHRASES[0]),
        }
    }

    pub fn schedule(&self) -> Schedule {
        let time = NaiveTime::from_hms_opt(self.hour, self.minute, 0).unwrap_or(NaiveTime::MIN);
        let repeat = match self.kind {
            RepeatKind::Once => Repeat::Once(self.date),
            RepeatKind::Daily => Repeat::Daily,
            RepeatKind::Weekly => Repeat::Weekly(self.weekdays),
            RepeatKind::Monthly => Repeat::Monthly(self.month_day),
        };
        Schedule { time, repeat }
    }

    fn phrase(&self) -> Phrase {
        match &self.custom_phrase {
            Some(p) => p.clone(),
            // Catalogue entries are valid phrases by construction (tested in remind).
            None => Phrase::parse(self.phrase_text()).unwrap_or_else(|_| unreachable_phrase()),
        }
    }

    /// Has the resident changed anything since opening the form?
    pub fn is_changed(&self) -> bool {
        match &self.original {
            Some((p, s)) => *p != self.phrase() || *s != self.schedule(),
            None => true,
        }
    }

    pub fn key(&mut self, k: Key, today: NaiveDate, now: DateTime<Utc>) -> EditOutcome {
        let n = self.fields().len();
        match k {
            Key::Up => self.focus = self.focus.saturating_sub(1),
            Key::Down => self.focus = (self.focus + 1).min(n - 1),
            Key::Left => self.step(-1, today),
            Key::Right => self.step(1, today),
            Key::Ok if self.focused() == Field::Weekdays => {
                let day = Weekday::try_from(self.weekday_cursor).unwrap_or(Weekday::Mon);
                self.weekdays = self.weekdays.toggle(day);
                self.error = None;
            }
            Key::Ok if self.focused() == Field::Save => return self.try_save(now),
            Key::Ok => self.focus = (self.focus + 1).min(n - 1),
            Key::Green => return self.try_save(now),
            Key::Red => {
                if let Some(id) = self.id {
                    return EditOutcome::Delete(id);
                }
            }
            _ => {}
        }
        EditOutcome::Stay
    }

    fn step(&mut self, dir: i32, today: NaiveDate) {
        self.error = None;
        match self.focused() {
            Field::Phrase => {
                self.custom_phrase = None;
                self.phrase = wrap(self.phrase, dir, PHRASES.len());
            }
            Field::Hour => self.hour = wrap(self.hour as usize, dir, 24) as u32,
            Field::Minute => {
                let steps = (60 / MINUTE_STEP) as usize;
                self.minute =
                    wrap((self.minute / MINUTE_STEP) as usize, dir, steps) as u32 * MINUTE_STEP;
            }
            Field::Repeat => {
                let i = KINDS.iter().position(|k| *k == self.kind).unwrap_or(1);
                // Not wrapping: the list has a clear first and last.
                let j = (i as i32 + dir).clamp(0, KINDS.len() as i32 - 1) as usize;
                self.kind = KINDS[j];
            }
            Field::Date => {
                let d = self.date + Duration::days(dir as i64);
                if d >= today && d <= today + Duration::days(MAX_DAYS_AHEAD) {
                    self.date = d;
                }
            }
            Field::Weekdays => {
                self.weekday_cursor = (self.weekday_cursor as i32 + dir).clamp(0, 6) as u8;
            }
            Field::MonthDay => self.month_day = (self.month_day as i32 + dir).clamp(1, 31) as u32,
            Field::Save => {}
        }
    }

    fn try_save(&mut self, now: DateTime<Utc>) -> EditOutcome {
        let schedule = self.schedule();
        if self.kind == RepeatKind::Weekly && self.weekdays.is_empty() {
            self.error = Some(DraftError::NoWeekday);
            self.focus = self
                .fields()
                .iter()
                .position(|f| *f == Field::Weekdays)
                .unwrap_or(0);
            return EditOutcome::Stay;
        }
        if self.kind == RepeatKind::Once && schedule.next_after(now).is_none() {
            self.error = Some(DraftError::InPast);
            self.focus = 1; // the hour: the likeliest thing to change
            return EditOutcome::Stay;
        }
        EditOutcome::Save {
            id: self.id,
            phrase: self.phrase(),
            schedule,
        }
    }
}

fn wrap(i: usize, dir: i32, n: usize) -> usize {
    ((i as i64 + dir as i64).rem_euclid(n as i64)) as usize
}

#[cold]
fn unreachable_phrase() -> Phrase {
    // PHRASES are all valid (a unit test in engawa-remind proves it).
    Phrase::parse("お知らせ").unwrap_or_else(|_| unreachable!("fixed phrase is valid"))
}
