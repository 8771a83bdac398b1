//! App state → a `Frame`: titles, legends, rows, overlays, all as finished text.
//! Japanese is the default; English exists for developers.

use chrono::{NaiveTime, Weekday};
use engawa_core::{TOKYO, jp};
use engawa_remind::{DueOccurrence, Reminder, Repeat, Schedule, WeekdaySet};

pub use super::frame::{
    BoxInfo, DayView, DialogView, FieldKind, FieldView, Frame, Hint, ItemView, KeyColour, Lang,
    OverlayView, PageKind, Row, SummaryView, Tile, time_text,
};
use super::frame::{back_hint, help_hint, hint, ok_hint, phone_text, t};
use crate::remind::{Draft, DraftError, Field, RepeatKind};
use crate::{App, Dialog, Overlay, Pairing, ROWS_PER_PAGE, Screen, TextSize};

fn weekday_label(l: Lang, w: Weekday) -> String {
    match l {
        Lang::Ja => jp::weekday_ja(w).to_string(),
        Lang::En => w.to_string(),
    }
}

/// 「毎日 午前8:00」「毎週 火・金 午前7:30」「毎月31日 午前9:30」「12月3日(木) 午前10:00」
/// (`Schedule::words_ja`; the developers' English here).
pub fn schedule_text(l: Lang, s: &Schedule) -> String {
    if l == Lang::Ja {
        return s.words_ja();
    }
    let when = match s.repeat {
        Repeat::Once(d) => jp::date_en(d),
        Repeat::Daily => "daily".to_string(),
        Repeat::Weekly(set) => weekdays_text(l, set),
        Repeat::Monthly(day) => format!("monthly on day {day}"),
    };
    format!("{when} {}", time_text(l, s.time))
}

fn weekdays_text(l: Lang, set: WeekdaySet) -> String {
    if l == Lang::Ja {
        return set.words_ja();
    }
    let days: Vec<String> = (0..7u8)
        .filter_map(|i| Weekday::try_from(i).ok())
        .filter(|w| set.contains(*w))
        .map(|w| weekday_label(l, w))
        .collect();
    format!("every {}", days.join(", "))
}

fn repeat_kind_text(l: Lang, k: RepeatKind) -> String {
    match k {
        RepeatKind::Once => t(l, "1回だけ", "once"),
        RepeatKind::Daily => t(l, "毎日", "every day"),
        RepeatKind::Weekly => t(l, "曜日をえらぶ", "on weekdays"),
        RepeatKind::Monthly => t(l, "毎月", "every month"),
    }
}

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
    f.dialog = app
        .dialog
        .as_ref()
        .map(|d| super::ride::dialog(d, app, info, l).unwrap_or_else(|| dialog(d, app, info, l)));
    f.overlay = app.top_overlay().map(|o| match o {
        Overlay::SafetyCheck => safety_check(l),
        Overlay::Reminder(o) => reminder_card(o, l),
        Overlay::RideSoon(b) => super::ride::soon_card(b, l),
    });
    f
}

/// 「お元気ですか？」
fn safety_check(l: Lang) -> OverlayView {
    OverlayView {
        label: t(l, "見守り", "Watch-over"),
        time: String::new(),
        text: t(l, "お元気ですか？", "Are you all right?"),
        note: t(
            l,
            "決定ボタンを おしてください（どのボタンでも だいじょうぶです）",
            "Press OK (any key will do)",
        ),
        hints: vec![hint(
            KeyColour::Plain,
            t(l, "どのボタンでも", "Any key"),
            t(l, "こたえる", "answer"),
        )],
    }
}

