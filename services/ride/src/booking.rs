//! Quoting and booking a ride of the real service, decided in pure code.
//!
//! The head-end reads what a decision needs — today's plan ([`DayState`]),
//! the fare table ([`Fares`]), the rider, their places and the zones (a
//! [`Request`]) — and calls [`quote`] or [`book`]. It writes what they decide
//! (a booking inside its write transaction) and logs what they refuse
//! ([`Refusal`]: a code for the wire, words for the resident, a detail for the
//! operator's log). Nothing here does I/O or reads a clock: `now` is the
//! minute of the day in Tokyo.

use engawa_core::Yen;
use engawa_core::jp::minutes_spoken;

use crate::api::{MAX_PEOPLE, Offer, When, codes, hhmm, minutes};
use crate::service::{Day, Needs, Ride, Routes, Vehicle};
use crate::travel::TravelTime;

/// The pickup window promised: 15 minutes.
pub const WINDOW: i64 = 15;
/// The earliest pickup: this long after asking.
pub const LEAD: i64 = 15;
/// The id a new ride has in a plan before it is stored.
pub const NEW_RIDE: i64 = -1;
/// Offers in one quote, at most.
pub const MAX_OFFERS: usize = 3;

/// Who asks: a resident on their TV, or the operator on the phone on a
/// rider's behalf. A booking from the TV may cost less (the operator's
/// discount); the phone has no box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    Tv { box_id: i64 },
    Phone { operator: String },
}

impl Channel {
    /// The box that asked; `None` for the operator.
    pub fn box_id(&self) -> Option<i64> {
        match self {
            Channel::Tv { box_id } => Some(*box_id),
            Channel::Phone { .. } => None,
        }
    }
}

/// The fare table (operator data): the eligibility categories, each with its
/// fare per person, and how much less a ride costs when booked from the TV.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fares {
    /// In the operator's order.
    pub categories: Vec<(String, Yen)>,
    pub tv_discount: Yen,
}

/// A household's categories, as written (comma or 、 separated).
pub fn categories_of(eligibility: &str) -> impl Iterator<Item = &str> {
    eligibility
        .split([',', '、'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
}

impl Fares {
    /// The fare per person: the lowest of the rider's categories, less the TV
    /// discount when booked from the TV. `None`: no category the operator
    /// knows, so not eligible.
    pub fn for_rider(&self, eligibility: &str, channel: &Channel) -> Option<Yen> {
        let fare = categories_of(eligibility)
            .filter_map(|c| self.categories.iter().find(|k| k.0 == c).map(|k| k.1))
            .min()?;
        Some(match channel {
            Channel::Tv { .. } => (fare - self.tv_discount).max(Yen(0)),
            Channel::Phone { .. } => fare,
        })
    }

    /// The written categories the table does not know (refused at entry).
    pub fn unknown<'a>(&self, eligibility: &'a str) -> Vec<&'a str> {
        categories_of(eligibility)
            .filter(|c| !self.categories.iter().any(|k| k.0 == *c))
            .collect()
    }

    /// 「65歳以上、免許返納」
    pub fn names(&self) -> String {
        self.categories
            .iter()
            .map(|c| c.0.as_str())
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// Service zones: districts a ride may join. Within a district, and to or from
/// a place with no district, a ride is always possible; between two districts
/// only when they are linked. With no links at all the whole area is one zone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Zones {
    pub links: Vec<(String, String)>,
}

impl Zones {
    pub fn allows(&self, a: &str, b: &str) -> bool {
        self.links.is_empty()
            || a.is_empty()
            || b.is_empty()
            || a == b
            || self
                .links
                .iter()
                .any(|(x, y)| (x == a && y == b) || (x == b && y == a))
    }
}

/// A profile's needs for the planner: 車いす needs a wheelchair seat; the
/// extra minutes at each stop are 0 to 30.
pub fn needs_of(needs: &str, extra_minutes: i64) -> Needs {
    Needs {
        wheelchair: needs.contains("車いす"),
        extra_minutes: extra_minutes.clamp(0, 30),
    }
}

/// A household as the taxi sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rider {
    pub registered: bool,
    /// 車いす, 杖, 玄関まで介助… (comma separated) and extra minutes per stop.
    pub needs: String,
    pub extra_minutes: i64,
    pub name: String,
    pub home: Option<(f64, f64)>,
    pub eligibility: String,
    pub district: String,
}

