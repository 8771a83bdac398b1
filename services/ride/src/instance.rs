//! A dial-a-ride instance: vehicles, requests as (pickup, drop-off) node pairs,
//! time windows, service times, loads, the ride-time and route-duration limits,
//! and travel times.
//!
//! Node numbering (both file layouts are normalised to it): 0 = the depot where
//! routes start, 1..=n = pickups, n+1..=2n = drop-offs (request i's drop-off is
//! n+i), 2n+1 = the depot where routes end.

use std::fmt;

use crate::travel::{Euclidean, TravelTime};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    pub x: f64,
    pub y: f64,
    /// Service duration.
    pub service: f64,
    /// Load change: +q at a pickup, −q at its drop-off.
    pub load: i32,
    /// Window for the start of service.
    pub early: f64,
    pub late: f64,
}

#[derive(Debug, Clone)]
pub struct Instance {
    pub name: String,
    pub vehicles: usize,
    /// Requests.
    pub n: usize,
    /// Maximum route duration.
    pub max_duration: f64,
    pub capacity: i32,
    /// Maximum ride time (end of pickup service to start of drop-off service),
    /// for every request unless `ride_limits` says otherwise.
    pub max_ride: f64,
    /// Per-request ride limits (index = request; empty = `max_ride` for all):
    /// real riders get direct time × 1.5 + 10 minutes.
    pub ride_limits: Vec<f64>,
    pub nodes: Vec<Node>,
    /// Travel time (= cost) between nodes, row-major, (2n+2)².
    times: Vec<f64>,
}

/// Why a file is not an instance, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

