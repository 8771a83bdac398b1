//! Demo data and named scenes: the reminders a demo box starts with, and the
//! screens `engawa screenshot` can draw, each reached by real key presses through
//! the app core at a fixed time (11月25日(水) 午後4:38).

use crate::app::shop::ShopScreen;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use engawa_core::clock::tokyo;
use engawa_core::{ErrorKind, OccurrenceId, ReminderId, Yen};
use engawa_remind::{DueOccurrence, Phrase, Reminder, Repeat, Schedule, WeekdaySet};

use engawa_disaster::api::AlertCard;
use engawa_shop::api::{Catalogue, CatalogueItem, Order};
use engawa_shop::cart::Cart;
use engawa_shop::delivery::DeliveryRules;

use crate::app::remind::RemindEvent;
use crate::app::ride::RideEffect;
use crate::app::shop::{ShopEffect, ShopEvent};
use crate::app::watch::WatchEvent;
use crate::app::{App, Effect, Event, Key, TextSize};
use crate::store::{Store, StoreError};

/// The instant every scene is drawn at.
pub fn scene_time() -> DateTime<Utc> {
    tokyo(2026, 11, 25, 16, 38)
}

fn at(h: u32, m: u32, repeat: Repeat) -> Schedule {
    Schedule {
        time: NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN),
        repeat,
    }
}

/// A household's typical reminders.
pub fn reminders(today: NaiveDate) -> Vec<(Phrase, Schedule)> {
    use chrono::Weekday::*;
    let p = |s: &str| Phrase::parse(s).unwrap_or_else(|e| unreachable!("demo phrase {s}: {e}"));
    vec![
        (p("お薬を飲む"), at(8, 0, Repeat::Daily)),
        (
            p("ゴミ出し(燃えるごみ)"),
            at(7, 30, Repeat::Weekly(WeekdaySet::from_days(&[Tue, Fri]))),
        ),
        (p("病院の日"), at(9, 30, Repeat::Monthly(15))),
        (p("水分をとる"), at(15, 0, Repeat::Daily)),
        (
            p("デイサービスの日"),
            at(9, 0, Repeat::Weekly(WeekdaySet::from_days(&[Wed]))),
        ),
        (
            p("家族に電話する"),
            at(19, 0, Repeat::Once(today + chrono::Duration::days(4))),
        ),
    ]
}

/// Fill an empty demo database so a newcomer sees something real.
pub fn seed(store: &mut Store, now: DateTime<Utc>) -> Result<(), StoreError> {
    if !store.reminders()?.is_empty() {
        return Ok(());
    }
    let today = now.with_timezone(&engawa_core::TOKYO).date_naive();
    for (phrase, schedule) in reminders(today) {
        store.save_reminder(None, &phrase, &schedule, now)?;
    }
    Ok(())
}

pub fn demo_list() -> Vec<Reminder> {
    let today = scene_time().with_timezone(&engawa_core::TOKYO).date_naive();
    let mut list: Vec<Reminder> = reminders(today)
        .into_iter()
        .enumerate()
        .map(|(i, (phrase, schedule))| Reminder {
            id: ReminderId(i as i64 + 1),
            // The day-care reminder was set by the family on their page.
            from_family: phrase.as_str() == "デイサービスの日",
            phrase,
            schedule,
        })
        .collect();
    list.sort_by_key(|r| r.schedule.time);
    list
}

fn due(late: bool) -> DueOccurrence {
    DueOccurrence {
        id: OccurrenceId(1),
        reminder_id: ReminderId(1),
        phrase: if late {
            "お薬を飲む".into()
        } else {
            "水分をとる".into()
        },
        due_at: if late {
            tokyo(2026, 11, 25, 8, 0)
        } else {
            tokyo(2026, 11, 25, 16, 30)
        },
        show_at: if late {
            tokyo(2026, 11, 25, 8, 0)
        } else {
            tokyo(2026, 11, 25, 16, 30)
        },
        late,
        from_family: false,
    }
}

