//! The alert card driven by keys, with the worker's news as events.

use chrono::{DateTime, Duration, Utc};
use engawa_core::clock::tokyo;
use engawa_disaster::api::{AlertCard, Answer, ShelterNear};

use super::{ASK_AGAIN_MIN, CHIME_EVERY_S, CHIMES_PER_ASK, DisasterEffect, DisasterEvent, Stage};
use crate::view::model::{BoxInfo, Frame, Lang, frame};
use crate::*;
use Key::*;

fn info() -> BoxInfo {
    BoxInfo {
        serial: "EGW-0001".into(),
        operator_name: "みどり町ケーブルテレビ".into(),
        operator_phone: "0265-00-0000".into(),
        version: "0.1.0".into(),
        connected: true,
    }
}

fn at() -> DateTime<Utc> {
    tokyo(2026, 12, 3, 9, 5)
}

fn order(campaign_id: i64) -> AlertCard {
    AlertCard {
        campaign_id,
        drill: false,
        level: Some(4),
        what: "仁科に 避難指示（警戒レベル４）".into(),
        place: "仁科".into(),
        todo: "危ない 場所に いる方は 全員 避難してください。".into(),
        shelters: vec![
            ShelterNear {
                name: "仁科小学校".into(),
                distance_m: Some(640),
                crowded: false,
            },
            ShelterNear {
                name: "西伊豆町役場".into(),
                distance_m: Some(2350),
                crowded: true,
            },
        ],
        opened_at: at(),
        answer: None,
    }
}

fn app() -> App {
    let mut a = App::new(at());
    a.connected = true;
    a
}

fn keys(app: &mut App, ks: &[Key]) -> Vec<Effect> {
    ks.iter().flat_map(|k| app.handle(Event::Key(*k))).collect()
}

fn show(app: &mut App, card: AlertCard) -> Vec<Effect> {
    app.handle(Event::Disaster(DisasterEvent::Now(Some(card))))
}

fn f(app: &App) -> Frame {
    frame(app, &info(), Lang::Ja)
}

fn chimes(fx: &[Effect]) -> usize {
    fx.iter().filter(|e| **e == Effect::PlayChime).count()
}

fn answers(fx: &[Effect]) -> Vec<Answer> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Disaster(DisasterEffect::Answer { answer, .. }) => Some(*answer),
            _ => None,
        })
        .collect()
}

#[test]
fn an_alert_covers_whatever_is_on_screen_and_chimes() {
    let mut app = app();
    keys(&mut app, &[Digit(3), Digit(1)]); // 安心 ＞ リマインド
    let fx = show(&mut app, order(7));
    assert_eq!(chimes(&fx), 1);
    let fr = f(&app);
    let card = fr.alert.expect("the card is on top");
    assert!(fr.overlay.is_none() && fr.dialog.is_none());
    assert_eq!(card.band, "警戒レベル４");
    assert_eq!(card.level, 4);
    assert_eq!(card.what, "仁科に 避難指示（警戒レベル４）");
    assert_eq!(card.place, "", "the words already name the place");
    assert_eq!(card.time, "午前9:05");
    assert_eq!(
        card.shelters
            .iter()
            .map(|r| format!("{} {} {}", r.number, r.text, r.detail))
            .collect::<Vec<_>>(),
        [
            "1 仁科小学校 約600m",
            "2 西伊豆町役場 約2.4km　こんでいます"
        ]
    );
    assert_eq!(card.note, "ボタンは 2回 おしてください");
    let keys: Vec<_> = card
        .answers
        .iter()
        .chain(&card.hints)
        .map(|h| format!("{} {}", h.key, h.text))
        .collect();
    assert_eq!(
        keys,
        ["決定 無事です", "赤 たすけが ひつようです", "戻る あとで"]
    );
    // The page underneath is untouched.
    assert_eq!(fr.title, "安心 ＞ リマインド");
}

