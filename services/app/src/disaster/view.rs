//! 防災 in words: the alert card (its band in the 警戒レベル colour, what
//! happened, what to do, the nearest open shelters, what the keys do) and
//! home's banner while an alert is active.

use engawa_core::TOKYO;
use engawa_disaster::api::{AlertCard, Answer, ShelterNear};

use super::{Alert, Armed, Delivery, Stage};
use crate::view::frame::{AlertView, BannerView, Hint, KeyColour, Lang, Row, hint, ok_hint, t};

/// Shelters on the card, nearest first.
pub const SHELTERS_SHOWN: usize = 3;
/// With 大きい text there is room for two.
pub const SHELTERS_SHOWN_LARGE: usize = 2;

fn answer_words(l: Lang, a: Answer) -> String {
    match a {
        Answer::Safe => t(l, "「無事です」", "\"I am safe\""),
        Answer::Help => t(l, "「たすけが ひつようです」", "\"I need help\""),
    }
}

/// 「警戒レベル４」, or 「緊急の お知らせ」 for an earthquake.
fn band(card: &AlertCard, l: Lang) -> String {
    match (card.level, l) {
        (Some(n), Lang::Ja) => format!("警戒レベル{}", engawa_disaster::words::wide(n)),
        (Some(n), Lang::En) => format!("Alert level {n}"),
        (None, _) => t(l, "緊急の お知らせ", "Emergency"),
    }
}

/// 「訓練」 on every card and banner of a drill.
fn drill_label(card: &AlertCard, l: Lang) -> String {
    if card.drill {
        t(l, "訓練", "DRILL")
    } else {
        String::new()
    }
}

