//! The headless core of the box: which screen is up, where the focus is, what a key
//! does, and which side effects that asks for.
//!
//! `App::handle(Event) -> Vec<Effect>` is the whole interface. No Slint, no clock
//! reads, no I/O: time arrives as `Event::Tick`, data as service results, and every
//! wish to change the world leaves as an `Effect` for the runtime. Every behaviour is
//! tested here with key sequences.

pub mod disaster;
pub mod key;
pub mod remind;
pub mod ride;
pub mod shop;
pub mod view;
pub mod watch;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use engawa_core::{ErrorKind, OccurrenceId, ReminderId};
use engawa_remind::{DueOccurrence, Reminder};

pub use key::Key;
use remind::{Draft, RemindEffect, RemindScreen};
use shop::{Shop, ShopNotice};
use watch::WatchScreen;

/// Rows per list page: at most six choices on a screen (five rows + paging).
pub const ROWS_PER_PAGE: usize = 5;
/// 黄 on a reminder: show it again after this long.
pub const SNOOZE_MINUTES: i64 = 10;

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Key(Key),
    /// The clock moved (the runtime sends one every second).
    Tick(DateTime<Utc>),
    /// The reminders' store and scheduler.
    Remind(remind::RemindEvent),
    /// Stored settings at start.
    TextSize(TextSize),
    /// A side effect failed; the resident is told in plain words.
    Failed(ErrorKind),
    /// Not yet paired with the head-end: show this code for the operator.
    PairingCode {
        user_code: String,
    },
    /// Pairing could not reach the head-end (it keeps trying).
    PairingOffline,
    /// The box has its credentials for the head-end.
    Connected,
    /// The shop's worker answered.
    Shop(shop::ShopEvent),
    /// Watch-over's runtime: the safety check, away mode, who is told.
    Watch(watch::WatchEvent),
    /// The shared taxi's answers.
    Ride(RideEvent),
    /// 防災: the alert to show, and how its answer is getting on.
    Disaster(disaster::DisasterEvent),
}

/// A box waiting to be paired with the head-end (「せつぞくコード」 on screen).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pairing {
    pub user_code: Option<String>,
    pub offline: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// For the reminders' store and scheduler.
    Remind(remind::RemindEffect),
    PlayChime,
    SaveTextSize(TextSize),
    /// Something the resident did (any key): the watch-over's activity signal.
    Activity,
    /// For the shop's worker.
    Shop(shop::ShopEffect),
    /// For watch-over's runtime.
    Watch(watch::WatchEffect),
    /// For the taxi's worker.
    Ride(ride::RideEffect),
    /// For the disaster worker: an answer to keep and send.
    Disaster(disaster::DisasterEffect),
}

/// What the head-end answered the taxi.
#[derive(Debug, Clone, PartialEq)]
pub enum RideEvent {
    Places(engawa_ride::api::Places),
    /// Not reachable just now.
    Offline,
    /// The head-end says this household cannot use the taxi (not registered,
    /// no eligible category): its reason in Japanese.
    NotAvailable(String),
    Bookings(Vec<engawa_ride::api::Booking>),
    /// Offers, or the head-end's reason in Japanese.
    Quote(Result<Vec<engawa_ride::api::Offer>, String>),
    Booked(engawa_ride::api::Booking),
    /// The booking was refused (the reason in Japanese); nothing was booked.
    Refused(String),
    /// No answer to a booking or cancellation.
    Unreachable,
    Cancelled(engawa_ride::api::Booking),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextSize {
    #[default]
    Standard,
    Large,
}

impl TextSize {
    pub fn as_str(self) -> &'static str {
        match self {
            TextSize::Standard => "standard",
            TextSize::Large => "large",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "standard" => Some(TextSize::Standard),
            "large" => Some(TextSize::Large),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    Home,
    Shop(shop::ShopScreen),
    Ride(ride::RideScreen),
    /// 安心 and its pages.
    Watch(watch::WatchScreen),
    /// The reminders: the list and the form.
    Remind(remind::RemindScreen),
    Settings,
}

/// A screen on the navigation stack, with its own focus.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub screen: Screen,
    pub focus: usize,
}

/// A question over the current screen: 決定 = yes, 戻る = no.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    DeleteReminder(ReminderId),
    DiscardDraft,
    /// 青: what this screen is and which keys do what. Any key closes it.
    Help,
    /// Something went wrong; any key closes it.
    Error(ErrorKind),
    RemoveFromCart(i64),
    CancelOrder(i64),
    Shop(ShopNotice),
    /// 「おかえりなさい」: watching again after away mode. Any key closes it.
    WelcomeBack,
    /// 取り消しますか？ (a taxi booking)
    CancelRide(i64),
    Ride(ride::RideNotice),
}

