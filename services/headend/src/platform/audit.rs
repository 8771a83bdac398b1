//! The audit log: who did what, when, from where, to which household — every
//! console request (read or change, allowed or refused) and every run of the
//! command line. Rows are only ever added (the database refuses UPDATE and
//! DELETE by trigger); 管理者 searches them on the console's 記録 page or
//! with `engawa-headend audit`. A row names fields, never their values, so
//! the log holds no more personal data than who looked at which household.

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::db::{Db, from_ts, ts};

/// One thing done, as it is written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    /// The login's name, or `cli:USER` for the command line.
    pub operator: String,
    pub operator_id: Option<i64>,
    /// The login's municipality (none: 管理者, the command line).
    pub municipality: Option<String>,
    /// `GET /console/watch/{id}`, `cli household add`.
    pub action: String,
    /// The concrete path and query, or the command's arguments' names.
    pub object: String,
    /// The household it concerned, when it names one.
    pub household_id: Option<i64>,
    /// The names of the fields (or flags) sent, comma separated.
    pub fields: String,
    /// `allowed`, or why not (`refused: role`, `refused: not in scope`).
    pub outcome: String,
    /// The client's address (`cli` for the command line).
    pub peer: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub entry: Entry,
}

/// The start of a day in Tokyo (searches go by the day).
pub fn midnight(day: chrono::NaiveDate) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    engawa_core::TOKYO
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// What 管理者 looks for; empty fields match everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Search {
    pub operator: String,
    pub household_id: Option<i64>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Db {
    pub async fn audit(&self, e: &Entry, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO audit_log (at, operator, operator_id, municipality, action, object, household_id, fields, outcome, peer)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(ts(now))
        .bind(&e.operator)
        .bind(e.operator_id)
        .bind(e.municipality.as_deref())
        .bind(&e.action)
        .bind(&e.object)
        .bind(e.household_id)
        .bind(&e.fields)
        .bind(&e.outcome)
        .bind(&e.peer)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest rows matching `q`: `limit` from `offset`, and how many match.
    pub async fn audit_search(
        &self,
        q: &Search,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Logged>, i64), sqlx::Error> {
        let bind = |sql: &'static str| {
            sqlx::query(sql)
                .bind(q.operator.clone())
                .bind(q.household_id.unwrap_or(-1))
                .bind(q.since.map(ts).unwrap_or(i64::MIN))
                .bind(q.until.map(ts).unwrap_or(i64::MAX))
        };
        let total: i64 = bind(
            "SELECT COUNT(*) FROM audit_log
             WHERE ($1 = '' OR operator = $1) AND ($2 < 0 OR household_id = $2) AND at >= $3 AND at < $4",
        )
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let rows = bind(
            "SELECT id, at, operator, operator_id, municipality, action, object, household_id, fields, outcome, peer
             FROM audit_log
             WHERE ($1 = '' OR operator = $1) AND ($2 < 0 OR household_id = $2) AND at >= $3 AND at < $4
             ORDER BY id DESC LIMIT $5 OFFSET $6",
        )
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let rows = rows
            .iter()
            .map(|r| {
                Ok(Logged {
                    id: r.try_get(0)?,
                    at: from_ts(r.try_get(1)?).unwrap_or_default(),
                    entry: Entry {
                        operator: r.try_get(2)?,
                        operator_id: r.try_get(3)?,
                        municipality: r.try_get(4)?,
                        action: r.try_get(5)?,
                        object: r.try_get(6)?,
                        household_id: r.try_get(7)?,
                        fields: r.try_get(8)?,
                        outcome: r.try_get(9)?,
                        peer: r.try_get(10)?,
                    },
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok((rows, total))
    }
}