/// Every scene: name, what it shows.
pub const SCENES: &[(&str, &str)] = &[
    ("home", "home screen with the three service tiles"),
    ("shop", "shopping, not connected yet"),
    ("ride", "shared taxi, not connected yet"),
    ("remind", "reminder list, page 1 of 2"),
    ("remind-page2", "reminder list, page 2 of 2"),
    ("remind-edit", "changing an existing reminder"),
    ("remind-new-weekly", "a new reminder on chosen weekdays"),
    ("remind-new-monthly", "a new monthly reminder on the 31st"),
    ("remind-error", "saving a weekly reminder without a weekday"),
    ("remind-delete", "asking before deleting a reminder"),
    ("settings", "settings: text size and box information"),
    ("settings-large", "settings with large text"),
    ("home-large", "home screen with large text"),
    ("help", "help for the home screen (青)"),
    ("error", "a storage error with the operator's phone number"),
    (
        "overlay-reminder",
        "a reminder overlay over the home screen",
    ),
    (
        "overlay-late",
        "a reminder that was due while the box was off",
    ),
    ("overlay-family", "a reminder the family set, saying so"),
    ("pairing", "a new box showing its pairing code"),
    (
        "overlay-safety",
        "the watch-over asks 「お元気ですか？」 over the home screen",
    ),
    ("welcome-back", "back from away mode: おかえりなさい"),
    ("safety", "安心: reminders and 留守にします"),
    ("away", "留守にします: one week, family told"),
    ("safety-away", "安心 while away: 留守を やめる"),
    (
        "watch-info",
        "だれに 知らせるか: the contacts and the fixed rule",
    ),
    (
        "watch-info-learned",
        "だれに 知らせるか: the rule learned from the person's rhythm",
    ),
    (
        "pairing-offline",
        "a new box that cannot reach the head-end",
    ),
    (
        "shop-home",
        "shop home: いつもの, categories, order history",
    ),
    ("shop-home-page2", "shop home, page 2 of 2"),
    ("shop-usual", "いつもの: items bought before"),
    ("shop-category", "a category's items, with one in the cart"),
    ("shop-item", "an item page with quantity 2"),
    ("shop-item-photo", "an item page with its photo"),
    (
        "shop-cart",
        "the cart as order confirmation: 合計 and delivery",
    ),
    ("shop-sending", "an order on its way to the head-end"),
    ("shop-done", "the receipt after ordering"),
    (
        "shop-unreachable",
        "ordering while the head-end cannot be reached",
    ),
    ("shop-changed", "an item sold out and a price changed"),
    (
        "shop-orders",
        "order history: to come, cancelled, delivered",
    ),
    ("shop-cancel", "asking before cancelling an order"),
    (
        "shop-settled",
        "after a power cut: the earlier order went through",
    ),
    ("shop-offline", "the shop cannot load its catalogue"),
    (
        "ride-places",
        "taxi: where to (favourites, places, 家に帰る, today's bookings)",
    ),
    ("ride-from", "taxi: 家に帰る — from which place"),
    ("ride-when", "taxi: when and how many"),
    ("ride-searching", "taxi: looking for a car"),
    (
        "ride-offers",
        "taxi: three offers with pickup window, arrival and fare",
    ),
    ("ride-full", "taxi: nothing possible, with the reason"),
    ("ride-done", "taxi: booked (the receipt)"),
    (
        "ride-back",
        "taxi: 黄 on the receipt — the way back, an hour after arriving",
    ),
    ("ride-bookings", "taxi: today's bookings"),
    ("ride-cancel", "taxi: cancel this booking?"),
    ("ride-offline", "taxi: the head-end cannot be reached"),
    (
        "ride-not-eligible",
        "taxi: this household cannot use it (the head-end's reason)",
    ),
    (
        "overlay-ride-soon",
        "taxi: 「タクシーが まもなく 来ます」 ten minutes before",
    ),
    (
        "alert-order",
        "防災: 避難指示（警戒レベル４） over the shop, with shelters",
    ),
    ("alert-emergency", "防災: 緊急安全確保（警戒レベル５）"),
    ("alert-quake", "防災: 震度５強の 地震 (no level)"),
    (
        "alert-drill-large",
        "防災: a drill of 高齢者等避難（警戒レベル３）, large text",
    ),
    ("alert-armed", "防災: 決定 pressed once — press it again"),
    ("alert-told", "防災: 「無事です」と つたえました"),
    (
        "alert-waiting",
        "防災: たすけ asked while the head-end cannot be reached",
    ),
    ("home-alert", "home with an answered alert's banner"),
    (
        "home-alert-large",
        "home with an alert's banner, large text",
    ),
];