#[test]
fn two_presses_of_ok_answer_safe_and_the_tv_says_it_was_passed_on() {
    let mut app = app();
    show(&mut app, order(7));
    let fx = keys(&mut app, &[Ok]);
    assert!(answers(&fx).is_empty(), "one press is not an answer");
    assert_eq!(fx, [Effect::Activity], "but it is a sign of life");
    assert_eq!(
        f(&app).alert.unwrap().note,
        "もういちど 決定を おすと 「無事です」と つたえます"
    );
    let fx = keys(&mut app, &[Ok]);
    assert_eq!(
        fx,
        [
            Effect::Activity,
            Effect::Disaster(DisasterEffect::Answer {
                campaign_id: 7,
                answer: Answer::Safe,
                answered_at: at(),
            })
        ]
    );
    assert_eq!(
        f(&app).alert.unwrap().note,
        "「無事です」と つたえています…"
    );
    app.handle(Event::Disaster(DisasterEvent::Delivered {
        campaign_id: 7,
        answer: Answer::Safe,
    }));
    let card = f(&app).alert.unwrap();
    assert_eq!(card.note, "「無事です」と つたえました");
    assert!(card.answers.is_empty());
    assert_eq!(card.hints[0].text, "とじる");
    // Any key closes the confirmation; home shows the banner.
    keys(&mut app, &[Digit(2)]);
    let fr = f(&app);
    assert!(fr.alert.is_none());
    assert_eq!(fr.title, "ホーム", "the key only closed the card");
    let banner = fr.banner.expect("home's banner");
    assert_eq!(banner.text, "仁科に 避難指示（警戒レベル４）");
    assert_eq!(banner.detail, "「無事です」と つたえました");
    assert_eq!(banner.hint.text, "お知らせを 見る");
    let blue: Vec<_> = fr.hints.iter().filter(|h| h.key == "青").collect();
    assert_eq!(blue.len(), 1);
    assert_eq!(blue[0].text, "お知らせを 見る", "青 is not せつめい here");
}

#[test]
fn two_presses_of_red_ask_for_help_and_mixed_presses_answer_nothing() {
    let mut app = app();
    show(&mut app, order(7));
    let fx = keys(&mut app, &[Ok, Red, Ok, Red, Down, Red]);
    assert!(answers(&fx).is_empty(), "no key was pressed twice in a row");
    assert_eq!(
        f(&app).alert.unwrap().note,
        "もういちど 赤を おすと 「たすけが ひつようです」と つたえます"
    );
    let fx = keys(&mut app, &[Red]);
    assert_eq!(answers(&fx), [Answer::Help]);
    app.handle(Event::Disaster(DisasterEvent::Waiting {
        campaign_id: 7,
        answer: Answer::Help,
    }));
    assert_eq!(
        f(&app).alert.unwrap().note,
        "いま センターに つながりません。「たすけが ひつようです」と つながりしだい つたえます。いそぐときは 119番に お電話ください。"
    );
}

#[test]
fn no_single_key_closes_an_unanswered_alert() {
    let mut app = app();
    show(&mut app, order(7));
    for k in [
        Home,
        Back,
        Blue,
        Green,
        Yellow,
        Digit(1),
        Up,
        Left,
        ChannelUp,
        Power,
        Info,
        Back,
    ] {
        keys(&mut app, &[k]);
        assert!(f(&app).alert.is_some(), "{k:?} closed the alert");
    }
    assert_eq!(app.depth(), 1, "nothing underneath moved");
}

