//! The day's plan of a real service, as the head-end keeps it: vehicles, the
//! rides booked today (each with the pickup window promised to the rider) and
//! the order each vehicle visits them. A new booking is placed by the online
//! insertion of `online`/`route`; every promise already made is a time window
//! of the instance, so a placement can never break one.
//!
//! Times are minutes of the Tokyo day; places are (latitude, longitude).

use serde::{Deserialize, Serialize};

use crate::instance::{Instance, Node};
use crate::online::driven;
use crate::route::{self, Scratch};
use crate::travel::TravelTime;

/// Minutes at each stop: getting in or out, plus a minute per person.
pub fn stop_minutes(people: i32) -> f64 {
    1.0 + f64::from(people)
}

/// Longest ride: direct time × 1.5 + 10 minutes.
pub fn ride_limit(direct: f64) -> f64 {
    direct * 1.5 + 10.0
}

#[derive(Debug, Clone, PartialEq)]
pub struct Vehicle {
    pub seats: i32,
    /// Has a wheelchair place (a rider in a wheelchair goes only in these).
    pub wheelchair: bool,
    /// Minutes of the day.
    pub shift: (i64, i64),
    pub depot: (f64, f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ride {
    pub id: i64,
    pub from: (f64, f64),
    pub to: (f64, f64),
    pub people: i32,
    /// The promised pickup window.
    pub window: (i64, i64),
    /// The promised arrival, if any.
    pub arrive_by: Option<i64>,
    pub needs: Needs,
}

/// A rider's mobility needs, from the household's profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Needs {
    pub wheelchair: bool,
    /// Extra minutes at each stop (a cane, help to the door).
    pub extra_minutes: i64,
}

/// A stop in a vehicle's order: (ride id, drop-off?).
pub type Stop = (i64, bool);

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Routes(pub Vec<Vec<Stop>>);

#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub routes: Routes,
    pub vehicle: usize,
    /// Earliest estimates on the new plan (minutes of the day).
    pub pickup_at: f64,
    pub arrive_at: f64,
}

pub struct Day<'a> {
    pub vehicles: &'a [Vehicle],
    pub rides: &'a [Ride],
    pub routes: &'a Routes,
}

/// The day as dial-a-ride instances: the same requests seen from each kind of
/// vehicle (its depot, shift and seats), which kind each vehicle is, and the
/// routes as node ids.
struct Model {
    kinds: Vec<Instance>,
    /// When the last car's shift ends (a drop-off without an arrival promise
    /// may be any time until then).
    close: f64,
    kind: Vec<usize>,
    routes: Vec<Vec<usize>>,
}

impl Model {
    fn of(&self, v: usize) -> &Instance {
        &self.kinds[self.kind[v]]
    }

    /// Driving minutes of these routes, each car from its own depot.
    fn driving(&self, routes: &[Vec<usize>]) -> f64 {
        routes
            .iter()
            .enumerate()
            .map(|(v, r)| route::cost(self.of(v), r))
            .sum()
    }
}

