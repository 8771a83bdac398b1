//! 負担金: the platform's monthly running cost split among the
//! municipalities that share it, by a key the platform operator sets.
//!
//! The key gives each factor a weight in percent (they add up to 100):
//! - `equal` — 均等割, the same for every municipality;
//! - `households` — households registered by the month's last day;
//! - `boxes` — boxes provisioned by the month's last day and not revoked
//!   before its first;
//! - `orders` — orders delivered in the month (not cancelled);
//! - `rides` — taxi rides booked for a day of the month.
//!
//! Each factor's part of the cost (cost × weight ÷ 100) is shared in
//! proportion to the municipalities' counts of it; a factor nobody has any of
//! in the month is shared equally instead (and the CSV says so). The exact
//! shares are rounded down to the yen and the yen left over go one each to
//! the largest remainders (ties: the lower municipal code), so the shares add
//! up to the cost exactly.

use std::fmt::Write as _;

/// The factors, in the key's and the CSV's order.
pub const FACTORS: [&str; 5] = ["equal", "households", "boxes", "orders", "rides"];

/// Percent per factor, in [`FACTORS`] order; they add up to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key(pub [i64; 5]);

impl Default for Key {
    /// Half by households, a fifth by boxes, the rest by use.
    fn default() -> Key {
        Key([0, 50, 20, 15, 15])
    }
}

impl Key {
    /// A key as the operator typed it; refused with the reason.
    pub fn new(weights: [i64; 5]) -> Result<Key, String> {
        if let Some(i) = weights.iter().position(|w| !(0..=100).contains(w)) {
            return Err(format!(
                "the weight of {} must be 0 to 100, not {}",
                FACTORS[i], weights[i]
            ));
        }
        let sum: i64 = weights.iter().sum();
        if sum != 100 {
            return Err(format!("the weights must add up to 100, not {sum}"));
        }
        Ok(Key(weights))
    }

    /// 「均等割 0・世帯 50・機械 20・注文 15・乗車 15」 (percent), for the console.
    pub fn describe_ja(&self) -> String {
        ["均等割", "世帯", "機械", "注文", "乗車"]
            .iter()
            .zip(self.0)
            .map(|(f, w)| format!("{f} {w}"))
            .collect::<Vec<_>>()
            .join("・")
    }

    /// "equal 0, households 50, boxes 20, orders 15, rides 15".
    pub fn describe(&self) -> String {
        FACTORS
            .iter()
            .zip(self.0)
            .map(|(f, w)| format!("{f} {w}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One municipality's counts in the month, in [`FACTORS`] order (the first,
/// `equal`, is 1 for everyone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basis {
    pub code: String,
    pub name: String,
    pub counts: [i64; 5],
}

#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub code: String,
    pub name: String,
    pub counts: [i64; 5],
    /// The exact share before rounding, in yen.
    pub exact: f64,
    pub yen: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub month: String,
    pub cost: i64,
    pub key: Key,
    pub shares: Vec<Share>,
    /// The factors nobody had any of, shared equally instead.
    pub shared_equally: Vec<&'static str>,
}

impl Split {
    pub fn total(&self) -> i64 {
        self.shares.iter().map(|s| s.yen).sum()
    }
}

/// The cost split by `key` over `basis` (one entry per municipality, each
/// code once). With no municipality there is nothing to split.
pub fn split(month: &str, cost: i64, key: Key, basis: &[Basis]) -> Result<Split, String> {
    if cost < 0 {
        return Err(format!("the cost cannot be negative ({cost} yen)"));
    }
    if basis.is_empty() {
        return Err("no municipality to share the cost".into());
    }
    let n = basis.len() as f64;
    let mut shared_equally = Vec::new();
    let mut exact = vec![0.0f64; basis.len()];
    for (k, factor) in FACTORS.iter().enumerate() {
        let part = cost as f64 * key.0[k] as f64 / 100.0;
        if key.0[k] == 0 {
            continue;
        }
        let total: i64 = basis.iter().map(|b| b.counts[k].max(0)).sum();
        for (i, b) in basis.iter().enumerate() {
            exact[i] += if k == 0 || total == 0 {
                part / n
            } else {
                part * b.counts[k].max(0) as f64 / total as f64
            };
        }
        if k != 0 && total == 0 {
            shared_equally.push(*factor);
        }
    }
    let mut yen: Vec<i64> = exact.iter().map(|e| e.floor() as i64).collect();
    let left = cost - yen.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..basis.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra)
            .then_with(|| basis[a].code.cmp(&basis[b].code))
    });
    // Float sums may leave the floors a yen off either way; what is left (or
    // over) goes round the largest remainders first.
    for step in 0..left.unsigned_abs() as usize {
        let i = order[step % order.len()];
        yen[i] += left.signum();
    }
    let shares = basis
        .iter()
        .zip(exact.iter().zip(yen))
        .map(|(b, (&e, y))| Share {
            code: b.code.clone(),
            name: b.name.clone(),
            counts: b.counts,
            exact: e,
            yen: y,
        })
        .collect();
    Ok(Split {
        month: month.to_string(),
        cost,
        key,
        shares,
        shared_equally,
    })
}