impl Instance {
    /// Parse either layout: Cordeau (2006) `K N T Q L` with 2N+2 node lines, or
    /// Cordeau & Laporte (2003) `K 2N T Q L` with 2N+1 node lines (the end depot
    /// is node 0 again). The layout is told by counting the node lines.
    pub fn parse(name: &str, text: &str) -> Result<Instance, ParseError> {
        let lines: Vec<(usize, Vec<&str>)> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.split_whitespace().collect::<Vec<_>>()))
            .filter(|(_, f)| !f.is_empty())
            .collect();
        let Some((hl, header)) = lines.first() else {
            return Err(err(1, "empty file: expected the header `K N T Q L`"));
        };
        if header.len() != 5 {
            return Err(err(
                *hl,
                format!(
                    "header has {} fields, expected 5: `K N T Q L`",
                    header.len()
                ),
            ));
        }
        let int = |i: usize, what: &str| -> Result<usize, ParseError> {
            header[i]
                .parse::<usize>()
                .map_err(|_| err(*hl, format!("{what} `{}` is not a whole number", header[i])))
        };
        let num = |i: usize, what: &str| -> Result<f64, ParseError> {
            header[i]
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| err(*hl, format!("{what} `{}` is not a number ≥ 0", header[i])))
        };
        let vehicles = int(0, "K (vehicles)")?;
        let second = int(1, "N")?;
        let max_duration = num(2, "T (route duration)")?;
        let capacity = int(3, "Q (capacity)")? as i32;
        let max_ride = num(4, "L (ride time)")?;
        let body = &lines[1..];
        let (n, closed) = if second > 0 && body.len() == 2 * second + 2 {
            (second, true)
        } else if second > 0 && second % 2 == 0 && body.len() == second + 1 {
            (second / 2, false)
        } else {
            let at = body.last().map_or(*hl, |(l, _)| *l);
            return Err(err(
                at,
                format!(
                    "{} node lines; a header with N = {second} needs {} (N requests) or {} (N nodes)",
                    body.len(),
                    2 * second + 2,
                    second + 1
                ),
            ));
        };
        if vehicles == 0 {
            return Err(err(*hl, "K (vehicles) must be at least 1"));
        }
        if capacity <= 0 {
            return Err(err(*hl, "Q (capacity) must be at least 1"));
        }
        let mut nodes = Vec::with_capacity(2 * n + 2);
        for (expected, (line, f)) in body.iter().enumerate() {
            if f.len() != 7 {
                return Err(err(
                    *line,
                    format!("{} fields, expected 7: `id x y s q e l`", f.len()),
                ));
            }
            let id: usize = f[0]
                .parse()
                .map_err(|_| err(*line, format!("node id `{}` is not a whole number", f[0])))?;
            if id != expected {
                return Err(err(*line, format!("node id {id}, expected {expected}")));
            }
            let v = |i: usize, what: &str| -> Result<f64, ParseError> {
                f[i].parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| err(*line, format!("{what} `{}` is not a number", f[i])))
            };
            let load = f[4]
                .parse::<i32>()
                .map_err(|_| err(*line, format!("load `{}` is not a whole number", f[4])))?;
            let node = Node {
                x: v(1, "x")?,
                y: v(2, "y")?,
                service: v(3, "service time")?,
                load,
                early: v(5, "window start")?,
                late: v(6, "window end")?,
            };
            if node.service < 0.0 {
                return Err(err(*line, "service time is negative"));
            }
            if node.early > node.late {
                return Err(err(
                    *line,
                    format!(
                        "window [{}, {}] ends before it starts",
                        node.early, node.late
                    ),
                ));
            }
            nodes.push(node);
        }
        if !closed {
            nodes.push(nodes[0]);
        }
        let line_of = |v: usize| {
            body.get(v)
                .map_or(body.last().map_or(*hl, |b| b.0), |b| b.0)
        };
        for i in 1..=n {
            let (p, d) = (nodes[i], nodes[n + i]);
            if p.load <= 0 || d.load != -p.load {
                return Err(err(
                    line_of(n + i),
                    format!(
                        "request {i}: pickup load {} and drop-off load {} must be +q and −q",
                        p.load, d.load
                    ),
                ));
            }
            if p.load > capacity {
                return Err(err(
                    line_of(i),
                    format!(
                        "request {i} needs {} seats; vehicles have {capacity}",
                        p.load
                    ),
                ));
            }
        }
        if nodes[0].load != 0 || nodes[2 * n + 1].load != 0 {
            return Err(err(line_of(0), "the depot must have load 0"));
        }
        Ok(Instance::from_nodes(
            name,
            vehicles,
            n,
            max_duration,
            capacity,
            max_ride,
            nodes,
            &Euclidean,
        ))
    }

    /// An instance from nodes already numbered as above, with travel times from
    /// `travel`.
    #[allow(clippy::too_many_arguments)]
    pub fn from_nodes(
        name: &str,
        vehicles: usize,
        n: usize,
        max_duration: f64,
        capacity: i32,
        max_ride: f64,
        nodes: Vec<Node>,
        travel: &dyn TravelTime,
    ) -> Instance {
        let m = nodes.len();
        let mut times = vec![0.0; m * m];
        for (i, a) in nodes.iter().enumerate() {
            for (j, b) in nodes.iter().enumerate() {
                times[i * m + j] = travel.time((a.x, a.y), (b.x, b.y));
            }
        }
        Instance {
            name: name.to_string(),
            vehicles,
            n,
            max_duration,
            capacity,
            max_ride,
            ride_limits: Vec::new(),
            nodes,
            times,
        }
    }

    /// The same requests served from another depot, in another shift and with
    /// another seat count (a vehicle of a mixed fleet): only the two depot
    /// nodes' travel times are computed again.
    pub fn for_vehicle(
        &self,
        depot: (f64, f64),
        shift: (f64, f64),
        capacity: i32,
        travel: &dyn TravelTime,
    ) -> Instance {
        let mut out = self.clone();
        let m = out.nodes.len();
        let (start, end) = (out.start(), out.end());
        for d in [start, end] {
            out.nodes[d].x = depot.0;
            out.nodes[d].y = depot.1;
            out.nodes[d].early = shift.0;
            out.nodes[d].late = shift.1;
        }
        for d in [start, end] {
            for j in 0..m {
                let (a, b) = (&out.nodes[d], &out.nodes[j]);
                out.times[d * m + j] = travel.time((a.x, a.y), (b.x, b.y));
                out.times[j * m + d] = travel.time((b.x, b.y), (a.x, a.y));
            }
        }
        out.max_duration = shift.1 - shift.0;
        out.capacity = capacity;
        out
    }

    /// The ride limit of the request a node belongs to.
    #[inline]
    pub fn ride_limit(&self, v: usize) -> f64 {
        self.ride_limits
            .get(self.request_of(v))
            .copied()
            .unwrap_or(self.max_ride)
    }

    #[inline]
    pub fn t(&self, a: usize, b: usize) -> f64 {
        self.times[a * self.nodes.len() + b]
    }

    pub fn start(&self) -> usize {
        0
    }

    pub fn end(&self) -> usize {
        2 * self.n + 1
    }

    pub fn is_pickup(&self, v: usize) -> bool {
        (1..=self.n).contains(&v)
    }

    pub fn drop_of(&self, request: usize) -> usize {
        self.n + request
    }

    /// The request a pickup or drop-off node belongs to.
    pub fn request_of(&self, v: usize) -> usize {
        if v > self.n { v - self.n } else { v }
    }
}

impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} vehicles × {} seats, {} requests, ride ≤ {}, route ≤ {}",
            self.name, self.vehicles, self.capacity, self.n, self.max_ride, self.max_duration
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = "1 2 480 3 30
0 0 0 0 0 0 480
1 1 0 3 1 0 1440
2 2 0 3 1 0 1440
3 3 0 3 -1 0 1440
4 4 0 3 -1 0 1440
5 0 0 0 0 0 480
";

    #[test]
    fn both_layouts_parse_to_the_same_numbering() {
        let a = Instance::parse("tiny", TINY).unwrap();
        assert_eq!((a.n, a.vehicles, a.capacity), (2, 1, 3));
        assert_eq!(a.nodes.len(), 6);
        assert_eq!(a.t(0, 4), 4.0);
        // The same in the 2003 layout: header counts nodes, no end depot line.
        let pr = "1 4 480 3 30
0 0 0 0 0 0 480
1 1 0 3 1 0 1440
2 2 0 3 1 0 1440
3 3 0 3 -1 0 1440
4 4 0 3 -1 0 1440
";
        let b = Instance::parse("tiny-pr", pr).unwrap();
        assert_eq!(b.n, 2);
        assert_eq!(b.nodes[5], b.nodes[0]);
        assert_eq!(b.drop_of(2), 4);
        assert_eq!(b.request_of(4), 2);
    }

    #[test]
    fn malformed_files_name_the_line() {
        let cases = [
            ("", 1, "empty"),
            ("1 2 480 3\n", 1, "5"),
            ("1 x 480 3 30\n", 1, "N"),
            (&TINY.replace("2 2 0 3 1 0 1440", "2 2 0 3 1 0"), 4, "7"),
            (
                &TINY.replace("2 2 0 3 1 0 1440", "2 2 zero 3 1 0 1440"),
                4,
                "y",
            ),
            (
                &TINY.replace("2 2 0 3 1 0 1440", "7 2 0 3 1 0 1440"),
                4,
                "expected 2",
            ),
            (
                &TINY.replace("3 3 0 3 -1 0 1440", "3 3 0 3 -2 0 1440"),
                5,
                "request 1",
            ),
            (
                &TINY.replace("3 3 0 3 -1 0 1440", "3 3 0 3 -1 900 100"),
                5,
                "ends before",
            ),
            (&TINY.replace("5 0 0 0 0 0 480\n", ""), 6, "node lines"),
        ];
        for (text, line, part) in cases {
            let e = Instance::parse("bad", text).unwrap_err();
            assert_eq!(e.line, line, "{e}");
            assert!(e.message.contains(part), "{e}");
        }
    }
}
