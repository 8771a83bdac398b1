//! The two engines the head-end stores in, and everything that differs between
//! them: SQLite (one file, the embedded default for one municipality and the
//! demo) and PostgreSQL (the regional platform several municipalities share,
//! several head-end instances on one database).
//!
//! Every statement is written once, with `$1…$N` placeholders, in the SQL both
//! engines read alike. What they do not read alike lives here: how a database
//! is opened, the write lock, the migrations' DDL and version mark, the few
//! functions named differently, and a flag read back as a bool or an integer.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyTypeInfo, AnyTypeInfoKind};
use sqlx::{Any, AnyPool, ConnectOptions, Decode, Type, TypeInfo, ValueRef};

pub(crate) type Row = sqlx::any::AnyRow;
pub(crate) type Conn = sqlx::AnyConnection;
pub type Tx = sqlx::Transaction<'static, Any>;

/// How long a write waits for SQLite's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The PostgreSQL advisory lock every write transaction takes (SQLite's
/// `BEGIN IMMEDIATE`: one writer at a time, so what it read cannot change
/// before it writes), and the one migrations take.
const WRITE_LOCK: i64 = 0x656e_6761_7761; // "engawa"
const MIGRATION_LOCK: i64 = WRITE_LOCK + 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Where the database is: a `postgres://` (or `postgresql://`) URL, else a
/// SQLite file (a path, or `sqlite://PATH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Location {
    pub fn parse(s: &str) -> Location {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Location::Postgres(s.to_owned())
        } else {
            Location::Sqlite(s.strip_prefix("sqlite://").unwrap_or(s).into())
        }
    }

    /// For logs and messages: a PostgreSQL URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(url) => match url::Url::parse(url) {
                Ok(mut u) => {
                    if u.password().is_some() {
                        let _ = u.set_password(Some("***"));
                    }
                    u.to_string()
                }
                Err(_) => "(a PostgreSQL URL that does not parse)".into(),
            },
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

