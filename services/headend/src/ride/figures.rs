//! The shared taxi's figures for a day or a month, as the operator reports them:
//! booking success rate, passengers per vehicle-hour, shared-ride rate and
//! on-time rate.
//!
//! - success: booked ÷ (booked + refused); a cancelled booking still counts as
//!   booked (the request was met).
//! - vehicle-hours: the shifts of the cars on duty that day.
//! - shared: rides that had another party aboard at some moment.
//! - on time: of the rides whose pickup the driver recorded, those picked up by
//!   the end of the promised window and, when an arrival was promised, set down
//!   by then. Earlier is not late. A ride the car could not make counts as
//!   late; a rider who did not come is left out (and counted as unmet).

use std::ops::AddAssign;

use chrono::{DateTime, Utc};
use engawa_ride::service::Stop;

use crate::ride::db::DayRows;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub booked: usize,
    pub cancelled: i64,
    pub refused: usize,
    pub passengers: i64,
    pub vehicle_minutes: f64,
    pub shared: usize,
    /// Rides with a recorded pickup, and of those the ones on time.
    pub recorded: usize,
    pub on_time: usize,
    /// Booked rides the car did not serve (the rider did not come, or the
    /// car could not make it).
    pub unmet: usize,
}

impl AddAssign for Figures {
    fn add_assign(&mut self, o: Figures) {
        self.booked += o.booked;
        self.cancelled += o.cancelled;
        self.refused += o.refused;
        self.passengers += o.passengers;
        self.vehicle_minutes += o.vehicle_minutes;
        self.shared += o.shared;
        self.recorded += o.recorded;
        self.on_time += o.on_time;
        self.unmet += o.unmet;
    }
}

fn share(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| 100.0 * a as f64 / b as f64)
}

impl Figures {
    /// One day: its cars and booked rides, the planned schedule per car, how
    /// many were refused and cancelled; `midnight` is the day's start (for the
    /// records).
    pub fn of_day(
        day: &DayRows,
        schedule: &[Vec<(Stop, f64)>],
        refused: usize,
        cancelled: i64,
        midnight: DateTime<Utc>,
    ) -> Figures {
        let rides = &day.rides;
        let mut f = Figures {
            booked: rides.len() + usize::try_from(cancelled).unwrap_or(0),
            cancelled,
            refused,
            passengers: rides
                .iter()
                .filter(|r| r.unmet.is_none())
                .map(|r| r.people)
                .sum(),
            ..Figures::default()
        };
        f.vehicle_minutes = day
            .vehicles
            .iter()
            .map(|v| (v.vehicle.shift.1 - v.vehicle.shift.0).max(0) as f64)
            .sum();
        for stops in schedule {
            let mut aboard: Vec<i64> = Vec::new();
            let mut shared: Vec<i64> = Vec::new();
            for ((id, drop), _) in stops {
                if *drop {
                    aboard.retain(|a| a != id);
                } else {
                    aboard.push(*id);
                    if aboard.len() > 1 {
                        shared.extend(aboard.iter().copied());
                    }
                }
            }
            shared.sort_unstable();
            shared.dedup();
            f.shared += shared.len();
        }
        let minute = |t: DateTime<Utc>| (t - midnight).num_minutes();
        for r in rides.iter() {
            match r.unmet.as_deref() {
                // The car could not make it: recorded, and late.
                Some("late") => {
                    f.unmet += 1;
                    f.recorded += 1;
                    continue;
                }
                Some(_) => {
                    f.unmet += 1;
                    continue;
                }
                None => {}
            }
            let Some(up) = r.picked_up_at else { continue };
            f.recorded += 1;
            let picked = minute(up) <= r.pickup_to;
            let arrived = match (r.ride.arrive_by, r.dropped_at) {
                (Some(by), Some(down)) => minute(down) <= by,
                // Promised an arrival but not recorded: not proven on time.
                (Some(_), None) => false,
                (None, _) => true,
            };
            if picked && arrived {
                f.on_time += 1;
            }
        }
        f
    }

    pub fn success_pct(&self) -> Option<f64> {
        share(self.booked, self.booked + self.refused)
    }

    /// Rides driven: booked, less cancelled and unmet.
    pub fn served(&self) -> usize {
        self.booked
            .saturating_sub(usize::try_from(self.cancelled).unwrap_or(0))
            .saturating_sub(self.unmet)
    }

