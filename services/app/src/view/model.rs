//! App state → a `Frame`: titles, legends, rows, overlays, all as finished text.
//! Japanese is the default; English exists for developers.

use engawa_core::{TOKYO, jp};

pub use super::frame::{
    AlertView, BannerView, BoxInfo, DayView, DialogView, FieldKind, FieldView, Frame, Hint,
    ItemView, KeyColour, Lang, OverlayView, PageKind, Row, SummaryView, Tile, time_text,
};
use super::frame::{back_hint, help_hint, hint, ok_hint, phone_text, t};
use crate::remind::view::{reminder_card, schedule_text};
use crate::watch::view::safety_check;
use crate::{App, Dialog, Overlay, Pairing, Screen, TextSize};

pub fn frame(app: &App, info: &BoxInfo, l: Lang) -> Frame {
    let local = app.now.with_timezone(&TOKYO);
    let mut f = Frame {
        clock: match l {
            Lang::Ja => jp::date_time_ja(local.date_naive(), local.time()),
            Lang::En => format!(
                "{}  {}",
                jp::date_en(local.date_naive()),
                jp::time_en(local.time())
            ),
        },
        focus: app.page().focus,
        scale: match app.text_size {
            TextSize::Standard => 1.0,
            TextSize::Large => 1.2,
        },
        ..Frame::default()
    };
    match &app.pairing {
        Some(p) => pairing(&mut f, p, info, l),
        None => page(&mut f, app, info, l),
    }
    f.dialog = app.dialog.as_ref().map(|d| dialog(d, app, info, l));
    f.overlay = match app.top_overlay() {
        Some(Overlay::Alert(a)) => {
            f.alert = Some(crate::disaster::view::card(
                a,
                app.text_size == TextSize::Large,
                l,
            ));
            None
        }
        Some(Overlay::SafetyCheck) => Some(safety_check(l)),
        Some(Overlay::Reminder(o)) => Some(reminder_card(o, l)),
        Some(Overlay::RideSoon(b)) => Some(crate::ride::view::soon_card(b, l)),
        None => None,
    };
    f
}

fn page(f: &mut Frame, app: &App, info: &BoxInfo, l: Lang) {
    match &app.page().screen {
        Screen::Shop(s) if crate::shop::view::page(f, app, s, info, l) => {}
        Screen::Ride(s) => crate::ride::view::page(f, app, s, info, l),
        Screen::Home => {
            home(f, l);
            if let Some(a) = &app.alert {
                // 青 shows the alert again here, not the help.
                let banner = crate::disaster::view::banner(a, l);
                for h in f.hints.iter_mut().filter(|h| h.colour == KeyColour::Blue) {
                    *h = banner.hint.clone();
                }
                f.banner = Some(banner);
            }
        }
        Screen::Watch(w) => crate::watch::view::page(f, app, w, l),
        Screen::Remind(r) => crate::remind::view::page(f, app, r, l),
        Screen::Settings => settings(f, app, info, l),
        // An order no longer listed.
        Screen::Shop(_) => home(f, l),
    }
}

/// A new box: the code the operator types into the console, and whom to call.
fn pairing(f: &mut Frame, p: &Pairing, info: &BoxInfo, l: Lang) {
    f.page = Some(PageKind::Notice);
    f.title = t(l, "はじめの せってい", "First-time setup");
    f.notice_heading = match (&p.user_code, l) {
        (Some(code), Lang::Ja) => format!("せつぞくコード　{code}"),
        (Some(code), Lang::En) => format!("Pairing code  {code}"),
        (None, _) => t(l, "センターに つないでいます…", "Contacting the head-end…"),
    };
    let ask = match p.user_code {
        Some(_) => t(
            l,
            "センターに お電話して、この コードと 機械の番号を お伝えください。",
            "Call the operator and give this code and the serial.",
        ),
        None => t(
            l,
            "センターに つながると、ここに せつぞくコードが 出ます。",
            "The pairing code appears here once the head-end answers.",
        ),
    };
    let mut body = match l {
        Lang::Ja => format!("{ask}\n機械の番号　{}", info.serial),
        Lang::En => format!("{ask}\nSerial  {}", info.serial),
    };
    if p.offline {
        body.push('\n');
        body.push_str(&t(
            l,
            "いま センターに つながりません。このまま お待ちください。",
            "The head-end cannot be reached; retrying.",
        ));
    }
    f.notice_body = body;
    f.notice_phone = format!(
        "{}  {}",
        info.operator_name,
        phone_text(l, &info.operator_phone)
    );
    f.hints = vec![help_hint(l)];
}