impl Day<'_> {
    /// The plan (with `extra` as the last request) as one instance per kind of
    /// vehicle. Requests' windows are the promises; drop-offs without an
    /// arrival promise may be any time the fleet runs.
    fn model(&self, extra: Option<&Ride>, travel: &dyn TravelTime) -> Model {
        let all: Vec<&Ride> = self.rides.iter().chain(extra).collect();
        let n = all.len();
        let first = self.vehicles.first();
        let depot = first.map_or((0.0, 0.0), |v| v.depot);
        let open = self.vehicles.iter().map(|v| v.shift.0).min().unwrap_or(0) as f64;
        let close = self.vehicles.iter().map(|v| v.shift.1).max().unwrap_or(0) as f64;
        let depot_node = Node {
            x: depot.0,
            y: depot.1,
            service: 0.0,
            load: 0,
            early: open,
            late: close,
        };
        let mut nodes = vec![depot_node];
        for r in &all {
            nodes.push(Node {
                x: r.from.0,
                y: r.from.1,
                service: stop_minutes(r.people) + r.needs.extra_minutes as f64,
                load: r.people,
                early: r.window.0 as f64,
                late: r.window.1 as f64,
            });
        }
        for r in &all {
            nodes.push(Node {
                x: r.to.0,
                y: r.to.1,
                service: stop_minutes(r.people) + r.needs.extra_minutes as f64,
                load: -r.people,
                early: open,
                late: r.arrive_by.map_or(close, |a| a as f64),
            });
        }
        nodes.push(depot_node);
        let mut base = Instance::from_nodes(
            "day",
            self.vehicles.len(),
            n,
            close - open,
            first.map_or(0, |v| v.seats),
            f64::INFINITY,
            nodes,
            travel,
        );
        base.ride_limits = std::iter::once(0.0)
            .chain((1..=n).map(|i| ride_limit(base.t(i, n + i))))
            .collect();
        let mut seen: Vec<&Vehicle> = Vec::new();
        let mut kinds = Vec::new();
        let mut kind = Vec::with_capacity(self.vehicles.len());
        for v in self.vehicles {
            let same =
                |o: &&Vehicle| o.seats == v.seats && o.shift == v.shift && o.depot == v.depot;
            match seen.iter().position(same) {
                Some(k) => kind.push(k),
                None => {
                    kind.push(kinds.len());
                    seen.push(v);
                    let shift = (v.shift.0 as f64, v.shift.1 as f64);
                    kinds.push(base.for_vehicle(v.depot, shift, v.seats, travel));
                }
            }
        }
        let index = |id: i64| all.iter().position(|r| r.id == id);
        let mut routes: Vec<Vec<usize>> = self
            .routes
            .0
            .iter()
            .map(|r| {
                r.iter()
                    .filter_map(|&(id, drop)| {
                        index(id).map(|i| if drop { n + i + 1 } else { i + 1 })
                    })
                    .collect()
            })
            .collect();
        routes.resize(self.vehicles.len(), Vec::new());
        Model {
            kinds,
            close,
            kind,
            routes,
        }
    }

    /// Where `ride` fits at `now` without moving anything already promised or
    /// driven: the cheapest insertion over all vehicles, each with its own
    /// depot, shift and seats.
    pub fn place(&self, ride: &Ride, now: i64, travel: &dyn TravelTime) -> Option<Placement> {
        self.placer(ride, travel)?
            .place(ride.window, ride.arrive_by, now)
    }

    /// For a quote that tries several windows for one request: the travel
    /// times are computed once (`None` without vehicles).
    pub fn placer<'p>(&'p self, ride: &'p Ride, travel: &dyn TravelTime) -> Option<Placer<'p>> {
        if self.vehicles.is_empty() {
            return None;
        }
        Some(Placer {
            model: self.model(Some(ride), travel),
            vehicles: self.vehicles,
            ids: self.rides.iter().chain(Some(ride)).map(|r| r.id).collect(),
            wheelchair: ride.needs.wheelchair,
        })
    }

    /// Improve the plan at `now`: a few rides not yet picked up (one and its
    /// nearest neighbours) are taken out and put back where they cost least,
    /// in any car that suits them, and the change is kept only when the day's
    /// driving time drops. Every promise is a constraint of the instance and
    /// nothing goes before what is driven, so no promise can break. Returns
    /// the better routes with the driving minutes before and after, or `None`.
    pub fn improve(
        &self,
        now: i64,
        travel: &dyn TravelTime,
        rounds: usize,
        seed: u64,
    ) -> Option<(Routes, f64, f64)> {
        if self.vehicles.is_empty() || self.rides.is_empty() {
            return None;
        }
        let model = self.model(None, travel);
        let inst0 = &model.kinds[0];
        let n = inst0.n;
        let mut routes = model.routes.clone();
        let frozen: Vec<usize> = routes
            .iter()
            .enumerate()
            .map(|(v, r)| driven(model.of(v), r, now as f64))
            .collect();
        // Requests whose pickup is still ahead of its car's driven stops.
        let movable: Vec<usize> = routes
            .iter()
            .zip(&frozen)
            .flat_map(|(r, &f)| r[f.min(r.len())..].iter().copied())
            .filter(|&node| node <= n)
            .collect();
        if movable.is_empty() {
            return None;
        }
        let before = model.driving(&routes);
        let mut best = before;
        let mut s = Scratch::new(inst0);
        let mut rng = crate::rng::Rng::new(seed);
        for _ in 0..rounds {
            let k = rng.between(1, movable.len().min(3));
            let seed_req = movable[rng.below(movable.len())];
            let mut chosen: Vec<usize> = movable.clone();
            chosen.sort_by(|&a, &b| inst0.t(seed_req, a).total_cmp(&inst0.t(seed_req, b)));
            chosen.truncate(k);
            rng.shuffle(&mut chosen);
            let mut trial = routes.clone();
            for &req in &chosen {
                for (v, r) in trial.iter_mut().enumerate() {
                    route::remove(r, model.of(v), req);
                }
            }
            let mut placed = true;
            for &req in &chosen {
                let wheelchair = self.rides[req - 1].needs.wheelchair;
                let mut pick: Option<(f64, usize, usize, usize)> = None;
                for (v, r) in trial.iter().enumerate() {
                    if wheelchair && !self.vehicles[v].wheelchair {
                        continue;
                    }
                    let inst = model.of(v);
                    if let Some((d, i, j)) =
                        route::best_insertion_after(inst, r, req, &mut s, 200, frozen[v])
                        && pick.is_none_or(|b| d < b.0)
                    {
                        pick = Some((d, v, i, j));
                    }
                }
                match pick {
                    Some((_, v, i, j)) => route::insert(&mut trial[v], model.of(v), req, i, j),
                    None => {
                        placed = false;
                        break;
                    }
                }
            }
            if placed {
                let cost = model.driving(&trial);
                if cost < best - 1e-6 {
                    best = cost;
                    routes = trial;
                }
            }
        }
        if best >= before - 1e-6 {
            return None;
        }
        let ids: Vec<i64> = self.rides.iter().map(|r| r.id).collect();
        Some((stops_of(inst0, &routes, &ids), before, best))
    }

    /// Driving minutes of the whole plan (each car from its depot and back).
    pub fn driving(&self, travel: &dyn TravelTime) -> f64 {
        if self.vehicles.is_empty() {
            return 0.0;
        }
        let model = self.model(None, travel);
        model.driving(&model.routes)
    }

    /// Each vehicle's stops with their estimated start of service.
    pub fn schedule(&self, travel: &dyn TravelTime) -> Vec<Vec<(Stop, f64)>> {
        let model = self.model(None, travel);
        model
            .routes
            .iter()
            .zip(&self.routes.0)
            .enumerate()
            .map(|(v, (r, stops))| {
                route::earliest(model.of(v), r)
                    .into_iter()
                    .zip(stops.iter().copied())
                    .map(|(t, s)| (s, t))
                    .collect()
            })
            .collect()
    }

    /// Is the whole plan still feasible, each route for its own vehicle?
    /// (After loading it, before trusting it.)
    pub fn feasible(&self, travel: &dyn TravelTime) -> bool {
        if self.vehicles.is_empty() {
            return self.routes.0.iter().all(Vec::is_empty);
        }
        let model = self.model(None, travel);
        let mut s = Scratch::new(&model.kinds[0]);
        model
            .routes
            .iter()
            .enumerate()
            .all(|(v, r)| route::feasible(model.of(v), r, &mut s))
    }
}

