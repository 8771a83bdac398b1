//! Behaviour of every screen, driven by key sequences through `App::handle`.

use super::remind::{DraftError, Field, RepeatKind};
use super::*;
use crate::remind::{RemindEffect, RemindEvent, RemindScreen};
use crate::ride::RideScreen;
use crate::shop::ShopScreen;
use crate::watch::{WatchEffect, WatchEvent, WatchScreen};
use Key::*;
use chrono::{NaiveDate, NaiveTime};
use engawa_core::clock::tokyo;
use engawa_remind::{Phrase, Schedule};
use engawa_remind::{Repeat, WeekdaySet};

#[test]
fn the_safety_check_is_answered_by_any_key_which_does_nothing_else() {
    let mut a = app();
    let fx = a.handle(Event::Watch(WatchEvent::SafetyCheck(true)));
    assert_eq!(fx, [Effect::PlayChime]);
    assert!(
        a.handle(Event::Watch(WatchEvent::SafetyCheck(true)))
            .is_empty(),
        "one chime"
    );
    let fx = a.handle(Event::Key(Digit(3)));
    assert_eq!(fx, [Effect::Activity], "the key is the answer");
    assert!(!a.safety_check);
    assert_eq!(a.page().screen, Screen::Home, "and does not open anything");
    a.handle(Event::Watch(WatchEvent::WelcomeBack));
    assert_eq!(a.dialog, Some(Dialog::WelcomeBack));
    press(&mut a, &[Ok]);
    assert_eq!(a.dialog, None);
}

#[test]
fn away_mode_is_set_from_safety_and_ended_by_coming_back() {
    let mut a = app();
    press(&mut a, &[Digit(3), Digit(2)]);
    assert_eq!(a.page().screen, Screen::Watch(WatchScreen::Away(0)));
    press(&mut a, &[Right, Right, Right, Right, Right, Left]);
    assert_eq!(
        a.page().screen,
        Screen::Watch(WatchScreen::Away(3)),
        "1, 2, 3 days, 1 week, 2 weeks"
    );
    let fx = press(&mut a, &[Green]);
    let week = a.now + chrono::Duration::days(7);
    assert_eq!(fx, [Effect::Watch(WatchEffect::SetAway(week))]);
    assert_eq!(a.page().screen, Screen::Watch(WatchScreen::Menu));
    assert_eq!(a.away_until, Some(week));
    // Back early: the same row ends it.
    let fx = press(&mut a, &[Digit(2)]);
    assert_eq!(fx, [Effect::Watch(WatchEffect::EndAway)]);
    assert_eq!(a.away_until, None);
    assert_eq!(a.dialog, Some(Dialog::WelcomeBack));
}

#[test]
fn who_is_told_is_shown_from_safety_and_changes_nothing() {
    let mut a = app();
    a.handle(Event::Watch(WatchEvent::Info(WatchInfo {
        contacts: vec!["山田 太郎".into(), "佐藤 花子".into()],
        threshold_min: 24 * 60,
        adaptive: false,
    })));
    press(&mut a, &[Digit(3), Down, Down, Down]);
    assert_eq!(a.page().focus, 2, "three rows, no wrap");
    let fx = press(&mut a, &[Ok]);
    assert_eq!(a.page().screen, Screen::Watch(WatchScreen::Info));
    assert!(fx.iter().all(|e| *e == Effect::Activity), "{fx:?}");
    let fx = press(&mut a, &[Down, Down, Ok, Green, Red]);
    assert_eq!(a.page().focus, 1);
    assert!(
        fx.iter().all(|e| *e == Effect::Activity),
        "read-only: {fx:?}"
    );
    press(&mut a, &[Back]);
    assert_eq!(a.page().screen, Screen::Watch(WatchScreen::Menu));
}

fn app() -> App {
    App::new(tokyo(2026, 11, 25, 16, 38))
}

fn press(app: &mut App, keys: &[Key]) -> Vec<Effect> {
    keys.iter()
        .flat_map(|k| app.handle(Event::Key(*k)))
        .filter(|e| *e != Effect::Activity)
        .collect()
}

