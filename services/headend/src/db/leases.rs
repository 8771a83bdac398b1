//! Leases: a background task that must run once across the head-end's
//! instances (the mail sender, the watch-over monitor, the taxi improver,
//! retention, the JMA feeds, the 安否確認 mails) runs only in the instance that
//! holds its lease. A lease is a row (task, holder, until) in the database,
//! timed by the database's own clock so instances' clocks need not agree;
//! the holder renews it every third of its term and stops the task the moment
//! a renewal fails; a holder killed with -9 stops renewing and another
//! instance takes the lease when it runs out.

use sqlx::Row;

use super::{Db, Engine};

impl Engine {
    /// The database's clock, in Unix seconds.
    fn now_s(self) -> &'static str {
        match self {
            Engine::Sqlite => "CAST(strftime('%s', 'now') AS INTEGER)",
            Engine::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS BIGINT)",
        }
    }
}

impl Db {
    /// Takes or renews the lease `name` for `holder` for `term_s` seconds:
    /// true if `holder` holds it now.
    pub async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        term_s: i64,
    ) -> Result<bool, sqlx::Error> {
        let now = self.engine.now_s();
        let sql = format!(
            "INSERT INTO leases (name, holder, until) VALUES ($1, $2, {now} + $3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
             WHERE leases.holder = excluded.holder OR leases.until < {now}
             RETURNING holder"
        );
        let got: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .bind(holder)
            .bind(term_s)
            .fetch_optional(&self.pool)
            .await?;
        Ok(got.as_deref() == Some(holder))
    }

    /// Gives the lease up (a stopping instance), so another takes it at once.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every lease: (task, holder, seconds left by the database's clock).
    pub async fn leases(&self) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
        let sql = format!(
            "SELECT name, holder, until - {} FROM leases ORDER BY name",
            self.engine.now_s()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }
}
