//! Shared taxi storage: vehicles, places, favourites, rides, each day's plan,
//! booking keys and refused requests.
//!
//! A booking reads the day's rides and plan, places the new ride and writes the
//! ride, the new plan and the box's key in one `BEGIN IMMEDIATE` transaction:
//! two bookings can never be placed against the same old plan.

use crate::db::Flag;
use chrono::{DateTime, Utc};
use engawa_core::Yen;
use engawa_ride::booking::NEW_RIDE;
pub use engawa_ride::booking::{
    DayState, Fares, KnownPlace, Placed, Rider, Zones, categories_of, needs_of,
};
use engawa_ride::service::{Day, Ride, Routes, Stop, Vehicle};
use engawa_ride::travel::TravelTime;
use sqlx::Row;

use crate::db::{Db, ts};

#[derive(Debug, Clone, PartialEq)]
pub struct VehicleRow {
    pub id: i64,
    pub name: String,
    pub vehicle: Vehicle,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RideRow {
    pub id: i64,
    pub household_id: i64,
    pub from_place: Option<i64>,
    pub to_place: Option<i64>,
    pub from_name: String,
    pub to_name: String,
    pub people: i64,
    pub pickup_from: i64,
    pub pickup_to: i64,
    pub arrive_at: i64,
    pub fare_yen: i64,
    pub state: String,
    pub ride: Ride,
    /// The rider's needs as written in the profile (for the manifest).
    pub needs: String,
    /// For the driver's manifest.
    pub rider: String,
    pub phone: String,
    pub address: String,
    /// When the driver recorded the rider getting in and out.
    pub picked_up_at: Option<DateTime<Utc>>,
    pub dropped_at: Option<DateTime<Utc>>,
    /// The way there this ride is the way back of.
    pub return_of: Option<i64>,
    /// Not served: `no_show` or `late` (see `Unmet`).
    pub unmet: Option<String>,
}

const RIDE_COLUMNS: &str = "r.id, r.household_id, r.from_place, r.to_place,
    coalesce(fp.name, '家'), coalesce(tp.name, '家'), r.people, r.pickup_from, r.pickup_to,
    r.arrive_at, r.fare_yen, r.state,
    coalesce(fp.lat, h.lat, 0), coalesce(fp.lon, h.lon, 0), coalesce(tp.lat, h.lat, 0), coalesce(tp.lon, h.lon, 0),
    h.name, h.phone, h.address, r.arrive_by, h.ride_needs, h.ride_extra_minutes,
    r.picked_up_at, r.dropped_at, r.return_of, r.unmet";
const RIDE_FROM: &str = "FROM rides r JOIN households h ON h.id = r.household_id
    LEFT JOIN ride_places fp ON fp.id = r.from_place LEFT JOIN ride_places tp ON tp.id = r.to_place";

fn ride_of(r: &crate::db::engine::Row) -> Result<RideRow, sqlx::Error> {
    let id: i64 = r.try_get(0)?;
    let people: i64 = r.try_get(6)?;
    let (pf, pt): (i64, i64) = (r.try_get(7)?, r.try_get(8)?);
    Ok(RideRow {
        id,
        household_id: r.try_get(1)?,
        from_place: r.try_get(2)?,
        to_place: r.try_get(3)?,
        from_name: r.try_get(4)?,
        to_name: r.try_get(5)?,
        people,
        pickup_from: pf,
        pickup_to: pt,
        arrive_at: r.try_get(9)?,
        fare_yen: r.try_get(10)?,
        state: r.try_get(11)?,
        ride: Ride {
            id,
            from: (r.try_get(12)?, r.try_get(13)?),
            to: (r.try_get(14)?, r.try_get(15)?),
            people: people as i32,
            window: (pf, pt),
            arrive_by: r.try_get(19)?,
            needs: needs_of(&r.try_get::<String, _>(20)?, r.try_get(21)?),
        },
        needs: r.try_get(20)?,
        rider: r.try_get(16)?,
        phone: r.try_get(17)?,
        address: r.try_get(18)?,
        picked_up_at: crate::db::from_ts(r.try_get(22)?),
        dropped_at: crate::db::from_ts(r.try_get(23)?),
        return_of: r.try_get(24)?,
        unmet: r.try_get(25)?,
    })
}

/// The day as the head-end reads it: vehicles and rides as stored (names,
/// phones, records for the manifest) and the plan.
pub struct DayRows {
    pub vehicles: Vec<VehicleRow>,
    pub rides: Vec<RideRow>,
    pub routes: Routes,
}

impl DayRows {
    /// The day as a quote or a booking decides on it.
    pub fn plan(&self) -> DayState {
        let (vehicles, rides) = self.parts();
        DayState {
            vehicles,
            rides,
            routes: self.routes.clone(),
        }
    }

