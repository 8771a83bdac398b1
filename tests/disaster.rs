//! 防災 from the box's side against the real head-end on 127.0.0.1, through a
//! gate that can take the network away: the HQ's 避難指示 reaches the box
//! over the alert stream and covers the screen; 決定 決定 answers 「無事です」
//! and the board counts it; 取消 clears the card. Faults: the answer's
//! receipt lost and the power cut before it was resent (delivered once after
//! boot); the box cut off while the alert is issued (shown when it is back);
//! the stream refused (the heartbeat brings it); a restart while the
//! head-end is out of reach (the kept alert is shown); the disk refusing the
//! answer (sent from memory until the head-end has it).

#[path = "support/boxed.rs"]
mod boxed;
#[path = "support/gate.rs"]
mod gate;
#[path = "support/paired.rs"]
mod paired;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use boxed::{TestBox, headend_config};
use engawa::app::Key;
use engawa::app::disaster::Stage;
use engawa::store::Store;
use engawa_core::clock::tokyo;
use engawa_core::{Clock, ManualClock};
use engawa_disaster::api::Answer;
use engawa_disaster::policy::{Order, ShelterUse};
use engawa_headend::Db;
use engawa_headend::demo::DEMO_MUNICIPALITY;
use gate::Gate;

struct World {
    rt: tokio::runtime::Runtime,
    db: Db,
    clock: Arc<ManualClock>,
    gate: Arc<Gate>,
    state: PathBuf,
    operator: i64,
    _dir: tempfile::TempDir,
}

const SERIAL: &str = "EGW-BOSAI-0001";

fn world() -> World {
    let h = paired::demo(tokyo(2026, 12, 3, 9, 0), SERIAL);
    let operator = h.rt.block_on(async {
        engawa_headend::demo::operator(&h.db, h.clock.now())
            .await
            .unwrap();
        let (operator, _) =
            h.db.operator_login(engawa_headend::demo::OPERATOR)
                .await
                .unwrap()
                .unwrap();
        operator
    });
    World {
        rt: h.rt,
        db: h.db,
        clock: h.clock,
        gate: gate::gate(h.addr),
        state: h.state,
        operator,
        _dir: h.dir,
    }
}

impl World {
    /// Power on the box (its database and token in `state`), heartbeats
    /// every `heartbeat`.
    fn boot(&self, heartbeat: Duration) -> TestBox {
        boot(&self.state, &self.gate, self.clock.clone(), heartbeat)
    }

    /// The HQ's 避難指示 for the demo household's district.
    fn evacuate(&self) -> i64 {
        self.rt
            .block_on(self.db.issue_order(
                DEMO_MUNICIPALITY,
                Order::Evacuate,
                ShelterUse::Flood,
                &["上沢".to_string()],
                &[],
                false,
                Some(self.operator),
                self.clock.now(),
            ))
            .unwrap()
    }

    fn lift(&self, campaign: i64) {
        assert!(
            self.rt
                .block_on(self.db.close_campaign(
                    campaign,
                    Some(self.operator),
                    "解除",
                    self.clock.now()
                ))
                .unwrap()
        );
    }

    /// (無事, たすけが必要) on the HQ's board.
    fn tally(&self, campaign: i64) -> (i64, i64) {
        let board = self
            .rt
            .block_on(self.db.board(campaign, self.clock.now()))
            .unwrap()
            .unwrap();
        (board.total.safe, board.total.help)
    }
}

fn boot(state: &Path, gate: &Gate, clock: Arc<ManualClock>, heartbeat: Duration) -> TestBox {
    TestBox::spawn(
        Store::open(&state.join("engawa.db")).unwrap(),
        clock,
        headend_config(
            state,
            &format!("http://{}", gate.addr.unwrap()),
            SERIAL,
            Duration::from_millis(50),
            heartbeat,
        ),
    )
}

fn on_top(a: &engawa::app::App) -> bool {
    a.alert.as_ref().is_some_and(|a| a.on_top())
}

