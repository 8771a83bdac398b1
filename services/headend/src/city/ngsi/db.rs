//! NGSI-LD's SQL (`impl Db`): the per-district counts the aggregates are
//! made of, and the subscriptions with what each was last told.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use crate::db::{Db, Scope as Reach, from_ts, ts};

/// A subscription as stored: its body (what the client asked, checked) and
/// how its notifications went.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSubscription {
    pub id: String,
    pub client_id: i64,
    pub body: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub times_sent: i64,
    pub last_notification: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_failure: Option<DateTime<Utc>>,
    pub last_failure_reason: Option<String>,
}

fn stored_from(r: &crate::db::engine::Row) -> Result<StoredSubscription, sqlx::Error> {
    Ok(StoredSubscription {
        id: r.try_get("id")?,
        client_id: r.try_get("client_id")?,
        body: serde_json::from_str(&r.try_get::<String, _>("body")?)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        created_at: from_ts(r.try_get("created_at")?).unwrap_or_default(),
        times_sent: r.try_get("times_sent")?,
        last_notification: from_ts(r.try_get("last_notification")?),
        last_success: from_ts(r.try_get("last_success")?),
        last_failure: from_ts(r.try_get("last_failure")?),
        last_failure_reason: r.try_get("last_failure_reason")?,
    })
}

const SUBSCRIPTION_COLUMNS: &str = "id, client_id, body, created_at, times_sent, last_notification, last_success, last_failure, last_failure_reason";

impl Db {
    /// Registered households per (municipality, district).
    pub async fn households_per_district(
        &self,
        reach: &Reach,
    ) -> Result<BTreeMap<(String, String), i64>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT municipality, district, COUNT(*) AS n FROM households
             WHERE municipality IS NOT NULL AND ($1 = '*' OR municipality = $1)
             GROUP BY municipality, district",
        )
        .bind(reach.bind())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(((r.try_get(0)?, r.try_get(1)?), r.try_get(2)?)))
            .collect()
    }

    /// Orders delivered and taxi rides booked per (municipality, district,
    /// day) from `since` on, cancelled ones left out.
    pub async fn activity_per_district_day(
        &self,
        reach: &Reach,
        since: NaiveDate,
    ) -> Result<BTreeMap<(String, String, String), (i64, i64)>, sqlx::Error> {
        let since = since.format("%Y-%m-%d").to_string();
        let mut out: BTreeMap<(String, String, String), (i64, i64)> = BTreeMap::new();
        for (sql, rides) in [
            (
                "SELECT h.municipality, h.district, o.delivery_day, COUNT(*) FROM orders o
                 JOIN households h ON h.id = o.household_id
                 WHERE o.cancelled_at IS NULL AND o.delivery_day >= $1
                   AND h.municipality IS NOT NULL AND ($2 = '*' OR h.municipality = $2)
                 GROUP BY h.municipality, h.district, o.delivery_day",
                false,
            ),
            (
                "SELECT h.municipality, h.district, r.day, COUNT(*) FROM rides r
                 JOIN households h ON h.id = r.household_id
                 WHERE r.state = 'booked' AND r.day >= $1
                   AND h.municipality IS NOT NULL AND ($2 = '*' OR h.municipality = $2)
                 GROUP BY h.municipality, h.district, r.day",
                true,
            ),
        ] {
            let rows = sqlx::query(sql)
                .bind(&since)
                .bind(reach.bind())
                .fetch_all(&self.pool)
                .await?;
            for r in &rows {
                let key = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                let n: i64 = r.try_get(3)?;
                let e = out.entry(key).or_default();
                if rides {
                    e.1 += n;
                } else {
                    e.0 += n;
                }
            }
        }
        Ok(out)
    }

    pub async fn add_subscription(
        &self,
        id: &str,
        client_id: i64,
        body: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "INSERT INTO city_subscriptions (id, client_id, body, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(client_id)
        .bind(body.to_string())
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A client's subscriptions (`None`: every client's, for the notifier).
    pub async fn subscriptions(
        &self,
        client_id: Option<i64>,
    ) -> Result<Vec<StoredSubscription>, sqlx::Error> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM city_subscriptions
             WHERE ($1 < 0 OR client_id = $1) ORDER BY created_at, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(client_id.unwrap_or(-1))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(stored_from).collect()
    }

    pub async fn subscription(
        &self,
        client_id: i64,
        id: &str,
    ) -> Result<Option<StoredSubscription>, sqlx::Error> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM city_subscriptions WHERE client_id = $1 AND id = $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(client_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(stored_from).transpose()
    }

    /// `false`: the client has no such subscription.
    pub async fn delete_subscription(&self, client_id: i64, id: &str) -> Result<bool, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "DELETE FROM city_notified WHERE subscription_id IN
                 (SELECT id FROM city_subscriptions WHERE client_id = $1 AND id = $2)",
        )
        .bind(client_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let gone = sqlx::query("DELETE FROM city_subscriptions WHERE client_id = $1 AND id = $2")
            .bind(client_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(gone)
    }

    /// What each entity looked like when the subscription last told of it
    /// (a hash of what it watches).
    pub async fn notified(
        &self,
        subscription: &str,
    ) -> Result<BTreeMap<String, String>, sqlx::Error> {
        let rows =
            sqlx::query("SELECT entity_id, hash FROM city_notified WHERE subscription_id = $1")
                .bind(subscription)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// A notification was taken (2xx): what it told is recorded, so it is
    /// not told again.
    pub async fn notification_sent(
        &self,
        subscription: &str,
        told: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.write_tx().await?;
        for (entity, hash) in told {
            sqlx::query(
                "INSERT INTO city_notified (subscription_id, entity_id, hash) VALUES ($1, $2, $3)
                 ON CONFLICT (subscription_id, entity_id) DO UPDATE SET hash = excluded.hash",
            )
            .bind(subscription)
            .bind(entity)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE city_subscriptions SET times_sent = times_sent + 1, last_notification = $2,
                 last_success = $2 WHERE id = $1",
        )
        .bind(subscription)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// A notification was not taken: it is tried again at the next pass.
    pub async fn notification_failed(
        &self,
        subscription: &str,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE city_subscriptions SET last_notification = $2, last_failure = $2,
                 last_failure_reason = $3 WHERE id = $1",
        )
        .bind(subscription)
        .bind(ts(now))
        .bind(why)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