    /// The vehicles and rides as the planner takes them (for a `Day`).
    pub fn parts(&self) -> (Vec<Vehicle>, Vec<Ride>) {
        (
            self.vehicles.iter().map(|v| v.vehicle.clone()).collect(),
            self.rides.iter().map(|r| r.ride.clone()).collect(),
        )
    }

    /// Each vehicle's stops with their planned times.
    pub fn schedule(&self, travel: &dyn TravelTime) -> Vec<Vec<(Stop, f64)>> {
        let (vehicles, rides) = self.parts();
        Day {
            vehicles: &vehicles,
            rides: &rides,
            routes: &self.routes,
        }
        .schedule(travel)
    }
}

impl Db {
    /// The taxi profile of a household (needs and extra minutes per stop).
    /// A rider's profile: needs (comma separated) and extra minutes per
    /// stop, and the eligibility categories unless `None` (kept as they are).
    pub async fn set_rider_profile(
        &self,
        household_id: i64,
        eligibility: Option<&str>,
        needs: &str,
        extra_minutes: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE households SET eligibility = coalesce($1, eligibility), ride_needs = $2, ride_extra_minutes = $3
             WHERE id = $4",
        )
        .bind(eligibility)
        .bind(needs)
        .bind(extra_minutes)
        .bind(household_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn add_vehicle(&self, name: &str, v: &Vehicle) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "INSERT INTO ride_vehicles (name, seats, shift_start, shift_end, depot_lat, depot_lon, wheelchair)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(name)
        .bind(v.seats)
        .bind(v.shift.0)
        .bind(v.shift.1)
        .bind(v.depot.0)
        .bind(v.depot.1)
        .bind(i64::from(v.wheelchair))
        .fetch_one(&self.pool)
        .await
    }

    pub async fn add_place(
        &self,
        name: &str,
        kind: &str,
        at: (f64, f64),
        district: &str,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "INSERT INTO ride_places (name, kind, lat, lon, district) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(name)
        .bind(kind)
        .bind(at.0)
        .bind(at.1)
        .bind(district)
        .fetch_one(&self.pool)
        .await
    }

    pub async fn add_favourite(&self, household_id: i64, place_id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO ride_favourites (household_id, place_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(household_id)
            .bind(place_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn vehicles(&self) -> Result<Vec<VehicleRow>, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        vehicles_on(&mut conn).await
    }

    /// The household's favourites first, then every other place.
    pub async fn places_for(&self, household_id: i64) -> Result<Vec<KnownPlace>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT p.id, p.name, p.kind, p.lat, p.lon, f.place_id IS NOT NULL AS fav, p.district
             FROM ride_places p LEFT JOIN ride_favourites f ON f.place_id = p.id AND f.household_id = $1
             ORDER BY fav DESC, p.id",
        )
        .bind(household_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(KnownPlace {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    at: (r.try_get(3)?, r.try_get(4)?),
                    favourite: r.try_get::<Flag, _>(5)?.0,
                    district: r.try_get(6)?,
                })
            })
            .collect()
    }

    pub async fn rider(&self, household_id: i64) -> Result<Option<Rider>, sqlx::Error> {
        let r = sqlx::query(
            "SELECT ride, name, lat, lon, eligibility, ride_needs, ride_extra_minutes, district FROM households WHERE id = $1",
        )
        .bind(household_id)
        .fetch_optional(&self.pool)
        .await?;
        r.map(|r| {
            let (lat, lon): (Option<f64>, Option<f64>) = (r.try_get(2)?, r.try_get(3)?);
            Ok(Rider {
                registered: r.try_get::<Flag, _>(0)?.0,
                needs: r.try_get(5)?,
                extra_minutes: r.try_get(6)?,
                name: r.try_get(1)?,
                home: lat.zip(lon),
                eligibility: r.try_get(4)?,
                district: r.try_get(7)?,
            })
        })
        .transpose()
    }