#[test]
fn back_twice_puts_it_aside_and_it_asks_again_ten_minutes_later() {
    let mut app = app();
    keys(&mut app, &[Digit(1)]);
    show(&mut app, order(7));
    keys(&mut app, &[Back]);
    assert_eq!(
        f(&app).alert.unwrap().note,
        "もういちど 戻るを おすと とじます。10分後に また おたずねします"
    );
    keys(&mut app, &[Back]);
    assert!(f(&app).alert.is_none());
    assert_eq!(f(&app).title, "買い物", "back where the resident was");
    let later = at() + Duration::minutes(ASK_AGAIN_MIN) - Duration::seconds(1);
    assert_eq!(chimes(&app.handle(Event::Tick(later))), 0);
    assert!(f(&app).alert.is_none());
    let fx = app.handle(Event::Tick(at() + Duration::minutes(ASK_AGAIN_MIN)));
    assert_eq!(chimes(&fx), 1, "asked again, with the chime");
    assert!(f(&app).alert.is_some());
}

#[test]
fn the_chime_repeats_while_nobody_answers_and_the_question_comes_back() {
    let mut app = app();
    let mut total = chimes(&show(&mut app, order(7)));
    for s in 1..=(ASK_AGAIN_MIN * 60 - 1) {
        total += chimes(&app.handle(Event::Tick(at() + Duration::seconds(s))));
    }
    assert_eq!(
        total, CHIMES_PER_ASK as usize,
        "every {CHIME_EVERY_S} s, then quiet"
    );
    let fx = app.handle(Event::Tick(at() + Duration::minutes(ASK_AGAIN_MIN)));
    assert_eq!(chimes(&fx), 1, "the question comes again after ten minutes");
    // Answered: no more chimes, no more asking.
    keys(&mut app, &[Ok, Ok, Ok]);
    let mut after = 0;
    for m in 11..=60 {
        after += chimes(&app.handle(Event::Tick(at() + Duration::minutes(m))));
    }
    assert_eq!(after, 0);
    assert!(f(&app).alert.is_none());
}

#[test]
fn blue_on_home_reads_it_again_and_one_back_closes_an_answered_card() {
    let mut app = app();
    show(&mut app, order(7));
    keys(&mut app, &[Ok, Ok, Ok]);
    assert!(f(&app).alert.is_none());
    keys(&mut app, &[Blue]);
    let card = f(&app).alert.expect("青 shows the card again");
    assert_eq!(card.note, "「無事です」と つたえています…");
    assert_eq!(card.hints.last().unwrap().text, "とじる");
    keys(&mut app, &[Back]);
    assert!(f(&app).alert.is_none() && f(&app).dialog.is_none());
    // Changing the answer on the card read again: 赤 赤.
    let fx = keys(&mut app, &[Blue, Red, Red]);
    assert_eq!(answers(&fx), [Answer::Help]);
    // Away from home, 青 is help as always.
    keys(&mut app, &[Ok, Digit(3), Blue]);
    assert!(f(&app).alert.is_none());
    assert!(f(&app).dialog.is_some());
}

#[test]
fn a_cancellation_clears_the_card_and_the_banner() {
    let mut app = app();
    show(&mut app, order(7));
    app.handle(Event::Disaster(DisasterEvent::Now(None)));
    let fr = f(&app);
    assert!(fr.alert.is_none() && fr.banner.is_none());
    // 青 is help again.
    keys(&mut app, &[Blue]);
    assert!(f(&app).dialog.is_some());
}

#[test]
fn a_correction_asks_again_but_a_shelter_change_does_not() {
    let mut app = app();
    show(&mut app, order(7));
    keys(&mut app, &[Ok, Ok, Ok]);
    let mut crowded = order(7);
    crowded.shelters[0].crowded = true;
    crowded.answer = Some(Answer::Safe);
    let fx = show(&mut app, crowded);
    assert_eq!(chimes(&fx), 0);
    assert!(
        f(&app).alert.is_none(),
        "a shelter's state is no reason to interrupt"
    );
    let mut corrected = order(7);
    corrected.level = Some(5);
    corrected.what = "仁科に 緊急安全確保（警戒レベル５）".into();
    corrected.answer = Some(Answer::Safe);
    show(&mut app, corrected);
    let card = f(&app).alert.expect("訂正: the new words are shown");
    assert_eq!((card.level, card.band.as_str()), (5, "警戒レベル５"));
    assert_eq!(app.alert.as_ref().unwrap().stage, Stage::Reading);
}