/// `contributions-YYYY-MM.csv`: one row per municipality —
/// `month,municipality,name,households,boxes,orders,rides,exact_yen,share_yen`
/// — then a `total` row (the counts summed, the cost) and the key as a
/// `key` row of the weights (and the factors shared equally).
pub fn csv(s: &Split, bom: bool) -> String {
    let mut out = String::new();
    if bom {
        out.push('\u{feff}');
    }
    out.push_str("month,municipality,name,households,boxes,orders,rides,exact_yen,share_yen\r\n");
    let mut sums = [0i64; 5];
    for sh in &s.shares {
        for (t, c) in sums.iter_mut().zip(sh.counts) {
            *t += c;
        }
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{:.2},{}\r\n",
            s.month,
            sh.code,
            crate::billing::text_cell(&sh.name),
            sh.counts[1],
            sh.counts[2],
            sh.counts[3],
            sh.counts[4],
            sh.exact,
            sh.yen
        );
    }
    let _ = write!(
        out,
        "{},total,,{},{},{},{},{:.2},{}\r\n",
        s.month, sums[1], sums[2], sums[3], sums[4], s.cost as f64, s.cost
    );
    let k = s.key.0;
    let _ = write!(
        out,
        "{},key,equal {} / shared equally: {},{},{},{},{},,\r\n",
        s.month,
        k[0],
        if s.shared_equally.is_empty() {
            "none".to_string()
        } else {
            s.shared_equally.join(" ")
        },
        k[1],
        k[2],
        k[3],
        k[4]
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basis(code: &str, counts: [i64; 4]) -> Basis {
        Basis {
            code: code.into(),
            name: format!("町{code}"),
            counts: [1, counts[0], counts[1], counts[2], counts[3]],
        }
    }

    #[test]
    fn shares_follow_the_key_and_add_up_to_the_yen() {
        // A core city and two towns; 1,000,001 yen does not divide evenly.
        let b = [
            basis("202011", [6000, 5800, 900, 400]),
            basis("203017", [1500, 1400, 200, 80]),
            basis("203025", [500, 480, 60, 20]),
        ];
        let s = split("2026-11", 1_000_001, Key::default(), &b).unwrap();
        assert_eq!(s.total(), 1_000_001);
        let yen: Vec<i64> = s.shares.iter().map(|s| s.yen).collect();
        // households 50 %: 6000/8000 of 500,000.5 = 375,000.375 …
        let want = [
            0.5 * 6000.0 / 8000.0
                + 0.2 * 5800.0 / 7680.0
                + 0.15 * 900.0 / 1160.0
                + 0.15 * 400.0 / 500.0,
            0.5 * 1500.0 / 8000.0
                + 0.2 * 1400.0 / 7680.0
                + 0.15 * 200.0 / 1160.0
                + 0.15 * 80.0 / 500.0,
            0.5 * 500.0 / 8000.0
                + 0.2 * 480.0 / 7680.0
                + 0.15 * 60.0 / 1160.0
                + 0.15 * 20.0 / 500.0,
        ];
        for (y, w) in yen.iter().zip(want) {
            let exact = w * 1_000_001.0;
            assert!((*y as f64 - exact).abs() < 1.0, "{y} vs {exact}");
        }
        assert!(s.shared_equally.is_empty());
    }

    #[test]
    fn the_yen_left_over_go_to_the_largest_remainders() {
        // Three equal municipalities, 100 yen: 33.33… each; one gets 34 —
        // the lowest code, the remainders being equal.
        let b = [
            basis("000003", [1, 1, 1, 1]),
            basis("000001", [1, 1, 1, 1]),
            basis("000002", [1, 1, 1, 1]),
        ];
        let s = split("2026-11", 100, Key::new([100, 0, 0, 0, 0]).unwrap(), &b).unwrap();
        let by: Vec<(&str, i64)> = s.shares.iter().map(|s| (s.code.as_str(), s.yen)).collect();
        assert_eq!(by, [("000003", 33), ("000001", 34), ("000002", 33)]);
        // 2 yen over 3: 0.666… each → the two lowest codes.
        let s = split("2026-11", 2, Key::new([100, 0, 0, 0, 0]).unwrap(), &b).unwrap();
        assert_eq!(
            s.shares.iter().map(|s| s.yen).collect::<Vec<_>>(),
            [0, 1, 1]
        );
    }

    #[test]
    fn a_factor_nobody_has_is_shared_equally_and_said() {
        let b = [
            basis("000001", [10, 10, 0, 0]),
            basis("000002", [30, 30, 0, 0]),
        ];
        let s = split("2026-11", 1000, Key::new([0, 50, 0, 50, 0]).unwrap(), &b).unwrap();
        // households: 125 / 375; orders (none): 250 / 250.
        assert_eq!(
            s.shares.iter().map(|s| s.yen).collect::<Vec<_>>(),
            [375, 625]
        );
        assert_eq!(s.shared_equally, ["orders"]);
        let text = csv(&s, false);
        assert!(text.contains("shared equally: orders"), "{text}");
        assert!(
            text.contains("2026-11,total,,40,40,0,0,1000.00,1000\r\n"),
            "{text}"
        );
    }

    #[test]
    fn a_key_must_add_up_to_a_hundred_and_a_split_needs_someone() {
        assert_eq!(Key::new([0, 50, 20, 15, 15]), Ok(Key::default()));
        assert!(
            Key::new([0, 50, 20, 15, 10])
                .unwrap_err()
                .contains("add up to 100, not 95")
        );
        assert!(
            Key::new([0, 150, -50, 0, 0])
                .unwrap_err()
                .contains("households must be 0 to 100")
        );
        assert!(split("2026-11", 100, Key::default(), &[]).is_err());
        assert!(split("2026-11", -1, Key::default(), &[basis("1", [1, 1, 1, 1])]).is_err());
        // Nothing to pay: everyone pays 0.
        let s = split("2026-11", 0, Key::default(), &[basis("1", [1, 1, 1, 1])]).unwrap();
        assert_eq!(s.shares[0].yen, 0);
    }
}
