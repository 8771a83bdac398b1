//! NGSI-LD's query language (ETSI GS CIM 009 §4.9), the part the city
//! platform asks of a read-only source: `q` with `==`, `!=`, `>`, `>=`, `<`,
//! `<=`, `~=` (a regular expression is refused: a plain substring is
//! matched), `;` (and, binding tighter), `|` (or), parentheses, values as
//! numbers, `"strings"`, `true`/`false`, ranges `a..b` and lists `a,b`; an
//! attribute alone asks that it exists; `a.b` reaches into an object. And
//! `georel=near;maxDistance==M` (or `minDistance`) around a `Point`. Pure:
//! evaluated against an entity in its key-values form.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    And(Vec<Query>),
    Or(Vec<Query>),
    Has(Vec<String>),
    Compare(Vec<String>, Op, Target),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Contains,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    One(Value),
    List(Vec<Value>),
    Range(Value, Value),
}

/// Why a query was refused: said back to the client as `BadRequestData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest `q` taken, and how deep its parentheses may go.
const MAX_LEN: usize = 2000;
const MAX_DEPTH: usize = 16;

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
    depth: usize,
}

fn err<T>(why: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError(why.into()))
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Query, QueryError> {
        let mut parts = vec![self.and()?];
        while self.eat(b'|') {
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Query::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Query, QueryError> {
        let mut parts = vec![self.term()?];
        while self.eat(b';') {
            parts.push(self.term()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Query::And(parts)
        })
    }

    fn term(&mut self) -> Result<Query, QueryError> {
        if self.eat(b'(') {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return err("q: parentheses too deep");
            }
            let q = self.or()?;
            if !self.eat(b')') {
                return err(format!("q: a ')' is missing at {}", self.at));
            }
            self.depth -= 1;
            return Ok(q);
        }
        let path = self.attribute()?;
        let Some(op) = self.op() else {
            return Ok(Query::Has(path));
        };
        let target = self.target()?;
        if op == Op::Contains && !matches!(target, Target::One(Value::String(_))) {
            return err("q: ~= takes one quoted string");
        }
        Ok(Query::Compare(path, op, target))
    }

    fn attribute(&mut self) -> Result<Vec<String>, QueryError> {
        let start = self.at;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || b"_.:".contains(&b) {
                self.at += 1;
            } else {
                break;
            }
        }
        let name = std::str::from_utf8(&self.s[start..self.at]).unwrap_or_default();
        if name.is_empty() || name.split('.').any(str::is_empty) {
            return err(format!("q: an attribute name is expected at {start}"));
        }
        Ok(name.split('.').map(str::to_owned).collect())
    }

    fn op(&mut self) -> Option<Op> {
        let rest = &self.s[self.at..];
        let (op, len) = [
            (b"==".as_slice(), Op::Eq),
            (b"!=", Op::Ne),
            (b">=", Op::Ge),
            (b"<=", Op::Le),
            (b"~=", Op::Contains),
            (b">", Op::Gt),
            (b"<", Op::Lt),
        ]
        .into_iter()
        .find(|(t, _)| rest.starts_with(t))
        .map(|(t, op)| (op, t.len()))?;
        self.at += len;
        Some(op)
    }

    fn value(&mut self) -> Result<Value, QueryError> {
        if self.eat(b'"') {
            let start = self.at;
            while let Some(b) = self.peek() {
                if b == b'"' {
                    break;
                }
                self.at += 1;
            }
            if !self.eat(b'"') {
                return err("q: a string is not closed");
            }
            let s = std::str::from_utf8(&self.s[start..self.at - 1])
                .map_err(|_| QueryError("q: not UTF-8".into()))?;
            return Ok(Value::String(s.to_owned()));
        }
        let start = self.at;
        while let Some(b) = self.peek() {
            if b"|;(),".contains(&b) || (b == b'.' && self.s.get(self.at + 1) == Some(&b'.')) {
                break;
            }
            self.at += 1;
        }
        let raw = std::str::from_utf8(&self.s[start..self.at]).unwrap_or_default();
        match raw {
            "" => err(format!("q: a value is expected at {start}")),
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => match raw.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(serde_json::json!(n)),
                // Dates and times are compared as text (ISO 8601 sorts).
                _ if raw
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b":-+TZ".contains(&b)) =>
                {
                    Ok(Value::String(raw.to_owned()))
                }
                _ => err(format!("q: {raw:?} is not a value (quote strings)")),
            },
        }
    }

    fn target(&mut self) -> Result<Target, QueryError> {
        let first = self.value()?;
        if self.s[self.at..].starts_with(b"..") {
            self.at += 2;
            return Ok(Target::Range(first, self.value()?));
        }
        if self.peek() == Some(b',') {
            let mut list = vec![first];
            while self.eat(b',') {
                list.push(self.value()?);
            }
            return Ok(Target::List(list));
        }
        Ok(Target::One(first))
    }
}

