//! The disaster service's SQL: municipalities and their rules, the household
//! fields, helpers, shelters, the JMA feeds and reports seen, campaigns (from
//! JMA reports and the headquarters' orders), answers, and the board.
//!
//! Anything a box should fetch again bumps its municipality's
//! `alert_version` in the same transaction as the change.

use crate::db::Tx;
use crate::db::{Engine, Flag};
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use engawa_disaster::api::{
    AlertCard, AlertNow, Answer, AnswerReceipt, AnswerRequest, ShelterNear,
};
use engawa_disaster::policy::{self, Campaign, Decision, Hazard, Order, Policy, ShelterUse};
use engawa_disaster::{Report, words};
use sqlx::Row;

use crate::db::{BoxAuth, Db, from_ts, ts};

/// A box with no heartbeat for this long (two missed five-minute beats and
/// some) is shown as 機械が つながらない, never as "no answer".
pub const OFFLINE_AFTER: Duration = Duration::minutes(12);
/// How many shelters a card lists.
pub const SHELTERS_ON_CARD: usize = 3;

#[derive(Debug, Clone, PartialEq)]
pub struct Municipality {
    /// 全国地方公共団体コード (6 digits).
    pub code: String,
    pub name: String,
    /// The JMA 市町村等 codes (7 digits) its reports name it by.
    pub jma_cities: BTreeSet<String>,
    pub policy: Policy,
    /// No answer this long after the TV asked: the family is mailed.
    pub family_after_min: i64,
    /// And this long: the household's helpers too.
    pub helpers_after_min: i64,
}

impl Municipality {
    /// The issue's defaults: family after 30 minutes, helpers after 60.
    pub fn new(code: &str, name: &str, jma_cities: BTreeSet<String>, policy: Policy) -> Self {
        Municipality {
            code: code.into(),
            name: name.into(),
            jma_cities,
            policy,
            family_after_min: 30,
            helpers_after_min: 60,
        }
    }
}

/// A mail the campaign owes about one household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailKind {
    Family,
    Helpers,
    Answered(Answer),
}

