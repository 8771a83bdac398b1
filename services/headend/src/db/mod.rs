//! The head-end's storage layer: every SQL statement of the head-end lives here.
//!
//! SQLite (one file, WAL, `synchronous=FULL`) or PostgreSQL (the shared
//! regional platform) through sqlx's Any driver; what differs between them is
//! in `engine`. Times are stored as Unix seconds.

use std::path::Path;

use chrono::{DateTime, Utc};
use engawa_core::api::{Heartbeat, PairingGrant, TokenGrant};
use sqlx::{AnyPool, Row};

use crate::secret;

pub mod console;
pub mod engine;
pub mod leases;
pub mod retention;
pub use console::{Grant, HouseholdRow, PendingPairing, Role, Scope, Session};
pub(crate) use engine::{Conn, Flag};
pub use engine::{Engine, Location, Tx};

/// How long a pairing code is valid, and how often a box may poll.
pub const PAIRING_TTL_S: i64 = 15 * 60;
pub const POLL_INTERVAL_S: i64 = 5;
/// Wrong pairing codes accepted per window before approvals are refused.
/// Connections one head-end instance keeps to PostgreSQL.
pub const POSTGRES_CONNECTIONS: u32 = 16;
pub const MAX_FAILED_APPROVALS: i64 = 10;
/// Pairing requests (`POST /v1/pairing`) accepted from one source address per
/// window: a box asks again only when its code expires or it restarts, so this
/// leaves room for many boxes behind one address and stops a flood.
pub const MAX_PAIRINGS_PER_SOURCE: i64 = 30;
pub const PAIRING_WINDOW_S: i64 = PAIRING_TTL_S;
pub const FAILED_APPROVAL_WINDOW_S: i64 = 10 * 60;

/// The head-end's own migrations: households, pairing, boxes, the console,
/// logins.
const CORE: &[(u32, &str)] = &[
    // 1: households, pairing requests, boxes, approval failures.
    (
        1,
        "CREATE TABLE households (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        phone TEXT NOT NULL,
        lat REAL,
        lon REAL,
        shop INTEGER NOT NULL DEFAULT 0,
        ride INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE pairings (
        id INTEGER PRIMARY KEY,
        device_code_hash TEXT NOT NULL UNIQUE,
        user_code TEXT NOT NULL,
        serial TEXT NOT NULL,
        software_version TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        last_poll_at INTEGER,
        household_id INTEGER REFERENCES households(id),
        approved_at INTEGER,
        token_issued_at INTEGER
    );
    CREATE INDEX pairings_user_code ON pairings (user_code, expires_at);
    CREATE TABLE boxes (
        id INTEGER PRIMARY KEY,
        household_id INTEGER NOT NULL REFERENCES households(id),
        serial TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER,
        software_version TEXT,
        uptime_s INTEGER,
        last_heartbeat_at INTEGER,
        last_activity_at INTEGER
    );
    CREATE TABLE approval_failures (at INTEGER NOT NULL);",
    ),
    // 4: the operator console — operators (argon2 password hashes), sessions (the
    // cookie stored as a hash, with its CSRF token), login failures; households
    // get a district (delivery lists are per district) and taxi eligibility.
    (
        4,
        "CREATE TABLE operators (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        operator_id INTEGER NOT NULL REFERENCES operators(id),
        csrf TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE login_failures (at INTEGER NOT NULL);
    ALTER TABLE households ADD COLUMN district TEXT NOT NULL DEFAULT '';
    ALTER TABLE households ADD COLUMN eligibility TEXT NOT NULL DEFAULT '';",
    ),
    // 13: console logins counted per account (the typed name's hash) and per
    // source address; an attempt is reserved before the password is checked.
    (
        13,
        "DROP TABLE login_failures;
    CREATE TABLE login_attempts (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        account TEXT NOT NULL,
        source TEXT NOT NULL
    );
    CREATE INDEX login_attempts_account ON login_attempts (account, at);
    CREATE INDEX login_attempts_source ON login_attempts (source, at);",
    ),
    // 14: pairing requests counted per source address; expired ones pruned.
    (
        14,
        "ALTER TABLE pairings ADD COLUMN source TEXT NOT NULL DEFAULT '';
    CREATE INDEX pairings_source ON pairings (source, created_at);
    CREATE INDEX pairings_expires ON pairings (expires_at);",
    ),
    // 18: a console login can be disabled (its sessions end with it).
    (18, "ALTER TABLE operators ADD COLUMN disabled_at INTEGER;"),
    // 19: roles — what a login is for (logins made before are the platform's
    // 管理者, who could do everything), the municipality of staff and the
    // disaster board, the car of a driver.
    (
        19,
        "ALTER TABLE operators ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'
            CHECK (role IN ('admin', 'staff', 'hq', 'driver'));
    ALTER TABLE operators ADD COLUMN municipality TEXT REFERENCES municipalities(code);
    ALTER TABLE operators ADD COLUMN vehicle_id INTEGER REFERENCES ride_vehicles(id);",
    ),
    // 21: leases — which instance runs each background task (db/leases.rs).
    (
        21,
        "CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        until INTEGER NOT NULL
    );",
    ),
];