/// A place riders go to, as the household sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownPlace {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub at: (f64, f64),
    pub favourite: bool,
    /// The service zone (district) the place is in; empty: every zone's.
    pub district: String,
}

/// Today's vehicles, booked rides and plan, as a decision sees them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DayState {
    pub vehicles: Vec<Vehicle>,
    pub rides: Vec<Ride>,
    pub routes: Routes,
}

impl DayState {
    pub fn day(&self) -> Day<'_> {
        Day {
            vehicles: &self.vehicles,
            rides: &self.rides,
            routes: &self.routes,
        }
    }

    /// Service hours: the vehicles' earliest and latest shift.
    pub fn hours(&self) -> Option<(i64, i64)> {
        let open = self.vehicles.iter().map(|v| v.shift.0).min()?;
        let close = self.vehicles.iter().map(|v| v.shift.1).max()?;
        Some((open, close))
    }
}

/// A request for a ride: who asks, for whom, from where to where, how many.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub channel: &'a Channel,
    pub rider: &'a Rider,
    /// The household's places (favourites and the operator's).
    pub places: &'a [KnownPlace],
    pub zones: &'a Zones,
    /// `None` = home.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub people: u8,
}

/// Why a request gets no ride. Every refusal but the first and the last two
/// is logged for the operator ([`Refusal::logged`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    NotRegistered,
    /// No category of the fare table; `example` is its first.
    NotEligible {
        categories: String,
        example: String,
    },
    TooManyPeople {
        people: u8,
    },
    NotEnoughSeats {
        people: u8,
        seats: i32,
    },
    SamePlace {
        from: Option<i64>,
        to: Option<i64>,
    },
    UnknownPlace {
        from: Option<i64>,
        to: Option<i64>,
    },
    OutsideArea {
        from: String,
        to: String,
    },
    NoWheelchairVehicle,
    NoService,
    /// The pickup asked for is outside today's bookable hours.
    PickupOutOfHours {
        start: i64,
        earliest: i64,
        open: i64,
        close: i64,
    },
    /// The arrival asked for cannot be reached today.
    ArrivalOutOfHours {
        deadline: i64,
        soonest: i64,
        close: i64,
    },
    FullyBooked {
        from: i64,
    },
    FullyBookedArrival {
        deadline: i64,
    },
    /// The offer taken was filled between quote and booking.
    NoLongerPossible {
        pickup: String,
    },
    /// A time that is not HH:MM on a quarter hour.
    Unreadable,
}