impl MailKind {
    pub fn key(&self) -> &'static str {
        match self {
            MailKind::Family => "family",
            MailKind::Helpers => "helpers",
            MailKind::Answered(a) => a.as_str(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DueMail {
    pub campaign: CampaignRow,
    pub household_id: i64,
    pub household: String,
    pub address: String,
    pub phone: String,
    pub kind: MailKind,
    pub minutes: i64,
    pub answered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewShelter {
    pub source_id: String,
    pub name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub capacity: Option<i64>,
    pub uses: BTreeSet<ShelterUse>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShelterState {
    Closed,
    Open,
    Crowded,
}

impl ShelterState {
    pub fn key(self) -> &'static str {
        match self {
            ShelterState::Closed => "closed",
            ShelterState::Open => "open",
            ShelterState::Crowded => "crowded",
        }
    }
    pub fn from_key(s: &str) -> Option<ShelterState> {
        [
            ShelterState::Closed,
            ShelterState::Open,
            ShelterState::Crowded,
        ]
        .into_iter()
        .find(|k| k.key() == s)
    }
    pub fn to_ja(self) -> &'static str {
        match self {
            ShelterState::Closed => "閉鎖",
            ShelterState::Open => "開設",
            ShelterState::Crowded => "混雑",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShelterRow {
    pub id: i64,
    pub municipality: String,
    pub source_id: String,
    pub name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub capacity: Option<i64>,
    pub uses: BTreeSet<ShelterUse>,
    pub state: ShelterState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub url: String,
    pub last_ok_at: Option<DateTime<Utc>>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub entries: i64,
}

/// What one report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// Seen before (same title, EventID, Serial and InfoType).
    Duplicate,
    /// Recorded; what it did in each municipality it concerned.
    Done(Vec<(String, Action)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Opened(i64),
    Joined(i64),
    /// 訂正: the campaign now says what the correction says.
    Replaced(i64),
    /// 取消, a correction below the rules, or the warning lifted.
    Closed(i64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRow {
    pub id: i64,
    pub municipality: String,
    pub municipality_name: String,
    pub drill: bool,
    pub hazard: Hazard,
    pub event_id: Option<String>,
    /// Orders only: the districts it is for; empty: all of the municipality.
    pub districts: Vec<String>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_why: Option<String>,
}

impl CampaignRow {
    /// Where, as the card says it.
    pub fn place(&self) -> String {
        if self.districts.is_empty() {
            self.municipality_name.clone()
        } else {
            self.districts.join("・")
        }
    }

    fn covers(&self, district: &str) -> bool {
        self.districts.is_empty() || self.districts.iter().any(|d| d == district)
    }
}

/// How a household stands in a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    Help,
    NoAnswer,
    Offline,
    Safe,
}

impl Standing {
    pub fn to_ja(self) -> &'static str {
        match self {
            Standing::Safe => "無事",
            Standing::Help => "たすけが必要",
            Standing::NoAnswer => "応答なし",
            Standing::Offline => "機械が つながらない",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub safe: i64,
    pub help: i64,
    pub no_answer: i64,
    pub offline: i64,
}

impl Tally {
    pub fn add(&mut self, s: Standing) {
        match s {
            Standing::Safe => self.safe += 1,
            Standing::Help => self.help += 1,
            Standing::NoAnswer => self.no_answer += 1,
            Standing::Offline => self.offline += 1,
        }
    }

    /// `n` households standing so.
    pub fn add_n(&mut self, s: Standing, n: i64) {
        match s {
            Standing::Safe => self.safe += n,
            Standing::Help => self.help += n,
            Standing::NoAnswer => self.no_answer += n,
            Standing::Offline => self.offline += n,
        }
    }
    pub fn total(&self) -> i64 {
        self.safe + self.help + self.no_answer + self.offline
    }
    /// Answered (either way), as a share of all, 0..=1.
    pub fn answered_share(&self) -> f64 {
        if self.total() == 0 {
            return 0.0;
        }
        (self.safe + self.help) as f64 / self.total() as f64
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HelperRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub phone: String,
    pub email: String,
}

/// One household on the board and the patrol list.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardRow {
    pub household_id: i64,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub district: String,
    pub needs_support: bool,
    pub standing: Standing,
    pub answered_at: Option<DateTime<Utc>>,
    pub helpers: Vec<HelperRow>,
}

impl BoardRow {
    /// The patrol list's order: たすけが必要, then people needing support
    /// without an answer, then the rest without an answer, then the safe.
    pub fn need(&self) -> (u8, i64) {
        let rank = match (self.standing, self.needs_support) {
            (Standing::Help, _) => 0,
            (Standing::NoAnswer | Standing::Offline, true) => 1,
            (Standing::NoAnswer | Standing::Offline, false) => 2,
            (Standing::Safe, _) => 3,
        };
        (rank, self.household_id)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    pub campaign: CampaignRow,
    /// By district, in name order.
    pub districts: Vec<(String, Tally)>,
    pub total: Tally,
    /// By need ([`BoardRow::need`]): たすけが必要, 要支援者 without an
    /// answer, the rest without one, the safe.
    pub households: Vec<BoardRow>,
}

/// Why an answer was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerRefusal {
    /// No such campaign for this household.
    UnknownCampaign,
    /// The same idempotency key came with another answer.
    KeyReused,
}

fn parse_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

fn uses_text(uses: &BTreeSet<ShelterUse>) -> String {
    uses.iter().map(|u| u.key()).collect::<Vec<_>>().join(",")
}

fn parse_uses(s: &str) -> BTreeSet<ShelterUse> {
    parse_list(s)
        .iter()
        .filter_map(|k| ShelterUse::from_key(k))
        .collect()
}

fn hazard_json(h: &Hazard) -> String {
    serde_json::to_string(h).expect("a hazard serialises")
}

fn hazard_from(s: &str) -> Result<Hazard, sqlx::Error> {
    serde_json::from_str(s).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn campaign_from(r: &crate::db::engine::Row) -> Result<CampaignRow, sqlx::Error> {
    Ok(CampaignRow {
        id: r.try_get("id")?,
        municipality: r.try_get("municipality")?,
        municipality_name: r.try_get("mname")?,
        drill: r.try_get::<Flag, _>("drill")?.0,
        hazard: hazard_from(&r.try_get::<String, _>("hazard")?)?,
        event_id: r.try_get("event_id")?,
        districts: parse_list(&r.try_get::<String, _>("districts")?),
        opened_at: from_ts(r.try_get("opened_at")?).unwrap_or_default(),
        closed_at: from_ts(r.try_get("closed_at")?),
        closed_why: r.try_get("closed_why")?,
    })
}

const CAMPAIGN_COLUMNS: &str =
    "c.id, c.municipality, m.name AS mname, c.drill, c.hazard, c.event_id, c.districts,
     c.opened_at, c.closed_at, c.closed_why";

impl Db {
    /// Adds a municipality or changes its name, cities and rules.
    pub async fn set_municipality(&self, m: &Municipality) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO municipalities (code, name, jma_cities, policy, family_after_min, helpers_after_min)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, jma_cities = excluded.jma_cities,
                 policy = excluded.policy, family_after_min = excluded.family_after_min,
                 helpers_after_min = excluded.helpers_after_min",
        )
        .bind(&m.code)
        .bind(&m.name)
        .bind(m.jma_cities.iter().cloned().collect::<Vec<_>>().join(","))
        .bind(serde_json::to_string(&m.policy).expect("a policy serialises"))
        .bind(m.family_after_min)
        .bind(m.helpers_after_min)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn municipalities(&self) -> Result<Vec<Municipality>, sqlx::Error> {
        let rows =
            sqlx::query("SELECT code, name, jma_cities, policy, family_after_min, helpers_after_min FROM municipalities ORDER BY code")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(Municipality {
                    code: r.try_get(0)?,
                    name: r.try_get(1)?,
                    jma_cities: parse_list(&r.try_get::<String, _>(2)?)
                        .into_iter()
                        .collect(),
                    policy: serde_json::from_str(&r.try_get::<String, _>(3)?)
                        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                    family_after_min: r.try_get(4)?,
                    helpers_after_min: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// A household's municipality, JMA city and place on the 要支援者 list
    /// (the date the person consented; `None`: not on it).
    pub async fn set_household_disaster(
        &self,
        household_id: i64,
        municipality: Option<&str>,
        jma_city: Option<&str>,
        support_consent: Option<NaiveDate>,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE households SET municipality = $1, jma_city = $2, support_consent = $3 WHERE id = $4",
        )
        .bind(municipality)
        .bind(jma_city)
        .bind(support_consent.map(|d| d.to_string()))
        .bind(household_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces a municipality's district boundaries (from its GeoJSON).
    pub async fn set_district_shapes(
        &self,
        municipality: &str,
        shapes: &[(String, engawa_disaster::geo::Rings)],
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM district_shapes WHERE municipality = $1")
            .bind(municipality)
            .execute(&mut *tx)
            .await?;
        for (district, rings) in shapes {
            sqlx::query(
                "INSERT INTO district_shapes (municipality, district, rings) VALUES ($1, $2, $3)",
            )
            .bind(municipality)
            .bind(district)
            .bind(serde_json::to_string(rings).expect("rings serialise"))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    pub async fn district_shapes(
        &self,
        municipality: &str,
    ) -> Result<Vec<(String, engawa_disaster::geo::Rings)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT district, rings FROM district_shapes WHERE municipality = $1 ORDER BY district",
        )
        .bind(municipality)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    serde_json::from_str(&r.try_get::<String, _>(1)?)
                        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                ))
            })
            .collect()
    }

    /// The districts of a municipality's households, in name order.
    pub async fn districts(&self, municipality: &str) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT DISTINCT district FROM households WHERE municipality = $1 AND district != '' ORDER BY district",
        )
        .bind(municipality)
        .fetch_all(&self.pool)
        .await
    }

    pub async fn add_helper(
        &self,
        household_id: i64,
        name: &str,
        role: &str,
        phone: &str,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "INSERT INTO helpers (household_id, name, role, phone, email, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(household_id)
        .bind(name)
        .bind(role)
        .bind(phone)
        .bind(email)
        .bind(ts(now))
        .fetch_one(&self.pool)
        .await
    }

    pub async fn helpers(&self, household_id: i64) -> Result<Vec<HelperRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, name, role, phone, email FROM helpers
             WHERE household_id = $1 AND removed_at IS NULL ORDER BY id",
        )
        .bind(household_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(helper_from).collect()
    }

    /// The municipality's shelters from its open-data file: new ones added,
    /// known ones (by their ID) updated; whether each is open stays as the
    /// headquarters set it. Returns (added, updated).
    pub async fn import_shelters(
        &self,
        municipality: &str,
        shelters: &[NewShelter],
        now: DateTime<Utc>,
    ) -> Result<(usize, usize), sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let (mut added, mut updated) = (0, 0);
        for s in shelters {
            let known: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM shelters WHERE municipality = $1 AND source_id = $2",
            )
            .bind(municipality)
            .bind(&s.source_id)
            .fetch_optional(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO shelters (municipality, source_id, name, address, lat, lon, capacity, uses, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (municipality, source_id) DO UPDATE SET name = excluded.name,
                     address = excluded.address, lat = excluded.lat, lon = excluded.lon,
                     capacity = excluded.capacity, uses = excluded.uses, updated_at = excluded.updated_at",
            )
            .bind(municipality)
            .bind(&s.source_id)
            .bind(&s.name)
            .bind(&s.address)
            .bind(s.lat)
            .bind(s.lon)
            .bind(s.capacity)
            .bind(uses_text(&s.uses))
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
            let inserted = known.is_none();
            if inserted {
                added += 1;
            } else {
                updated += 1;
            }
        }
        bump(&mut tx, municipality).await?;
        tx.commit().await?;
        Ok((added, updated))
    }

    pub async fn shelters(&self, municipality: &str) -> Result<Vec<ShelterRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, municipality, source_id, name, address, lat, lon, capacity, uses, state
             FROM shelters WHERE municipality = $1 ORDER BY source_id, id",
        )
        .bind(municipality)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(shelter_from).collect()
    }

    /// The headquarters opens, closes or marks a shelter crowded; the cards
    /// of its municipality change with it.
    pub async fn set_shelter_state(
        &self,
        municipality: &str,
        shelter_id: i64,
        state: ShelterState,
        now: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let m: Option<String> = sqlx::query_scalar(
            "UPDATE shelters SET state = $1, updated_at = $2 WHERE id = $3 AND municipality = $4
             RETURNING municipality",
        )
        .bind(state.key())
        .bind(ts(now))
        .bind(shelter_id)
        .bind(municipality)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(m) = m else { return Ok(false) };
        bump(&mut tx, &m).await?;
        tx.commit().await?;
        Ok(true)
    }

    // ----- JMA feeds -------------------------------------------------------

    /// The `Last-Modified` the feed last answered with, for `If-Modified-Since`.
    pub async fn feed_last_modified(&self, url: &str) -> Result<Option<String>, sqlx::Error> {
        Ok(sqlx::query_scalar::<_, Option<String>>(
            "SELECT last_modified FROM jma_feeds WHERE url = $1",
        )
        .bind(url)
        .fetch_optional(&self.pool)
        .await?
        .flatten())
    }

    /// A pass over the feed went through: every entry it listed is handled.
    pub async fn feed_ok(
        &self,
        url: &str,
        last_modified: Option<&str>,
        new_entries: i64,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO jma_feeds (url, last_modified, last_ok_at, entries) VALUES ($1, $2, $3, $4)
             ON CONFLICT (url) DO UPDATE SET last_modified = COALESCE($2, jma_feeds.last_modified),
                 last_ok_at = $3, entries = jma_feeds.entries + $4",
        )
        .bind(url)
        .bind(last_modified)
        .bind(ts(now))
        .bind(new_entries)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn feed_error(
        &self,
        url: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        let error: String = error.chars().take(500).collect();
        sqlx::query(
            "INSERT INTO jma_feeds (url, last_error_at, last_error) VALUES ($1, $2, $3)
             ON CONFLICT (url) DO UPDATE SET last_error_at = $2, last_error = $3",
        )
        .bind(url)
        .bind(ts(now))
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn feeds(&self) -> Result<Vec<FeedRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT url, last_ok_at, last_error_at, last_error, entries FROM jma_feeds ORDER BY url",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FeedRow {
                    url: r.try_get(0)?,
                    last_ok_at: from_ts(r.try_get(1)?),
                    last_error_at: from_ts(r.try_get(2)?),
                    last_error: r.try_get(3)?,
                    entries: r.try_get(4)?,
                })
            })
            .collect()
    }

    pub async fn entry_seen(&self, entry_id: &str) -> Result<bool, sqlx::Error> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT 1 FROM jma_entries WHERE entry_id = $1")
                .bind(entry_id)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    /// An entry is handled for good: its report ingested, or refused as
    /// garbage (it will not get better by fetching it again).
    pub async fn mark_entry(
        &self,
        entry_id: &str,
        feed_url: &str,
        link: &str,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO jma_entries (entry_id, feed_url, link, seen_at, outcome) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (entry_id) DO NOTHING",
        )
        .bind(entry_id)
        .bind(feed_url)
        .bind(link)
        .bind(ts(now))
        .bind(outcome)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // ----- campaigns -------------------------------------------------------

    /// One JMA report, in one transaction: recorded once (a second copy is
    /// `Duplicate`), then for every municipality it names: 取消 closes the
    /// campaigns of its event, 訂正 replaces what they say (or closes them
    /// when the corrected report no longer asks), a lifted warning closes
    /// its campaign, and otherwise the municipality's rules decide.
    pub async fn ingest_report(
        &self,
        r: &Report,
        now: DateTime<Utc>,
    ) -> Result<Ingested, sqlx::Error> {
        use engawa_disaster::jma::InfoType;
        let municipalities = self.municipalities().await?;
        let mut tx = self.write_tx().await?;
        let outcome = match (r.status_kind(), r.info_type_kind()) {
            (Some(engawa_disaster::jma::Status::Test), _) => "test",
            (None, _) | (_, None) => "unknown status",
            _ => "recorded",
        };
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO jma_reports (title, event_id, serial, info_type, status, headline, reported_at, received_at, outcome)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(&r.title)
        .bind(r.event_id.as_deref().unwrap_or(""))
        .bind(serial_key(r))
        .bind(r.info_type.as_deref().unwrap_or(""))
        .bind(r.status.as_deref().unwrap_or(""))
        .bind(r.headline.as_deref().unwrap_or(""))
        .bind(r.reported_at.as_deref())
        .bind(ts(now))
        .bind(outcome)
        .fetch_optional(&mut *tx)
        .await?;
        if id.is_none() {
            return Ok(Ingested::Duplicate);
        }
        let mut actions = Vec::new();
        if outcome != "recorded" {
            tx.commit().await?;
            return Ok(Ingested::Done(actions));
        }
        let info = r.info_type_kind();
        for m in &municipalities {
            let open = open_campaigns(&mut tx, &m.code).await?;
            let of_event: Vec<&Campaign> = open
                .iter()
                .filter(|c| c.event_id.is_some() && c.event_id == r.event_id)
                .collect();
            let mut touched = false;
            match info {
                Some(InfoType::Cancelled) => {
                    for c in of_event {
                        close(&mut tx, c.id, None, "取消", now).await?;
                        actions.push((m.code.clone(), Action::Closed(c.id)));
                        touched = true;
                    }
                }
                Some(InfoType::Corrected) if !of_event.is_empty() => {
                    let now_asks = policy::hazards(r, &m.policy, &m.jma_cities)
                        .into_iter()
                        .next();
                    for c in of_event {
                        match &now_asks {
                            Some(h) => {
                                sqlx::query("UPDATE campaigns SET hazard = $1 WHERE id = $2")
                                    .bind(hazard_json(h))
                                    .bind(c.id)
                                    .execute(&mut *tx)
                                    .await?;
                                actions.push((m.code.clone(), Action::Replaced(c.id)));
                            }
                            None => {
                                close(&mut tx, c.id, None, "訂正", now).await?;
                                actions.push((m.code.clone(), Action::Closed(c.id)));
                            }
                        }
                        touched = true;
                    }
                }
                _ => {
                    for c in lifted(r, m, &open) {
                        close(&mut tx, c, None, "解除", now).await?;
                        actions.push((m.code.clone(), Action::Closed(c)));
                        touched = true;
                    }
                    let still: Vec<Campaign> = open
                        .iter()
                        .filter(|c| !actions.contains(&(m.code.clone(), Action::Closed(c.id))))
                        .cloned()
                        .collect();
                    match policy::decide(r, &m.policy, &m.jma_cities, &still, now) {
                        Decision::Ignore => {}
                        Decision::Join { campaign } => {
                            actions.push((m.code.clone(), Action::Joined(campaign)));
                        }
                        Decision::Open { hazard, drill } => {
                            // A tsunami asks the districts by the sea only.
                            let districts = match hazard {
                                Hazard::Tsunami { .. } => m
                                    .policy
                                    .coastal_districts
                                    .iter()
                                    .cloned()
                                    .collect::<Vec<_>>()
                                    .join(","),
                                _ => String::new(),
                            };
                            let id: i64 = sqlx::query_scalar(
                                "INSERT INTO campaigns (municipality, drill, hazard, districts, event_id, opened_at)
                                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                            )
                            .bind(&m.code)
                            .bind(i64::from(drill))
                            .bind(hazard_json(&hazard))
                            .bind(districts)
                            .bind(r.event_id.as_deref())
                            .bind(ts(now))
                            .fetch_one(&mut *tx)
                            .await?;
                            actions.push((m.code.clone(), Action::Opened(id)));
                            touched = true;
                        }
                    }
                }
            }
            if touched {
                bump(&mut tx, &m.code).await?;
            }
        }
        tx.commit().await?;
        Ok(Ingested::Done(actions))
    }

    /// The headquarters issues an evacuation order for some districts (none:
    /// the whole municipality), with the shelters to list; `operator_id` is
    /// `None` from the command line.
    #[allow(clippy::too_many_arguments)]
    pub async fn issue_order(
        &self,
        municipality: &str,
        order: Order,
        danger: ShelterUse,
        districts: &[String],
        shelters: &[i64],
        drill: bool,
        operator_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<i64, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO campaigns (municipality, drill, hazard, districts, opened_at, opened_by)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(municipality)
        .bind(i64::from(drill))
        .bind(hazard_json(&Hazard::Order { order, danger }))
        .bind(districts.join(","))
        .bind(ts(now))
        .bind(operator_id)
        .fetch_one(&mut *tx)
        .await?;
        for s in shelters {
            sqlx::query(
                "INSERT INTO campaign_shelters (campaign_id, shelter_id)
                 SELECT $1, id FROM shelters WHERE id = $2 AND municipality = $3",
            )
            .bind(id)
            .bind(s)
            .bind(municipality)
            .execute(&mut *tx)
            .await?;
        }
        bump(&mut tx, municipality).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Lifts an order or ends a campaign. Of two staff doing it at once, one
    /// wins (`true`); the other is told it was already done.
    pub async fn close_campaign(
        &self,
        campaign_id: i64,
        operator_id: Option<i64>,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let m = close(&mut tx, campaign_id, operator_id, why, now).await?;
        let Some(m) = m else { return Ok(false) };
        bump(&mut tx, &m).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn campaign(&self, id: i64) -> Result<Option<CampaignRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns c JOIN municipalities m ON m.code = c.municipality WHERE c.id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(campaign_from).transpose()
    }

    /// Open campaigns first (newest first), then the last closed ones.
    pub async fn campaigns(&self, limit: i64) -> Result<Vec<CampaignRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns c JOIN municipalities m ON m.code = c.municipality
             ORDER BY c.closed_at IS NOT NULL, c.id DESC LIMIT $1"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(campaign_from).collect()
    }

    /// Campaigns in a scope, newest first, each with the names of the
    /// shelters it lists (the city platform's CAP feed and NGSI-LD alerts).
    /// `only`: that one; `orders_only`: the headquarters' evacuation orders.
    pub async fn campaigns_in(
        &self,
        scope: &crate::db::Scope,
        only: Option<i64>,
        orders_only: bool,
        limit: i64,
    ) -> Result<Vec<(CampaignRow, Vec<String>)>, sqlx::Error> {
        let sql = format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns c JOIN municipalities m ON m.code = c.municipality
             WHERE ($4 = 0 OR c.hazard LIKE '{{\"Order\"%') AND ($1 = '*' OR c.municipality = $1)
               AND ($2 = 0 OR c.id = $2)
             ORDER BY c.id DESC LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(scope.bind())
            .bind(only.unwrap_or(0))
            .bind(limit)
            .bind(i64::from(orders_only))
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let c = campaign_from(r)?;
            let shelters: Vec<String> = sqlx::query_scalar(
                "SELECT s.name FROM campaign_shelters cs JOIN shelters s ON s.id = cs.shelter_id
                 WHERE cs.campaign_id = $1 ORDER BY s.name",
            )
            .bind(c.id)
            .fetch_all(&self.pool)
            .await?;
            out.push((c, shelters));
        }
        Ok(out)
    }

    // ----- the box's side ------------------------------------------------

    /// Every municipality's alert version (the stream's hub follows them).
    pub async fn alert_versions(&self) -> Result<BTreeMap<String, i64>, sqlx::Error> {
        let rows = sqlx::query("SELECT code, alert_version FROM municipalities")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// The municipality a household belongs to, if any.
    pub async fn household_municipality(
        &self,
        household_id: i64,
    ) -> Result<Option<String>, sqlx::Error> {
        Ok(sqlx::query_scalar::<_, Option<String>>(
            "SELECT municipality FROM households WHERE id = $1",
        )
        .bind(household_id)
        .fetch_optional(&self.pool)
        .await?
        .flatten())
    }

    /// The household's alert version: its municipality's (0 without one).
    pub async fn alert_version(&self, household_id: i64) -> Result<i64, sqlx::Error> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT m.alert_version FROM households h JOIN municipalities m ON m.code = h.municipality
             WHERE h.id = $1",
        )
        .bind(household_id)
        .fetch_optional(&self.pool)
        .await?
        .unwrap_or(0))
    }

    /// What the household's box shows: the newest open campaign covering
    /// its district, in words, with the nearest open shelters for it.
    pub async fn alert_now(&self, household_id: i64) -> Result<AlertNow, sqlx::Error> {
        let h = sqlx::query(
            "SELECT h.municipality, h.district, h.lat, h.lon, COALESCE(m.alert_version, 0)
             FROM households h LEFT JOIN municipalities m ON m.code = h.municipality WHERE h.id = $1",
        )
        .bind(household_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(h) = h else {
            return Ok(AlertNow {
                version: 0,
                alert: None,
            });
        };
        let municipality: Option<String> = h.try_get(0)?;
        let district: String = h.try_get(1)?;
        let at: (Option<f64>, Option<f64>) = (h.try_get(2)?, h.try_get(3)?);
        let version: i64 = h.try_get(4)?;
        let Some(municipality) = municipality else {
            return Ok(AlertNow {
                version,
                alert: None,
            });
        };
        let sql = format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns c JOIN municipalities m ON m.code = c.municipality
             WHERE c.municipality = $1 AND c.closed_at IS NULL ORDER BY c.id DESC"
        );
        let open = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&municipality)
            .fetch_all(&self.pool)
            .await?;
        let mut campaign = None;
        for r in &open {
            let c = campaign_from(r)?;
            if c.covers(&district) {
                campaign = Some(c);
                break;
            }
        }
        let Some(c) = campaign else {
            return Ok(AlertNow {
                version,
                alert: None,
            });
        };
        let answer: Option<String> = sqlx::query_scalar(
            "SELECT answer FROM answers WHERE campaign_id = $1 AND household_id = $2",
        )
        .bind(c.id)
        .bind(household_id)
        .fetch_optional(&self.pool)
        .await?;
        let listed: Vec<i64> =
            sqlx::query_scalar("SELECT shelter_id FROM campaign_shelters WHERE campaign_id = $1")
                .bind(c.id)
                .fetch_all(&self.pool)
                .await?;
        let need = c.hazard.shelter_use();
        let mut shelters: Vec<(Option<f64>, ShelterRow)> = self
            .shelters(&municipality)
            .await?
            .into_iter()
            .filter(|s| s.state != ShelterState::Closed)
            .filter(|s| {
                if listed.is_empty() {
                    need.is_none_or(|u| s.uses.contains(&u))
                } else {
                    listed.contains(&s.id)
                }
            })
            .map(|s| {
                let d = match (at, s.lat, s.lon) {
                    ((Some(a), Some(b)), Some(c), Some(d)) => {
                        Some(engawa_ride::travel::Haversine::km((a, b), (c, d)) * 1000.0)
                    }
                    _ => None,
                };
                (d, s)
            })
            .collect();
        shelters.sort_by(|a, b| {
            let key = |d: Option<f64>| d.unwrap_or(f64::INFINITY);
            key(a.0).total_cmp(&key(b.0)).then(a.1.id.cmp(&b.1.id))
        });
        let place = c.place();
        Ok(AlertNow {
            version,
            alert: Some(AlertCard {
                campaign_id: c.id,
                drill: c.drill,
                level: c.hazard.level(),
                what: words::what(&c.hazard, &place),
                place,
                todo: words::todo(&c.hazard).to_string(),
                shelters: shelters
                    .into_iter()
                    .take(SHELTERS_ON_CARD)
                    .map(|(d, s)| ShelterNear {
                        name: s.name,
                        distance_m: d.map(|m| m.round() as u32),
                        crowded: s.state == ShelterState::Crowded,
                    })
                    .collect(),
                opened_at: c.opened_at,
                answer: answer.as_deref().and_then(Answer::parse),
            }),
        })
    }

    /// The resident answered. The household's answer is the latest one sent;
    /// the same idempotency key again changes nothing and gets the same
    /// receipt. A closed campaign still takes answers (the board keeps them).
    pub async fn record_answer(
        &self,
        auth: BoxAuth,
        key: &str,
        req: &AnswerRequest,
        now: DateTime<Utc>,
    ) -> Result<Result<AnswerReceipt, AnswerRefusal>, sqlx::Error> {
        let _turn = self
            .hot_writers
            .acquire()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let mut tx = self.write_tx().await?;
        let seen = sqlx::query(
            "SELECT campaign_id, answer FROM answer_keys WHERE box_id = $1 AND idem_key = $2",
        )
        .bind(auth.box_id)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = seen {
            let (campaign, answer): (i64, String) = (r.try_get(0)?, r.try_get(1)?);
            if campaign != req.campaign_id || answer != req.answer.as_str() {
                return Ok(Err(AnswerRefusal::KeyReused));
            }
            return Ok(Ok(AnswerReceipt {
                campaign_id: campaign,
                answer: req.answer,
            }));
        }
        let ours: Option<i64> = sqlx::query_scalar(
            "SELECT c.id FROM campaigns c JOIN households h ON h.municipality = c.municipality
             WHERE c.id = $1 AND h.id = $2",
        )
        .bind(req.campaign_id)
        .bind(auth.household_id)
        .fetch_optional(&mut *tx)
        .await?;
        if ours.is_none() {
            return Ok(Err(AnswerRefusal::UnknownCampaign));
        }
        sqlx::query("INSERT INTO answer_keys (box_id, idem_key, campaign_id, answer, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(auth.box_id)
            .bind(key)
            .bind(req.campaign_id)
            .bind(req.answer.as_str())
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        // The box's clock may be wrong: never later than the head-end's.
        let answered_at = req.answered_at.min(now);
        sqlx::query(
            "INSERT INTO answers (campaign_id, household_id, box_id, answer, answered_at, received_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (campaign_id, household_id) DO UPDATE SET box_id = $3, answer = $4,
                 answered_at = $5, received_at = $6 WHERE answers.answered_at <= $5",
        )
        .bind(req.campaign_id)
        .bind(auth.household_id)
        .bind(auth.box_id)
        .bind(req.answer.as_str())
        .bind(ts(answered_at))
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        let held: String = sqlx::query_scalar(
            "SELECT answer FROM answers WHERE campaign_id = $1 AND household_id = $2",
        )
        .bind(req.campaign_id)
        .bind(auth.household_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(AnswerReceipt {
            campaign_id: req.campaign_id,
            answer: Answer::parse(&held).unwrap_or(req.answer),
        }))
    }

    // ----- mails ---------------------------------------------------------

    /// The mails real (not drill) campaigns owe: family and then helpers of
    /// every household without an answer once its municipality's delays
    /// have passed, and family of every household that answered. Each at
    /// most once ([`Db::mark_campaign_mail`]).
    pub async fn due_mails(&self, now: DateTime<Utc>) -> Result<Vec<DueMail>, sqlx::Error> {
        let sql = format!(
            "SELECT {CAMPAIGN_COLUMNS}, m.family_after_min, m.helpers_after_min
             FROM campaigns c JOIN municipalities m ON m.code = c.municipality
             WHERE c.closed_at IS NULL AND c.drill = 0"
        );
        let open = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        let mut due = Vec::new();
        for r in &open {
            let c = campaign_from(r)?;
            let (family_after, helpers_after): (i64, i64) = (r.try_get(10)?, r.try_get(11)?);
            let minutes = (now - c.opened_at).num_minutes();
            let rows = sqlx::query(
                "SELECT h.id, h.name, h.address, h.phone, h.district, a.answer, a.answered_at,
                        (SELECT string_agg(kind, ',') FROM campaign_mails x WHERE x.campaign_id = $1 AND x.household_id = h.id)
                 FROM households h LEFT JOIN answers a ON a.campaign_id = $1 AND a.household_id = h.id
                 WHERE h.municipality = $2 ORDER BY h.id",
            )
            .bind(c.id)
            .bind(&c.municipality)
            .fetch_all(&self.pool)
            .await?;
            for h in &rows {
                let district: String = h.try_get(4)?;
                if !c.covers(&district) {
                    continue;
                }
                let sent = parse_list(&h.try_get::<Option<String>, _>(7)?.unwrap_or_default());
                let answer = h
                    .try_get::<Option<String>, _>(5)?
                    .as_deref()
                    .and_then(Answer::parse);
                let mut kinds = Vec::new();
                match answer {
                    Some(a) => kinds.push(MailKind::Answered(a)),
                    None => {
                        if minutes >= family_after {
                            kinds.push(MailKind::Family);
                        }
                        if minutes >= helpers_after {
                            kinds.push(MailKind::Helpers);
                        }
                    }
                }
                for kind in kinds {
                    if sent.iter().any(|k| k == kind.key()) {
                        continue;
                    }
                    due.push(DueMail {
                        campaign: c.clone(),
                        household_id: h.try_get(0)?,
                        household: h.try_get(1)?,
                        address: h.try_get(2)?,
                        phone: h.try_get(3)?,
                        kind,
                        minutes,
                        answered_at: from_ts(h.try_get(6)?),
                    });
                }
            }
        }
        Ok(due)
    }

    pub async fn mark_campaign_mail(
        &self,
        campaign_id: i64,
        household_id: i64,
        kind: &MailKind,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO campaign_mails (campaign_id, household_id, kind, at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(campaign_id)
        .bind(household_id)
        .bind(kind.key())
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // ----- the board -----------------------------------------------------

    /// The board as the HQ's page shows it: every household the campaign
    /// covers counted by district and standing in SQL (an offline box is
    /// never "no answer"), and only the first `list` households by need
    /// (たすけが必要, then 要支援者 without an answer, then the rest without
    /// one, then the safe). With 10,000 households decoding every row was
    /// most of the page's time; the patrol list and the CSV read them all
    /// ([`Db::board`]).
    pub async fn board_summary(
        &self,
        campaign_id: i64,
        now: DateTime<Utc>,
        list: i64,
    ) -> Result<Option<Board>, sqlx::Error> {
        let Some(scope) = self.board_scope(campaign_id, now).await? else {
            return Ok(None);
        };
        let counts = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} SELECT district, standing, COUNT(*) FROM rows GROUP BY district, standing",
            board_rows(self.engine)
        )))
        .bind(campaign_id)
        .bind(&scope.campaign.municipality)
        .bind(&scope.only)
        .bind(scope.cutoff)
        .fetch_all(&self.pool)
        .await?;
        let mut tally = BoardTally::default();
        for r in &counts {
            let (district, st, n): (String, i64, i64) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            tally.add(district, standing_of(st), n);
        }
        // Only the tallies (the 防災 overview): no list to read.
        let households = if list <= 0 {
            Vec::new()
        } else {
            self.board_rows(&scope, list).await?
        };
        Ok(Some(tally.board(scope.campaign, households)))
    }

    /// Every household the campaign covers, in the patrol list's order (by
    /// need), for the patrol list and the CSV: one query, the tallies
    /// counted from its rows.
    pub async fn board(
        &self,
        campaign_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<Board>, sqlx::Error> {
        let Some(scope) = self.board_scope(campaign_id, now).await? else {
            return Ok(None);
        };
        let households = self.board_rows(&scope, i64::MAX).await?;
        let mut tally = BoardTally::default();
        for h in &households {
            tally.add(h.district.clone(), h.standing, 1);
        }
        Ok(Some(tally.board(scope.campaign, households)))
    }

    async fn board_scope(
        &self,
        campaign_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<BoardScope>, sqlx::Error> {
        let Some(campaign) = self.campaign(campaign_id).await? else {
            return Ok(None);
        };
        // ",仁科,宇久須," — or empty: the whole municipality.
        let only = if campaign.districts.is_empty() {
            String::new()
        } else {
            format!(",{},", campaign.districts.join(","))
        };
        Ok(Some(BoardScope {
            campaign,
            only,
            cutoff: ts(now - OFFLINE_AFTER),
        }))
    }

    /// The first `limit` households of the board by need, with their helpers.
    async fn board_rows(
        &self,
        scope: &BoardScope,
        limit: i64,
    ) -> Result<Vec<BoardRow>, sqlx::Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} SELECT id, name, address, phone, district, support, standing, answered_at FROM rows
             ORDER BY CASE WHEN standing = 0 THEN 0 WHEN standing = 3 THEN 3
                           WHEN support THEN 1 ELSE 2 END, id
             LIMIT $5",
            board_rows(self.engine)
        )))
        .bind(scope.campaign.id)
        .bind(&scope.campaign.municipality)
        .bind(&scope.only)
        .bind(scope.cutoff)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let ids: BTreeSet<i64> = rows
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<Result<_, _>>()?;
        let mut by_household = self.helpers_of(&scope.campaign.municipality, &ids).await?;
        let mut households = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            households.push(BoardRow {
                household_id: id,
                name: r.try_get(1)?,
                address: r.try_get(2)?,
                phone: r.try_get(3)?,
                district: r.try_get(4)?,
                needs_support: r.try_get::<Flag, _>(5)?.0,
                standing: standing_of(r.try_get(6)?),
                answered_at: from_ts(r.try_get(7)?),
                helpers: by_household.remove(&id).unwrap_or_default(),
            });
        }
        Ok(households)
    }

    /// The registered helpers of these households of a municipality.
    async fn helpers_of(
        &self,
        municipality: &str,
        households: &BTreeSet<i64>,
    ) -> Result<BTreeMap<i64, Vec<HelperRow>>, sqlx::Error> {
        let helpers = sqlx::query(
            "SELECT p.id, p.name, p.role, p.phone, p.email, p.household_id FROM helpers p
             JOIN households h ON h.id = p.household_id
             WHERE h.municipality = $1 AND p.removed_at IS NULL ORDER BY p.id",
        )
        .bind(municipality)
        .fetch_all(&self.pool)
        .await?;
        let mut by_household: BTreeMap<i64, Vec<HelperRow>> = BTreeMap::new();
        for r in &helpers {
            let id: i64 = r.try_get(5)?;
            if households.contains(&id) {
                by_household.entry(id).or_default().push(helper_from(r)?);
            }
        }
        Ok(by_household)
    }
}

