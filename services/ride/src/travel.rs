//! Travel times between places. The solver only ever sees a matrix built from
//! one of these.

/// Minutes (or the instance's abstract unit) from `a` to `b`. Places are
/// (x, y) for plane instances and (latitude, longitude) in degrees for real ones.
pub trait TravelTime {
    fn time(&self, a: (f64, f64), b: (f64, f64)) -> f64;
}

/// The benchmark instances: Euclidean distance in the plane, one unit = one
/// minute.
pub struct Euclidean;

impl TravelTime for Euclidean {
    fn time(&self, a: (f64, f64), b: (f64, f64)) -> f64 {
        ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
    }
}

/// Real places without a routing engine: great-circle distance × a road factor
/// (roads are not straight; 1.3 is typical for rural Japan) at an average speed.
pub struct Haversine {
    pub road_factor: f64,
    pub speed_kmh: f64,
}

impl Default for Haversine {
    fn default() -> Self {
        Haversine {
            road_factor: 1.3,
            speed_kmh: 30.0,
        }
    }
}

impl Haversine {
    pub fn km(a: (f64, f64), b: (f64, f64)) -> f64 {
        let (la1, lo1, la2, lo2) = (
            a.0.to_radians(),
            a.1.to_radians(),
            b.0.to_radians(),
            b.1.to_radians(),
        );
        let h = ((la2 - la1) / 2.0).sin().powi(2)
            + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
        2.0 * 6371.0 * h.sqrt().min(1.0).asin()
    }
}

impl TravelTime for Haversine {
    fn time(&self, a: (f64, f64), b: (f64, f64)) -> f64 {
        Haversine::km(a, b) * self.road_factor / self.speed_kmh * 60.0
    }
}

/// A matrix computed by an external routing engine (OSRM, Valhalla…) for a
/// fixed list of places; a place not in the list falls back to `fallback`.
pub struct Table<F: TravelTime> {
    places: Vec<(f64, f64)>,
    minutes: Vec<f64>,
    pub fallback: F,
}

/// Why a matrix file was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TableError {
    pub line: usize,
    pub message: String,
}

impl<F: TravelTime> Table<F> {
    /// Text: first line the place count P, then P lines `lat lon`, then P lines
    /// of P minutes each (row = from).
    pub fn parse(text: &str, fallback: F) -> Result<Table<F>, TableError> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty());
        let bad = |line: usize, m: &str| TableError {
            line,
            message: m.to_string(),
        };
        let (hl, head) = lines.next().ok_or_else(|| bad(1, "empty matrix file"))?;
        let p: usize = head
            .parse()
            .map_err(|_| bad(hl, "first line: the number of places"))?;
        let mut places = Vec::with_capacity(p);
        for _ in 0..p {
            let (l, t) = lines
                .next()
                .ok_or_else(|| bad(hl, "fewer place lines than announced"))?;
            let f: Vec<f64> = t
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect();
            if f.len() != 2 {
                return Err(bad(l, "expected `latitude longitude`"));
            }
            places.push((f[0], f[1]));
        }
        let mut minutes = Vec::with_capacity(p * p);
        for _ in 0..p {
            let (l, t) = lines
                .next()
                .ok_or_else(|| bad(hl, "fewer matrix rows than places"))?;
            let row: Vec<f64> = t
                .split_whitespace()
                .map(|v| v.parse::<f64>().ok().filter(|m| m.is_finite() && *m >= 0.0))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad(l, "a matrix entry is not a number ≥ 0"))?;
            if row.len() != p {
                return Err(bad(l, "a matrix row needs one entry per place"));
            }
            minutes.extend(row);
        }
        Ok(Table {
            places,
            minutes,
            fallback,
        })
    }

    fn index(&self, a: (f64, f64)) -> Option<usize> {
        self.places
            .iter()
            .position(|p| (p.0 - a.0).abs() < 1e-9 && (p.1 - a.1).abs() < 1e-9)
    }
}

impl<F: TravelTime> TravelTime for Table<F> {
    fn time(&self, a: (f64, f64), b: (f64, f64)) -> f64 {
        match (self.index(a), self.index(b)) {
            (Some(i), Some(j)) => self.minutes[i * self.places.len() + j],
            _ => self.fallback.time(a, b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_is_sane_and_the_table_wins_when_it_knows_both_places() {
        // Iida station to Iida city hall: ~1.1 km in a straight line.
        let (station, hall) = ((35.5186, 137.8205), (35.5148, 137.8217));
        let km = Haversine::km(station, hall);
        assert!((0.3..0.6).contains(&km), "{km}");
        let h = Haversine::default();
        assert!((h.time(station, hall) - km * 1.3 / 30.0 * 60.0).abs() < 1e-9);
        let t = Table::parse(
            "2\n35.5186 137.8205\n35.5148 137.8217\n0 4.5\n5 0\n",
            Haversine::default(),
        )
        .unwrap();
        assert_eq!(t.time(station, hall), 4.5);
        assert_eq!(t.time(hall, station), 5.0);
        let elsewhere = (35.6, 137.9);
        assert_eq!(t.time(station, elsewhere), h.time(station, elsewhere));
        assert_eq!(
            Table::parse("2\n1 2\n3 4\n0 1\n1\n", Euclidean)
                .err()
                .unwrap()
                .line,
            5
        );
    }
}
