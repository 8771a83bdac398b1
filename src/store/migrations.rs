//! Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
//! Append only: never edit a migration that has shipped.

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;

/// The store's own migrations: reminders and their occurrences, settings,
/// the mail outbox, family reminders' head-end ids.
const CORE: &[(u32, &str)] = &[
    // 1: reminders, their occurrences, scheduler bookkeeping, settings.
    (
        1,
        "CREATE TABLE reminders (
        id INTEGER PRIMARY KEY,
        phrase TEXT NOT NULL,
        time_of_day TEXT NOT NULL,
        repeat_kind TEXT NOT NULL CHECK (repeat_kind IN ('once','daily','weekly','monthly')),
        repeat_date TEXT,
        repeat_weekdays INTEGER,
        repeat_day INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE occurrences (
        id INTEGER PRIMARY KEY,
        reminder_id INTEGER NOT NULL REFERENCES reminders(id) ON DELETE CASCADE,
        due_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('due','snoozed','done','skipped')),
        late INTEGER NOT NULL,
        show_at INTEGER NOT NULL,
        acked_at INTEGER,
        UNIQUE (reminder_id, due_at)
    );
    CREATE INDEX occurrences_pending ON occurrences (state, show_at);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) STRICT;
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    ),
    // 5: the mail outbox: every email is a row before it is sent; the Message-ID
    // is fixed when the row is made, so a resend after a crash is the same mail.
    (
        5,
        "CREATE TABLE mail_outbox (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        to_name TEXT NOT NULL,
        to_addr TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        last_error TEXT,
        sent_at INTEGER
    );",
    ),
    // 6: reminders the family set on the family page carry the head-end's id, so
    // each sync updates them in place.
    (
        6,
        "ALTER TABLE reminders ADD COLUMN remote_id INTEGER;
    CREATE UNIQUE INDEX reminders_remote ON reminders (remote_id) WHERE remote_id IS NOT NULL;",
    ),
];

/// Every migration in order: the store's own and each service's (its
/// `schema` module), in one numbering recorded in `PRAGMA user_version`.
pub(crate) fn migrations() -> Vec<(u32, &'static str)> {
    let mut all = [
        CORE,
        crate::shop::schema::MIGRATIONS,
        crate::watch::schema::MIGRATIONS,
        crate::disaster::schema::MIGRATIONS,
    ]
    .concat();
    all.sort_by_key(|m| m.0);
    all
}

pub(super) fn run(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let all = migrations();
    let known = all.len() as i64;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            known,
        });
    }
    for (n, sql) in all {
        if i64::from(n) <= found {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i64::from(n))?;
        tx.commit()?;
        tracing::info!(version = n, "database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_slice_s_migrations_make_one_numbering() {
        let versions: Vec<u32> = super::migrations().iter().map(|m| m.0).collect();
        let expected: Vec<u32> = (1..=versions.len() as u32).collect();
        assert_eq!(versions, expected, "versions 1..=N, each once");
    }
}