impl Refusal {
    /// The wire's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotRegistered => codes::NOT_REGISTERED,
            Refusal::NotEligible { .. } => codes::NOT_ELIGIBLE,
            Refusal::TooManyPeople { .. } | Refusal::NotEnoughSeats { .. } => {
                codes::TOO_MANY_PEOPLE
            }
            Refusal::SamePlace { .. } => codes::SAME_PLACE,
            Refusal::UnknownPlace { .. } => codes::UNKNOWN_PLACE,
            Refusal::OutsideArea { .. } => codes::OUTSIDE_AREA,
            Refusal::NoWheelchairVehicle => codes::NO_SUITABLE_VEHICLE,
            Refusal::NoService => codes::NO_SERVICE,
            Refusal::PickupOutOfHours { .. } | Refusal::ArrivalOutOfHours { .. } => {
                codes::OUT_OF_HOURS
            }
            Refusal::FullyBooked { .. } | Refusal::FullyBookedArrival { .. } => codes::FULLY_BOOKED,
            Refusal::NoLongerPossible { .. } => codes::NO_LONGER_POSSIBLE,
            Refusal::Unreadable => engawa_core::api::codes::INVALID_INPUT,
        }
    }

    /// Whether the operator's log of refused requests records it.
    pub fn logged(&self) -> bool {
        !matches!(self, Refusal::NotRegistered | Refusal::Unreadable)
    }

    /// For the operator's log: what exactly was asked.
    pub fn detail(&self) -> String {
        match self {
            Refusal::NotRegistered => "not registered".into(),
            Refusal::NotEligible { categories, .. } => format!("categories {categories:?}"),
            Refusal::TooManyPeople { people } => format!("{people} people"),
            Refusal::NotEnoughSeats { people, seats } => {
                format!("{people} people, at most {seats} seats")
            }
            Refusal::SamePlace { from, to } | Refusal::UnknownPlace { from, to } => {
                format!("{from:?} → {to:?}")
            }
            Refusal::OutsideArea { from, to } => format!("{from} → {to}"),
            Refusal::NoWheelchairVehicle => "wheelchair".into(),
            Refusal::NoService => "no vehicles".into(),
            Refusal::PickupOutOfHours {
                start,
                earliest,
                close,
                ..
            } => format!(
                "pickup {} outside {}–{}",
                hhmm(*start),
                hhmm(*earliest),
                hhmm(*close)
            ),
            Refusal::ArrivalOutOfHours { deadline, .. }
            | Refusal::FullyBookedArrival { deadline } => format!("arrive by {}", hhmm(*deadline)),
            Refusal::FullyBooked { from } => format!("from {} on", hhmm(*from)),
            Refusal::NoLongerPossible { pickup } => format!("pickup {pickup}"),
            Refusal::Unreadable => "unreadable time".into(),
        }
    }

    /// What the resident (or the operator on the phone) reads.
    pub fn message_ja(&self) -> String {
        match self {
            Refusal::NotRegistered => {
                "タクシーの 登録が ありません。ケーブルテレビ局に ご相談ください。".into()
            }
            Refusal::NotEligible { example, .. } => format!(
                "タクシーを 使う 区分（{example} など）が まだ 登録されていません。\nケーブルテレビ局に ご相談ください。"
            ),
            Refusal::TooManyPeople { .. } => {
                format!("ひとつの 予約で 乗れるのは {MAX_PEOPLE}人までです。")
            }
            Refusal::NotEnoughSeats { people, seats } => {
                format!("{people}人で 乗れる 車が ありません。{seats}人までで ご予約ください。")
            }
            Refusal::SamePlace { .. } => "行き先が 乗る場所と 同じです。".into(),
            Refusal::UnknownPlace { .. } => {
                "その 場所には 行けません。ケーブルテレビ局に ご相談ください。".into()
            }
            Refusal::OutsideArea { from, to } => format!(
                "{from}から {to}へは タクシーの 区域の 外です。ケーブルテレビ局に ご相談ください。"
            ),
            Refusal::NoWheelchairVehicle => {
                "車いすで 乗れる 車が ありません。ケーブルテレビ局に ご相談ください。".into()
            }
            Refusal::NoService => "きょうは タクシーが 動いていません。".into(),
            Refusal::PickupOutOfHours {
                earliest,
                open,
                close,
                ..
            } => {
                if earliest + WINDOW > *close {
                    format!(
                        "きょうの 受付は 終わりました（{}から {}まで）。",
                        minutes_spoken(*open),
                        minutes_spoken(*close)
                    )
                } else {
                    format!(
                        "その 時間は えらべません。いちばん 早いのは {}ごろです。",
                        minutes_spoken(*earliest)
                    )
                }
            }
            Refusal::ArrivalOutOfHours { soonest, close, .. } => {
                if soonest + 15 > *close {
                    "きょうは もう 間に合いません。".into()
                } else {
                    format!(
                        "その 時間には 間に合いません。いちばん 早く 着けるのは {}です。",
                        minutes_spoken(*soonest)
                    )
                }
            }
            Refusal::FullyBooked { from } => format!(
                "{}から あとは いっぱいです。\nほかの 時間か、ケーブルテレビ局に お電話ください。",
                minutes_spoken(*from)
            ),
            Refusal::FullyBookedArrival { deadline } => format!(
                "{}までに 着く 車は いっぱいです。\nほかの 時間か、ケーブルテレビ局に お電話ください。",
                minutes_spoken(*deadline)
            ),
            Refusal::NoLongerPossible { .. } => {
                "その 時間は たったいま うまりました。もういちど えらんでください。".into()
            }
            Refusal::Unreadable => "時刻を 読めませんでした。".into(),
        }
    }
}