    pub async fn log_ride_refusal(
        &self,
        household_id: i64,
        code: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO ride_refusals (household_id, at, code, detail) VALUES ($1, $2, $3, $4)",
        )
        .bind(household_id)
        .bind(ts(now))
        .bind(code)
        .bind(detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// (household, code, detail) of every refusal, oldest first.
    pub async fn ride_refusals(&self) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
        let rows = sqlx::query("SELECT household_id, code, detail FROM ride_refusals ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// Refusals between two instants: (time, household name, code, detail).
    pub async fn ride_refusals_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scope: &crate::db::Scope,
    ) -> Result<Vec<(DateTime<Utc>, String, String, String)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT f.at, coalesce(h.name, ''), f.code, f.detail FROM ride_refusals f
             LEFT JOIN households h ON h.id = f.household_id WHERE f.at >= $1 AND f.at < $2
               AND ($3 = '*' OR h.municipality = $3) ORDER BY f.id",
        )
        .bind(ts(from))
        .bind(ts(to))
        .bind(scope.bind())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    crate::db::from_ts(r.try_get(0)?).unwrap_or_default(),
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                ))
            })
            .collect()
    }

    /// The household a ride is for.
    pub async fn ride_household(&self, ride: i64) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar("SELECT household_id FROM rides WHERE id = $1")
            .bind(ride)
            .fetch_optional(&self.pool)
            .await
    }

    /// The driver records a rider getting in (or out, `drop`) at `at`. The
    /// first record stands (a second tap changes nothing): `false` when there
    /// is no such booked ride.
    pub async fn record_ride_stop(
        &self,
        id: i64,
        drop: bool,
        at: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        let sql = if drop {
            "UPDATE rides SET dropped_at = coalesce(dropped_at, $1) WHERE id = $2 AND state = 'booked'"
        } else {
            "UPDATE rides SET picked_up_at = coalesce(picked_up_at, $1) WHERE id = $2 AND state = 'booked'"
        };
        let r = sqlx::query(sql)
            .bind(ts(at))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Replace the day's plan by a better one, only if the plan is still the
    /// one it was improved from (no booking or cancellation came between):
    /// `true` when written.
    pub async fn replace_plan(
        &self,
        day: &str,
        from: &Routes,
        to: &Routes,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        if plan_on(&mut tx, day).await? != *from {
            return Ok(false);
        }
        save_plan(&mut tx, day, to).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The driver records that a booked ride was not served (`no_show` or
    /// `late`), once, and only before a pickup was recorded; the operator's
    /// log of refused and unmet requests gets it too. `false`: nothing to do.
    pub async fn record_unmet(
        &self,
        id: i64,
        why: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let row: Option<(i64, i64, i64)> = sqlx::query_as(
            "UPDATE rides SET unmet = $1 WHERE id = $2 AND state = 'booked' AND picked_up_at IS NULL AND unmet IS NULL
             RETURNING household_id, pickup_from, pickup_to",
        )
        .bind(why)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((household, from, to)) = row else {
            return Ok(false);
        };
        sqlx::query(
            "INSERT INTO ride_refusals (household_id, at, code, detail) VALUES ($1, $2, $3, $4)",
        )
        .bind(household)
        .bind(ts(at))
        .bind(format!("unmet_{why}"))
        .bind(format!(
            "ride {id}, pickup {}–{}",
            engawa_ride::api::hhmm(from),
            engawa_ride::api::hhmm(to)
        ))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Rides of a day that were cancelled.
    pub async fn cancelled_rides(&self, day: &str) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT count(*) FROM rides WHERE day = $1 AND state = 'cancelled'")
            .bind(day)
            .fetch_one(&self.pool)
            .await
    }

    /// The day's vehicles, booked rides and plan (for a quote: read only).
    pub async fn ride_day(&self, day: &str) -> Result<DayRows, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        day_on(&mut conn, day).await
    }

    /// A household's rides of the day (booked and cancelled).
    pub async fn rides_of(
        &self,
        household_id: i64,
        day: &str,
    ) -> Result<Vec<RideRow>, sqlx::Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RIDE_COLUMNS} {RIDE_FROM} WHERE r.household_id = $1 AND r.day = $2 ORDER BY r.pickup_from, r.id"
        )))
        .bind(household_id)
        .bind(day)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(ride_of).collect()
    }

    /// Book: a key seen before answers its ride (`BookOutcome::KeyReused` when
    /// it came with another body); otherwise `place` decides against the
    /// current day and the ride, plan and key are written together.
    pub async fn book_ride<E>(
        &self,
        ask: &BookingAsk<'_>,
        now: DateTime<Utc>,
        place: impl FnOnce(&DayRows) -> Result<Placed, E>,
    ) -> Result<Result<BookOutcome, E>, sqlx::Error> {
        let BookingAsk {
            box_id,
            household_id,
            day,
            key,
            request,
            return_of,
        } = *ask;
        // The phone's keys are kept under box 0 (no box has that id).
        let key_owner = box_id.unwrap_or(0);
        let mut tx = self.write_tx().await?;
        let seen =
            sqlx::query("SELECT ride_id, request FROM ride_keys WHERE box_id = $1 AND key = $2")
                .bind(key_owner)
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(r) = seen {
            let (id, body): (i64, String) = (r.try_get(0)?, r.try_get(1)?);
            tx.rollback().await?;
            return Ok(Ok(if body == request {
                BookOutcome::Replay(id)
            } else {
                BookOutcome::KeyReused
            }));
        }
        let state = day_on(&mut tx, day).await?;
        let new = match place(&state) {
            Ok(v) => v,
            Err(e) => {
                tx.rollback().await?;
                return Ok(Err(e));
            }
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO rides (household_id, box_id, day, from_place, to_place, people, pickup_from, pickup_to,
                                arrive_at, fare_yen, state, created_at, arrive_by, return_of)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'booked', $11, $12, $13) RETURNING id",
        )
        .bind(household_id)
        // None: booked by the operator (a phone call), not by a box.
        .bind(box_id)
        .bind(day)
        .bind(new.from_place)
        .bind(new.to_place)
        .bind(i64::from(new.people))
        .bind(new.pickup_from)
        .bind(new.pickup_to)
        .bind(new.arrive_at)
        .bind(new.fare.0)
        .bind(ts(now))
        .bind(new.arrive_by)
        .bind(return_of)
        .fetch_one(&mut *tx)
        .await?;
        let routes = Routes(
            new.routes
                .0
                .into_iter()
                .map(|r| {
                    r.into_iter()
                        .map(|(rid, drop)| (if rid == NEW_RIDE { id } else { rid }, drop))
                        .collect()
                })
                .collect(),
        );
        save_plan(&mut tx, day, &routes).await?;
        sqlx::query(
            "INSERT INTO ride_keys (box_id, key, request, ride_id) VALUES ($1, $2, $3, $4)",
        )
        .bind(key_owner)
        .bind(key)
        .bind(request)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(BookOutcome::Booked(id)))
    }

    pub async fn ride(&self, id: i64) -> Result<Option<RideRow>, sqlx::Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RIDE_COLUMNS} {RIDE_FROM} WHERE r.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(ride_of).transpose()
    }

    /// Cancel one of the household's booked rides; its stops leave the plan.
    /// `None` when there is no such booked ride of this household.
    pub async fn cancel_ride(
        &self,
        household_id: i64,
        id: i64,
        now: DateTime<Utc>,
        allowed: impl FnOnce(&RideRow) -> bool,
    ) -> Result<Option<Result<(), ()>>, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RIDE_COLUMNS} {RIDE_FROM} WHERE r.id = $1 AND r.household_id = $2 AND r.state = 'booked'"
        )))
        .bind(id)
        .bind(household_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row.as_ref().map(ride_of).transpose()? else {
            tx.rollback().await?;
            return Ok(None);
        };
        if !allowed(&row) {
            tx.rollback().await?;
            return Ok(Some(Err(())));
        }
        let day: String = sqlx::query_scalar("SELECT day FROM rides WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("UPDATE rides SET state = 'cancelled', cancelled_at = $1 WHERE id = $2")
            .bind(ts(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let plan = plan_on(&mut tx, &day).await?;
        save_plan(&mut tx, &day, &plan.without(id)).await?;
        tx.commit().await?;
        Ok(Some(Ok(())))
    }
}

const TV_DISCOUNT: &str = "ride.fare.tv_discount";

impl Db {
    pub async fn fares(&self) -> Result<Fares, sqlx::Error> {
        let rows =
            sqlx::query("SELECT name, fare_yen FROM ride_categories ORDER BY position, name")
                .fetch_all(&self.pool)
                .await?;
        let categories = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, Yen(r.try_get(1)?))))
            .collect::<Result<_, sqlx::Error>>()?;
        let discount: Option<String> =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(TV_DISCOUNT)
                .fetch_optional(&self.pool)
                .await?;
        Ok(Fares {
            categories,
            tv_discount: Yen(discount.and_then(|d| d.parse().ok()).unwrap_or(0)),
        })
    }

    /// Add a category or change its fare.
    pub async fn set_category(&self, name: &str, fare_yen: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO ride_categories (name, fare_yen, position)
             VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM ride_categories))
             ON CONFLICT (name) DO UPDATE SET fare_yen = excluded.fare_yen",
        )
        .bind(name)
        .bind(fare_yen)
        .execute(&self.pool)
        .await
        .map(drop)
    }

    /// Remove a category: `false` if there was none. Riders only in it are no
    /// longer eligible.
    pub async fn remove_category(&self, name: &str) -> Result<bool, sqlx::Error> {
        let r = sqlx::query("DELETE FROM ride_categories WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn set_tv_discount(&self, yen: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(TV_DISCOUNT)
        .bind(yen.to_string())
        .execute(&self.pool)
        .await
        .map(drop)
    }

    pub async fn zones(&self) -> Result<Zones, sqlx::Error> {
        let rows = sqlx::query("SELECT a, b FROM ride_zone_links ORDER BY a, b")
            .fetch_all(&self.pool)
            .await?;
        let links = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(Zones { links })
    }

    /// Link two districts (either order), or unlink them.
    pub async fn link_zones(&self, a: &str, b: &str, linked: bool) -> Result<(), sqlx::Error> {
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        let sql = if linked {
            "INSERT INTO ride_zone_links (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM ride_zone_links WHERE a = $1 AND b = $2"
        };
        sqlx::query(sql)
            .bind(a)
            .bind(b)
            .execute(&self.pool)
            .await
            .map(drop)
    }
}

