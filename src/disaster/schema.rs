//! 防災's tables on the box: the answers' outbox and the last alert seen.
//! Append only: never edit a migration that has shipped.

/// (version, SQL), in the box's one numbering (see `migrations` in the store).
pub const MIGRATIONS: &[(u32, &str)] = &[
    // 7: every 安否 answer is a row, with its Idempotency-Key, before it is
    // sent; and the last alert the head-end gave, so a box that restarts
    // while the head-end cannot be reached still shows it.
    (
        7,
        "CREATE TABLE alert_answers (
        id INTEGER PRIMARY KEY,
        idem_key TEXT NOT NULL UNIQUE,
        campaign_id INTEGER NOT NULL,
        answer TEXT NOT NULL CHECK (answer IN ('safe', 'help')),
        answered_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'refused')),
        attempts INTEGER NOT NULL DEFAULT 0,
        settled_at INTEGER,
        result TEXT
    );
    CREATE INDEX alert_answers_pending ON alert_answers (state) WHERE state = 'pending';
    CREATE TABLE alert_seen (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        alert TEXT,
        at INTEGER NOT NULL
    );",
    ),
];
