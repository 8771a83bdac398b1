//! The taxi from the remote against the real head-end on 127.0.0.1: key presses
//! book a ride (the head-end's plan has it), the booking list shows it, 赤
//! cancels it (the head-end frees the seat), and ten minutes before the pickup
//! window 「タクシーが まもなく 来ます」 appears. A booking whose answer is lost
//! on the way back is asked again with the same key and made once.

#[path = "support/boxed.rs"]
mod boxed;
#[path = "support/paired.rs"]
mod paired;

use engawa::app::ride::RideScreen;
use std::sync::Arc;
use std::time::Duration;

use boxed::{TestBox, headend_config};
use engawa::app::ride::QuoteState;
use engawa::app::{Dialog, Key, Screen};
use engawa::store::Store;
use engawa_core::ManualClock;
use engawa_core::clock::tokyo;
use engawa_headend::Db;

/// The demo head-end on 127.0.0.1 and a paired box talking to it through
/// `proxy` (given the head-end's address, the address the box should use).
struct World {
    rt: tokio::runtime::Runtime,
    db: Db,
    clock: Arc<ManualClock>,
    b: TestBox,
    _dir: tempfile::TempDir,
}

fn world(proxy: impl FnOnce(std::net::SocketAddr) -> std::net::SocketAddr) -> World {
    let h = paired::demo(tokyo(2026, 11, 25, 9, 32), "EGW-RIDE-0001");
    let b = TestBox::spawn(
        Store::open(&h.state.join("engawa.db")).unwrap(),
        h.clock.clone(),
        headend_config(
            &h.state,
            &format!("http://{}", proxy(h.addr)),
            "EGW-RIDE-0001",
            Duration::from_millis(50),
            Duration::from_secs(60),
        ),
    );
    World {
        rt: h.rt,
        db: h.db,
        clock: h.clock,
        b,
        _dir: h.dir,
    }
}

#[test]
fn a_ride_booked_with_the_remote_is_in_the_plan_and_cancelled_with_red() {
    let World {
        rt,
        db,
        clock,
        mut b,
        _dir,
    } = world(|a| a);
    b.until(10, "connected", |a| a.connected);
    // 2 = taxi; the favourite hospital is row 1; いますぐ, 2 people; search.
    b.keys(&[Key::Digit(2)]);
    b.until(10, "the places", |a| a.ride.places.is_some());
    assert_eq!(
        b.app.ride.places.as_ref().unwrap().places[0].name,
        "みどり病院"
    );
    b.keys(&[Key::Digit(1), Key::Down, Key::Right, Key::Green]);
    b.until(10, "offers", |a| {
        matches!(a.ride.quote, QuoteState::Offers(_))
    });
    let QuoteState::Offers(offers) = b.app.ride.quote.clone() else {
        unreachable!()
    };
    assert_eq!(
        offers[0].pickup_from, "09:50",
        "9:32 + 15 min, on a 5-minute mark"
    );
    assert_eq!(offers[0].fare_yen.0, 1000);
    b.keys(&[Key::Green]);
    b.until(10, "booked", |a| {
        matches!(
            a.dialog,
            Some(Dialog::Ride(engawa::app::ride::RideNotice::Booked(_)))
        )
    });
    b.keys(&[Key::Ok]);
    assert!(matches!(
        b.app.page().screen,
        Screen::Ride(RideScreen::Done(_))
    ));
    let ride = rt
        .block_on(db.ride(1))
        .unwrap()
        .expect("the head-end has the ride");
    assert_eq!(
        (ride.state.as_str(), ride.people, ride.pickup_from),
        ("booked", 2, 9 * 60 + 50)
    );
    let travel = engawa_ride::travel::Haversine::default();
    let m = rt
        .block_on(engawa_headend::ride::dispatch::manifest(
            &db,
            "2026-11-25",
            &travel,
        ))
        .unwrap();
    assert!(m.contains("お迎え  山田 花子 様（2人）"), "{m}");

    // Ten minutes before the window: the card, once.
    clock.set(tokyo(2026, 11, 25, 9, 41));
    b.until(10, "the taxi card", |a| a.ride.soon(a.now).is_some());
    b.keys(&[Key::Ok]);
    assert!(b.app.ride.soon(b.app.now).is_none());

    // Cancel from today's bookings (page 2 of the taxi page; back at 9:35).
    clock.set(tokyo(2026, 11, 25, 9, 35));
    b.keys(&[Key::Back, Key::Right, Key::Digit(2)]);
    b.until(10, "the bookings", |a| {
        a.page().screen == Screen::Ride(RideScreen::Bookings)
            && a.ride.bookings.as_ref().is_some_and(|l| !l.is_empty())
    });
    b.keys(&[Key::Red, Key::Ok]);
    b.until(10, "cancelled", |a| {
        matches!(
            a.dialog,
            Some(Dialog::Ride(engawa::app::ride::RideNotice::Cancelled(_)))
        )
    });
    let ride = rt.block_on(db.ride(1)).unwrap().unwrap();
    assert_eq!(ride.state, "cancelled");
    let m = rt
        .block_on(engawa_headend::ride::dispatch::manifest(
            &db,
            "2026-11-25",
            &engawa_ride::travel::Haversine::default(),
        ))
        .unwrap();
    assert!(!m.contains("山田 花子"), "the seat is free: {m}");

    // The operator takes 65歳以上 out of the fare table: the household is no
    // longer eligible, and the TV says why instead of 「つながりません」.
    rt.block_on(db.remove_category("65歳以上")).unwrap();
    b.keys(&[Key::Ok]);
    for _ in 0..5 {
        if b.app.page().screen == Screen::Home {
            break;
        }
        b.keys(&[Key::Back]);
    }
    b.keys(&[Key::Digit(2)]);
    b.until(10, "the reason", |a| a.ride.not_available.is_some());
    let why = b.app.ride.not_available.clone().unwrap();
    assert!(why.contains("区分（免許返納 など）"), "{why}");
    assert!(!b.app.ride.offline);
}

