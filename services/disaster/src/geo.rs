//! District boundaries for the headquarters' map: read from the GeoJSON the
//! operator imports (a FeatureCollection of Polygons and MultiPolygons, one
//! feature per district, its name in a property), drawn as SVG paths — no map
//! tiles, no JavaScript.

use serde_json::Value;

/// Rings of (longitude, latitude); holes are rings too (drawn even-odd).
pub type Rings = Vec<Vec<(f64, f64)>>;

/// At most this many points in one file: a district map, not a country.
pub const MAX_POINTS: usize = 200_000;

fn ring(v: &Value) -> Option<Vec<(f64, f64)>> {
    v.as_array()?
        .iter()
        .map(|p| {
            let p = p.as_array()?;
            let (x, y) = (p.first()?.as_f64()?, p.get(1)?.as_f64()?);
            ((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)).then_some((x, y))
        })
        .collect()
}

fn polygon(v: &Value) -> Option<Rings> {
    v.as_array()?.iter().map(ring).collect()
}

/// (district name, rings) per feature, merged by name, in file order.
pub fn districts(text: &str, name_property: &str) -> Result<Vec<(String, Rings)>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err("not a GeoJSON FeatureCollection".into());
    }
    let features = v
        .get("features")
        .and_then(Value::as_array)
        .ok_or("no features")?;
    let mut out: Vec<(String, Rings)> = Vec::new();
    let mut points = 0;
    for (i, f) in features.iter().enumerate() {
        let name = f
            .get("properties")
            .and_then(|p| p.get(name_property))
            .and_then(|n| match n {
                Value::String(s) => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("feature {}: no property {name_property:?}", i + 1))?;
        let g = f
            .get("geometry")
            .ok_or_else(|| format!("feature {} ({name}): no geometry", i + 1))?;
        let coords = g.get("coordinates");
        let rings: Rings = match g.get("type").and_then(Value::as_str) {
            Some("Polygon") => coords.and_then(polygon),
            Some("MultiPolygon") => coords.and_then(Value::as_array).and_then(|ps| {
                ps.iter()
                    .map(polygon)
                    .collect::<Option<Vec<Rings>>>()
                    .map(|v| v.concat())
            }),
            other => {
                return Err(format!(
                    "feature {} ({name}): a {} is not a district's shape",
                    i + 1,
                    other.unwrap_or("geometry without a type")
                ));
            }
        }
        .ok_or_else(|| {
            format!(
                "feature {} ({name}): coordinates are not longitude, latitude pairs",
                i + 1
            )
        })?;
        points += rings.iter().map(Vec::len).sum::<usize>();
        if points > MAX_POINTS {
            return Err(format!("more than {MAX_POINTS} points"));
        }
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, r)) => r.extend(rings),
            None => out.push((name, rings)),
        }
    }
    if out.is_empty() {
        return Err("no districts".into());
    }
    Ok(out)
}

/// One district drawn: its SVG path and where to write its name.
#[derive(Clone, Debug, PartialEq)]
pub struct Drawn {
    pub name: String,
    pub d: String,
    pub label: (f64, f64),
}

/// All districts fitted into `width` × `height` (equirectangular, with the
/// longitude shrunk by the cosine of the middle latitude, north up).
pub fn draw(districts: &[(String, Rings)], width: f64, height: f64) -> Vec<Drawn> {
    let all = districts.iter().flat_map(|(_, r)| r.iter().flatten());
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in all {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    if x0 > x1 {
        return Vec::new();
    }
    let k = ((y0 + y1) / 2.0).to_radians().cos();
    let (w, h) = (((x1 - x0) * k).max(1e-9), (y1 - y0).max(1e-9));
    let scale = (width / w).min(height / h);
    let at = |(x, y): (f64, f64)| ((x - x0) * k * scale, (y1 - y) * scale);
    districts
        .iter()
        .map(|(name, rings)| {
            let mut d = String::new();
            let (mut lx0, mut ly0, mut lx1, mut ly1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for r in rings {
                for (i, p) in r.iter().enumerate() {
                    let (px, py) = at(*p);
                    (lx0, ly0, lx1, ly1) = (lx0.min(px), ly0.min(py), lx1.max(px), ly1.max(py));
                    d.push_str(&format!(
                        "{}{px:.1},{py:.1}",
                        if i == 0 { "M" } else { "L" }
                    ));
                }
                d.push('Z');
            }
            Drawn {
                name: name.clone(),
                d,
                label: ((lx0 + lx1) / 2.0, (ly0 + ly1) / 2.0),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygons_and_multipolygons_are_read_merged_and_fitted() {
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"name":"仁科"},"geometry":{"type":"Polygon","coordinates":[[[138.0,35.0],[138.1,35.0],[138.1,35.1],[138.0,35.0]]]}},
          {"type":"Feature","properties":{"name":"宇久須"},"geometry":{"type":"MultiPolygon","coordinates":[[[[138.1,35.0],[138.2,35.0],[138.2,35.1],[138.1,35.0]]],[[[138.3,35.0],[138.4,35.0],[138.4,35.1],[138.3,35.0]]]]}},
          {"type":"Feature","properties":{"name":"仁科"},"geometry":{"type":"Polygon","coordinates":[[[138.0,35.1],[138.1,35.1],[138.0,35.2],[138.0,35.1]]]}}
        ]}"#;
        let d = districts(text, "name").unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].0, "仁科");
        assert_eq!(d[0].1.len(), 2, "two features merged");
        assert_eq!(d[1].1.len(), 2, "a MultiPolygon's polygons");
        let drawn = draw(&d, 600.0, 400.0);
        assert!(drawn[0].d.starts_with("M0.0,"), "{}", drawn[0].d);
        for p in &drawn {
            for n in p.d.split(['M', 'L', 'Z', ',']).filter(|s| !s.is_empty()) {
                let v: f64 = n.parse().unwrap();
                assert!((0.0..=600.0).contains(&v), "{v} outside the picture");
            }
        }
        assert!(districts(text, "名前").unwrap_err().contains("no property"));
        assert!(districts(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#, "name").unwrap_err().contains("Point"));
        assert!(districts("[1,2]", "name").is_err());
    }
}
