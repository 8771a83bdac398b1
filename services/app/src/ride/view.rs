//! The shared taxi's words: where to, when and how many, the offers in big
//! words (「お迎え 午前10時10分〜10時25分」「みどり病院に 10時50分ごろ 着」), the
//! receipt, today's bookings, the cancel question and 「タクシーが まもなく 来ます」.

use crate::ride::RideScreen;
use engawa_core::jp;
use engawa_ride::api::{Booking, minutes};

use crate::ride::{Draft, QuoteState, RideNotice, RideRow, WhenMode};
use crate::view::frame::{
    BoxInfo, DialogView, FieldKind, FieldView, Frame, KeyColour, Lang, OverlayView, PageKind, Row,
    back_hint, help_hint, hint, ok_hint, phone_text, t,
};
use crate::{App, ROWS_PER_PAGE};

/// 「午前10時10分」; with `bare`, no 午前/午後 (the second time of a range).
pub fn clock(hhmm: &str, bare: bool) -> String {
    let m = minutes(hhmm).unwrap_or(0);
    if bare {
        jp::minutes_spoken_bare(m)
    } else {
        jp::minutes_spoken(m)
    }
}

fn window(from: &str, to: &str) -> String {
    format!("{}〜{}", clock(from, false), clock(to, true))
}

/// The page of one of the taxi's screens.
pub fn page(f: &mut Frame, app: &App, screen: &RideScreen, info: &BoxInfo, l: Lang) {
    match screen {
        RideScreen::Places => home(f, app, info, l),
        RideScreen::From => from(f, app, l),
        RideScreen::When(d) => when(f, app, d, l),
        RideScreen::Offers(d) => offers(f, app, d, l),
        RideScreen::Done(b) => done(f, b, l),
        RideScreen::Bookings => bookings(f, app, l),
    }
}

fn paged(f: &mut Frame, focus: usize, rows: Vec<Row>, l: Lang) {
    let start = focus / ROWS_PER_PAGE * ROWS_PER_PAGE;
    let pages = rows.len().div_ceil(ROWS_PER_PAGE);
    f.focus = focus - start;
    f.rows = rows
        .into_iter()
        .skip(start)
        .take(ROWS_PER_PAGE)
        .enumerate()
        .map(|(i, mut r)| {
            r.number = (i + 1).to_string();
            r
        })
        .collect();
    if pages > 1 {
        f.page_label = match l {
            Lang::Ja => format!("{}/{} ページ", start / ROWS_PER_PAGE + 1, pages),
            Lang::En => format!("page {}/{}", start / ROWS_PER_PAGE + 1, pages),
        };
        f.hints
            .push(hint(KeyColour::Plain, "◀▶".into(), t(l, "ページ", "page")));
    }
}

fn home(f: &mut Frame, app: &App, info: &BoxInfo, l: Lang) {
    f.title = t(l, "タクシー", "Taxi");
    let Some(p) = &app.ride.places else {
        f.page = Some(PageKind::Notice);
        if let Some(why) = &app.ride.not_available {
            f.notice_heading = t(
                l,
                "タクシーの 予約は できません",
                "You cannot book the taxi",
            );
            f.notice_body = why.clone();
            f.notice_phone = format!(
                "{}  {}",
                info.operator_name,
                phone_text(l, &info.operator_phone)
            );
            f.hints = vec![back_hint(l), help_hint(l)];
            return;
        }
        f.notice_heading = if app.ride.offline {
            t(
                l,
                "タクシーの 予約に つながりません",
                "The taxi service cannot be reached",
            )
        } else {
            t(l, "読みこんでいます…", "Loading…")
        };
        if app.ride.offline {
            f.notice_body = t(
                l,
                "しばらくして もういちど ひらいてください。\nお電話でも 予約できます。",
                "Try again later, or book by phone.",
            );
            f.notice_phone = format!(
                "{}  {}",
                info.operator_name,
                phone_text(l, &info.operator_phone)
            );
        }
        f.hints = vec![back_hint(l), help_hint(l)];
        return;
    };
    f.page = Some(PageKind::List);
    let booked = app
        .ride
        .bookings
        .iter()
        .flatten()
        .filter(|b| b.state == "booked")
        .count();
    let rows = app
        .ride
        .rows()
        .into_iter()
        .map(|r| match r {
            RideRow::Place(i) => Row {
                number: String::new(),
                text: p.places[i].name.clone(),
                detail: if p.places[i].favourite {
                    format!("{}・よく行く", p.places[i].kind)
                } else {
                    p.places[i].kind.clone()
                },
            },
            RideRow::Home => Row {
                number: String::new(),
                text: t(l, "家に帰る", "Go home"),
                detail: t(l, "どこから", "from where"),
            },
            RideRow::Bookings => Row {
                number: String::new(),
                text: t(l, "きょうの 予約", "Today's bookings"),
                detail: match l {
                    Lang::Ja => format!("{booked}件"),
                    Lang::En => format!("{booked}"),
                },
            },
        })
        .collect();
    f.hints = vec![ok_hint(l, ("えらぶ", "choose")), back_hint(l), help_hint(l)];
    paged(f, app.page().focus, rows, l);
    f.list_note = match l {
        Lang::Ja => format!(
            "行き先を えらんでください。料金 1人 {}（{}〜{}）",
            p.fare_yen.to_ja(),
            clock(&p.opens, false),
            clock(&p.closes, false)
        ),
        Lang::En => format!("Where to? {} per person.", p.fare_yen.to_en()),
    };
}

