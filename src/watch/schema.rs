//! Watch-over's tables on the box: the activity log, the ladder's state, the
//! alerts and the head-end's settings. Append only: never edit a migration
//! that has shipped.

/// (version, SQL), in the box's one numbering (see `migrations` in the store).
pub const MIGRATIONS: &[(u32, &str)] = &[
    // 4: watch-over — the activity log (one row per minute with a key press; kept
    // 30 days, never uploaded), the ladder's state, and the alerts it raised.
    (
        4,
        "CREATE TABLE activity (at INTEGER PRIMARY KEY);
    CREATE TABLE watch_state (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL);
    CREATE TABLE watch_alerts (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        n INTEGER NOT NULL,
        at INTEGER NOT NULL,
        since INTEGER,
        UNIQUE (kind, n, since)
    );",
    ),
];