fn reminder(id: i64, phrase: &str, h: u32, repeat: Repeat) -> Reminder {
    Reminder {
        id: ReminderId(id),
        phrase: Phrase::parse(phrase).unwrap(),
        schedule: Schedule {
            time: NaiveTime::from_hms_opt(h, 0, 0).unwrap(),
            repeat,
        },
        from_family: false,
    }
}

fn due(id: i64, phrase: &str) -> DueOccurrence {
    DueOccurrence {
        id: OccurrenceId(id),
        reminder_id: ReminderId(1),
        phrase: phrase.into(),
        due_at: tokyo(2026, 11, 25, 16, 30),
        show_at: tokyo(2026, 11, 25, 16, 30),
        late: false,
        from_family: false,
    }
}

fn draft(app: &App) -> &Draft {
    match &app.page().screen {
        Screen::Remind(RemindScreen::Edit(d)) => d,
        s => panic!("not editing: {s:?}"),
    }
}

#[test]
fn home_tiles_by_arrows_and_numbers() {
    let mut a = app();
    press(&mut a, &[Right, Right, Right]);
    assert_eq!(a.page().focus, 2, "edges stop, no wrap");
    press(&mut a, &[Down]);
    assert_eq!(a.page().focus, 3, "down reaches settings");
    press(&mut a, &[Up, Left, Left, Left]);
    assert_eq!(a.page().focus, 0);
    press(&mut a, &[Ok]);
    assert_eq!(a.page().screen, Screen::Shop(ShopScreen::Tiles));
    press(&mut a, &[Back, Digit(2)]);
    assert_eq!(a.page().screen, Screen::Ride(RideScreen::Places));
    press(&mut a, &[Back, Digit(3)]);
    assert_eq!(a.page().screen, Screen::Watch(WatchScreen::Menu));
    press(&mut a, &[Digit(1)]);
    assert_eq!(a.page().screen, Screen::Remind(RemindScreen::List));
    press(&mut a, &[Home, Digit(4)]);
    assert_eq!(a.page().screen, Screen::Settings);
    press(&mut a, &[Back, Digit(9), Digit(0)]);
    assert_eq!(
        a.page().screen,
        Screen::Home,
        "numbers without a tile do nothing"
    );
}

#[test]
fn back_never_leaves_home_and_home_returns_from_anywhere() {
    let mut a = app();
    press(&mut a, &[Back, Back, Back]);
    assert_eq!((a.depth(), &a.page().screen), (1, &Screen::Home));
    press(&mut a, &[Digit(3), Digit(1), Ok]);
    assert_eq!(a.depth(), 4);
    press(&mut a, &[Home]);
    assert_eq!((a.depth(), &a.page().screen), (1, &Screen::Home));
    press(&mut a, &[Digit(3), Digit(1), Back, Back, Back, Back]);
    assert_eq!(a.depth(), 1);
}

#[test]
fn add_a_daily_medicine_reminder_in_a_few_presses() {
    let mut a = app();
    // 3 (安心) → 決定 on 「あたらしく つくる」 → defaults: お薬を飲む 8:00 毎日 → 緑.
    let fx = press(&mut a, &[Digit(3), Digit(1), Ok, Green]);
    assert_eq!(
        fx,
        vec![Effect::Remind(RemindEffect::Save {
            id: None,
            phrase: Phrase::parse("お薬を飲む").unwrap(),
            schedule: Schedule {
                time: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
                repeat: Repeat::Daily
            },
        })]
    );
    assert_eq!(
        a.page().screen,
        Screen::Remind(RemindScreen::List),
        "back on the list after saving"
    );
}