fn from(f: &mut Frame, app: &App, l: Lang) {
    f.page = Some(PageKind::List);
    f.title = t(l, "タクシー ＞ 家に帰る", "Taxi > Go home");
    let rows = app
        .ride
        .places
        .iter()
        .flat_map(|p| p.places.iter())
        .map(|p| Row {
            number: String::new(),
            text: p.name.clone(),
            detail: p.kind.clone(),
        })
        .collect();
    f.hints = vec![ok_hint(l, ("えらぶ", "choose")), back_hint(l), help_hint(l)];
    paged(f, app.page().focus, rows, l);
    f.list_note = t(l, "どこから 帰りますか？", "Where from?");
}

fn trip(app: &App, d: &Draft) -> String {
    format!(
        "{} → {}",
        app.ride.place_name(d.from),
        app.ride.place_name(d.to)
    )
}

fn when(f: &mut Frame, app: &App, d: &Draft, l: Lang) {
    f.page = Some(PageKind::Form);
    f.title = match l {
        Lang::Ja => format!("タクシー ＞ {}", trip(app, d)),
        Lang::En => format!("Taxi > {}", trip(app, d)),
    };
    let times = app.ride.times(d, app.now);
    let to = app.ride.place_name(d.to);
    let chosen = d.time(&times).map(|t| clock(&t, false)).unwrap_or_default();
    f.fields = vec![
        FieldView {
            label: t(l, "決め方", "How"),
            value: match (d.mode, l) {
                (WhenMode::Asap, Lang::Ja) => "いますぐ（いちばん 早く）".into(),
                (WhenMode::Pickup, Lang::Ja) => "お迎えの 時間で".into(),
                (WhenMode::Arrive, Lang::Ja) => "着く 時間で".into(),
                (m, Lang::En) => format!("{m:?}"),
            },
            kind: FieldKind::Value,
        },
        FieldView {
            label: match d.mode {
                WhenMode::Arrive => t(l, "着く 時間", "Arrive by"),
                _ => t(l, "お迎えの 時間", "Pickup"),
            },
            value: match (d.mode, l) {
                (WhenMode::Asap, _) => "—".into(),
                (WhenMode::Pickup, Lang::Ja) => format!("{chosen}ごろ"),
                (WhenMode::Arrive, Lang::Ja) => format!("{to}に {chosen}までに"),
                (_, Lang::En) => chosen,
            },
            kind: FieldKind::Value,
        },
        FieldView {
            label: t(l, "乗る人数", "People"),
            value: match l {
                Lang::Ja => format!("{}人", d.people),
                Lang::En => d.people.to_string(),
            },
            kind: FieldKind::Value,
        },
    ];
    f.focus = app.page().focus;
    if let Some(p) = &app.ride.places {
        f.info = vec![(
            t(l, "料金", "Fare"),
            match l {
                Lang::Ja => format!(
                    "{}（1人 {}）",
                    (p.fare_yen * i64::from(d.people)).to_ja(),
                    p.fare_yen.to_ja()
                ),
                Lang::En => (p.fare_yen * i64::from(d.people)).to_en(),
            },
        )];
    }
    f.hints = vec![
        hint(KeyColour::Plain, "◀▶".into(), t(l, "かえる", "change")),
        hint(
            KeyColour::Green,
            t(l, "緑", "Green"),
            t(l, "さがす", "search"),
        ),
        back_hint(l),
    ];
}

