//! The mail outbox sender, one code path for the box (rusqlite) and the head-end
//! (sqlx): an email is a stored row before anyone tries to send it; this crate
//! sends due rows and records the outcome through the [`Outbox`] trait.
//!
//! Every send is wrapped in a timeout. A temporary failure (4xx, no connection,
//! timeout) is retried after a growing pause (1 minute doubling up to an hour); a
//! permanent one (5xx: the mailbox does not exist) is recorded as failed with the
//! server's reason, which the storage turns into a flag on the contact. The
//! Message-ID was fixed when the mail was queued, so a crash between sending and
//! recording can at worst send the same message again — never lose one.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use engawa_core::Clock;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Deserialize;

/// How long one SMTP conversation may take.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The storage's error, whatever the database.
pub type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// A queued email, as the outbox hands it to the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub message_id: String,
    pub to_name: String,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub attempts: u32,
}

/// Where the outbox lives. Implemented by the box's `Store` (rusqlite) and the
/// head-end's `Db` (sqlx).
pub trait Outbox: Send {
    /// Pending mails whose next attempt is due, oldest first, at most a batch.
    fn due(
        &mut self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<QueuedMail>, StoreError>> + Send;
    fn sent(
        &mut self,
        mail: &QueuedMail,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Try again at `next_at`.
    fn retry(
        &mut self,
        mail: &QueuedMail,
        next_at: DateTime<Utc>,
        error: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Refused for good (the address is wrong, the mailbox does not exist).
    fn failed(
        &mut self,
        mail: &QueuedMail,
        now: DateTime<Utc>,
        error: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    #[serde(rename = "starttls")]
    StartTls,
    Tls,
    /// Plain SMTP: a relay on the same machine only (and the tests).
    None,
}

/// Where and as whom to send.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Two lines: user name, password. Never on the command line or in logs.
    pub credentials_file: Option<PathBuf>,
    pub from: String,
    pub reply_to: String,
}

/// Is this an address a mail can be sent to? The answer is for people: Japanese.
pub fn check_address(addr: &str) -> Result<(), &'static str> {
    let addr = addr.trim();
    if addr.is_empty() {
        return Err("メールアドレスを 入れてください。");
    }
    if !addr.is_ascii() {
        return Err("メールアドレスは 半角の 英数字で 入れてください。");
    }
    match addr.parse::<lettre::Address>() {
        Ok(a) if a.domain().contains('.') => Ok(()),
        _ => Err("メールアドレスの 形が ちがいます（例: taro@example.jp）。"),
    }
}

/// `text` with every e-mail address in it (anything around an `@`) replaced by
/// `<address>`: for logs, since SMTP servers quote the recipient in their refusals.
pub fn without_addresses(text: &str) -> String {
    let local = |c: char| c.is_ascii_alphanumeric() || "._%+-!#$&'*/=?^`{|}~".contains(c);
    let domain = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            let mut start = i;
            while start > 0 && local(chars[start - 1]) {
                start -= 1;
            }
            let mut end = i + 1;
            while end < chars.len() && domain(chars[end]) {
                end += 1;
            }
            if start < i && end > i + 1 {
                // Drop the local part already copied, then the whole address.
                for _ in start..i {
                    out.pop();
                }
                out.push_str("<address>");
                i = end;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Is this a usable `From:`/`Reply-To:` mailbox (`名前 <addr>` or `addr`)?
pub fn check_mailbox(s: &str) -> Result<(), String> {
    s.parse::<Mailbox>().map(|_| ()).map_err(|e| e.to_string())
}

/// The domain of a `From:` mailbox: the right-hand side of our Message-IDs.
pub fn domain_of(from: &str) -> Option<String> {
    from.parse::<Mailbox>()
        .ok()
        .map(|m| m.email.domain().to_string())
}

/// The pause before attempt `attempts + 1`.
pub fn backoff(attempts: u32) -> chrono::Duration {
    let minutes = 1i64 << attempts.min(6);
    chrono::Duration::minutes(minutes.min(60))
}

fn credentials(path: &std::path::Path) -> Result<Credentials, String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| format!("cannot read the SMTP credentials {}: {e}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "the SMTP credentials {} can be read by other users (mode {:o}); make it theirs alone: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        ));
    }
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
            .map_err(|e| format!("the recipient's address: {e}"))?,
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

/// Send what is due, forever. Runs as its own task with its own storage handle.
pub async fn run<O: Outbox>(
    mut outbox: O,
    settings: MailSettings,
    clock: Arc<dyn Clock>,
    every: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let transport = match transport(&settings) {
        Ok(t) => t,
        Err(e) => {
            // Mails stay queued; the log says why none leaves.
            return tracing::error!(error = %e, "cannot set up mail sending");
        }
    };
    // Stops only between passes: a mail being handed to the server is finished
    // and marked first.
    loop {
        send_due(&mut outbox, &settings, &transport, clock.now()).await;
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// One pass over the due mails. Returns how many were looked at.
pub async fn send_due<O: Outbox>(
    outbox: &mut O,
    s: &MailSettings,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    now: DateTime<Utc>,
) -> usize {
    let due = match outbox.due(now).await {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the mail outbox");
            return 0;
        }
    };
    for m in &due {
        send_one(outbox, s, transport, m, now).await;
    }
    due.len()
}

async fn send_one<O: Outbox>(
    outbox: &mut O,
    s: &MailSettings,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    m: &QueuedMail,
    now: DateTime<Utc>,
) {
    let msg = match message(s, m, now) {
        Ok(msg) => msg,
        Err(e) => {
            tracing::error!(id = %m.message_id, error = %without_addresses(&e), "cannot build a mail; giving up on it");
            if let Err(e) = outbox.failed(m, now, &e).await {
                tracing::error!(error = %e, "cannot record a mail's outcome");
            }
            return;
        }
    };
    let outcome = tokio::time::timeout(SEND_TIMEOUT, transport.send(msg)).await;
    let recorded = match outcome {
        Ok(Ok(_)) => {
            tracing::info!(id = %m.message_id, "mail sent");
            outbox.sent(m, now).await
        }
        Ok(Err(e)) if e.is_permanent() => {
            // The outbox row keeps the address and the server's whole answer;
            // the log names neither the address nor anything that quotes it.
            tracing::warn!(id = %m.message_id, error = %without_addresses(&e.to_string()), "mail refused for good");
            outbox.failed(m, now, &e.to_string()).await
        }
        Ok(Err(e)) => {
            let next = now + backoff(m.attempts);
            tracing::warn!(id = %m.message_id, error = %without_addresses(&e.to_string()), %next, "mail not sent; will retry");
            outbox.retry(m, next, &e.to_string()).await
        }
        Err(_) => {
            let next = now + backoff(m.attempts);
            tracing::warn!(id = %m.message_id, %next, "mail server timed out; will retry");
            outbox.retry(m, next, "timeout").await
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
    fn logs_get_no_addresses() {
        assert_eq!(
            without_addresses("550 5.1.1 <nobody.jiro@example.jp>: no such mailbox here"),
            "550 5.1.1 <<address>>: no such mailbox here"
        );
        assert_eq!(
            without_addresses("to a+b@x.example.co.jp, c@d.jp; 見守り"),
            "to <address>, <address>; 見守り"
        );
        assert_eq!(without_addresses("no @ here, nor@"), "no @ here, nor@");
    }

    #[test]
    fn credentials_readable_by_others_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("smtp-credentials");
        std::fs::write(&path, "mimamori\nsecret\n").unwrap();
        let settings = MailSettings {
            host: "127.0.0.1".into(),
            port: 2525,
            security: Security::None,
            credentials_file: Some(path.clone()),
            from: "見守り <mimamori@example.jp>".into(),
            reply_to: String::new(),
        };
        for mode in [0o644, 0o640, 0o604] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let err = transport(&settings).expect_err("refused");
            assert!(err.contains("chmod 600"), "{mode:o}: {err}");
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(transport(&settings).is_ok());
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let mins: Vec<i64> = (0..9).map(|a| backoff(a).num_minutes()).collect();
        assert_eq!(mins, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn addresses_are_checked_with_a_japanese_reason() {
        assert!(check_address("taro@example.jp").is_ok());
        assert!(check_address(" hanako.yamada+tv@mail.example.co.jp ").is_ok());
        for bad in [
            "",
            "taro",
            "taro@",
            "@example.jp",
            "taro@localhost",
            "たろう@example.jp",
            "a b@example.jp",
            "taro@@example.jp",
        ] {
            assert!(check_address(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(
            check_address("taro@").unwrap_err(),
            "メールアドレスの 形が ちがいます（例: taro@example.jp）。"
        );
    }
}