#[test]
fn weekday_garbage_reminder() {
    let mut a = app();
    press(&mut a, &[Digit(3), Digit(1), Ok]);
    // phrase → ゴミ出し(燃えるごみ); hour 8 → 7; minute 0 → 30; repeat → 曜日.
    press(&mut a, &[Right, Down, Left, Down]);
    press(&mut a, &[Right; 6]);
    press(&mut a, &[Down, Right]);
    assert_eq!(draft(&a).kind, RepeatKind::Weekly);
    // Saving without a day refuses and says why.
    press(&mut a, &[Green]);
    assert_eq!(draft(&a).error, Some(DraftError::NoWeekday));
    assert_eq!(draft(&a).focused(), Field::Weekdays);
    // 火 and 金: cursor starts on 月.
    press(&mut a, &[Right, Ok, Right, Right, Right, Ok]);
    let fx = press(&mut a, &[Green]);
    let Effect::Remind(RemindEffect::Save {
        phrase, schedule, ..
    }) = &fx[0]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(phrase.as_str(), "ゴミ出し(燃えるごみ)");
    assert_eq!(schedule.time, NaiveTime::from_hms_opt(7, 30, 0).unwrap());
    assert_eq!(
        schedule.repeat,
        Repeat::Weekly(WeekdaySet::from_days(&[
            chrono::Weekday::Tue,
            chrono::Weekday::Fri
        ]))
    );
}

#[test]
fn once_reminder_in_the_past_is_refused_then_tomorrow_is_fine() {
    let mut a = app(); // 16:38
    press(&mut a, &[Digit(3), Digit(1), Ok, Down, Down, Down, Left]); // repeat 毎日 → 1回だけ
    assert_eq!(draft(&a).kind, RepeatKind::Once);
    press(&mut a, &[Green]); // 8:00 today has passed
    assert_eq!(draft(&a).error, Some(DraftError::InPast));
    press(&mut a, &[Down, Down, Down, Left]); // date cannot go before today
    assert_eq!(
        draft(&a).date,
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    );
    press(&mut a, &[Right]);
    let fx = press(&mut a, &[Green]);
    let Effect::Remind(RemindEffect::Save { schedule, .. }) = &fx[0] else {
        panic!("{fx:?}")
    };
    assert_eq!(
        schedule.repeat,
        Repeat::Once(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap())
    );
}

#[test]
fn monthly_day_and_minutes_wrap_sensibly() {
    let mut a = app();
    press(&mut a, &[Digit(3), Digit(1), Ok, Down, Down, Left]); // minute 0 → 55
    assert_eq!(draft(&a).minute, 55);
    press(&mut a, &[Down, Right, Right]); // 毎日 → 曜日 → 毎月
    assert_eq!(draft(&a).kind, RepeatKind::Monthly);
    press(&mut a, &[Down]);
    press(&mut a, &[Right; 40]);
    assert_eq!(draft(&a).month_day, 31, "clamped, no wrap");
}

#[test]
fn editing_and_deleting_ask_before_losing_anything() {
    let mut a = app();
    press(&mut a, &[Digit(3), Digit(1)]);
    a.handle(Event::Remind(RemindEvent::List(vec![reminder(
        7,
        "病院の日",
        9,
        Repeat::Monthly(31),
    )])));
    press(&mut a, &[Down, Ok]);
    assert_eq!(draft(&a).id, Some(ReminderId(7)));
    assert_eq!(draft(&a).month_day, 31);
    // Unchanged: 戻る leaves without asking.
    press(&mut a, &[Back]);
    assert_eq!(a.page().screen, Screen::Remind(RemindScreen::List));
    // Changed: 戻る asks; 戻る again keeps editing; 決定 discards.
    press(&mut a, &[Ok, Down, Right, Back]);
    assert_eq!(a.dialog, Some(Dialog::DiscardDraft));
    press(&mut a, &[Back]);
    assert!(a.dialog.is_none());
    assert_eq!(draft(&a).hour, 10);
    press(&mut a, &[Back, Ok]);
    assert_eq!(a.page().screen, Screen::Remind(RemindScreen::List));
    // 赤 on the list asks; other keys keep asking; 決定 deletes.
    let fx = press(&mut a, &[Red, Down, Digit(1)]);
    assert!(fx.is_empty());
    assert_eq!(a.dialog, Some(Dialog::DeleteReminder(ReminderId(7))));
    let fx = press(&mut a, &[Ok]);
    assert_eq!(
        fx,
        vec![Effect::Remind(RemindEffect::Delete(ReminderId(7)))]
    );
    assert!(a.reminders.is_empty());
    assert_eq!(a.page().focus, 0);
}

