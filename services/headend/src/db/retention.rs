//! The deletes behind [`crate::retention`]: each table's old rows, as that
//! module's table documents.

use chrono::{DateTime, Utc};

use super::{Db, ts};
use crate::retention::{
    ALERTS_S, FINISHED_MAILS_S, IDEMPOTENCY_KEYS_S, PAIRINGS_AFTER_EXPIRY_S, Pruned,
    RIDE_REFUSALS_S,
};

impl Db {
    pub async fn prune(&self, now: DateTime<Utc>) -> Result<Pruned, sqlx::Error> {
        let now = ts(now);
        let del = |sql: &'static str, before: i64| {
            let pool = self.pool.clone();
            async move {
                sqlx::query(sql)
                    .bind(before)
                    .execute(&pool)
                    .await
                    .map(|r| r.rows_affected())
            }
        };
        Ok(Pruned {
            sessions: del("DELETE FROM sessions WHERE expires_at <= $1", now).await?,
            login_attempts: del(
                "DELETE FROM login_attempts WHERE at <= $1",
                now - super::console::LOGIN_WINDOW_S,
            )
            .await?,
            approval_failures: del(
                "DELETE FROM approval_failures WHERE at <= $1",
                now - super::FAILED_APPROVAL_WINDOW_S,
            )
            .await?,
            pairings: del(
                "DELETE FROM pairings WHERE expires_at <= $1",
                now - PAIRINGS_AFTER_EXPIRY_S,
            )
            .await?,
            idempotency_keys: del(
                "DELETE FROM idempotency WHERE created_at <= $1",
                now - IDEMPOTENCY_KEYS_S,
            )
            .await?,
            ride_keys: del(
                "DELETE FROM ride_keys WHERE ride_id IN (SELECT id FROM rides WHERE created_at <= $1)",
                now - IDEMPOTENCY_KEYS_S,
            )
            .await?,
            mails: del(
                "DELETE FROM mail_outbox WHERE state IN ('sent', 'failed') AND created_at <= $1",
                now - FINISHED_MAILS_S,
            )
            .await?,
            ride_refusals: del(
                "DELETE FROM ride_refusals WHERE at <= $1",
                now - RIDE_REFUSALS_S,
            )
            .await?,
            watch_alerts: del("DELETE FROM watch_alerts WHERE at <= $1", now - ALERTS_S).await?,
            offline_alerts: del(
                "DELETE FROM offline_alerts WHERE resolved_at <= $1",
                now - ALERTS_S,
            )
            .await?,
        })
    }
}