/// The demo catalogue as the head-end would send it (ids in catalogue order).
pub fn catalogue() -> Catalogue {
    let items: Vec<CatalogueItem> = engawa_shop::demo::items()
        .into_iter()
        .enumerate()
        .map(|(i, it)| CatalogueItem {
            id: i as i64 + 1,
            category: it.category.to_string(),
            name: it.name,
            price_yen: Yen(it.price_yen),
            unit: it.unit,
            seller: it.seller.to_string(),
            photo: None,
        })
        .collect();
    let usual = [
        "牛乳",
        "食パン 6枚切り",
        "豚こま切れ",
        "バナナ",
        "ヨーグルト",
        "緑茶",
        "しょうゆ",
    ]
    .iter()
    .filter_map(|n| items.iter().find(|i| i.name == *n).map(|i| i.id))
    .collect();
    Catalogue {
        categories: engawa_shop::CATEGORIES
            .iter()
            .map(|c| c.to_string())
            .collect(),
        items,
        usual,
        delivery: DeliveryRules::default(),
    }
}

fn history(cart: &Cart) -> Vec<Order> {
    let mut today = engawa_shop::demo::order_for(31, cart, tokyo(2026, 11, 25, 16, 20));
    today.total_yen = cart.total();
    let mut cancelled = engawa_shop::demo::order_for(30, cart, tokyo(2026, 11, 24, 9, 5));
    cancelled.cancelled_at = Some(tokyo(2026, 11, 24, 9, 40));
    let delivered = engawa_shop::demo::order_for(29, cart, tokyo(2026, 11, 20, 10, 15));
    vec![today, cancelled, delivered]
}

/// The shop scenes: a connected box with the demo catalogue; keys from home.
fn shop_scene(name: &str, app: &mut App) -> Option<()> {
    use Key::*;
    app.handle(Event::Connected);
    app.handle(Event::Shop(ShopEvent::Catalogue(catalogue())));
    // Three usual items in the cart: 牛乳 ×2, 食パン, ヨーグルト.
    let fill: &[Key] = &[
        Digit(1),
        Digit(1),
        Digit(1),
        Up,
        Ok,
        Digit(2),
        Ok,
        Digit(5),
        Ok,
        Back,
    ];
    let keys: &[Key] = match name {
        "shop-home" => &[Digit(1)],
        "shop-home-page2" => &[Digit(1), Down, Down],
        "shop-usual" => &[Digit(1), Digit(1)],
        "shop-category" => &[Digit(1), Digit(2), Digit(1), Ok, Down, Down],
        "shop-item" => &[Digit(1), Digit(2), Digit(3), Up],
        "shop-item-photo" => &[Digit(1), Digit(3), Digit(1)],
        "shop-offline" => &[],
        _ => fill,
    };
    for k in keys {
        app.handle(Event::Key(*k));
    }
    let cart = app.shop.cart.clone();
    match name {
        "shop-cart" | "shop-changed" | "shop-unreachable" | "shop-sending" | "shop-done" => {
            app.handle(Event::Key(Green));
        }
        _ => {}
    }
    match name {
        "shop-sending" => {
            app.handle(Event::Key(Green));
        }
        "shop-unreachable" => {
            app.handle(Event::Key(Green));
            app.handle(Event::Shop(ShopEvent::Unreachable));
        }
        "shop-done" => {
            app.handle(Event::Key(Green));
            app.handle(Event::Shop(ShopEvent::Placed(
                engawa_shop::demo::order_for(31, &cart, scene_time()),
            )));
        }
        "shop-changed" => {
            app.handle(Event::Key(Green));
            let mut c = catalogue();
            let bread = cart.lines.get(1).map_or(0, |l| l.item_id);
            let milk = cart.lines.first().map_or(0, |l| l.item_id);
            c.items.retain(|i| i.id != bread);
            if let Some(i) = c.items.iter_mut().find(|i| i.id == milk) {
                i.price_yen = Yen(258);
            }
            app.handle(Event::Shop(ShopEvent::Catalogue(c)));
            app.handle(Event::Shop(ShopEvent::Refused {
                code: engawa_shop::api::codes::ITEM_OFF_SALE.into(),
            }));
        }
        "shop-orders" | "shop-cancel" => {
            app.handle(Event::Key(Back));
            app.handle(Event::Key(Back));
            app.handle(Event::Shop(ShopEvent::Orders(history(&cart))));
            for k in [Digit(1), Down, Down, Down] {
                app.handle(Event::Key(k));
            }
            app.handle(Event::Key(Ok));
            if name == "shop-cancel" {
                app.handle(Event::Key(Red));
            }
        }
        "shop-settled" => {
            app.handle(Event::Key(Home));
            app.handle(Event::Shop(ShopEvent::Settled(Some(
                engawa_shop::demo::order_for(31, &cart, scene_time()),
            ))));
        }
        "shop-offline" => {
            app.shop.catalogue = None;
            app.handle(Event::Key(Digit(1)));
            app.handle(Event::Shop(ShopEvent::Offline));
        }
        "shop-item-photo" => {
            if let crate::app::Screen::Shop(ShopScreen::Item { item_id, .. }) = app.page().screen {
                let png = engawa_shop::photo::placeholder(1, 7);
                let photo = engawa_shop::photo::decode(&png).ok()?;
                app.handle(Event::Shop(ShopEvent::Photo {
                    item_id,
                    photo: std::sync::Arc::new(photo),
                }));
            }
        }
        "shop-home" | "shop-home-page2" | "shop-usual" | "shop-category" | "shop-item"
        | "shop-cart" => {}
        _ => return None,
    }
    Some(())
}

