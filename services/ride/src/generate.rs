//! Fresh instances drawn the way Cordeau (2006) drew the `a` and `b` sets, to
//! check that the solver does as well on instances it has never seen as on the
//! published ones (`engawa-headend dispatch generate`).
//!
//! Same header as the template (vehicles, requests, route duration T, seats Q,
//! ride limit L); every stop uniform in [-10, 10]², the depot at the origin with
//! window [0, T]; the first half of the requests are outbound (a 15-minute
//! window on the drop-off), the second half inbound (on the pickup), each
//! window's start uniform over the day; loads 1 (`a`, Q = 3) or 1–Q with a
//! service time equal to the load (`b`); other stops take 3 minutes. A
//! request that could not be served on its own, even by a car of its own, is
//! drawn again.

use std::fmt::Write as _;

use crate::instance::Instance;
use crate::rng::Rng;

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// The text of a new instance like `template` (in the same file layout as the
/// `a`/`b` files).
pub fn like(template: &Instance, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let n = template.n;
    let (t_max, q_max, l_max) = (template.max_duration, template.capacity, template.max_ride);
    let varied_loads = q_max > 3;
    let depot = (0.0, 0.0);
    let point = |rng: &mut Rng| (20.0 * rng.f64() - 10.0, 20.0 * rng.f64() - 10.0);
    // (pickup, drop-off, load, window start)
    let mut requests = Vec::with_capacity(n);
    while requests.len() < n {
        let outbound = requests.len() < n / 2;
        let (p, d) = (point(&mut rng), point(&mut rng));
        let load = if varied_loads {
            1 + rng.below(q_max as usize) as i32
        } else {
            1
        };
        let s = if varied_loads { f64::from(load) } else { 3.0 };
        let e = rng.below((t_max as usize).saturating_sub(15).max(1)) as f64;
        let direct = dist(p, d);
        let alone_ok = if outbound {
            // Reach the drop-off by e + 15 from the depot, be back by T.
            dist(depot, p) + s + direct <= e + 15.0 && e + s + dist(d, depot) <= t_max
        } else {
            dist(depot, p) <= e + 15.0 && e + s + direct + s + dist(d, depot) <= t_max
        };
        if alone_ok && direct <= l_max {
            requests.push((p, d, load, e));
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} {} {} {}",
        template.vehicles, n, t_max, q_max, l_max
    );
    let line = |out: &mut String, id: usize, at: (f64, f64), s: f64, q: i32, w: (f64, f64)| {
        let _ = writeln!(
            out,
            "{id:3} {:7.3} {:7.3} {s:3} {q:3} {:4} {:4}",
            at.0, at.1, w.0, w.1
        );
    };
    let service = |load: i32| {
        if varied_loads { f64::from(load) } else { 3.0 }
    };
    line(&mut out, 0, depot, 0.0, 0, (0.0, t_max));
    for (i, &(p, _, load, e)) in requests.iter().enumerate() {
        let w = if i < n / 2 {
            (0.0, 1440.0)
        } else {
            (e, e + 15.0)
        };
        line(&mut out, i + 1, p, service(load), load, w);
    }
    for (i, &(_, d, load, e)) in requests.iter().enumerate() {
        let w = if i < n / 2 {
            (e, e + 15.0)
        } else {
            (0.0, 1440.0)
        };
        line(&mut out, n + i + 1, d, service(load), -load, w);
    }
    line(&mut out, 2 * n + 1, depot, 0.0, 0, (0.0, t_max));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(name: &str) -> Instance {
        let path = format!("{}/tests/data/{name}.txt", env!("CARGO_MANIFEST_DIR"));
        Instance::parse(name, &std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn a_generated_instance_has_the_templates_shape_and_parses() {
        for name in ["a2-16", "b2-16"] {
            let t = template(name);
            let text = like(&t, 7);
            let g = Instance::parse("g", &text).unwrap();
            assert_eq!(
                (g.vehicles, g.n, g.capacity, g.max_ride, g.max_duration),
                (t.vehicles, t.n, t.capacity, t.max_ride, t.max_duration)
            );
            let narrow = |v: usize| g.nodes[v].late - g.nodes[v].early == 15.0;
            for i in 1..=g.n {
                let outbound = i <= g.n / 2;
                assert_eq!(narrow(g.drop_of(i)), outbound, "{name} request {i}");
                assert_eq!(narrow(i), !outbound, "{name} request {i}");
                assert!(g.nodes[i].load >= 1 && g.nodes[i].load <= g.capacity);
            }
            assert_ne!(text, like(&t, 8), "another seed, another instance");
            assert_eq!(text, like(&t, 7), "the same seed, the same instance");
        }
    }
}