/// The households a campaign's board covers, each with its standing (0 help,
/// 1 no answer, 2 box offline, 3 safe). Binds: ?1 campaign, ?2 municipality,
/// ?3 ",district,…," or '' for all, ?4 the offline cut-off.
fn board_rows(engine: Engine) -> String {
    let in_districts = engine.contains("$3", "',' || h.district || ','");
    format!(
        "WITH rows AS (
    SELECT h.id, h.name, h.address, h.phone, h.district,
           h.support_consent IS NOT NULL AS support, a.answer, a.answered_at,
           CASE WHEN a.answer = 'safe' THEN 3 WHEN a.answer = 'help' THEN 0
                WHEN (SELECT MAX(b.last_heartbeat_at) FROM boxes b
                      WHERE b.household_id = h.id AND b.revoked_at IS NULL) >= $4 THEN 1
                ELSE 2 END AS standing
    FROM households h LEFT JOIN answers a ON a.campaign_id = $1 AND a.household_id = h.id
    WHERE h.municipality = $2 AND ($3 = '' OR {in_districts}))"
    )
}

fn standing_of(n: i64) -> Standing {
    match n {
        0 => Standing::Help,
        1 => Standing::NoAnswer,
        2 => Standing::Offline,
        _ => Standing::Safe,
    }
}

