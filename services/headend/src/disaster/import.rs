//! A municipality's shelters from its open-data CSV (自治体標準オープンデータ
//! セット 指定緊急避難場所一覧): columns found by their headings, so both the
//! 2019 layout (ID, 名称, 所在地_連結表記, …, 洪水, 地震, …) and the current
//! one (NO, 指定緊急避難場所名, 所在地_連結表記, …, 災害種別_洪水, …) read.
//! A row that cannot be read is named with its line and why; nothing is
//! stored unless every row reads.

use std::collections::BTreeSet;

use engawa_disaster::policy::ShelterUse;

use super::db::NewShelter;

/// A bad row: its line in the file (1 = the headings) and why.
pub type RowError = (u64, String);

fn find(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    headers
        .iter()
        .position(|h| names.contains(&h.trim().trim_start_matches('\u{feff}')))
}

/// Reads the file; `Err` lists every bad row (or the missing headings).
pub fn shelters_csv(text: &str) -> Result<Vec<NewShelter>, Vec<RowError>> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = r.headers().map_err(|e| vec![(1, e.to_string())])?.clone();
    let id = find(&headers, &["ID", "NO", "No", "番号"]);
    let name = find(&headers, &["名称", "指定緊急避難場所名", "施設名"]);
    let address = find(&headers, &["所在地", "所在地_連結表記", "住所"]);
    let lat = find(&headers, &["緯度"]);
    let lon = find(&headers, &["経度"]);
    let capacity = find(&headers, &["想定収容人数", "収容人数"]);
    let uses: Vec<(ShelterUse, usize)> = ShelterUse::ALL
        .into_iter()
        .filter_map(|u| {
            find(&headers, &[u.column(), &format!("災害種別_{}", u.column())]).map(|i| (u, i))
        })
        .collect();
    let missing: Vec<&str> = [("ID", id), ("名称", name), ("所在地", address)]
        .into_iter()
        .filter(|(_, i)| i.is_none())
        .map(|(n, _)| n)
        .collect();
    if !missing.is_empty() {
        return Err(vec![(1, format!("no column for {}", missing.join(", ")))]);
    }
    let (id, name, address) = (id.unwrap_or(0), name.unwrap_or(0), address.unwrap_or(0));
    let mut out = Vec::new();
    let mut bad = Vec::new();
    let mut ids = BTreeSet::new();
    for rec in r.records() {
        let rec = match rec {
            Ok(rec) => rec,
            Err(e) => {
                bad.push((e.position().map_or(0, |p| p.line()), e.to_string()));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        let cell = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("").trim();
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let source_id = cell(Some(id)).to_string();
        let shelter_name = cell(Some(name)).to_string();
        if source_id.is_empty() || shelter_name.is_empty() {
            bad.push((line, "the ID or the name is empty".into()));
            continue;
        }
        if !ids.insert(source_id.clone()) {
            bad.push((line, format!("ID {source_id} appears twice")));
            continue;
        }
        let number = |i: Option<usize>, what: &str, range: std::ops::RangeInclusive<f64>| {
            let v = cell(i);
            if v.is_empty() {
                return Ok(None);
            }
            match v.parse::<f64>() {
                Ok(x) if range.contains(&x) => Ok(Some(x)),
                _ => Err(format!("{what} {v:?} is not a number in {range:?}")),
            }
        };
        let read = (|| -> Result<NewShelter, String> {
            let lat = number(lat, "緯度", -90.0..=90.0)?;
            let lon = number(lon, "経度", -180.0..=180.0)?;
            if lat.is_some() != lon.is_some() {
                return Err("緯度 and 経度 go together".into());
            }
            let capacity = number(capacity, "想定収容人数", 0.0..=1_000_000.0)?.map(|c| c as i64);
            Ok(NewShelter {
                source_id: source_id.clone(),
                name: shelter_name.clone(),
                address: cell(Some(address)).to_string(),
                lat,
                lon,
                capacity,
                uses: uses
                    .iter()
                    .filter(|(_, i)| {
                        matches!(cell(Some(*i)), "1" | "○" | "◎" | "〇" | "true" | "TRUE")
                    })
                    .map(|(u, _)| *u)
                    .collect(),
            })
        })();
        match read {
            Ok(s) => out.push(s),
            Err(why) => bad.push((line, why)),
        }
    }
    if bad.is_empty() { Ok(out) } else { Err(bad) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_layouts_read_and_bad_rows_are_named() {
        let old = "\u{feff}ID,名称,所在地,緯度,経度,洪水,崖崩れ、土石流及び地滑り,地震,津波,想定収容人数\n\
                   1,仁科小学校,西伊豆町仁科1,34.77,138.77,1,,1,,300\n\
                   2,高台公園,西伊豆町仁科9,34.78,138.78,,,,1,\n";
        let s = shelters_csv(old).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0].uses,
            [ShelterUse::Flood, ShelterUse::Earthquake].into()
        );
        assert_eq!(s[0].capacity, Some(300));
        assert_eq!(s[1].uses, [ShelterUse::Tsunami].into());
        let new = "NO,指定緊急避難場所名,所在地_連結表記,緯度,経度,災害種別_洪水,災害種別_地震\n\
                   10,宇久須公民館,西伊豆町宇久須2,34.8,138.8,○,◎\n";
        let s = shelters_csv(new).unwrap();
        assert_eq!(s[0].source_id, "10");
        assert_eq!(
            s[0].uses,
            [ShelterUse::Flood, ShelterUse::Earthquake].into()
        );
        let bad = "ID,名称,所在地,緯度,経度\n1,A,x,north,138\n1,B,y,,\n2,C,z,34,\n";
        let e = shelters_csv(bad).unwrap_err();
        assert_eq!(
            e.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            [2, 3, 4],
            "{e:?}"
        );
        assert!(
            shelters_csv("名称,所在地\nA,x\n").unwrap_err()[0]
                .1
                .contains("ID")
        );
    }
}
