//! The mails a real campaign sends (drills send none): to the watch-over
//! contacts when a household has not answered after its municipality's
//! delay (30 minutes by default), to its registered helpers after the second
//! (60), and to family when it answered 「無事です」 or 「たすけが ひつようです」.
//! Each is queued once: its Message-ID is fixed by (campaign, household,
//! kind, recipient), so a pass cut off before it marked the mail sent
//! queues nothing twice, and the mark stops the next pass from trying.

use std::time::Duration;

use chrono::{DateTime, Utc};
use engawa_core::TOKYO;
use engawa_core::jp::date_time_ja;
use engawa_disaster::words::{self, MailFacts};

use super::db::{DueMail, MailKind};
use crate::AppState;
use crate::watch::db::NewMail;

fn when(t: DateTime<Utc>) -> String {
    let t = t.with_timezone(&TOKYO);
    date_time_ja(t.date_naive(), t.time())
}

/// Queues every mail now due; returns how many were queued.
pub async fn pass(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let settings = state.db.watch_settings().await?;
    let mut queued = 0;
    for due in state.db.due_mails(now).await? {
        queued += send(state, &settings, &due, now).await?;
        state
            .db
            .mark_campaign_mail(due.campaign.id, due.household_id, &due.kind, now)
            .await?;
    }
    Ok(queued)
}

async fn send(
    state: &AppState,
    settings: &crate::watch::db::WatchSettings,
    due: &DueMail,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let c = &due.campaign;
    let what = words::what(&c.hazard, &c.place());
    let asked_at = when(c.opened_at);
    let answered_at = when(due.answered_at.unwrap_or(now));
    let facts = MailFacts {
        to: "",
        household: &due.household,
        address: &due.address,
        phone: &due.phone,
        what: &what,
        asked_at: &asked_at,
        operator: &settings.operator_name,
        operator_phone: &settings.operator_phone,
    };
    let base = format!("anpi.{}.{}.{}", c.id, due.household_id, due.kind.key());
    match &due.kind {
        MailKind::Helpers => {
            let helpers = state.db.helpers(due.household_id).await?;
            let texts: Vec<_> = helpers
                .iter()
                .filter(|h| !h.email.is_empty())
                .map(|h| {
                    (
                        h,
                        words::mail_to_helper(
                            &MailFacts {
                                to: &h.name,
                                ..facts.clone()
                            },
                            due.minutes,
                        ),
                    )
                })
                .collect();
            let mails: Vec<NewMail> = texts
                .iter()
                .map(|(h, t)| NewMail {
                    message_id: format!("<{base}.{}@{}>", h.id, state.mail_domain),
                    household_id: Some(due.household_id),
                    contact_id: None,
                    to_name: &h.name,
                    to_addr: &h.email,
                    subject: &t.subject,
                    body: &t.body,
                })
                .collect();
            Ok(state.db.enqueue_mails(&mails, now).await?)
        }
        kind => {
            let text = |ctx: &engawa_watch::mail::Context| {
                let f = MailFacts {
                    to: ctx.contact,
                    ..facts.clone()
                };
                let t = match kind {
                    MailKind::Answered(a) => words::mail_answered(&f, *a, &answered_at),
                    _ => words::mail_no_answer(&f, due.minutes),
                };
                engawa_watch::mail::MailText {
                    subject: t.subject,
                    body: t.body,
                }
            };
            crate::watch::tell_contacts(state, due.household_id, &base, now, text).await
        }
    }
}

/// A pass every `every` until `stop`.
pub async fn run(state: AppState, every: Duration, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        match pass(&state, state.clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(queued = n, "安否確認 mails queued"),
            Err(e) => tracing::error!(error = %e, "安否確認 mails failed; trying again next pass"),
        }
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
