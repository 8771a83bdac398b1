//! 防災's part of the box database.
//!
//! An answer is written here (state `pending`, with its Idempotency-Key) and
//! made durable before it is sent; the head-end counts a key once, so a row
//! resent after a power cut or a lost answer is the same answer. A row ends
//! `sent` (the head-end has it) or `refused` (the head-end said no — logged,
//! never retried).

use chrono::{DateTime, Utc};
use engawa_disaster::api::{AlertNow, Answer};
use rusqlite::{OptionalExtension, params};

use crate::store::{Store, StoreError};

/// An answer not yet with the head-end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAnswer {
    pub id: i64,
    pub key: String,
    pub campaign_id: i64,
    pub answer: Answer,
    pub answered_at: DateTime<Utc>,
}

fn answer_of(s: &str) -> rusqlite::Result<Answer> {
    Answer::parse(s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("not an answer: {s:?}").into(),
        )
    })
}

fn time_of(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

impl Store {
    /// Keep an answer to send (durable when this returns).
    pub fn queue_answer(
        &mut self,
        key: &str,
        campaign_id: i64,
        answer: Answer,
        answered_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO alert_answers (idem_key, campaign_id, answer, answered_at, state)
             VALUES (?1, ?2, ?3, ?4, 'pending')",
            params![key, campaign_id, answer.as_str(), answered_at.timestamp()],
        )?;
        Ok(())
    }

    /// Answers still to send, oldest first.
    pub fn pending_answers(&self) -> Result<Vec<PendingAnswer>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, idem_key, campaign_id, answer, answered_at FROM alert_answers
             WHERE state = 'pending' ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(PendingAnswer {
                    id: r.get(0)?,
                    key: r.get(1)?,
                    campaign_id: r.get(2)?,
                    answer: answer_of(&r.get::<_, String>(3)?)?,
                    answered_at: time_of(r.get(4)?),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One more try of a pending answer (counted before it is sent).
    pub fn answer_attempt(&mut self, id: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE alert_answers SET attempts = attempts + 1 WHERE id = ?1",
            params![id],
        )?;
        Ok(())
    }

    /// The head-end has it (`sent`) or said no (`refused`, with why).
    pub fn settle_answer(
        &mut self,
        id: i64,
        sent: bool,
        result: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE alert_answers SET state = ?2, result = ?3, settled_at = ?4
             WHERE id = ?1 AND state = 'pending'",
            params![
                id,
                if sent { "sent" } else { "refused" },
                result,
                at.timestamp()
            ],
        )?;
        Ok(())
    }

    /// The household's newest answer from this box in a campaign (sent or
    /// still pending), and whether it is still pending.
    pub fn own_answer(&self, campaign_id: i64) -> Result<Option<(Answer, bool)>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT answer, state = 'pending' FROM alert_answers
                 WHERE campaign_id = ?1 AND state != 'refused' ORDER BY id DESC LIMIT 1",
                params![campaign_id],
                |r| Ok((answer_of(&r.get::<_, String>(0)?)?, r.get::<_, bool>(1)?)),
            )
            .optional()?;
        Ok(row)
    }

    /// The last alert the head-end gave (`None` before the first).
    pub fn alert_seen(&self) -> Result<Option<AlertNow>, StoreError> {
        let row: Option<(i64, Option<String>)> = self
            .conn
            .query_row(
                "SELECT version, alert FROM alert_seen WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((version, alert)) = row else {
            return Ok(None);
        };
        let alert = match alert {
            Some(j) => Some(serde_json::from_str(&j)?),
            None => None,
        };
        Ok(Some(AlertNow { version, alert }))
    }

    pub fn save_alert_seen(&mut self, now: &AlertNow, at: DateTime<Utc>) -> Result<(), StoreError> {
        let alert = now.alert.as_ref().map(serde_json::to_string).transpose()?;
        self.conn.execute(
            "INSERT INTO alert_seen (id, version, alert, at) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET version = ?1, alert = ?2, at = ?3",
            params![now.version, alert, at.timestamp()],
        )?;
        Ok(())
    }
}
