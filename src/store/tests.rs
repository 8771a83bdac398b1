//! The store against real SQLite files in a temporary directory.

use super::*;
use chrono::Duration;
use engawa_core::clock::tokyo;

fn daily(h: u32) -> Schedule {
    Schedule {
        time: NaiveTime::from_hms_opt(h, 0, 0).unwrap(),
        repeat: Repeat::Daily,
    }
}

fn phrase(s: &str) -> Phrase {
    Phrase::parse(s).unwrap()
}

#[test]
fn reminders_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engawa.db");
    let t0 = tokyo(2026, 11, 25, 7, 0);
    {
        let mut s = Store::open(&path).unwrap();
        let monthly = Schedule {
            time: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            repeat: Repeat::Monthly(31),
        };
        s.save_reminder(None, &phrase("病院の日"), &monthly, t0)
            .unwrap();
        s.save_reminder(None, &phrase("お薬を飲む"), &daily(8), t0)
            .unwrap();
    }
    let s = Store::open(&path).unwrap();
    let list = s.reminders().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[0].phrase.as_str(),
        "お薬を飲む",
        "sorted by time of day"
    );
    assert_eq!(list[1].schedule.repeat, Repeat::Monthly(31));
}

#[test]
fn an_occurrence_is_recorded_once_and_answered_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engawa.db");
    let mut s = Store::open(&path).unwrap();
    let t0 = tokyo(2026, 11, 25, 7, 0);
    s.run_scheduler(t0).unwrap();
    let id = s
        .save_reminder(None, &phrase("お薬を飲む"), &daily(8), t0)
        .unwrap();
    assert!(
        s.run_scheduler(tokyo(2026, 11, 25, 7, 59))
            .unwrap()
            .is_empty()
    );
    let due = s.run_scheduler(tokyo(2026, 11, 25, 8, 0)).unwrap();
    assert_eq!(due.len(), 1);
    assert!(!due[0].late);
    // Reopen (a crash after the transaction): still exactly one, not duplicated.
    drop(s);
    let mut s = Store::open(&path).unwrap();
    let again = s
        .run_scheduler(tokyo(2026, 11, 25, 8, 0) + Duration::seconds(1))
        .unwrap();
    assert_eq!(again, due);
    s.mark_done(due[0].id, tokyo(2026, 11, 25, 8, 1)).unwrap();
    s.mark_done(due[0].id, tokyo(2026, 11, 25, 8, 2)).unwrap(); // idempotent
    assert!(
        s.run_scheduler(tokyo(2026, 11, 25, 8, 3))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.occurrence_states(id).unwrap(),
        vec![(tokyo(2026, 11, 25, 8, 0), OccurrenceState::Done)]
    );
}

#[test]
fn missed_while_off_is_shown_once_marked_late() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("engawa.db")).unwrap();
    let t0 = tokyo(2026, 11, 22, 20, 0);
    let id = s
        .save_reminder(None, &phrase("お薬を飲む"), &daily(8), t0)
        .unwrap();
    s.run_scheduler(t0).unwrap();
    // The box is off until 9:30 on the 25th.
    let due = s.run_scheduler(tokyo(2026, 11, 25, 9, 30)).unwrap();
    assert_eq!(due.len(), 1);
    assert!(due[0].late);
    assert_eq!(due[0].due_at, tokyo(2026, 11, 25, 8, 0));
    let states = s.occurrence_states(id).unwrap();
    assert_eq!(
        states.iter().map(|(_, st)| *st).collect::<Vec<_>>(),
        vec![
            OccurrenceState::Skipped,
            OccurrenceState::Skipped,
            OccurrenceState::Due
        ]
    );
}

#[test]
fn snoozed_comes_back_after_ten_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("engawa.db")).unwrap();
    let t0 = tokyo(2026, 11, 25, 7, 0);
    s.save_reminder(None, &phrase("水分をとる"), &daily(8), t0)
        .unwrap();
    s.run_scheduler(t0).unwrap();
    let due = s.run_scheduler(tokyo(2026, 11, 25, 8, 0)).unwrap();
    s.snooze(due[0].id, tokyo(2026, 11, 25, 8, 10)).unwrap();
    assert!(
        s.run_scheduler(tokyo(2026, 11, 25, 8, 9))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.run_scheduler(tokyo(2026, 11, 25, 8, 10)).unwrap()[0].id,
        due[0].id
    );
}

