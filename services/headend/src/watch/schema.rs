//! Watch-over's tables: each household's policy, contacts and their family
//! links, the state boxes report, alerts, the outbox of mails, family
//! reminders, and family pauses. Append only: never edit a migration that has
//! shipped.

/// (version, SQL), in the head-end's one numbering (see `migrations` in the db module).
pub const MIGRATIONS: &[(u32, &str)] = &[
    // 6: watch-over — per-household policy (JSON of engawa_watch::Policy), the
    // contacts with their family-page links and bounce flags, reminders set by
    // family, what the box last reported, the alert log, the head-end's own mail
    // outbox, and box-offline alerts.
    (
        6,
    "ALTER TABLE households ADD COLUMN watch_policy TEXT;
    ALTER TABLE households ADD COLUMN watch_version INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE households ADD COLUMN watch_state TEXT;
    ALTER TABLE households ADD COLUMN watch_threshold_min INTEGER;
    ALTER TABLE households ADD COLUMN watch_adaptive INTEGER;
    ALTER TABLE households ADD COLUMN away_until INTEGER;
    ALTER TABLE households ADD COLUMN paused_until INTEGER;
    CREATE TABLE contacts (
        id INTEGER PRIMARY KEY,
        household_id INTEGER NOT NULL REFERENCES households(id),
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        link_token TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        removed_at INTEGER,
        bounced_at INTEGER,
        bounce_reason TEXT
    );
    CREATE INDEX contacts_household ON contacts (household_id, position);
    CREATE TABLE family_reminders (
        id INTEGER PRIMARY KEY,
        household_id INTEGER NOT NULL REFERENCES households(id),
        contact_id INTEGER REFERENCES contacts(id),
        phrase TEXT NOT NULL,
        schedule TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        removed_at INTEGER
    );
    CREATE TABLE watch_alerts (
        id INTEGER PRIMARY KEY,
        household_id INTEGER NOT NULL REFERENCES households(id),
        box_id INTEGER REFERENCES boxes(id),
        box_alert_id INTEGER,
        kind TEXT NOT NULL,
        n INTEGER NOT NULL,
        at INTEGER NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        UNIQUE (box_id, box_alert_id)
    );
    CREATE INDEX watch_alerts_household ON watch_alerts (household_id, at);
    CREATE TABLE bounces_seen (box_id INTEGER NOT NULL, box_mail_id INTEGER NOT NULL, PRIMARY KEY (box_id, box_mail_id));
    CREATE TABLE mail_outbox (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        household_id INTEGER REFERENCES households(id),
        contact_id INTEGER REFERENCES contacts(id),
        to_name TEXT NOT NULL,
        to_addr TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending','sent','failed')),
        next_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        sent_at INTEGER,
        last_error TEXT
    );
    CREATE INDEX mail_outbox_due ON mail_outbox (state, next_at);
    CREATE TABLE offline_alerts (
        id INTEGER PRIMARY KEY,
        box_id INTEGER NOT NULL REFERENCES boxes(id),
        since INTEGER NOT NULL,
        operator_at INTEGER NOT NULL,
        family_at INTEGER,
        resolved_at INTEGER
    );
    CREATE UNIQUE INDEX offline_alerts_open ON offline_alerts (box_id) WHERE resolved_at IS NULL;"
    ),
    // 15: pauses set from the family page, by whom, for the monthly cap.
    (
        15,
    "CREATE TABLE watch_pauses (
        id INTEGER PRIMARY KEY,
        household_id INTEGER NOT NULL REFERENCES households(id),
        contact_id INTEGER REFERENCES contacts(id),
        from_at INTEGER NOT NULL,
        until_at INTEGER NOT NULL
    );
    CREATE INDEX watch_pauses_household ON watch_pauses (household_id, until_at);"
    ),
];