/// A reminder card: its time, its words, 決定 and 黄.
fn reminder_card(o: &DueOccurrence, l: Lang) -> OverlayView {
    let due = o.due_at.with_timezone(&TOKYO);
    OverlayView {
        label: if o.from_family {
            t(l, "家族からの リマインド", "Reminder from family")
        } else {
            t(l, "リマインド", "Reminder")
        },
        time: time_text(l, due.time()),
        text: o.phrase.clone(),
        note: if o.late {
            match l {
                Lang::Ja => format!(
                    "おくれて お知らせします（{} {} の分）",
                    jp::date_ja(due.date_naive()),
                    jp::time_ja(due.time())
                ),
                Lang::En => "Late: this was due while the box was off".into(),
            }
        } else {
            String::new()
        },
        hints: vec![
            ok_hint(l, ("できた", "done")),
            hint(
                KeyColour::Yellow,
                t(l, "黄", "Yellow"),
                t(l, "10分後に もう一度", "again in 10 min"),
            ),
        ],
    }
}

fn page(f: &mut Frame, app: &App, info: &BoxInfo, l: Lang) {
    if super::shop::page(f, app, info, l) || super::ride::page(f, app, info, l) {
        return;
    }
    match &app.page().screen {
        Screen::Home => home(f, l),
        Screen::Safety => safety(f, app, l),
        Screen::Away(choice) => away(f, app, *choice, l),
        Screen::WatchInfo => watch_info(f, app, l),
        Screen::RemindList => remind_list(f, app, l),
        Screen::RemindEdit(d) => remind_edit(f, d, l),
        Screen::Settings => settings(f, app, info, l),
        // Drawn by view::shop; an order no longer listed shows the shop home.
        _ => home(f, l),
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

fn when_text(l: Lang, t: chrono::DateTime<chrono::Utc>) -> String {
    let local = t.with_timezone(&TOKYO);
    match l {
        Lang::Ja => jp::date_time_ja(local.date_naive(), local.time()),
        Lang::En => format!(
            "{} {}",
            jp::date_en(local.date_naive()),
            jp::time_en(local.time())
        ),
    }
}

/// 安心: the reminders and 留守にします.
fn safety(f: &mut Frame, app: &App, l: Lang) {
    f.page = Some(PageKind::List);
    f.title = t(l, "安心", "Peace of mind");
    f.focus = app.page().focus;
    f.rows = vec![
        Row {
            number: "1".into(),
            text: t(l, "リマインド", "Reminders"),
            detail: match l {
                Lang::Ja => format!("{}件", app.reminders.len()),
                Lang::En => format!("{}", app.reminders.len()),
            },
        },
        match app.away_until {
            None => Row {
                number: "2".into(),
                text: t(l, "留守にします", "I will be away"),
                detail: t(l, "いまは 見守り中", "watching now"),
            },
            Some(until) => Row {
                number: "2".into(),
                text: t(l, "留守を やめる（もどりました）", "I am back"),
                detail: match l {
                    Lang::Ja => format!("{}まで 留守", when_text(l, until)),
                    Lang::En => format!("away until {}", when_text(l, until)),
                },
            },
        },
        Row {
            number: "3".into(),
            text: t(l, "だれに 知らせるか", "Who is told"),
            detail: match l {
                Lang::Ja => format!("{}人", app.watch_info.contacts.len()),
                Lang::En => format!("{}", app.watch_info.contacts.len()),
            },
        },
    ];
    f.list_note = t(
        l,
        "リモコンを しばらく さわらないと、画面で おたずねし、ご家族に お知らせします。",
        "If the remote is not touched for a long time, the TV asks, then family is told.",
    );
    f.hints = vec![ok_hint(l, ("ひらく", "open")), back_hint(l), help_hint(l)];
}

/// 「6時間」「1時間30分」
fn duration_words(l: Lang, minutes: i64) -> String {
    match l {
        Lang::Ja => jp::duration_ja(minutes),
        Lang::En => format!("{} h {:02} min", minutes / 60, minutes % 60),
    }
}

/// 「だれに 知らせるか」: the contacts in order, and the rule in force.
fn watch_info(f: &mut Frame, app: &App, l: Lang) {
    let w = &app.watch_info;
    f.page = Some(PageKind::List);
    f.title = t(
        l,
        "安心 ＞ だれに 知らせるか",
        "Peace of mind > Who is told",
    );
    f.focus = app.page().focus;
    f.rows = w
        .contacts
        .iter()
        .enumerate()
        .map(|(i, name)| Row {
            number: (i + 1).to_string(),
            text: match l {
                Lang::Ja => format!("{name} さん"),
                Lang::En => name.clone(),
            },
            detail: match (l, i) {
                (Lang::Ja, 0) => "はじめに 知らせます".into(),
                (Lang::Ja, _) => "つづけて 知らせます".into(),
                (Lang::En, 0) => "told first".into(),
                (Lang::En, _) => "told next".into(),
            },
        })
        .collect();
    let rule = duration_words(l, w.threshold_min.max(1));
    f.list_note = match (l, w.contacts.is_empty(), w.adaptive) {
        (Lang::Ja, true, _) => {
            "まだ だれも 登録されていません。ケーブルテレビ局に ご相談ください。".into()
        }
        (Lang::Ja, false, true) => format!(
            "ふだんの 様子から いまは {rule}: 操作が ないと おたずねし、返事が なければ 知らせます。"
        ),
        (Lang::Ja, false, false) => format!(
            "{rule} リモコンの 操作が ないときに 画面で おたずねし、返事が なければ 知らせます。"
        ),
        (Lang::En, true, _) => "Nobody is registered yet. Ask the cable TV office.".into(),
        (Lang::En, false, _) => {
            format!("After {rule} without a key press the TV asks; with no answer they are told.")
        }
    };
    f.hints = vec![back_hint(l), help_hint(l)];
}

fn away(f: &mut Frame, app: &App, choice: usize, l: Lang) {
    use crate::AWAY_DAYS;
    f.page = Some(PageKind::Settings);
    f.title = t(l, "安心 ＞ 留守にします", "Peace of mind > Away");
    let days = AWAY_DAYS[choice.min(AWAY_DAYS.len() - 1)];
    f.fields = vec![FieldView {
        label: t(l, "留守にする 日数", "Away for"),
        value: match (days, l) {
            (7, Lang::Ja) => "1週間".into(),
            (14, Lang::Ja) => "2週間".into(),
            (d, Lang::Ja) => format!("{d}日"),
            (d, Lang::En) => format!("{d} days"),
        },
        kind: FieldKind::Value,
    }];
    let until = app.now + chrono::Duration::days(days);
    f.info = vec![(
        t(l, "見守りに もどる日", "Watching again"),
        when_text(l, until),
    )];
    f.info.push((
        String::new(),
        if days > 3 {
            t(
                l,
                "3日より 長いので、ご家族にも お知らせします。",
                "Family is told (over 3 days).",
            )
        } else {
            t(
                l,
                "その日に 自動で 見守りに もどります。",
                "Watch-over resumes by itself.",
            )
        },
    ));
    f.hints = vec![
        hint(KeyColour::Plain, "◀▶".into(), t(l, "かえる", "change")),
        hint(KeyColour::Green, t(l, "緑", "Green"), t(l, "決める", "set")),
        back_hint(l),
    ];
}

fn remind_list(f: &mut Frame, app: &App, l: Lang) {
    f.page = Some(PageKind::List);
    f.title = t(l, "安心 ＞ リマインド", "Peace of mind > Reminders");
    let focus = app.page().focus;
    let n = app.list_len();
    let start = focus / ROWS_PER_PAGE * ROWS_PER_PAGE;
    let pages = n.div_ceil(ROWS_PER_PAGE);
    f.focus = focus - start;
    f.rows = (start..n.min(start + ROWS_PER_PAGE))
        .map(|i| {
            let number = (i - start + 1).to_string();
            match i {
                0 => Row {
                    number,
                    text: t(l, "＋ あたらしく つくる", "+ New reminder"),
                    detail: String::new(),
                },
                i => {
                    let r = &app.reminders[i - 1];
                    Row {
                        number,
                        text: r.phrase.as_str().to_string(),
                        detail: reminder_detail(l, r, app),
                    }
                }
            }
        })
        .collect();
    if pages > 1 {
        f.page_label = match l {
            Lang::Ja => format!("{}/{} ページ", start / ROWS_PER_PAGE + 1, pages),
            Lang::En => format!("page {}/{}", start / ROWS_PER_PAGE + 1, pages),
        };
    }
    if app.reminders.is_empty() {
        f.list_note = t(
            l,
            "まだ リマインドは ありません。決定で つくれます。",
            "No reminders yet. Press OK to make one.",
        );
    }
    f.hints = vec![ok_hint(l, ("ひらく", "open")), back_hint(l)];
    if pages > 1 {
        f.hints
            .push(hint(KeyColour::Plain, "◀▶".into(), t(l, "ページ", "page")));
    }
    if focus > 0 {
        f.hints.push(hint(
            KeyColour::Red,
            t(l, "赤", "Red"),
            t(l, "けす", "delete"),
        ));
    }
    f.hints.push(help_hint(l));
}

fn reminder_detail(l: Lang, r: &Reminder, app: &App) -> String {
    let mut detail = schedule_text(l, &r.schedule);
    if let Repeat::Once(_) = r.schedule.repeat
        && r.schedule.next_after(app.now).is_none()
    {
        detail.push_str(t(l, "（おわり）", " (past)").as_str());
    }
    if r.from_family {
        detail.push_str(t(l, "（家族から）", " (from family)").as_str());
    }
    detail
}

fn remind_edit(f: &mut Frame, d: &Draft, l: Lang) {
    f.page = Some(PageKind::Form);
    f.title = match (d.id, l) {
        (None, Lang::Ja) => "リマインド ＞ あたらしく つくる".into(),
        (Some(_), Lang::Ja) => "リマインド ＞ かえる".into(),
        (None, Lang::En) => "Reminders > New".into(),
        (Some(_), Lang::En) => "Reminders > Change".into(),
    };
    f.focus = d.focus;
    let value = |label: String, value: String| FieldView {
        label,
        value,
        kind: FieldKind::Value,
    };
    f.fields = d
        .fields()
        .into_iter()
        .map(|field| match field {
            Field::Phrase => value(t(l, "なにを", "What"), d.phrase_text().to_string()),
            Field::Hour => value(t(l, "なん時", "Hour"), hour_text(l, d.hour)),
            Field::Minute => value(
                t(l, "なん分", "Minute"),
                format!("{:02}{}", d.minute, t(l, "分", " min")),
            ),
            Field::Repeat => value(t(l, "くりかえし", "Repeat"), repeat_kind_text(l, d.kind)),
            Field::Date => value(
                t(l, "日にち", "Date"),
                match l {
                    Lang::Ja => jp::date_ja(d.date),
                    Lang::En => jp::date_en(d.date),
                },
            ),
            Field::Weekdays => FieldView {
                label: t(l, "曜日", "Weekdays"),
                value: weekdays_text(l, d.weekdays),
                kind: FieldKind::Weekdays,
            },
            Field::MonthDay => value(
                t(l, "毎月の日", "Day of month"),
                match l {
                    Lang::Ja if d.month_day >= 29 => format!("{}日（ない月は 月末）", d.month_day),
                    Lang::Ja => format!("{}日", d.month_day),
                    Lang::En => format!("day {}", d.month_day),
                },
            ),
            Field::Save => FieldView {
                label: String::new(),
                value: t(l, "✓ ほぞんする", "✓ Save"),
                kind: FieldKind::Button,
            },
        })
        .collect();
    f.days = (0..7u8)
        .filter_map(|i| Weekday::try_from(i).ok())
        .map(|w| DayView {
            label: weekday_label(l, w).chars().take(2).collect(),
            on: d.weekdays.contains(w),
            cursor: w.num_days_from_monday() == u32::from(d.weekday_cursor),
        })
        .collect();
    f.form_error = match d.error {
        None => String::new(),
        Some(DraftError::NoWeekday) => t(
            l,
            "曜日を ひとつ以上 えらんでください（決定で えらびます）",
            "Pick at least one weekday (OK toggles)",
        ),
        Some(DraftError::InPast) => t(
            l,
            "その時間は もう すぎています。時間か 日にちを かえてください",
            "That time has passed; change the time or date",
        ),
    };
    let mut hints = vec![hint(
        KeyColour::Plain,
        "◀▶".into(),
        t(l, "かえる", "change"),
    )];
    if d.focused() == Field::Weekdays {
        hints.push(ok_hint(l, ("曜日を えらぶ", "toggle day")));
    }
    hints.push(hint(
        KeyColour::Green,
        t(l, "緑", "Green"),
        t(l, "ほぞん", "save"),
    ));
    if d.id.is_some() {
        hints.push(hint(
            KeyColour::Red,
            t(l, "赤", "Red"),
            t(l, "けす", "delete"),
        ));
    }
    hints.push(back_hint(l));
    f.hints = hints;
}

fn hour_text(l: Lang, h: u32) -> String {
    match l {
        Lang::Ja => jp::minutes_spoken(i64::from(h) * 60),
        Lang::En => time_text(
            l,
            NaiveTime::from_hms_opt(h, 0, 0).unwrap_or(NaiveTime::MIN),
        ),
    }
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
        Dialog::RemoveFromCart(id) => super::shop::remove_dialog(app, *id, l),
        Dialog::CancelOrder(id) => super::shop::cancel_dialog(app, *id, l),
        Dialog::Shop(n) => super::shop::notice_dialog(n, app, info, l),
        // Drawn by view::ride.
        Dialog::CancelRide(_) | Dialog::Ride(_) => DialogView {
            title: String::new(),
            body: String::new(),
            hints: any_key.clone(),
        },
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
        (s, _) if super::shop::help(s, l).is_some() => super::shop::help(s, l).unwrap_or_default(),
        (s, _) if super::ride::help(s, l).is_some() => super::ride::help(s, l).unwrap_or_default(),
        (Screen::Home, Lang::Ja) => {
            "矢印で えらんで 決定を押します。番号の ボタンでも えらべます。\n戻るを押すと ひとつ前に もどります。"
        }
        (Screen::RemindList, Lang::Ja) => {
            "決定で ひらきます。「あたらしく つくる」で リマインドを ふやせます。\n赤で けせます（けす前に ききます）。"
        }
        (Screen::RemindEdit(_), Lang::Ja) => {
            "▲▼で 行をえらび、◀▶で かえます。\nできたら 緑を押すと ほぞんします。"
        }
        (Screen::Settings, Lang::Ja) => "◀▶で 文字の大きさを かえます。",
        (Screen::Safety, Lang::Ja) => {
            "1 で リマインド、2 で 留守の せってい、3 で 知らせる 人 です。\n留守のあいだは 見守りの おしらせを 止めます。"
        }
        (Screen::WatchInfo, Lang::Ja) => {
            "見守りで 知らせる 人と 決まりです。\n変えるときは ケーブルテレビ局に ご連絡ください。"
        }
        (Screen::Away(_), Lang::Ja) => "◀▶で 日数を えらび、緑で 決めます。",
        (_, Lang::Ja) => "戻るを押すと ひとつ前に もどります。",
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
    use crate::{Event, Key};
    use engawa_core::clock::tokyo;

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
        app.handle(Event::Due(vec![occurrence(true)]));
        let card = frame(&app, &info(), Lang::Ja).overlay.unwrap();
        assert_eq!(card.label, "家族からの リマインド");
        assert_eq!(card.text, "お薬を飲む");
        app.handle(Event::Due(vec![occurrence(false)]));
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
        app.handle(Event::Reminders((1..=6).map(r).collect()));
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
