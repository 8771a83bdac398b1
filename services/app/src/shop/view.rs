//! The shop's screens as text: tiles, item lists, the item page, the cart with
//! 合計 and when it arrives, receipts, history, and the shop's dialogs.

use crate::shop::ShopScreen;
use chrono::NaiveDate;
use engawa_core::{TOKYO, jp};
use engawa_shop::api::Order;
use engawa_shop::cart::Refresh;
use engawa_shop::delivery::delivery_words_ja;

use crate::shop::{ItemList, ShopNotice, ShopTile, TILES_PER_PAGE};
use crate::view::frame::{
    BoxInfo, DialogView, Frame, Hint, ItemView, KeyColour, Lang, PageKind, Row, SummaryView, Tile,
    back_hint, help_hint, hint, ok_hint, phone_text, t,
};
use crate::{App, ROWS_PER_PAGE, Screen};

fn today(app: &App) -> NaiveDate {
    app.now.with_timezone(&TOKYO).date_naive()
}

/// 「きょう 夕方 お届け」 for a delivery day.
fn when(l: Lang, day: NaiveDate, today: NaiveDate) -> String {
    match l {
        Lang::Ja => delivery_words_ja(day, today),
        Lang::En => format!("Delivered {} evening", jp::date_en(day)),
    }
}

fn green_hint(l: Lang, what: (&str, &str)) -> Hint {
    hint(KeyColour::Green, t(l, "緑", "Green"), t(l, what.0, what.1))
}

fn red_hint(l: Lang, what: (&str, &str)) -> Hint {
    hint(KeyColour::Red, t(l, "赤", "Red"), t(l, what.0, what.1))
}

fn page_label(l: Lang, start: usize, per_page: usize, n: usize) -> String {
    let pages = n.div_ceil(per_page);
    if pages <= 1 {
        return String::new();
    }
    match l {
        Lang::Ja => format!("{}/{} ページ", start / per_page + 1, pages),
        Lang::En => format!("page {}/{}", start / per_page + 1, pages),
    }
}

fn cart_note(app: &App, l: Lang) -> String {
    let c = &app.shop.cart;
    if c.is_empty() {
        return String::new();
    }
    let n: u32 = c.lines.iter().map(|x| x.qty).sum();
    match l {
        Lang::Ja => format!("カート {n}点 {}（緑で 注文へ）", c.total().to_ja()),
        Lang::En => format!("Cart: {n} items, {} (Green to order)", c.total().to_en()),
    }
}

/// The page of one of the shop's screens; `false` when there is nothing to show
/// (an order no longer listed).
pub fn page(f: &mut Frame, app: &App, screen: &ShopScreen, info: &BoxInfo, l: Lang) -> bool {
    match screen {
        ShopScreen::Tiles => home(f, app, info, l),
        ShopScreen::Items(list) => items(f, app, list, l),
        ShopScreen::Item { item_id, qty } => item(f, app, *item_id, *qty, l),
        ShopScreen::Cart => cart(f, app, l),
        ShopScreen::OrderDone(o) => receipt(f, app, o, l),
        ShopScreen::Orders => orders(f, app, l),
        ShopScreen::OrderDetail(id) => {
            match app.shop.orders.iter().flatten().find(|o| o.id == *id) {
                Some(o) => detail(f, app, o, l),
                None => return false,
            }
        }
    }
    true
}