/// 留守にします: the choices of days (always ends by itself; at most 14).
pub const AWAY_DAYS: [i64; 5] = [1, 2, 3, 7, 14];

/// What 「だれに 知らせるか」 shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WatchInfo {
    /// Names, in the order they are told.
    pub contacts: Vec<String>,
    /// This long without a key press, and whether it was learned.
    pub threshold_min: i64,
    pub adaptive: bool,
}

/// Home tiles, in order; the number key is the position + 1.
pub const HOME_TILES: usize = 4; // 買い物, タクシー, 安心, 設定

/// What lies on top of every screen, most urgent first (see
/// [`App::top_overlay`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Overlay<'a> {
    /// 防災: an alert, over everything; its keys are pressed twice.
    Alert(&'a disaster::Alert),
    /// 「お元気ですか？」: any key answers it.
    SafetyCheck,
    /// A reminder that is due: 決定 (done) or 黄 (again in 10 minutes).
    Reminder(&'a DueOccurrence),
    /// The taxi comes within ten minutes: any key closes the card.
    RideSoon(&'a engawa_ride::api::Booking),
}

/// What a key does to the overlay on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    SafetyCheck,
    Done((OccurrenceId, DateTime<Utc>)),
    Snooze((OccurrenceId, DateTime<Utc>)),
    RideSeen(i64),
    Nothing,
}

impl Overlay<'_> {
    fn answered_by(self, k: Key) -> Answer {
        match (self, k) {
            (Overlay::SafetyCheck, _) => Answer::SafetyCheck,
            (Overlay::Reminder(o), Key::Ok) => Answer::Done((o.id, o.show_at)),
            (Overlay::Reminder(o), Key::Yellow) => Answer::Snooze((o.id, o.show_at)),
            (Overlay::Reminder(_), _) => Answer::Nothing,
            (Overlay::RideSoon(b), _) => Answer::RideSeen(b.id),
            // Handled before any other overlay (`App::alert_key`).
            (Overlay::Alert(_), _) => Answer::Nothing,
        }
    }
}

#[derive(Debug)]
pub struct App {
    stack: Vec<Page>,
    pub dialog: Option<Dialog>,
    pub now: DateTime<Utc>,
    pub reminders: Vec<Reminder>,
    due: Vec<DueOccurrence>,
    /// Showings answered here whose store update may not have come back yet: a
    /// stale `Due` list must not bring them back. Keyed by showing, so a snoozed
    /// occurrence that returns is shown again.
    answered: HashSet<(OccurrenceId, DateTime<Utc>)>,
    chimed_for: Option<OccurrenceId>,
    pub text_size: TextSize,
    /// `Some` until the box is paired with its head-end.
    pub pairing: Option<Pairing>,
    pub connected: bool,
    pub shop: Shop,
    /// 「お元気ですか？」 is on screen; any key answers it.
    pub safety_check: bool,
    /// Away mode is on until then.
    pub away_until: Option<DateTime<Utc>>,
    pub watch_info: WatchInfo,
    pub ride: ride::Ride,
    /// 防災: the active alert, if any.
    pub alert: Option<disaster::Alert>,
}

