//! The vocabulary of every screen: what a `Frame` is made of (titles, rows,
//! tiles, fields, dialogs, overlays, key hints) and the small helpers every
//! page's view uses to fill it. Features (`model` for home, reminders and
//! watch-over; `shop`; `ride`) build on this; nothing here knows a feature.

use chrono::NaiveTime;
use engawa_core::jp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

/// Facts about this box shown on screen (settings, error messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxInfo {
    pub serial: String,
    pub operator_name: String,
    pub operator_phone: String,
    pub version: String,
    pub connected: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PageKind {
    Home,
    Notice,
    List,
    Form,
    Settings,
    ShopGrid,
    Item,
    Cart,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum KeyColour {
    Plain = 0,
    Blue = 1,
    Red = 2,
    Green = 3,
    Yellow = 4,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hint {
    pub colour: KeyColour,
    pub key: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tile {
    pub number: String,
    pub label: String,
    pub caption: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    pub number: String,
    pub text: String,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FieldKind {
    Value = 0,
    Weekdays = 1,
    Button = 2,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldView {
    pub label: String,
    pub value: String,
    pub kind: FieldKind,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DayView {
    pub label: String,
    pub on: bool,
    pub cursor: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DialogView {
    pub title: String,
    pub body: String,
    pub hints: Vec<Hint>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OverlayView {
    /// What kind of card: 「リマインド」, 「見守り」.
    pub label: String,
    pub time: String,
    pub text: String,
    pub note: String,
    pub hints: Vec<Hint>,
}

/// 防災: the alert card over everything.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct AlertView {
    /// 警戒レベル 1–5 for the band's colour (5 黒, 4 紫, 3 赤, 2 黄, 1 白);
    /// 0 for an earthquake (no level).
    pub level: i32,
    /// 「訓練」 on a drill, else empty.
    pub drill: String,
    /// 「警戒レベル４」「緊急の お知らせ」
    pub band: String,
    pub time: String,
    /// 「震度５強の 地震が ありました」
    pub what: String,
    /// Where, when `what` does not say it already.
    pub place: String,
    pub todo: String,
    pub shelter_heading: String,
    pub shelters: Vec<Row>,
    /// What a second press does, or where the answer stands.
    pub note: String,
    /// The two answers, drawn big: 決定 無事です, 赤 たすけが ひつようです.
    pub answers: Vec<Hint>,
    pub hints: Vec<Hint>,
}

/// 防災: home's banner while an alert is active.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BannerView {
    pub level: i32,
    pub drill: String,
    pub band: String,
    pub text: String,
    pub detail: String,
    pub hint: Hint,
}

/// The item page of the shop.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ItemView {
    pub name: String,
    pub price: String,
    pub unit: String,
    pub qty_label: String,
    pub qty: String,
    pub subtotal: String,
    pub note: String,
    /// The generated picture: a letter on the category's colour.
    pub glyph: String,
    pub category: String,
    pub tone: usize,
    /// The item's photo when it has arrived; otherwise the generated picture.
    /// Not in a dumped frame (`[box] frame_file`): its pixels are the head-end's.
    #[serde(skip)]
    pub photo: Option<std::sync::Arc<engawa_shop::photo::Photo>>,
}

/// 合計 and when it arrives, beside the cart.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct SummaryView {
    pub label: String,
    pub total: String,
    pub when: String,
    pub note: String,
}

/// Everything one screen shows.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Frame {
    pub page: Option<PageKind>,
    pub title: String,
    pub clock: String,
    pub hints: Vec<Hint>,
    pub focus: usize,
    pub tiles: Vec<Tile>,
    pub settings_label: String,
    pub notice_heading: String,
    pub notice_body: String,
    pub notice_phone: String,
    pub rows: Vec<Row>,
    pub page_label: String,
    pub list_note: String,
    pub fields: Vec<FieldView>,
    pub days: Vec<DayView>,
    pub form_error: String,
    pub info: Vec<(String, String)>,
    pub dialog: Option<DialogView>,
    pub overlay: Option<OverlayView>,
    /// 防災: the alert card, over everything (then `overlay` is `None`).
    #[serde(default)]
    pub alert: Option<AlertView>,
    /// 防災: home's banner.
    #[serde(default)]
    pub banner: Option<BannerView>,
    pub item: Option<ItemView>,
    pub summary: Option<SummaryView>,
    pub scale: f32,
}

pub fn t(l: Lang, ja: &str, en: &str) -> String {
    match l {
        Lang::Ja => ja.to_string(),
        Lang::En => en.to_string(),
    }
}

pub fn hint(colour: KeyColour, key: String, text: String) -> Hint {
    Hint { colour, key, text }
}

pub fn ok_hint(l: Lang, what: (&str, &str)) -> Hint {
    hint(KeyColour::Plain, t(l, "決定", "OK"), t(l, what.0, what.1))
}
pub fn back_hint(l: Lang) -> Hint {
    hint(
        KeyColour::Plain,
        t(l, "戻る", "Back"),
        t(l, "もどる", "back"),
    )
}
pub fn help_hint(l: Lang) -> Hint {
    hint(
        KeyColour::Blue,
        t(l, "青", "Blue"),
        t(l, "せつめい", "help"),
    )
}

pub fn time_text(l: Lang, time: NaiveTime) -> String {
    match l {
        Lang::Ja => jp::time_ja(time),
        Lang::En => jp::time_en(time),
    }
}

pub fn phone_text(l: Lang, phone: &str) -> String {
    match l {
        Lang::Ja => format!("電話 {phone}"),
        Lang::En => format!("phone {phone}"),
    }
}