/// A booking request as stored: who asked (no box: the operator on the
/// phone), for which day, under which idempotency key with which body, and
/// the way there it is the way back of.
#[derive(Debug, Clone, Copy)]
pub struct BookingAsk<'a> {
    pub box_id: Option<i64>,
    pub household_id: i64,
    pub day: &'a str,
    pub key: &'a str,
    pub request: &'a str,
    pub return_of: Option<i64>,
}

/// What a booking request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookOutcome {
    Booked(i64),
    /// The same key and body again: the ride it made.
    Replay(i64),
    /// The same key with another body.
    KeyReused,
}

async fn vehicles_on(conn: &mut crate::db::Conn) -> Result<Vec<VehicleRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, seats, shift_start, shift_end, depot_lat, depot_lon, wheelchair FROM ride_vehicles ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(VehicleRow {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                vehicle: Vehicle {
                    seats: r.try_get(2)?,
                    wheelchair: r.try_get::<Flag, _>(7)?.0,
                    shift: (r.try_get(3)?, r.try_get(4)?),
                    depot: (r.try_get(5)?, r.try_get(6)?),
                },
            })
        })
        .collect()
}

async fn plan_on(conn: &mut crate::db::Conn, day: &str) -> Result<Routes, sqlx::Error> {
    let json: Option<String> = sqlx::query_scalar("SELECT routes FROM ride_plans WHERE day = $1")
        .bind(day)
        .fetch_optional(&mut *conn)
        .await?;
    match json {
        None => Ok(Routes::default()),
        Some(j) => serde_json::from_str(&j).map_err(|e| sqlx::Error::Decode(Box::new(e))),
    }
}

async fn save_plan(
    conn: &mut crate::db::Conn,
    day: &str,
    routes: &Routes,
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(routes).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO ride_plans (day, routes) VALUES ($1, $2) ON CONFLICT (day) DO UPDATE SET routes = excluded.routes",
    )
    .bind(day)
    .bind(json)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn day_on(conn: &mut crate::db::Conn, day: &str) -> Result<DayRows, sqlx::Error> {
    let vehicles = vehicles_on(conn).await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {RIDE_COLUMNS} {RIDE_FROM} WHERE r.day = $1 AND r.state = 'booked' ORDER BY r.id"
    )))
    .bind(day)
    .fetch_all(&mut *conn)
    .await?;
    let rides = rows.iter().map(ride_of).collect::<Result<Vec<_>, _>>()?;
    let routes = plan_on(conn, day).await?;
    Ok(DayRows {
        vehicles,
        rides,
        routes,
    })
}
