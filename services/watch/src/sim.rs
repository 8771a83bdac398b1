//! A year of synthetic households, to compare the fixed 24-hour rule with the
//! adaptive one (`engawa-watch sim`).
//!
//! Each household has a daily rhythm of remote key presses (wake and sleep times
//! with jitter, key presses while awake at home, the odd long afternoon away) and
//! its own particulars: a weekly day-care visit, a hospital stay or a trip with
//! away mode set, a trip without it, the TV left on for hours without a key. The
//! person answers an on-screen prompt with their next key press.
//!
//! Measured per rule: emails to family in a year without incident (false alerts;
//! those during an unannounced absence are counted apart — the box cannot know),
//! and over injected incidents (activity stops for good at a random moment): how
//! many were missed and how long until the family was emailed.

use chrono::{DateTime, Duration, Utc};
use engawa_core::clock::tokyo;

use crate::ladder::{Action, Input, Ladder};
use crate::policy::Policy;
use crate::rhythm::Rhythm;

/// A small, seeded random generator (xorshift64*), so every run is the same.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform minutes in [lo, hi].
    pub fn minutes(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.unit() * (hi - lo + 1) as f64) as i64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    EarlyRiser,
    NightOwl,
    IrregularSleeper,
    WeeklyDayCare,
    HospitalStay,
    TripWithAway,
    TripWithoutAway,
    TvLeftOn,
}

pub const PROFILES: [Profile; 8] = [
    Profile::EarlyRiser,
    Profile::NightOwl,
    Profile::IrregularSleeper,
    Profile::WeeklyDayCare,
    Profile::HospitalStay,
    Profile::TripWithAway,
    Profile::TripWithoutAway,
    Profile::TvLeftOn,
];

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::EarlyRiser => "early riser",
            Profile::NightOwl => "night owl",
            Profile::IrregularSleeper => "irregular sleeper",
            Profile::WeeklyDayCare => "weekly day-care",
            Profile::HospitalStay => "hospital stay (away set)",
            Profile::TripWithAway => "trip with away mode",
            Profile::TripWithoutAway => "trip without away mode",
            Profile::TvLeftOn => "TV left on",
        }
    }
}

/// An absence from home: no key presses. `announced` = away mode was set.
#[derive(Debug, Clone, Copy)]
pub struct Absence {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub announced: bool,
}

pub struct Household {
    pub profile: Profile,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Key presses, in order.
    pub presses: Vec<DateTime<Utc>>,
    pub absences: Vec<Absence>,
}

/// Wake time, bedtime (minutes after the day's midnight; bedtime may pass 1440)
/// and the mean minutes between key presses while awake.
fn day_shape(p: Profile, rng: &mut Rng) -> (i64, i64, f64) {
    let j = |rng: &mut Rng, m: i64| rng.minutes(-m, m);
    match p {
        Profile::EarlyRiser => (300 + j(rng, 30), 1230 + j(rng, 30), 35.0),
        Profile::NightOwl => (630 + j(rng, 45), 1560 + j(rng, 45), 35.0),
        Profile::IrregularSleeper => {
            let wake = 240 + rng.minutes(0, 360);
            (wake, wake + 900 + rng.minutes(-120, 180), 45.0)
        }
        Profile::TvLeftOn => (420 + j(rng, 30), 1470 + j(rng, 30), 50.0),
        _ => (390 + j(rng, 40), 1290 + j(rng, 40), 40.0),
    }
}