/// Build the app state for a scene, by key presses.
pub fn scene(name: &str) -> Option<App> {
    if name.starts_with("ride-") || name == "overlay-ride-soon" {
        let mut app = App::new(scene_time());
        app.handle(Event::Remind(RemindEvent::List(demo_list())));
        ride_scene(name, &mut app)?;
        return Some(app);
    }
    if name.starts_with("shop-") {
        let mut app = App::new(scene_time());
        app.handle(Event::Remind(RemindEvent::List(demo_list())));
        shop_scene(name, &mut app)?;
        return Some(app);
    }
    if name.starts_with("alert-") || name.starts_with("home-alert") {
        return alert_scene(name);
    }
    scene_keys(name)
}

/// The alert a demo municipality's HQ might send, in the head-end's words.
pub fn alert_card(order: engawa_disaster::policy::Order, drill: bool) -> AlertCard {
    use engawa_disaster::api::ShelterNear;
    use engawa_disaster::policy::Hazard;
    let hazard = Hazard::Order {
        order,
        danger: engawa_disaster::policy::ShelterUse::Flood,
    };
    let shelter = |name: &str, m, crowded| ShelterNear {
        name: name.into(),
        distance_m: Some(m),
        crowded,
    };
    AlertCard {
        campaign_id: 1,
        drill,
        level: hazard.level(),
        what: engawa_disaster::words::what(&hazard, "みどり町 東区"),
        place: "みどり町 東区".into(),
        todo: engawa_disaster::words::todo(&hazard).into(),
        shelters: vec![
            shelter("みどり小学校 体育館", 650, false),
            shelter("みどり町 公民館", 1_380, true),
            shelter("みどり中学校", 2_240, false),
        ],
        opened_at: tokyo(2026, 11, 25, 16, 31),
        answer: None,
    }
}

