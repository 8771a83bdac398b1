//! The solver's view of one route: its cost, an exact schedule check, and the
//! cheapest feasible place to insert a request.
//!
//! The exact check treats the route's timing as difference constraints (service
//! starts in order with travel and service between them, windows, ride times,
//! the route duration) and computes the latest feasible start of every stop by
//! label correction: alternate a backward pass over the "in order" constraints
//! with a forward pass over the ride-time and duration constraints until nothing
//! changes. A label below its window's start means no schedule exists.
//!
//! Insertions are screened first by necessary conditions (capacity, and windows
//! with the earliest/latest start times of the route without ride-time
//! constraints), tried cheapest first, and only then checked exactly.

use crate::instance::Instance;

const EPS: f64 = 1e-7;

/// Scratch space reused between checks (no allocation in the hot loop).
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    latest: Vec<f64>,
    path: Vec<usize>,
    pos: Vec<usize>,
    earliest: Vec<f64>,
    latest_w: Vec<f64>,
    load: Vec<i32>,
    candidates: Vec<(f64, usize, usize)>,
}

impl Scratch {
    pub fn new(inst: &Instance) -> Scratch {
        Scratch {
            pos: vec![usize::MAX; inst.nodes.len()],
            ..Default::default()
        }
    }
}

/// Cost of a route (node ids without depots); an empty route costs nothing.
pub fn cost(inst: &Instance, route: &[usize]) -> f64 {
    if route.is_empty() {
        return 0.0;
    }
    let mut c = inst.t(inst.start(), route[0]);
    for w in route.windows(2) {
        c += inst.t(w[0], w[1]);
    }
    c + inst.t(route[route.len() - 1], inst.end())
}

/// Exact feasibility of a full path (start depot … end depot): capacity, and
/// whether a schedule meets every window, ride time and the duration limit.
pub fn feasible_path(inst: &Instance, path: &[usize], s: &mut Scratch) -> bool {
    let m = path.len();
    let mut load = 0;
    for &v in path {
        load += inst.nodes[v].load;
        if load > inst.capacity {
            return false;
        }
        s.pos[v] = usize::MAX;
    }
    for (k, &v) in path.iter().enumerate() {
        s.pos[v] = k;
    }
    // Every pickup before its drop-off.
    for (k, &v) in path.iter().enumerate() {
        if inst.is_pickup(v) {
            let kd = s.pos[inst.drop_of(v)];
            if kd != usize::MAX && kd < k {
                return false;
            }
        }
    }
    let latest = &mut s.latest;
    latest.clear();
    latest.extend(path.iter().map(|&v| inst.nodes[v].late));
    let mut rounds = 0;
    loop {
        rounds += 1;
        if rounds > m + 3 {
            return false; // a negative cycle keeps lowering the labels
        }
        // Backward: B_k ≤ B_{k+1} − s_k − t.
        for k in (0..m - 1).rev() {
            let v = path[k];
            let cand = latest[k + 1] - inst.nodes[v].service - inst.t(v, path[k + 1]);
            if cand < latest[k] {
                latest[k] = cand;
            }
            if latest[k] < inst.nodes[v].early - EPS {
                return false;
            }
        }
        // Forward: B_drop ≤ B_pick + s_pick + L, and B_end ≤ B_start + T.
        let mut changed = false;
        for k in 0..m {
            let v = path[k];
            if inst.is_pickup(v) {
                let kd = s.pos[inst.drop_of(v)];
                if kd != usize::MAX {
                    let cand = latest[k] + inst.nodes[v].service + inst.ride_limit(v);
                    if cand < latest[kd] - EPS {
                        latest[kd] = cand;
                        changed = true;
                        if cand < inst.nodes[path[kd]].early - EPS {
                            return false;
                        }
                    }
                }
            }
        }
        let cand = latest[0] + inst.max_duration;
        if cand < latest[m - 1] - EPS {
            latest[m - 1] = cand;
            changed = true;
            if cand < inst.nodes[path[m - 1]].early - EPS {
                return false;
            }
        }
        if !changed {
            return true;
        }
    }
}

/// Is this route (without depots) feasible?
pub fn feasible(inst: &Instance, route: &[usize], s: &mut Scratch) -> bool {
    let mut path = std::mem::take(&mut s.path);
    path.clear();
    path.push(inst.start());
    path.extend_from_slice(route);
    path.push(inst.end());
    let ok = feasible_path(inst, &path, s);
    s.path = path;
    ok
}

