//! Money. Always whole yen in an `i64`, never floats.

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Yen(pub i64);

impl Yen {
    /// 「1,280円」 — the way prices are written on the TV.
    pub fn to_ja(self) -> String {
        let mut out = self.grouped();
        out.push('円');
        out
    }

    /// "1,280 yen", for the English screens and logs.
    pub fn to_en(self) -> String {
        format!("{} yen", self.grouped())
    }

    /// The amount with thousands separators: 「1,280」.
    fn grouped(self) -> String {
        let digits = self.0.unsigned_abs().to_string();
        let mut out = String::new();
        if self.0 < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}

impl std::ops::Add for Yen {
    type Output = Yen;
    fn add(self, rhs: Yen) -> Yen {
        Yen(self.0 + rhs.0)
    }
}

impl std::ops::Sub for Yen {
    type Output = Yen;
    fn sub(self, rhs: Yen) -> Yen {
        Yen(self.0 - rhs.0)
    }
}

impl std::ops::AddAssign for Yen {
    fn add_assign(&mut self, rhs: Yen) {
        self.0 += rhs.0;
    }
}

/// A price times a quantity (or a fare times people).
impl std::ops::Mul<i64> for Yen {
    type Output = Yen;
    fn mul(self, n: i64) -> Yen {
        Yen(self.0 * n)
    }
}

impl std::iter::Sum for Yen {
    fn sum<I: Iterator<Item = Yen>>(iter: I) -> Yen {
        Yen(iter.map(|y| y.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yen_is_written_with_thousands_separators() {
        for (v, s) in [
            (0, "0円"),
            (500, "500円"),
            (1000, "1,000円"),
            (1280, "1,280円"),
            (1234567, "1,234,567円"),
            (-250, "-250円"),
        ] {
            assert_eq!(Yen(v).to_ja(), s);
            assert_eq!(Yen(v).to_en(), s.replace('円', " yen"));
        }
    }

    #[test]
    fn yen_adds_up() {
        assert_eq!([Yen(500), Yen(250)].into_iter().sum::<Yen>(), Yen(750));
        assert_eq!(Yen(180) * 3 - Yen(40), Yen(500));
    }
}
