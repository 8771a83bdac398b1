//! The independent checker: recomputes the cost of a set of routes and checks
//! every constraint. It shares nothing with the solver but the instance: its own
//! pass over the routes, and for the timing its own method — the difference
//! constraints of a route solved by Floyd–Warshall (a schedule exists iff there
//! is no negative cycle).

use crate::instance::Instance;
use crate::solution::Solution;

/// Tolerance for float comparisons of times.
const EPS: f64 = 1e-6;

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Recomputed: the length of every arc driven, depot legs included.
    pub cost: f64,
    /// Empty when the solution is feasible.
    pub violations: Vec<String>,
}

impl Report {
    pub fn feasible(&self) -> bool {
        self.violations.is_empty()
    }
}

pub fn verify(inst: &Instance, sol: &Solution) -> Report {
    check(inst, sol, true)
}

/// As `verify`, but requests on no route are not a violation (an online plan
/// that refused some).
pub fn verify_partial(inst: &Instance, sol: &Solution) -> Report {
    check(inst, sol, false)
}

fn check(inst: &Instance, sol: &Solution, all_served: bool) -> Report {
    let n = inst.n;
    let mut violations = Vec::new();
    let mut cost = 0.0;
    let used: Vec<&Vec<usize>> = sol.routes.iter().filter(|r| !r.is_empty()).collect();
    if used.len() > inst.vehicles {
        violations.push(format!(
            "{} routes used, only {} vehicles",
            used.len(),
            inst.vehicles
        ));
    }
    // Where each node is visited: (route, position).
    let mut seen: Vec<Option<(usize, usize)>> = vec![None; 2 * n + 2];
    for (r, route) in sol.routes.iter().enumerate() {
        for (pos, &v) in route.iter().enumerate() {
            if v == 0 || v > 2 * n {
                violations.push(format!(
                    "route {}: node {v} is not a pickup or drop-off",
                    r + 1
                ));
                continue;
            }
            if let Some((r0, _)) = seen[v] {
                violations.push(format!(
                    "node {v} is visited twice (routes {} and {})",
                    r0 + 1,
                    r + 1
                ));
            } else {
                seen[v] = Some((r, pos));
            }
        }
    }
    for i in 1..=n {
        match (seen[i], seen[n + i]) {
            (None, None) if all_served => violations.push(format!("request {i} is not served")),
            (None, None) => {}
            (Some(_), None) => violations.push(format!("request {i}: dropped-off nowhere")),
            (None, Some(_)) => violations.push(format!("request {i}: never picked up")),
            (Some((rp, pp)), Some((rd, pd))) => {
                if rp != rd {
                    violations.push(format!(
                        "request {i}: picked up on route {} but dropped off on route {}",
                        rp + 1,
                        rd + 1
                    ));
                } else if pd < pp {
                    violations.push(format!("request {i}: dropped off before it is picked up"));
                }
            }
        }
    }
    for (r, route) in sol.routes.iter().enumerate() {
        if route.is_empty() || route.iter().any(|&v| v == 0 || v > 2 * n) {
            continue;
        }
        let path: Vec<usize> = std::iter::once(inst.start())
            .chain(route.iter().copied())
            .chain(std::iter::once(inst.end()))
            .collect();
        cost += path.windows(2).map(|w| inst.t(w[0], w[1])).sum::<f64>();
        let mut load = 0;
        for &v in route {
            load += inst.nodes[v].load;
            if load > inst.capacity {
                violations.push(format!(
                    "route {}: {load} aboard after node {v}, capacity {}",
                    r + 1,
                    inst.capacity
                ));
                break;
            }
        }
        timing(inst, r, &path, &mut violations);
    }
    Report { cost, violations }
}

