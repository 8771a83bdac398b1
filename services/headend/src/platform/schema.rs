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
    // 20: the audit log — every console request and command-line run: who,
    // when, what (the route, the household it concerned, the names of the
    // fields sent, never their values), from where, allowed or refused.
    // Insert-only: triggers refuse UPDATE and DELETE (PostgreSQL: its own
    // text, `POSTGRES_MIGRATIONS` in db/engine.rs).
    (
        20,
        "CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        operator TEXT NOT NULL,
        operator_id INTEGER,
        municipality TEXT,
        action TEXT NOT NULL,
        object TEXT NOT NULL,
        household_id INTEGER,
        fields TEXT NOT NULL,
        outcome TEXT NOT NULL,
        peer TEXT NOT NULL
    );
    CREATE INDEX audit_log_at ON audit_log (at);
    CREATE INDEX audit_log_operator ON audit_log (operator, at);
    CREATE INDEX audit_log_household ON audit_log (household_id, at);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is insert-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is insert-only'); END;",
    ),
];
