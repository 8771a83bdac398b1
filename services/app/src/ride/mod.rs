//! The shared taxi's screens: where to (numbered: favourites, the operator's
//! places, 「家に帰る」, today's bookings), when (いますぐ or a 15-minute time) and
//! how many, the offers (up to three, keys 1–3; 緑 books), the receipt, today's
//! bookings with 赤 cancel, and 「タクシーが まもなく 来ます」 ten minutes before a
//! pickup window.

use chrono::{DateTime, Duration, Timelike, Utc};
use engawa_core::TOKYO;
use engawa_ride::api::{
    BookRequest, Booking, MAX_PEOPLE, Places, RideRequest, When, hhmm, minutes,
};

pub mod view;

/// The taxi's screens.
#[derive(Debug, Clone, PartialEq)]
pub enum RideScreen {
    /// Where to: the household's places.
    Places,
    /// 「家に帰る」: from which place.
    From,
    /// When and how many (focus 0 = when, 1 = people).
    When(Draft),
    /// The head-end's offers for the draft.
    Offers(Draft),
    Done(Box<engawa_ride::api::Booking>),
    Bookings,
}

/// What the taxi's screens ask of the box's taxi worker.
#[derive(Debug, Clone, PartialEq)]
pub enum RideEffect {
    /// The taxi was opened: places and today's bookings.
    Load,
    LoadBookings,
    Quote(engawa_ride::api::RideRequest),
    /// Book (with an Idempotency-Key).
    Book(engawa_ride::api::BookRequest),
    Cancel(i64),
}

use super::{App, Dialog, Effect, Key, ListMove, Screen, list_move};

/// What the taxi knows on the box.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ride {
    pub places: Option<Places>,
    /// The head-end could not be reached just now.
    pub offline: bool,
    /// The head-end's reason this household cannot use the taxi.
    pub not_available: Option<String>,
    pub bookings: Option<Vec<Booking>>,
    pub quote: QuoteState,
    /// Bookings whose 「まもなく」 was already seen.
    pub soon_seen: Vec<i64>,
    /// The draft last booked: 黄 on the receipt books the way back.
    pub last: Option<Draft>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum QuoteState {
    #[default]
    None,
    Waiting,
    Offers(Vec<engawa_ride::api::Offer>),
    /// The head-end's reason, in Japanese.
    Refused(String),
}

/// How the time is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenMode {
    /// いますぐ: the next possible pickup.
    Asap,
    /// お迎えの 時間: picked up from a 15-minute mark.
    Pickup,
    /// 着く 時間: there by a 15-minute mark (「病院に 10時30分までに」).
    Arrive,
}

/// A booking being put together. Rows: 0 = how, 1 = the time, 2 = people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// `None` = home.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub mode: WhenMode,
    /// Index into `Ride::slots` or `Ride::arrivals`.
    pub slot: usize,
    pub people: u8,
    /// The booking this is the way back of (黄 on the receipt).
    pub return_of: Option<i64>,
}

impl Draft {
    pub fn new(from: Option<i64>, to: Option<i64>) -> Draft {
        Draft {
            from,
            to,
            mode: WhenMode::Asap,
            slot: 0,
            people: 1,
            return_of: None,
        }
    }
}

/// Told in a dialog.
#[derive(Debug, Clone, PartialEq)]
pub enum RideNotice {
    Sending,
    Booked(Booking),
    Refused(String),
    /// No answer: the list of bookings says whether it went through.
    Unreachable,
    Cancelled(Booking),
}

/// A row of the taxi's first page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RideRow {
    Place(usize),
    Home,
    Bookings,
}

/// Minutes of the Tokyo day.
pub fn minute_of(t: DateTime<Utc>) -> i64 {
    let l = t.with_timezone(&TOKYO);
    i64::from(l.hour() * 60 + l.minute())
}

impl Ride {
    pub fn rows(&self) -> Vec<RideRow> {
        let n = self.places.as_ref().map_or(0, |p| p.places.len());
        (0..n)
            .map(RideRow::Place)
            .chain([RideRow::Home, RideRow::Bookings])
            .collect()
    }

