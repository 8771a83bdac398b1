//! The taxi's screens driven by keys, with the head-end's answers as events.

use crate::ride::RideScreen;
use crate::ride::{QuoteState, RideEffect, RideNotice, WhenMode};
use crate::*;
use Key::*;
use engawa_core::clock::tokyo;
use engawa_ride::api::{BookRequest, Booking, Offer, Place, Places, RideRequest, When};

fn places() -> Places {
    Places {
        places: vec![
            Place {
                id: 7,
                name: "みどり病院".into(),
                kind: "病院".into(),
                favourite: true,
            },
            Place {
                id: 8,
                name: "みどり駅".into(),
                kind: "駅".into(),
                favourite: false,
            },
        ],
        opens: "08:00".into(),
        closes: "17:00".into(),
        fare_yen: engawa_core::Yen(500),
    }
}

fn offer(from: &str, to: &str, arrive: &str) -> Offer {
    Offer {
        pickup_from: from.into(),
        pickup_to: to.into(),
        arrive_at: arrive.into(),
        fare_yen: engawa_core::Yen(1000),
    }
}

fn booking(id: i64, from: &str, state: &str) -> Booking {
    Booking {
        id,
        from_name: "家".into(),
        to_name: "みどり病院".into(),
        people: 2,
        pickup_from: from.into(),
        pickup_to: "10:15".into(),
        arrive_at: "10:40".into(),
        arrive_by: None,
        fare_yen: engawa_core::Yen(1000),
        state: state.into(),
    }
}

fn app() -> App {
    // 9:32 on a Wednesday.
    App::new(tokyo(2026, 11, 25, 9, 32))
}

fn press(a: &mut App, keys: &[Key]) -> Vec<Effect> {
    keys.iter()
        .flat_map(|k| a.handle(Event::Key(*k)))
        .filter(|e| *e != Effect::Activity)
        .collect()
}

#[test]
fn a_hospital_trip_for_two_is_booked_in_a_few_presses() {
    let mut a = app();
    assert_eq!(press(&mut a, &[Digit(2)]), [Effect::Ride(RideEffect::Load)]);
    assert_eq!(a.page().screen, Screen::Ride(RideScreen::Places));
    a.handle(Event::Ride(RideEvent::Places(places())));
    // 1 = the favourite hospital; then a time: the first slot after いますぐ is
    // 10:00 (9:32 + 15 min, on the quarter hour); two people.
    press(&mut a, &[Digit(1), Right, Down, Down, Right]);
    let Screen::Ride(RideScreen::When(d)) = a.page().screen.clone() else {
        panic!("{:?}", a.page().screen)
    };
    assert_eq!(
        (d.to, d.from, d.mode, d.slot, d.people),
        (Some(7), None, WhenMode::Pickup, 0, 2)
    );
    assert_eq!(a.ride.slots(a.now)[0], 10 * 60);
    let fx = press(&mut a, &[Green]);
    assert_eq!(
        fx,
        [Effect::Ride(RideEffect::Quote(RideRequest {
            from: None,
            to: Some(7),
            people: 2,
            when: When::At("10:00".into())
        }))]
    );
    assert!(matches!(
        a.page().screen,
        Screen::Ride(RideScreen::Offers(_))
    ));
    assert_eq!(a.ride.quote, QuoteState::Waiting);
    a.handle(Event::Ride(RideEvent::Quote(Result::Ok(vec![
        offer("10:00", "10:15", "10:40"),
        offer("10:15", "10:30", "10:55"),
    ]))));
    let fx = press(&mut a, &[Digit(2), Green]);
    assert_eq!(
        fx,
        [Effect::Ride(RideEffect::Book(BookRequest {
            from: None,
            to: Some(7),
            people: 2,
            pickup_from: "10:15".into(),
            arrive_by: None,
            return_of: None
        }))]
    );
    assert_eq!(a.dialog, Some(Dialog::Ride(RideNotice::Sending)));
    assert!(
        press(&mut a, &[Green, Ok]).is_empty(),
        "keys wait for the answer"
    );
    let fx = a.handle(Event::Ride(RideEvent::Booked(booking(
        5, "10:15", "booked",
    ))));
    assert_eq!(fx, [Effect::Ride(RideEffect::LoadBookings)]);
    press(&mut a, &[Ok]);
    assert!(matches!(a.page().screen, Screen::Ride(RideScreen::Done(_))));
    press(&mut a, &[Back]);
    assert_eq!(
        a.page().screen,
        Screen::Ride(RideScreen::Places),
        "back from the receipt: the taxi page"
    );
    press(&mut a, &[Home]);
    assert_eq!(a.page().screen, Screen::Home);
}