#[test]
fn delete_from_the_edit_screen_returns_to_the_list() {
    let mut a = app();
    a.handle(Event::Remind(RemindEvent::List(vec![reminder(
        7,
        "病院の日",
        9,
        Repeat::Daily,
    )])));
    press(&mut a, &[Digit(3), Digit(1), Digit(2), Red]);
    assert_eq!(a.dialog, Some(Dialog::DeleteReminder(ReminderId(7))));
    let fx = press(&mut a, &[Ok]);
    assert_eq!(
        fx,
        vec![Effect::Remind(RemindEffect::Delete(ReminderId(7)))]
    );
    assert_eq!(a.page().screen, Screen::Remind(RemindScreen::List));
}

#[test]
fn list_pages_in_whole_screens() {
    let mut a = app();
    let list: Vec<Reminder> = (1..=12)
        .map(|i| reminder(i, "水分をとる", (i % 24) as u32, Repeat::Daily))
        .collect();
    a.handle(Event::Remind(RemindEvent::List(list)));
    press(&mut a, &[Digit(3), Digit(1), Right]);
    assert_eq!(a.page().focus, 5, "next page starts at row 6");
    press(&mut a, &[Right, Right, Right]);
    assert_eq!(a.page().focus, 12, "last item, no further");
    press(&mut a, &[Left]);
    assert_eq!(a.page().focus, 5);
    press(&mut a, &[Digit(3), Digit(1)]);
    assert_eq!(
        draft(&a).id,
        Some(ReminderId(7)),
        "row 3 of page 2 is item 8 = reminder 7"
    );
}

#[test]
fn reminder_overlay_chimes_once_and_is_answered_with_one_press() {
    let mut a = app();
    press(&mut a, &[Digit(3), Digit(1)]);
    let fx = a.handle(Event::Remind(RemindEvent::Due(vec![
        due(1, "お薬を飲む"),
        due(2, "水分をとる"),
    ])));
    assert_eq!(fx, vec![Effect::PlayChime]);
    // The same list again (next tick): no second chime.
    assert!(
        a.handle(Event::Remind(RemindEvent::Due(vec![
            due(1, "お薬を飲む"),
            due(2, "水分をとる")
        ])))
        .is_empty()
    );
    // Keys other than 決定/黄 do nothing while it is up, and don't reach the page.
    assert!(press(&mut a, &[Down, Back, Home, Red]).is_empty());
    assert_eq!(a.page().screen, Screen::Remind(RemindScreen::List));
    assert_eq!(
        press(&mut a, &[Ok]),
        vec![
            Effect::Remind(RemindEffect::Done(OccurrenceId(1))),
            Effect::PlayChime
        ]
    );
    assert_eq!(a.overlay().unwrap().id, OccurrenceId(2));
    // A stale Due list (the store has not caught up) does not bring #1 back.
    assert!(
        a.handle(Event::Remind(RemindEvent::Due(vec![
            due(1, "お薬を飲む"),
            due(2, "水分をとる")
        ])))
        .is_empty()
    );
    assert_eq!(a.overlay().unwrap().id, OccurrenceId(2));
    let fx = press(&mut a, &[Yellow]);
    assert_eq!(
        fx,
        vec![Effect::Remind(RemindEffect::Snooze {
            id: OccurrenceId(2),
            until: tokyo(2026, 11, 25, 16, 48)
        })]
    );
    assert!(a.overlay().is_none());
    // Ten minutes later it is back, with a chime.
    a.handle(Event::Remind(RemindEvent::Due(vec![])));
    assert_eq!(
        a.handle(Event::Remind(RemindEvent::Due(vec![due(2, "水分をとる")]))),
        vec![Effect::PlayChime]
    );
}