fn offers(f: &mut Frame, app: &App, d: &Draft, l: Lang) {
    f.title = match l {
        Lang::Ja => format!("タクシー ＞ {}", trip(app, d)),
        Lang::En => format!("Taxi > {}", trip(app, d)),
    };
    match &app.ride.quote {
        QuoteState::Offers(o) if !o.is_empty() => {
            f.page = Some(PageKind::List);
            let to = app.ride.place_name(d.to);
            f.rows = o
                .iter()
                .enumerate()
                .map(|(i, x)| Row {
                    number: (i + 1).to_string(),
                    text: match l {
                        Lang::Ja => format!("お迎え {}", window(&x.pickup_from, &x.pickup_to)),
                        Lang::En => format!("Pickup {}–{}", x.pickup_from, x.pickup_to),
                    },
                    detail: match l {
                        Lang::Ja => format!("{to}に {}ごろ 着", clock(&x.arrive_at, true)),
                        Lang::En => format!("at {to} about {}", x.arrive_at),
                    },
                })
                .collect();
            f.focus = app.page().focus.min(o.len() - 1);
            f.list_note = match l {
                Lang::Ja => format!(
                    "料金 {}（{}人）。番号で えらび、緑で 予約します。",
                    o[0].fare_yen.to_ja(),
                    d.people
                ),
                Lang::En => format!("{}. Choose, then Green books.", o[0].fare_yen.to_en()),
            };
            f.hints = vec![
                hint(
                    KeyColour::Green,
                    t(l, "緑", "Green"),
                    t(l, "予約する", "book"),
                ),
                hint(KeyColour::Plain, "1〜3".into(), t(l, "えらぶ", "choose")),
                back_hint(l),
            ];
        }
        QuoteState::Refused(why) => {
            f.page = Some(PageKind::Notice);
            f.notice_heading = t(l, "その 時間は 予約できません", "Cannot book that");
            f.notice_body = why.clone();
            f.hints = vec![back_hint(l), help_hint(l)];
        }
        _ => {
            f.page = Some(PageKind::Notice);
            f.notice_heading = t(l, "あいている 車を さがしています…", "Looking for a car…");
            f.hints = vec![back_hint(l)];
        }
    }
}

fn booking_words(b: &Booking, l: Lang) -> String {
    let arrive = match &b.arrive_by {
        Some(by) => format!(
            "{}までに 着（{}ごろ）",
            clock(by, true),
            clock(&b.arrive_at, true)
        ),
        None => format!("{}ごろ 着", clock(&b.arrive_at, true)),
    };
    match l {
        Lang::Ja => format!(
            "お迎え {}\n{}に {arrive}\n料金 {}（{}人）",
            window(&b.pickup_from, &b.pickup_to),
            b.to_name,
            b.fare_yen.to_ja(),
            b.people
        ),
        Lang::En => format!(
            "Pickup {}–{}, at {} about {}, {}",
            b.pickup_from,
            b.pickup_to,
            b.to_name,
            b.arrive_at,
            b.fare_yen.to_en()
        ),
    }
}

fn done(f: &mut Frame, b: &Booking, l: Lang) {
    f.page = Some(PageKind::Notice);
    f.title = t(l, "タクシー ＞ 予約しました", "Taxi > Booked");
    f.notice_heading = match l {
        Lang::Ja => format!("{} → {} を 予約しました", b.from_name, b.to_name),
        Lang::En => format!("Booked: {} → {}", b.from_name, b.to_name),
    };
    f.notice_body = booking_words(b, l);
    f.notice_phone = t(
        l,
        "お迎えの 10分前に テレビで お知らせします。",
        "The TV reminds you 10 minutes before.",
    );
    f.notice_body.push_str(&t(
        l,
        "\n帰りは 黄で いま 予約するか、あとで ケーブルテレビ局に お電話ください。",
        "\nBook the way back now with Yellow, or phone later.",
    ));
    f.hints = vec![
        ok_hint(l, ("おわる", "done")),
        hint(
            KeyColour::Yellow,
            t(l, "黄", "Yellow"),
            t(l, "帰りも 予約", "book the way back"),
        ),
        back_hint(l),
    ];
}

fn bookings(f: &mut Frame, app: &App, l: Lang) {
    f.page = Some(PageKind::List);
    f.title = t(l, "タクシー ＞ きょうの 予約", "Taxi > Today's bookings");
    let list = app.ride.bookings.clone().unwrap_or_default();
    let rows = list
        .iter()
        .map(|b| Row {
            number: String::new(),
            text: match l {
                Lang::Ja => format!(
                    "{} {} → {}",
                    window(&b.pickup_from, &b.pickup_to),
                    b.from_name,
                    b.to_name
                ),
                Lang::En => format!("{} {} → {}", b.pickup_from, b.from_name, b.to_name),
            },
            detail: match (b.state.as_str(), l) {
                ("booked", Lang::Ja) => format!("{}人・予約済み", b.people),
                (_, Lang::Ja) => "取り消し".into(),
                (s, Lang::En) => s.to_string(),
            },
        })
        .collect();
    f.hints = vec![
        hint(
            KeyColour::Red,
            t(l, "赤", "Red"),
            t(l, "取り消す", "cancel"),
        ),
        back_hint(l),
        help_hint(l),
    ];
    paged(f, app.page().focus, rows, l);
    if list.is_empty() {
        f.list_note = t(l, "きょうの 予約は ありません。", "No bookings today.");
        f.hints = vec![back_hint(l), help_hint(l)];
    }
}