fn alert_scene(name: &str) -> Option<App> {
    use crate::app::disaster::DisasterEvent;
    use Key::*;
    use engawa_disaster::api::Answer;
    use engawa_disaster::policy::Order;
    let mut app = App::new(scene_time());
    app.handle(Event::Remind(RemindEvent::List(demo_list())));
    app.handle(Event::Connected);
    let (card, keys): (AlertCard, &[Key]) = match name {
        "alert-order" => (alert_card(Order::Evacuate, false), &[Digit(1)]),
        "alert-emergency" => {
            // Too late to go out: no shelter reported open.
            let mut c = alert_card(Order::Emergency, false);
            c.shelters.clear();
            (c, &[])
        }
        "alert-drill-large" => (alert_card(Order::ElderlyFirst, true), &[]),
        "alert-quake" => {
            let quake = engawa_disaster::policy::Hazard::Earthquake {
                intensity: engawa_disaster::jma::Intensity::I5Upper,
            };
            let mut c = alert_card(Order::Evacuate, false);
            c.level = quake.level();
            c.what = engawa_disaster::words::what(&quake, "みどり町");
            c.place = "みどり町".into();
            c.todo = engawa_disaster::words::todo(&quake).into();
            c.shelters.clear();
            (c, &[])
        }
        "alert-armed" => (alert_card(Order::Evacuate, false), &[Ok]),
        "alert-told" | "home-alert" | "home-alert-large" => {
            (alert_card(Order::Evacuate, false), &[Ok, Ok])
        }
        "alert-waiting" => (alert_card(Order::Evacuate, false), &[Red, Red]),
        _ => return None,
    };
    let (before, after) = match name {
        "alert-order" => (keys, &[][..]),
        _ => (&[][..], keys),
    };
    for k in before {
        app.handle(Event::Key(*k));
    }
    app.handle(Event::Disaster(DisasterEvent::Now(Some(card))));
    for k in after {
        app.handle(Event::Key(*k));
    }
    match name {
        "alert-told" | "home-alert" | "home-alert-large" => {
            app.handle(Event::Disaster(DisasterEvent::Delivered {
                campaign_id: 1,
                answer: Answer::Safe,
            }));
        }
        "alert-waiting" => {
            app.handle(Event::Disaster(DisasterEvent::Waiting {
                campaign_id: 1,
                answer: Answer::Help,
            }));
        }
        _ => {}
    }
    if name.starts_with("home-alert") {
        app.handle(Event::Key(Home)); // closes 「つたえました」
    }
    if name.ends_with("-large") {
        app.handle(Event::TextSize(TextSize::Large));
    }
    Some(app)
}