impl Query {
    pub fn parse(q: &str) -> Result<Query, QueryError> {
        if q.len() > MAX_LEN {
            return err("q: too long");
        }
        let mut p = Parser {
            s: q.as_bytes(),
            at: 0,
            depth: 0,
        };
        let query = p.or()?;
        if p.at != q.len() {
            return err(format!("q: unexpected text at {}", p.at));
        }
        Ok(query)
    }

    /// Whether an entity (key-values: attribute → value) matches.
    pub fn matches(&self, entity: &Value) -> bool {
        match self {
            Query::And(parts) => parts.iter().all(|q| q.matches(entity)),
            Query::Or(parts) => parts.iter().any(|q| q.matches(entity)),
            Query::Has(path) => lookup(entity, path).is_some(),
            Query::Compare(path, op, target) => match lookup(entity, path) {
                None => *op == Op::Ne,
                // An array matches when one of its values does.
                Some(Value::Array(items)) => match op {
                    Op::Ne => items.iter().all(|v| !equal_to(v, target)),
                    _ => items.iter().any(|v| compare(v, *op, target)),
                },
                Some(v) => compare(v, *op, target),
            },
        }
    }
}

fn lookup<'v>(entity: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter()
        .try_fold(entity, |v, key| v.get(key))
        .filter(|v| !v.is_null())
}

fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn equal_to(v: &Value, target: &Target) -> bool {
    use std::cmp::Ordering::*;
    match target {
        Target::One(t) => order(v, t) == Some(Equal),
        Target::List(ts) => ts.iter().any(|t| order(v, t) == Some(Equal)),
        Target::Range(lo, hi) => {
            matches!(order(v, lo), Some(Greater | Equal))
                && matches!(order(v, hi), Some(Less | Equal))
        }
    }
}

fn compare(v: &Value, op: Op, target: &Target) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => equal_to(v, target),
        Op::Ne => !equal_to(v, target),
        Op::Contains => match (v, target) {
            (Value::String(s), Target::One(Value::String(t))) => s.contains(t.as_str()),
            _ => false,
        },
        _ => {
            let Target::One(t) = target else { return false };
            matches!(
                (op, order(v, t)),
                (Op::Gt, Some(Greater))
                    | (Op::Lt, Some(Less))
                    | (Op::Ge, Some(Greater | Equal))
                    | (Op::Le, Some(Less | Equal))
            )
        }
    }
}

/// `georel=near;maxDistance==M&geometry=Point&coordinates=[lon,lat]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub lon: f64,
    pub lat: f64,
    pub max_m: Option<f64>,
    pub min_m: Option<f64>,
}

impl Near {
    pub fn parse(
        georel: &str,
        geometry: Option<&str>,
        coordinates: Option<&str>,
    ) -> Result<Near, QueryError> {
        let mut parts = georel.split(';');
        if parts.next() != Some("near") {
            return err("georel: only near;maxDistance==M or near;minDistance==M is offered");
        }
        let (mut max_m, mut min_m) = (None, None);
        for p in parts {
            let (k, v) = p
                .split_once("==")
                .ok_or_else(|| QueryError(format!("georel: {p:?}")))?;
            let m: f64 = v
                .parse()
                .ok()
                .filter(|m: &f64| m.is_finite() && *m >= 0.0)
                .ok_or_else(|| QueryError(format!("georel: {v:?} is not a distance in metres")))?;
            match k {
                "maxDistance" => max_m = Some(m),
                "minDistance" => min_m = Some(m),
                _ => return err(format!("georel: {k:?}")),
            }
        }
        if max_m.is_none() && min_m.is_none() {
            return err("georel: near needs maxDistance or minDistance");
        }
        if geometry != Some("Point") {
            return err("geometry: near is measured from a Point");
        }
        let c: Vec<f64> = coordinates
            .and_then(|c| serde_json::from_str(c).ok())
            .ok_or_else(|| QueryError("coordinates: [longitude,latitude]".into()))?;
        let [lon, lat] = c[..] else {
            return err("coordinates: [longitude,latitude]");
        };
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return err("coordinates: out of range");
        }
        Ok(Near {
            lon,
            lat,
            max_m,
            min_m,
        })
    }

    /// Whether a GeoJSON geometry (Point, or Polygon: its nearest corner, or
    /// zero inside) is within the distances.
    pub fn admits(&self, geometry: &Value) -> bool {
        let Some(d) = distance_m((self.lon, self.lat), geometry) else {
            return false;
        };
        self.max_m.is_none_or(|m| d <= m) && self.min_m.is_none_or(|m| d >= m)
    }
}