#[test]
fn going_home_asks_from_where_and_a_refusal_asks_again() {
    let mut a = app();
    press(&mut a, &[Digit(2)]);
    a.handle(Event::Ride(RideEvent::Places(places())));
    // Rows: hospital, station, 家に帰る, きょうの 予約.
    press(&mut a, &[Digit(3)]);
    assert_eq!(a.page().screen, Screen::Ride(RideScreen::From));
    press(&mut a, &[Digit(2)]);
    let Screen::Ride(RideScreen::When(d)) = a.page().screen.clone() else {
        panic!()
    };
    assert_eq!((d.from, d.to, d.mode), (Some(8), None, WhenMode::Asap));
    let fx = press(&mut a, &[Ok]);
    assert_eq!(
        fx,
        [Effect::Ride(RideEffect::Quote(RideRequest {
            from: Some(8),
            to: None,
            people: 1,
            when: When::Asap
        }))]
    );
    a.handle(Event::Ride(RideEvent::Quote(Result::Ok(vec![offer(
        "09:50", "10:05", "10:10",
    )]))));
    press(&mut a, &[Green]);
    let fx = a.handle(Event::Ride(RideEvent::Refused(
        "その 時間は たったいま うまりました。".into(),
    )));
    assert!(
        matches!(fx[..], [Effect::Ride(RideEffect::Quote(_))]),
        "fresh offers are fetched"
    );
    assert!(matches!(
        a.dialog,
        Some(Dialog::Ride(RideNotice::Refused(_)))
    ));
    assert_eq!(a.ride.quote, QuoteState::Waiting);
    // Too many people cannot be chosen: 3 at most.
    press(&mut a, &[Ok, Back, Down, Right, Right, Right, Right]);
    let Screen::Ride(RideScreen::When(d)) = a.page().screen.clone() else {
        panic!("{:?}", a.page().screen)
    };
    assert_eq!(d.people, 3);
}

#[test]
fn a_booking_is_cancelled_after_a_question_and_the_taxi_card_shows_ten_minutes_before() {
    let mut a = app();
    press(&mut a, &[Digit(2)]);
    a.handle(Event::Ride(RideEvent::Places(places())));
    a.handle(Event::Ride(RideEvent::Bookings(vec![
        booking(5, "10:00", "booked"),
        booking(6, "13:00", "cancelled"),
    ])));
    let fx = press(&mut a, &[Digit(4)]);
    assert_eq!(fx, [Effect::Ride(RideEffect::LoadBookings)]);
    assert_eq!(a.page().screen, Screen::Ride(RideScreen::Bookings));
    press(&mut a, &[Down, Red]);
    assert_eq!(a.dialog, None, "a cancelled booking cannot be cancelled");
    press(&mut a, &[Up, Red]);
    assert_eq!(a.dialog, Some(Dialog::CancelRide(5)));
    assert!(
        press(&mut a, &[Green]).is_empty(),
        "the question waits for 決定 or 戻る"
    );
    assert_eq!(press(&mut a, &[Ok]), [Effect::Ride(RideEffect::Cancel(5))]);
    a.handle(Event::Ride(RideEvent::Cancelled(booking(
        5,
        "10:00",
        "cancelled",
    ))));
    assert!(matches!(
        a.dialog,
        Some(Dialog::Ride(RideNotice::Cancelled(_)))
    ));
    press(&mut a, &[Ok]);

    // Another booking at 10:00: at 9:49 nothing, at 9:50 the card, any key closes it.
    let mut a = app();
    a.handle(Event::Ride(RideEvent::Bookings(vec![booking(
        9, "10:00", "booked",
    )])));
    a.handle(Event::Tick(tokyo(2026, 11, 25, 9, 49)));
    assert!(a.ride.soon(a.now).is_none());
    a.handle(Event::Tick(tokyo(2026, 11, 25, 9, 50)));
    assert_eq!(a.ride.soon(a.now).map(|b| b.id), Some(9));
    assert!(
        press(&mut a, &[Digit(1)]).is_empty(),
        "the key only closes the card"
    );
    assert_eq!(a.page().screen, Screen::Home);
    assert!(a.ride.soon(a.now).is_none(), "once");
}

