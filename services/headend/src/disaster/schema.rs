//! The disaster service's tables: municipalities with their rules, what each
//! household carries for it (municipality, JMA city code, the 要支援者 list
//! with the date of consent — never the reason), helpers, shelters, the JMA
//! feeds and reports seen, campaigns with their answers. Append only: never
//! edit a migration that has shipped.

/// (version, SQL), in the head-end's one numbering (see `migrations` in the db module).
pub const MIGRATIONS: &[(u32, &str)] = &[
    // 16: 防災 — municipalities (policy as JSON of engawa_disaster's Policy,
    // the JMA city codes they cover, the alert version boxes follow),
    // household fields, helpers, district boundaries (for the board's map), shelters, feeds, reports, campaigns,
    // orders' shelters, boxes by household (the board reads each one's last
    // heartbeat), the mails sent about each household (once each),
    // answers and the answers' idempotency keys.
    (
        16,
        "CREATE TABLE municipalities (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        jma_cities TEXT NOT NULL DEFAULT '',
        policy TEXT NOT NULL,
        family_after_min INTEGER NOT NULL DEFAULT 30,
        helpers_after_min INTEGER NOT NULL DEFAULT 60,
        alert_version INTEGER NOT NULL DEFAULT 1
    );
    ALTER TABLE households ADD COLUMN municipality TEXT REFERENCES municipalities(code);
    ALTER TABLE households ADD COLUMN jma_city TEXT;
    ALTER TABLE households ADD COLUMN support_consent TEXT;
    CREATE INDEX households_municipality ON households (municipality, district);
    CREATE INDEX boxes_household ON boxes (household_id);
    CREATE TABLE helpers (
        id INTEGER PRIMARY KEY,
        household_id INTEGER NOT NULL REFERENCES households(id),
        name TEXT NOT NULL,
        role TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        removed_at INTEGER
    );
    CREATE INDEX helpers_household ON helpers (household_id);
    CREATE TABLE district_shapes (
        municipality TEXT NOT NULL REFERENCES municipalities(code),
        district TEXT NOT NULL,
        rings TEXT NOT NULL,
        PRIMARY KEY (municipality, district)
    );
    CREATE TABLE shelters (
        id INTEGER PRIMARY KEY,
        municipality TEXT NOT NULL REFERENCES municipalities(code),
        source_id TEXT NOT NULL,
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        lat REAL,
        lon REAL,
        capacity INTEGER,
        uses TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT 'closed' CHECK (state IN ('closed','open','crowded')),
        updated_at INTEGER NOT NULL,
        UNIQUE (municipality, source_id)
    );
    CREATE TABLE jma_feeds (
        url TEXT PRIMARY KEY,
        last_modified TEXT,
        last_ok_at INTEGER,
        last_error_at INTEGER,
        last_error TEXT,
        entries INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE jma_entries (
        entry_id TEXT PRIMARY KEY,
        feed_url TEXT NOT NULL,
        link TEXT NOT NULL,
        seen_at INTEGER NOT NULL,
        outcome TEXT NOT NULL
    );
    CREATE TABLE jma_reports (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        event_id TEXT NOT NULL,
        serial TEXT NOT NULL,
        info_type TEXT NOT NULL,
        status TEXT NOT NULL,
        headline TEXT NOT NULL DEFAULT '',
        reported_at TEXT,
        received_at INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        UNIQUE (title, event_id, serial, info_type)
    );
    CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY,
        municipality TEXT NOT NULL REFERENCES municipalities(code),
        drill INTEGER NOT NULL,
        hazard TEXT NOT NULL,
        event_id TEXT,
        districts TEXT NOT NULL DEFAULT '',
        opened_at INTEGER NOT NULL,
        opened_by INTEGER REFERENCES operators(id),
        closed_at INTEGER,
        closed_by INTEGER REFERENCES operators(id),
        closed_why TEXT
    );
    CREATE INDEX campaigns_open ON campaigns (municipality, closed_at);
    CREATE INDEX campaigns_event ON campaigns (event_id);
    CREATE TABLE campaign_shelters (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        shelter_id INTEGER NOT NULL REFERENCES shelters(id),
        PRIMARY KEY (campaign_id, shelter_id)
    );
    CREATE TABLE answers (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        household_id INTEGER NOT NULL REFERENCES households(id),
        box_id INTEGER REFERENCES boxes(id),
        answer TEXT NOT NULL CHECK (answer IN ('safe','help')),
        answered_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (campaign_id, household_id)
    );
    CREATE TABLE campaign_mails (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        household_id INTEGER NOT NULL REFERENCES households(id),
        kind TEXT NOT NULL CHECK (kind IN ('family','helpers','safe','help')),
        at INTEGER NOT NULL,
        PRIMARY KEY (campaign_id, household_id, kind)
    );
    CREATE TABLE answer_keys (
        box_id INTEGER NOT NULL REFERENCES boxes(id),
        idem_key TEXT NOT NULL,
        campaign_id INTEGER NOT NULL,
        answer TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (box_id, idem_key)
    );",
    ),
];