struct BoardScope {
    campaign: CampaignRow,
    only: String,
    cutoff: i64,
}

#[derive(Default)]
struct BoardTally {
    districts: BTreeMap<String, Tally>,
    total: Tally,
}

impl BoardTally {
    fn add(&mut self, district: String, standing: Standing, n: i64) {
        self.districts
            .entry(district)
            .or_default()
            .add_n(standing, n);
        self.total.add_n(standing, n);
    }

    fn board(self, campaign: CampaignRow, households: Vec<BoardRow>) -> Board {
        Board {
            campaign,
            districts: self.districts.into_iter().collect(),
            total: self.total,
            households,
        }
    }
}

fn helper_from(r: &crate::db::engine::Row) -> Result<HelperRow, sqlx::Error> {
    Ok(HelperRow {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        role: r.try_get(2)?,
        phone: r.try_get(3)?,
        email: r.try_get(4)?,
    })
}

fn shelter_from(r: &crate::db::engine::Row) -> Result<ShelterRow, sqlx::Error> {
    Ok(ShelterRow {
        id: r.try_get(0)?,
        municipality: r.try_get(1)?,
        source_id: r.try_get(2)?,
        name: r.try_get(3)?,
        address: r.try_get(4)?,
        lat: r.try_get(5)?,
        lon: r.try_get(6)?,
        capacity: r.try_get(7)?,
        uses: parse_uses(&r.try_get::<String, _>(8)?),
        state: ShelterState::from_key(&r.try_get::<String, _>(9)?).unwrap_or(ShelterState::Closed),
    })
}