fn home(f: &mut Frame, app: &App, info: &BoxInfo, l: Lang) {
    f.title = t(l, "買い物", "Shopping");
    let Some(c) = &app.shop.catalogue else {
        f.page = Some(PageKind::Notice);
        let connected = app.connected || info.connected;
        f.notice_heading = match (connected, app.shop.offline) {
            (false, _) => t(
                l,
                "買い物は まだ つながっていません",
                "The shop is not connected yet",
            ),
            (true, false) => t(l, "品ぞろえを 読みこんでいます…", "Loading the shop…"),
            (true, true) => t(
                l,
                "センターに つながりません",
                "The head-end cannot be reached",
            ),
        };
        f.notice_body = t(
            l,
            "しばらくして もういちど おためしください。\nわからないときは お電話ください。",
            "Please try again later, or call the operator.",
        );
        f.notice_phone = format!(
            "{}  {}",
            info.operator_name,
            phone_text(l, &info.operator_phone)
        );
        f.hints = vec![back_hint(l), help_hint(l)];
        return;
    };
    f.page = Some(PageKind::ShopGrid);
    let tiles = app.shop.tiles();
    let focus = app.page().focus.min(tiles.len().saturating_sub(1));
    let start = focus / TILES_PER_PAGE * TILES_PER_PAGE;
    f.focus = focus - start;
    f.tiles = tiles
        .iter()
        .enumerate()
        .skip(start)
        .take(TILES_PER_PAGE)
        .map(|(i, tile)| {
            let number = (i - start + 1).to_string();
            let (label, caption) = match tile {
                ShopTile::Usual => (
                    t(l, "いつもの", "Usual"),
                    if c.usual.is_empty() {
                        t(l, "まだ ありません", "none yet")
                    } else {
                        t(l, "前に 買った品", "bought before")
                    },
                ),
                ShopTile::Category(k) => {
                    let name = c.categories.get(*k).cloned().unwrap_or_default();
                    let n = c.items.iter().filter(|i| i.category == name).count();
                    let caption = match l {
                        Lang::Ja => format!("{n}品"),
                        Lang::En => format!("{n} items"),
                    };
                    (name, caption)
                }
                ShopTile::History => (
                    t(l, "注文の記録", "Orders"),
                    t(l, "取り消しも ここで", "and cancelling"),
                ),
            };
            Tile {
                number,
                label,
                caption,
            }
        })
        .collect();
    f.page_label = page_label(l, start, TILES_PER_PAGE, tiles.len());
    f.list_note = if app.shop.offline {
        t(
            l,
            "いま センターに つながりません（前の 品ぞろえです）",
            "Offline: showing the last catalogue",
        )
    } else {
        cart_note(app, l)
    };
    let last = (start + TILES_PER_PAGE).min(tiles.len()) - start;
    f.hints = vec![
        ok_hint(l, ("ひらく", "open")),
        hint(
            KeyColour::Plain,
            format!("1〜{last}"),
            t(l, "番号で えらぶ", "pick by number"),
        ),
    ];
    if tiles.len() > TILES_PER_PAGE {
        f.hints
            .push(hint(KeyColour::Plain, "▲▼".into(), t(l, "ページ", "page")));
    }
    if !app.shop.cart.is_empty() {
        f.hints.push(green_hint(l, ("カート", "cart")));
    }
    f.hints.push(back_hint(l));
    f.hints.push(help_hint(l));
}

fn list_title(l: Lang, list: &ItemList) -> String {
    match (list, l) {
        (ItemList::Usual, Lang::Ja) => "買い物 ＞ いつもの".into(),
        (ItemList::Usual, Lang::En) => "Shopping > Usual".into(),
        (ItemList::Category(c), Lang::Ja) => format!("買い物 ＞ {c}"),
        (ItemList::Category(c), Lang::En) => format!("Shopping > {c}"),
    }
}

fn items(f: &mut Frame, app: &App, list: &ItemList, l: Lang) {
    f.page = Some(PageKind::List);
    f.title = list_title(l, list);
    let items = app.shop.items(list);
    let focus = app.page().focus.min(items.len().saturating_sub(1));
    let start = focus / ROWS_PER_PAGE * ROWS_PER_PAGE;
    f.focus = focus - start;
    f.rows = items
        .iter()
        .enumerate()
        .skip(start)
        .take(ROWS_PER_PAGE)
        .map(|(i, it)| {
            let in_cart = app.shop.cart.qty_of(it.id);
            let mut detail = format!("{}　{}", it.unit, it.price_yen.to_ja());
            if in_cart > 0 {
                detail = match l {
                    Lang::Ja => format!("カートに{in_cart}　{detail}"),
                    Lang::En => format!("{in_cart} in cart  {detail}"),
                };
            }
            Row {
                number: (i - start + 1).to_string(),
                text: it.name.clone(),
                detail,
            }
        })
        .collect();
    f.page_label = page_label(l, start, ROWS_PER_PAGE, items.len());
    f.list_note = match (&app.shop.added, items.is_empty()) {
        (Some(name), _) => match l {
            Lang::Ja => format!("「{name}」を カートに 入れました。緑で 注文へ すすめます。"),
            Lang::En => format!("{name} is in the cart. Green to order."),
        },
        (None, true) => t(
            l,
            "まだ ありません。前に 買った品が ここに 出ます。",
            "Nothing yet: items you bought appear here.",
        ),
        (None, false) => cart_note(app, l),
    };
    f.hints = vec![ok_hint(l, ("えらぶ", "choose"))];
    if items.len() > ROWS_PER_PAGE {
        f.hints
            .push(hint(KeyColour::Plain, "◀▶".into(), t(l, "ページ", "page")));
    }
    if !app.shop.cart.is_empty() {
        f.hints.push(green_hint(l, ("カート", "cart")));
    }
    f.hints.push(back_hint(l));
}

