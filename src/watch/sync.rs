//! Watch-over sync with the head-end, riding on the heartbeat.
//!
//! Each heartbeat's answer names the household's watch-over settings version;
//! when it differs from the stored one the box fetches the settings (policy,
//! contacts, a pause set by family, family reminders), keeps them in its own
//! database — so they hold offline — and tells the runtime to apply them. Then
//! it reports the ladder's state and the rule in force, plus alerts and refused
//! mails not yet reported; a report is sent only when it says something new.
//! The activity log itself never leaves the box.

use engawa_watch::api::{WatchReport, WatchState};
use engawa_watch::{Ladder, State};
use tokio::sync::mpsc;

use crate::runtime::headend::{HeadendClient, new_key};
use crate::store::{Store, StoreError};

/// Settings keys for what the head-end has accepted.
const ALERTS_ACKED: &str = "watch_report_alerts";
const BOUNCES_ACKED: &str = "watch_report_bounces";
const LAST_REPORT: &str = "watch_report_last";

/// After a heartbeat answered with `version`.
pub async fn after_heartbeat(
    client: &HeadendClient,
    token: &str,
    store: &mut Store,
    version: i64,
    applied: &mpsc::UnboundedSender<()>,
    now: chrono::DateTime<chrono::Utc>,
) {
    if let Err(e) = fetch(client, token, store, version, applied, now).await {
        tracing::warn!(error = %e, "watch-over settings not fetched; next heartbeat tries again");
    }
    if let Err(e) = report(client, token, store).await {
        tracing::warn!(error = %e, "watch-over report not delivered; next heartbeat tries again");
    }
}

async fn fetch(
    client: &HeadendClient,
    token: &str,
    store: &mut Store,
    version: i64,
    applied: &mpsc::UnboundedSender<()>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), String> {
    let have = store.watch_config().map_err(|e| e.to_string())?;
    if have.as_ref().is_some_and(|c| c.version == version) {
        return Ok(());
    }
    let cfg = client
        .watch_config(token)
        .await
        .map_err(|e| e.to_string())?;
    store
        .save_watch_config(&cfg, now)
        .map_err(|e| e.to_string())?;
    tracing::info!(
        version = cfg.version,
        contacts = cfg.contacts.len(),
        "watch-over settings fetched"
    );
    let _ = applied.send(());
    Ok(())
}

fn acked(store: &Store, key: &str) -> Result<i64, StoreError> {
    Ok(store
        .setting(key)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// The report as it stands, if the ladder has been stored at all.
pub fn build_report(store: &Store) -> Result<Option<WatchReport>, StoreError> {
    let Some(ladder) = store
        .watch_state()?
        .and_then(|j| serde_json::from_str::<Ladder>(&j).ok())
    else {
        return Ok(None);
    };
    let (state, away_until) = match ladder.state {
        State::Watching => (WatchState::Watching, None),
        State::Prompting { .. } => (WatchState::Prompting, None),
        State::Alerted { .. } => (WatchState::Alerted, None),
        State::Away { until } => (WatchState::Away, Some(until)),
    };
    Ok(Some(WatchReport {
        state,
        threshold_min: (ladder.deadline - ladder.last_activity)
            .num_minutes()
            .max(1),
        adaptive: ladder.rule == engawa_watch::rhythm::Rule::Adaptive,
        away_until,
        alerts: store.alerts_after(acked(store, ALERTS_ACKED)?)?,
        bounces: store.bounces_after(acked(store, BOUNCES_ACKED)?)?,
    }))
}

async fn report(client: &HeadendClient, token: &str, store: &mut Store) -> Result<(), String> {
    let Some(rep) = build_report(store).map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let json = serde_json::to_string(&rep).map_err(|e| e.to_string())?;
    if store
        .setting(LAST_REPORT)
        .map_err(|e| e.to_string())?
        .as_deref()
        == Some(&json)
    {
        return Ok(());
    }
    client
        .watch_report(token, &rep, &new_key())
        .await
        .map_err(|e| e.to_string())?;
    let mut save = || -> Result<(), StoreError> {
        if let Some(a) = rep.alerts.last() {
            store.set_setting(ALERTS_ACKED, &a.id.to_string())?;
        }
        if let Some(b) = rep.bounces.last() {
            store.set_setting(BOUNCES_ACKED, &b.id.to_string())?;
        }
        store.set_setting(LAST_REPORT, &json)
    };
    save().map_err(|e| e.to_string())?;
    tracing::debug!(
        alerts = rep.alerts.len(),
        bounces = rep.bounces.len(),
        "watch-over reported"
    );
    Ok(())
}