/// The rider's fare per person on this channel: registered, and in a
/// category the fare table knows.
pub fn fare(fares: &Fares, rider: &Rider, channel: &Channel) -> Result<Yen, Refusal> {
    if !rider.registered {
        return Err(Refusal::NotRegistered);
    }
    fares
        .for_rider(&rider.eligibility, channel)
        .ok_or_else(|| Refusal::NotEligible {
            categories: rider.eligibility.clone(),
            example: fares
                .categories
                .first()
                .map_or("65歳以上".into(), |c| c.0.clone()),
        })
}

/// A request made concrete: where from and to, how many, at what fare.
#[derive(Debug, Clone)]
struct Trip {
    from_place: Option<i64>,
    to_place: Option<i64>,
    from: (f64, f64),
    to: (f64, f64),
    people: u8,
    fare: Yen,
    needs: Needs,
}

fn trip(day: &DayState, fares: &Fares, req: &Request) -> Result<Trip, Refusal> {
    let (r, people) = (req.rider, req.people);
    let fare = fare(fares, r, req.channel)?;
    if people == 0 || people > MAX_PEOPLE {
        return Err(Refusal::TooManyPeople { people });
    }
    let (from, to) = (req.from, req.to);
    if from == to {
        return Err(Refusal::SamePlace { from, to });
    }
    let place = |p: Option<i64>| match p {
        None => r.home.map(|h| (h, r.district.as_str())),
        Some(id) => req
            .places
            .iter()
            .find(|x| x.id == id)
            .map(|x| (x.at, x.district.as_str())),
    };
    let (Some((a, da)), Some((b, db))) = (place(from), place(to)) else {
        return Err(Refusal::UnknownPlace { from, to });
    };
    if !req.zones.allows(da, db) {
        return Err(Refusal::OutsideArea {
            from: da.to_string(),
            to: db.to_string(),
        });
    }
    let needs = needs_of(&r.needs, r.extra_minutes);
    let seats = day
        .vehicles
        .iter()
        .filter(|v| v.wheelchair || !needs.wheelchair)
        .map(|v| v.seats)
        .max();
    if !day.vehicles.is_empty() && seats.is_some_and(|m| m < i32::from(people)) {
        return Err(Refusal::NotEnoughSeats {
            people,
            seats: seats.unwrap_or(0),
        });
    }
    if needs.wheelchair && !day.vehicles.iter().any(|v| v.wheelchair) {
        return Err(Refusal::NoWheelchairVehicle);
    }
    Ok(Trip {
        from_place: from,
        to_place: to,
        from: a,
        to: b,
        people,
        fare: fare * i64::from(people),
        needs,
    })
}

/// An offer with what booking it would write: the plan with the new ride
/// (as [`NEW_RIDE`]) and its estimated arrival in minutes.
struct Found {
    offer: Offer,
    routes: Routes,
    arrive_at: f64,
}