fn item(f: &mut Frame, app: &App, item_id: i64, qty: u32, l: Lang) {
    f.page = Some(PageKind::Item);
    let Some(it) = app.shop.item(item_id) else {
        f.title = t(l, "買い物", "Shopping");
        return;
    };
    f.title = match l {
        Lang::Ja => format!("買い物 ＞ {}", it.name),
        Lang::En => format!("Shopping > {}", it.name),
    };
    let tone = app
        .shop
        .catalogue
        .as_ref()
        .and_then(|c| c.categories.iter().position(|x| *x == it.category))
        .unwrap_or(0);
    let in_cart = app.shop.cart.qty_of(item_id);
    f.item = Some(ItemView {
        name: it.name.clone(),
        price: it.price_yen.to_ja(),
        unit: match l {
            Lang::Ja => format!("{}　（{}）", it.unit, it.seller),
            Lang::En => format!("{}  ({})", it.unit, it.seller),
        },
        qty_label: t(l, "数", "Qty"),
        qty: qty.to_string(),
        subtotal: match l {
            Lang::Ja => format!("小計　{}", (it.price_yen * i64::from(qty)).to_ja()),
            Lang::En => format!("Subtotal  {}", (it.price_yen * i64::from(qty)).to_en()),
        },
        note: if in_cart > 0 {
            match l {
                Lang::Ja => format!("いま カートに {in_cart} 入っています。決定で 数を かえます。"),
                Lang::En => format!("{in_cart} in the cart now; OK changes it."),
            }
        } else {
            String::new()
        },
        glyph: it.name.chars().next().map(String::from).unwrap_or_default(),
        category: it.category.clone(),
        tone: tone % 8,
        photo: app
            .shop
            .photo
            .as_ref()
            .filter(|(id, _)| *id == item_id)
            .map(|(_, p)| p.clone()),
    });
    f.hints = vec![
        hint(KeyColour::Plain, "▲▼".into(), t(l, "数", "qty")),
        ok_hint(l, ("カートに 入れる", "add to cart")),
        green_hint(l, ("入れて 注文へ", "add and order")),
        back_hint(l),
    ];
}

fn cart(f: &mut Frame, app: &App, l: Lang) {
    f.page = Some(PageKind::Cart);
    f.title = t(
        l,
        "買い物 ＞ ご注文の 確認",
        "Shopping > Confirm your order",
    );
    let lines = &app.shop.cart.lines;
    let focus = app.page().focus.min(lines.len().saturating_sub(1));
    let start = focus / ROWS_PER_PAGE * ROWS_PER_PAGE;
    f.focus = focus - start;
    f.rows = lines
        .iter()
        .enumerate()
        .skip(start)
        .take(ROWS_PER_PAGE)
        .map(|(i, x)| Row {
            number: (i - start + 1).to_string(),
            text: x.name.clone(),
            detail: format!("×{}　{}", x.qty, x.subtotal().to_ja()),
        })
        .collect();
    f.page_label = page_label(l, start, ROWS_PER_PAGE, lines.len());
    let today = today(app);
    let rules = app.shop.catalogue.as_ref().map(|c| &c.delivery);
    let day = rules.and_then(|r| r.delivery_day_for(app.now));
    f.summary = Some(SummaryView {
        label: t(l, "合計", "Total"),
        total: app.shop.cart.total().to_ja(),
        when: day.map(|d| when(l, d, today)).unwrap_or_default(),
        note: match (rules, l) {
            (Some(r), Lang::Ja) => format!(
                "{}までの ご注文は\nその日の 夕方に とどきます。\nお支払いは\nケーブルテレビ料金と いっしょ。",
                jp::time_ja(r.cutoff)
            ),
            (_, Lang::En) => "Paid with the cable TV bill.".into(),
            (None, Lang::Ja) => "お支払いは\nケーブルテレビ料金と いっしょ。".into(),
        },
    });
    f.hints = vec![
        green_hint(l, ("注文する", "order")),
        hint(KeyColour::Plain, "◀▶".into(), t(l, "数", "qty")),
        red_hint(l, ("はずす", "remove")),
        back_hint(l),
    ];
}

