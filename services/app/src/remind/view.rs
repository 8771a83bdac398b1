//! Reminders in words: the list, the editing form, the card that comes up
//! when one is due, and how a schedule is said.

use chrono::{NaiveTime, Weekday};
use engawa_core::{TOKYO, jp};
use engawa_remind::{DueOccurrence, Reminder, Repeat, Schedule, WeekdaySet};

use crate::remind::{Draft, DraftError, Field, RemindScreen, RepeatKind};
use crate::view::frame::{
    DayView, FieldKind, FieldView, Frame, KeyColour, Lang, OverlayView, PageKind, Row, back_hint,
    help_hint, hint, ok_hint, t, time_text,
};
use crate::{App, ROWS_PER_PAGE};

pub(crate) fn weekday_label(l: Lang, w: Weekday) -> String {
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

pub(crate) fn weekdays_text(l: Lang, set: WeekdaySet) -> String {
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

pub(crate) fn repeat_kind_text(l: Lang, k: RepeatKind) -> String {
    match k {
        RepeatKind::Once => t(l, "1回だけ", "once"),
        RepeatKind::Daily => t(l, "毎日", "every day"),
        RepeatKind::Weekly => t(l, "曜日をえらぶ", "on weekdays"),
        RepeatKind::Monthly => t(l, "毎月", "every month"),
    }
}

/// A reminder card: its time, its words, 決定 and 黄.
pub(crate) fn reminder_card(o: &DueOccurrence, l: Lang) -> OverlayView {
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

pub(crate) fn reminder_detail(l: Lang, r: &Reminder, app: &App) -> String {
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

pub(crate) fn hour_text(l: Lang, h: u32) -> String {
    match l {
        Lang::Ja => jp::minutes_spoken(i64::from(h) * 60),
        Lang::En => time_text(
            l,
            NaiveTime::from_hms_opt(h, 0, 0).unwrap_or(NaiveTime::MIN),
        ),
    }
}

/// The page of one of the reminders' screens.
pub fn page(f: &mut Frame, app: &App, r: &RemindScreen, l: Lang) {
    match r {
        RemindScreen::List => remind_list(f, app, l),
        RemindScreen::Edit(d) => remind_edit(f, d, l),
    }
}

/// 青's text for one of the reminders' screens (in Japanese).
pub fn help(r: &RemindScreen) -> &'static str {
    match r {
        RemindScreen::List => {
            "決定で ひらきます。「あたらしく つくる」で リマインドを ふやせます。\n赤で けせます（けす前に ききます）。"
        }
        RemindScreen::Edit(_) => {
            "▲▼で 行をえらび、◀▶で かえます。\nできたら 緑を押すと ほぞんします。"
        }
    }
}
