//! When a reminder is due: a time of day plus a repeat rule, on Tokyo dates.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use engawa_core::TOKYO;
use serde::{Deserialize, Serialize};

/// An occurrence noticed later than this after its due time is shown as late
/// (「おくれて お知らせします」): the box was off or busy when it was due.
pub const LATE_AFTER: Duration = Duration::minutes(3);

/// How far back a box that was off looks for missed occurrences. A reminder missed
/// more than a week ago is no longer useful to show.
pub const LOOKBACK: Duration = Duration::days(7);

/// A set of weekdays; bit 0 is Monday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WeekdaySet(pub u8);

impl WeekdaySet {
    pub fn contains(self, w: Weekday) -> bool {
        self.0 & (1 << w.num_days_from_monday()) != 0
    }
    pub fn toggle(self, w: Weekday) -> Self {
        WeekdaySet(self.0 ^ (1 << w.num_days_from_monday()))
    }
    pub fn is_empty(self) -> bool {
        self.0 & 0x7f == 0
    }
    /// 「毎週 火・金」
    pub fn words_ja(self) -> String {
        let days: Vec<&str> = (0..7)
            .filter_map(|i| Weekday::try_from(i).ok())
            .filter(|w| self.contains(*w))
            .map(engawa_core::jp::weekday_ja)
            .collect();
        format!("毎週 {}", days.join("・"))
    }