fn order_words(l: Lang, o: &Order, today: NaiveDate) -> String {
    match (o.cancelled_at, l) {
        (Some(_), _) => t(l, "取り消しました", "cancelled"),
        (None, Lang::Ja) if o.delivery_day < today => "お届けずみ".into(),
        (None, Lang::En) if o.delivery_day < today => "delivered".into(),
        (None, _) => when(l, o.delivery_day, today),
    }
}

fn cancel_note(l: Lang, o: &Order, app: &App) -> String {
    if !o.can_cancel(app.now) {
        return String::new();
    }
    let until = o.cancel_until.with_timezone(&TOKYO);
    match l {
        Lang::Ja => format!(
            "取り消しは {} {}まで できます（赤）。",
            jp::day_relative_ja(until.date_naive(), today(app)),
            jp::time_ja(until.time())
        ),
        Lang::En => format!("Red cancels, until {}.", jp::time_en(until.time())),
    }
}

fn receipt(f: &mut Frame, app: &App, o: &Order, l: Lang) {
    f.page = Some(PageKind::Notice);
    f.title = t(l, "買い物 ＞ ご注文", "Shopping > Order");
    f.notice_heading = t(l, "ご注文を うけつけました", "Your order is placed");
    let n: u32 = o.lines.iter().map(|x| x.qty).sum();
    f.notice_body = [
        match l {
            Lang::Ja => format!("合計 {}（{n}点）", o.total_yen.to_ja()),
            Lang::En => format!("Total {} ({n} items)", o.total_yen.to_en()),
        },
        cancel_note(l, o, app),
        t(
            l,
            "お支払いは ケーブルテレビの 料金と いっしょです。",
            "Paid with the cable TV bill.",
        ),
    ]
    .join("\n");
    f.notice_phone = order_words(l, o, today(app));
    f.hints = vec![ok_hint(l, ("ホームへ", "home")), back_hint(l)];
    if o.can_cancel(app.now) {
        f.hints.push(red_hint(l, ("取り消す", "cancel")));
    }
}

fn orders(f: &mut Frame, app: &App, l: Lang) {
    f.page = Some(PageKind::List);
    f.title = t(l, "買い物 ＞ 注文の記録", "Shopping > Orders");
    let Some(list) = &app.shop.orders else {
        f.list_note = t(l, "読みこんでいます…", "Loading…");
        f.hints = vec![back_hint(l)];
        return;
    };
    let focus = app.page().focus.min(list.len().saturating_sub(1));
    let start = focus / ROWS_PER_PAGE * ROWS_PER_PAGE;
    f.focus = focus - start;
    let today = today(app);
    f.rows = list
        .iter()
        .enumerate()
        .skip(start)
        .take(ROWS_PER_PAGE)
        .map(|(i, o)| Row {
            number: (i - start + 1).to_string(),
            text: match l {
                Lang::Ja => format!(
                    "{}　{}",
                    jp::date_ja(o.placed_at.with_timezone(&TOKYO).date_naive()),
                    o.total_yen.to_ja()
                ),
                Lang::En => format!(
                    "{}  {}",
                    jp::date_en(o.placed_at.with_timezone(&TOKYO).date_naive()),
                    o.total_yen.to_ja()
                ),
            },
            detail: order_words(l, o, today),
        })
        .collect();
    f.page_label = page_label(l, start, ROWS_PER_PAGE, list.len());
    if list.is_empty() {
        f.list_note = t(
            l,
            "この ひと月の ご注文は ありません。",
            "No orders this month.",
        );
    }
    f.hints = vec![ok_hint(l, ("ひらく", "open"))];
    if list.get(focus).is_some_and(|o| o.can_cancel(app.now)) {
        f.hints.push(red_hint(l, ("取り消す", "cancel")));
    }
    f.hints.push(back_hint(l));
}