    pub fn shared_pct(&self) -> Option<f64> {
        share(self.shared, self.served())
    }

    pub fn on_time_pct(&self) -> Option<f64> {
        share(self.on_time, self.recorded)
    }

    pub fn per_vehicle_hour(&self) -> Option<f64> {
        (self.vehicle_minutes > 0.0).then(|| self.passengers as f64 * 60.0 / self.vehicle_minutes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ride::db::{RideRow, VehicleRow};
    use chrono::TimeZone;
    use engawa_ride::service::{Needs, Ride, Routes, Vehicle};

    fn row(id: i64, window: (i64, i64), arrive_by: Option<i64>) -> RideRow {
        RideRow {
            id,
            household_id: 1,
            from_place: None,
            to_place: Some(1),
            from_name: "家".into(),
            to_name: "病院".into(),
            people: 1,
            pickup_from: window.0,
            pickup_to: window.1,
            arrive_at: window.1 + 20,
            fare_yen: 500,
            state: "booked".into(),
            ride: Ride {
                id,
                from: (0.0, 0.0),
                to: (0.0, 0.0),
                people: 1,
                window,
                arrive_by,
                needs: Needs::default(),
            },
            needs: String::new(),
            rider: "山田".into(),
            phone: String::new(),
            address: String::new(),
            picked_up_at: None,
            dropped_at: None,
            return_of: None,
            unmet: None,
        }
    }

    #[test]
    fn a_day_adds_up_and_lateness_is_counted_only_where_recorded() {
        let midnight = Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).unwrap();
        let at = |m: i64| Some(midnight + chrono::Duration::minutes(m));
        let mut rides = vec![
            row(1, (600, 615), None),
            row(2, (605, 620), None),
            row(3, (700, 715), Some(740)),
            row(4, (800, 815), None),
        ];
        rides[0].picked_up_at = at(615); // the window's last minute: on time
        rides[1].picked_up_at = at(621); // a minute late
        rides[2].picked_up_at = at(700);
        rides[2].dropped_at = at(741); // the promised arrival missed
        // Ride 4: not recorded. Ride 5: the rider did not come (not counted
        // for on time); ride 6: the car could not make it (late).
        rides.push(row(5, (820, 835), None));
        rides[4].unmet = Some("no_show".into());
        rides.push(row(6, (830, 845), None));
        rides[5].unmet = Some("late".into());
        // One car: 1 and 2 share the trip, then 3 alone.
        let schedule = vec![vec![
            ((1, false), 610.0),
            ((2, false), 618.0),
            ((1, true), 640.0),
            ((2, true), 645.0),
            ((3, false), 705.0),
            ((3, true), 730.0),
            ((4, false), 810.0),
            ((4, true), 850.0),
        ]];
        // One car on duty 09:00–13:00.
        let day = DayRows {
            vehicles: vec![VehicleRow {
                id: 1,
                name: "1号車".into(),
                vehicle: Vehicle {
                    seats: 3,
                    wheelchair: false,
                    shift: (540, 780),
                    depot: (0.0, 0.0),
                },
            }],
            rides,
            routes: Routes::default(),
        };
        let f = Figures::of_day(&day, &schedule, 2, 1, midnight);
        assert_eq!((f.booked, f.cancelled, f.refused), (7, 1, 2));
        assert_eq!((f.recorded, f.on_time, f.unmet), (4, 1, 2));
        assert_eq!(f.shared, 2);
        assert_eq!(f.success_pct().map(f64::round), Some(78.0)); // 7 of 9
        assert_eq!(f.shared_pct(), Some(50.0)); // 2 of the 4 served
        assert_eq!(f.on_time_pct(), Some(25.0)); // 1 of 4 (the late car counts)
        assert_eq!(f.per_vehicle_hour(), Some(1.0)); // 4 people carried, 4 hours
        // A month is the sum of its days.
        let mut month = Figures::default();
        month += f.clone();
        month += f;
        assert_eq!(
            (month.booked, month.on_time, month.vehicle_minutes),
            (14, 2, 480.0)
        );
        assert_eq!(Figures::default().on_time_pct(), None, "nothing recorded");
    }
}
