//! A day of the real service, simulated: households around a town book rides
//! one after another (each some time before the pickup it wants), every quote
//! tries 15-minute pickup windows from the wanted one until three fit, the
//! first offer is booked, and the plan is improved in the background. Measures
//! what the head-end does per request: how many are served and how long a
//! quote takes. (`engawa-headend dispatch day`.)

use std::time::{Duration, Instant};

use crate::rng::Rng;
use crate::service::{Day, Needs, Ride, Routes, Vehicle};
use crate::travel::TravelTime;

#[derive(Debug, Clone)]
pub struct DayOptions {
    pub requests: usize,
    pub vehicles: usize,
    pub seats: i32,
    pub seed: u64,
    /// Improvement rounds after each booking (0: none).
    pub improve_rounds: usize,
}

impl Default for DayOptions {
    fn default() -> Self {
        DayOptions {
            requests: 80,
            vehicles: 4,
            seats: 3,
            seed: 1,
            improve_rounds: 100,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DayReport {
    pub requests: usize,
    /// Got at least one offer (and booked the first).
    pub booked: usize,
    /// Booked in the window asked for.
    pub as_asked: usize,
    /// Time to answer one quote (up to three offers).
    pub quote_times: Vec<Duration>,
    pub improve_times: Vec<Duration>,
    /// Driving minutes of the final plan, and of the same bookings without
    /// background improvement.
    pub driving: f64,
    pub driving_without_improvement: f64,
    pub booked_without_improvement: usize,
}

impl DayReport {
    pub fn percentile(times: &[Duration], p: f64) -> Duration {
        let mut t = times.to_vec();
        t.sort_unstable();
        if t.is_empty() {
            return Duration::ZERO;
        }
        let k = ((t.len() as f64 - 1.0) * p).round() as usize;
        t[k.min(t.len() - 1)]
    }
}

const CENTRE: (f64, f64) = (35.6110, 137.9350);
const WINDOW: i64 = 15;

struct Request {
    booked_at: i64,
    from: (f64, f64),
    to: (f64, f64),
    people: i32,
    wanted: i64,
}

fn requests(o: &DayOptions, rng: &mut Rng) -> Vec<Request> {
    // A few places in town (hospital, supermarket, town hall, station, spa)
    // and homes up to ~6 km out.
    let places: Vec<(f64, f64)> = (0..5)
        .map(|_| {
            (
                CENTRE.0 + 0.02 * (rng.f64() - 0.5),
                CENTRE.1 + 0.02 * (rng.f64() - 0.5),
            )
        })
        .collect();
    let mut out: Vec<Request> = (0..o.requests)
        .map(|_| {
            let home = (
                CENTRE.0 + 0.11 * (rng.f64() - 0.5),
                CENTRE.1 + 0.13 * (rng.f64() - 0.5),
            );
            let place = places[rng.below(places.len())];
            // Mornings into town, afternoons home.
            let wanted = 9 * 60 + WINDOW * rng.below(24) as i64;
            let (from, to) = if wanted < 12 * 60 {
                (home, place)
            } else {
                (place, home)
            };
            let people = if rng.below(5) == 0 { 2 } else { 1 };
            let lead = 30 + rng.below(180) as i64;
            Request {
                booked_at: (wanted - lead).max(7 * 60),
                from,
                to,
                people,
                wanted,
            }
        })
        .collect();
    out.sort_by_key(|r| r.booked_at);
    out
}

/// Run the day twice (with and without background improvement) on the same
/// requests.
pub fn simulate(o: &DayOptions, travel: &dyn TravelTime) -> DayReport {
    let (mut report, routes, rides, vehicles) = run(o, travel, o.improve_rounds);
    let (plain, plain_routes, plain_rides, _) = run(o, travel, 0);
    report.booked_without_improvement = plain.booked;
    let cost = |routes: &Routes, rides: &[Ride]| -> f64 {
        Day {
            vehicles: &vehicles,
            rides,
            routes,
        }
        .driving(travel)
    };
    report.driving = cost(&routes, &rides);
    report.driving_without_improvement = cost(&plain_routes, &plain_rides);
    report
}

fn run(
    o: &DayOptions,
    travel: &dyn TravelTime,
    improve_rounds: usize,
) -> (DayReport, Routes, Vec<Ride>, Vec<Vehicle>) {
    let mut rng = Rng::new(o.seed);
    let vehicles: Vec<Vehicle> = (0..o.vehicles)
        .map(|k| Vehicle {
            seats: o.seats,
            wheelchair: k == 0,
            shift: (8 * 60, 17 * 60),
            depot: CENTRE,
        })
        .collect();
    let reqs = requests(o, &mut rng);
    let mut rides: Vec<Ride> = Vec::new();
    let mut routes = Routes::default();
    let mut report = DayReport {
        requests: reqs.len(),
        booked: 0,
        as_asked: 0,
        quote_times: Vec::new(),
        improve_times: Vec::new(),
        driving: 0.0,
        driving_without_improvement: 0.0,
        booked_without_improvement: 0,
    };
    for (id, r) in reqs.iter().enumerate() {
        let now = r.booked_at;
        let first = ((now + 15 + 4) / 5 * 5).max(r.wanted);
        let t = Instant::now();
        let day = Day {
            vehicles: &vehicles,
            rides: &rides,
            routes: &routes,
        };
        let mut offers = Vec::new();
        let mut start = first;
        let ride = Ride {
            id: id as i64,
            from: r.from,
            to: r.to,
            people: r.people,
            window: (first, first + WINDOW),
            arrive_by: None,
            needs: Needs::default(),
        };
        if let Some(mut placer) = day.placer(&ride, travel) {
            while offers.len() < 3 && start + WINDOW <= 17 * 60 {
                if let Some(p) = placer.place((start, start + WINDOW), None, now) {
                    let ride = Ride {
                        window: (start, start + WINDOW),
                        ..ride.clone()
                    };
                    offers.push((ride, p));
                }
                start += WINDOW;
            }
        }
        report.quote_times.push(t.elapsed());
        if let Some((ride, p)) = offers.into_iter().next() {
            report.booked += 1;
            if ride.window.0 == r.wanted {
                report.as_asked += 1;
            }
            routes = p.routes;
            rides.push(ride);
        }
        if improve_rounds > 0 {
            let t = Instant::now();
            let day = Day {
                vehicles: &vehicles,
                rides: &rides,
                routes: &routes,
            };
            if let Some((better, _, _)) = day.improve(now, travel, improve_rounds, id as u64) {
                routes = better;
            }
            report.improve_times.push(t.elapsed());
        }
    }
    (report, routes, rides, vehicles)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::travel::Haversine;

    #[test]
    fn a_simulated_day_serves_most_requests_in_a_feasible_plan() {
        let o = DayOptions {
            requests: 40,
            vehicles: 3,
            improve_rounds: 30,
            ..DayOptions::default()
        };
        let travel = Haversine::default();
        let (report, routes, rides, vehicles) = run(&o, &travel, o.improve_rounds);
        assert_eq!(report.requests, 40);
        assert!(report.booked >= 30, "{report:?}");
        assert_eq!(rides.len(), report.booked);
        let day = Day {
            vehicles: &vehicles,
            rides: &rides,
            routes: &routes,
        };
        assert!(day.feasible(&travel));
    }
}