    /// From seven flags, Monday first (the forms' checkboxes `wd0`…`wd6`).
    pub fn from_flags(flags: [bool; 7]) -> Self {
        WeekdaySet(
            flags
                .iter()
                .enumerate()
                .filter(|(_, on)| **on)
                .fold(0, |set, (i, _)| set | (1 << i)),
        )
    }
    pub fn from_days(days: &[Weekday]) -> Self {
        days.iter().fold(WeekdaySet(0), |s, d| {
            WeekdaySet(s.0 | (1 << d.num_days_from_monday()))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "on")]
pub enum Repeat {
    /// Once, on this date.
    Once(NaiveDate),
    Daily,
    /// On these weekdays every week.
    Weekly(WeekdaySet),
    /// On this day of every month; a day the month doesn't have (31 in
    /// November, 29 in a common February) means the month's last day.
    Monthly(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub time: NaiveTime,
    pub repeat: Repeat,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    #[error("a weekly reminder needs at least one weekday")]
    NoWeekday,
    #[error("day of month {0} is outside 1–31")]
    BadMonthDay(u32),
}

impl Schedule {
    /// The schedule in words, as the TV, the family page and the console write
    /// it: 「毎日 午前8:00」「毎週 火・金 午前7:30」「毎月31日 午前9:30」
    /// 「12月3日(木) 午前10:00」.
    pub fn words_ja(&self) -> String {
        let when = match self.repeat {
            Repeat::Once(d) => engawa_core::jp::date_ja(d),
            Repeat::Daily => "毎日".to_string(),
            Repeat::Weekly(set) => set.words_ja(),
            Repeat::Monthly(day) => format!("毎月{day}日"),
        };
        format!("{when} {}", engawa_core::jp::time_ja(self.time))
    }

    pub fn validate(&self) -> Result<(), ScheduleError> {
        match self.repeat {
            Repeat::Weekly(set) if set.is_empty() => Err(ScheduleError::NoWeekday),
            Repeat::Monthly(d) if !(1..=31).contains(&d) => Err(ScheduleError::BadMonthDay(d)),
            _ => Ok(()),
        }
    }

    /// Does it fire on this Tokyo date?
    pub fn fires_on(&self, date: NaiveDate) -> bool {
        match self.repeat {
            Repeat::Once(d) => d == date,
            Repeat::Daily => true,
            Repeat::Weekly(set) => set.contains(date.weekday()),
            Repeat::Monthly(day) => date.day() == day.min(last_day_of_month(date)),
        }
    }

    /// The instant it fires on `date`, if it does.
    pub fn due_on(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        if !self.fires_on(date) {
            return None;
        }
        // Tokyo has no DST gaps today; `earliest` still gives a defined answer if
        // the tz database ever says otherwise.
        TOKYO
            .from_local_datetime(&date.and_time(self.time))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    /// Every due instant in `(after, until]`, oldest first.
    pub fn occurrences_between(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Vec<DateTime<Utc>> {
        if until <= after {
            return Vec::new();
        }
        let first = after.with_timezone(&TOKYO).date_naive();
        let last = until.with_timezone(&TOKYO).date_naive();
        first
            .iter_days()
            .take_while(|d| *d <= last)
            .filter_map(|d| self.due_on(d))
            .filter(|t| *t > after && *t <= until)
            .collect()
    }

    /// The next due instant strictly after `after` (searches up to ~13 months,
    /// enough for any monthly rule).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = after.with_timezone(&TOKYO).date_naive();
        start
            .iter_days()
            .take(400)
            .filter_map(|d| self.due_on(d))
            .find(|t| *t > after)
    }
}

fn last_day_of_month(date: NaiveDate) -> u32 {
    let (y, m) = (date.year(), date.month());
    let first_next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    first_next
        .and_then(|d| d.pred_opt())
        .map(|d| d.day())
        .unwrap_or(28)
}

/// What the scheduler should do with one reminder when it looks at the clock.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DuePlan {
    /// The occurrence to show now, and whether it is late.
    pub show: Option<(DateTime<Utc>, bool)>,
    /// Older occurrences in the same window: recorded as skipped, never shown,
    /// so a box that was off for three days shows a daily reminder once, not three
    /// times.
    pub skipped: Vec<DateTime<Utc>>,
}

/// Decide what is due for `schedule` between the last look (`checked_until`,
/// exclusive) and `now` (inclusive). `checked_until` is clamped to `LOOKBACK`.
pub fn plan_due(schedule: &Schedule, checked_until: DateTime<Utc>, now: DateTime<Utc>) -> DuePlan {
    let after = checked_until.max(now - LOOKBACK);
    let mut due = schedule.occurrences_between(after, now);
    let Some(latest) = due.pop() else {
        return DuePlan::default();
    };
    DuePlan {
        show: Some((latest, now - latest > LATE_AFTER)),
        skipped: due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engawa_core::clock::tokyo;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }
    fn at(h: u32, m: u32, repeat: Repeat) -> Schedule {
        Schedule {
            time: NaiveTime::from_hms_opt(h, m, 0).unwrap(),
            repeat,
        }
    }

    #[test]
    fn monthly_day_clamps_to_month_end() {
        // (rule day, date, fires?)
        let table = [
            (31, date(2026, 1, 31), true),
            (31, date(2026, 1, 30), false),
            (31, date(2026, 4, 30), true), // April has 30 days
            (31, date(2026, 2, 28), true), // common year
            (30, date(2026, 2, 28), true),
            (29, date(2028, 2, 29), true), // leap year: the 29th exists
            (29, date(2028, 2, 28), false),
            (31, date(2028, 2, 29), true),
            (28, date(2028, 2, 28), true),
            (1, date(2026, 12, 1), true),
            (15, date(2026, 11, 15), true),
            (15, date(2026, 11, 16), false),
        ];
        for (day, d, want) in table {
            assert_eq!(
                at(9, 0, Repeat::Monthly(day)).fires_on(d),
                want,
                "day {day} on {d}"
            );
        }
    }

    #[test]
    fn monthly_on_31st_over_a_year_fires_twelve_times_on_month_ends() {
        let s = at(9, 0, Repeat::Monthly(31));
        let got = s.occurrences_between(tokyo(2026, 1, 1, 0, 0), tokyo(2026, 12, 31, 23, 59));
        let days: Vec<String> = got
            .iter()
            .map(|t| t.with_timezone(&TOKYO).format("%m-%d").to_string())
            .collect();
        assert_eq!(
            days,
            [
                "01-31", "02-28", "03-31", "04-30", "05-31", "06-30", "07-31", "08-31", "09-30",
                "10-31", "11-30", "12-31"
            ]
        );
    }

    #[test]
    fn once_on_leap_day() {
        let s = at(10, 0, Repeat::Once(date(2028, 2, 29)));
        assert_eq!(
            s.next_after(tokyo(2028, 2, 1, 0, 0)),
            Some(tokyo(2028, 2, 29, 10, 0))
        );
        assert_eq!(s.next_after(tokyo(2028, 2, 29, 10, 0)), None);
    }

    #[test]
    fn weekday_sets() {
        use Weekday::*;
        let garbage = at(7, 30, Repeat::Weekly(WeekdaySet::from_days(&[Tue, Fri])));
        // 2026-11-25 is a Wednesday.
        let table = [
            (date(2026, 11, 24), true),
            (date(2026, 11, 25), false),
            (date(2026, 11, 27), true),
            (date(2026, 11, 29), false),
        ];
        for (d, want) in table {
            assert_eq!(garbage.fires_on(d), want, "{d}");
        }
        assert_eq!(
            garbage.next_after(tokyo(2026, 11, 25, 16, 38)),
            Some(tokyo(2026, 11, 27, 7, 30))
        );
        assert!(WeekdaySet::default().is_empty());
        assert_eq!(
            at(7, 0, Repeat::Weekly(WeekdaySet(0))).validate(),
            Err(ScheduleError::NoWeekday)
        );
        assert_eq!(WeekdaySet(0).toggle(Mon).toggle(Mon), WeekdaySet(0));
    }

    #[test]
    fn daily_crosses_year_end_and_due_is_tokyo_time() {
        let s = at(8, 0, Repeat::Daily);
        assert_eq!(
            s.next_after(tokyo(2026, 12, 31, 8, 0)),
            Some(tokyo(2027, 1, 1, 8, 0))
        );
        // 08:00 in Tokyo is 23:00 UTC the day before.
        assert_eq!(
            s.due_on(date(2027, 1, 1)).unwrap().to_rfc3339(),
            "2026-12-31T23:00:00+00:00"
        );
    }

    #[test]
    fn invalid_month_day_is_refused() {
        assert_eq!(
            at(8, 0, Repeat::Monthly(0)).validate(),
            Err(ScheduleError::BadMonthDay(0))
        );
        assert_eq!(
            at(8, 0, Repeat::Monthly(32)).validate(),
            Err(ScheduleError::BadMonthDay(32))
        );
        assert_eq!(at(8, 0, Repeat::Monthly(31)).validate(), Ok(()));
    }

    #[test]
    fn plan_due_on_time_late_and_missed_while_off() {
        let daily8 = at(8, 0, Repeat::Daily);
        // Box running: the tick just after 8:00 shows it on time.
        let p = plan_due(
            &daily8,
            tokyo(2026, 11, 25, 7, 59),
            tokyo(2026, 11, 25, 8, 0),
        );
        assert_eq!(p.show, Some((tokyo(2026, 11, 25, 8, 0), false)));
        assert!(p.skipped.is_empty());
        // Nothing new in the next tick: never shown twice.
        let p = plan_due(
            &daily8,
            tokyo(2026, 11, 25, 8, 0),
            tokyo(2026, 11, 25, 8, 1),
        );
        assert_eq!(p, DuePlan::default());
        // Box off from 7:00 on the 23rd until 9:30 on the 25th: three 8:00s missed,
        // only the latest is shown, late; the other two are skipped.
        let p = plan_due(
            &daily8,
            tokyo(2026, 11, 23, 7, 0),
            tokyo(2026, 11, 25, 9, 30),
        );
        assert_eq!(p.show, Some((tokyo(2026, 11, 25, 8, 0), true)));
        assert_eq!(
            p.skipped,
            vec![tokyo(2026, 11, 23, 8, 0), tokyo(2026, 11, 24, 8, 0)]
        );
        // Off for a month: only the last week is looked at.
        let p = plan_due(
            &daily8,
            tokyo(2026, 10, 1, 0, 0),
            tokyo(2026, 11, 25, 9, 30),
        );
        assert_eq!(p.skipped.len(), 6);
        // A once-reminder in the past that was already checked is never due again.
        let once = at(8, 0, Repeat::Once(date(2026, 11, 25)));
        assert_eq!(
            plan_due(&once, tokyo(2026, 11, 25, 9, 0), tokyo(2026, 11, 26, 9, 0)),
            DuePlan::default()
        );
    }
}