async fn bump(tx: &mut Tx, municipality: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE municipalities SET alert_version = alert_version + 1 WHERE code = $1")
        .bind(municipality)
        .execute(&mut **tx)
        .await?;
    // Every instance's hub hears it when the change commits (PostgreSQL
    // delivers a notification only then); SQLite has one instance, whose
    // hub is refreshed by the caller.
    if tx.backend_name() == crate::disaster::hub::POSTGRES_BACKEND {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(crate::disaster::hub::CHANNEL)
            .bind(municipality)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Closes an open campaign; its municipality, or `None` when it was not open.
async fn close(
    tx: &mut Tx,
    id: i64,
    operator_id: Option<i64>,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE campaigns SET closed_at = $1, closed_by = $2, closed_why = $3
         WHERE id = $4 AND closed_at IS NULL RETURNING municipality",
    )
    .bind(ts(now))
    .bind(operator_id)
    .bind(why)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

async fn open_campaigns(tx: &mut Tx, municipality: &str) -> Result<Vec<Campaign>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, opened_at, drill, hazard, event_id FROM campaigns
         WHERE municipality = $1 AND closed_at IS NULL ORDER BY id",
    )
    .bind(municipality)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Campaign {
                id: r.try_get(0)?,
                opened_at: from_ts(r.try_get(1)?).unwrap_or_default(),
                drill: r.try_get::<Flag, _>(2)?.0,
                hazard: hazard_from(&r.try_get::<String, _>(3)?)?,
                event_id: r.try_get(4)?,
            })
        })
        .collect()
}

