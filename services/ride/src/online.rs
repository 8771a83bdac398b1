//! The online dispatcher and its benchmark: requests arrive one by one while
//! the vehicles drive, and each gets an answer at once — accepted into a route
//! (a promise: it is never dropped later) or refused.
//!
//! A stop counts as driven once its earliest possible start in the current plan
//! is before the present; nothing is ever inserted before it. The benchmark
//! reveals each request `lead` minutes before its first tight window opens.

use std::time::{Duration, Instant};

use crate::alns::Solver;

use crate::instance::Instance;
use crate::route::{self, Scratch};

/// Exact checks per route for an online answer.
const MAX_CHECKS: usize = 60;

/// The live plan of a dispatcher.
pub struct Dispatcher<'a> {
    inst: &'a Instance,
    pub routes: Vec<Vec<usize>>,
    scratch: Scratch,
    solver: Solver<'a>,
}

impl<'a> Dispatcher<'a> {
    pub fn new(inst: &'a Instance) -> Dispatcher<'a> {
        Dispatcher {
            inst,
            routes: vec![Vec::new(); inst.vehicles],
            scratch: Scratch::new(inst),
            solver: Solver::new(inst, 1),
        }
    }

    fn driven(&self, route: &[usize], now: f64) -> usize {
        driven(self.inst, route, now)
    }

    /// Between answers: shorten the plan for `budget`, keeping every promise.
    pub fn improve(&mut self, now: f64, budget: Duration) -> bool {
        let frozen: Vec<usize> = self.routes.iter().map(|r| self.driven(r, now)).collect();
        self.solver.improve(&mut self.routes, &frozen, budget)
    }

    /// Answer a request at `now`: insert it where it costs least, or refuse.
    pub fn request(&mut self, request: usize, now: f64) -> bool {
        let inst = self.inst;
        let mut best: Option<(f64, usize, usize, usize)> = None;
        let mut tried_empty = false;
        for r in 0..self.routes.len() {
            if self.routes[r].is_empty() {
                if tried_empty {
                    continue;
                }
                tried_empty = true;
            }
            let first = self.driven(&self.routes[r], now);
            // Positions in the path with the start depot: the first free one.
            if let Some((d, i, j)) = route::best_insertion_after(
                inst,
                &self.routes[r],
                request,
                &mut self.scratch,
                MAX_CHECKS,
                first,
            ) && best.is_none_or(|b| d < b.0)
            {
                best = Some((d, r, i, j));
            }
        }
        match best {
            Some((_, r, i, j)) => {
                route::insert(&mut self.routes[r], inst, request, i, j);
                true
            }
            None => false,
        }
    }
}

/// How many stops of a route are driven (or under way) at `now`, on the
/// earliest schedule: nothing may be inserted before them.
pub fn driven(inst: &Instance, route: &[usize], now: f64) -> usize {
    let mut t = inst.nodes[inst.start()].early;
    let mut prev = inst.start();
    for (k, &v) in route.iter().enumerate() {
        let mut leave = t + inst.nodes[prev].service;
        if prev == inst.start() {
            // A vehicle leaves the depot only when it must.
            leave = leave.max(inst.nodes[v].early - inst.t(prev, v));
        }
        if leave > now {
            // The vehicle is still at (or before) `prev`; it may be rerouted
            // only after it; while at the depot it is free.
            return if prev == inst.start() { 0 } else { k };
        }
        t = (leave + inst.t(prev, v)).max(inst.nodes[v].early);
        prev = v;
    }
    route.len()
}

/// When a request becomes known: `lead` before its tight window (pickup window
/// for inbound requests, drop-off window less the direct trip for outbound).
pub fn reveal_time(inst: &Instance, request: usize, lead: f64) -> f64 {
    let (p, d) = (&inst.nodes[request], &inst.nodes[inst.drop_of(request)]);
    let start = if p.late - p.early <= d.late - d.early {
        p.early
    } else {
        d.early - inst.t(request, inst.drop_of(request)) - p.service
    };
    (start - lead).max(0.0)
}

#[derive(Debug, Clone)]
pub struct OnlineReport {
    pub requests: usize,
    pub accepted: usize,
    /// Answer times, milliseconds, sorted.
    pub answer_ms: Vec<f64>,
    pub cost: f64,
    pub routes: Vec<Vec<usize>>,
}

impl OnlineReport {
    pub fn percentile(&self, p: f64) -> f64 {
        if self.answer_ms.is_empty() {
            return 0.0;
        }
        let k = ((self.answer_ms.len() as f64 * p).ceil() as usize).clamp(1, self.answer_ms.len());
        self.answer_ms[k - 1]
    }
}

/// Replay an instance online; after each answer the plan is improved for
/// `improve` (the time between bookings a real dispatcher has anyway).
pub fn simulate(inst: &Instance, lead: f64, improve: Duration) -> OnlineReport {
    let mut order: Vec<(f64, usize)> = (1..=inst.n)
        .map(|r| (reveal_time(inst, r, lead), r))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut d = Dispatcher::new(inst);
    let mut accepted = 0;
    let mut answer_ms = Vec::with_capacity(inst.n);
    for (at, r) in order {
        let started = Instant::now();
        if d.request(r, at) {
            accepted += 1;
        }
        answer_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        if !improve.is_zero() {
            d.improve(at, improve);
        }
    }
    answer_ms.sort_by(f64::total_cmp);
    let cost = d.routes.iter().map(|r| route::cost(inst, r)).sum();
    OnlineReport {
        requests: inst.n,
        accepted,
        answer_ms,
        cost,
        routes: d.routes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solution::Solution;
    use crate::verify::verify_partial;

    #[test]
    fn online_answers_keep_every_promise() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/a4-24.txt"),
        )
        .unwrap();
        let inst = Instance::parse("a4-24", &text).unwrap();
        let rep = simulate(&inst, 60.0, Duration::from_millis(5));
        assert!(
            rep.accepted >= inst.n * 3 / 4,
            "{} of {}",
            rep.accepted,
            inst.n
        );
        // Every accepted request is served within its windows in the final plan.
        let served: Vec<usize> = rep
            .routes
            .iter()
            .flatten()
            .copied()
            .filter(|&v| inst.is_pickup(v))
            .collect();
        assert_eq!(served.len(), rep.accepted);
        let v = verify_partial(
            &inst,
            &Solution {
                instance: "a4-24".into(),
                cost: 0.0,
                routes: rep.routes.clone(),
            },
        );
        assert!(v.feasible(), "{:?}", v.violations);
        assert!((v.cost - rep.cost).abs() < 1e-6);
    }