/// The cheapest feasible insertion of `request` into `route`: (added cost,
/// pickup position, drop-off position), positions counted in the route after
/// the pickup was inserted — i.e. `route.insert(i, p); route.insert(j, d)`.
/// At most `max_checks` exact checks are spent.
pub fn best_insertion(
    inst: &Instance,
    route: &[usize],
    request: usize,
    s: &mut Scratch,
    max_checks: usize,
) -> Option<(f64, usize, usize)> {
    best_insertion_after(inst, route, request, s, max_checks, 0)
}

/// As `best_insertion`, but never before route position `first` (the stops
/// before it are already driven or under way).
pub fn best_insertion_after(
    inst: &Instance,
    route: &[usize],
    request: usize,
    s: &mut Scratch,
    max_checks: usize,
    first: usize,
) -> Option<(f64, usize, usize)> {
    let (p, d) = (request, inst.drop_of(request));
    let (np, nd) = (inst.nodes[p], inst.nodes[d]);
    let q = np.load;
    let max_ride = inst.ride_limit(request);
    // The path with depots, earliest/latest starts (windows only), loads.
    let mut path = std::mem::take(&mut s.path);
    path.clear();
    path.push(inst.start());
    path.extend_from_slice(route);
    path.push(inst.end());
    let m = path.len();
    s.earliest.clear();
    s.latest_w.clear();
    s.load.clear();
    let mut t0 = inst.nodes[path[0]].early;
    let mut l = 0;
    for k in 0..m {
        let v = path[k];
        if k > 0 {
            let u = path[k - 1];
            t0 = (t0 + inst.nodes[u].service + inst.t(u, v)).max(inst.nodes[v].early);
        }
        s.earliest.push(t0);
        l += inst.nodes[v].load;
        s.load.push(l);
    }
    s.latest_w.resize(m, 0.0);
    s.latest_w[m - 1] = inst.nodes[path[m - 1]].late;
    for k in (0..m - 1).rev() {
        let v = path[k];
        s.latest_w[k] = inst.nodes[v]
            .late
            .min(s.latest_w[k + 1] - inst.nodes[v].service - inst.t(v, path[k + 1]));
    }
    s.candidates.clear();
    for i in first.min(m - 1)..m - 1 {
        let (a, next) = (path[i], path[i + 1]);
        if s.load[i] + q > inst.capacity {
            continue;
        }
        let bp = (s.earliest[i] + inst.nodes[a].service + inst.t(a, p)).max(np.early);
        if bp > np.late + EPS {
            continue;
        }
        // Drop-off right after the pickup.
        let bd = (bp + np.service + inst.t(p, d)).max(nd.early);
        if bd <= nd.late + EPS {
            let bn = (bd + nd.service + inst.t(d, next)).max(inst.nodes[next].early);
            if bn <= s.latest_w[i + 1] + EPS {
                let delta = inst.t(a, p) + inst.t(p, d) + inst.t(d, next) - inst.t(a, next);
                s.candidates.push((delta, i + 1, i + 2));
            }
        }
        // Drop-off later: walk the stops after the pickup with their new times.
        let dp = inst.t(a, p) + inst.t(p, next) - inst.t(a, next);
        let mut cur = (bp + np.service + inst.t(p, next)).max(inst.nodes[next].early);
        if cur > s.latest_w[i + 1] + EPS {
            continue;
        }
        // Time aboard without any waiting: a lower bound on the ride.
        let mut aboard = inst.t(p, next);
        for j in i + 1..m - 1 {
            let (b, after) = (path[j], path[j + 1]);
            if s.load[j] + q > inst.capacity || aboard > max_ride + EPS {
                break;
            }
            let bd = (cur + inst.nodes[b].service + inst.t(b, d)).max(nd.early);
            let ride_min = aboard + inst.nodes[b].service + inst.t(b, d);
            if bd <= nd.late + EPS && ride_min <= max_ride + EPS {
                let bn = (bd + nd.service + inst.t(d, after)).max(inst.nodes[after].early);
                if bn <= s.latest_w[j + 1] + EPS {
                    let delta = dp + inst.t(b, d) + inst.t(d, after) - inst.t(b, after);
                    s.candidates.push((delta, i + 1, j + 2));
                }
            }
            aboard += inst.nodes[b].service + inst.t(b, after);
            cur = (cur + inst.nodes[b].service + inst.t(b, after)).max(inst.nodes[after].early);
            if cur > s.latest_w[j + 1] + EPS {
                break;
            }
        }
    }
    s.candidates.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
    let mut found = None;
    let mut trial = Vec::with_capacity(m + 2);
    let candidates = std::mem::take(&mut s.candidates);
    for &(delta, i, j) in candidates.iter().take(max_checks) {
        // `path` positions: the pickup goes before path[i], the drop-off before
        // what is then at j.
        trial.clear();
        trial.extend_from_slice(&path);
        trial.insert(i, p);
        trial.insert(j, d);
        if feasible_path(inst, &trial, s) {
            // Positions in the route (without the start depot).
            found = Some((delta, i - 1, j - 1));
            break;
        }
    }
    s.candidates = candidates;
    s.path = path;
    found
}

