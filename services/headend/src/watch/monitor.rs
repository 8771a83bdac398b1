//! The watch-over monitor: a box whose heartbeats stop is a different alarm from a person
//!   who stops pressing keys. After `offline_after` the operator is emailed; after
//!   `family_after` the family too (not while the household is away); when the
//!   box talks again, whoever was told hears so. It also sends the optional daily
//!   「お元気です」.
//!
//! Mails go through the head-end's outbox (`watch::db`) and `engawa_mail`, the
//! same sender the box uses.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use engawa_core::TOKYO;
use engawa_watch::mail;

use crate::AppState;
use crate::watch::db::{NewMail, OfflineStep, SilentBox, WatchSettings};

/// What the monitor needs besides the database.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// The right-hand side of every Message-ID (the sender's domain).
    pub domain: String,
    pub every: StdDuration,
}

/// Run the monitor until `stop` resolves (checked between passes).
pub async fn run_monitor(
    state: AppState,
    cfg: MonitorConfig,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        if let Err(e) = tick(&state, &cfg.domain, state.clock.now()).await {
            tracing::error!(error = %e, "watch-over monitor pass failed");
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(cfg.every) => {}
        }
    }
}

/// One pass: offline alerts, then digests.
pub async fn tick(state: &AppState, domain: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    let settings = state.db.watch_settings().await?;
    for b in state.db.silent_boxes(now - settings.offline_after).await? {
        offline(state, &settings, domain, &b, now).await?;
    }
    digests(state, &settings, domain, now).await
}

fn ctx<'a>(
    settings: &'a WatchSettings,
    contact: &'a str,
    serial: &'a str,
    link: &'a str,
) -> mail::Context<'a> {
    mail::Context {
        contact,
        operator: &settings.operator_name,
        operator_phone: &settings.operator_phone,
        serial,
        link,
    }
}