impl App {
    pub fn new(now: DateTime<Utc>) -> App {
        App {
            stack: vec![Page {
                screen: Screen::Home,
                focus: 0,
            }],
            dialog: None,
            now,
            reminders: Vec::new(),
            due: Vec::new(),
            answered: HashSet::new(),
            chimed_for: None,
            text_size: TextSize::Standard,
            pairing: None,
            connected: false,
            shop: Shop::default(),
            safety_check: false,
            away_until: None,
            watch_info: WatchInfo::default(),
            ride: ride::Ride::default(),
            alert: None,
        }
    }

    pub fn page(&self) -> &Page {
        // The stack always holds Home at the bottom: `back` never pops it.
        self.stack.last().unwrap_or(&HOME_PAGE)
    }

    fn page_mut(&mut self) -> &mut Page {
        if self.stack.is_empty() {
            self.stack.push(HOME_PAGE.clone());
        }
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    /// The reminder waiting to be shown, if any.
    pub fn overlay(&self) -> Option<&DueOccurrence> {
        self.due.first()
    }

    /// What lies on top of every screen and dialog, most urgent first: the
    /// one place that decides it. Keys go to it (`key`) and the view draws it
    /// (`view::model::frame`).
    pub fn top_overlay(&self) -> Option<Overlay<'_>> {
        if let Some(a) = self.alert.as_ref().filter(|a| a.on_top()) {
            return Some(Overlay::Alert(a));
        }
        if self.safety_check {
            return Some(Overlay::SafetyCheck);
        }
        if let Some(o) = self.overlay() {
            return Some(Overlay::Reminder(o));
        }
        self.ride.soon(self.now).map(Overlay::RideSoon)
    }

    pub fn handle(&mut self, ev: Event) -> Vec<Effect> {
        let mut fx = Vec::new();
        match ev {
            Event::Key(k) => {
                fx.push(Effect::Activity);
                self.key(k, &mut fx);
            }
            Event::Tick(now) => self.now = now,
            Event::Remind(e) => self.remind_event(e),
            Event::TextSize(t) => self.text_size = t,
            Event::Failed(kind) => self.dialog = Some(Dialog::Error(kind)),
            Event::PairingCode { user_code } => {
                self.connected = false;
                self.pairing = Some(Pairing {
                    user_code: Some(user_code),
                    offline: false,
                })
            }
            Event::PairingOffline => {
                self.pairing.get_or_insert_with(Pairing::default).offline = true
            }
            Event::Connected => {
                // Pairing finished: from the pairing screen to home. A reconnect
                // (token refreshed) leaves the resident where they are.
                if self.pairing.take().is_some() {
                    self.go_home();
                }
                self.connected = true;
            }
            Event::Shop(e) => self.shop_event(e, &mut fx),
            Event::Watch(e) => self.watch_event(e, &mut fx),
            Event::Ride(e) => self.ride_event(e, &mut fx),
            Event::Disaster(e) => self.disaster_event(e),
        }
        self.alert_clock(&mut fx);
        self.chime_if_new(&mut fx);
        fx
    }

    fn chime_if_new(&mut self, fx: &mut Vec<Effect>) {
        let top = self.overlay().map(|o| o.id);
        if top.is_some() && top != self.chimed_for {
            fx.push(Effect::PlayChime);
        }
        self.chimed_for = top;
    }

