//! Delivery days and the cut-off.
//!
//! An order placed on a delivery day before the cut-off (11:00 by default; the
//! model city later moved it to 10:30) arrives the same evening; otherwise on the
//! next delivery day. Delivery days are chosen weekdays minus the operator's
//! holiday list. An order can be cancelled until the cut-off of its delivery day.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use engawa_core::{TOKYO, jp};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRules {
    pub cutoff: NaiveTime,
    /// Days of the week with deliveries (Monday first).
    pub weekdays: [bool; 7],
    /// Days without delivery even though their weekday has one.
    pub holidays: BTreeSet<NaiveDate>,
}

impl Default for DeliveryRules {
    /// 11:00 cut-off, Monday to Friday, no holidays listed.
    fn default() -> Self {
        DeliveryRules {
            cutoff: NaiveTime::from_hms_opt(11, 0, 0).unwrap_or(NaiveTime::MIN),
            weekdays: [true, true, true, true, true, false, false],
            holidays: BTreeSet::new(),
        }
    }
}

/// No delivery day within this many days means the rules are broken (e.g. no
/// weekday chosen); callers get `None` rather than a loop.
const SEARCH_DAYS: i64 = 370;

impl DeliveryRules {
    pub fn is_delivery_day(&self, d: NaiveDate) -> bool {
        self.weekdays[d.weekday().num_days_from_monday() as usize] && !self.holidays.contains(&d)
    }

    /// The instant ordering for `delivery_day` closes.
    pub fn cutoff_for(&self, delivery_day: NaiveDate) -> Option<DateTime<Utc>> {
        TOKYO
            .from_local_datetime(&delivery_day.and_time(self.cutoff))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The day an order placed at `ordered_at` is delivered.
    pub fn delivery_day_for(&self, ordered_at: DateTime<Utc>) -> Option<NaiveDate> {
        let local = ordered_at.with_timezone(&TOKYO);
        let today = local.date_naive();
        let first = if local.time() < self.cutoff {
            today
        } else {
            today + Duration::days(1)
        };
        (0..SEARCH_DAYS)
            .map(|i| first + Duration::days(i))
            .find(|d| self.is_delivery_day(*d))
    }

    /// Cancelling is allowed until the cut-off of the order's delivery day.
    pub fn can_cancel(&self, delivery_day: NaiveDate, now: DateTime<Utc>) -> bool {
        self.cutoff_for(delivery_day).is_some_and(|c| now < c)
    }
}

/// 「きょう 夕方 お届け」「あした 夕方 お届け」「12月1日(火) 夕方 お届け」
pub fn delivery_words_ja(delivery_day: NaiveDate, today: NaiveDate) -> String {
    format!("{} 夕方 お届け", jp::day_relative_ja(delivery_day, today))
}

#[cfg(test)]
mod tests {
    use super::*;
    use engawa_core::clock::tokyo;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn delivery_day_table() {
        let mut rules = DeliveryRules::default();
        rules.holidays.insert(d(11, 23)); // 勤労感謝の日 (Monday in 2026)
        // (ordered at, Tokyo wall clock) → delivered on
        let table = [
            (tokyo(2026, 11, 25, 10, 59), d(11, 25)), // Wed before 11:00: same evening
            (tokyo(2026, 11, 25, 11, 0), d(11, 26)),  // at 11:00 sharp: too late
            (tokyo(2026, 11, 27, 16, 0), d(11, 30)),  // Fri afternoon: Monday
            (tokyo(2026, 11, 28, 9, 0), d(11, 30)),   // Saturday morning: Monday
            (tokyo(2026, 11, 22, 20, 0), d(11, 24)),  // Sunday evening, Monday a holiday: Tuesday
            (tokyo(2026, 11, 23, 9, 0), d(11, 24)),   // on the holiday itself
            (tokyo(2026, 12, 31, 10, 0), d(12, 31)),
        ];
        for (at, want) in table {
            assert_eq!(rules.delivery_day_for(at), Some(want), "{at}");
        }
    }

    #[test]
    fn the_cut_off_is_configurable_and_judged_in_tokyo() {
        let rules = DeliveryRules {
            cutoff: NaiveTime::from_hms_opt(10, 30, 0).unwrap(),
            ..DeliveryRules::default()
        };
        assert_eq!(
            rules.delivery_day_for(tokyo(2026, 11, 25, 10, 29)),
            Some(d(11, 25))
        );
        assert_eq!(
            rules.delivery_day_for(tokyo(2026, 11, 25, 10, 30)),
            Some(d(11, 26))
        );
        // 10:30 in Tokyo is 01:30 UTC.
        assert_eq!(
            rules.cutoff_for(d(11, 25)).unwrap().to_rfc3339(),
            "2026-11-25T01:30:00+00:00"
        );
    }

    #[test]
    fn cancel_until_the_cut_off() {
        let rules = DeliveryRules::default();
        assert!(rules.can_cancel(d(11, 25), tokyo(2026, 11, 25, 10, 59)));
        assert!(!rules.can_cancel(d(11, 25), tokyo(2026, 11, 25, 11, 0)));
        assert!(rules.can_cancel(d(11, 30), tokyo(2026, 11, 27, 16, 0)));
    }

    #[test]
    fn no_delivery_weekday_means_no_answer_not_a_hang() {
        let rules = DeliveryRules {
            weekdays: [false; 7],
            ..DeliveryRules::default()
        };
        assert_eq!(rules.delivery_day_for(tokyo(2026, 11, 25, 9, 0)), None);
    }

    #[test]
    fn words_for_the_confirmation_screen() {
        let today = d(11, 25);
        assert_eq!(delivery_words_ja(d(11, 25), today), "きょう 夕方 お届け");
        assert_eq!(delivery_words_ja(d(11, 26), today), "あした 夕方 お届け");
        assert_eq!(
            delivery_words_ja(d(11, 30), today),
            "11月30日(月) 夕方 お届け"
        );
    }
}
