//! The shop's tables on the box: the cart, the outbox every order goes
//! through, item photos. Append only: never edit a migration that has shipped.

/// (version, SQL), in the box's one numbering (see `migrations` in the store).
pub const MIGRATIONS: &[(u32, &str)] = &[
    // 2: the shop — the cart (one row per item, the line as JSON), and the outbox
    // every request with an external effect goes through before it is sent.
    (
        2,
        "CREATE TABLE cart (
        item_id INTEGER PRIMARY KEY,
        position INTEGER NOT NULL,
        line TEXT NOT NULL
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        key TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'void', 'refused')),
        created_at INTEGER NOT NULL,
        settled_at INTEGER,
        result TEXT
    );",
    ),
    // 3: item photos fetched from the head-end, by version.
    (
        3,
        "CREATE TABLE photos (
        item_id INTEGER PRIMARY KEY,
        version INTEGER NOT NULL,
        png BLOB NOT NULL
    );",
    ),
];