    /// The times offered after いますぐ: 15-minute marks from 15 minutes ahead
    /// to the last pickup of the day.
    pub fn slots(&self, now: DateTime<Utc>) -> Vec<i64> {
        let Some(p) = &self.places else {
            return Vec::new();
        };
        let (open, close) = (
            minutes(&p.opens).unwrap_or(0),
            minutes(&p.closes).unwrap_or(0),
        );
        let first = ((minute_of(now) + 15 + 14) / 15 * 15).max(open);
        (0..)
            .map(|k| first + 15 * k)
            .take_while(|m| m + 15 <= close)
            .collect()
    }

    /// Arrival times offered: from 30 minutes after the first pickup mark to
    /// closing time.
    pub fn arrivals(&self, now: DateTime<Utc>) -> Vec<i64> {
        let Some(p) = &self.places else {
            return Vec::new();
        };
        let close = minutes(&p.closes).unwrap_or(0);
        let first = self.slots(now).first().map_or(close + 1, |f| f + 30);
        (0..)
            .map(|k| first + 15 * k)
            .take_while(|m| *m <= close)
            .collect()
    }

    /// The times the draft's mode chooses from.
    pub fn times(&self, d: &Draft, now: DateTime<Utc>) -> Vec<i64> {
        match d.mode {
            WhenMode::Asap => Vec::new(),
            WhenMode::Pickup => self.slots(now),
            WhenMode::Arrive => self.arrivals(now),
        }
    }

    pub fn place_name(&self, id: Option<i64>) -> String {
        match id {
            None => "家".into(),
            Some(id) => self
                .places
                .as_ref()
                .and_then(|p| p.places.iter().find(|x| x.id == id))
                .map_or_else(|| "？".into(), |x| x.name.clone()),
        }
    }

    /// A booked ride whose pickup window opens within ten minutes.
    pub fn soon(&self, now: DateTime<Utc>) -> Option<&Booking> {
        let m = minute_of(now);
        self.bookings.iter().flatten().find(|b| {
            b.state == "booked"
                && !self.soon_seen.contains(&b.id)
                && minutes(&b.pickup_from).is_some_and(|p| p - 10 <= m && m < p + 15)
        })
    }
}

impl Draft {
    /// The chosen time ("HH:MM"), if the mode has one.
    pub fn time(&self, times: &[i64]) -> Option<String> {
        (self.mode != WhenMode::Asap).then(|| hhmm(times.get(self.slot).copied().unwrap_or(0)))
    }

    pub fn request(&self, times: &[i64]) -> RideRequest {
        RideRequest {
            from: self.from,
            to: self.to,
            people: self.people,
            when: match (self.mode, self.time(times)) {
                (WhenMode::Pickup, Some(t)) => When::At(t),
                (WhenMode::Arrive, Some(t)) => When::ArriveBy(t),
                _ => When::Asap,
            },
        }
    }
}

impl App {
    pub(super) fn open_ride(&mut self, fx: &mut Vec<Effect>) {
        self.push(Screen::Ride(RideScreen::Places));
        fx.push(Effect::Ride(RideEffect::Load));
    }

