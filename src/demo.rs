//! Demo data and named scenes: the reminders a demo box starts with, and the
//! screens `engawa screenshot` can draw, each reached by real key presses through
//! the app core at a fixed time (11月25日(水) 午後4:38).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use engawa_core::clock::tokyo;
use engawa_core::{ErrorKind, OccurrenceId, ReminderId};
use engawa_remind::{DueOccurrence, Phrase, Reminder, Repeat, Schedule, WeekdaySet};

use crate::app::{App, Event, Key, TextSize};
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

fn demo_list() -> Vec<Reminder> {
    let today = scene_time().with_timezone(&engawa_core::TOKYO).date_naive();
    let mut list: Vec<Reminder> = reminders(today)
        .into_iter()
        .enumerate()
        .map(|(i, (phrase, schedule))| Reminder {
            id: ReminderId(i as i64 + 1),
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
    ("pairing", "a new box showing its pairing code"),
    (
        "pairing-offline",
        "a new box that cannot reach the head-end",
    ),
];

/// Build the app state for a scene, by key presses.
pub fn scene(name: &str) -> Option<App> {
    use Key::*;
    let mut app = App::new(scene_time());
    app.handle(Event::Reminders(demo_list()));
    let keys: &[Key] = match name {
        "home" | "overlay-reminder" => &[],
        "home-large" => &[Digit(4), Right, Back, Right],
        "shop" => &[Digit(1)],
        "ride" => &[Digit(2)],
        "remind" => &[Digit(3), Down],
        "remind-page2" => &[Digit(3), Right],
        "remind-edit" => &[Digit(3), Digit(2), Down],
        "remind-new-weekly" => &[
            Digit(3),
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
        "remind-error" => &[Digit(3), Ok, Down, Down, Down, Right, Green],
        "remind-delete" => &[Digit(3), Down, Down, Red],
        "settings" => &[Digit(4)],
        "settings-large" => &[Digit(4), Right],
        "help" => &[Blue],
        "error" => &[Digit(3)],
        "overlay-late" => &[Digit(3)],
        "pairing" | "pairing-offline" => &[],
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
            app.handle(Event::Due(vec![due(false)]));
        }
        "overlay-late" => {
            app.handle(Event::Due(vec![due(true)]));
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
        _ => {}
    }
    if name.ends_with("-large") {
        app.handle(Event::TextSize(TextSize::Large));
    }
    Some(app)
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