#[test]
fn a_new_campaign_replaces_the_old_one_and_asks() {
    let mut app = app();
    show(&mut app, order(7));
    keys(&mut app, &[Ok, Ok, Ok]);
    let mut quake = order(8);
    quake.level = None;
    quake.what = "震度５強の 地震が ありました".into();
    quake.place = "西伊豆町".into();
    quake.shelters.clear();
    let fx = show(&mut app, quake);
    assert_eq!(chimes(&fx), 1);
    let card = f(&app).alert.unwrap();
    assert_eq!(card.band, "緊急の お知らせ");
    assert_eq!((card.level, card.place.as_str()), (0, "西伊豆町"));
    assert_eq!(card.shelter_heading, "");
    assert_eq!(card.note, "ボタンは 2回 おしてください");
}

#[test]
fn an_order_with_no_open_shelter_says_so() {
    let mut app = app();
    let mut card = order(7);
    card.shelters.clear();
    show(&mut app, card);
    let card = f(&app).alert.unwrap();
    assert!(card.shelters.is_empty());
    assert_eq!(
        card.shelter_heading,
        "あいている ひなんじょの 知らせは まだ ありません。町の 放送も お聞きください。"
    );
}

#[test]
fn a_drill_says_so_on_the_card_and_the_banner() {
    let mut app = app();
    let mut drill = order(9);
    drill.drill = true;
    show(&mut app, drill);
    let card = f(&app).alert.unwrap();
    assert_eq!(
        (card.drill.as_str(), card.band.as_str()),
        ("訓練", "警戒レベル４")
    );
    keys(&mut app, &[Back, Back]);
    assert_eq!(f(&app).banner.unwrap().drill, "訓練");
    // A real alert says nothing of the kind.
    show(&mut app, order(10));
    assert_eq!(f(&app).alert.unwrap().drill, "");
}

#[test]
fn an_alert_answered_before_a_restart_is_only_a_banner() {
    let mut app = app();
    let mut card = order(7);
    card.answer = Some(Answer::Help);
    let fx = show(&mut app, card);
    assert_eq!(chimes(&fx), 0);
    let fr = f(&app);
    assert!(fr.alert.is_none());
    assert_eq!(
        fr.banner.unwrap().detail,
        "「たすけが ひつようです」と つたえました"
    );
}

#[test]
fn the_alert_outranks_the_safety_check_and_a_reminder_which_wait_underneath() {
    let mut app = app();
    app.handle(Event::Watch(watch::WatchEvent::SafetyCheck(true)));
    show(&mut app, order(7));
    assert!(f(&app).alert.is_some() && f(&app).overlay.is_none());
    keys(&mut app, &[Ok, Ok]);
    keys(&mut app, &[Ok]); // closes 「つたえました」
    let fr = f(&app);
    assert!(fr.alert.is_none());
    assert_eq!(fr.overlay.unwrap().text, "お元気ですか？", "still asked");
}

#[test]
fn a_title_too_long_for_one_line_is_broken_before_its_level_not_inside_it() {
    use super::view::title;
    let long = "みどり町 東区に 高齢者等避難（警戒レベル３）";
    assert_eq!(
        title(long, true),
        "みどり町 東区に 高齢者等避難\n（警戒レベル３）"
    );
    assert_eq!(title(long, false), long, "fits one line in standard text");
    let longer = "みどり町 東区・西区・北区に 緊急安全確保（警戒レベル５）";
    assert_eq!(
        title(longer, false),
        "みどり町 東区・西区・北区に 緊急安全確保\n（警戒レベル５）"
    );
    // Short titles, and titles without a level, stay as they are.
    assert_eq!(
        title("上沢に 避難指示（警戒レベル４）", true),
        "上沢に 避難指示（警戒レベル４）"
    );
    let quake = "震度５強の 地震が ありました";
    assert_eq!(title(quake, true), quake);
}