    pub(super) fn ride_key(&mut self, s: Screen, focus: usize, k: Key, fx: &mut Vec<Effect>) {
        match s {
            Screen::Ride(RideScreen::Places) => match list_move(focus, self.ride.rows().len(), k) {
                ListMove::Focus(f) => self.page_mut().focus = f,
                ListMove::Open(i) => {
                    self.page_mut().focus = i;
                    match self.ride.rows()[i] {
                        RideRow::Place(p) => {
                            let to = self.ride.places.as_ref().map(|x| x.places[p].id);
                            self.push(Screen::Ride(RideScreen::When(Draft::new(None, to))));
                        }
                        RideRow::Home => self.push(Screen::Ride(RideScreen::From)),
                        RideRow::Bookings => {
                            fx.push(Effect::Ride(RideEffect::LoadBookings));
                            self.push(Screen::Ride(RideScreen::Bookings));
                        }
                    }
                }
                ListMove::None => {}
            },
            Screen::Ride(RideScreen::From) => {
                let n = self.ride.places.as_ref().map_or(0, |p| p.places.len());
                match list_move(focus, n, k) {
                    ListMove::Focus(f) => self.page_mut().focus = f,
                    ListMove::Open(i) => {
                        self.page_mut().focus = i;
                        let from = self.ride.places.as_ref().map(|x| x.places[i].id);
                        self.push(Screen::Ride(RideScreen::When(Draft::new(from, None))));
                    }
                    ListMove::None => {}
                }
            }
            Screen::Ride(RideScreen::When(mut d)) => {
                let mut focus = focus;
                let modes = [WhenMode::Asap, WhenMode::Pickup, WhenMode::Arrive];
                let at = modes.iter().position(|m| *m == d.mode).unwrap_or(0);
                let n = self.ride.times(&d, self.now).len();
                match k {
                    // The time row only when the mode has times.
                    Key::Up => {
                        focus = if focus == 2 && d.mode != WhenMode::Asap {
                            1
                        } else {
                            0
                        }
                    }
                    Key::Down => {
                        focus = if focus == 0 && d.mode != WhenMode::Asap {
                            1
                        } else {
                            2
                        }
                    }
                    Key::Left if focus == 0 && at > 0 => {
                        d.mode = modes[at - 1];
                        d.slot = 0;
                    }
                    Key::Right if focus == 0 && at < 2 => {
                        d.mode = modes[at + 1];
                        d.slot = 0;
                    }
                    Key::Left if focus == 1 => d.slot = d.slot.saturating_sub(1),
                    Key::Right if focus == 1 => d.slot = (d.slot + 1).min(n.saturating_sub(1)),
                    Key::Left if focus == 2 => d.people = (d.people - 1).max(1),
                    Key::Right if focus == 2 => d.people = (d.people + 1).min(MAX_PEOPLE),
                    Key::Digit(n) if focus == 2 && (1..=MAX_PEOPLE).contains(&n) => d.people = n,
                    Key::Ok | Key::Green => {
                        let req = d.request(&self.ride.times(&d, self.now));
                        self.ride.quote = QuoteState::Waiting;
                        fx.push(Effect::Ride(RideEffect::Quote(req)));
                        self.push(Screen::Ride(RideScreen::Offers(d)));
                        return;
                    }
                    _ => {}
                }
                let p = self.page_mut();
                p.screen = Screen::Ride(RideScreen::When(d));
                p.focus = focus;
            }
            Screen::Ride(RideScreen::Offers(d)) => {
                let n = match &self.ride.quote {
                    QuoteState::Offers(o) => o.len(),
                    _ => 0,
                };
                match k {
                    Key::Digit(i) if (1..=n).contains(&(i as usize)) => {
                        self.page_mut().focus = i as usize - 1
                    }
                    Key::Up => self.page_mut().focus = focus.saturating_sub(1),
                    Key::Down if n > 0 => self.page_mut().focus = (focus + 1).min(n - 1),
                    Key::Green if n > 0 => {
                        if let QuoteState::Offers(o) = &self.ride.quote {
                            let offer = &o[focus.min(n - 1)];
                            let arrive_by = match d.mode {
                                WhenMode::Arrive => d.time(&self.ride.times(&d, self.now)),
                                _ => None,
                            };
                            self.ride.last = Some(d.clone());
                            fx.push(Effect::Ride(RideEffect::Book(BookRequest {
                                from: d.from,
                                to: d.to,
                                people: d.people,
                                pickup_from: offer.pickup_from.clone(),
                                arrive_by,
                                return_of: d.return_of,
                            })));
                            self.dialog = Some(Dialog::Ride(RideNotice::Sending));
                        }
                    }
                    _ => {}
                }
            }
            Screen::Ride(RideScreen::Bookings) => {
                let list: Vec<Booking> = self.ride.bookings.clone().unwrap_or_default();
                match k {
                    Key::Red => {
                        if let Some(b) = list.get(focus).filter(|b| b.state == "booked") {
                            self.dialog = Some(Dialog::CancelRide(b.id));
                        }
                    }
                    k => {
                        if let ListMove::Focus(f) = list_move(focus, list.len(), k) {
                            self.page_mut().focus = f;
                        }
                    }
                }
            }
            Screen::Ride(RideScreen::Done(b)) => match k {
                Key::Ok | Key::Green => self.go_home(),
                // 帰りも 予約: the same people back, about an hour after arriving.
                Key::Yellow => {
                    if let Some(last) = self.ride.last.clone() {
                        let mut back = Draft::new(last.to, last.from);
                        back.people = last.people;
                        back.mode = WhenMode::Pickup;
                        back.return_of = Some(b.id);
                        let after = minutes(&b.arrive_at).unwrap_or(0) + 60;
                        let slots = self.ride.slots(self.now);
                        back.slot = slots.iter().position(|m| *m >= after).unwrap_or(0);
                        self.push(Screen::Ride(RideScreen::When(back)));
                        self.page_mut().focus = 1;
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    pub(super) fn ride_dialog_key(&mut self, d: Dialog, k: Key, fx: &mut Vec<Effect>) {
        match (d, k) {
            (Dialog::CancelRide(id), Key::Ok | Key::Red) => {
                fx.push(Effect::Ride(RideEffect::Cancel(id)));
                self.dialog = Some(Dialog::Ride(RideNotice::Sending));
            }
            (Dialog::CancelRide(_), Key::Back | Key::Home) => {}
            (d @ Dialog::CancelRide(_), _) => self.dialog = Some(d),
            // Waiting for the head-end: keys wait too.
            (d @ Dialog::Ride(RideNotice::Sending), _) => self.dialog = Some(d),
            (Dialog::Ride(RideNotice::Booked(b)), _) => {
                // The receipt replaces the choice; 戻る then leads to the taxi page.
                self.stack.truncate(1);
                self.push(Screen::Ride(RideScreen::Places));
                self.push(Screen::Ride(RideScreen::Done(Box::new(b))));
            }
            _ => {}
        }
    }

    pub(super) fn ride_event(&mut self, ev: super::RideEvent, fx: &mut Vec<Effect>) {
        use super::RideEvent as E;
        match ev {
            E::Places(p) => {
                self.ride.places = Some(p);
                self.ride.offline = false;
                self.ride.not_available = None;
            }
            E::Offline => self.ride.offline = true,
            E::NotAvailable(why) => {
                self.ride.places = None;
                self.ride.offline = false;
                self.ride.not_available = Some(why);
            }
            E::Bookings(list) => self.ride.bookings = Some(list),
            E::Quote(q) => {
                self.ride.quote = match q {
                    Ok(offers) => QuoteState::Offers(offers),
                    Err(why) => QuoteState::Refused(why),
                };
                if let Screen::Ride(RideScreen::Offers(_)) = self.page().screen {
                    self.page_mut().focus = 0;
                }
            }
            E::Booked(b) => {
                self.ride
                    .bookings
                    .get_or_insert_with(Vec::new)
                    .push(b.clone());
                self.dialog = Some(Dialog::Ride(RideNotice::Booked(b)));
                fx.push(Effect::Ride(RideEffect::LoadBookings));
            }
            E::Refused(why) => {
                self.dialog = Some(Dialog::Ride(RideNotice::Refused(why)));
                // The offers are stale: ask again.
                if let Screen::Ride(RideScreen::Offers(d)) = self.page().screen.clone() {
                    self.ride.quote = QuoteState::Waiting;
                    fx.push(Effect::Ride(RideEffect::Quote(
                        d.request(&self.ride.times(&d, self.now)),
                    )));
                }
            }
            E::Unreachable => {
                self.dialog = Some(Dialog::Ride(RideNotice::Unreachable));
                fx.push(Effect::Ride(RideEffect::LoadBookings));
            }
            E::Cancelled(b) => {
                if let Some(list) = self.ride.bookings.as_mut()
                    && let Some(x) = list.iter_mut().find(|x| x.id == b.id)
                {
                    *x = b.clone();
                }
                self.dialog = Some(Dialog::Ride(RideNotice::Cancelled(b)));
            }
        }
    }
}

/// How long before the window the card shows.
pub const SOON: Duration = Duration::minutes(10);

#[cfg(test)]
mod tests;
