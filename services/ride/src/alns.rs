//! Adaptive large-neighbourhood search for the static dial-a-ride problem.
//!
//! A solution is a route per vehicle plus a bank of requests not (yet) served;
//! every unserved request costs a large penalty, so the search first makes the
//! plan complete, then short. Each iteration removes some requests (random,
//! worst, related, or a whole route) and puts them back (greedy or regret-2,
//! with or without noise); simulated annealing on the time budget decides
//! whether to keep the result, and operators that lead to good solutions are
//! chosen more often (Ropke & Pisinger 2006, applied to the DARP as in Parragh
//! et al.). Every candidate route passes the exact schedule check of `route`.

use std::time::{Duration, Instant};

use crate::instance::Instance;
use crate::rng::Rng;
use crate::route::{self, Scratch};
use crate::solution::Solution;

/// Cheapest insertion per (bank request, route): (added cost, pickup position,
/// drop-off position).
type Prices = Vec<Vec<Option<(f64, usize, usize)>>>;

/// Cost of leaving a request unserved: larger than any detour.
const PENALTY: f64 = 10_000.0;
/// Exact checks spent per (request, route) insertion search.
const MAX_CHECKS: usize = 40;

#[derive(Debug, Clone)]
pub struct Params {
    pub time_limit: Duration,
    pub seed: u64,
}

#[derive(Debug, Clone)]
struct Plan {
    routes: Vec<Vec<usize>>,
    costs: Vec<f64>,
    bank: Vec<usize>,
    /// Stops at the start of each route already driven (nothing goes before
    /// them); all zero for a static solve.
    frozen: Vec<usize>,
    /// Requests that may be moved (index = request).
    movable: Vec<bool>,
}

impl Plan {
    fn objective(&self) -> f64 {
        self.costs.iter().sum::<f64>() + PENALTY * self.bank.len() as f64
    }