/// Is there a schedule for this path (depot … depot)? If not, say what the
/// earliest schedule breaks.
fn timing(inst: &Instance, r: usize, path: &[usize], violations: &mut Vec<String>) {
    let m = path.len();
    // Variables 0..m are the service starts along the path, m is the zero time.
    let z = m;
    let size = m + 1;
    // d[i][j]: the tightest known bound on B_j − B_i.
    let mut d = vec![vec![f64::INFINITY; size]; size];
    for (i, row) in d.iter_mut().enumerate() {
        row[i] = 0.0;
    }
    let bound = |d: &mut Vec<Vec<f64>>, i: usize, j: usize, w: f64| {
        if w < d[i][j] {
            d[i][j] = w;
        }
    };
    for (k, &v) in path.iter().enumerate() {
        let node = &inst.nodes[v];
        bound(&mut d, z, k, node.late); // B_k ≤ late
        bound(&mut d, k, z, -node.early); // B_k ≥ early
        if k + 1 < m {
            let need = node.service + inst.t(v, path[k + 1]);
            bound(&mut d, k + 1, k, -need); // B_{k+1} ≥ B_k + s + t
        }
    }
    let pos = |v: usize| path.iter().position(|&x| x == v);
    for (k, &v) in path.iter().enumerate() {
        if inst.is_pickup(v)
            && let Some(kd) = pos(inst.drop_of(v))
        {
            bound(&mut d, k, kd, inst.ride_limit(v) + inst.nodes[v].service);
        }
    }
    bound(&mut d, 0, m - 1, inst.max_duration);
    for k in 0..size {
        for i in 0..size {
            if d[i][k] == f64::INFINITY {
                continue;
            }
            for j in 0..size {
                let via = d[i][k] + d[k][j];
                if via < d[i][j] {
                    d[i][j] = via;
                }
            }
        }
    }
    if (0..size).all(|i| d[i][i] >= -EPS) {
        return;
    }
    // Infeasible: report what the earliest schedule (leave as late as the first
    // stop allows, never wait needlessly) breaks.
    let mut b = vec![0.0; m];
    b[0] = inst.nodes[path[0]].early;
    if m > 1 {
        b[0] = b[0].max(inst.nodes[path[1]].early - inst.t(path[0], path[1]));
    }
    for k in 1..m {
        let prev = &inst.nodes[path[k - 1]];
        b[k] =
            (b[k - 1] + prev.service + inst.t(path[k - 1], path[k])).max(inst.nodes[path[k]].early);
    }
    let before = violations.len();
    for (k, &v) in path.iter().enumerate() {
        if b[k] > inst.nodes[v].late + EPS {
            violations.push(format!(
                "route {}: node {v} reached at {:.2}, after its window ends at {}",
                r + 1,
                b[k],
                inst.nodes[v].late
            ));
        }
        if inst.is_pickup(v)
            && let Some(kd) = pos(inst.drop_of(v))
        {
            let ride = b[kd] - (b[k] + inst.nodes[v].service);
            if ride > inst.ride_limit(v) + EPS {
                violations.push(format!(
                    "route {}: request {v} rides {ride:.2}, more than {}",
                    r + 1,
                    inst.ride_limit(v)
                ));
            }
        }
    }
    let duration = b[m - 1] - b[0];
    if duration > inst.max_duration + EPS {
        violations.push(format!(
            "route {}: lasts {duration:.2}, more than {}",
            r + 1,
            inst.max_duration
        ));
    }
    if violations.len() == before {
        violations.push(format!(
            "route {}: no schedule meets every window, ride time and the route duration together",
            r + 1
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One vehicle, two requests on a line: 0 —1— p1 —1— p2 —1— d1 —1— d2.
    fn line() -> Instance {
        Instance::parse(
            "line",
            "2 2 100 1 10
0 0 0 0 0 0 100
1 1 0 1 1 0 100
2 2 0 1 1 0 100
3 3 0 1 -1 0 100
4 4 0 1 -1 0 100
5 0 0 0 0 0 100
",
        )
        .unwrap()
    }

    fn check(inst: &Instance, routes: Vec<Vec<usize>>) -> Report {
        verify(
            inst,
            &Solution {
                instance: inst.name.clone(),
                cost: 0.0,
                routes,
            },
        )
    }

    #[test]
    fn a_feasible_solution_passes_with_its_cost() {
        let r = check(&line(), vec![vec![1, 3], vec![2, 4]]);
        assert!(r.feasible(), "{:?}", r.violations);
        assert!((r.cost - (6.0 + 8.0)).abs() < 1e-9);
    }

    #[test]
    fn each_constraint_broken_once_is_named() {
        let inst = line();
        let cases: Vec<(Vec<Vec<usize>>, &str)> = vec![
            (vec![vec![1, 3]], "request 2 is not served"),
            (vec![vec![1, 3], vec![2, 4, 2]], "visited twice"),
            (vec![vec![1, 4], vec![2, 3]], "picked up on route"),
            (vec![vec![3, 1], vec![2, 4]], "dropped off before"),
            (vec![vec![1, 2, 3, 4]], "capacity 1"),
            (vec![vec![1, 3], vec![2, 4], vec![]], ""),
            (vec![vec![1, 3], vec![2, 9]], "not a pickup or drop-off"),
        ];
        for (routes, want) in cases {
            let r = check(&inst, routes.clone());
            if want.is_empty() {
                assert!(r.feasible(), "an empty route is an unused vehicle");
                continue;
            }
            assert!(
                r.violations.iter().any(|v| v.contains(want)),
                "{routes:?}: {:?}",
                r.violations
            );
        }
        // Too many vehicles.
        let mut one = inst.clone();
        one.vehicles = 1;
        assert!(
            check(&one, vec![vec![1, 3], vec![2, 4]]).violations[0].contains("only 1 vehicles")
        );
        // A window: drop-off 3 must start by 2.5 but cannot before 3.
        let mut w = inst.clone();
        w.nodes[3].late = 2.5;
        let r = check(&w, vec![vec![1, 3], vec![2, 4]]);
        assert!(
            r.violations.iter().any(|v| v.contains("after its window")),
            "{r:?}"
        );
        // Ride time: request 1 rides 1 + 1 + 1 (+ service at 2) = too long for L = 2.
        let mut l = inst.clone();
        l.capacity = 2;
        l.max_ride = 2.0;
        let r = check(&l, vec![vec![1, 2, 3, 4]]);
        assert!(r.violations.iter().any(|v| v.contains("rides")), "{r:?}");
        // A ride limit of its own: request 2 may ride only 1.5 (it needs 2).
        let mut own = inst.clone();
        own.ride_limits = vec![0.0, 10.0, 1.5];
        let r = check(&own, vec![vec![1, 3], vec![2, 4]]);
        assert!(
            r.violations.iter().any(|v| v.contains("request 2 rides")),
            "{r:?}"
        );
        // Route duration.
        let mut t = inst.clone();
        t.max_duration = 5.0;
        let r = check(&t, vec![vec![1, 3], vec![2, 4]]);
        assert!(r.violations.iter().any(|v| v.contains("lasts")), "{r:?}");
    }

    #[test]
    fn waiting_for_a_window_is_allowed_and_ride_time_can_be_met_by_leaving_later() {
        let mut inst = line();
        inst.capacity = 2;
        inst.max_ride = 4.0;
        // Request 2's pickup cannot start before 50: request 1 must be picked up
        // late too, or it waits aboard too long.
        inst.nodes[2].early = 50.0;
        let r = check(&inst, vec![vec![1, 2, 3, 4]]);
        assert!(r.feasible(), "{:?}", r.violations);
    }
}
