//! What the operator console stores and lists: operators, sessions, and the
//! tables it shows (households, sellers, waiting boxes).

use crate::db::Flag;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Db, from_ts, ts};

/// Login attempts not followed by a success, per window: from one address
/// (any names), and for one name (from any address). One attacker can thus
/// neither guess for long nor lock an operator out from elsewhere; many
/// addresses guessing one name are stopped by the second limit.
pub const MAX_LOGINS_PER_SOURCE: i64 = 10;
pub const MAX_LOGINS_PER_ACCOUNT: i64 = 30;
pub const LOGIN_WINDOW_S: i64 = 10 * 60;

/// Why a login attempt was not even tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    TooManyFromSource,
    TooManyForAccount,
}

/// What a console login is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// 管理者: the platform's operator — every municipality, the platform's
    /// cost and logins.
    Admin,
    /// 職員: one municipality's office — households, boxes, shop, watch-over,
    /// taxi, billing.
    Staff,
    /// 災害本部: one municipality's disaster board and shelters.
    Hq,
    /// 運転手: today's manifest of one car, 乗った / おりた.
    Driver,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Staff, Role::Hq, Role::Driver];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Hq => "hq",
            Role::Driver => "driver",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn ja(self) -> &'static str {
        match self {
            Role::Admin => "管理者",
            Role::Staff => "職員",
            Role::Hq => "災害本部",
            Role::Driver => "運転手",
        }
    }
}

/// What a login may do and where: its role, its municipality (staff and
/// the disaster board; `None` for 管理者) and its car (運転手).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub municipality: Option<String>,
    pub vehicle_id: Option<i64>,
}

impl Grant {
    pub fn admin() -> Grant {
        Grant {
            role: Role::Admin,
            municipality: None,
            vehicle_id: None,
        }
    }
}

/// What of the platform a console request may see and change: every
/// municipality (管理者, the command line) or one. Households carry their
/// municipality; a household with none is the platform's (管理者 only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Town(String),
}

impl Scope {
    /// A login's scope: 管理者 everything, staff and hq their municipality; a
    /// driver (who sees only their car) or a login without its municipality
    /// nothing of any household.
    pub fn of(s: &Session) -> Scope {
        match (s.role, &s.municipality) {
            (Role::Admin, _) => Scope::All,
            (Role::Staff | Role::Hq, Some(m)) => Scope::Town(m.clone()),
            _ => Scope::Town(String::new()),
        }
    }

    /// Whether something of `municipality` is in the scope.
    pub fn admits(&self, municipality: Option<&str>) -> bool {
        match self {
            Scope::All => true,
            Scope::Town(m) => !m.is_empty() && municipality == Some(m.as_str()),
        }
    }

    /// The value a statement's `($N = '*' OR h.municipality = $N)` binds:
    /// `*` for everything (no municipality code is `*`).
    pub(crate) fn bind(&self) -> &str {
        match self {
            Scope::All => "*",
            Scope::Town(m) => m,
        }
    }
}

/// A console login as `operator list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorRow {
    pub id: i64,
    pub name: String,
    pub grant: Grant,
    /// The driver's car, by name.
    pub vehicle: Option<String>,
    pub disabled: bool,
}