/// What tells a report from the next of its event: its `Serial`; tsunami
/// reports have none (every update of the 2011 samples has an empty one), so
/// for them the report time stands in (`@2011-03-11T14:49:00+09:00`). The same
/// report fetched twice has the same time and is still a duplicate.
fn serial_key(r: &Report) -> String {
    match r.serial.as_deref() {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => format!("@{}", r.reported_at.as_deref().unwrap_or("")),
    }
}

/// Warning, landslide and tsunami campaigns this report lifts: it speaks of
/// their kind for one of the municipality's cities (a tsunami: for one of its
/// 津波予報区), and nowhere keeps it in force.
fn lifted(r: &Report, m: &Municipality, open: &[Campaign]) -> Vec<i64> {
    let coast: Vec<_> = m
        .policy
        .tsunami_areas
        .iter()
        .filter_map(|a| r.tsunami.get(a))
        .collect();
    let tsunami_over = !coast.is_empty() && coast.iter().all(|k| !k.is_warning());
    let said: Vec<&engawa_disaster::jma::Warning> = m
        .jma_cities
        .iter()
        .filter_map(|c| r.warnings.get(c))
        .flatten()
        .collect();
    open.iter()
        .filter(|c| {
            let matches = |w: &&&engawa_disaster::jma::Warning| match &c.hazard {
                Hazard::Warning { code, .. } => !w.landslide && &w.code == code,
                Hazard::Landslide => w.landslide,
                _ => false,
            };
            if matches!(c.hazard, Hazard::Tsunami { .. }) {
                return tsunami_over;
            }
            let about: Vec<_> = said.iter().filter(matches).collect();
            !about.is_empty() && about.iter().all(|w| !w.in_force())
        })
        .filter(|c| {
            let drill = r.status_kind() == Some(engawa_disaster::jma::Status::Drill);
            c.drill == drill
        })
        .map(|c| c.id)
        .collect()
}