fn home(f: &mut Frame, l: Lang) {
    f.page = Some(PageKind::Home);
    f.title = t(l, "ホーム", "Home");
    f.tiles = vec![
        Tile {
            number: "1".into(),
            label: t(l, "買い物", "Shopping"),
            caption: t(l, "お店の品を 注文", "order from local shops"),
        },
        Tile {
            number: "2".into(),
            label: t(l, "タクシー", "Taxi"),
            caption: t(l, "のりあいタクシー", "shared taxi"),
        },
        Tile {
            number: "3".into(),
            label: t(l, "安心", "Peace of mind"),
            caption: t(l, "見守り・リマインド", "watch-over, reminders"),
        },
    ];
    f.settings_label = t(l, "せってい", "Settings");
    f.hints = vec![
        ok_hint(l, ("ひらく", "open")),
        hint(
            KeyColour::Plain,
            "1〜4".into(),
            t(l, "番号で えらぶ", "pick by number"),
        ),
        help_hint(l),
    ];
}

fn settings(f: &mut Frame, app: &App, info: &BoxInfo, l: Lang) {
    f.page = Some(PageKind::Settings);
    f.title = t(l, "せってい", "Settings");
    f.fields = vec![FieldView {
        label: t(l, "文字の大きさ", "Text size"),
        value: match app.text_size {
            TextSize::Standard => t(l, "標準", "standard"),
            TextSize::Large => t(l, "大きい", "large"),
        },
        kind: FieldKind::Value,
    }];
    f.info = vec![
        (t(l, "お問い合わせ", "Operator"), info.operator_name.clone()),
        (t(l, "電話", "Phone"), info.operator_phone.clone()),
        (t(l, "機械の番号", "Serial"), info.serial.clone()),
        (t(l, "ソフトの版", "Version"), info.version.clone()),
        (
            t(l, "センターとの接続", "Head-end"),
            if info.connected || app.connected {
                t(l, "つながっています", "connected")
            } else {
                t(l, "まだ つながっていません", "not connected yet")
            },
        ),
    ];
    f.hints = vec![
        hint(KeyColour::Plain, "◀▶".into(), t(l, "かえる", "change")),
        back_hint(l),
        help_hint(l),
    ];
}

