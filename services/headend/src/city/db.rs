//! The city platform's SQL: clients and their tokens (`impl Db`).

use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

use super::Scope;
use crate::db::engine::Flag;
use crate::db::{Db, from_ts, ts};
use crate::secret;

/// How long an access token works (RFC 6749 `expires_in`).
pub const TOKEN_SECONDS: i64 = 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: i64,
    /// Also its OAuth `client_id`.
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The one municipality it reads; `None`: every municipality.
    pub municipality: Option<String>,
    /// Where its NGSI-LD notifications may go (a URL they must start with).
    pub notify_prefix: Option<String>,
    pub created_at: DateTime<Utc>,
    pub disabled: bool,
}

/// A bearer token that works: whose it is and what it may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityAuth {
    pub client_id: i64,
    pub client: String,
    pub scopes: Vec<Scope>,
    pub municipality: Option<String>,
    pub notify_prefix: Option<String>,
}

impl CityAuth {
    /// What it may see, as the console's lists take it.
    pub fn scope(&self) -> crate::db::Scope {
        match &self.municipality {
            None => crate::db::Scope::All,
            Some(m) => crate::db::Scope::Town(m.clone()),
        }
    }
}

/// A token issued (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub access_token: String,
    pub scopes: Vec<Scope>,
    pub expires_in: i64,
}

/// Why no token was issued (RFC 6749 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Unknown client, wrong secret or a disabled client.
    InvalidClient,
    /// A scope the client was not given.
    InvalidScope,
}

fn scopes_from(s: &str) -> Vec<Scope> {
    s.split_whitespace().filter_map(Scope::from_key).collect()
}

pub(crate) fn scopes_text(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.key()).collect::<Vec<_>>().join(" ")
}

/// Two hashes compared without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

impl Db {
    /// Adds a client, or gives an existing one a new secret, scopes and
    /// municipality (its tokens end). Returns the secret, which is stored
    /// only as its hash: shown once.
    pub async fn add_city_client(
        &self,
        name: &str,
        scopes: &[Scope],
        municipality: Option<&str>,
        notify_prefix: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String, sqlx::Error> {
        let secret = secret::new_secret();
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO city_clients (name, scopes, municipality, secret_hash, notify_prefix, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (name) DO UPDATE SET scopes = excluded.scopes,
                 municipality = excluded.municipality, secret_hash = excluded.secret_hash,
                 notify_prefix = excluded.notify_prefix, disabled_at = NULL",
        )
        .bind(name)
        .bind(scopes_text(scopes))
        .bind(municipality)
        .bind(secret::hash(&secret))
        .bind(notify_prefix)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM city_tokens WHERE client_id = (SELECT id FROM city_clients WHERE name = $1)",
        )
        .bind(name)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(secret)
    }

    pub async fn city_clients(&self) -> Result<Vec<Client>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, name, scopes, municipality, notify_prefix, created_at,
                 disabled_at IS NOT NULL AS disabled
             FROM city_clients ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Client {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    scopes: scopes_from(&r.try_get::<String, _>("scopes")?),
                    municipality: r.try_get("municipality")?,
                    notify_prefix: r.try_get("notify_prefix")?,
                    created_at: from_ts(r.try_get("created_at")?).unwrap_or_default(),
                    disabled: r.try_get::<Flag, _>("disabled")?.0,
                })
            })
            .collect()
    }

    /// Stops a client: no new tokens, and those it has stop working now.
    /// `false`: there is no such client.
    pub async fn disable_city_client(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE city_clients SET disabled_at = $1 WHERE name = $2 RETURNING id",
        )
        .bind(ts(now))
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = id {
            sqlx::query("DELETE FROM city_tokens WHERE client_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id.is_some())
    }

    /// The client credentials grant (RFC 6749 §4.4): the client's secret
    /// checked, the scopes asked for (none: all it has) within what it was
    /// given. Tokens past their time are pruned here.
    pub async fn issue_city_token(
        &self,
        name: &str,
        client_secret: &str,
        asked: Option<&[Scope]>,
        now: DateTime<Utc>,
    ) -> Result<Result<Issued, TokenRefusal>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, scopes, secret_hash FROM city_clients WHERE name = $1 AND disabled_at IS NULL",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(Err(TokenRefusal::InvalidClient));
        };
        let stored: String = row.try_get("secret_hash")?;
        if !same(&stored, &secret::hash(client_secret)) {
            return Ok(Err(TokenRefusal::InvalidClient));
        }
        let given = scopes_from(&row.try_get::<String, _>("scopes")?);
        let scopes = match asked {
            None => given,
            Some(asked) if asked.iter().all(|s| given.contains(s)) => {
                let mut a = asked.to_vec();
                a.sort();
                a.dedup();
                a
            }
            Some(_) => return Ok(Err(TokenRefusal::InvalidScope)),
        };
        let id: i64 = row.try_get("id")?;
        let token = secret::new_secret();
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM city_tokens WHERE expires_at < $1")
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO city_tokens (token_hash, client_id, scopes, issued_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(secret::hash(&token))
        .bind(id)
        .bind(scopes_text(&scopes))
        .bind(ts(now))
        .bind(ts(now + Duration::seconds(TOKEN_SECONDS)))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(Issued {
            access_token: token,
            scopes,
            expires_in: TOKEN_SECONDS,
        }))
    }

    /// The client a bearer token is for, while it works.
    pub async fn city_auth(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<CityAuth>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT c.id, c.name, t.scopes, c.municipality, c.notify_prefix FROM city_tokens t
             JOIN city_clients c ON c.id = t.client_id
             WHERE t.token_hash = $1 AND t.expires_at > $2 AND c.disabled_at IS NULL",
        )
        .bind(secret::hash(token))
        .bind(ts(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(CityAuth {
                client_id: r.try_get("id")?,
                client: r.try_get("name")?,
                scopes: scopes_from(&r.try_get::<String, _>("scopes")?),
                municipality: r.try_get("municipality")?,
                notify_prefix: r.try_get("notify_prefix")?,
            })
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_compare_whole() {
        assert!(super::same("abc", "abc"));
        assert!(!super::same("abc", "abd"));
        assert!(!super::same("abc", "ab"));
    }
}
