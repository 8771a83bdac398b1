//! Watch-over in words: 「お元気ですか？」, the settings page that says what
//! the family is told and when, and away mode.

use engawa_core::{TOKYO, jp};

use crate::App;
use crate::view::frame::{
    FieldKind, FieldView, Frame, KeyColour, Lang, OverlayView, PageKind, Row, back_hint, help_hint,
    hint, ok_hint, t,
};
use crate::watch::WatchScreen;

/// 「お元気ですか？」
pub(crate) fn safety_check(l: Lang) -> OverlayView {
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

pub(crate) fn when_text(l: Lang, t: chrono::DateTime<chrono::Utc>) -> String {
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
pub(crate) fn duration_words(l: Lang, minutes: i64) -> String {
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

/// The page of one of watch-over's screens.
pub fn page(f: &mut Frame, app: &App, w: &WatchScreen, l: Lang) {
    match w {
        WatchScreen::Menu => safety(f, app, l),
        WatchScreen::Away(choice) => away(f, app, *choice, l),
        WatchScreen::Info => watch_info(f, app, l),
    }
}

/// 青's text for one of watch-over's screens (in Japanese).
pub fn help(w: &WatchScreen) -> &'static str {
    match w {
        WatchScreen::Menu => {
            "1 で リマインド、2 で 留守の せってい、3 で 知らせる 人 です。\n留守のあいだは 見守りの おしらせを 止めます。"
        }
        WatchScreen::Info => {
            "見守りで 知らせる 人と 決まりです。\n変えるときは ケーブルテレビ局に ご連絡ください。"
        }
        WatchScreen::Away(_) => "◀▶で 日数を えらび、緑で 決めます。",
    }
}
