//! Watch-over on the head-end: each household's policy and contacts (the box
//! fetches them), reminders set by family, what the box reports, the alert log,
//! the head-end's mail outbox and box-offline alerts.
//!
//! Anything the box should fetch again bumps `households.watch_version` in the
//! same transaction as the change.

use crate::db::Flag;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use engawa_watch::Policy;
use engawa_watch::api::{self, MAX_CONTACTS, WatchConfig, WatchReport};
use sqlx::Row;

use crate::db::{Db, from_ts, ts};
use crate::secret;

/// The operator's side of watch-over, same for every household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchSettings {
    /// Who the head-end writes to first when a box goes silent.
    pub operator_email: String,
    pub operator_name: String,
    pub operator_phone: String,
    /// No heartbeat for this long: the operator is emailed.
    pub offline_after: Duration,
    /// Still none this long: the family is emailed too.
    pub family_after: Duration,
}

impl Default for WatchSettings {
    fn default() -> Self {
        WatchSettings {
            operator_email: String::new(),
            operator_name: "engawa センター".into(),
            operator_phone: String::new(),
            offline_after: Duration::hours(2),
            family_after: Duration::hours(12),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub id: i64,
    pub household_id: i64,
    pub position: i64,
    pub name: String,
    pub email: String,
    pub link_token: String,
    pub bounced: Option<(DateTime<Utc>, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    pub kind: String,
    pub n: i64,
    pub at: DateTime<Utc>,
    pub detail: String,
}

/// What the console and the family page show about one household.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchOverview {
    pub household_id: i64,
    pub household: String,
    pub policy: Policy,
    pub state: Option<api::WatchState>,
    pub threshold_min: Option<i64>,
    pub adaptive: bool,
    pub away_until: Option<DateTime<Utc>>,
    pub paused_until: Option<DateTime<Utc>>,
    pub last_activity_at: Option<DateTime<Utc>>,
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    /// The household's current box.
    pub serial: Option<String>,
    pub contacts: Vec<ContactRow>,
    pub alerts: Vec<AlertRow>,
    pub reminders: Vec<api::FamilyReminder>,
}

/// Days the family may pause alerts within [`PAUSE_WINDOW_DAYS`] (a month): a
/// trip or a hospital stay fits, silencing watch-over for good does not.
pub const MAX_PAUSED_DAYS: i64 = 14;
pub const PAUSE_WINDOW_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseRefusal {
    /// This pause would go past the cap; this many whole days are left.
    OverMonthlyCap { left_days: i64 },
}

/// Total length of the union of `spans` (start, end), in their unit.
fn union_length(spans: &mut [(i64, i64)]) -> i64 {
    spans.sort_unstable();
    let mut total = 0;
    let mut current: Option<(i64, i64)> = None;
    for &(a, b) in spans.iter() {
        if b <= a {
            continue;
        }
        current = match current {
            Some((s, e)) if a <= e => Some((s, e.max(b))),
            Some((s, e)) => {
                total += e - s;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    if let Some((s, e)) = current {
        total += e - s;
    }
    total
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactRefusal {
    TooMany,
    NoSuchHousehold,
}

/// A box that has gone silent, or come back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilentBox {
    pub box_id: i64,
    pub household_id: i64,
    pub household: String,
    pub address: String,
    pub phone: String,
    pub serial: String,
    pub last_heartbeat_at: DateTime<Utc>,
    /// The open offline alert, if one was raised: (id, family mailed).
    pub open: Option<(i64, bool)>,
    pub away_until: Option<DateTime<Utc>>,
}

/// A mail to queue in the head-end's outbox.
pub struct NewMail<'a> {
    pub message_id: String,
    pub household_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub to_name: &'a str,
    pub to_addr: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

fn state_name(s: api::WatchState) -> &'static str {
    match s {
        api::WatchState::Watching => "watching",
        api::WatchState::Prompting => "prompting",
        api::WatchState::Alerted => "alerted",
        api::WatchState::Away => "away",
    }
}

fn state_of(s: &str) -> Option<api::WatchState> {
    Some(match s {
        "watching" => api::WatchState::Watching,
        "prompting" => api::WatchState::Prompting,
        "alerted" => api::WatchState::Alerted,
        "away" => api::WatchState::Away,
        _ => return None,
    })
}

fn policy_of(json: Option<String>) -> Policy {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

fn contact_of(r: &crate::db::engine::Row) -> Result<ContactRow, sqlx::Error> {
    let bounced_at: Option<i64> = r.try_get("bounced_at")?;
    let reason: Option<String> = r.try_get("bounce_reason")?;
    Ok(ContactRow {
        id: r.try_get("id")?,
        household_id: r.try_get("household_id")?,
        position: r.try_get("position")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        link_token: r.try_get("link_token")?,
        bounced: from_ts(bounced_at).map(|t| (t, reason.unwrap_or_default())),
    })
}

const CONTACT_COLUMNS: &str =
    "id, household_id, position, name, email, link_token, bounced_at, bounce_reason";

async fn bump(tx: &mut crate::db::Tx, household_id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE households SET watch_version = watch_version + 1 WHERE id = $1")
        .bind(household_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

impl Db {
    pub async fn watch_settings(&self) -> Result<WatchSettings, sqlx::Error> {
        let rows = sqlx::query("SELECT key, value FROM settings WHERE key LIKE 'watch.%'")
            .fetch_all(&self.pool)
            .await?;
        let mut s = WatchSettings::default();
        for r in rows {
            let (k, v): (String, String) = (r.try_get(0)?, r.try_get(1)?);
            match k.as_str() {
                "watch.operator_email" => s.operator_email = v,
                "watch.operator_name" => s.operator_name = v,
                "watch.operator_phone" => s.operator_phone = v,
                "watch.offline_after_min" => {
                    s.offline_after = Duration::minutes(v.parse().unwrap_or(120))
                }
                "watch.family_after_min" => {
                    s.family_after = Duration::minutes(v.parse().unwrap_or(720))
                }
                _ => {}
            }
        }
        Ok(s)
    }

    pub async fn set_watch_settings(&self, s: &WatchSettings) -> Result<(), sqlx::Error> {
        let mut tx = self.write_tx().await?;
        for (k, v) in [
            ("watch.operator_email", s.operator_email.clone()),
            ("watch.operator_name", s.operator_name.clone()),
            ("watch.operator_phone", s.operator_phone.clone()),
            (
                "watch.offline_after_min",
                s.offline_after.num_minutes().to_string(),
            ),
            (
                "watch.family_after_min",
                s.family_after.num_minutes().to_string(),
            ),
        ] {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(k)
            .bind(v)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    pub async fn watch_version(&self, household_id: i64) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT watch_version FROM households WHERE id = $1")
            .bind(household_id)
            .fetch_one(&self.pool)
            .await
    }

    /// Store a policy the caller has validated.
    pub async fn set_watch_policy(
        &self,
        household_id: i64,
        p: &Policy,
    ) -> Result<bool, sqlx::Error> {
        let json = serde_json::to_string(p).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE households SET watch_policy = $1 WHERE id = $2")
            .bind(json)
            .bind(household_id)
            .execute(&mut *tx)
            .await?;
        bump(&mut tx, household_id).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Add a contact at the end of the escalation order (the caller has checked
    /// the address).
    pub async fn add_contact(
        &self,
        household_id: i64,
        name: &str,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<i64, ContactRefusal>, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM households WHERE id = $1")
            .bind(household_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Ok(Err(ContactRefusal::NoSuchHousehold));
        }
        let (count, last): (i64, Option<i64>) = {
            let r = sqlx::query(
                "SELECT count(*), max(position) FROM contacts WHERE household_id = $1 AND removed_at IS NULL",
            )
            .bind(household_id)
            .fetch_one(&mut *tx)
            .await?;
            (r.try_get(0)?, r.try_get(1)?)
        };
        if count as usize >= MAX_CONTACTS {
            return Ok(Err(ContactRefusal::TooMany));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO contacts (household_id, position, name, email, link_token, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(household_id)
        .bind(last.unwrap_or(0) + 1)
        .bind(name)
        .bind(email.trim())
        .bind(secret::new_secret())
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?;
        bump(&mut tx, household_id).await?;
        tx.commit().await?;
        Ok(Ok(id))
    }

    /// Remove a contact of this household (their link stops working).
    pub async fn remove_contact(
        &self,
        household_id: i64,
        contact_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        self.retire(
            "UPDATE contacts SET removed_at = $1 WHERE id = $2 AND household_id = $3 AND removed_at IS NULL",
            household_id,
            contact_id,
            now,
        )
        .await
    }

    /// Mark one of the household's rows removed and bump the settings version.
    async fn retire(
        &self,
        sql: &'static str,
        household_id: i64,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(sql)
            .bind(ts(now))
            .bind(id)
            .bind(household_id)
            .execute(&mut *tx)
            .await?;
        bump(&mut tx, household_id).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// A new family-page link for a contact; the old one stops working at once.
    /// The bounce flag is cleared too: the operator has checked the address.
    pub async fn renew_contact_link(
        &self,
        household_id: i64,
        contact_id: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE contacts SET link_token = $1, bounced_at = NULL, bounce_reason = NULL
             WHERE id = $2 AND household_id = $3 AND removed_at IS NULL",
        )
        .bind(secret::new_secret())
        .bind(contact_id)
        .bind(household_id)
        .execute(&mut *tx)
        .await?;
        bump(&mut tx, household_id).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn contacts(&self, household_id: i64) -> Result<Vec<ContactRow>, sqlx::Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE household_id = $1 AND removed_at IS NULL
             ORDER BY position, id"
        )))
        .bind(household_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(contact_of).collect()
    }

    /// The contact a family-page link belongs to, if it is still valid.
    pub async fn contact_by_link(&self, token: &str) -> Result<Option<ContactRow>, sqlx::Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE link_token = $1 AND removed_at IS NULL"
        )))
        .bind(token)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(contact_of).transpose()
    }

    /// Pause alerts until then (None: resume).
    pub async fn set_paused(
        &self,
        household_id: i64,
        until: Option<DateTime<Utc>>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE households SET paused_until = $1 WHERE id = $2")
            .bind(until.map(ts))
            .bind(household_id)
            .execute(&mut *tx)
            .await?;
        bump(&mut tx, household_id).await?;
        tx.commit().await
    }

    /// A pause from the family page by `contact_id`, until `until` — unless the
    /// household's family pauses would then cover more than
    /// [`MAX_PAUSED_DAYS`] days of the last [`PAUSE_WINDOW_DAYS`] and the time
    /// ahead. Returns the pause's id (for its notice mails).
    pub async fn pause_by_family(
        &self,
        household_id: i64,
        contact_id: i64,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Result<i64, PauseRefusal>, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let window_start = ts(now) - PAUSE_WINDOW_DAYS * 86_400;
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT from_at, until_at FROM watch_pauses WHERE household_id = $1 AND until_at > $2",
        )
        .bind(household_id)
        .bind(window_start)
        .fetch_all(&mut *tx)
        .await?;
        let mut spans: Vec<(i64, i64)> = rows
            .into_iter()
            .map(|(a, b)| (a.max(window_start), b))
            .collect();
        let before = union_length(&mut spans);
        spans.push((ts(now), ts(until)));
        if union_length(&mut spans) > MAX_PAUSED_DAYS * 86_400 {
            let left_days = (MAX_PAUSED_DAYS * 86_400 - before).max(0) / 86_400;
            return Ok(Err(PauseRefusal::OverMonthlyCap { left_days }));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO watch_pauses (household_id, contact_id, from_at, until_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(household_id)
        .bind(contact_id)
        .bind(ts(now))
        .bind(ts(until))
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE households SET paused_until = $1 WHERE id = $2")
            .bind(ts(until))
            .bind(household_id)
            .execute(&mut *tx)
            .await?;
        bump(&mut tx, household_id).await?;
        tx.commit().await?;
        Ok(Ok(id))
    }

    /// Alerts again from now: the household's family pauses end now.
    pub async fn resume_by_family(
        &self,
        household_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE watch_pauses SET until_at = $1 WHERE household_id = $2 AND until_at > $1",
        )
        .bind(ts(now))
        .bind(household_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE households SET paused_until = NULL WHERE id = $1")
            .bind(household_id)
            .execute(&mut *tx)
            .await?;
        bump(&mut tx, household_id).await?;
        tx.commit().await
    }

    pub async fn add_family_reminder(
        &self,
        household_id: i64,
        contact_id: i64,
        phrase: &str,
        schedule: &engawa_remind::Schedule,
        now: DateTime<Utc>,
    ) -> Result<i64, sqlx::Error> {
        let json = serde_json::to_string(schedule).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO family_reminders (household_id, contact_id, phrase, schedule, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(household_id)
        .bind(contact_id)
        .bind(phrase)
        .bind(json)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?;
        bump(&mut tx, household_id).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn remove_family_reminder(
        &self,
        household_id: i64,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        self.retire(
            "UPDATE family_reminders SET removed_at = $1 WHERE id = $2 AND household_id = $3 AND removed_at IS NULL",
            household_id,
            id,
            now,
        )
        .await
    }

    async fn family_reminders(
        &self,
        household_id: i64,
    ) -> Result<Vec<api::FamilyReminder>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, phrase, schedule FROM family_reminders
             WHERE household_id = $1 AND removed_at IS NULL ORDER BY id",
        )
        .bind(household_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let json: String = r.try_get(2)?;
            match serde_json::from_str(&json) {
                Ok(schedule) => out.push(api::FamilyReminder {
                    id: r.try_get(0)?,
                    phrase: r.try_get(1)?,
                    schedule,
                }),
                Err(e) => tracing::error!(error = %e, "unreadable family reminder skipped"),
            }
        }
        Ok(out)
    }

    /// What the box fetches: `link_base` + token is each contact's page.
    pub async fn watch_config(
        &self,
        household_id: i64,
        link_base: &str,
    ) -> Result<WatchConfig, sqlx::Error> {
        let r = sqlx::query(
            "SELECT watch_version, watch_policy, paused_until FROM households WHERE id = $1",
        )
        .bind(household_id)
        .fetch_one(&self.pool)
        .await?;
        let contacts = self
            .contacts(household_id)
            .await?
            .into_iter()
            .map(|c| api::Contact {
                id: c.id,
                link: format!("{link_base}/family/{}", c.link_token),
                name: c.name,
                email: c.email,
            })
            .collect();
        Ok(WatchConfig {
            version: r.try_get(0)?,
            policy: policy_of(r.try_get(1)?),
            contacts,
            paused_until: from_ts(r.try_get(2)?),
            reminders: self.family_reminders(household_id).await?,
        })
    }

    /// Store what a box reported: its state, each alert once, each bounce once
    /// (flagging the contact with that address).
    pub async fn record_watch_report(
        &self,
        box_id: i64,
        household_id: i64,
        rep: &WatchReport,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE households SET watch_state = $1, watch_threshold_min = $2, watch_adaptive = $3, away_until = $4
             WHERE id = $5",
        )
        .bind(state_name(rep.state))
        .bind(rep.threshold_min)
        .bind(i64::from(rep.adaptive))
        .bind(rep.away_until.map(ts))
        .bind(household_id)
        .execute(&mut *tx)
        .await?;
        for a in &rep.alerts {
            sqlx::query(
                "INSERT INTO watch_alerts (household_id, box_id, box_alert_id, kind, n, at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (box_id, box_alert_id) DO NOTHING",
            )
            .bind(household_id)
            .bind(box_id)
            .bind(a.id)
            .bind(a.kind.as_str())
            .bind(i64::from(a.n))
            .bind(ts(a.at))
            .execute(&mut *tx)
            .await?;
        }
        for b in &rep.bounces {
            let fresh = sqlx::query(
                "INSERT INTO bounces_seen (box_id, box_mail_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(box_id)
            .bind(b.id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if fresh {
                flag_bounce(&mut tx, household_id, None, &b.email, b.at, &b.reason).await?;
            }
        }
        tx.commit().await
    }

    pub async fn watch_overview(
        &self,
        household_id: i64,
    ) -> Result<Option<WatchOverview>, sqlx::Error> {
        let Some(r) = sqlx::query(
            "SELECT h.name, h.watch_policy, h.watch_state, h.watch_threshold_min, h.watch_adaptive,
                    h.away_until, h.paused_until,
                    (SELECT max(last_activity_at) FROM boxes b WHERE b.household_id = h.id AND b.revoked_at IS NULL),
                    (SELECT max(last_heartbeat_at) FROM boxes b WHERE b.household_id = h.id AND b.revoked_at IS NULL),
                    (SELECT serial FROM boxes b WHERE b.household_id = h.id AND b.revoked_at IS NULL ORDER BY id DESC LIMIT 1)
             FROM households h WHERE h.id = $1",
        )
        .bind(household_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let alerts = sqlx::query(
            "SELECT kind, n, at, detail FROM watch_alerts WHERE household_id = $1 ORDER BY at DESC, id DESC LIMIT 30",
        )
        .bind(household_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|a| {
            Ok(AlertRow {
                kind: a.try_get(0)?,
                n: a.try_get(1)?,
                at: from_ts(a.try_get(2)?).unwrap_or_default(),
                detail: a.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let state: Option<String> = r.try_get(2)?;
        Ok(Some(WatchOverview {
            household_id,
            household: r.try_get(0)?,
            policy: policy_of(r.try_get(1)?),
            state: state.as_deref().and_then(state_of),
            threshold_min: r.try_get(3)?,
            adaptive: r.try_get::<Option<Flag>, _>(4)?.is_some_and(|f| f.0),
            away_until: from_ts(r.try_get(5)?),
            paused_until: from_ts(r.try_get(6)?),
            last_activity_at: from_ts(r.try_get(7)?),
            last_heartbeat_at: from_ts(r.try_get(8)?),
            serial: r.try_get(9)?,
            contacts: self.contacts(household_id).await?,
            alerts,
            reminders: self.family_reminders(household_id).await?,
        }))
    }

    /// Boxes whose last heartbeat is older than `before`, and boxes with an open
    /// offline alert (which may have come back).
    pub async fn silent_boxes(&self, before: DateTime<Utc>) -> Result<Vec<SilentBox>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT b.id, b.household_id, h.name, h.address, h.phone, b.serial, b.last_heartbeat_at,
                    o.id, o.family_at, h.away_until
             FROM boxes b JOIN households h ON h.id = b.household_id
             LEFT JOIN offline_alerts o ON o.box_id = b.id AND o.resolved_at IS NULL
             WHERE b.revoked_at IS NULL AND b.last_heartbeat_at IS NOT NULL
               AND (b.last_heartbeat_at < $1 OR o.id IS NOT NULL)
             ORDER BY b.id",
        )
        .bind(ts(before))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let open: Option<i64> = r.try_get(7)?;
                let family_at: Option<i64> = r.try_get(8)?;
                Ok(SilentBox {
                    box_id: r.try_get(0)?,
                    household_id: r.try_get(1)?,
                    household: r.try_get(2)?,
                    address: r.try_get(3)?,
                    phone: r.try_get(4)?,
                    serial: r.try_get(5)?,
                    last_heartbeat_at: from_ts(r.try_get(6)?).unwrap_or_default(),
                    open: open.map(|id| (id, family_at.is_some())),
                    away_until: from_ts(r.try_get(9)?),
                })
            })
            .collect()
    }

    /// Raise, escalate or resolve an offline alert and queue its mails in one
    /// transaction: the alert row's step and its mails exist together or not at
    /// all, and the Message-IDs keep a repeated step from mailing twice.
    pub async fn offline_step(
        &self,
        step: OfflineStep,
        household_id: i64,
        mails: &[NewMail<'_>],
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let (sql, kind, id) = match step {
            OfflineStep::Raise { box_id, since } => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO offline_alerts (box_id, since, operator_at) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(box_id)
                .bind(ts(since))
                .bind(ts(now))
                .fetch_one(&mut *tx)
                .await?;
                (None, "offline", id)
            }
            OfflineStep::Family { alert_id } => (
                Some(
                    "UPDATE offline_alerts SET family_at = $1 WHERE id = $2 AND family_at IS NULL",
                ),
                "offline_family",
                alert_id,
            ),
            OfflineStep::Resolve { alert_id } => (
                Some(
                    "UPDATE offline_alerts SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL",
                ),
                "online",
                alert_id,
            ),
        };
        if let Some(sql) = sql {
            let done = sqlx::query(sql)
                .bind(ts(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                // Someone else took this step already.
                return tx.rollback().await;
            }
        }
        sqlx::query(
            "INSERT INTO watch_alerts (household_id, kind, n, at, detail) VALUES ($1, $2, 1, $3, $4)",
        )
        .bind(household_id)
        .bind(kind)
        .bind(ts(now))
        .bind(format!("{} 通", mails.len()))
        .execute(&mut *tx)
        .await?;
        for m in mails {
            enqueue(&mut tx, m, now).await?;
        }
        tx.commit().await
    }

    /// Households whose family asked for the daily 「お元気です」.
    pub async fn digest_households(&self) -> Result<Vec<(i64, Policy)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, watch_policy FROM households WHERE watch_policy LIKE '%\"daily_digest\":true%'",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, policy_of(r.try_get(1)?))))
            .collect()
    }

    /// Queue mails (one transaction; a Message-ID already queued is skipped).
    /// Returns how many were new.
    pub async fn enqueue_mails(
        &self,
        mails: &[NewMail<'_>],
        now: DateTime<Utc>,
    ) -> Result<usize, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let mut n = 0;
        for m in mails {
            n += enqueue(&mut tx, m, now).await? as usize;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// (message id, to, state, subject, body) of every mail, oldest first.
    pub async fn outbox(
        &self,
    ) -> Result<Vec<(String, String, String, String, String)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT message_id, to_addr, state, subject, body FROM mail_outbox ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                ))
            })
            .collect()
    }
}

/// One step of a box-offline alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfflineStep {
    Raise { box_id: i64, since: DateTime<Utc> },
    Family { alert_id: i64 },
    Resolve { alert_id: i64 },
}

async fn enqueue(
    tx: &mut crate::db::Tx,
    m: &NewMail<'_>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO mail_outbox (message_id, household_id, contact_id, to_name, to_addr, subject, body, created_at, state, next_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9) ON CONFLICT (message_id) DO NOTHING",
    )
    .bind(&m.message_id)
    .bind(m.household_id)
    .bind(m.contact_id)
    .bind(m.to_name)
    .bind(m.to_addr)
    .bind(m.subject)
    .bind(m.body)
    .bind(ts(now))
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

async fn flag_bounce(
    tx: &mut crate::db::Tx,
    household_id: i64,
    contact_id: Option<i64>,
    email: &str,
    at: DateTime<Utc>,
    reason: &str,
) -> Result<(), sqlx::Error> {
    let reason: String = reason.chars().take(300).collect();
    sqlx::query(
        "UPDATE contacts SET bounced_at = $1, bounce_reason = $2
         WHERE household_id = $3 AND removed_at IS NULL AND (id = $4 OR email = $5)",
    )
    .bind(ts(at))
    .bind(reason)
    .bind(household_id)
    .bind(contact_id)
    .bind(email)
    .execute(&mut **tx)
    .await?;
    tracing::warn!(
        household_id,
        email,
        "a family mailbox refuses mail; flagged"
    );
    Ok(())
}

/// The head-end's own mail outbox, sent by `engawa_mail`.
impl engawa_mail::Outbox for Db {
    async fn due(
        &mut self,
        now: DateTime<Utc>,
    ) -> Result<Vec<engawa_mail::QueuedMail>, engawa_mail::StoreError> {
        let rows = sqlx::query(
            "SELECT id, message_id, to_name, to_addr, subject, body, attempts FROM mail_outbox
             WHERE state = 'pending' AND next_at <= $1 ORDER BY id LIMIT 20",
        )
        .bind(ts(now))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                Ok(engawa_mail::QueuedMail {
                    id: r.try_get(0)?,
                    message_id: r.try_get(1)?,
                    to_name: r.try_get(2)?,
                    to_addr: r.try_get(3)?,
                    subject: r.try_get(4)?,
                    body: r.try_get(5)?,
                    attempts: r.try_get::<i64, _>(6)? as u32,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?)
    }

    async fn sent(
        &mut self,
        m: &engawa_mail::QueuedMail,
        now: DateTime<Utc>,
    ) -> Result<(), engawa_mail::StoreError> {
        sqlx::query(
            "UPDATE mail_outbox SET state = 'sent', sent_at = $1, attempts = attempts + 1 WHERE id = $2",
        )
        .bind(ts(now))
        .bind(m.id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn retry(
        &mut self,
        m: &engawa_mail::QueuedMail,
        next_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), engawa_mail::StoreError> {
        sqlx::query(
            "UPDATE mail_outbox SET attempts = attempts + 1, next_at = $1, last_error = $2 WHERE id = $3",
        )
        .bind(ts(next_at))
        .bind(error)
        .bind(m.id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn failed(
        &mut self,
        m: &engawa_mail::QueuedMail,
        now: DateTime<Utc>,
        error: &str,
    ) -> Result<(), engawa_mail::StoreError> {
        let mut tx = self.write_tx().await?;
        let r = sqlx::query(
            "UPDATE mail_outbox SET state = 'failed', attempts = attempts + 1, last_error = $1
             WHERE id = $2 RETURNING household_id, contact_id",
        )
        .bind(error)
        .bind(m.id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = r {
            let (household, contact): (Option<i64>, Option<i64>) = (r.try_get(0)?, r.try_get(1)?);
            if let (Some(h), Some(c)) = (household, contact) {
                flag_bounce(&mut tx, h, Some(c), "", now, error).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The Tokyo date a digest is for.
pub fn digest_day(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&engawa_core::TOKYO).date_naive()
}