pub fn household(profile: Profile, days: i64, seed: u64) -> Household {
    let mut rng = Rng::new(seed);
    let start = tokyo(2026, 1, 5, 0, 0); // a Monday
    let end = start + Duration::days(days);
    let day = |n: i64| start + Duration::days(n);
    let mut absences = Vec::new();
    let mid = days / 2;
    match profile {
        Profile::HospitalStay => absences.push(Absence {
            from: day(mid) + Duration::hours(10),
            to: day(mid + 9) + Duration::hours(15),
            announced: true,
        }),
        Profile::TripWithAway => absences.push(Absence {
            from: day(mid) + Duration::hours(9),
            to: day(mid + 5) + Duration::hours(17),
            announced: true,
        }),
        Profile::TripWithoutAway => absences.push(Absence {
            from: day(mid) + Duration::hours(9),
            to: day(mid + 3) + Duration::hours(17),
            announced: false,
        }),
        _ => {}
    }
    let away = |t: DateTime<Utc>, abs: &[Absence]| abs.iter().any(|a| a.from <= t && t < a.to);
    let mut presses = Vec::new();
    for n in 0..days {
        let midnight = day(n);
        let (wake, bed, mean) = day_shape(profile, &mut rng);
        let day_care = profile == Profile::WeeklyDayCare && n % 7 == 2;
        // An afternoon out now and then (fields, neighbours, shopping).
        let outing = (rng.unit() < 0.15).then(|| {
            let from = rng.minutes(600, 840);
            (from, from + rng.minutes(90, 240))
        });
        let mut m = wake as f64;
        while (m as i64) < bed {
            let at = midnight + Duration::minutes(m as i64);
            let mi = m as i64;
            let out_now = (day_care && (510..990).contains(&mi))
                || outing.is_some_and(|(a, b)| (a..b).contains(&mi))
                || away(at, &absences);
            // The TV left on in the evening: hours with hardly a key press.
            let tv = profile == Profile::TvLeftOn && mi >= 1140;
            if !out_now {
                presses.push(at);
            }
            let mean = if tv { 150.0 } else { mean };
            // Exponential gaps, at least a minute.
            m += (-(1.0 - rng.unit()).ln() * mean).max(1.0);
        }
    }
    presses.sort();
    Household {
        profile,
        start,
        end,
        presses,
        absences,
    }
}

/// What happened in one run.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// First alerts (n = 1) with the time they went out.
    pub alerts: Vec<DateTime<Utc>>,
}

/// Run the ladder over a household's key presses, ticking every `step` minutes;
/// key presses after `stop` never happen (the incident).
pub fn run(h: &Household, policy: &Policy, stop: Option<DateTime<Utc>>, step: i64) -> Outcome {
    let mut rhythm = Rhythm::default();
    let mut ladder = Ladder::new(h.start, policy, &rhythm);
    let mut out = Outcome::default();
    let mut presses = h.presses.iter().peekable();
    let mut aways = h.absences.iter().filter(|a| a.announced).peekable();
    let end = stop.map_or(h.end, |s| {
        (s + Duration::days(4)).min(h.end + Duration::days(4))
    });
    let mut t = h.start;
    while t <= end {
        while let Some(a) = aways.peek() {
            if a.from > t {
                break;
            }
            // Away mode set in the morning of departure, until the planned return.
            ladder.step(
                Input::SetAway {
                    now: a.from,
                    until: a.to,
                },
                policy,
                &mut rhythm,
            );
            aways.next();
        }
        while let Some(p) = presses.peek() {
            if **p > t || stop.is_some_and(|s| **p >= s) {
                break;
            }
            ladder.step(Input::Activity(**p), policy, &mut rhythm);
            presses.next();
        }
        for a in ladder.step(Input::Tick(t), policy, &mut rhythm) {
            if let Action::Alert { n: 1, .. } = a {
                out.alerts.push(t);
            }
        }
        t += Duration::minutes(step);
    }
    out
}

#[derive(Debug, Clone, Default)]
pub struct RuleReport {
    pub households: usize,
    pub days: i64,
    /// Emails to family in years without incident, outside unannounced absences.
    pub false_alerts: usize,
    /// …and those during an unannounced absence (the trip without away mode).
    pub absence_alerts: usize,
    pub incidents: usize,
    pub missed: usize,
    /// Minutes from the incident to the email.
    pub delays: Vec<i64>,
    /// Incidents detected later than the threshold in force + grace (+ quiet hours).
    pub late: usize,
    /// False alerts per profile, in `PROFILES` order.
    pub false_by_profile: [usize; 8],
}

