//! The platform's tables. Append only: never edit a migration that has shipped.

/// (version, SQL), in the head-end's one numbering (see `migrations` in the db module).
pub const MIGRATIONS: &[(u32, &str)] = &[
    // 17: the platform's monthly running cost (entered by the platform
    // operator, who and when kept) and the key that splits it among the
    // municipalities (one row; percent per factor, adding up to 100).
    (
        17,
        "CREATE TABLE platform_costs (
        month TEXT PRIMARY KEY,
        yen INTEGER NOT NULL CHECK (yen >= 0),
        entered_at INTEGER NOT NULL,
        entered_by TEXT NOT NULL
    );
    CREATE TABLE contribution_key (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        equal INTEGER NOT NULL,
        households INTEGER NOT NULL,
        boxes INTEGER NOT NULL,
        orders INTEGER NOT NULL,
        rides INTEGER NOT NULL,
        set_at INTEGER NOT NULL,
        set_by TEXT NOT NULL,
        CHECK (equal + households + boxes + orders + rides = 100)
    );",
    ),
];