/// One request placed against the day with different promises (pickup
/// window, arrival), the day's travel times computed once.
pub struct Placer<'p> {
    model: Model,
    vehicles: &'p [Vehicle],
    ids: Vec<i64>,
    wheelchair: bool,
}

impl Placer<'_> {
    /// The cheapest insertion with this pickup window (and arrival promise).
    pub fn place(
        &mut self,
        window: (i64, i64),
        arrive_by: Option<i64>,
        now: i64,
    ) -> Option<Placement> {
        let model = &mut self.model;
        let new = model.kinds[0].n;
        let close = model.close;
        for inst in &mut model.kinds {
            inst.nodes[new].early = window.0 as f64;
            inst.nodes[new].late = window.1 as f64;
            let drop = inst.drop_of(new);
            inst.nodes[drop].late = arrive_by.map_or(close, |a| a as f64);
        }
        let model = &self.model;
        let mut s = Scratch::new(&model.kinds[0]);
        let mut best: Option<(f64, usize, usize, usize)> = None;
        // An empty route is the same for every vehicle of a kind.
        let mut tried_empty = vec![false; model.kinds.len()];
        for (v, r) in model.routes.iter().enumerate() {
            if self.wheelchair && !self.vehicles[v].wheelchair {
                continue;
            }
            let k = model.kind[v];
            if r.is_empty() {
                if tried_empty[k] {
                    continue;
                }
                tried_empty[k] = true;
            }
            let inst = model.of(v);
            let first = driven(inst, r, now as f64);
            if let Some((d, i, j)) = route::best_insertion_after(inst, r, new, &mut s, 200, first)
                && best.is_none_or(|b| d < b.0)
            {
                best = Some((d, v, i, j));
            }
        }
        let (_, v, i, j) = best?;
        let inst = model.of(v);
        let mut routes = model.routes.clone();
        route::insert(&mut routes[v], inst, new, i, j);
        let times = route::earliest(inst, &routes[v]);
        let at = |node: usize| {
            routes[v]
                .iter()
                .position(|&x| x == node)
                .map_or(0.0, |k| times[k])
        };
        let (pickup_at, arrive_at) = (at(new), at(inst.drop_of(new)));
        Some(Placement {
            routes: stops_of(inst, &routes, &self.ids),
            vehicle: v,
            pickup_at,
            arrive_at,
        })
    }
}