/// 「約1.2km」「約300m」
fn distance(l: Lang, m: u32) -> String {
    // To the nearest 100 m: 「約」 says it is not exact.
    let tenths = (m + 50) / 100;
    let (ja, en) = if tenths >= 10 {
        let km = format!("{}.{}km", tenths / 10, tenths % 10);
        (format!("約{km}"), format!("about {km}"))
    } else {
        let m = tenths.max(1) * 100;
        (format!("約{m}m"), format!("about {m} m"))
    };
    match l {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

fn shelter_row(i: usize, s: &ShelterNear, l: Lang) -> Row {
    let mut detail: Vec<String> = s.distance_m.map(|m| distance(l, m)).into_iter().collect();
    if s.crowded {
        detail.push(t(l, "こんでいます", "crowded"));
    }
    Row {
        number: (i + 1).to_string(),
        text: s.name.clone(),
        detail: detail.join("　"),
    }
}

/// Where the answer stands, as the card and the banner say it.
fn told(l: Lang, a: &Alert) -> String {
    match (a.sent, a.card.answer) {
        (Some((ans, Delivery::Sending)), _) => match l {
            Lang::Ja => format!("{}と つたえています…", answer_words(l, ans)),
            Lang::En => format!("Sending {}…", answer_words(l, ans)),
        },
        (Some((ans, Delivery::Waiting)), _) => match l {
            Lang::Ja if ans == Answer::Help => format!(
                "いま センターに つながりません。{}と つながりしだい つたえます。いそぐときは 119番に お電話ください。",
                answer_words(l, ans)
            ),
            Lang::Ja => format!(
                "いま センターに つながりません。{}と つながりしだい つたえます。",
                answer_words(l, ans)
            ),
            Lang::En => format!(
                "The head-end cannot be reached; {} will be sent.",
                answer_words(l, ans)
            ),
        },
        (Some((ans, Delivery::Delivered)), _) | (None, Some(ans)) => match l {
            Lang::Ja => format!("{}と つたえました", answer_words(l, ans)),
            Lang::En => format!("{} was sent", answer_words(l, ans)),
        },
        (None, None) => t(l, "まだ こたえていません", "not answered yet"),
    }
}

fn answer_hints(l: Lang) -> Vec<Hint> {
    vec![
        ok_hint(l, ("無事です", "I am safe")),
        hint(
            KeyColour::Red,
            t(l, "赤", "Red"),
            t(l, "たすけが ひつようです", "I need help"),
        ),
    ]
}

/// About how many full-width characters of the title fit on one line of
/// the card: its panel is 1,644 px wide inside and the title 72 px (22.8),
/// 86 px in 大きい文字 (19.0); an ASCII space or digit counts a half.
const TITLE_EMS: f32 = 22.5;
const TITLE_EMS_LARGE: f32 = 18.0;

/// The title with its 「（警戒レベル３）」 kept whole: Slint may break
/// Japanese between any two characters, so a title too long for one line
/// is broken before the bracket rather than inside it.
pub(crate) fn title(what: &str, large: bool) -> String {
    let ems: f32 = what
        .chars()
        .map(|c| if c.is_ascii() { 0.5 } else { 1.0 })
        .sum();
    let fits = if large { TITLE_EMS_LARGE } else { TITLE_EMS };
    match what.rfind('（') {
        Some(i) if ems > fits && i > 0 => format!("{}\n{}", what[..i].trim_end(), &what[i..]),
        _ => what.to_string(),
    }
}

/// The card on top of everything.
pub(crate) fn card(a: &Alert, large: bool, l: Lang) -> AlertView {
    let c = &a.card;
    let opened = c.opened_at.with_timezone(&TOKYO).time();
    let close = |what: (&str, &str)| {
        vec![hint(
            KeyColour::Plain,
            t(l, "戻る", "Back"),
            t(l, what.0, what.1),
        )]
    };
    let (note, answers, hints) = match (a.stage, a.armed) {
        (Stage::Told, _) => (
            told(l, a),
            vec![],
            vec![hint(
                KeyColour::Plain,
                t(l, "どのボタンでも", "Any key"),
                t(l, "とじる", "close"),
            )],
        ),
        (_, Some(Armed::Answer(Answer::Safe))) => (
            t(
                l,
                "もういちど 決定を おすと 「無事です」と つたえます",
                "Press OK again to send \"I am safe\"",
            ),
            answer_hints(l),
            close(("あとで", "later")),
        ),
        (_, Some(Armed::Answer(Answer::Help))) => (
            t(
                l,
                "もういちど 赤を おすと 「たすけが ひつようです」と つたえます",
                "Press Red again to send \"I need help\"",
            ),
            answer_hints(l),
            close(("あとで", "later")),
        ),
        (_, Some(Armed::Later)) => (
            t(
                l,
                "もういちど 戻るを おすと とじます。10分後に また おたずねします",
                "Press Back again to close; asked again in 10 minutes",
            ),
            answer_hints(l),
            close(("あとで", "later")),
        ),
        (Stage::Reading, None) => (told(l, a), answer_hints(l), close(("とじる", "close"))),
        _ => (
            t(l, "ボタンは 2回 おしてください", "Press the key twice"),
            answer_hints(l),
            close(("あとで", "later")),
        ),
    };
    AlertView {
        level: c.level.map_or(0, i32::from),
        drill: drill_label(c, l),
        band: band(c, l),
        time: crate::view::frame::time_text(l, opened),
        what: title(&c.what, large),
        // 「仁科に 避難指示…」 names the place already.
        place: if c.what.contains(&c.place) {
            String::new()
        } else {
            c.place.clone()
        },
        todo: c.todo.clone(),
        shelter_heading: match (c.shelters.is_empty(), c.level) {
            (false, _) => t(
                l,
                "近くの ひなんじょ（あいています）",
                "Open shelters nearby",
            ),
            // Told to evacuate, but no shelter is open yet: say so.
            (true, Some(3..)) => t(
                l,
                "あいている ひなんじょの 知らせは まだ ありません。町の 放送も お聞きください。",
                "No shelter is reported open yet; listen to the town's broadcast.",
            ),
            (true, _) => String::new(),
        },
        shelters: c
            .shelters
            .iter()
            .take(if large {
                SHELTERS_SHOWN_LARGE
            } else {
                SHELTERS_SHOWN
            })
            .enumerate()
            .map(|(i, s)| shelter_row(i, s, l))
            .collect(),
        note,
        answers,
        hints,
    }
}

/// Home's banner while an alert is active (not on top).
pub(crate) fn banner(a: &Alert, l: Lang) -> BannerView {
    BannerView {
        level: a.card.level.map_or(0, i32::from),
        drill: drill_label(&a.card, l),
        band: band(&a.card, l),
        text: a.card.what.clone(),
        detail: told(l, a),
        hint: hint(
            KeyColour::Blue,
            t(l, "青", "Blue"),
            t(l, "お知らせを 見る", "show the alert"),
        ),
    }
}
