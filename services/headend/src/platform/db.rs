//! The platform's part of the head-end database: the monthly cost, the
//! contribution key and each municipality's counts for a month.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::contributions::{Basis, Key};
use crate::db::{Db, ts};

/// The counts of one month, and the households no municipality has (they
/// are in nobody's share).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthBasis {
    pub municipalities: Vec<Basis>,
    pub households_without: i64,
}

/// The instant a Tokyo day starts.
fn tokyo_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_local_timezone(engawa_core::TOKYO)
        .single()
        .expect("Tokyo has no gaps")
        .with_timezone(&Utc)
}

impl Db {
    /// Sets the month's cost; returns the one it replaces.
    pub async fn set_platform_cost(
        &self,
        month: &str,
        yen: i64,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let before: Option<i64> =
            sqlx::query_scalar("SELECT yen FROM platform_costs WHERE month = $1")
                .bind(month)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO platform_costs (month, yen, entered_at, entered_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (month) DO UPDATE SET yen = $2, entered_at = $3, entered_by = $4",
        )
        .bind(month)
        .bind(yen)
        .bind(ts(now))
        .bind(by)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(before)
    }

    pub async fn platform_cost(&self, month: &str) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar("SELECT yen FROM platform_costs WHERE month = $1")
            .bind(month)
            .fetch_optional(&self.pool)
            .await
    }

    /// The key in force: the one set, or the documented default.
    pub async fn contribution_key(&self) -> Result<Key, sqlx::Error> {
        let row = sqlx::query(
            "SELECT equal, households, boxes, orders, rides FROM contribution_key WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => Key([
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            ]),
            None => Key::default(),
        })
    }

    pub async fn set_contribution_key(
        &self,
        key: Key,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        let k = key.0;
        sqlx::query(
            "INSERT INTO contribution_key (id, equal, households, boxes, orders, rides, set_at, set_by)
             VALUES (1, $1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET equal = $1, households = $2, boxes = $3,
                 orders = $4, rides = $5, set_at = $6, set_by = $7",
        )
        .bind(k[0])
        .bind(k[1])
        .bind(k[2])
        .bind(k[3])
        .bind(k[4])
        .bind(ts(now))
        .bind(by)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Each municipality's counts for the month from `first` to `last`
    /// (Tokyo days), in code order — see `contributions` for what counts.
    pub async fn contribution_basis(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<MonthBasis, sqlx::Error> {
        let start = ts(tokyo_start(first));
        let end = ts(tokyo_start(last.succ_opt().expect("a day after"))) - 1;
        let (f, l) = (first.to_string(), last.to_string());
        let rows = sqlx::query(
            "SELECT m.code, m.name,
                (SELECT COUNT(*) FROM households h
                 WHERE h.municipality = m.code AND h.created_at <= $2),
                (SELECT COUNT(*) FROM boxes b JOIN households h ON h.id = b.household_id
                 WHERE h.municipality = m.code AND b.created_at <= $2
                   AND (b.revoked_at IS NULL OR b.revoked_at >= $1)),
                (SELECT COUNT(*) FROM orders o JOIN households h ON h.id = o.household_id
                 WHERE h.municipality = m.code AND o.cancelled_at IS NULL
                   AND o.delivery_day BETWEEN $3 AND $4),
                (SELECT COUNT(*) FROM rides r JOIN households h ON h.id = r.household_id
                 WHERE h.municipality = m.code AND r.state = 'booked'
                   AND r.day BETWEEN $3 AND $4)
             FROM municipalities m ORDER BY m.code",
        )
        .bind(start)
        .bind(end)
        .bind(&f)
        .bind(&l)
        .fetch_all(&self.pool)
        .await?;
        let mut municipalities = Vec::with_capacity(rows.len());
        for r in &rows {
            municipalities.push(Basis {
                code: r.try_get(0)?,
                name: r.try_get(1)?,
                counts: [
                    1,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                    r.try_get(5)?,
                ],
            });
        }
        let households_without = sqlx::query_scalar(
            "SELECT COUNT(*) FROM households WHERE municipality IS NULL AND created_at <= $1",
        )
        .bind(end)
        .fetch_one(&self.pool)
        .await?;
        Ok(MonthBasis {
            municipalities,
            households_without,
        })
    }
}
