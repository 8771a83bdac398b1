//! Sends the mail outbox over SMTP (lettre, STARTTLS/TLS through rustls).
//!
//! Every send is wrapped in a timeout. A temporary failure (4xx, no connection,
//! timeout) is retried with a growing pause (1 minute doubling up to an hour); a
//! permanent one (5xx: the mailbox does not exist) is recorded as failed with the
//! server's reason. The Message-ID was fixed when the mail was queued, so a crash
//! between sending and recording can at worst send the same message again.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use engawa_core::Clock;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::store::{QueuedMail, Store};

/// How long one SMTP conversation may take.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    StartTls,
    Tls,
    /// Plain SMTP: a relay on the same machine only (and the tests).
    None,
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials_file: Option<PathBuf>,
    pub from: String,
    pub reply_to: String,
}

/// The pause before attempt `attempts + 1`.
pub fn backoff(attempts: u32) -> chrono::Duration {
    let minutes = 1i64 << attempts.min(6);
    chrono::Duration::minutes(minutes.min(60))
}

fn credentials(path: &std::path::Path) -> Result<Credentials, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the SMTP credentials {}: {e}", path.display()))?;
    let mut lines = text.lines();
    match (lines.next(), lines.next()) {
        (Some(user), Some(pass)) if !user.trim().is_empty() => {
            Ok(Credentials::new(user.trim().to_string(), pass.to_string()))
        }
        _ => Err(format!(
            "{}: expected two lines, the user name and the password",
            path.display()
        )),
    }
}

pub fn transport(s: &MailSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let builder = match s.security {
        Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
        Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
            .map_err(|e| format!("SMTP host {}: {e}", s.host))?,
        Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)
            .map_err(|e| format!("SMTP host {}: {e}", s.host))?,
    };
    let mut builder = builder.port(s.port).timeout(Some(SEND_TIMEOUT));
    if let Some(path) = &s.credentials_file {
        builder = builder.credentials(credentials(path)?);
    }
    Ok(builder.build())
}

fn message(s: &MailSettings, m: &QueuedMail, now: DateTime<Utc>) -> Result<Message, String> {
    let from: Mailbox = s.from.parse().map_err(|e| format!("from: {e}"))?;
    let to = Mailbox::new(
        Some(m.to_name.clone()),
        m.to_addr
            .parse()
            .map_err(|e| format!("to {}: {e}", m.to_addr))?,
    );
    let mut b = Message::builder()
        .from(from)
        .to(to)
        .subject(m.subject.clone())
        .message_id(Some(m.message_id.clone()))
        .date(now.into());
    if !s.reply_to.is_empty() {
        b = b.reply_to(s.reply_to.parse().map_err(|e| format!("reply_to: {e}"))?);
    }
    b.header(ContentType::TEXT_PLAIN)
        .body(m.body.clone())
        .map_err(|e| e.to_string())
}

/// Send what is due, forever. Runs as its own task with its own connection.
pub async fn run(mut store: Store, settings: MailSettings, clock: Arc<dyn Clock>, every: Duration) {
    let transport = match transport(&settings) {
        Ok(t) => t,
        Err(e) => {
            // Mails stay queued; the log says why none leaves.
            return tracing::error!(error = %e, "cannot set up mail sending");
        }
    };
    loop {
        let now = clock.now();
        match store.due_mail(now) {
            Ok(due) => {
                for m in due {
                    send_one(&mut store, &settings, &transport, &m, now).await;
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read the mail outbox"),
        }
        tokio::time::sleep(every).await;
    }
}

async fn send_one(
    store: &mut Store,
    s: &MailSettings,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    m: &QueuedMail,
    now: DateTime<Utc>,
) {
    let msg = match message(s, m, now) {
        Ok(msg) => msg,
        Err(e) => {
            tracing::error!(id = %m.message_id, error = %e, "cannot build a mail; giving up on it");
            let _ = store.mail_failed(m.id, &e);
            return;
        }
    };
    let outcome = tokio::time::timeout(SEND_TIMEOUT, transport.send(msg)).await;
    let recorded = match outcome {
        Ok(Ok(_)) => {
            tracing::info!(id = %m.message_id, "mail sent");
            store.mail_sent(m.id, now)
        }
        Ok(Err(e)) if e.is_permanent() => {
            tracing::warn!(id = %m.message_id, to = %m.to_addr, error = %e, "mail refused for good");
            store.mail_failed(m.id, &e.to_string())
        }
        Ok(Err(e)) => {
            let next = now + backoff(m.attempts);
            tracing::warn!(id = %m.message_id, error = %e, %next, "mail not sent; will retry");
            store.mail_retry(m.id, next, &e.to_string())
        }
        Err(_) => {
            let next = now + backoff(m.attempts);
            tracing::warn!(id = %m.message_id, %next, "mail server timed out; will retry");
            store.mail_retry(m.id, next, "timeout")
        }
    };
    if let Err(e) = recorded {
        tracing::error!(error = %e, "cannot record a mail's outcome");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let mins: Vec<i64> = (0..9).map(|a| backoff(a).num_minutes()).collect();
        assert_eq!(mins, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }
}