/// A TCP proxy in front of the head-end that loses the answer to the first
/// booking: the request reaches the head-end (which books), the answer never
/// reaches the box. Returns the address the box should use.
fn losing_first_booking_answer(target: std::net::SocketAddr) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let armed = Arc::new(AtomicBool::new(true));
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let Ok(server) = TcpStream::connect(target) else {
                continue;
            };
            let lose = Arc::new(AtomicBool::new(false));
            let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (armed, lose_up) = (armed.clone(), lose.clone());
            // Box → head-end: note the first booking before passing it on.
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n) = c_in.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let chunk = &buf[..n];
                    if chunk.windows(22).any(|w| w == b"POST /v1/ride/bookings")
                        && armed.swap(false, Ordering::SeqCst)
                    {
                        lose_up.store(true, Ordering::SeqCst);
                    }
                    if s_out.write_all(chunk).is_err() {
                        break;
                    }
                }
                let _ = s_out.shutdown(Shutdown::Write);
            });
            // Head-end → box: unless this connection carried that booking.
            let (mut s_in, mut c_out) = (server, client);
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n) = s_in.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if lose.load(Ordering::SeqCst) {
                        // The head-end answered; the box hears nothing.
                        break;
                    }
                    if c_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = c_out.shutdown(Shutdown::Both);
                let _ = s_in.shutdown(Shutdown::Both);
            });
        }
    });
    addr
}

#[test]
fn a_booking_whose_answer_is_lost_is_asked_again_and_made_once() {
    let World {
        rt,
        db,
        mut b,
        _dir,
        ..
    } = world(losing_first_booking_answer);
    b.until(10, "connected", |a| a.connected);
    b.keys(&[Key::Digit(2)]);
    b.until(10, "the places", |a| a.ride.places.is_some());
    b.keys(&[Key::Digit(1), Key::Down, Key::Right, Key::Green]);
    b.until(10, "offers", |a| {
        matches!(a.ride.quote, QuoteState::Offers(_))
    });
    b.keys(&[Key::Green]);
    // The first answer is lost; the box asks again with the same key and
    // gets the ride the head-end made.
    b.until(15, "booked", |a| {
        matches!(
            a.dialog,
            Some(Dialog::Ride(engawa::app::ride::RideNotice::Booked(_)))
        )
    });
    let day = rt.block_on(db.ride_day("2026-11-25")).unwrap();
    assert_eq!(day.rides.len(), 1, "one ride, not two");
    let Some(Dialog::Ride(engawa::app::ride::RideNotice::Booked(shown))) = &b.app.dialog else {
        unreachable!()
    };
    assert_eq!(shown.id, day.rides[0].id);
}
