//! Money the operator collects with the cable-TV fee.
//!
//! Rounding rule: the seller's 10 % fee is computed on the seller's gross sales of
//! the month (not per order) and rounded down to whole yen (切り捨て); the payout
//! is gross minus fee, so fee + payout always equals gross exactly.

use engawa_core::Yen;

/// What each household registered for shopping pays per month.
pub const MONTHLY_FEE: Yen = Yen(1_000);
/// The sellers' fee, in percent of gross sales.
pub const SELLER_FEE_PERCENT: i64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SellerSettlement {
    pub gross: Yen,
    pub fee: Yen,
    pub payout: Yen,
}

pub fn settle_seller(gross: Yen) -> SellerSettlement {
    let fee = Yen(gross.0.max(0) * SELLER_FEE_PERCENT / 100);
    SellerSettlement {
        gross,
        fee,
        payout: Yen(gross.0 - fee.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_rounds_down_and_reconciles() {
        for (gross, fee) in [
            (0, 0),
            (9, 0),
            (10, 1),
            (1_280, 128),
            (1_289, 128),
            (123_456, 12_345),
        ] {
            let s = settle_seller(Yen(gross));
            assert_eq!(s.fee, Yen(fee), "gross {gross}");
            assert_eq!(s.fee.0 + s.payout.0, gross);
        }
    }
}