/// Offers for the pickup windows starting at `starts` (tried in that order),
/// at most `want`, arriving by `arrive_by` if given.
fn offers(
    day: &DayState,
    t: &Trip,
    starts: impl Iterator<Item = i64>,
    arrive_by: Option<i64>,
    now: i64,
    want: usize,
    travel: &dyn TravelTime,
) -> Vec<Found> {
    let ride = Ride {
        id: NEW_RIDE,
        from: t.from,
        to: t.to,
        people: i32::from(t.people),
        window: (0, WINDOW),
        arrive_by,
        needs: t.needs,
    };
    let plan = day.day();
    let mut out = Vec::new();
    let Some(mut placer) = plan.placer(&ride, travel) else {
        return out;
    };
    for start in starts {
        if out.len() >= want {
            break;
        }
        if let Some(p) = placer.place((start, start + WINDOW), arrive_by, now) {
            out.push(Found {
                offer: Offer {
                    pickup_from: hhmm(start),
                    pickup_to: hhmm(start + WINDOW),
                    arrive_at: hhmm(p.arrive_at.ceil() as i64),
                    fare_yen: t.fare,
                },
                routes: p.routes,
                arrive_at: p.arrive_at,
            });
        }
    }
    out
}

/// Pickup windows from `first` on, every 15 minutes, while one fits the day.
fn forward(first: i64, close: i64) -> impl Iterator<Item = i64> {
    (0..)
        .map(move |k| first + WINDOW * k)
        .take_while(move |s| s + WINDOW <= close)
}

/// The first pickup window to try: now + 15 minutes, on a 5-minute mark.
pub fn first_window(now: i64) -> i64 {
    (now + LEAD + 4) / 5 * 5
}

/// A time of the form HH:MM on a quarter hour.
fn quarter(hm: &str) -> Result<i64, Refusal> {
    minutes(hm)
        .filter(|m| m % 15 == 0)
        .ok_or(Refusal::Unreadable)
}

/// Up to three offers for a request: from the pickup time asked for (or the
/// soonest) on, or — for 「9時30分までに」 — the latest pickups that still
/// arrive in time, earliest first. Nothing is reserved.
pub fn quote(
    day: &DayState,
    fares: &Fares,
    req: &Request,
    when: &When,
    now: i64,
    travel: &dyn TravelTime,
) -> Result<Vec<Offer>, Refusal> {
    let t = trip(day, fares, req)?;
    let (open, close) = day.hours().ok_or(Refusal::NoService)?;
    let earliest = first_window(now).max(open);
    if let When::ArriveBy(hm) = when {
        let deadline = quarter(hm)?;
        return arrive_by_offers(day, &t, deadline, (earliest, close), now, travel);
    }
    let start = match when {
        When::At(hm) => quarter(hm)?,
        _ => earliest,
    };
    if start < earliest || start + WINDOW > close {
        return Err(Refusal::PickupOutOfHours {
            start,
            earliest,
            open,
            close,
        });
    }
    let found = offers(
        day,
        &t,
        forward(start, close),
        None,
        now,
        MAX_OFFERS,
        travel,
    );
    if found.is_empty() {
        return Err(Refusal::FullyBooked { from: start });
    }
    Ok(found.into_iter().map(|f| f.offer).collect())
}

/// 「病院に 9時30分までに」: the latest pickup windows that still arrive in time
/// (less waiting at the other end), up to three, earliest first.
fn arrive_by_offers(
    day: &DayState,
    t: &Trip,
    deadline: i64,
    (earliest, close): (i64, i64),
    now: i64,
    travel: &dyn TravelTime,
) -> Result<Vec<Offer>, Refusal> {
    let direct = travel.time(t.from, t.to);
    let latest = (deadline as f64 - direct - WINDOW as f64).floor() as i64 / 5 * 5;
    if deadline > close || latest < earliest {
        let soonest = earliest as f64 + WINDOW as f64 + direct;
        let soonest = ((soonest / 15.0).ceil() * 15.0) as i64;
        return Err(Refusal::ArrivalOutOfHours {
            deadline,
            soonest,
            close,
        });
    }
    let starts = (0..)
        .map(|k| latest - WINDOW * k)
        .take_while(|st| *st >= earliest);
    let mut found = offers(day, t, starts, Some(deadline), now, MAX_OFFERS, travel);
    if found.is_empty() {
        return Err(Refusal::FullyBookedArrival { deadline });
    }
    found.reverse();
    Ok(found.into_iter().map(|f| f.offer).collect())
}

