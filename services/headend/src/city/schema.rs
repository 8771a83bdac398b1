//! The city platform's tables: its clients (OAuth 2.0 client credentials, the
//! secret's hash only) and the access tokens they were given (hashed too).
//! Append only: never edit a migration that has shipped.

/// (version, SQL), in the head-end's one numbering (see `migrations` in the db module).
pub const MIGRATIONS: &[(u32, &str)] = &[
    // 22: city-platform clients — a name that is also the client_id, the
    // scopes it may ask for, the municipality it reads (none: all of them),
    // the SHA-256 of its secret, the address its NGSI-LD notifications must
    // go under; the bearer tokens issued to it, by hash, with the scopes
    // granted and when they stop working; its NGSI-LD subscriptions (the
    // request as checked, how the notifications went) and what each entity
    // looked like when a subscription last told of it (a hash).
    (
        22,
        "CREATE TABLE city_clients (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        municipality TEXT REFERENCES municipalities(code),
        secret_hash TEXT NOT NULL,
        notify_prefix TEXT,
        created_at INTEGER NOT NULL,
        disabled_at INTEGER
    );
    CREATE TABLE city_tokens (
        token_hash TEXT PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES city_clients(id),
        scopes TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE INDEX city_tokens_expires ON city_tokens (expires_at);
    CREATE TABLE city_subscriptions (
        id TEXT PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES city_clients(id),
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        times_sent INTEGER NOT NULL DEFAULT 0,
        last_notification INTEGER,
        last_success INTEGER,
        last_failure INTEGER,
        last_failure_reason TEXT
    );
    CREATE INDEX city_subscriptions_client ON city_subscriptions (client_id);
    CREATE TABLE city_notified (
        subscription_id TEXT NOT NULL REFERENCES city_subscriptions(id),
        entity_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (subscription_id, entity_id)
    );",
    ),
];