impl RuleReport {
    pub fn false_per_household_year(&self) -> f64 {
        self.false_alerts as f64 / (self.households as f64 * self.days as f64 / 365.0)
    }
    pub fn delay(&self, q: f64) -> i64 {
        let mut d = self.delays.clone();
        d.sort_unstable();
        if d.is_empty() {
            return 0;
        }
        d[((d.len() - 1) as f64 * q).round() as usize]
    }
}

/// The whole comparison: every profile × `households_per_profile`, `days` long,
/// `incidents` injected per household.
pub fn compare(
    policy: &Policy,
    days: i64,
    households_per_profile: usize,
    incidents: usize,
    seed: u64,
) -> RuleReport {
    let mut r = RuleReport {
        days,
        ..RuleReport::default()
    };
    let mut rng = Rng::new(seed ^ 0xA5A5);
    for (pi, profile) in PROFILES.iter().enumerate() {
        for k in 0..households_per_profile {
            let h = household(*profile, days, seed + (pi * 1000 + k) as u64);
            r.households += 1;
            let calm = run(&h, policy, None, 5);
            for a in calm.alerts {
                if h.absences
                    .iter()
                    .any(|x| !x.announced && x.from <= a && a <= x.to + Duration::hours(26))
                {
                    r.absence_alerts += 1;
                } else {
                    r.false_alerts += 1;
                    r.false_by_profile[pi] += 1;
                }
            }
            for _ in 0..incidents {
                // After the learning weeks, at home, on any minute.
                let span = (days - 21) * 1440;
                let at = h.start + Duration::days(14) + Duration::minutes(rng.minutes(0, span));
                if h.absences
                    .iter()
                    .any(|x| x.from - Duration::days(2) <= at && at <= x.to)
                {
                    continue;
                }
                r.incidents += 1;
                let o = run(&h, policy, Some(at), 5);
                // The quiet that became the incident began at the last key press;
                // an alert already out since then counts (delay 0).
                let last = h.presses.iter().take_while(|p| **p < at).last().copied();
                let early = o
                    .alerts
                    .iter()
                    .find(|t| last.is_some_and(|l| **t > l) && **t < at)
                    .map(|_| at);
                match early
                    .as_ref()
                    .or_else(|| o.alerts.iter().find(|t| **t >= at))
                {
                    Some(t) => {
                        let delay = (*t - at).num_minutes();
                        r.delays.push(delay);
                        let bound = policy
                            .adaptive
                            .map_or(policy.threshold, |b| b.max.max(policy.threshold))
                            + policy.grace
                            + Duration::minutes(10);
                        if Duration::minutes(delay) > bound {
                            r.late += 1;
                        }
                    }
                    None => r.missed += 1,
                }
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn households_keep_their_rhythm_and_absences() {
        let h = household(Profile::TripWithoutAway, 60, 7);
        assert!(h.presses.len() > 60 * 15, "{}", h.presses.len());
        let a = h.absences[0];
        assert!(!a.announced);
        assert!(!h.presses.iter().any(|p| a.from <= *p && *p < a.to));
        let owl = household(Profile::NightOwl, 30, 1);
        let after_midnight = owl
            .presses
            .iter()
            .filter(|p| {
                let t = p.with_timezone(&engawa_core::TOKYO);
                chrono::Timelike::hour(&t) < 2
            })
            .count();
        assert!(after_midnight > 30, "a night owl is up after midnight");
    }

    #[test]
    fn a_short_comparison_detects_every_incident() {
        let adaptive = Policy::default();
        let r = compare(&adaptive, 60, 1, 3, 11);
        assert!(r.incidents >= 16, "{}", r.incidents);
        assert_eq!(r.missed, 0);
        assert_eq!(r.late, 0);
        let fixed = Policy {
            adaptive: None,
            ..Policy::default()
        };
        let f = compare(&fixed, 60, 1, 3, 11);
        assert_eq!(f.missed, 0);
        assert!(r.delay(0.5) < f.delay(0.5), "adaptive detects sooner");
    }
}