/// Every migration in order: the head-end's own and each service's (its
/// `schema` module), in one numbering recorded in `PRAGMA user_version` (SQLite)
/// or the table `engawa_schema` (PostgreSQL).
/// Append only: never edit a migration that has shipped.
pub fn migrations() -> Vec<(u32, &'static str)> {
    let mut all = [
        CORE,
        crate::shop::schema::MIGRATIONS,
        crate::ride::schema::MIGRATIONS,
        crate::watch::schema::MIGRATIONS,
        crate::disaster::schema::MIGRATIONS,
        crate::platform::schema::MIGRATIONS,
        crate::city::schema::MIGRATIONS,
    ]
    .concat();
    all.sort_by_key(|m| m.0);
    all
}

#[derive(Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    pub(crate) engine: Engine,
    /// The PostgreSQL URL (for its notifications, which need a connection
    /// of their own); `None` on SQLite.
    postgres_url: Option<std::sync::Arc<str>>,
    /// Hot write paths (10,000 安否 answers in a minute) take a turn here
    /// before they take a pooled connection: a write waiting for SQLite's
    /// lock would otherwise hold a connection the readers need.
    pub(crate) hot_writers: std::sync::Arc<tokio::sync::Semaphore>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewHousehold {
    pub name: String,
    pub address: String,
    pub phone: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub shop: bool,
    pub ride: bool,
    /// The village or district: delivery lists are grouped by it.
    pub district: String,
    /// Taxi eligibility categories, comma separated (「65歳以上,免許返納」).
    pub eligibility: String,
    /// The municipality (its code) the household belongs to; `None`: the
    /// platform's own (one municipality on its own head-end).
    pub municipality: Option<String>,
}

/// A heartbeat as it is written (`heartbeats` gathers them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beat {
    pub software_version: String,
    pub uptime_s: i64,
    pub at: DateTime<Utc>,
    pub last_activity_at: Option<DateTime<Utc>>,
}

/// Why a poll did not yield a token (RFC 8628 §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollRefusal {
    Pending,
    SlowDown,
    Expired,
    AlreadyIssued,
    Unknown,
}

/// Why a box was given no pairing code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairingRefusal {
    /// `MAX_PAIRINGS_PER_SOURCE` requests from this address in the window.
    TooMany,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApproveRefusal {
    UnknownCode,
    NoSuchHousehold,
    TooManyAttempts,
}

/// An authenticated box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxAuth {
    pub box_id: i64,
    pub household_id: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BoxRow {
    pub id: i64,
    pub household_id: i64,
    pub serial: String,
    pub revoked: bool,
    pub software_version: Option<String>,
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    pub last_activity_at: Option<DateTime<Utc>>,
}