/// 取り消しますか？ (a taxi booking)
pub fn cancel_dialog(app: &App, id: i64, l: Lang) -> DialogView {
    let b = app.ride.bookings.iter().flatten().find(|b| b.id == id);
    DialogView {
        title: t(l, "この 予約を 取り消しますか？", "Cancel this booking?"),
        body: b.map(|b| booking_words(b, l)).unwrap_or_default(),
        hints: vec![
            ok_hint(l, ("はい、取り消す", "yes, cancel")),
            hint(KeyColour::Plain, t(l, "戻る", "Back"), t(l, "いいえ", "no")),
        ],
    }
}

/// What became of a booking or a cancellation.
pub fn notice_dialog(n: &RideNotice, info: &BoxInfo, l: Lang) -> DialogView {
    let any_key = vec![hint(
        KeyColour::Plain,
        t(l, "どのボタンでも", "Any key"),
        t(l, "とじる", "close"),
    )];
    match n {
        RideNotice::Sending => DialogView {
            title: t(l, "センターに 送っています…", "Sending…"),
            body: t(l, "少し お待ちください。", "Please wait."),
            hints: Vec::new(),
        },
        RideNotice::Booked(b) => DialogView {
            title: t(l, "予約しました", "Booked"),
            body: booking_words(b, l),
            hints: any_key,
        },
        RideNotice::Refused(why) => DialogView {
            title: t(l, "予約できませんでした", "Not booked"),
            body: why.clone(),
            hints: any_key,
        },
        RideNotice::Unreachable => DialogView {
            title: t(l, "センターに つながりませんでした", "No answer"),
            body: match l {
                Lang::Ja => format!(
                    "「きょうの 予約」で 予約が できたか たしかめてください。\n{} {}",
                    info.operator_name,
                    phone_text(l, &info.operator_phone)
                ),
                Lang::En => "Check today's bookings.".into(),
            },
            hints: any_key,
        },
        RideNotice::Cancelled(b) => DialogView {
            title: t(l, "取り消しました", "Cancelled"),
            body: match l {
                Lang::Ja => format!(
                    "{} {} → {}",
                    window(&b.pickup_from, &b.pickup_to),
                    b.from_name,
                    b.to_name
                ),
                Lang::En => "The booking is cancelled.".into(),
            },
            hints: any_key,
        },
    }
}

/// 「タクシーが まもなく 来ます」
pub fn soon_card(b: &Booking, l: Lang) -> OverlayView {
    OverlayView {
        label: t(l, "タクシー", "Taxi"),
        time: window(&b.pickup_from, &b.pickup_to),
        text: t(l, "タクシーが まもなく 来ます", "The taxi is coming soon"),
        note: match l {
            Lang::Ja => format!("{} → {}（{}人）", b.from_name, b.to_name, b.people),
            Lang::En => format!("{} → {}", b.from_name, b.to_name),
        },
        hints: vec![hint(
            KeyColour::Plain,
            t(l, "どのボタンでも", "Any key"),
            t(l, "とじる", "close"),
        )],
    }
}

/// 青's text for one of the ride's screens (in Japanese).
pub fn help(s: &RideScreen) -> &'static str {
    match s {
        RideScreen::Places => {
            "番号で 行き先を えらびます。「家に帰る」は 出かけた先からの 帰りです。\n「きょうの 予約」で 予約を 見たり 取り消したり できます。"
        }
        RideScreen::From => "帰りに 乗る 場所を えらびます。",
        RideScreen::When(_) => {
            "▲▼で 行を えらび、◀▶で かえます。「着く 時間で」は その時間までに 着く 車を さがします。\n緑で さがします（まだ 予約は しません）。"
        }
        RideScreen::Offers(_) => {
            "1〜3で えらび、緑で 予約します。\n料金は 月の 請求に 入ります（車では 払いません）。"
        }
        RideScreen::Bookings => "赤で 取り消します（お迎えの 時間まで）。",
        RideScreen::Done(_) => "お迎えの 10分前に テレビで お知らせします。",
    }
}