async fn offline(
    state: &AppState,
    settings: &WatchSettings,
    domain: &str,
    b: &SilentBox,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let db = &state.db;
    let since = b.last_heartbeat_at;
    let id_base = format!("offline.{}.{}", b.box_id, since.timestamp());
    let silent = now - since >= settings.offline_after;
    let contacts = db.contacts(b.household_id).await?;
    let links: Vec<String> = contacts
        .iter()
        .map(|c| format!("{}/family/{}", state.public_url, c.link_token))
        .collect();
    match b.open {
        None if silent => {
            let text =
                mail::offline_operator(&b.household, &b.address, &b.phone, &b.serial, since, now);
            let mut mails = Vec::new();
            if settings.operator_email.is_empty() {
                tracing::warn!(
                    box_id = b.box_id,
                    "a box is offline and no operator address is set (console: 見守りの 設定)"
                );
            } else {
                mails.push(NewMail {
                    message_id: format!("<{id_base}.operator@{domain}>"),
                    household_id: Some(b.household_id),
                    contact_id: None,
                    to_name: &settings.operator_name,
                    to_addr: &settings.operator_email,
                    subject: &text.subject,
                    body: &text.body,
                });
            }
            tracing::warn!(box_id = b.box_id, %since, "box offline: operator alerted");
            db.offline_step(
                OfflineStep::Raise {
                    box_id: b.box_id,
                    since,
                },
                b.household_id,
                &mails,
                now,
            )
            .await?;
        }
        Some((alert_id, false)) if silent && now - since >= settings.family_after => {
            if b.away_until.is_some_and(|u| u > now) {
                // They are away and the box may simply be unplugged; the
                // operator already knows.
                return Ok(());
            }
            let texts: Vec<_> = contacts
                .iter()
                .zip(&links)
                .map(|(c, link)| {
                    mail::offline_family(&ctx(settings, &c.name, &b.serial, link), since, now)
                })
                .collect();
            let mails: Vec<NewMail> = contacts
                .iter()
                .zip(&texts)
                .map(|(c, t)| NewMail {
                    message_id: format!("<{id_base}.family.{}@{domain}>", c.id),
                    household_id: Some(b.household_id),
                    contact_id: Some(c.id),
                    to_name: &c.name,
                    to_addr: &c.email,
                    subject: &t.subject,
                    body: &t.body,
                })
                .collect();
            tracing::warn!(
                box_id = b.box_id,
                contacts = mails.len(),
                "box still offline: family told"
            );
            db.offline_step(
                OfflineStep::Family { alert_id },
                b.household_id,
                &mails,
                now,
            )
            .await?;
        }
        Some((alert_id, family_told)) if !silent => {
            let mut texts = vec![(
                None,
                settings.operator_name.clone(),
                settings.operator_email.clone(),
                mail::back_online(
                    &ctx(settings, &settings.operator_name, &b.serial, ""),
                    since,
                ),
            )];
            if family_told {
                for (c, link) in contacts.iter().zip(&links) {
                    texts.push((
                        Some(c.id),
                        c.name.clone(),
                        c.email.clone(),
                        mail::back_online(&ctx(settings, &c.name, &b.serial, link), since),
                    ));
                }
            }
            let mails: Vec<NewMail> = texts
                .iter()
                .filter(|(_, _, addr, _)| !addr.is_empty())
                .map(|(contact, name, addr, t)| NewMail {
                    message_id: format!(
                        "<online.{alert_id}.{}@{domain}>",
                        contact.map_or("operator".to_string(), |c| c.to_string())
                    ),
                    household_id: Some(b.household_id),
                    contact_id: *contact,
                    to_name: name,
                    to_addr: addr,
                    subject: &t.subject,
                    body: &t.body,
                })
                .collect();
            tracing::info!(box_id = b.box_id, "box back online");
            db.offline_step(
                OfflineStep::Resolve { alert_id },
                b.household_id,
                &mails,
                now,
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// One mail to every contact of `household`, written by `text` with that
/// contact's own context (name, link); Message-IDs `<{id_base}.{contact}@domain>`
/// so a retried request queues nothing twice. Returns how many were queued.
pub async fn tell_contacts(
    state: &AppState,
    household: i64,
    id_base: &str,
    now: DateTime<Utc>,
    text: impl Fn(&mail::Context) -> mail::MailText,
) -> anyhow::Result<usize> {
    let settings = state.db.watch_settings().await?;
    let Some(o) = state.db.watch_overview(household).await? else {
        return Ok(0);
    };
    mail_contacts(state, &settings, &o, &state.mail_domain, id_base, now, text).await
}

/// [`tell_contacts`] for a household already read.
async fn mail_contacts(
    state: &AppState,
    settings: &WatchSettings,
    o: &crate::watch::db::WatchOverview,
    domain: &str,
    id_base: &str,
    now: DateTime<Utc>,
    text: impl Fn(&mail::Context) -> mail::MailText,
) -> anyhow::Result<usize> {
    let serial = o.serial.clone().unwrap_or_default();
    let texts: Vec<_> = o
        .contacts
        .iter()
        .map(|c| {
            let link = format!("{}/family/{}", state.public_url, c.link_token);
            (
                format!("<{id_base}.{}@{domain}>", c.id),
                text(&ctx(settings, &c.name, &serial, &link)),
            )
        })
        .collect();
    let mails: Vec<NewMail> = o
        .contacts
        .iter()
        .zip(&texts)
        .map(|(c, (id, t))| NewMail {
            message_id: id.clone(),
            household_id: Some(o.household_id),
            contact_id: Some(c.id),
            to_name: &c.name,
            to_addr: &c.email,
            subject: &t.subject,
            body: &t.body,
        })
        .collect();
    Ok(state.db.enqueue_mails(&mails, now).await?)
}

/// The daily 「お元気です」, at the policy's check time (within six hours after
/// it, so a head-end that was down at nine still sends it, but not at midnight).
async fn digests(
    state: &AppState,
    settings: &WatchSettings,
    domain: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let local = now.with_timezone(&TOKYO);
    for (household, policy) in state.db.digest_households().await? {
        let due = local.date_naive().and_time(policy.check_time);
        let late = local.naive_local() - due;
        if late < Duration::zero() || late > Duration::hours(6) {
            continue;
        }
        let Some(o) = state.db.watch_overview(household).await? else {
            continue;
        };
        if o.away_until.is_some_and(|u| u > now) || o.paused_until.is_some_and(|u| u > now) {
            continue;
        }
        let day = local.date_naive();
        let id_base = format!("digest.{household}.{day}");
        let last = o.last_activity_at;
        let n = mail_contacts(state, settings, &o, domain, &id_base, now, |c| {
            mail::digest(c, last, now)
        })
        .await?;
        if n > 0 {
            tracing::info!(household, mails = n, "daily digest queued");
        }
    }
    Ok(())
}

/// The `[mail]` table of the head-end's mail file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MailFile {
    mail: MailTable,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MailTable {
    host: String,
    #[serde(default = "default_port")]
    port: u16,
    #[serde(default = "default_security")]
    security: engawa_mail::Security,
    credentials_file: Option<std::path::PathBuf>,
    from: String,
    #[serde(default)]
    reply_to: String,
}

fn default_port() -> u16 {
    587
}

fn default_security() -> engawa_mail::Security {
    engawa_mail::Security::StartTls
}

/// Read and check the mail file (`serve --mail FILE`).
/// The `--mail FILE`. A file whose `[mail] host` is empty (as the package ships
/// it) means no mail server yet: `None`, and the mails wait in the outbox.
pub fn mail_settings(path: &std::path::Path) -> anyhow::Result<Option<engawa_mail::MailSettings>> {
    use anyhow::Context as _;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the mail file {}", path.display()))?;
    let f: MailFile =
        toml::from_str(&text).with_context(|| format!("mail file {}", path.display()))?;
    let m = f.mail;
    if m.host.trim().is_empty() {
        return Ok(None);
    }
    engawa_mail::check_mailbox(&m.from)
        .map_err(|e| anyhow::anyhow!("{}: [mail] from: {e}", path.display()))?;
    if !m.reply_to.is_empty() {
        engawa_mail::check_mailbox(&m.reply_to)
            .map_err(|e| anyhow::anyhow!("{}: [mail] reply_to: {e}", path.display()))?;
    }
    let settings = engawa_mail::MailSettings {
        host: m.host,
        port: m.port,
        security: m.security,
        credentials_file: m.credentials_file,
        from: m.from,
        reply_to: m.reply_to,
    };
    // Refuse at start what the sender would refuse later (credentials readable
    // by others, an unreadable file), rather than leave mails queued silently.
    engawa_mail::transport(&settings).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(Some(settings))
}