    fn route_of(&self, inst: &Instance) -> Vec<usize> {
        let mut of = vec![usize::MAX; inst.n + 1];
        for (r, route) in self.routes.iter().enumerate() {
            for &v in route {
                if inst.is_pickup(v) {
                    of[v] = r;
                }
            }
        }
        of
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Destroy {
    Random,
    Worst,
    Related,
    Route,
}
const DESTROYS: [Destroy; 4] = [
    Destroy::Random,
    Destroy::Worst,
    Destroy::Related,
    Destroy::Route,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repair {
    Greedy,
    Regret,
}

#[derive(Debug, Clone, Copy)]
struct RepairOp {
    kind: Repair,
    noise: bool,
}
const REPAIRS: [RepairOp; 4] = [
    RepairOp {
        kind: Repair::Greedy,
        noise: false,
    },
    RepairOp {
        kind: Repair::Greedy,
        noise: true,
    },
    RepairOp {
        kind: Repair::Regret,
        noise: false,
    },
    RepairOp {
        kind: Repair::Regret,
        noise: true,
    },
];

/// Adaptive operator weights (scores per segment, reaction factor).
struct Weights {
    w: Vec<f64>,
    score: Vec<f64>,
    used: Vec<u32>,
}

impl Weights {
    fn new(n: usize) -> Weights {
        Weights {
            w: vec![1.0; n],
            score: vec![0.0; n],
            used: vec![0; n],
        }
    }

    fn pick(&self, rng: &mut Rng) -> usize {
        let total: f64 = self.w.iter().sum();
        let mut x = rng.f64() * total;
        for (i, w) in self.w.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        self.w.len() - 1
    }

    fn reward(&mut self, i: usize, s: f64) {
        self.score[i] += s;
        self.used[i] += 1;
    }

    fn update(&mut self) {
        for i in 0..self.w.len() {
            if self.used[i] > 0 {
                let avg = self.score[i] / f64::from(self.used[i]);
                self.w[i] = (0.8 * self.w[i] + 0.2 * avg).max(0.05);
            }
            self.score[i] = 0.0;
            self.used[i] = 0;
        }
    }
}

pub struct Solver<'a> {
    inst: &'a Instance,
    rng: Rng,
    scratch: Scratch,
    /// Largest travel time: the scale of the insertion noise.
    max_t: f64,
    /// Requests ordered by relatedness to each request (nearest first).
    related: Vec<Vec<usize>>,
}

impl<'a> Solver<'a> {
    pub fn new(inst: &'a Instance, seed: u64) -> Solver<'a> {
        let n = inst.n;
        let mut max_t: f64 = 0.0;
        for a in 0..inst.nodes.len() {
            for b in 0..inst.nodes.len() {
                max_t = max_t.max(inst.t(a, b));
            }
        }
        let relatedness = |a: usize, b: usize| {
            let (pa, pb, da, db) = (a, b, inst.drop_of(a), inst.drop_of(b));
            let (na, nb, nda, ndb) = (
                &inst.nodes[pa],
                &inst.nodes[pb],
                &inst.nodes[da],
                &inst.nodes[db],
            );
            inst.t(pa, pb)
                + inst.t(da, db)
                + 0.5 * ((na.early - nb.early).abs() + (na.late - nb.late).abs())
                + 0.5 * ((nda.early - ndb.early).abs() + (nda.late - ndb.late).abs())
        };
        let related = (0..=n)
            .map(|a| {
                if a == 0 {
                    return Vec::new();
                }
                let mut others: Vec<usize> = (1..=n).filter(|&b| b != a).collect();
                others.sort_by(|&x, &y| relatedness(a, x).total_cmp(&relatedness(a, y)));
                others
            })
            .collect();
        Solver {
            inst,
            rng: Rng::new(seed),
            scratch: Scratch::new(inst),
            max_t: max_t.max(1.0),
            related,
        }
    }

    fn empty_plan(&self) -> Plan {
        Plan {
            routes: vec![Vec::new(); self.inst.vehicles],
            costs: vec![0.0; self.inst.vehicles],
            bank: (1..=self.inst.n).collect(),
            frozen: vec![0; self.inst.vehicles],
            movable: vec![true; self.inst.n + 1],
        }
    }

    /// Insert the bank's requests, cheapest (or most regretted) first.
    fn repair(&mut self, plan: &mut Plan, op: RepairOp) {
        let inst = self.inst;
        let k = plan.routes.len();
        // best[r_idx][route] = cheapest insertion of bank request r_idx there.
        let mut bank = std::mem::take(&mut plan.bank);
        self.rng.shuffle(&mut bank);
        let mut best: Prices = vec![vec![None; k]; bank.len()];
        let first_empty = |plan: &Plan| plan.routes.iter().position(Vec::is_empty);
        let fill = |s: &mut Self, plan: &Plan, idx: usize, r: usize, out: &mut Prices| {
            let empty = first_empty(plan);
            if plan.routes[r].is_empty() && Some(r) != empty {
                out[idx][r] = None; // all empty routes are alike: try one
                return;
            }
            let mut found = route::best_insertion_after(
                inst,
                &plan.routes[r],
                bank[idx],
                &mut s.scratch,
                MAX_CHECKS,
                plan.frozen[r],
            );
            if op.noise
                && let Some(f) = found.as_mut()
            {
                f.0 += (s.rng.f64() * 2.0 - 1.0) * 0.025 * s.max_t;
            }
            out[idx][r] = found;
        };
        for idx in 0..bank.len() {
            for r in 0..k {
                fill(self, plan, idx, r, &mut best);
            }
        }
        let mut alive: Vec<bool> = vec![true; bank.len()];
        loop {
            // Choose the request to insert now.
            let mut choice: Option<(f64, usize, usize)> = None; // (key, idx, route)
            for idx in 0..bank.len() {
                if !alive[idx] {
                    continue;
                }
                let mut b1: Option<(f64, usize)> = None;
                let mut b2 = f64::INFINITY;
                for (r, c) in best[idx].iter().enumerate() {
                    if let Some((d, _, _)) = c {
                        match b1 {
                            Some((d1, _)) if *d >= d1 => b2 = b2.min(*d),
                            _ => {
                                if let Some((d1, _)) = b1 {
                                    b2 = b2.min(d1);
                                }
                                b1 = Some((*d, r));
                            }
                        }
                    }
                }
                let Some((d1, r1)) = b1 else { continue };
                let key = match op.kind {
                    Repair::Greedy => d1,
                    // Largest regret first; one feasible route = most urgent.
                    Repair::Regret => {
                        if b2.is_finite() {
                            -(b2 - d1)
                        } else {
                            -1e9 + d1
                        }
                    }
                };
                if choice.is_none_or(|(k0, _, _)| key < k0) {
                    choice = Some((key, idx, r1));
                }
            }
            let Some((_, idx, r)) = choice else { break };
            let (_, i, j) = best[idx][r].expect("chosen from a feasible entry");
            let was_empty = plan.routes[r].is_empty();
            route::insert(&mut plan.routes[r], inst, bank[idx], i, j);
            plan.costs[r] = route::cost(inst, &plan.routes[r]);
            alive[idx] = false;
            // Only the changed route (and, if it was the empty one tried, the
            // next empty route) need new insertion prices.
            let next_empty = if was_empty { first_empty(plan) } else { None };
            for other in (0..bank.len()).filter(|&o| alive[o]) {
                fill(self, plan, other, r, &mut best);
                if let Some(e) = next_empty {
                    fill(self, plan, other, e, &mut best);
                }
            }
        }
        plan.bank = bank
            .iter()
            .zip(&alive)
            .filter(|(_, a)| **a)
            .map(|(r, _)| *r)
            .collect();
    }

    fn destroy(&mut self, plan: &mut Plan, op: Destroy, q: usize) {
        let inst = self.inst;
        let of = plan.route_of(inst);
        // Requests on a route that may move.
        let eligible: Vec<bool> = (0..=inst.n)
            .map(|r| r > 0 && of[r] != usize::MAX && plan.movable[r])
            .collect();
        let served: Vec<usize> = (1..=inst.n).filter(|&r| eligible[r]).collect();
        if served.is_empty() {
            return;
        }
        let q = q.min(served.len());
        let mut removed: Vec<usize> = Vec::with_capacity(q);
        match op {
            Destroy::Random => {
                let mut s = served.clone();
                self.rng.shuffle(&mut s);
                removed.extend_from_slice(&s[..q]);
            }
            Destroy::Worst => {
                let of = plan.route_of(inst);
                let mut saving: Vec<(f64, usize)> = served
                    .iter()
                    .map(|&r| {
                        let route = &plan.routes[of[r]];
                        let mut without = route.clone();
                        route::remove(&mut without, inst, r);
                        (plan.costs[of[r]] - route::cost(inst, &without), r)
                    })
                    .collect();
                saving.sort_by(|a, b| b.0.total_cmp(&a.0));
                while removed.len() < q && !saving.is_empty() {
                    let y = self.rng.f64().powi(3);
                    let k = ((y * saving.len() as f64) as usize).min(saving.len() - 1);
                    removed.push(saving.remove(k).1);
                }
            }
            Destroy::Related => {
                let seed = served[self.rng.below(served.len())];
                removed.push(seed);
                while removed.len() < q {
                    let base = removed[self.rng.below(removed.len())];
                    let cands: Vec<usize> = self.related[base]
                        .iter()
                        .copied()
                        .filter(|&r| eligible[r] && !removed.contains(&r))
                        .collect();
                    if cands.is_empty() {
                        break;
                    }
                    let y = self.rng.f64().powi(4);
                    removed.push(cands[((y * cands.len() as f64) as usize).min(cands.len() - 1)]);
                }
            }
            Destroy::Route => {
                let r = of[served[self.rng.below(served.len())]];
                removed.extend(
                    plan.routes[r]
                        .iter()
                        .copied()
                        .filter(|&v| inst.is_pickup(v) && eligible[v]),
                );
                // Top up with related requests so small routes still shake.
                let mut k = 0;
                while removed.len() < q.min(served.len()) && k < removed.len() {
                    let base = removed[k];
                    if let Some(&c) = self.related[base]
                        .iter()
                        .find(|&&c| eligible[c] && !removed.contains(&c))
                    {
                        removed.push(c);
                    }
                    k += 1;
                }
            }
        }
        for &r in &removed {
            let ro = of[r];
            route::remove(&mut plan.routes[ro], inst, r);
            plan.costs[ro] = route::cost(inst, &plan.routes[ro]);
            plan.bank.push(r);
        }
    }

    /// Improve a live plan for `budget` without breaking a promise: the first
    /// `frozen[r]` stops of route r (driven, or under way) stay, requests picked
    /// up there stay, and a change is kept only if every request is still
    /// served and the plan got shorter. Returns whether it did.
    pub fn improve(
        &mut self,
        routes: &mut [Vec<usize>],
        frozen: &[usize],
        budget: Duration,
    ) -> bool {
        let started = Instant::now();
        let inst = self.inst;
        let mut movable = vec![true; inst.n + 1];
        for (r, route) in routes.iter().enumerate() {
            for &v in &route[..frozen[r].min(route.len())] {
                movable[inst.request_of(v)] = false;
            }
        }
        let free = routes
            .iter()
            .flatten()
            .filter(|&&v| inst.is_pickup(v) && movable[v])
            .count();
        if free < 2 {
            return false;
        }
        let mut current = Plan {
            routes: routes.to_vec(),
            costs: routes.iter().map(|r| route::cost(inst, r)).collect(),
            bank: Vec::new(),
            frozen: frozen.to_vec(),
            movable,
        };
        let start_cost = current.objective();
        let (q_lo, q_hi) = (1, (free * 2 / 5).clamp(2, 20));
        while started.elapsed() < budget {
            let op = DESTROYS[self.rng.below(DESTROYS.len())];
            let rep = REPAIRS[self.rng.below(REPAIRS.len())];
            let mut cand = current.clone();
            let q = self.rng.between(q_lo, q_hi);
            self.destroy(&mut cand, op, q);
            self.repair(&mut cand, rep);
            if cand.bank.is_empty() && cand.objective() < current.objective() - 1e-9 {
                current = cand;
            }
        }
        if current.objective() < start_cost - 1e-9 {
            routes.clone_from_slice(&current.routes);
            true
        } else {
            false
        }
    }

    /// Improve until the time limit; returns the best plan found.
    pub fn solve(&mut self, limit: Duration) -> Solution {
        let started = Instant::now();
        let inst = self.inst;
        let n = inst.n;
        let mut current = self.empty_plan();
        self.repair(
            &mut current,
            RepairOp {
                kind: Repair::Regret,
                noise: false,
            },
        );
        let mut best = current.clone();
        let mut dweights = Weights::new(DESTROYS.len());
        let mut rweights = Weights::new(REPAIRS.len());
        // Annealing: a 5 % worse plan is first accepted half the time; cooled
        // (by elapsed time) to almost pure descent.
        let base = current.costs.iter().sum::<f64>().max(1.0);
        let t_start = 0.05 * base / std::f64::consts::LN_2;
        let t_end = t_start * 0.002;
        let (q_lo, q_hi) = ((n / 10).max(2).min(n), (n * 2 / 5).clamp(2, 40).min(n));
        let mut iter: u64 = 0;
        let mut seen_best = best.objective();
        loop {
            let elapsed = started.elapsed();
            if elapsed >= limit {
                break;
            }
            iter += 1;
            let frac = elapsed.as_secs_f64() / limit.as_secs_f64().max(1e-9);
            let temp = t_start * (t_end / t_start).powf(frac);
            let di = dweights.pick(&mut self.rng);
            let ri = rweights.pick(&mut self.rng);
            let mut cand = current.clone();
            let q = self.rng.between(q_lo, q_hi.max(q_lo));
            self.destroy(&mut cand, DESTROYS[di], q);
            self.repair(&mut cand, REPAIRS[ri]);
            let (co, cu) = (cand.objective(), current.objective());
            let score;
            if co < seen_best - 1e-9 {
                best = cand.clone();
                seen_best = co;
                current = cand;
                score = 33.0;
            } else if co < cu - 1e-9 {
                current = cand;
                score = 9.0;
            } else if co > cu + 1e-9 && self.rng.f64() < (-(co - cu) / temp).exp() {
                current = cand;
                score = 13.0;
            } else {
                score = 0.0;
            }
            dweights.reward(di, score);
            rweights.reward(ri, score);
            if iter.is_multiple_of(100) {
                dweights.update();
                rweights.update();
            }
        }
        let cost = best.costs.iter().sum();
        Solution {
            instance: inst.name.clone(),
            cost,
            routes: best.routes.into_iter().filter(|r| !r.is_empty()).collect(),
        }
    }
}

/// Solve an instance within `params.time_limit`.
pub fn solve(inst: &Instance, params: &Params) -> Solution {
    Solver::new(inst, params.seed).solve(params.time_limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::verify;

    fn data(name: &str) -> String {
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn the_smallest_instances_are_solved_feasibly_in_a_second() {
        for name in ["a2-16", "b2-16", "pr01"] {
            let inst = Instance::parse(name, &data(&format!("{name}.txt"))).unwrap();
            let sol = solve(
                &inst,
                &Params {
                    time_limit: Duration::from_millis(1000),
                    seed: 1,
                },
            );
            let report = verify(&inst, &sol);
            assert!(report.feasible(), "{name}: {:?}", report.violations);
            assert!((report.cost - sol.cost).abs() < 1e-6, "{name}");
        }
    }
}
