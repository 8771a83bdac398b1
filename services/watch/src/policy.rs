//! The operator's watch-over settings for one household.

use chrono::{Duration, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

/// Limits for the adaptive threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bounds {
    pub min: Duration,
    pub max: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The fixed rule: this long without activity (24 h by default). Used until
    /// there are two weeks of history, and always when `adaptive` is `None`.
    pub threshold: Duration,
    /// When the optional daily 「お元気です」 digest goes out.
    pub check_time: NaiveTime,
    /// How long the on-screen 「お元気ですか？」 waits before family is emailed.
    pub grace: Duration,
    /// After the first email, another one if there is still no activity.
    pub realert: Duration,
    /// No email starts in [from, to) (may wrap midnight); held until it ends.
    pub quiet: Option<(NaiveTime, NaiveTime)>,
    /// The person's own rhythm within these bounds, once learned.
    pub adaptive: Option<Bounds>,
    /// Send family a short 「お元気です」 every day at `check_time`.
    pub daily_digest: bool,
}

/// Longest away mode (it always ends by itself).
pub const MAX_AWAY: Duration = Duration::days(14);
/// Away set for longer than this is told to the family.
pub const AWAY_NOTICE: Duration = Duration::days(3);

impl Default for Policy {
    fn default() -> Self {
        Policy {
            threshold: Duration::hours(24),
            check_time: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
            grace: Duration::minutes(60),
            realert: Duration::hours(6),
            quiet: None,
            adaptive: Some(Bounds {
                min: Duration::hours(6),
                max: Duration::hours(24),
            }),
            daily_digest: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// The threshold must be longer than the grace period (and the grace > 0).
    ThresholdNotAfterGrace,
    GraceNotPositive,
    /// Quiet hours that cover the whole day would hold every email forever.
    QuietAllDay,
    BoundsInverted,
    /// The adaptive minimum must also be longer than the grace period.
    BoundsBelowGrace,
    RealertTooShort,
}

impl PolicyError {
    pub fn message_ja(&self) -> &'static str {
        match self {
            PolicyError::ThresholdNotAfterGrace => {
                "知らせるまでの時間は 画面で たずねる時間より 長くしてください。"
            }
            PolicyError::GraceNotPositive => "画面で たずねる時間を 入れてください。",
            PolicyError::QuietAllDay => "メールを 送らない時間が 一日じゅうに なっています。",
            PolicyError::BoundsInverted => "自動の 最小が 最大より 長くなっています。",
            PolicyError::BoundsBelowGrace => {
                "自動の 最小は 画面で たずねる時間より 長くしてください。"
            }
            PolicyError::RealertTooShort => "二度目の メールまでは 30分以上 あけてください。",
        }
    }
}

impl Policy {
    /// Refuse a policy that could never fire, or would fire before the resident
    /// could answer.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.grace <= Duration::zero() {
            return Err(PolicyError::GraceNotPositive);
        }
        if self.threshold <= self.grace {
            return Err(PolicyError::ThresholdNotAfterGrace);
        }
        if let Some((from, to)) = self.quiet
            && from.with_second(0) == to.with_second(0)
        {
            return Err(PolicyError::QuietAllDay);
        }
        if let Some(b) = self.adaptive {
            if b.min > b.max {
                return Err(PolicyError::BoundsInverted);
            }
            if b.min <= self.grace {
                return Err(PolicyError::BoundsBelowGrace);
            }
        }
        if self.realert < Duration::minutes(30) {
            return Err(PolicyError::RealertTooShort);
        }
        Ok(())
    }

    /// Whether an email may start at this Tokyo time of day.
    pub fn quiet_at(&self, t: NaiveTime) -> bool {
        match self.quiet {
            None => false,
            Some((from, to)) if from < to => from <= t && t < to,
            Some((from, to)) => t >= from || t < to,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn policies_that_can_never_fire_are_refused() {
        assert_eq!(Policy::default().validate(), Ok(()));
        let p = |f: &dyn Fn(&mut Policy)| {
            let mut p = Policy::default();
            f(&mut p);
            p.validate()
        };
        assert_eq!(
            p(&|p| p.threshold = Duration::minutes(30)),
            Err(PolicyError::ThresholdNotAfterGrace)
        );
        assert_eq!(
            p(&|p| p.grace = Duration::zero()),
            Err(PolicyError::GraceNotPositive)
        );
        assert_eq!(
            p(&|p| p.quiet = Some((hm(21, 0), hm(21, 0)))),
            Err(PolicyError::QuietAllDay)
        );
        assert_eq!(
            p(&|p| p.adaptive = Some(Bounds {
                min: Duration::hours(30),
                max: Duration::hours(24)
            })),
            Err(PolicyError::BoundsInverted)
        );
        assert_eq!(
            p(&|p| p.adaptive = Some(Bounds {
                min: Duration::minutes(45),
                max: Duration::hours(24)
            })),
            Err(PolicyError::BoundsBelowGrace)
        );
        assert_eq!(
            p(&|p| p.realert = Duration::minutes(5)),
            Err(PolicyError::RealertTooShort)
        );
        assert!(!PolicyError::QuietAllDay.message_ja().is_empty());
    }

    #[test]
    fn quiet_hours_wrap_midnight() {
        let mut p = Policy {
            quiet: Some((hm(21, 0), hm(7, 0))),
            ..Policy::default()
        };
        for (t, quiet) in [
            (hm(20, 59), false),
            (hm(21, 0), true),
            (hm(23, 59), true),
            (hm(0, 0), true),
            (hm(6, 59), true),
            (hm(7, 0), false),
            (hm(12, 0), false),
        ] {
            assert_eq!(p.quiet_at(t), quiet, "{t}");
        }
        p.quiet = Some((hm(12, 0), hm(13, 0)));
        assert!(p.quiet_at(hm(12, 30)) && !p.quiet_at(hm(13, 0)));
    }
}