fn dialog(d: &Dialog, app: &App, info: &BoxInfo, l: Lang) -> DialogView {
    let any_key = vec![hint(
        KeyColour::Plain,
        t(l, "どのボタンでも", "Any key"),
        t(l, "とじる", "close"),
    )];
    match d {
        Dialog::DeleteReminder(id) => {
            let what = app
                .reminders
                .iter()
                .find(|r| r.id == *id)
                .map(|r| {
                    format!(
                        "「{}」 {}",
                        r.phrase.as_str(),
                        schedule_text(l, &r.schedule)
                    )
                })
                .unwrap_or_default();
            DialogView {
                title: t(l, "このリマインドを けしますか？", "Delete this reminder?"),
                body: what,
                hints: vec![
                    ok_hint(l, ("はい、けす", "yes, delete")),
                    hint(KeyColour::Plain, t(l, "戻る", "Back"), t(l, "いいえ", "no")),
                ],
            }
        }
        Dialog::DiscardDraft => DialogView {
            title: t(
                l,
                "かえたところを ほぞんしないで もどりますか？",
                "Leave without saving?",
            ),
            body: t(
                l,
                "ほぞんするときは 戻るを押して、緑を押してください。",
                "To keep the changes press Back, then Green.",
            ),
            hints: vec![
                ok_hint(l, ("はい、もどる", "yes, leave")),
                hint(KeyColour::Plain, t(l, "戻る", "Back"), t(l, "いいえ", "no")),
            ],
        },
        Dialog::Help => DialogView {
            title: t(l, "せつめい", "Help"),
            body: help_text(app, info, l),
            hints: any_key,
        },
        Dialog::Error(kind) => DialogView {
            title: t(l, "もうしわけ ありません", "Sorry"),
            body: match l {
                Lang::Ja => format!(
                    "{}\n（{} 電話 {}）",
                    kind.message_ja(),
                    info.operator_name,
                    info.operator_phone
                ),
                Lang::En => format!(
                    "Something went wrong ({kind:?}). Call {}.",
                    info.operator_phone
                ),
            },
            hints: any_key,
        },
        Dialog::RemoveFromCart(id) => crate::shop::view::remove_dialog(app, *id, l),
        Dialog::CancelOrder(id) => crate::shop::view::cancel_dialog(app, *id, l),
        Dialog::Shop(n) => crate::shop::view::notice_dialog(n, app, info, l),
        Dialog::CancelRide(id) => crate::ride::view::cancel_dialog(app, *id, l),
        Dialog::Ride(n) => crate::ride::view::notice_dialog(n, info, l),
        Dialog::WelcomeBack => DialogView {
            title: t(l, "おかえりなさい", "Welcome back"),
            body: t(
                l,
                "留守の あいだ、おつかれさまでした。\nまた 見守りを はじめます。",
                "Watch-over is on again.",
            ),
            hints: any_key,
        },
    }
}