/// `path` exists and only its owner can read or write it.
fn private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    let mode = f.metadata()?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777), "the database could be read by other users; made 0600");
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    for side in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(side);
        if let Ok(m) = std::fs::metadata(&p)
            && m.permissions().mode() & 0o077 != 0
        {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_ts(t: Option<i64>) -> Option<DateTime<Utc>> {
    t.and_then(|s| DateTime::from_timestamp(s, 0))
}

impl Db {
    /// Opens (creating if missing) the database at `path`. The file holds
    /// households' addresses, phones and contacts: it is created mode 0600, and an
    /// existing file others can read is made 0600 (SQLite gives its -wal and -shm
    /// files the database file's mode).
    pub async fn open(path: &Path) -> Result<Db, sqlx::Error> {
        private_file(path).map_err(sqlx::Error::Io)?;
        let pool = engine::sqlite_pool(path).await?;
        Db::on(pool, Engine::Sqlite).await
    }

    /// Opens the database at `location`: a SQLite file (created if missing, as
    /// `open`) or a PostgreSQL database (which must exist; its tables are made
    /// here), with at most `POSTGRES_CONNECTIONS` connections to PostgreSQL.
    pub async fn connect(location: &Location) -> Result<Db, sqlx::Error> {
        match location {
            Location::Sqlite(path) => Db::open(path).await,
            Location::Postgres(url) => {
                let pool = engine::postgres_pool(url, POSTGRES_CONNECTIONS).await?;
                let mut db = Db::on(pool, Engine::Postgres).await?;
                db.postgres_url = Some(std::sync::Arc::from(url.as_str()));
                Ok(db)
            }
        }
    }

    async fn on(pool: AnyPool, engine: Engine) -> Result<Db, sqlx::Error> {
        let db = Db {
            pool,
            engine,
            postgres_url: None,
            hot_writers: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
        };
        engine.migrate(&db.pool, &migrations()).await?;
        Ok(db)
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn postgres_url(&self) -> Option<std::sync::Arc<str>> {
        self.postgres_url.clone()
    }

    /// A write transaction holding the database's write lock from its first
    /// statement (SQLite's `BEGIN IMMEDIATE`, an advisory lock on PostgreSQL), so
    /// that what it reads cannot change before it writes. Everything inside it
    /// must use the transaction's own connection: a second connection from the
    /// pool could deadlock against writers waiting for the lock while holding
    /// the rest of the pool.
    pub async fn write_tx(&self) -> Result<Tx, sqlx::Error> {
        self.engine.write_tx(&self.pool).await
    }

    pub async fn add_household(
        &self,
        h: &NewHousehold,
        now: DateTime<Utc>,
    ) -> Result<i64, sqlx::Error> {
        let row = sqlx::query(
            "INSERT INTO households (name, address, phone, lat, lon, shop, ride, created_at, shop_from, district, eligibility, municipality)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(&h.name)
        .bind(&h.address)
        .bind(&h.phone)
        .bind(h.lat)
        .bind(h.lon)
        .bind(i64::from(h.shop))
        .bind(i64::from(h.ride))
        .bind(ts(now))
        .bind(
            h.shop
                .then(|| now.with_timezone(&engawa_core::TOKYO).date_naive().to_string()),
        )
        .bind(&h.district)
        .bind(&h.eligibility)
        .bind(h.municipality.as_deref())
        .fetch_one(&self.pool)
        .await?;
        row.try_get(0)
    }

    /// A box asks to be paired: a fresh device code (returned once, stored hashed)
    /// and a pairing code not used by any other live request — unless `source`
    /// has asked `MAX_PAIRINGS_PER_SOURCE` times in the window. The count and the
    /// insert are one statement, so parallel requests cannot pass it together.
    pub async fn start_pairing(
        &self,
        serial: &str,
        software_version: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<PairingGrant, PairingRefusal>, sqlx::Error> {
        let device_code = secret::new_secret();
        loop {
            let user_code = secret::new_user_code();
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO pairings (device_code_hash, user_code, serial, software_version, source, created_at, expires_at)
                 SELECT $1, $2, $3, $4, $5, $6, $7
                 WHERE (SELECT COUNT(*) FROM pairings WHERE source = $5 AND created_at > $6 - $8) < $9
                   AND NOT EXISTS (SELECT 1 FROM pairings WHERE user_code = $2 AND expires_at > $6 AND token_issued_at IS NULL)
                 RETURNING id",
            )
            .bind(secret::hash(&device_code))
            .bind(&user_code)
            .bind(serial)
            .bind(software_version)
            .bind(source)
            .bind(ts(now))
            .bind(ts(now) + PAIRING_TTL_S)
            .bind(PAIRING_WINDOW_S)
            .bind(MAX_PAIRINGS_PER_SOURCE)
            .fetch_optional(&self.pool)
            .await?;
            if inserted.is_some() {
                return Ok(Ok(PairingGrant {
                    device_code,
                    user_code,
                    interval_s: POLL_INTERVAL_S as u32,
                    expires_in_s: PAIRING_TTL_S as u32,
                }));
            }
            let recent: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pairings WHERE source = $1 AND created_at > $2",
            )
            .bind(source)
            .bind(ts(now) - PAIRING_WINDOW_S)
            .fetch_one(&self.pool)
            .await?;
            if recent >= MAX_PAIRINGS_PER_SOURCE {
                return Ok(Err(PairingRefusal::TooMany));
            }
            // Otherwise the pairing code was taken by a live request: draw again.
        }
    }

    /// What approving `typed_code` for `household_id` would do, for the operator
    /// to confirm: the live request's serial. Counts a wrong code exactly as
    /// `approve_pairing` does, so looking codes up is no way around the limit.
    pub async fn pairing_to_approve(
        &self,
        typed_code: &str,
        household_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Result<PendingPairing, ApproveRefusal>, sqlx::Error> {
        if self.failed_approvals(now).await? >= MAX_FAILED_APPROVALS {
            return Ok(Err(ApproveRefusal::TooManyAttempts));
        }
        let household: Option<i64> = sqlx::query_scalar("SELECT id FROM households WHERE id = $1")
            .bind(household_id)
            .fetch_optional(&self.pool)
            .await?;
        if household.is_none() {
            return Ok(Err(ApproveRefusal::NoSuchHousehold));
        }
        let row = match secret::normalise_user_code(typed_code) {
            None => None,
            Some(code) => {
                sqlx::query(
                    "SELECT user_code, serial, created_at FROM pairings
                     WHERE user_code = $1 AND expires_at > $2 AND approved_at IS NULL",
                )
                .bind(&code)
                .bind(ts(now))
                .fetch_optional(&self.pool)
                .await?
            }
        };
        let Some(r) = row else {
            sqlx::query("INSERT INTO approval_failures (at) VALUES ($1)")
                .bind(ts(now))
                .execute(&self.pool)
                .await?;
            return Ok(Err(ApproveRefusal::UnknownCode));
        };
        Ok(Ok(PendingPairing {
            user_code: r.try_get(0)?,
            serial: r.try_get(1)?,
            created_at: from_ts(r.try_get(2)?).unwrap_or_default(),
        }))
    }

    async fn failed_approvals(&self, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM approval_failures WHERE at > $1")
            .bind(ts(now) - FAILED_APPROVAL_WINDOW_S)
            .fetch_one(&self.pool)
            .await
    }

    /// The operator approves a pairing code for a household. Wrong codes are
    /// counted; after `MAX_FAILED_APPROVALS` in the window every approval is
    /// refused until the window passes (guessing defence).
    pub async fn approve_pairing(
        &self,
        typed_code: &str,
        household_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Result<String, ApproveRefusal>, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let failures: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM approval_failures WHERE at > $1")
                .bind(ts(now) - FAILED_APPROVAL_WINDOW_S)
                .fetch_one(&mut *tx)
                .await?;
        if failures >= MAX_FAILED_APPROVALS {
            return Ok(Err(ApproveRefusal::TooManyAttempts));
        }
        let household: Option<i64> = sqlx::query_scalar("SELECT id FROM households WHERE id = $1")
            .bind(household_id)
            .fetch_optional(&mut *tx)
            .await?;
        if household.is_none() {
            return Ok(Err(ApproveRefusal::NoSuchHousehold));
        }
        let serial: Option<String> = match secret::normalise_user_code(typed_code) {
            None => None,
            Some(code) => {
                sqlx::query_scalar(
                    "UPDATE pairings SET household_id = $1, approved_at = $2
                     WHERE user_code = $3 AND expires_at > $4 AND approved_at IS NULL
                     RETURNING serial",
                )
                .bind(household_id)
                .bind(ts(now))
                .bind(&code)
                .bind(ts(now))
                .fetch_optional(&mut *tx)
                .await?
            }
        };
        let Some(serial) = serial else {
            sqlx::query("INSERT INTO approval_failures (at) VALUES ($1)")
                .bind(ts(now))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Err(ApproveRefusal::UnknownCode));
        };
        tx.commit().await?;
        Ok(Ok(serial))
    }

    /// The box polls. Once approved it receives its token exactly once: the
    /// pairing is marked issued by the same statement that claims it. The request
    /// is read first without a transaction, so unknown, expired or pending codes
    /// (anyone can send them) never wait for or hold the write lock.
    pub async fn poll_pairing(
        &self,
        device_code: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<TokenGrant, PollRefusal>, sqlx::Error> {
        let hash = secret::hash(device_code);
        let row = sqlx::query(
            "SELECT expires_at, approved_at, token_issued_at, last_poll_at FROM pairings WHERE device_code_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(Err(PollRefusal::Unknown));
        };
        let (expires_at, approved, issued, last_poll): (
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        ) = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        );
        if issued.is_some() {
            return Ok(Err(PollRefusal::AlreadyIssued));
        }
        if expires_at <= ts(now) {
            return Ok(Err(PollRefusal::Expired));
        }
        if approved.is_none() {
            if last_poll.is_some_and(|t| ts(now) - t < POLL_INTERVAL_S) {
                return Ok(Err(PollRefusal::SlowDown));
            }
            sqlx::query("UPDATE pairings SET last_poll_at = $1 WHERE device_code_hash = $2")
                .bind(ts(now))
                .bind(&hash)
                .execute(&self.pool)
                .await?;
            return Ok(Err(PollRefusal::Pending));
        }
        let mut tx = self.write_tx().await?;
        let claimed = sqlx::query(
            "UPDATE pairings SET token_issued_at = $1, last_poll_at = $2
             WHERE device_code_hash = $3 AND approved_at IS NOT NULL AND token_issued_at IS NULL AND expires_at > $4
             RETURNING household_id, serial",
        )
        .bind(ts(now))
        .bind(ts(now))
        .bind(&hash)
        .bind(ts(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = claimed else {
            // Another poll of the same code claimed it first.
            return Ok(Err(PollRefusal::AlreadyIssued));
        };
        let household_id: i64 = row.try_get(0)?;
        let serial: String = row.try_get(1)?;
        let token = secret::new_secret();
        sqlx::query(
            "INSERT INTO boxes (household_id, serial, token_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(household_id)
        .bind(&serial)
        .bind(secret::hash(&token))
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(TokenGrant {
            token,
            household_id,
        }))
    }

    pub async fn box_by_token(&self, token: &str) -> Result<Option<BoxAuth>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, household_id FROM boxes WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(secret::hash(token))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(BoxAuth {
                box_id: r.try_get(0)?,
                household_id: r.try_get(1)?,
            })
        })
        .transpose()
    }

    pub async fn record_heartbeat(
        &self,
        box_id: i64,
        hb: &Heartbeat,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE boxes SET software_version = $1, uptime_s = $2, last_heartbeat_at = $3, last_activity_at = $4
             WHERE id = $5",
        )
        .bind(&hb.software_version)
        .bind(i64::try_from(hb.uptime_s).unwrap_or(i64::MAX))
        .bind(ts(now))
        .bind(hb.last_activity_at.map(ts))
        .bind(box_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Many boxes' heartbeats in one transaction (group commit, see
    /// `heartbeats`).
    pub async fn record_heartbeats(&self, beats: &[(i64, &Beat)]) -> Result<(), sqlx::Error> {
        let mut tx = self.write_tx().await?;
        for (box_id, b) in beats {
            sqlx::query(
                "UPDATE boxes SET software_version = $1, uptime_s = $2, last_heartbeat_at = $3, last_activity_at = $4
                 WHERE id = $5",
            )
            .bind(&b.software_version)
            .bind(b.uptime_s)
            .bind(ts(b.at))
            .bind(b.last_activity_at.map(ts))
            .bind(box_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// What a heartbeat answers: the household's watch-over and alert
    /// versions, in one read.
    pub async fn box_versions(&self, household_id: i64) -> Result<(i64, i64), sqlx::Error> {
        let row = sqlx::query(
            "SELECT h.watch_version, COALESCE(m.alert_version, 0)
             FROM households h LEFT JOIN municipalities m ON m.code = h.municipality WHERE h.id = $1",
        )
        .bind(household_id)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    pub async fn first_household(&self) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar("SELECT id FROM households ORDER BY id LIMIT 1")
            .fetch_optional(&self.pool)
            .await
    }

    /// Provision a box directly, without the pairing dance (the demo, where box
    /// and head-end run on one PC). Returns the token, shown once.
    pub async fn issue_token(
        &self,
        household_id: i64,
        serial: &str,
        now: DateTime<Utc>,
    ) -> Result<String, sqlx::Error> {
        let token = secret::new_secret();
        sqlx::query(
            "INSERT INTO boxes (household_id, serial, token_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(household_id)
        .bind(serial)
        .bind(secret::hash(&token))
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(token)
    }

    /// A box is swapped or lost: its token stops working at once.
    pub async fn revoke_box(&self, box_id: i64, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
        // The household's family-page links are renewed with it: a lost box may
        // have been found by someone who also holds an old mail.
        let mut tx = self.write_tx().await?;
        let household: Option<i64> = sqlx::query_scalar(
            "UPDATE boxes SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING household_id",
        )
        .bind(ts(now))
        .bind(box_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(household) = household else {
            return Ok(false);
        };
        let contacts: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM contacts WHERE household_id = $1 AND removed_at IS NULL",
        )
        .bind(household)
        .fetch_all(&mut *tx)
        .await?;
        for c in contacts {
            sqlx::query("UPDATE contacts SET link_token = $1 WHERE id = $2")
                .bind(secret::new_secret())
                .bind(c)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE households SET watch_version = watch_version + 1 WHERE id = $1")
            .bind(household)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn boxes(&self) -> Result<Vec<BoxRow>, sqlx::Error> {
        self.boxes_in(&Scope::All).await
    }

    /// The household of box `id`, if the box exists and is in `scope`.
    pub async fn box_household_in(
        &self,
        scope: &Scope,
        id: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT household_id FROM boxes WHERE id = $1
               AND ($2 = '*' OR household_id IN (SELECT id FROM households WHERE municipality = $2))",
        )
        .bind(id)
        .bind(scope.bind())
        .fetch_optional(&self.pool)
        .await
    }

    /// The boxes of the households in `scope`.
    pub async fn boxes_in(&self, scope: &Scope) -> Result<Vec<BoxRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, household_id, serial, revoked_at, software_version, last_heartbeat_at, last_activity_at
             FROM boxes WHERE ($1 = '*' OR household_id IN (SELECT id FROM households WHERE municipality = $1))
             ORDER BY id",
        )
        .bind(scope.bind())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(BoxRow {
                    id: r.try_get(0)?,
                    household_id: r.try_get(1)?,
                    serial: r.try_get(2)?,
                    revoked: r.try_get::<Option<i64>, _>(3)?.is_some(),
                    software_version: r.try_get(4)?,
                    last_heartbeat_at: from_ts(r.try_get(5)?),
                    last_activity_at: from_ts(r.try_get(6)?),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod migration_tests {
    #[test]
    fn every_slice_s_migrations_make_one_numbering() {
        let all = super::migrations();
        let versions: Vec<u32> = all.iter().map(|m| m.0).collect();
        let expected: Vec<u32> = (1..=all.len() as u32).collect();
        assert_eq!(versions, expected, "versions 1..=N, each once");
    }
}