#[test]
fn a_held_ok_on_the_overlay_answers_only_one_reminder() {
    let mut a = app();
    a.handle(Event::Remind(RemindEvent::Due(vec![
        due(1, "お薬を飲む"),
        due(2, "水分をとる"),
    ])));
    // The input layer drops repeats of 決定, so a held key is one Ok: one answered.
    let fx = press(&mut a, &[Ok]);
    assert_eq!(
        fx.iter()
            .filter(|e| matches!(e, Effect::Remind(RemindEffect::Done(_))))
            .count(),
        1
    );
    assert_eq!(a.overlay().unwrap().id, OccurrenceId(2));
}

#[test]
fn help_and_errors_close_with_any_key() {
    let mut a = app();
    press(&mut a, &[Blue]);
    assert_eq!(a.dialog, Some(Dialog::Help));
    press(&mut a, &[Right]);
    assert!(a.dialog.is_none());
    assert_eq!(
        a.page().focus,
        0,
        "the closing key is not applied to the page"
    );
    a.handle(Event::Failed(ErrorKind::Storage));
    assert_eq!(a.dialog, Some(Dialog::Error(ErrorKind::Storage)));
    press(&mut a, &[Ok]);
    assert!(a.dialog.is_none());
    assert_eq!(a.page().screen, Screen::Home);
}

#[test]
fn text_size_setting() {
    let mut a = app();
    let fx = press(&mut a, &[Digit(4), Right]);
    assert_eq!(fx, vec![Effect::SaveTextSize(TextSize::Large)]);
    assert_eq!(a.text_size, TextSize::Large);
    press(&mut a, &[Ok]);
    assert_eq!(a.text_size, TextSize::Standard);
}

#[test]
fn every_key_counts_as_activity() {
    let mut a = app();
    a.handle(Event::Remind(RemindEvent::Due(vec![due(1, "お薬を飲む")])));
    assert!(a.handle(Event::Key(Down)).contains(&Effect::Activity));
    assert!(
        !a.handle(Event::Tick(tokyo(2026, 11, 25, 17, 0)))
            .contains(&Effect::Activity)
    );
}

#[test]
fn a_key_storm_never_panics_and_keeps_state_consistent() {
    let mut a = app();
    a.handle(Event::Remind(RemindEvent::List(
        (1..=7)
            .map(|i| reminder(i, "お薬を飲む", 8, Repeat::Daily))
            .collect(),
    )));
    let keys = [
        Up,
        Down,
        Left,
        Right,
        Ok,
        Back,
        Home,
        Digit(3),
        Digit(1),
        Digit(1),
        Blue,
        Red,
        Green,
        Yellow,
        Digit(12),
        ChannelUp,
        Info,
    ];
    // A deterministic pseudo-random storm of 20,000 presses.
    let mut x: u32 = 12345;
    for _ in 0..20_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        a.handle(Event::Key(keys[(x >> 16) as usize % keys.len()]));
        assert!(a.depth() >= 1 && a.depth() <= 4);
        assert_eq!(a.stack[0].screen, Screen::Home);
    }
}

#[test]
fn an_unpaired_box_shows_its_code_until_connected() {
    let mut a = app();
    a.handle(Event::PairingOffline);
    assert!(a.pairing.as_ref().unwrap().offline);
    a.handle(Event::PairingCode {
        user_code: "4K7-P2Q".into(),
    });
    assert_eq!(
        a.pairing.as_ref().unwrap().user_code.as_deref(),
        Some("4K7-P2Q")
    );
    // Only help answers while waiting; reminders still come through.
    assert!(press(&mut a, &[Digit(3), Digit(1), Ok, Right]).is_empty());
    assert_eq!(a.page().screen, Screen::Home);
    press(&mut a, &[Blue]);
    assert_eq!(a.dialog, Some(Dialog::Help));
    press(&mut a, &[Ok]);
    assert_eq!(
        a.handle(Event::Remind(RemindEvent::Due(vec![due(1, "お薬を飲む")]))),
        vec![Effect::PlayChime]
    );
    press(&mut a, &[Ok]);
    a.handle(Event::Connected);
    assert!(a.pairing.is_none() && a.connected);
    press(&mut a, &[Digit(3), Digit(1)]);
    assert_eq!(a.page().screen, Screen::Remind(RemindScreen::List));
}
