//! The shared-taxi part of the box ↔ head-end contract. Times of day are
//! "HH:MM" in Tokyo time; every booking is for today.
//!
//! - `GET /v1/ride/places` → [`Places`]
//! - `POST /v1/ride/quote` ← [`RideRequest`] → [`Quote`] (nothing is reserved)
//! - `POST /v1/ride/bookings` ← [`BookRequest`] + `Idempotency-Key` → [`Booking`]
//! - `GET /v1/ride/bookings` → `Vec<Booking>` (today's)
//! - `POST /v1/ride/bookings/{id}/cancel` → [`Booking`]

use engawa_core::Yen;
use serde::{Deserialize, Serialize};

/// Most people on one booking.
pub const MAX_PEOPLE: u8 = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Places {
    /// The household's favourites first, then the operator's places.
    pub places: Vec<Place>,
    /// Service hours today: first pickup, last drop-off.
    pub opens: String,
    pub closes: String,
    /// Per person for this household (reduced fares by eligibility).
    pub fare_yen: Yen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub id: i64,
    pub name: String,
    /// 病院, スーパー, 役場, 駅, 温泉…
    pub kind: String,
    pub favourite: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// The next possible time.
    Asap,
    /// Picked up from this time ("HH:MM", 15-minute steps).
    At(String),
    /// There by this time ("HH:MM", 15-minute steps): 「病院に 9時30分までに」.
    ArriveBy(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RideRequest {
    /// `None` = home.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub people: u8,
    pub when: When,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// The promised pickup window.
    pub pickup_from: String,
    pub pickup_to: String,
    /// Estimated arrival.
    pub arrive_at: String,
    /// For everyone on the booking.
    pub fare_yen: Yen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quote {
    /// One to three, earliest first.
    pub offers: Vec<Offer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookRequest {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub people: u8,
    /// The offer taken: its pickup window start.
    pub pickup_from: String,
    /// The arrival promised, when the rider asked to be there by a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrive_by: Option<String>,
    /// The way back of this booking of the household's (the same day): the
    /// operator then sees the return as booked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_of: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Booking {
    pub id: i64,
    pub from_name: String,
    pub to_name: String,
    pub people: u8,
    pub pickup_from: String,
    pub pickup_to: String,
    pub arrive_at: String,
    /// The promised arrival, if the rider booked by arrival time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrive_by: Option<String>,
    pub fare_yen: Yen,
    /// `booked` or `cancelled`.
    pub state: String,
}

pub mod codes {
    pub const NOT_REGISTERED: &str = "not_registered_for_ride";
    pub const OUT_OF_HOURS: &str = "out_of_hours";
    pub const TOO_MANY_PEOPLE: &str = "too_many_people";
    pub const UNKNOWN_PLACE: &str = "unknown_place";
    pub const SAME_PLACE: &str = "same_place";
    pub const FULLY_BOOKED: &str = "fully_booked";
    pub const NO_LONGER_POSSIBLE: &str = "no_longer_possible";
    pub const TOO_LATE_TO_CANCEL: &str = "too_late_to_cancel";
    pub const NO_SERVICE: &str = "no_service";
    pub const NO_SUITABLE_VEHICLE: &str = "no_suitable_vehicle";
    pub const NOT_ELIGIBLE: &str = "not_eligible";
    pub const OUTSIDE_AREA: &str = "outside_area";
}

/// "HH:MM" ↔ minutes of the day.
pub fn minutes(hhmm: &str) -> Option<i64> {
    let (h, m) = hhmm.trim().split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m) && m.to_string().len() <= 2).then_some(h * 60 + m)
}

pub fn hhmm(minutes: i64) -> String {
    let m = minutes.clamp(0, 24 * 60 - 1);
    format!("{:02}:{:02}", m / 60, m % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_round_trip_and_nonsense_is_refused() {
        assert_eq!(minutes("09:30"), Some(570));
        assert_eq!(hhmm(570), "09:30");
        assert_eq!(minutes("9:05"), Some(545));
        for bad in ["", "24:00", "10:60", "ten", "10:", "-1:00"] {
            assert_eq!(minutes(bad), None, "{bad}");
        }
        let w: When = serde_json::from_str("\"asap\"").unwrap();
        assert_eq!(w, When::Asap);
        let w: When = serde_json::from_str("{\"at\":\"10:15\"}").unwrap();
        assert_eq!(w, When::At("10:15".into()));
    }
}