/// The earliest start of service at each stop (waiting allowed, leaving the
/// depot as late as the first stop allows): the estimates shown to riders.
pub fn earliest(inst: &Instance, route: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(route.len());
    let mut prev = inst.start();
    let mut t = match route.first() {
        Some(&v) => inst.nodes[prev]
            .early
            .max(inst.nodes[v].early - inst.t(prev, v)),
        None => return out,
    };
    for &v in route {
        t = (t + inst.nodes[prev].service + inst.t(prev, v)).max(inst.nodes[v].early);
        out.push(t);
        prev = v;
    }
    out
}

/// Insert as `best_insertion` describes.
pub fn insert(route: &mut Vec<usize>, inst: &Instance, request: usize, i: usize, j: usize) {
    route.insert(i, request);
    route.insert(j, inst.drop_of(request));
}

/// Take a request's two stops out of a route.
pub fn remove(route: &mut Vec<usize>, inst: &Instance, request: usize) {
    let d = inst.drop_of(request);
    route.retain(|&v| v != request && v != d);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solution::Solution;
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
    fn the_exact_check_agrees_with_the_verifier_on_known_and_broken_routes() {
        let inst = Instance::parse("a2-16", &data("a2-16.txt")).unwrap();
        let sol = Solution::parse(&data("a2-16.json")).unwrap();
        let mut s = Scratch::new(&inst);
        for r in &sol.routes {
            assert!(feasible(&inst, r, &mut s));
        }
        // Swap neighbouring stops everywhere: each variant judged the same way
        // by both (the verifier is independent code).
        let mut disagreements = 0;
        let mut checked = 0;
        let mut timing = 0;
        for (ri, r) in sol.routes.iter().enumerate() {
            for k in 0..r.len() - 1 {
                let mut r2 = r.clone();
                r2.swap(k, k + 1);
                let mut routes = sol.routes.clone();
                routes[ri] = r2.clone();
                let v = verify(
                    &inst,
                    &Solution {
                        instance: "a2-16".into(),
                        cost: 0.0,
                        routes,
                    },
                );
                checked += 1;
                if v.feasible() != feasible(&inst, &r2, &mut s) {
                    eprintln!("{r2:?}: verifier {:?}", v.violations);
                    disagreements += 1;
                }
            }
        }
        // Move every stop to every other place: timing, ride and capacity cases.
        for (ri, r) in sol.routes.iter().enumerate() {
            for from in 0..r.len() {
                for to in 0..r.len() {
                    let mut r2 = r.clone();
                    let v = r2.remove(from);
                    r2.insert(to, v);
                    let mut routes = sol.routes.clone();
                    routes[ri] = r2.clone();
                    let v = verify(
                        &inst,
                        &Solution {
                            instance: "a2-16".into(),
                            cost: 0.0,
                            routes,
                        },
                    );
                    checked += 1;
                    if v.violations.iter().any(|x| {
                        x.contains("rides") || x.contains("window") || x.contains("schedule")
                    }) {
                        timing += 1;
                    }
                    if v.feasible() != feasible(&inst, &r2, &mut s) {
                        eprintln!("{r2:?}: verifier {:?}", v.violations);
                        disagreements += 1;
                    }
                }
            }
        }
        assert!(checked > 500);
        assert!(timing > 50, "{timing} timing cases");
        assert_eq!(disagreements, 0);
    }

    #[test]
    fn the_best_insertion_rebuilds_a_known_route() {
        let inst = Instance::parse("a2-16", &data("a2-16.txt")).unwrap();
        let sol = Solution::parse(&data("a2-16.json")).unwrap();
        let mut s = Scratch::new(&inst);
        let route = &sol.routes[0];
        // Take one request out; the cheapest feasible insertion puts it back
        // at no more than the optimum's cost.
        let r = route[0];
        let mut without = route.clone();
        remove(&mut without, &inst, r);
        let (delta, i, j) = best_insertion(&inst, &without, r, &mut s, 1000).unwrap();
        let mut again = without.clone();
        insert(&mut again, &inst, r, i, j);
        assert!(feasible(&inst, &again, &mut s));
        assert!((cost(&inst, &without) + delta - cost(&inst, &again)).abs() < 1e-9);
        assert!(cost(&inst, &again) <= cost(&inst, route) + 1e-9);
    }
}