fn scene_keys(name: &str) -> Option<App> {
    use Key::*;
    let mut app = App::new(scene_time());
    app.handle(Event::Remind(RemindEvent::List(demo_list())));
    app.handle(Event::Watch(WatchEvent::Info(crate::app::WatchInfo {
        contacts: vec!["山田 太郎".into(), "佐藤 花子".into()],
        threshold_min: if name == "watch-info-learned" {
            9 * 60 + 30
        } else {
            24 * 60
        },
        adaptive: name == "watch-info-learned",
    })));
    let keys: &[Key] = match name {
        "home" | "overlay-reminder" | "overlay-family" => &[],
        "home-large" => &[Digit(4), Right, Back, Right],
        "shop" => &[Digit(1)],
        "ride" => &[Digit(2)],
        "remind" => &[Digit(3), Digit(1), Down],
        "remind-page2" => &[Digit(3), Digit(1), Right],
        "remind-edit" => &[Digit(3), Digit(1), Digit(2), Down],
        "remind-new-weekly" => &[
            Digit(3),
            Digit(1),
            Ok,
            Right,
            Down,
            Left,
            Down,
            Right,
            Right,
            Right,
            Right,
            Right,
            Right,
            Down,
            Right,
            Down,
            Right,
            Ok,
            Right,
            Right,
            Right,
            Ok,
        ],
        "remind-new-monthly" => &[
            Digit(3),
            Digit(1),
            Ok,
            Right,
            Right,
            Down,
            Right,
            Down,
            Down,
            Right,
            Right,
            Down,
            Right,
            Right,
            Right,
            Right,
            Right,
            Right,
        ],
        "remind-error" => &[Digit(3), Digit(1), Ok, Down, Down, Down, Right, Green],
        "remind-delete" => &[Digit(3), Digit(1), Down, Down, Red],
        "settings" => &[Digit(4)],
        "settings-large" => &[Digit(4), Right],
        "help" => &[Blue],
        "error" => &[Digit(3), Digit(1)],
        "overlay-late" => &[Digit(3), Digit(1)],
        "pairing" | "pairing-offline" | "overlay-safety" | "welcome-back" => &[],
        "safety" => &[Digit(3)],
        "away" => &[Digit(3), Digit(2), Right, Right, Right],
        "safety-away" => &[Digit(3), Digit(2), Right, Right, Right, Green],
        "watch-info" | "watch-info-learned" => &[Digit(3), Digit(3)],
        _ => return None,
    };
    for k in keys {
        app.handle(Event::Key(*k));
    }
    match name {
        "remind-new-monthly" => {
            for _ in 0..20 {
                app.handle(Event::Key(Right));
            }
        }
        "overlay-reminder" => {
            app.handle(Event::Remind(RemindEvent::Due(vec![due(false)])));
        }
        "overlay-late" => {
            app.handle(Event::Remind(RemindEvent::Due(vec![due(true)])));
        }
        "overlay-family" => {
            let mut d = due(false);
            d.from_family = true;
            d.phrase = "デイサービスの日".into();
            app.handle(Event::Remind(RemindEvent::Due(vec![d])));
        }
        "error" => {
            app.handle(Event::Failed(ErrorKind::Storage));
        }
        "pairing" => {
            app.handle(Event::PairingCode {
                user_code: "4K7-P2Q".into(),
            });
        }
        "pairing-offline" => {
            app.handle(Event::PairingOffline);
        }
        "overlay-safety" => {
            app.handle(Event::Watch(WatchEvent::SafetyCheck(true)));
        }
        "welcome-back" => {
            app.handle(Event::Watch(WatchEvent::WelcomeBack));
        }
        _ => {}
    }
    if name.ends_with("-large") {
        app.handle(Event::TextSize(TextSize::Large));
    }
    Some(app)
}

/// The taxi's scenes: a morning at 9:32 with the demo places.
/// The demo taxi's places (as the head-end would send them).
pub fn ride_places() -> engawa_ride::api::Places {
    use engawa_ride::api::{Place, Places};
    let place = |id: i64, name: &str, kind: &str, favourite: bool| Place {
        id,
        name: name.into(),
        kind: kind.into(),
        favourite,
    };
    Places {
        places: vec![
            place(1, "みどり病院", "病院", true),
            place(2, "スーパーみどり", "スーパー", true),
            place(3, "みどり町役場", "役場", false),
            place(4, "みどり駅", "駅", false),
            place(5, "ふれあい温泉", "温泉", false),
        ],
        opens: "08:00".into(),
        closes: "17:00".into(),
        fare_yen: Yen(500),
    }
}

/// Three pickup windows offered for a trip.
pub fn ride_offers() -> Vec<engawa_ride::api::Offer> {
    let offer = |f: &str, t: &str, a: &str| engawa_ride::api::Offer {
        pickup_from: f.into(),
        pickup_to: t.into(),
        arrive_at: a.into(),
        fare_yen: Yen(1000),
    };
    vec![
        offer("09:50", "10:05", "10:30"),
        offer("10:05", "10:20", "10:45"),
        offer("10:20", "10:35", "11:00"),
    ]
}

pub fn ride_booking(
    id: i64,
    f: &str,
    t: &str,
    a: &str,
    to: &str,
    state: &str,
) -> engawa_ride::api::Booking {
    engawa_ride::api::Booking {
        id,
        from_name: "家".into(),
        to_name: to.into(),
        people: 2,
        pickup_from: f.into(),
        pickup_to: t.into(),
        arrive_at: a.into(),
        arrive_by: None,
        fare_yen: Yen(1000),
        state: state.into(),
    }
}

/// The first offer, booked to みどり病院.
pub fn booked_ride() -> engawa_ride::api::Booking {
    ride_booking(14, "09:50", "10:05", "10:30", "みどり病院", "booked")
}