    fn key(&mut self, k: Key, fx: &mut Vec<Effect>) {
        // Priority: an alert (its keys pressed twice), the safety check (any
        // key answers it — the key press itself is the sign of life), the
        // reminder overlay, a dialog, the screen.
        if self.alert_key(k, fx) {
            return;
        }
        if let Some(top) = self.top_overlay() {
            match top.answered_by(k) {
                Answer::SafetyCheck => self.safety_check = false,
                Answer::Done(showing) => {
                    self.answer(showing);
                    fx.push(Effect::Remind(RemindEffect::Done(showing.0)));
                }
                Answer::Snooze(showing) => {
                    self.answer(showing);
                    fx.push(Effect::Remind(RemindEffect::Snooze {
                        id: showing.0,
                        until: self.now + chrono::Duration::minutes(SNOOZE_MINUTES),
                    }));
                }
                Answer::RideSeen(id) => self.ride.soon_seen.push(id),
                Answer::Nothing => {} // the overlay says which keys close it
            }
            return;
        }
        if let Some(d) = self.dialog.take() {
            self.dialog_key(d, k, fx);
            return;
        }
        if self.pairing.is_some() {
            // Until the operator has approved the code there is nothing to choose:
            // only help is offered.
            if k == Key::Blue {
                self.dialog = Some(Dialog::Help);
            }
            return;
        }
        match k {
            Key::Home => self.go_home(),
            Key::Back => self.back(),
            // Home's banner: 青 shows the active alert again.
            Key::Blue if self.stack.len() == 1 && self.alert_reopen() => {}
            Key::Blue => self.dialog = Some(Dialog::Help),
            _ => self.screen_key(k, fx),
        }
    }

    fn answer(&mut self, showing: (OccurrenceId, DateTime<Utc>)) {
        self.answered.insert(showing);
        self.due.retain(|o| o.id != showing.0);
    }

    fn dialog_key(&mut self, d: Dialog, k: Key, fx: &mut Vec<Effect>) {
        match (d, k) {
            (Dialog::DeleteReminder(id), Key::Ok) => {
                fx.push(Effect::Remind(RemindEffect::Delete(id)));
                self.reminders.retain(|r| r.id != id);
                // Deleting from the edit screen leaves it: the reminder is gone.
                if matches!(self.page().screen, Screen::Remind(RemindScreen::Edit(_))) {
                    self.back();
                }
                let n = self.list_len();
                let p = self.page_mut();
                p.focus = p.focus.min(n.saturating_sub(1));
            }
            (Dialog::DiscardDraft, Key::Ok) => self.pop(),
            (Dialog::DeleteReminder(_) | Dialog::DiscardDraft, Key::Back | Key::Home) => {}
            // Any other key on a yes/no question: keep asking.
            (d @ (Dialog::DeleteReminder(_) | Dialog::DiscardDraft), _) => self.dialog = Some(d),
            (Dialog::Help | Dialog::Error(_) | Dialog::WelcomeBack, _) => {}
            (d @ (Dialog::CancelRide(_) | Dialog::Ride(_)), k) => self.ride_dialog_key(d, k, fx),
            (d, k) => self.shop_dialog_key(d, k, fx),
        }
    }

    pub fn go_home(&mut self) {
        self.stack.truncate(1);
        self.dialog = None;
    }

    fn push(&mut self, screen: Screen) {
        self.stack.push(Page { screen, focus: 0 });
    }

    fn pop(&mut self) {
        if self.stack.len() > 1 {
            self.stack.pop();
        }
    }

    /// 戻る: one level back; never leaves home. Asks before losing an edited draft.
    fn back(&mut self) {
        if let Screen::Remind(RemindScreen::Edit(d)) = &self.page().screen
            && d.is_changed()
        {
            self.dialog = Some(Dialog::DiscardDraft);
            return;
        }
        self.pop();
    }

    fn screen_key(&mut self, k: Key, fx: &mut Vec<Effect>) {
        let focus = self.page().focus;
        match self.page().screen.clone() {
            Screen::Home => self.home_key(focus, k, fx),
            Screen::Watch(w) => self.watch_key(w, focus, k, fx),
            s @ Screen::Shop(_) => self.shop_key(s, focus, k, fx),
            s @ Screen::Ride(_) => self.ride_key(s, focus, k, fx),
            Screen::Settings => {
                if matches!(k, Key::Left | Key::Right | Key::Ok | Key::Yellow) {
                    self.text_size = match (self.text_size, k) {
                        (_, Key::Left) => TextSize::Standard,
                        (_, Key::Right) => TextSize::Large,
                        (TextSize::Standard, _) => TextSize::Large,
                        (TextSize::Large, _) => TextSize::Standard,
                    };
                    fx.push(Effect::SaveTextSize(self.text_size));
                }
            }
            Screen::Remind(r) => self.remind_key(r, focus, k, fx),
        }
    }