/// The box's outbox rows: (answer, state).
fn outbox(state: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(state.join("engawa.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT answer, state FROM alert_answers ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn an_order_covers_the_screen_two_presses_answer_it_and_lifting_it_clears_it() {
    let w = world();
    let mut b = w.boot(Duration::from_secs(300));
    b.until(10, "connected", |a| a.connected);
    b.keys(&[Key::Digit(1)]); // the shop, say
    let campaign = w.evacuate();
    b.until(10, "the card on top", on_top);
    let card = &b.app.alert.as_ref().unwrap().card;
    assert_eq!(card.campaign_id, campaign);
    assert_eq!(card.what, "上沢に 避難指示（警戒レベル４）");
    assert_eq!(card.level, Some(4));
    assert_eq!(
        card.shelters
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["みどり小学校 体育館", "みどり町 公民館"],
        "the open shelters, nearest first"
    );
    // 350 m and 970 m from the household's registered coordinates.
    let d: Vec<u32> = card.shelters.iter().filter_map(|s| s.distance_m).collect();
    assert!(
        (300..400).contains(&d[0]) && (900..1050).contains(&d[1]),
        "{d:?}"
    );
    assert_eq!(w.tally(campaign), (0, 0));
    b.keys(&[Key::Ok, Key::Ok]);
    b.until(10, "delivered", |a| {
        a.alert.as_ref().is_some_and(|a| {
            a.sent == Some((Answer::Safe, engawa::app::disaster::Delivery::Delivered))
        })
    });
    assert_eq!(w.tally(campaign), (1, 0));
    assert_eq!(outbox(&w.state), [("safe".to_string(), "sent".to_string())]);
    b.keys(&[Key::Ok]); // closes 「つたえました」
    assert!(!on_top(&b.app));
    w.lift(campaign);
    b.until(10, "the alert cleared", |a| a.alert.is_none());
    b.stop();
}

#[test]
fn an_answer_whose_receipt_is_lost_is_delivered_once_after_a_power_cut() {
    let w = world();
    let mut b = w.boot(Duration::from_secs(300));
    b.until(10, "connected", |a| a.connected);
    let campaign = w.evacuate();
    b.until(10, "the card on top", on_top);
    w.gate.set(&w.gate.lose_answers, true);
    b.keys(&[Key::Red, Key::Red]);
    b.until(20, "kept, not confirmed", |a| {
        a.alert.as_ref().is_some_and(|a| {
            a.sent == Some((Answer::Help, engawa::app::disaster::Delivery::Waiting))
        })
    });
    // The head-end has it already; the box does not know.
    assert_eq!(w.tally(campaign), (0, 1));
    assert_eq!(
        outbox(&w.state),
        [("help".to_string(), "pending".to_string())]
    );
    b.stop(); // the power goes
    w.gate.set(&w.gate.lose_answers, false);
    let through = w
        .gate
        .answers_through
        .load(std::sync::atomic::Ordering::SeqCst);
    let mut b = w.boot(Duration::from_secs(300));
    b.until(20, "delivered after boot", |a| {
        a.alert.as_ref().is_some_and(|a| {
            a.sent == Some((Answer::Help, engawa::app::disaster::Delivery::Delivered))
        })
    });
    assert!(
        w.gate
            .answers_through
            .load(std::sync::atomic::Ordering::SeqCst)
            > through,
        "sent again after boot"
    );
    assert_eq!(w.tally(campaign), (0, 1), "one household, one answer");
    assert_eq!(outbox(&w.state), [("help".to_string(), "sent".to_string())]);
    // Answered before the restart: not asked again, home's banner only.
    let a = b.app.alert.as_ref().unwrap();
    assert_eq!(a.stage, Stage::Answered);
    b.stop();
}

#[test]
fn a_box_cut_off_while_the_order_is_issued_shows_it_when_it_is_back() {
    let w = world();
    let mut b = w.boot(Duration::from_secs(300));
    b.until(10, "connected", |a| a.connected);
    // Let the stream open, then take the network away.
    std::thread::sleep(Duration::from_millis(500));
    w.gate.set(&w.gate.down, true);
    let campaign = w.evacuate();
    std::thread::sleep(Duration::from_secs(3));
    while let Ok(ev) = b.rx.try_recv() {
        b.feed(ev);
    }
    assert!(b.app.alert.is_none(), "nothing can have arrived");
    w.gate.set(&w.gate.down, false);
    b.until(40, "the card once the line is back", on_top);
    assert_eq!(b.app.alert.as_ref().unwrap().card.campaign_id, campaign);
    b.stop();
}

#[test]
fn with_the_stream_refused_the_heartbeat_brings_the_alert() {
    let w = world();
    w.gate.set(&w.gate.no_stream, true);
    let mut b = w.boot(Duration::from_millis(500));
    b.until(10, "connected", |a| a.connected);
    w.evacuate();
    b.until(10, "the card, by the heartbeat's version", on_top);
    b.stop();
}

#[test]
fn a_box_restarted_while_the_head_end_is_out_of_reach_shows_the_kept_alert() {
    let w = world();
    let mut b = w.boot(Duration::from_secs(300));
    b.until(10, "connected", |a| a.connected);
    w.evacuate();
    b.until(10, "the card on top", on_top);
    b.stop();
    w.gate.set(&w.gate.down, true);
    let mut b = w.boot(Duration::from_secs(300));
    b.until(10, "the kept card", on_top);
    assert_eq!(
        b.app.alert.as_ref().unwrap().card.what,
        "上沢に 避難指示（警戒レベル４）"
    );
    // Answering now keeps the answer until the head-end is back.
    b.keys(&[Key::Ok, Key::Ok]);
    b.until(10, "kept", |a| {
        a.alert.as_ref().is_some_and(|a| {
            a.sent == Some((Answer::Safe, engawa::app::disaster::Delivery::Waiting))
        })
    });
    w.gate.set(&w.gate.down, false);
    b.until(40, "delivered once the head-end is back", |a| {
        a.alert.as_ref().is_some_and(|a| {
            a.sent == Some((Answer::Safe, engawa::app::disaster::Delivery::Delivered))
        })
    });
    b.stop();
}

#[test]
fn a_household_put_in_a_municipality_after_its_box_connected_gets_the_alert_and_a_fresh_stream() {
    let w = world();
    let household = w.rt.block_on(w.db.first_household()).unwrap().unwrap();
    let move_to = |m: Option<&str>, city: Option<&str>| {
        assert!(
            w.rt.block_on(w.db.set_household_disaster(household, m, city, None))
                .unwrap()
        )
    };
    move_to(None, None);
    let streams = || {
        w.gate
            .streams_opened
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    let mut b = w.boot(Duration::from_millis(500));
    b.until(10, "connected", |a| a.connected);
    boxed::wait("the stream open", 10, || streams() == 1);
    // The stream follows no municipality; the heartbeat reads the household.
    move_to(
        Some(DEMO_MUNICIPALITY),
        Some(engawa_headend::demo::DEMO_JMA_CITY),
    );
    w.evacuate();
    b.until(10, "the card, through the heartbeat", on_top);
    boxed::wait("a new stream, for the municipality", 10, || streams() >= 2);
    b.stop();
}

#[test]
fn an_answer_the_disk_will_not_keep_is_still_sent_until_the_head_end_has_it() {
    let w = world();
    let mut b = w.boot(Duration::from_secs(300));
    b.until(10, "connected", |a| a.connected);
    let campaign = w.evacuate();
    b.until(10, "the card on top", on_top);
    // The box's database refuses the outbox row (as a full or failing disk
    // would), and the line is down when the answer is made.
    rusqlite::Connection::open(w.state.join("engawa.db"))
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER disk_full BEFORE INSERT ON alert_answers \
             BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;",
        )
        .unwrap();
    w.gate.set(&w.gate.down, true);
    b.keys(&[Key::Ok, Key::Ok]);
    b.until(10, "waiting", |a| {
        a.alert.as_ref().is_some_and(|a| {
            a.sent == Some((Answer::Safe, engawa::app::disaster::Delivery::Waiting))
        })
    });
    assert!(outbox(&w.state).is_empty(), "nothing was kept");
    assert!(
        matches!(
            b.app.dialog,
            Some(engawa::app::Dialog::Error(engawa_core::ErrorKind::Storage))
        ),
        "the failure is told, under the card: {:?}",
        b.app.dialog
    );
    w.gate.set(&w.gate.down, false);
    b.until(40, "delivered from memory once the line is back", |a| {
        a.alert.as_ref().is_some_and(|a| {
            a.sent == Some((Answer::Safe, engawa::app::disaster::Delivery::Delivered))
        })
    });
    assert_eq!(w.tally(campaign), (1, 0));
    b.stop();
}