#[test]
fn booking_by_arrival_time_sends_the_deadline_with_the_booking() {
    let mut a = app();
    press(&mut a, &[Digit(2)]);
    a.handle(Event::Ride(RideEvent::Places(places())));
    // 着く 時間で: the first arrival mark is 10:30 (first pickup 10:00 + 30).
    press(&mut a, &[Digit(1), Right, Right, Down, Right]);
    let Screen::Ride(RideScreen::When(d)) = a.page().screen.clone() else {
        panic!()
    };
    assert_eq!((d.mode, d.slot), (WhenMode::Arrive, 1));
    assert_eq!(a.ride.arrivals(a.now)[..2], [10 * 60 + 30, 10 * 60 + 45]);
    let fx = press(&mut a, &[Green]);
    assert_eq!(
        fx,
        [Effect::Ride(RideEffect::Quote(RideRequest {
            from: None,
            to: Some(7),
            people: 1,
            when: When::ArriveBy("10:45".into())
        }))]
    );
    a.handle(Event::Ride(RideEvent::Quote(Result::Ok(vec![offer(
        "09:55", "10:10", "10:30",
    )]))));
    let fx = press(&mut a, &[Green]);
    assert_eq!(
        fx,
        [Effect::Ride(RideEffect::Book(BookRequest {
            from: None,
            to: Some(7),
            people: 1,
            pickup_from: "09:55".into(),
            arrive_by: Some("10:45".into()),
            return_of: None
        }))]
    );
    // いますぐ has no time row: ▼ goes straight to the people.
    let mut a = app();
    press(&mut a, &[Digit(2)]);
    a.handle(Event::Ride(RideEvent::Places(places())));
    press(&mut a, &[Digit(1), Down]);
    assert_eq!(a.page().focus, 2);
}

#[test]
fn yellow_on_the_receipt_books_the_way_back_an_hour_after_arriving() {
    let mut a = app();
    press(&mut a, &[Digit(2)]);
    a.handle(Event::Ride(RideEvent::Places(places())));
    press(&mut a, &[Digit(1), Down, Right, Green]);
    a.handle(Event::Ride(RideEvent::Quote(Result::Ok(vec![offer(
        "09:50", "10:05", "10:30",
    )]))));
    press(&mut a, &[Green]);
    let mut b = booking(5, "09:50", "booked");
    b.arrive_at = "10:30".into();
    a.handle(Event::Ride(RideEvent::Booked(b)));
    press(&mut a, &[Ok]);
    assert!(matches!(a.page().screen, Screen::Ride(RideScreen::Done(_))));
    press(&mut a, &[Yellow]);
    let Screen::Ride(RideScreen::When(d)) = a.page().screen.clone() else {
        panic!("{:?}", a.page().screen)
    };
    assert_eq!(
        (d.from, d.to, d.people, d.mode, d.return_of),
        (Some(7), None, 2, WhenMode::Pickup, Some(5)),
        "linked to booking 5, the way there"
    );
    // Arrives 10:30 → back from 11:30 (slots start at 10:00).
    assert_eq!(a.ride.slots(a.now)[d.slot], 11 * 60 + 30);
    assert_eq!(a.page().focus, 1, "on the time, ready to change it");
    // Booking it tells the head-end which way there it belongs to.
    press(&mut a, &[Green]);
    a.handle(Event::Ride(RideEvent::Quote(Result::Ok(vec![offer(
        "11:30", "11:45", "12:00",
    )]))));
    let fx = press(&mut a, &[Green]);
    assert!(
        matches!(&fx[..], [Effect::Ride(RideEffect::Book(r))] if r.return_of == Some(5) && r.to.is_none()),
        "{fx:?}"
    );
}