    #[test]
    fn improving_never_moves_what_is_driven_nor_drops_a_request() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/a4-24.txt"),
        )
        .unwrap();
        let inst = Instance::parse("a4-24", &text).unwrap();
        let mut d = Dispatcher::new(&inst);
        for r in 1..=inst.n {
            d.request(r, 0.0);
        }
        let served = |routes: &[Vec<usize>]| {
            let mut v: Vec<usize> = routes.iter().flatten().copied().collect();
            v.sort_unstable();
            v
        };
        let before = d.routes.clone();
        let cost =
            |routes: &[Vec<usize>]| routes.iter().map(|r| route::cost(&inst, r)).sum::<f64>();
        let now = 600.0;
        let frozen: Vec<usize> = before.iter().map(|r| d.driven(r, now)).collect();
        assert!(
            frozen.iter().any(|&f| f > 0),
            "some stops are driven by 10:00"
        );
        d.improve(now, Duration::from_millis(300));
        for (r, f) in frozen.iter().enumerate() {
            assert_eq!(d.routes[r][..*f], before[r][..*f], "route {r}");
        }
        assert_eq!(served(&d.routes), served(&before));
        assert!(cost(&d.routes) <= cost(&before) + 1e-9);
        let v = verify_partial(
            &inst,
            &Solution {
                instance: "a4-24".into(),
                cost: 0.0,
                routes: d.routes.clone(),
            },
        );
        assert!(v.feasible(), "{:?}", v.violations);
    }
}