pub(crate) async fn sqlite_pool(path: &Path) -> Result<AnyPool, sqlx::Error> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
    sqlx::any::install_default_drivers();
    let options = SqliteConnectOptions::from_str("sqlite://")?
        .filename(path)
        .create_if_missing(true);
    // WAL is a property of the file: set it once, on a connection of its own.
    // Setting it on every pooled connection takes a lock that busy_timeout
    // cannot wait for, and fails ("database is locked") under load.
    {
        use sqlx::Connection;
        let conn = sqlx::SqliteConnection::connect_with(
            &options.clone().journal_mode(SqliteJournalMode::Wal),
        )
        .await?;
        conn.close().await?;
    }
    // The Any driver opens SQLite from a URL, which carries the file and the
    // mode only: the rest is set on every new connection.
    let url = AnyConnectOptions::from_url(&options.to_url_lossy())?;
    let pragmas = format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA busy_timeout = {};",
        BUSY_TIMEOUT.as_millis()
    );
    AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(move |conn, _| {
            let pragmas = pragmas.clone();
            Box::pin(async move {
                sqlx::raw_sql(sqlx::AssertSqlSafe(pragmas))
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .connect_with(url)
        .await
}

pub(crate) async fn postgres_pool(url: &str, max: u32) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let options = AnyConnectOptions::from_str(url)?;
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
}

impl Engine {
    /// `BEGIN` as a write transaction: it holds the one write lock from its
    /// first statement.
    pub(crate) async fn write_tx(self, pool: &AnyPool) -> Result<Tx, sqlx::Error> {
        match self {
            Engine::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => {
                let mut tx = pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    /// Runs every migration above the database's version, each in its own
    /// transaction with its version mark. On PostgreSQL two instances starting
    /// together wait for each other (an advisory lock).
    pub(crate) async fn migrate(
        self,
        pool: &AnyPool,
        all: &[(u32, &'static str)],
    ) -> Result<(), sqlx::Error> {
        let mut conn = pool.acquire().await?;
        let version: i64 = match self {
            Engine::Sqlite => {
                sqlx::query_scalar("PRAGMA user_version")
                    .fetch_one(&mut *conn)
                    .await?
            }
            Engine::Postgres => {
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(MIGRATION_LOCK)
                    .execute(&mut *conn)
                    .await?;
                sqlx::raw_sql(
                    "CREATE TABLE IF NOT EXISTS engawa_schema (version BIGINT NOT NULL);
                     INSERT INTO engawa_schema (version)
                         SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM engawa_schema);",
                )
                .execute(&mut *conn)
                .await?;
                sqlx::query_scalar("SELECT version FROM engawa_schema")
                    .fetch_one(&mut *conn)
                    .await?
            }
        };
        let mut result = Ok(());
        for &(n, sql) in all {
            if i64::from(n) <= version {
                continue;
            }
            // Our own constant migrations, not input: safe to run as text.
            let script = match self {
                Engine::Sqlite => {
                    format!("BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {n}; COMMIT;")
                }
                Engine::Postgres => format!(
                    "BEGIN; {}; UPDATE engawa_schema SET version = {n}; COMMIT;",
                    ddl_for_postgres(n, sql)
                ),
            };
            if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(script))
                .execute(&mut *conn)
                .await
            {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                tracing::error!(version = n, error = %e, "a head-end migration failed; nothing of it was kept");
                result = Err(e);
                break;
            }
            tracing::info!(version = n, "head-end database migrated");
        }
        if self == Engine::Postgres {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *conn)
                .await?;
        }
        result
    }

    /// `instr(haystack, needle) > 0`: whether `needle` occurs in `haystack`.
    pub(crate) fn contains(self, haystack: &str, needle: &str) -> String {
        match self {
            Engine::Sqlite => format!("instr({haystack}, {needle}) > 0"),
            Engine::Postgres => format!("strpos({haystack}, {needle}) > 0"),
        }
    }
}

/// Migrations PostgreSQL says in words of its own (triggers): (version,
/// PostgreSQL text), used instead of translating the SQLite text.
const POSTGRES_MIGRATIONS: &[(u32, &str)] = &[(
    20,
    "CREATE TABLE audit_log (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
        operator TEXT NOT NULL,
        operator_id BIGINT,
        municipality TEXT,
        action TEXT NOT NULL,
        object TEXT NOT NULL,
        household_id BIGINT,
        fields TEXT NOT NULL,
        outcome TEXT NOT NULL,
        peer TEXT NOT NULL
    );
    CREATE INDEX audit_log_at ON audit_log (at);
    CREATE INDEX audit_log_operator ON audit_log (operator, at);
    CREATE INDEX audit_log_household ON audit_log (household_id, at);
    CREATE FUNCTION engawa_audit_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_log is insert-only'; END $$;
    CREATE TRIGGER audit_log_insert_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION engawa_audit_insert_only();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION engawa_audit_insert_only();",
)];

/// Fragments of migrations PostgreSQL says otherwise: (version, SQLite text,
/// PostgreSQL text). Each must occur in its migration (tested).
const POSTGRES_TEXT: &[(u32, &str, &str)] = &[(
    3,
    "date(created_at, 'unixepoch', '+9 hours')",
    "to_char(to_timestamp(created_at) AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD')",
)];

/// A migration's SQLite DDL as PostgreSQL reads it: a column `INTEGER PRIMARY
/// KEY` (SQLite's rowid) is an identity column, `INTEGER` is `BIGINT` (SQLite's
/// integers are 64-bit), `REAL` is `DOUBLE PRECISION`, `BLOB` is `BYTEA`; plus
/// the fragments in `POSTGRES_TEXT`. Words inside quotes are left alone.
pub(crate) fn ddl_for_postgres(version: u32, sqlite: &str) -> String {
    if let Some((_, own)) = POSTGRES_MIGRATIONS.iter().find(|m| m.0 == version) {
        return (*own).to_owned();
    }
    let mut sql = sqlite.to_owned();
    for &(v, from, to) in POSTGRES_TEXT {
        if v == version {
            sql = sql.replace(from, to);
        }
    }
    let mut out = String::with_capacity(sql.len() + 64);
    let mut word = String::new();
    let mut quoted = false;
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(match word.as_str() {
            "INTEGER" => "BIGINT",
            "REAL" => "DOUBLE PRECISION",
            "BLOB" => "BYTEA",
            w => w,
        });
        word.clear();
    };
    for c in sql.chars() {
        if !quoted && (c.is_ascii_alphanumeric() || c == '_') {
            word.push(c);
            continue;
        }
        flush(&mut word, &mut out);
        if c == '\'' {
            quoted = !quoted;
        }
        out.push(c);
    }
    flush(&mut word, &mut out);
    // A column's `BIGINT PRIMARY KEY` (not a table's `PRIMARY KEY (a, b)`).
    out.replace(
        "BIGINT PRIMARY KEY",
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    )
}

/// A flag read back from either engine: PostgreSQL gives a boolean expression
/// (`x IS NULL`, `a < b`) as a bool, SQLite as an integer, and flag columns are
/// integers on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <bool as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        ty.kind() == AnyTypeInfoKind::Bool || ty.kind().is_integer()
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(
        value: <Any as sqlx::Database>::ValueRef<'r>,
    ) -> Result<Self, sqlx::error::BoxDynError> {
        let ty = value.type_info();
        if ty.name() == <bool as Type<Any>>::type_info().name() {
            Ok(Flag(<bool as Decode<Any>>::decode(value)?))
        } else {
            Ok(Flag(<i64 as Decode<Any>>::decode(value)? != 0))
        }
    }
}

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_ddl_reads_as_postgres() {
        let pg = ddl_for_postgres(
            1,
            "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0, x REAL, b BLOB,
             note TEXT NOT NULL DEFAULT 'INTEGER REAL', PRIMARY KEY (n, x))",
        );
        assert_eq!(
            pg,
            "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0, x DOUBLE PRECISION, b BYTEA,
             note TEXT NOT NULL DEFAULT 'INTEGER REAL', PRIMARY KEY (n, x))"
        );
    }

    #[test]
    fn every_postgres_fragment_is_in_its_migration() {
        let all = super::super::migrations();
        for &(v, from, _) in POSTGRES_TEXT {
            let (_, sql) = all.iter().find(|m| m.0 == v).expect("a migration");
            assert!(sql.contains(from), "migration {v} has {from:?}");
        }
    }

    #[test]
    fn a_postgres_text_of_its_own_is_used_as_it_is() {
        for &(v, own) in POSTGRES_MIGRATIONS {
            assert_eq!(ddl_for_postgres(v, "CREATE TABLE x (a INTEGER)"), own);
            assert!(
                super::super::migrations().iter().any(|m| m.0 == v),
                "migration {v} exists"
            );
        }
    }

    #[test]
    fn locations() {
        assert_eq!(
            Location::parse("postgres://u:secret@db/x").describe(),
            "postgres://u:***@db/x"
        );
        assert_eq!(
            Location::parse("sqlite:///var/lib/x.db"),
            Location::Sqlite("/var/lib/x.db".into())
        );
        assert_eq!(Location::parse("x.db"), Location::Sqlite("x.db".into()));
    }
}