#[test]
fn an_unanswered_occurrence_is_replaced_by_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("engawa.db")).unwrap();
    let t0 = tokyo(2026, 11, 25, 7, 0);
    s.save_reminder(None, &phrase("水分をとる"), &daily(8), t0)
        .unwrap();
    s.run_scheduler(t0).unwrap();
    s.run_scheduler(tokyo(2026, 11, 25, 8, 0)).unwrap();
    let due = s.run_scheduler(tokyo(2026, 11, 26, 8, 0)).unwrap();
    assert_eq!(due.len(), 1, "one overlay per reminder");
    assert_eq!(due[0].due_at, tokyo(2026, 11, 26, 8, 0));
}

#[test]
fn editing_a_reminder_does_not_fire_for_times_before_the_edit() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("engawa.db")).unwrap();
    let t0 = tokyo(2026, 11, 25, 7, 0);
    let id = s
        .save_reminder(None, &phrase("水分をとる"), &daily(20), t0)
        .unwrap();
    s.run_scheduler(t0).unwrap();
    // At 12:00 the resident changes it to 10:00: 10:00 today has passed, no overlay.
    s.save_reminder(
        Some(id),
        &phrase("水分をとる"),
        &daily(10),
        tokyo(2026, 11, 25, 12, 0),
    )
    .unwrap();
    assert!(
        s.run_scheduler(tokyo(2026, 11, 25, 12, 0))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.run_scheduler(tokyo(2026, 11, 26, 10, 0)).unwrap().len(),
        1
    );
}

#[test]
fn deleting_removes_pending_occurrences() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("engawa.db")).unwrap();
    let t0 = tokyo(2026, 11, 25, 7, 0);
    let id = s
        .save_reminder(None, &phrase("水分をとる"), &daily(8), t0)
        .unwrap();
    s.run_scheduler(t0).unwrap();
    assert_eq!(s.run_scheduler(tokyo(2026, 11, 25, 8, 0)).unwrap().len(), 1);
    s.delete_reminder(id).unwrap();
    assert!(
        s.run_scheduler(tokyo(2026, 11, 25, 8, 1))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn settings_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engawa.db");
    Store::open(&path)
        .unwrap()
        .set_setting("text_size", "large")
        .unwrap();
    assert_eq!(
        Store::open(&path)
            .unwrap()
            .setting("text_size")
            .unwrap()
            .as_deref(),
        Some("large")
    );
}

#[test]
fn a_damaged_file_is_reported_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engawa.db");
    std::fs::write(
        &path,
        b"this is not a database, it is a shopping list: daikon, tofu, milk ....",
    )
    .unwrap();
    let err = Store::open(&path).err().expect("must fail");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("engawa.db"), "{err}");
    assert!(err.to_string().contains("damaged"), "{err}");
    // The file is left alone for the operator to inspect.
    assert!(std::fs::read(&path).unwrap().starts_with(b"this is not"));
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engawa.db");
    drop(Store::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Store::open(&path).err().expect("must fail");
    assert!(
        matches!(err, StoreError::TooNew { found: 99, .. }),
        "{err:?}"
    );
}

#[test]
fn a_locked_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engawa.db");
    drop(Store::open(&path).unwrap());
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder
        .execute_batch("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;")
        .unwrap();
    let err = Store::open(&path).err().expect("must fail");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(err.to_string().contains("locked"), "{err}");
}

#[test]
fn the_write_check_leaves_nothing_and_names_a_disk_that_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engawa.db");
    Store::check_writable(&path).unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // Something in the way of the probe stands for a disk that takes nothing
    // (the tests may run as root, for whom permissions refuse nothing).
    std::fs::create_dir(dir.path().join("engawa.db.write-check")).unwrap();
    let err = Store::check_writable(&path).expect_err("must fail");
    assert!(matches!(err, StoreError::NotWritable { .. }), "{err:?}");
    assert!(err.to_string().contains("engawa.db"), "{err}");
    assert!(err.to_string().contains("read-only or full"), "{err}");
}
