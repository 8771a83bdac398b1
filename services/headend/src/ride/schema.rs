//! The taxi's tables: vehicles, places, favourites, rides and each day's
//! plan, booking keys, refused requests, riders' needs, the fare table and
//! zones. Append only: never edit a migration that has shipped.

/// (version, SQL), in the head-end's one numbering (see `migrations` in the db module).
pub const MIGRATIONS: &[(u32, &str)] = &[
    // 7: shared taxi — vehicles, places, favourites, rides (the promised pickup
    // window), each day's plan (the vehicles' stop orders, JSON), idempotency
    // keys of bookings, and every refused request with its reason.
    (
        7,
    "CREATE TABLE ride_vehicles (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        seats INTEGER NOT NULL CHECK (seats > 0),
        wheelchair INTEGER NOT NULL DEFAULT 0,
        shift_start INTEGER NOT NULL,
        shift_end INTEGER NOT NULL,
        depot_lat REAL NOT NULL,
        depot_lon REAL NOT NULL
    );
    CREATE TABLE ride_places (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        lat REAL NOT NULL,
        lon REAL NOT NULL
    );
    CREATE TABLE ride_favourites (
        household_id INTEGER NOT NULL REFERENCES households(id),
        place_id INTEGER NOT NULL REFERENCES ride_places(id),
        PRIMARY KEY (household_id, place_id)
    );
    CREATE TABLE rides (
        id INTEGER PRIMARY KEY,
        household_id INTEGER NOT NULL REFERENCES households(id),
        box_id INTEGER REFERENCES boxes(id),
        day TEXT NOT NULL,
        from_place INTEGER REFERENCES ride_places(id),
        to_place INTEGER REFERENCES ride_places(id),
        people INTEGER NOT NULL,
        pickup_from INTEGER NOT NULL,
        pickup_to INTEGER NOT NULL,
        arrive_at INTEGER NOT NULL,
        fare_yen INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('booked', 'cancelled')),
        created_at INTEGER NOT NULL,
        cancelled_at INTEGER
    );
    CREATE INDEX rides_day ON rides (day, state);
    CREATE TABLE ride_plans (day TEXT PRIMARY KEY, routes TEXT NOT NULL);
    CREATE TABLE ride_keys (
        box_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        request TEXT NOT NULL,
        ride_id INTEGER NOT NULL REFERENCES rides(id),
        PRIMARY KEY (box_id, key)
    );
    CREATE TABLE ride_refusals (
        id INTEGER PRIMARY KEY,
        household_id INTEGER REFERENCES households(id),
        at INTEGER NOT NULL,
        code TEXT NOT NULL,
        detail TEXT NOT NULL
    );"
    ),
    // 8: a ride booked by arrival time keeps that promise.
    (
        8,
    "ALTER TABLE rides ADD COLUMN arrive_by INTEGER;"
    ),
    // 9: the rider's profile for the taxi: needs (車いす, 杖, 玄関まで介助…) and
    // extra minutes at each stop.
    (
        9,
    "ALTER TABLE households ADD COLUMN ride_needs TEXT NOT NULL DEFAULT '';
    ALTER TABLE households ADD COLUMN ride_extra_minutes INTEGER NOT NULL DEFAULT 0;"
    ),
    // 10: eligibility categories with their fare per person (operator data,
    // replacing the standard/reduced settings); service zones: places are in a
    // district, and links say which districts a ride may join; the driver
    // records when each rider got in and out (for the on-time rate).
    (
        10,
    "CREATE TABLE ride_categories (
        name TEXT PRIMARY KEY,
        fare_yen INTEGER NOT NULL CHECK (fare_yen >= 0),
        position INTEGER NOT NULL
    );
    INSERT INTO ride_categories (name, fare_yen, position) VALUES
        ('65歳以上', 500, 1), ('免許返納', 250, 2), ('障害', 250, 3), ('難病', 250, 4),
        ('病気で運転できない', 500, 5);
    DELETE FROM settings WHERE key IN ('ride.fare.standard', 'ride.fare.reduced', 'ride.fare.reduced_for');
    ALTER TABLE ride_places ADD COLUMN district TEXT NOT NULL DEFAULT '';
    CREATE TABLE ride_zone_links (
        a TEXT NOT NULL,
        b TEXT NOT NULL,
        PRIMARY KEY (a, b),
        CHECK (a < b)
    );
    ALTER TABLE rides ADD COLUMN picked_up_at INTEGER;
    ALTER TABLE rides ADD COLUMN dropped_at INTEGER;"
    ),
    // 11: a way back knows the way there it belongs to (「帰りは あとで」: the
    // console lists the ways there still without one).
    (
        11,
    "ALTER TABLE rides ADD COLUMN return_of INTEGER REFERENCES rides(id);"
    ),
    // 12: a booked ride the car could not serve (the rider did not come, the
    // car could not make it), as the driver recorded it.
    (
        12,
    "ALTER TABLE rides ADD COLUMN unmet TEXT CHECK (unmet IN ('no_show', 'late'));"
    ),
];