/// A role as stored (the column's CHECK allows only the four).
fn role_of(s: &str) -> Result<Role, sqlx::Error> {
    Role::parse(s).ok_or_else(|| sqlx::Error::Decode(format!("unknown operator role {s:?}").into()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub operator_id: i64,
    pub operator: String,
    pub csrf: String,
    pub role: Role,
    pub municipality: Option<String>,
    pub vehicle_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdRow {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub district: String,
    pub phone: String,
    pub shop: bool,
    pub ride: bool,
    pub eligibility: String,
    pub boxes: i64,
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    pub municipality: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPairing {
    pub user_code: String,
    pub serial: String,
    pub created_at: DateTime<Utc>,
}

impl Db {
    /// Adds a console login, or sets a new password and grant for an existing
    /// one: then every session it had ends (a password change logs the old
    /// holder out everywhere).
    pub async fn add_operator(
        &self,
        name: &str,
        password_hash: &str,
        grant: &Grant,
        now: DateTime<Utc>,
    ) -> Result<i64, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO operators (name, password_hash, created_at, role, municipality, vehicle_id)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash,
                 role = excluded.role, municipality = excluded.municipality,
                 vehicle_id = excluded.vehicle_id
             RETURNING id",
        )
        .bind(name)
        .bind(password_hash)
        .bind(ts(now))
        .bind(grant.role.as_str())
        .bind(grant.municipality.as_deref())
        .bind(grant.vehicle_id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE operator_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Disables (or enables again) a console login; disabling ends its
    /// sessions. `None` when there is no such login; else the sessions ended.
    pub async fn set_operator_disabled(
        &self,
        name: &str,
        disabled: bool,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE operators SET disabled_at = CASE WHEN $2 THEN COALESCE(disabled_at, $3) END
             WHERE name = $1 RETURNING id",
        )
        .bind(name)
        .bind(disabled)
        .bind(ts(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Ok(None);
        };
        let ended = sqlx::query("DELETE FROM sessions WHERE operator_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Some(ended))
    }

    /// Whether household `id` exists and is in `scope`.
    pub async fn household_in(&self, scope: &Scope, id: i64) -> Result<bool, sqlx::Error> {
        let m: Option<Option<String>> =
            sqlx::query_scalar("SELECT municipality FROM households WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(m.is_some_and(|m| scope.admits(m.as_deref())))
    }

    /// Every console login, by name.
    pub async fn operators(&self) -> Result<Vec<OperatorRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT o.id, o.name, o.role, o.municipality, o.vehicle_id, v.name, o.disabled_at IS NOT NULL
             FROM operators o LEFT JOIN ride_vehicles v ON v.id = o.vehicle_id ORDER BY o.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get(2)?;
                Ok(OperatorRow {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    grant: Grant {
                        role: role_of(&role)?,
                        municipality: r.try_get(3)?,
                        vehicle_id: r.try_get(4)?,
                    },
                    vehicle: r.try_get(5)?,
                    disabled: r.try_get::<Flag, _>(6)?.0,
                })
            })
            .collect()
    }

    /// (id, argon2 hash) of an operator who may log in (not disabled).
    pub async fn operator_login(&self, name: &str) -> Result<Option<(i64, String)>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, password_hash FROM operators WHERE name = $1 AND disabled_at IS NULL",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    /// Reserves one login attempt for `account` (the typed name's hash) from
    /// `source`, in one statement — so parallel requests cannot all pass the
    /// count before any of them is written. The attempt counts as failed until
    /// [`Db::login_succeeded`] takes it back.
    pub async fn reserve_login(
        &self,
        account: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<i64, LoginRefusal>, sqlx::Error> {
        let since = ts(now) - LOGIN_WINDOW_S;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO login_attempts (at, account, source)
             SELECT $1, $2, $3
             WHERE (SELECT COUNT(*) FROM login_attempts WHERE source = $3 AND at > $4) < $5
               AND (SELECT COUNT(*) FROM login_attempts WHERE account = $2 AND at > $4) < $6
             RETURNING id",
        )
        .bind(ts(now))
        .bind(account)
        .bind(source)
        .bind(since)
        .bind(MAX_LOGINS_PER_SOURCE)
        .bind(MAX_LOGINS_PER_ACCOUNT)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(id) = id {
            return Ok(Ok(id));
        }
        let from_source: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM login_attempts WHERE source = $1 AND at > $2")
                .bind(source)
                .bind(since)
                .fetch_one(&self.pool)
                .await?;
        Ok(Err(if from_source >= MAX_LOGINS_PER_SOURCE {
            LoginRefusal::TooManyFromSource
        } else {
            LoginRefusal::TooManyForAccount
        }))
    }

    /// The password was right: the reserved attempt does not count.
    pub async fn login_succeeded(&self, attempt: i64) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM login_attempts WHERE id = $1")
            .bind(attempt)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        operator_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
        ttl_s: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, operator_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(operator_id)
        .bind(csrf)
        .bind(ts(now))
        .bind(ts(now) + ttl_s)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT s.operator_id, o.name, s.csrf, o.role, o.municipality, o.vehicle_id
             FROM sessions s JOIN operators o ON o.id = s.operator_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND o.disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(ts(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let role: String = r.try_get(3)?;
            Ok(Session {
                operator_id: r.try_get(0)?,
                operator: r.try_get(1)?,
                csrf: r.try_get(2)?,
                role: role_of(&role)?,
                municipality: r.try_get(4)?,
                vehicle_id: r.try_get(5)?,
            })
        })
        .transpose()
    }

    pub async fn end_session(&self, token_hash: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn households(&self) -> Result<Vec<HouseholdRow>, sqlx::Error> {
        self.households_in(&Scope::All).await
    }

    /// The households in `scope`, by district.
    pub async fn households_in(&self, scope: &Scope) -> Result<Vec<HouseholdRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT h.id, h.name, h.address, h.district, h.phone, h.shop, h.ride, h.eligibility,
                    (SELECT COUNT(*) FROM boxes b WHERE b.household_id = h.id AND b.revoked_at IS NULL),
                    (SELECT MAX(b.last_heartbeat_at) FROM boxes b WHERE b.household_id = h.id AND b.revoked_at IS NULL),
                    h.municipality
             FROM households h WHERE ($1 = '*' OR h.municipality = $1) ORDER BY h.district, h.id",
        )
        .bind(scope.bind())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HouseholdRow {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    address: r.try_get(2)?,
                    district: r.try_get(3)?,
                    phone: r.try_get(4)?,
                    shop: r.try_get::<Flag, _>(5)?.0,
                    ride: r.try_get::<Flag, _>(6)?.0,
                    eligibility: r.try_get(7)?,
                    boxes: r.try_get(8)?,
                    last_heartbeat_at: from_ts(r.try_get(9)?),
                    municipality: r.try_get(10)?,
                })
            })
            .collect()
    }

    /// Boxes showing a pairing code that nobody has approved yet, newest first:
    /// `limit` of them from `offset`, and how many there are in all.
    pub async fn pending_pairings(
        &self,
        now: DateTime<Utc>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<PendingPairing>, i64), sqlx::Error> {
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pairings WHERE approved_at IS NULL AND expires_at > $1",
        )
        .bind(ts(now))
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query(
            "SELECT user_code, serial, created_at FROM pairings
             WHERE approved_at IS NULL AND expires_at > $1 ORDER BY created_at DESC, id DESC
             LIMIT $2 OFFSET $3",
        )
        .bind(ts(now))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let rows = rows
            .iter()
            .map(|r| {
                Ok(PendingPairing {
                    user_code: r.try_get(0)?,
                    serial: r.try_get(1)?,
                    created_at: from_ts(r.try_get(2)?).unwrap_or_default(),
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok((rows, total))
    }
}