/// What a booking writes: the ride, and the day's plan with it in (as
/// [`NEW_RIDE`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub from_place: Option<i64>,
    pub to_place: Option<i64>,
    pub people: u8,
    pub pickup_from: i64,
    pub pickup_to: i64,
    pub arrive_at: i64,
    pub arrive_by: Option<i64>,
    pub fare: Yen,
    pub routes: Routes,
}

/// Book the offer taken (its pickup window's start, and the arrival promised
/// if the rider asked to be there by a time) against the day as it is now:
/// the same window must still be offered, or it was filled meanwhile.
pub fn book(
    day: &DayState,
    fares: &Fares,
    req: &Request,
    pickup_from: &str,
    arrive_by: Option<&str>,
    now: i64,
    travel: &dyn TravelTime,
) -> Result<Placed, Refusal> {
    let t = trip(day, fares, req)?;
    let start = minutes(pickup_from).ok_or(Refusal::Unreadable)?;
    let arrive_by = match arrive_by {
        None => None,
        Some(a) => Some(minutes(a).ok_or(Refusal::Unreadable)?),
    };
    let gone = || Refusal::NoLongerPossible {
        pickup: pickup_from.to_string(),
    };
    if start < first_window(now) - 5 {
        return Err(gone());
    }
    let found = offers(day, &t, std::iter::once(start), arrive_by, now, 1, travel);
    match found.into_iter().next() {
        Some(f) if f.offer.pickup_from == pickup_from => Ok(Placed {
            from_place: t.from_place,
            to_place: t.to_place,
            people: t.people,
            pickup_from: start,
            pickup_to: start + WINDOW,
            arrive_at: f.arrive_at.ceil() as i64,
            arrive_by,
            fare: t.fare,
            routes: f.routes,
        }),
        _ => Err(gone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::travel::Haversine;

    fn rider() -> Rider {
        Rider {
            registered: true,
            needs: String::new(),
            extra_minutes: 0,
            name: "山田 花子".into(),
            home: Some((35.60, 137.93)),
            eligibility: "65歳以上".into(),
            district: "中心部".into(),
        }
    }

    fn fares() -> Fares {
        Fares {
            categories: vec![("65歳以上".into(), Yen(500)), ("免許返納".into(), Yen(250))],
            tv_discount: Yen(100),
        }
    }

    fn places() -> Vec<KnownPlace> {
        vec![KnownPlace {
            id: 1,
            name: "みどり病院".into(),
            kind: "病院".into(),
            at: (35.61, 137.94),
            favourite: true,
            district: String::new(),
        }]
    }

    fn day(seats: i32, wheelchair: bool) -> DayState {
        DayState {
            vehicles: vec![Vehicle {
                seats,
                wheelchair,
                shift: (8 * 60, 17 * 60),
                depot: (35.605, 137.935),
            }],
            rides: vec![],
            routes: Routes(vec![vec![]]),
        }
    }

    fn ask<'a>(
        channel: &'a Channel,
        rider: &'a Rider,
        places: &'a [KnownPlace],
        zones: &'a Zones,
        people: u8,
    ) -> Request<'a> {
        Request {
            channel,
            rider,
            places,
            zones,
            from: None,
            to: Some(1),
            people,
        }
    }

    #[test]
    fn the_tv_costs_less_than_the_phone_and_the_cheapest_category_counts() {
        let (r, p, z) = (rider(), places(), Zones::default());
        let tv = Channel::Tv { box_id: 7 };
        let phone = Channel::Phone {
            operator: "鈴木".into(),
        };
        let travel = Haversine::default();
        let on_tv = quote(
            &day(3, false),
            &fares(),
            &ask(&tv, &r, &p, &z, 2),
            &When::Asap,
            9 * 60,
            &travel,
        )
        .unwrap();
        let by_phone = quote(
            &day(3, false),
            &fares(),
            &ask(&phone, &r, &p, &z, 2),
            &When::Asap,
            9 * 60,
            &travel,
        )
        .unwrap();
        assert_eq!(on_tv[0].fare_yen, Yen(800), "2 × (500 − 100)");
        assert_eq!(by_phone[0].fare_yen, Yen(1000));
        assert_eq!(on_tv.len(), 3);
        assert_eq!(on_tv[0].pickup_from, "09:15");
        let mut both = rider();
        both.eligibility = "65歳以上,免許返納".into();
        assert_eq!(fare(&fares(), &both, &phone), Ok(Yen(250)));
        assert_eq!(phone.box_id(), None);
        assert_eq!(tv.box_id(), Some(7));
    }

    #[test]
    fn impossible_requests_are_refused_with_their_reason() {
        let (p, z) = (places(), Zones::default());
        let tv = Channel::Tv { box_id: 7 };
        let travel = Haversine::default();
        let check = |d: &DayState, r: &Rider, people: u8, when: When, now: i64| {
            quote(
                d,
                &fares(),
                &ask(&tv, r, &p, &z, people),
                &when,
                now,
                &travel,
            )
            .unwrap_err()
        };
        let mut stranger = rider();
        stranger.eligibility = "学生".into();
        let mut unregistered = rider();
        unregistered.registered = false;
        let mut in_a_wheelchair = rider();
        in_a_wheelchair.needs = "車いす".into();
        let cases = [
            (
                check(&day(3, false), &unregistered, 1, When::Asap, 540),
                codes::NOT_REGISTERED,
            ),
            (
                check(&day(3, false), &stranger, 1, When::Asap, 540),
                codes::NOT_ELIGIBLE,
            ),
            (
                check(&day(3, false), &rider(), 4, When::Asap, 540),
                codes::TOO_MANY_PEOPLE,
            ),
            (
                check(&day(2, false), &rider(), 3, When::Asap, 540),
                codes::TOO_MANY_PEOPLE,
            ),
            (
                check(&day(3, false), &in_a_wheelchair, 1, When::Asap, 540),
                codes::NO_SUITABLE_VEHICLE,
            ),
            (
                check(&DayState::default(), &rider(), 1, When::Asap, 540),
                codes::NO_SERVICE,
            ),
            (
                check(&day(3, false), &rider(), 1, When::At("08:00".into()), 540),
                codes::OUT_OF_HOURS,
            ),
            (
                check(&day(3, false), &rider(), 1, When::At("9:07".into()), 540),
                "invalid_input",
            ),
            (
                check(
                    &day(3, false),
                    &rider(),
                    1,
                    When::ArriveBy("09:00".into()),
                    540,
                ),
                codes::OUT_OF_HOURS,
            ),
        ];
        for (refusal, code) in cases {
            assert_eq!(refusal.code(), code, "{refusal:?}");
            assert!(!refusal.message_ja().is_empty());
        }
        let late = check(&day(3, false), &rider(), 1, When::Asap, 16 * 60 + 50);
        assert_eq!(
            late.message_ja(),
            "きょうの 受付は 終わりました（午前8時から 午後5時まで）。"
        );
        assert!(late.logged());
        assert!(!Refusal::NotRegistered.logged());
        let mut far = rider();
        far.district = "北部".into();
        let zones = Zones {
            links: vec![("南部".into(), "中心部".into())],
        };
        let mut p2 = places();
        p2[0].district = "中心部".into();
        let r = quote(
            &day(3, false),
            &fares(),
            &ask(&tv, &far, &p2, &zones, 1),
            &When::Asap,
            540,
            &travel,
        )
        .unwrap_err();
        assert_eq!(
            r,
            Refusal::OutsideArea {
                from: "北部".into(),
                to: "中心部".into()
            }
        );
        assert_eq!(r.detail(), "北部 → 中心部");
    }

    #[test]
    fn a_booking_takes_its_offer_or_says_it_was_filled() {
        let (r, p, z) = (rider(), places(), Zones::default());
        let tv = Channel::Tv { box_id: 7 };
        let travel = Haversine::default();
        let req = ask(&tv, &r, &p, &z, 1);
        let d = day(1, false);
        let offer = &quote(&d, &fares(), &req, &When::Asap, 540, &travel).unwrap()[0];
        let placed = book(&d, &fares(), &req, &offer.pickup_from, None, 540, &travel).unwrap();
        assert_eq!(
            (placed.pickup_from, placed.pickup_to, placed.fare),
            (555, 570, Yen(400))
        );
        assert!(placed.routes.0[0].contains(&(NEW_RIDE, false)));
        // Meanwhile the only car was given a long ride across that window:
        // the same offer is no longer possible.
        let mut taken = d.clone();
        taken.rides.push(Ride {
            id: 1,
            from: (35.95, 138.25),
            to: (35.61, 137.94),
            people: 1,
            window: (530, 545),
            arrive_by: None,
            needs: Needs::default(),
        });
        taken.routes = Routes(vec![vec![(1, false), (1, true)]]);
        let r2 = book(
            &taken,
            &fares(),
            &req,
            &offer.pickup_from,
            None,
            540,
            &travel,
        );
        assert!(
            matches!(r2, Err(Refusal::NoLongerPossible { .. })),
            "{r2:?}"
        );
        // Asked too late: the window has passed.
        let r3 = book(&d, &fares(), &req, "09:15", None, 600, &travel);
        assert_eq!(r3.unwrap_err().code(), codes::NO_LONGER_POSSIBLE);
        assert_eq!(
            book(&d, &fares(), &req, "nine", None, 540, &travel).unwrap_err(),
            Refusal::Unreadable
        );
    }

    #[test]
    fn fares_follow_the_operators_categories_exactly() {
        let f = Fares {
            categories: vec![
                ("65歳以上".into(), Yen(500)),
                ("免許返納".into(), Yen(250)),
                ("障害".into(), Yen(250)),
            ],
            tv_discount: Yen(100),
        };
        let phone = Channel::Phone {
            operator: "鈴木".into(),
        };
        let by_phone = |e| f.for_rider(e, &phone);
        assert_eq!(by_phone("65歳以上"), Some(Yen(500)));
        assert_eq!(
            by_phone("65歳以上,障害"),
            Some(Yen(250)),
            "the lowest applies"
        );
        assert_eq!(by_phone("免許返納、65歳以上"), Some(Yen(250)));
        assert_eq!(
            by_phone("障害者手帳なし"),
            None,
            "a category, not a substring"
        );
        assert_eq!(by_phone(""), None, "no category: not eligible");
        let tv = Channel::Tv { box_id: 1 };
        assert_eq!(f.for_rider("65歳以上", &tv), Some(Yen(400)));
        assert_eq!(f.unknown("65歳以上, 学生,障害"), ["学生"]);
        let free = Fares {
            tv_discount: Yen(900),
            ..f.clone()
        };
        assert_eq!(free.for_rider("障害", &tv), Some(Yen(0)), "never below 0");
    }

    #[test]
    fn zones_join_linked_districts_only() {
        let open = Zones::default();
        assert!(open.allows("北部", "南部"), "no links: one zone");
        let z = Zones {
            links: vec![
                ("中心部".into(), "北部".into()),
                ("中心部".into(), "南部".into()),
            ],
        };
        assert!(z.allows("北部", "北部"));
        assert!(z.allows("北部", "中心部") && z.allows("中心部", "南部"));
        assert!(!z.allows("北部", "南部"), "only through the centre");
        assert!(z.allows("", "南部"), "a place with no district");
    }
}