/// Node ids back to (ride id, drop-off?) stops.
fn stops_of(inst: &Instance, routes: &[Vec<usize>], ids: &[i64]) -> Routes {
    Routes(
        routes
            .iter()
            .map(|r| {
                r.iter()
                    .map(|&node| (ids[inst.request_of(node) - 1], node > inst.n))
                    .collect()
            })
            .collect(),
    )
}

impl Routes {
    /// Take a ride out (a cancellation). Removing stops never makes a route
    /// infeasible when travel times obey the triangle inequality.
    pub fn without(&self, id: i64) -> Routes {
        Routes(
            self.0
                .iter()
                .map(|r| r.iter().copied().filter(|s| s.0 != id).collect())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::travel::Haversine;

    const DEPOT: (f64, f64) = (35.515, 137.821);
    const HOSPITAL: (f64, f64) = (35.530, 137.840);

    fn vehicles() -> Vec<Vehicle> {
        vec![Vehicle {
            seats: 3,
            wheelchair: false,
            shift: (8 * 60, 17 * 60),
            depot: DEPOT,
        }]
    }

    #[test]
    fn bookings_fill_a_vehicle_and_each_promise_holds() {
        let v = vehicles();
        let mut rides: Vec<Ride> = Vec::new();
        let mut routes = Routes::default();
        let travel = Haversine::default();
        let mut accepted = 0;
        // Twelve households a little apart, all wanting 10:00–10:15.
        for k in 0..12 {
            let home = (35.50 + 0.004 * f64::from(k), 137.80 + 0.003 * f64::from(k));
            let ride = Ride {
                id: k.into(),
                from: home,
                to: HOSPITAL,
                people: 1,
                window: (600, 615),
                arrive_by: None,
                needs: Needs::default(),
            };
            let day = Day {
                vehicles: &v,
                rides: &rides,
                routes: &routes,
            };
            if let Some(p) = day.place(&ride, 480, &travel) {
                assert!(p.pickup_at >= 600.0 && p.pickup_at <= 615.0, "{p:?}");
                assert!(p.arrive_at > p.pickup_at);
                routes = p.routes;
                rides.push(ride);
                accepted += 1;
            }
        }
        assert!(
            (2..12).contains(&accepted),
            "three seats, one car: {accepted}"
        );
        let day = Day {
            vehicles: &v,
            rides: &rides,
            routes: &routes,
        };
        assert!(day.feasible(&travel));
        // A cancellation frees a seat for the next one.
        let gone = rides.remove(0);
        let routes = routes.without(gone.id);
        let day = Day {
            vehicles: &v,
            rides: &rides,
            routes: &routes,
        };
        assert!(day.feasible(&travel));
        let again = Ride { id: 99, ..gone };
        assert!(day.place(&again, 480, &travel).is_some());
    }

    #[test]
    fn nothing_is_placed_before_what_is_already_driven_or_outside_the_shift() {
        let v = vehicles();
        let travel = Haversine::default();
        let routes = Routes::default();
        let day = Day {
            vehicles: &v,
            rides: &[],
            routes: &routes,
        };
        let late = Ride {
            id: 1,
            from: DEPOT,
            to: HOSPITAL,
            people: 1,
            window: (17 * 60 + 30, 17 * 60 + 45),
            arrive_by: None,
            needs: Needs::default(),
        };
        assert!(day.place(&late, 480, &travel).is_none(), "after the shift");
        let crowd = Ride {
            people: 4,
            window: (600, 615),
            ..late
        };
        assert!(
            day.place(&crowd, 480, &travel).is_none(),
            "more than the seats"
        );
    }

    #[test]
    fn improving_the_plan_keeps_every_promise_and_never_moves_what_is_driven() {
        let travel = Haversine::default();
        let v = vec![vehicles()[0].clone(), vehicles()[0].clone()];
        let mut rng = crate::rng::Rng::new(7);
        let mut rides: Vec<Ride> = Vec::new();
        let mut routes = Routes::default();
        // Bookings arrive one by one and are inserted where they fit then.
        for id in 0..16 {
            let home = (35.48 + 0.06 * rng.f64(), 137.78 + 0.07 * rng.f64());
            let start = 540 + 15 * rng.below(16) as i64;
            let ride = Ride {
                id,
                from: home,
                to: HOSPITAL,
                people: 1,
                window: (start, start + 15),
                arrive_by: None,
                needs: Needs::default(),
            };
            let day = Day {
                vehicles: &v,
                rides: &rides,
                routes: &routes,
            };
            if let Some(p) = day.place(&ride, 480, &travel) {
                routes = p.routes;
                rides.push(ride);
            }
        }
        assert!(rides.len() >= 12, "{}", rides.len());
        let day = Day {
            vehicles: &v,
            rides: &rides,
            routes: &routes,
        };
        let (better, before, after) = day.improve(480, &travel, 400, 1).expect("a better plan");
        assert!(after < before, "{before} → {after}");
        let mut stops: Vec<Stop> = better.0.concat();
        let mut was: Vec<Stop> = routes.0.concat();
        stops.sort_unstable();
        was.sort_unstable();
        assert_eq!(stops, was, "every ride still served, once");
        let improved = Day {
            routes: &better,
            ..day
        };
        assert!(
            improved.feasible(&travel),
            "every window and ride limit holds"
        );
        // Late in the day everything is driven: nothing may move.
        assert_eq!(day.improve(17 * 60, &travel, 400, 1), None);
        // At noon the stops already driven stay first, in their order.
        if let Some((noon, _, _)) = day.improve(12 * 60, &travel, 400, 1) {
            let model = day.model(None, &travel);
            for (k, r) in model.routes.iter().enumerate() {
                let kept = driven(model.of(k), r, 720.0);
                assert_eq!(noon.0[k][..kept], routes.0[k][..kept]);
            }
        }
    }

    #[test]
    fn a_placer_tries_windows_exactly_as_placing_each_one_afresh() {
        let travel = Haversine::default();
        let v = vec![vehicles()[0].clone(), {
            let mut w = vehicles()[0].clone();
            w.seats = 5;
            w.depot = HOSPITAL;
            w.shift = (9 * 60, 15 * 60);
            w
        }];
        let mut rides = Vec::new();
        let mut routes = Routes::default();
        for k in 0..10 {
            let ride = Ride {
                id: k,
                from: (35.50 + 0.003 * k as f64, 137.80),
                to: HOSPITAL,
                people: 1 + (k % 2) as i32,
                window: (540 + 15 * k, 555 + 15 * k),
                arrive_by: (k % 3 == 0).then_some(600 + 15 * k),
                needs: Needs::default(),
            };
            let day = Day {
                vehicles: &v,
                rides: &rides,
                routes: &routes,
            };
            if let Some(p) = day.place(&ride, 480, &travel) {
                routes = p.routes;
                rides.push(ride);
            }
        }
        let day = Day {
            vehicles: &v,
            rides: &rides,
            routes: &routes,
        };
        let new = Ride {
            id: 99,
            from: (35.52, 137.83),
            to: DEPOT,
            people: 2,
            window: (0, 0),
            arrive_by: None,
            needs: Needs::default(),
        };
        let mut placer = day.placer(&new, &travel).unwrap();
        for start in (540..900).step_by(15) {
            for arrive_by in [None, Some(start + 40)] {
                let fresh = Ride {
                    window: (start, start + 15),
                    arrive_by,
                    ..new.clone()
                };
                assert_eq!(
                    placer.place((start, start + 15), arrive_by, 480),
                    day.place(&fresh, 480, &travel),
                    "{start} {arrive_by:?}"
                );
            }
        }
    }

    #[test]
    fn each_car_of_a_mixed_fleet_keeps_its_own_seats_shift_and_depot() {
        let travel = Haversine::default();
        let far = (35.60, 137.90);
        // A morning car at the depot with 3 seats and an afternoon van far away
        // with 6.
        let v = vec![
            Vehicle {
                seats: 3,
                wheelchair: false,
                shift: (8 * 60, 12 * 60),
                depot: DEPOT,
            },
            Vehicle {
                seats: 6,
                wheelchair: false,
                shift: (13 * 60, 17 * 60),
                depot: far,
            },
        ];
        let routes = Routes::default();
        let day = Day {
            vehicles: &v,
            rides: &[],
            routes: &routes,
        };
        let ride = |people, window: (i64, i64)| Ride {
            id: 1,
            from: DEPOT,
            to: HOSPITAL,
            people,
            window,
            arrive_by: None,
            needs: Needs::default(),
        };
        // Five people only fit the van, which runs in the afternoon.
        assert!(day.place(&ride(5, (600, 615)), 480, &travel).is_none());
        let p = day.place(&ride(5, (14 * 60, 14 * 60 + 15)), 480, &travel);
        assert_eq!(p.map(|p| p.vehicle), Some(1));
        // In the morning only the car runs.
        let p = day.place(&ride(2, (600, 615)), 480, &travel).unwrap();
        assert_eq!(p.vehicle, 0);
        // The van starts its day at its own depot: it cannot be at the
        // pickup at 13:00 sharp, the ~15 km drive takes longer.
        let early = day.place(&ride(5, (13 * 60, 13 * 60 + 5)), 480, &travel);
        assert!(early.is_none(), "{early:?}");
        let plan = Day {
            vehicles: &v,
            rides: &[ride(5, (14 * 60, 14 * 60 + 15))],
            routes: &day
                .place(&ride(5, (14 * 60, 14 * 60 + 15)), 480, &travel)
                .unwrap()
                .routes,
        };
        assert!(plan.feasible(&travel));
        // The same stops in the morning car break its seats and its shift.
        let swapped = Routes(vec![plan.routes.0[1].clone(), Vec::new()]);
        let wrong = Day {
            routes: &swapped,
            ..plan
        };
        assert!(!wrong.feasible(&travel));
    }

    #[test]
    fn a_wheelchair_goes_only_in_a_car_with_a_place_and_help_takes_longer() {
        let travel = Haversine::default();
        let mut v = vehicles();
        let routes = Routes::default();
        let ride = Ride {
            id: 1,
            from: DEPOT,
            to: HOSPITAL,
            people: 1,
            window: (600, 615),
            arrive_by: None,
            needs: Needs {
                wheelchair: true,
                extra_minutes: 0,
            },
        };
        let day = Day {
            vehicles: &v,
            rides: &[],
            routes: &routes,
        };
        assert!(
            day.place(&ride, 480, &travel).is_none(),
            "no wheelchair place"
        );
        v.push(Vehicle {
            seats: 2,
            wheelchair: true,
            shift: (8 * 60, 17 * 60),
            depot: DEPOT,
        });
        let day = Day {
            vehicles: &v,
            rides: &[],
            routes: &routes,
        };
        let p = day.place(&ride, 480, &travel).expect("the second car");
        assert_eq!(p.vehicle, 1);
        // Ten minutes of help at each stop: the arrival moves by ten.
        let slow = Ride {
            needs: Needs {
                wheelchair: false,
                extra_minutes: 10,
            },
            ..ride.clone()
        };
        let quick = Ride {
            needs: Needs::default(),
            ..ride
        };
        let (a, b) = (
            day.place(&quick, 480, &travel).unwrap(),
            day.place(&slow, 480, &travel).unwrap(),
        );
        assert!(
            (b.arrive_at - a.arrive_at - 10.0).abs() < 1e-6,
            "{} {}",
            a.arrive_at,
            b.arrive_at
        );
    }
}