/// What a head-end would answer an effect, for driving the app without one
/// (the live-frame test walks every screen this way). `None`: no answer.
pub fn answer(effect: &Effect) -> Option<Event> {
    use crate::app::RideEvent as R;
    Some(match effect {
        Effect::Shop(ShopEffect::Load) => Event::Shop(ShopEvent::Catalogue(catalogue())),
        Effect::Ride(RideEffect::Load) => Event::Ride(R::Places(ride_places())),
        Effect::Ride(RideEffect::LoadBookings) => Event::Ride(R::Bookings(vec![])),
        Effect::Ride(RideEffect::Quote(_)) => Event::Ride(R::Quote(Ok(ride_offers()))),
        Effect::Ride(RideEffect::Book(_)) => Event::Ride(R::Booked(booked_ride())),
        _ => return None,
    })
}

/// The demo box connected to a head-end, at the scenes' time: the starting
/// point for walking every screen (`answer` plays the head-end).
pub fn live_app() -> App {
    let mut app = App::new(scene_time());
    app.handle(Event::Remind(RemindEvent::List(demo_list())));
    app.handle(Event::Connected);
    app.handle(Event::Tick(tokyo(2026, 11, 25, 9, 32)));
    app
}

fn ride_scene(name: &str, app: &mut App) -> Option<()> {
    use crate::app::RideEvent as R;
    use Key::*;
    app.handle(Event::Connected);
    app.handle(Event::Tick(tokyo(2026, 11, 25, 9, 32)));
    let places = ride_places();
    let offers = ride_offers();
    let booking = ride_booking;
    let today = vec![
        booking(12, "10:00", "10:15", "10:40", "みどり病院", "booked"),
        booking(13, "14:00", "14:15", "14:30", "スーパーみどり", "booked"),
        booking(9, "08:30", "08:45", "09:00", "みどり駅", "cancelled"),
    ];
    app.handle(Event::Key(Digit(2)));
    if name == "ride-offline" {
        app.handle(Event::Ride(R::Offline));
        return Some(());
    }
    if name == "ride-not-eligible" {
        app.handle(Event::Ride(R::NotAvailable(
            "タクシーを 使う 区分（65歳以上 など）が まだ 登録されていません。\nケーブルテレビ局に ご相談ください。".into(),
        )));
        return Some(());
    }
    app.handle(Event::Ride(R::Places(places)));
    let keys: &[Key] = match name {
        "ride-places" => &[],
        "ride-from" => &[Down, Right, Ok],
        "ride-when" => &[Digit(1), Right, Right, Down, Right],
        "ride-searching" | "ride-offers" | "ride-full" | "ride-done" | "ride-back" => {
            &[Digit(1), Down, Right, Green]
        }
        "ride-bookings" | "ride-cancel" => &[Down, Right, Digit(2)],
        "overlay-ride-soon" => &[Home],
        _ => return None,
    };
    for k in keys {
        app.handle(Event::Key(*k));
    }
    match name {
        "ride-offers" => {
            app.handle(Event::Ride(R::Quote(Result::Ok(offers))));
            app.handle(Event::Key(Digit(2)));
        }
        "ride-full" => {
            app.handle(Event::Ride(R::Quote(Err(
                "午前9時45分から あとは いっぱいです。\nほかの 時間か、ケーブルテレビ局に お電話ください。".into(),
            ))));
        }
        "ride-done" | "ride-back" => {
            app.handle(Event::Ride(R::Quote(Result::Ok(offers))));
            app.handle(Event::Key(Green));
            app.handle(Event::Ride(R::Booked(booked_ride())));
            app.handle(Event::Key(Ok));
            if name == "ride-back" {
                app.handle(Event::Key(Yellow));
            }
        }
        "ride-bookings" | "ride-cancel" => {
            app.handle(Event::Ride(R::Bookings(today)));
            if name == "ride-cancel" {
                app.handle(Event::Key(Red));
            }
        }
        "overlay-ride-soon" => {
            app.handle(Event::Ride(R::Bookings(today)));
            app.handle(Event::Tick(tokyo(2026, 11, 25, 9, 52)));
        }
        _ => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scene_exists() {
        for (name, _) in SCENES {
            assert!(scene(name).is_some(), "{name}");
        }
        assert!(scene("nonsense").is_none());
    }
}
