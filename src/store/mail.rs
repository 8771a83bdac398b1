//! The mail outbox: an email is a row before it is sent, and is settled once —
//! sent, or failed for good with the reason. Temporary failures wait until
//! `next_at`.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, StoreError};

pub use engawa_mail::QueuedMail;

impl Store {
    /// Queue a mail; a Message-ID already queued is not queued again.
    pub fn enqueue_mail(
        &mut self,
        message_id: &str,
        to: (&str, &str),
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "INSERT INTO mail_outbox (message_id, to_name, to_addr, subject, body, created_at, state, next_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?6) ON CONFLICT (message_id) DO NOTHING",
            params![message_id, to.0, to.1, subject, body, now.timestamp()],
        )?;
        Ok(n == 1)
    }

    pub fn due_mail(&self, now: DateTime<Utc>) -> Result<Vec<QueuedMail>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, message_id, to_name, to_addr, subject, body, attempts FROM mail_outbox
             WHERE state = 'pending' AND next_at <= ?1 ORDER BY id LIMIT 20",
        )?;
        let rows = stmt
            .query_map(params![now.timestamp()], |r| {
                Ok(QueuedMail {
                    id: r.get(0)?,
                    message_id: r.get(1)?,
                    to_name: r.get(2)?,
                    to_addr: r.get(3)?,
                    subject: r.get(4)?,
                    body: r.get(5)?,
                    attempts: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn mail_sent(&mut self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE mail_outbox SET state = 'sent', sent_at = ?1, attempts = attempts + 1 WHERE id = ?2",
            params![now.timestamp(), id],
        )?;
        Ok(())
    }

    pub fn mail_retry(
        &mut self,
        id: i64,
        next_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE mail_outbox SET attempts = attempts + 1, next_at = ?1, last_error = ?2 WHERE id = ?3",
            params![next_at.timestamp(), error, id],
        )?;
        Ok(())
    }

    pub fn mail_failed(&mut self, id: i64, error: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE mail_outbox SET state = 'failed', attempts = attempts + 1, last_error = ?1 WHERE id = ?2",
            params![error, id],
        )?;
        Ok(())
    }

    /// (message id, state, attempts) of every mail, oldest first.
    pub fn mails(&self) -> Result<Vec<(String, String, u32)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT message_id, state, attempts FROM mail_outbox ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

/// The mailer task's view of the box's outbox.
impl engawa_mail::Outbox for Store {
    async fn due(
        &mut self,
        now: DateTime<Utc>,
    ) -> Result<Vec<QueuedMail>, engawa_mail::StoreError> {
        Ok(self.due_mail(now)?)
    }
    async fn sent(
        &mut self,
        m: &QueuedMail,
        now: DateTime<Utc>,
    ) -> Result<(), engawa_mail::StoreError> {
        Ok(self.mail_sent(m.id, now)?)
    }
    async fn retry(
        &mut self,
        m: &QueuedMail,
        next_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), engawa_mail::StoreError> {
        Ok(self.mail_retry(m.id, next_at, error)?)
    }
    async fn failed(
        &mut self,
        m: &QueuedMail,
        _now: DateTime<Utc>,
        error: &str,
    ) -> Result<(), engawa_mail::StoreError> {
        Ok(self.mail_failed(m.id, error)?)
    }
}
