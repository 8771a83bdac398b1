//! The city platform's tables: its clients (OAuth 2.0 client credentials, the
//! secret's hash only) and the access tokens they were given (hashed too).
//! Append only: never edit a migration that has shipped.

/// (version, SQL), in the head-end's one numbering (see `migrations` in the db module).
pub const MIGRATIONS: &[(u32, &str)] = &[
    // 22: city-platform clients — a name that is also the client_id, the
    // scopes it may ask for, the municipality it reads (none: all of them),
    // the SHA-256 of its secret; the bearer tokens issued to it, by hash,
    // with the scopes granted and when they stop working.
    (
        22,
        "CREATE TABLE city_clients (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        municipality TEXT REFERENCES municipalities(code),
        secret_hash TEXT NOT NULL,
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
    CREATE INDEX city_tokens_expires ON city_tokens (expires_at);",
    ),
];
