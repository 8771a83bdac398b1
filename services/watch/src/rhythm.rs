//! The person's own rhythm: how long they are usually quiet, by time of day.
//!
//! Every pair of consecutive key presses is a quiet gap that started at a time of
//! day. With two weeks of history the threshold after the last key press is the
//! longest gap that started around that time of day (within ±2 hours, over the
//! last four weeks), plus half of it (at least 2 hours), kept within the
//! operator's bounds. Gaps longer than the upper bound are absences or alerts,
//! not rhythm, and are left out; away mode breaks the chain.

use chrono::{DateTime, Duration, Timelike, Utc};
use engawa_core::TOKYO;
use serde::{Deserialize, Serialize};

use crate::policy::Policy;

pub const WINDOW: Duration = Duration::days(28);
pub const LEARNING: Duration = Duration::days(14);
/// How near in time of day a past gap must have started to count.
const NEAR_MIN: i64 = 120;
/// The least margin over the usual longest gap.
const MARGIN: Duration = Duration::hours(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rule {
    /// The operator's fixed threshold (no adaptive bounds, or still learning).
    Fixed,
    /// Learned from this person's own gaps.
    Adaptive,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rhythm {
    /// (start, length) of quiet gaps in the window, oldest first.
    gaps: Vec<(DateTime<Utc>, Duration)>,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

fn minute_of_day(t: DateTime<Utc>) -> i64 {
    let l = t.with_timezone(&TOKYO);
    i64::from(l.hour() * 60 + l.minute())
}

fn near(a: i64, b: i64) -> bool {
    let d = (a - b).rem_euclid(1440);
    d.min(1440 - d) <= NEAR_MIN
}

impl Rhythm {
    /// A key press (or any resident activity).
    pub fn record(&mut self, t: DateTime<Utc>) {
        self.first.get_or_insert(t);
        if let Some(last) = self.last
            && t > last
        {
            self.gaps.push((last, t - last));
        }
        if self.last.is_none_or(|l| t > l) {
            self.last = Some(t);
        }
        let horizon = t - WINDOW;
        let old = self.gaps.partition_point(|(s, _)| *s < horizon);
        self.gaps.drain(..old);
    }

    /// The next activity does not close a gap (away mode, an alert, a reboot
    /// after a long time off).
    pub fn break_chain(&mut self) {
        self.last = None;
    }

    pub fn learned(&self, now: DateTime<Utc>) -> bool {
        self.first.is_some_and(|f| now - f >= LEARNING)
    }

    /// How long after `last_activity` the person is to be asked, and by which rule.
    pub fn threshold(&self, p: &Policy, last_activity: DateTime<Utc>) -> (Duration, Rule) {
        let Some(bounds) = p.adaptive else {
            return (p.threshold, Rule::Fixed);
        };
        if !self.learned(last_activity) {
            return (p.threshold, Rule::Fixed);
        }
        let at = minute_of_day(last_activity);
        let usual = self
            .gaps
            .iter()
            .filter(|(s, g)| *g <= bounds.max && near(minute_of_day(*s), at))
            .map(|(_, g)| *g)
            .max()
            .unwrap_or(bounds.min);
        let t = usual + (usual / 2).max(MARGIN);
        (t.clamp(bounds.min, bounds.max), Rule::Adaptive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engawa_core::clock::tokyo;

    #[test]
    fn learns_the_night_and_the_day_separately_after_two_weeks() {
        let p = Policy::default();
        let mut r = Rhythm::default();
        let start = tokyo(2026, 11, 1, 7, 0);
        for day in 0..20 {
            let d = start + Duration::days(day);
            // Awake 7:00–21:00 with a key press every hour; asleep 10 hours.
            for h in 0..=14 {
                r.record(d + Duration::hours(h));
            }
            if day == 5 {
                assert_eq!(r.threshold(&p, d + Duration::hours(14)).1, Rule::Fixed);
            }
        }
        let evening = tokyo(2026, 11, 20, 21, 0);
        let (night, rule) = r.threshold(&p, evening);
        assert_eq!(rule, Rule::Adaptive);
        assert_eq!(night, Duration::hours(15));
        // Around noon the usual gap is an hour: the lower bound applies.
        let (day, _) = r.threshold(&p, tokyo(2026, 11, 20, 12, 0));
        assert_eq!(day, Duration::hours(6));
        // Without adaptive bounds: always the fixed threshold.
        let fixed = Policy {
            adaptive: None,
            ..Policy::default()
        };
        assert_eq!(
            r.threshold(&fixed, evening),
            (Duration::hours(24), Rule::Fixed)
        );
    }

    #[test]
    fn long_absences_are_not_rhythm_and_away_breaks_the_chain() {
        let p = Policy::default();
        let mut r = Rhythm::default();
        let start = tokyo(2026, 11, 1, 8, 0);
        for h in 0..(15 * 24) {
            r.record(start + Duration::hours(h));
        }
        // A 3-day trip without away mode: a 72 h gap — too long to be rhythm.
        r.record(start + Duration::hours(15 * 24 + 72));
        let at = start + Duration::hours(15 * 24 + 72);
        assert_eq!(r.threshold(&p, at).0, Duration::hours(6));
        r.break_chain();
        r.record(at + Duration::hours(20));
        assert_eq!(
            r.threshold(&p, at + Duration::hours(20)).0,
            Duration::hours(6)
        );
        // Gaps older than four weeks are forgotten.
        r.record(at + Duration::days(40));
        assert!(r.gaps.len() <= 1);
    }
}
