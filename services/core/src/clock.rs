//! The clock every "today / before 11:00 / 24 h without activity" decision reads.
//!
//! Domain code never calls `Utc::now()`: it takes a `&dyn Clock`, so tests move
//! time by hand. All local-time reasoning happens in Asia/Tokyo, made explicit here.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// The zone every resident lives in. Japan has no daylight saving time, but we
/// still go through the tz database so the rules are explicit and testable.
pub const TOKYO: Tz = chrono_tz::Asia::Tokyo;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// The same instant on the residents' wall clock.
    fn now_local(&self) -> DateTime<Tz> {
        self.now().with_timezone(&TOKYO)
    }
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to; for tests, screenshots and benches.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Convenience for tests: a Tokyo wall-clock time. Panics on an invalid
    /// literal, which is a bug in the test, never runtime input.
    pub fn at_tokyo(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Self {
        Self::new(tokyo(y, mo, d, h, mi))
    }

    pub fn set(&self, t: DateTime<Utc>) {
        *self.lock() = t;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.lock();
        *now += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A poisoned lock only means another test thread panicked; the time
        // value itself is always valid.
        self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

/// A Tokyo wall-clock time as UTC. For literals in tests and demo data only.
pub fn tokyo(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    TOKYO
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap_or_else(|| panic!("invalid Tokyo time literal {y}-{mo}-{d} {h}:{mi}"))
        .with_timezone(&Utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::at_tokyo(2026, 11, 25, 16, 38);
        assert_eq!(c.now_local().hour(), 16);
        c.advance(Duration::minutes(30));
        assert_eq!(c.now_local().hour(), 17);
        assert_eq!(c.now_local().minute(), 8);
    }

    #[test]
    fn tokyo_is_nine_hours_ahead_of_utc() {
        let t = tokyo(2026, 1, 1, 0, 0);
        assert_eq!(t.to_rfc3339(), "2025-12-31T15:00:00+00:00");
    }
}
