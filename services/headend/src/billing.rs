//! The monthly billing export: two CSV files an operator's billing system imports.
//!
//! `households-YYYY-MM.csv` — one row per household registered for shopping on any
//! day of the month, with goods delivered in it, or with taxi rides in it:
//!   `month,household_id,name,monthly_fee_yen,goods_yen,orders,rides,ride_yen,total_yen`
//! (taxi fares are billed with the month, so drivers collect nothing: the
//! manifest says 請求済み).
//! `sellers-YYYY-MM.csv` — one row per seller with sales in the month:
//!   `month,seller_id,name,gross_yen,fee_yen,payout_yen`
//!
//! Goods count in the month of their delivery day; cancelled orders nowhere. The
//! seller fee is 10 % of the month's gross, rounded down (engawa_shop::billing).
//! UTF-8, comma separated, `\r\n` line ends, a byte-order mark on request (for
//! spreadsheet software that needs one to read Japanese). The files reconcile:
//! Σ goods_yen (households) = Σ gross_yen (sellers) = Σ fee_yen + Σ payout_yen.
//!
//! Names are typed by operators and sellers; a cell that starts with `=`, `+`,
//! `-`, `@`, a tab or a carriage return would be read as a formula by the
//! spreadsheet the office opens the export in (CSV injection), so such a text
//! cell gets a leading `'` — which spreadsheets show as text and hide.

use chrono::{Datelike, NaiveDate};

use crate::shop::db::BillingMonth;

/// "2026-11" → the first and last day of that month.
pub fn month_bounds(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (y, m) = month.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let first = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)?
    };
    Some((first, next.pred_opt()?))
}

pub struct Export {
    pub households_csv: Vec<u8>,
    pub sellers_csv: Vec<u8>,
    pub totals: Totals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub households: usize,
    pub monthly_fees: i64,
    pub goods: i64,
    pub rides: i64,
    pub ride_yen: i64,
    pub gross: i64,
    pub fees: i64,
    pub payouts: i64,
}

impl Totals {
    /// Every yen of goods is a yen of some seller's gross, split into fee and payout.
    pub fn reconciles(&self) -> bool {
        self.goods == self.gross && self.fees + self.payouts == self.gross
    }
}

fn writer(bom: bool) -> csv::Writer<Vec<u8>> {
    let start = if bom {
        "\u{feff}".as_bytes().to_vec()
    } else {
        Vec::new()
    };
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(start)
}

/// A text cell as a spreadsheet will read it as text (see the module's notes).
pub fn text_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

pub fn export(month: &str, b: &BillingMonth, bom: bool) -> Result<Export, csv::Error> {
    let mut t = Totals::default();
    let mut w = writer(bom);
    w.write_record([
        "month",
        "household_id",
        "name",
        "monthly_fee_yen",
        "goods_yen",
        "orders",
        "rides",
        "ride_yen",
        "total_yen",
    ])?;
    for h in &b.households {
        t.households += 1;
        t.monthly_fees += h.monthly_fee_yen;
        t.goods += h.goods_yen;
        t.rides += h.rides;
        t.ride_yen += h.ride_yen;
        w.write_record([
            month.to_string(),
            h.household_id.to_string(),
            text_cell(&h.name),
            h.monthly_fee_yen.to_string(),
            h.goods_yen.to_string(),
            h.orders.to_string(),
            h.rides.to_string(),
            h.ride_yen.to_string(),
            (h.monthly_fee_yen + h.goods_yen + h.ride_yen).to_string(),
        ])?;
    }
    let households_csv = w.into_inner().map_err(|e| e.into_error())?;
    let mut w = writer(bom);
    w.write_record([
        "month",
        "seller_id",
        "name",
        "gross_yen",
        "fee_yen",
        "payout_yen",
    ])?;
    for s in &b.sellers {
        t.gross += s.gross_yen;
        t.fees += s.fee_yen;
        t.payouts += s.payout_yen;
        w.write_record([
            month.to_string(),
            s.seller_id.to_string(),
            text_cell(&s.name),
            s.gross_yen.to_string(),
            s.fee_yen.to_string(),
            s.payout_yen.to_string(),
        ])?;
    }
    let sellers_csv = w.into_inner().map_err(|e| e.into_error())?;
    Ok(Export {
        households_csv,
        sellers_csv,
        totals: t,
    })
}

/// Writes an export file readable by its owner only (mode 0600, also when it
/// already existed): exports carry names and amounts of households.
pub fn write_private(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    f.write_all(data)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_a_spreadsheet_would_run_are_written_as_text() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let household = |id, name: &str| crate::shop::db::HouseholdBill {
            household_id: id,
            name: name.into(),
            registered: true,
            monthly_fee_yen: 300,
            goods_yen: 0,
            orders: 0,
            rides: 0,
            ride_yen: 0,
        };
        let month = BillingMonth {
            first: day,
            last: day,
            households: vec![
                household(1, "=HYPERLINK(\"http://x.invalid\",\"山田\")"),
                household(2, "+81-265"),
                household(3, "-2+3"),
                household(4, "\tcmd"),
                household(5, "山田 花子"),
            ],
            sellers: vec![crate::shop::db::SellerBill {
                seller_id: 7,
                name: "@SUM(1+1)".into(),
                gross_yen: 0,
                fee_yen: 0,
                payout_yen: 0,
            }],
        };
        let e = export("2026-11", &month, false).unwrap();
        let names = |csv: &[u8]| -> Vec<String> {
            csv::Reader::from_reader(csv)
                .records()
                .map(|r| r.unwrap()[2].to_string())
                .collect()
        };
        assert_eq!(
            names(&e.households_csv),
            [
                "'=HYPERLINK(\"http://x.invalid\",\"山田\")",
                "'+81-265",
                "'-2+3",
                "'\tcmd",
                "山田 花子"
            ]
        );
        assert_eq!(names(&e.sellers_csv), ["'@SUM(1+1)"]);
    }

    #[test]
    fn month_bounds_cover_whole_months() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(month_bounds("2026-11"), d(2026, 11, 1).zip(d(2026, 11, 30)));
        assert_eq!(month_bounds("2026-12"), d(2026, 12, 1).zip(d(2026, 12, 31)));
        assert_eq!(month_bounds("2028-02"), d(2028, 2, 1).zip(d(2028, 2, 29)));
        for bad in ["2026-13", "2026-1", "26-11", "2026/11", "", "november"] {
            assert_eq!(month_bounds(bad), None, "{bad}");
        }
    }
}