fn detail(f: &mut Frame, app: &App, o: &Order, l: Lang) {
    f.page = Some(PageKind::Notice);
    f.title = t(l, "注文の記録 ＞ ご注文", "Orders > Order");
    let placed = o.placed_at.with_timezone(&TOKYO);
    f.notice_heading = match l {
        Lang::Ja => format!(
            "{}の ご注文　合計 {}",
            jp::date_ja(placed.date_naive()),
            o.total_yen.to_ja()
        ),
        Lang::En => format!(
            "Order of {}  total {}",
            jp::date_en(placed.date_naive()),
            o.total_yen.to_ja()
        ),
    };
    let mut body: Vec<String> = o
        .lines
        .iter()
        .map(|x| {
            format!(
                "{}（{}）×{}　{}",
                x.name,
                x.unit,
                x.qty,
                (x.price_yen * i64::from(x.qty)).to_ja()
            )
        })
        .collect();
    body.push(cancel_note(l, o, app));
    f.notice_body = body.join("\n");
    f.notice_phone = order_words(l, o, today(app));
    f.hints = vec![back_hint(l)];
    if o.can_cancel(app.now) {
        f.hints.push(red_hint(l, ("取り消す", "cancel")));
    }
}

fn with_phone(l: Lang, info: &BoxInfo, body: &str) -> String {
    match l {
        Lang::Ja => format!(
            "{body}\n（{} 電話 {}）",
            info.operator_name, info.operator_phone
        ),
        Lang::En => format!("{body}\nOperator: {}", info.operator_phone),
    }
}

pub fn remove_dialog(app: &App, item_id: i64, l: Lang) -> DialogView {
    let name = app
        .shop
        .cart
        .lines
        .iter()
        .find(|x| x.item_id == item_id)
        .map(|x| x.name.clone())
        .unwrap_or_default();
    DialogView {
        title: t(l, "カートから はずしますか？", "Remove from the cart?"),
        body: format!("「{name}」"),
        hints: yes_no(l, ("はい、はずす", "yes, remove")),
    }
}

fn yes_no(l: Lang, yes: (&str, &str)) -> Vec<Hint> {
    vec![
        ok_hint(l, yes),
        hint(KeyColour::Plain, t(l, "戻る", "Back"), t(l, "いいえ", "no")),
    ]
}

pub fn cancel_dialog(app: &App, order_id: i64, l: Lang) -> DialogView {
    let order = app
        .shop
        .orders
        .iter()
        .flatten()
        .find(|o| o.id == order_id)
        .or(match &app.page().screen {
            Screen::Shop(ShopScreen::OrderDone(o)) if o.id == order_id => Some(o.as_ref()),
            _ => None,
        });
    let body = order
        .map(|o| match l {
            Lang::Ja => format!(
                "合計 {}　{}の ご注文",
                o.total_yen.to_ja(),
                jp::day_relative_ja(o.delivery_day, today(app)) + " 夕方 お届け"
            ),
            Lang::En => format!("Total {}", o.total_yen.to_en()),
        })
        .unwrap_or_default();
    DialogView {
        title: t(l, "この ご注文を 取り消しますか？", "Cancel this order?"),
        body,
        hints: yes_no(l, ("はい、取り消す", "yes, cancel")),
    }
}

fn refresh_text(l: Lang, r: &Refresh, cart_empty: bool) -> String {
    let mut out = Vec::new();
    if !r.removed.is_empty() {
        out.push(match l {
            Lang::Ja => format!(
                "売り切れ：{}（カートから はずしました）",
                r.removed.join("、")
            ),
            Lang::En => format!("Sold out: {} (removed)", r.removed.join(", ")),
        });
    }
    for (name, old, new) in &r.repriced {
        out.push(match l {
            Lang::Ja => format!(
                "ねだんが かわりました：{name} {} → {}",
                old.to_ja(),
                new.to_ja()
            ),
            Lang::En => format!("New price: {name} {} → {}", old.to_en(), new.to_en()),
        });
    }
    out.push(if cart_empty {
        t(l, "カートが 空に なりました。", "The cart is now empty.")
    } else {
        t(
            l,
            "ご注文は まだ できていません。\n合計を たしかめて、緑で 注文してください。",
            "Nothing was ordered yet. Check the total and press Green.",
        )
    });
    out.join("\n")
}

