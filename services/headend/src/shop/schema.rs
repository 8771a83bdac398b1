//! The shop's tables: sellers and items, orders with their lines and
//! idempotency keys, item photos. Append only: never edit a migration that
//! has shipped.

/// (version, SQL), in the head-end's one numbering (see `migrations` in the db module).
pub const MIGRATIONS: &[(u32, &str)] = &[
    // 2: sellers and the catalogue. Prices in whole yen including tax.
    (
        2,
        "CREATE TABLE sellers (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        phone TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        seller_id INTEGER NOT NULL REFERENCES sellers(id),
        category TEXT NOT NULL,
        name TEXT NOT NULL,
        price_yen INTEGER NOT NULL CHECK (price_yen > 0),
        unit TEXT NOT NULL,
        on_sale INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (seller_id, name)
    );",
    ),
    // 3: orders with their lines (name and price snapshotted), the idempotency
    // keys that created them, operator settings, and shop registration dates for
    // the monthly fee (Tokyo calendar days, YYYY-MM-DD).
    (
        3,
        "CREATE TABLE orders (
        id INTEGER PRIMARY KEY,
        household_id INTEGER NOT NULL REFERENCES households(id),
        box_id INTEGER NOT NULL REFERENCES boxes(id),
        placed_at INTEGER NOT NULL,
        delivery_day TEXT NOT NULL,
        cancel_until INTEGER NOT NULL,
        cancelled_at INTEGER,
        total_yen INTEGER NOT NULL CHECK (total_yen > 0)
    );
    CREATE INDEX orders_household ON orders (household_id, placed_at);
    CREATE INDEX orders_day ON orders (delivery_day);
    CREATE TABLE order_lines (
        order_id INTEGER NOT NULL REFERENCES orders(id),
        line INTEGER NOT NULL,
        item_id INTEGER NOT NULL REFERENCES items(id),
        seller_id INTEGER NOT NULL REFERENCES sellers(id),
        name TEXT NOT NULL,
        unit TEXT NOT NULL,
        price_yen INTEGER NOT NULL CHECK (price_yen > 0),
        qty INTEGER NOT NULL CHECK (qty > 0),
        PRIMARY KEY (order_id, line)
    );
    CREATE TABLE idempotency (
        box_id INTEGER NOT NULL REFERENCES boxes(id),
        key TEXT NOT NULL,
        request_hash TEXT,
        order_id INTEGER REFERENCES orders(id),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (box_id, key)
    );
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    ALTER TABLE households ADD COLUMN shop_from TEXT;
    ALTER TABLE households ADD COLUMN shop_until TEXT;
    UPDATE households SET shop_from = date(created_at, 'unixepoch', '+9 hours') WHERE shop = 1;",
    ),
    // 5: item photos (PNG), versioned so boxes know when to fetch again.
    (
        5,
        "CREATE TABLE item_photos (
        item_id INTEGER PRIMARY KEY REFERENCES items(id),
        png BLOB NOT NULL,
        version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );",
    ),
];