fn point(v: &Value) -> Option<(f64, f64)> {
    Some((v.get(0)?.as_f64()?, v.get(1)?.as_f64()?))
}

/// Great-circle distance in metres.
pub fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lon1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lon2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().asin()
}

fn inside(p: (f64, f64), ring: &[(f64, f64)]) -> bool {
    let mut inside = false;
    for i in 0..ring.len() {
        let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
        if (a.1 > p.1) != (b.1 > p.1) && p.0 < (b.0 - a.0) * (p.1 - a.1) / (b.1 - a.1) + a.0 {
            inside = !inside;
        }
    }
    inside
}

fn distance_m(from: (f64, f64), geometry: &Value) -> Option<f64> {
    let coords = geometry.get("coordinates")?;
    match geometry.get("type")?.as_str()? {
        "Point" => Some(haversine_m(from, point(coords)?)),
        "Polygon" | "MultiPolygon" => {
            let polygons: Vec<&Value> = if geometry["type"] == "Polygon" {
                vec![coords]
            } else {
                coords.as_array()?.iter().collect()
            };
            let mut best = f64::INFINITY;
            for poly in polygons {
                let outer: Vec<(f64, f64)> =
                    poly.get(0)?.as_array()?.iter().filter_map(point).collect();
                if inside(from, &outer) {
                    return Some(0.0);
                }
                for p in outer {
                    best = best.min(haversine_m(from, p));
                }
            }
            best.is_finite().then_some(best)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shelter() -> Value {
        json!({"id": "urn:ngsi-ld:Shelter:1", "status": "open", "capacity": 300,
               "name": "みどり小学校", "suitableFor": ["flood", "earthquake"],
               "address": {"addressLocality": "みどり町"}})
    }

    fn q(s: &str) -> bool {
        Query::parse(s).unwrap().matches(&shelter())
    }

    #[test]
    fn terms_combine_with_and_before_or() {
        assert!(q(r#"status=="open""#));
        assert!(!q(r#"status=="closed""#));
        assert!(q(r#"status!="closed";capacity>=300"#));
        assert!(!q(r#"status=="closed";capacity>=300"#));
        assert!(q(r#"status=="closed"|capacity>100"#));
        assert!(q(r#"status=="closed";capacity>1|capacity<400"#));
        assert!(!q(r#"status=="closed";(capacity>1|capacity<400)"#));
        assert!(q("capacity==100..300"));
        assert!(!q("capacity==301..400"));
        assert!(q(r#"status=="closed","open""#));
        assert!(q("capacity"));
        assert!(!q("crowding"));
        assert!(q(r#"address.addressLocality=="みどり町""#));
        assert!(q(r#"name~="小学校""#));
        assert!(q(r#"suitableFor=="flood""#));
        assert!(!q(r#"suitableFor=="tsunami""#));
        assert!(q(r#"suitableFor!="tsunami""#));
        assert!(q(r#"crowding!="high""#));
    }

    #[test]
    fn bad_queries_say_where() {
        for bad in [
            "",
            "status==",
            r#"status=="open"#,
            "(status==1",
            "status==1)",
            "a..b==1",
            "x~=1",
            r#"status==<script>"#,
        ] {
            assert!(Query::parse(bad).is_err(), "{bad}");
        }
        assert!(Query::parse(&"(".repeat(40)).is_err());
        assert!(Query::parse(&"a;".repeat(1500)).is_err());
    }

    #[test]
    fn near_measures_from_a_point() {
        let n = Near::parse(
            "near;maxDistance==2000",
            Some("Point"),
            Some("[137.80,35.50]"),
        )
        .unwrap();
        assert!(n.admits(&json!({"type": "Point", "coordinates": [137.81, 35.50]})));
        assert!(!n.admits(&json!({"type": "Point", "coordinates": [137.90, 35.50]})));
        let square = json!({"type": "Polygon", "coordinates": [[[137.7,35.4],[137.9,35.4],[137.9,35.6],[137.7,35.6],[137.7,35.4]]]});
        assert!(n.admits(&square));
        let far = Near::parse(
            "near;minDistance==50000",
            Some("Point"),
            Some("[137.80,35.50]"),
        )
        .unwrap();
        assert!(!far.admits(&square));
        assert!(Near::parse("within", Some("Point"), Some("[1,2]")).is_err());
        assert!(Near::parse("near;maxDistance==-1", Some("Point"), Some("[1,2]")).is_err());
        assert!(Near::parse("near;maxDistance==5", Some("Polygon"), Some("[1,2]")).is_err());
        assert!(Near::parse("near;maxDistance==5", Some("Point"), Some("[1]")).is_err());
        let d = haversine_m((137.8, 35.5), (137.81, 35.5));
        assert!((d - 906.0).abs() < 5.0, "{d}");
    }
}