    fn home_key(&mut self, focus: usize, k: Key, fx: &mut Vec<Effect>) {
        let focus = match k {
            Key::Left if focus > 0 && focus < 3 => focus - 1,
            Key::Right if focus < 2 => focus + 1,
            Key::Down if focus < 3 => 3,
            Key::Up if focus == 3 => 2,
            Key::Digit(d) if (1..=HOME_TILES).contains(&(d as usize)) => {
                self.page_mut().focus = d as usize - 1;
                return self.open_tile(d as usize - 1, fx);
            }
            Key::Ok => return self.open_tile(focus, fx),
            _ => focus,
        };
        self.page_mut().focus = focus;
    }

    fn open_tile(&mut self, tile: usize, fx: &mut Vec<Effect>) {
        let screen = match tile {
            0 => return self.open_shop(fx),
            1 => return self.open_ride(fx),
            2 => Screen::Watch(WatchScreen::Menu),
            _ => Screen::Settings,
        };
        self.push(screen);
    }

    /// Items on the reminder list: 「あたらしく つくる」 first, then the reminders.
    pub fn list_len(&self) -> usize {
        self.reminders.len() + 1
    }

    fn list_key(&mut self, focus: usize, k: Key) {
        let new_focus = match (list_move(focus, self.list_len(), k), k) {
            (ListMove::Focus(f), _) => f,
            (ListMove::Open(f), _) => {
                self.page_mut().focus = f;
                return self.open_list_item(f);
            }
            (ListMove::None, Key::Green) => return self.open_list_item(0),
            (ListMove::None, Key::Red) if focus > 0 => {
                if let Some(r) = self.reminders.get(focus - 1) {
                    self.dialog = Some(Dialog::DeleteReminder(r.id));
                }
                return;
            }
            (ListMove::None, _) => focus,
        };
        self.page_mut().focus = new_focus;
    }

    fn open_list_item(&mut self, index: usize) {
        let today = self.now.with_timezone(&engawa_core::TOKYO).date_naive();
        let draft = match index {
            0 => Draft::new(today),
            i => match self.reminders.get(i - 1) {
                Some(r) => Draft::from_reminder(r, today),
                None => return,
            },
        };
        self.push(Screen::Remind(RemindScreen::Edit(Box::new(draft))));
    }
}

/// What a key does in a paged list of `n` rows (five to a page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListMove {
    Focus(usize),
    Open(usize),
    None,
}

pub(crate) fn list_move(focus: usize, n: usize, k: Key) -> ListMove {
    if n == 0 {
        return ListMove::None;
    }
    let page_start = focus / ROWS_PER_PAGE * ROWS_PER_PAGE;
    match k {
        Key::Up => ListMove::Focus(focus.saturating_sub(1)),
        Key::Down => ListMove::Focus((focus + 1).min(n - 1)),
        Key::Right | Key::ChannelUp => {
            ListMove::Focus((page_start + ROWS_PER_PAGE).min(n - 1).max(focus))
        }
        Key::Left | Key::ChannelDown => {
            ListMove::Focus(page_start.saturating_sub(ROWS_PER_PAGE).min(focus))
        }
        Key::Digit(d)
            if d >= 1 && page_start + (d as usize) <= n.min(page_start + ROWS_PER_PAGE) =>
        {
            ListMove::Open(page_start + d as usize - 1)
        }
        Key::Ok => ListMove::Open(focus.min(n - 1)),
        _ => ListMove::None,
    }
}

static HOME_PAGE: Page = Page {
    screen: Screen::Home,
    focus: 0,
};

#[cfg(test)]
mod tests;