fn help_text(app: &App, info: &BoxInfo, l: Lang) -> String {
    let screen = &app.page().screen;
    let body = match (screen, l) {
        (Screen::Shop(s), Lang::Ja) => crate::shop::view::help(s),
        (Screen::Ride(s), Lang::Ja) => crate::ride::view::help(s),
        (Screen::Home, Lang::Ja) => {
            "矢印で えらんで 決定を押します。番号の ボタンでも えらべます。\n戻るを押すと ひとつ前に もどります。"
        }
        (Screen::Remind(r), Lang::Ja) => crate::remind::view::help(r),
        (Screen::Settings, Lang::Ja) => "◀▶で 文字の大きさを かえます。",
        (Screen::Watch(w), Lang::Ja) => crate::watch::view::help(w),
        (_, Lang::En) => {
            "Arrows move, OK opens, Back goes one step back, Home returns to the start."
        }
    };
    match l {
        Lang::Ja => format!(
            "{body}\nわからないときは {} {}",
            info.operator_name,
            phone_text(l, &info.operator_phone)
        ),
        Lang::En => format!("{body}\nOperator: {}", info.operator_phone),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remind::RemindEvent;
    use crate::{Event, Key};
    use chrono::{NaiveTime, Weekday};
    use engawa_core::clock::tokyo;
    use engawa_remind::{Reminder, Repeat, Schedule, WeekdaySet};

    fn info() -> BoxInfo {
        BoxInfo {
            serial: "EGW-0001".into(),
            operator_name: "みどり町ケーブルテレビ".into(),
            operator_phone: "0265-00-0000".into(),
            version: "0.1.0".into(),
            connected: false,
        }
    }

    fn keys(app: &mut App, ks: &[Key]) {
        for k in ks {
            app.handle(Event::Key(*k));
        }
    }

    #[test]
    fn home_frame_reads_as_specified() {
        let app = App::new(tokyo(2026, 11, 25, 16, 38));
        let f = frame(&app, &info(), Lang::Ja);
        assert_eq!(f.clock, "11月25日(水)　午後4:38");
        assert_eq!(
            f.tiles
                .iter()
                .map(|t| format!("{} {}", t.number, t.label))
                .collect::<Vec<_>>(),
            ["1 買い物", "2 タクシー", "3 安心"]
        );
        assert!(f.hints.iter().any(|h| h.key == "決定"));
    }

    #[test]
    fn service_pages_are_honest_and_give_the_phone_number() {
        let mut app = App::new(tokyo(2026, 11, 25, 16, 38));
        keys(&mut app, &[Key::Digit(1)]);
        let f = frame(&app, &info(), Lang::Ja);
        assert_eq!(f.title, "買い物");
        assert!(f.notice_heading.contains("まだ つながっていません"));
        assert!(f.notice_phone.contains("0265-00-0000"));
    }

    #[test]
    fn a_reminder_family_set_says_so_on_its_card() {
        let at = tokyo(2026, 11, 25, 9, 0);
        let mut app = App::new(at);
        let occurrence = |from_family| engawa_remind::DueOccurrence {
            id: engawa_core::OccurrenceId(1),
            reminder_id: engawa_core::ReminderId(1),
            phrase: "お薬を飲む".into(),
            due_at: at,
            show_at: at,
            late: false,
            from_family,
        };
        app.handle(Event::Remind(RemindEvent::Due(vec![occurrence(true)])));
        let card = frame(&app, &info(), Lang::Ja).overlay.unwrap();
        assert_eq!(card.label, "家族からの リマインド");
        assert_eq!(card.text, "お薬を飲む");
        app.handle(Event::Remind(RemindEvent::Due(vec![occurrence(false)])));
        assert_eq!(
            frame(&app, &info(), Lang::Ja).overlay.unwrap().label,
            "リマインド"
        );
    }

    #[test]
    fn schedule_words() {
        use chrono::NaiveDate;
        let at = |repeat| Schedule {
            time: NaiveTime::from_hms_opt(7, 30, 0).unwrap(),
            repeat,
        };
        let table = [
            (Repeat::Daily, "毎日 午前7:30"),
            (
                Repeat::Weekly(WeekdaySet::from_days(&[Weekday::Tue, Weekday::Fri])),
                "毎週 火・金 午前7:30",
            ),
            (Repeat::Monthly(31), "毎月31日 午前7:30"),
            (
                Repeat::Once(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()),
                "12月3日(木) 午前7:30",
            ),
        ];
        for (r, want) in table {
            assert_eq!(schedule_text(Lang::Ja, &at(r)), want);
        }
    }

    #[test]
    fn list_shows_page_of_pages_and_titles_where_you_are() {
        let mut app = App::new(tokyo(2026, 11, 25, 16, 38));
        let r = |i| Reminder {
            id: engawa_core::ReminderId(i),
            phrase: engawa_remind::Phrase::parse("水分をとる").unwrap(),
            schedule: Schedule {
                time: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
                repeat: Repeat::Daily,
            },
            from_family: false,
        };
        app.handle(Event::Remind(RemindEvent::List((1..=6).map(r).collect())));
        keys(&mut app, &[Key::Digit(3), Key::Digit(1)]);
        let f = frame(&app, &info(), Lang::Ja);
        assert_eq!(f.title, "安心 ＞ リマインド");
        assert_eq!(f.rows.len(), 5);
        assert_eq!(f.page_label, "1/2 ページ");
        keys(&mut app, &[Key::Right]);
        let f = frame(&app, &info(), Lang::Ja);
        assert_eq!(
            (f.rows.len(), f.focus, f.page_label.as_str()),
            (2, 0, "2/2 ページ")
        );
    }

    #[test]
    fn english_has_no_japanese_titles() {
        let app = App::new(tokyo(2026, 11, 25, 16, 38));
        let f = frame(&app, &info(), Lang::En);
        assert_eq!(f.title, "Home");
        assert_eq!(f.tiles[0].label, "Shopping");
    }
}