pub fn notice_dialog(n: &ShopNotice, app: &App, info: &BoxInfo, l: Lang) -> DialogView {
    let any_key = vec![hint(
        KeyColour::Plain,
        t(l, "どのボタンでも", "Any key"),
        t(l, "とじる", "close"),
    )];
    let (title, body) = match n {
        ShopNotice::Sending => {
            return DialogView {
                title: t(l, "センターに 送っています", "Sending…"),
                body: t(l, "しばらく お待ちください。", "Please wait."),
                hints: Vec::new(),
            };
        }
        ShopNotice::Unreachable => (
            t(
                l,
                "センターに つながりません",
                "The head-end cannot be reached",
            ),
            with_phone(
                l,
                info,
                &t(
                    l,
                    "ご注文は まだ できていません。カートは そのままです。\nしばらくして もういちど 緑で 注文してください。",
                    "Nothing was ordered; the cart is kept. Try again later.",
                ),
            ),
        ),
        ShopNotice::Unsure => (
            t(
                l,
                "センターから 返事が ありません",
                "No answer from the head-end",
            ),
            with_phone(
                l,
                info,
                &t(
                    l,
                    "ご注文が とどいたかどうか、つながりしだい この画面で おしらせします。\nそれまで カートは そのままです。",
                    "You will be told here whether the order arrived as soon as the head-end answers.",
                ),
            ),
        ),
        ShopNotice::Changed(r) => (
            t(l, "品物が かわりました", "Items changed"),
            refresh_text(l, r, app.shop.cart.is_empty()),
        ),
        ShopNotice::NotRegistered => (
            t(
                l,
                "買い物の お申し込みが ありません",
                "Not registered for shopping",
            ),
            with_phone(
                l,
                info,
                &t(
                    l,
                    "ご利用になりたいときは お電話ください。",
                    "Call the operator to register.",
                ),
            ),
        ),
        ShopNotice::Settled(Some(o)) => (
            t(
                l,
                "さきほどの ご注文は うけつけられていました",
                "Your earlier order went through",
            ),
            match l {
                Lang::Ja => format!(
                    "合計 {}\n{}\n同じ ご注文は 一度だけです。",
                    o.total_yen.to_ja(),
                    order_words(l, o, today(app))
                ),
                Lang::En => format!("Total {}, placed once.", o.total_yen.to_en()),
            },
        ),
        ShopNotice::Settled(None) => (
            t(
                l,
                "さきほどの ご注文は とどいていませんでした",
                "Your earlier order did not arrive",
            ),
            t(
                l,
                "ご注文は できていません。カートは そのままです。\n注文するときは 買い物から 緑を おしてください。",
                "Nothing was ordered; the cart is kept.",
            ),
        ),
        ShopNotice::Cancelled(o) => (
            t(l, "ご注文を 取り消しました", "Order cancelled"),
            match l {
                Lang::Ja => format!("合計 {} の ご注文は 取り消しました。", o.total_yen.to_ja()),
                Lang::En => format!("The order of {} is cancelled.", o.total_yen.to_en()),
            },
        ),
        ShopNotice::TooLate => (
            t(l, "もう 取り消せません", "Too late to cancel"),
            with_phone(
                l,
                info,
                &t(
                    l,
                    "しめきりを 過ぎました。取り消すときは センターに お電話ください。",
                    "Past the cut-off. Call the operator.",
                ),
            ),
        ),
        ShopNotice::CartFull => (
            t(l, "カートが いっぱいです", "The cart is full"),
            t(
                l,
                "一度に 40品まで 注文できます。先に 注文してください。",
                "Up to 40 items per order.",
            ),
        ),
        ShopNotice::Failed => (
            t(l, "注文できませんでした", "The order failed"),
            with_phone(
                l,
                info,
                &t(
                    l,
                    "ご注文は できていません。カートは そのままです。",
                    "Nothing was ordered; the cart is kept.",
                ),
            ),
        ),
    };
    DialogView {
        title,
        body,
        hints: any_key,
    }
}

/// 青's text for one of the shop's screens (in Japanese).
pub fn help(screen: &ShopScreen) -> &'static str {
    match screen {
        ShopScreen::Tiles => {
            "番号か 矢印で えらんで 決定を押します。\n「いつもの」に 前に 買った品が あります。\n緑で カートを見て 注文します。"
        }
        ShopScreen::Items(_) => "品を えらんで 決定を押すと くわしく 見られます。",
        ShopScreen::Item { .. } => {
            "▲▼か 番号で 数を かえます。\n決定で カートに 入れます。緑で そのまま 注文へ すすみます。"
        }
        ShopScreen::Cart => {
            "合計と お届けの日を たしかめて、緑で 注文します。\n◀▶で 数を かえ、赤で はずします。"
        }
        ShopScreen::Orders | ShopScreen::OrderDetail(_) | ShopScreen::OrderDone(_) => {
            "しめきりまでは 赤で 取り消せます。"
        }
    }
}
