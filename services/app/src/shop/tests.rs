//! The shop's screens driven by key sequences through `App::handle`.

use super::*;
use crate::shop::ShopScreen;
use crate::{Event, ROWS_PER_PAGE};
use Key::*;
use engawa_core::clock::tokyo;
use engawa_shop::api::{Catalogue, CatalogueItem, Order, codes};
use engawa_shop::delivery::DeliveryRules;

fn item(id: i64, category: &str, name: &str, price: i64) -> CatalogueItem {
    CatalogueItem {
        id,
        category: category.into(),
        name: name.into(),
        price_yen: engawa_core::Yen(price),
        unit: "1個".into(),
        seller: "みどり農園".into(),
        photo: None,
    }
}

fn catalogue() -> Catalogue {
    let mut items = vec![
        item(1, "やさい", "だいこん", 180),
        item(2, "やさい", "にんじん", 198),
        item(3, "肉・魚", "さんま", 398),
        item(4, "飲み物", "牛乳", 238),
    ];
    // Enough vegetables for two list pages.
    for i in 10..16 {
        items.push(item(i, "やさい", &format!("やさい{i}"), 100));
    }
    Catalogue {
        categories: [
            "やさい",
            "肉・魚",
            "飲み物",
            "日用品",
            "お菓子",
            "調味料",
            "冷凍食品",
        ]
        .map(String::from)
        .to_vec(),
        items,
        usual: vec![4, 1],
        delivery: DeliveryRules::default(),
    }
}

/// A connected box with the catalogue, at Wednesday 10:00 (before the cut-off).
fn shop_app() -> App {
    let mut app = App::new(tokyo(2026, 11, 25, 10, 0));
    app.handle(Event::Connected);
    app.handle(Event::Shop(ShopEvent::Catalogue(catalogue())));
    app
}

fn press(app: &mut App, keys: &[Key]) -> Vec<Effect> {
    keys.iter()
        .flat_map(|k| app.handle(Event::Key(*k)))
        .filter(|e| *e != Effect::Activity)
        .collect()
}

fn order_of(app: &App, id: i64) -> Order {
    engawa_shop::demo::order_for(id, &app.shop.cart, app.now)
}

#[test]
fn a_usual_item_is_ordered_in_five_presses_from_home() {
    let mut app = shop_app();
    let fx = press(&mut app, &[Digit(1), Digit(1), Digit(1), Green, Green]);
    let placed: Vec<&Effect> = fx
        .iter()
        .filter(|e| matches!(e, Effect::Shop(ShopEffect::PlaceOrder(_))))
        .collect();
    assert_eq!(placed.len(), 1);
    let Effect::Shop(ShopEffect::PlaceOrder(cart)) = placed[0] else {
        unreachable!()
    };
    assert_eq!(cart.lines.len(), 1);
    assert_eq!(
        (cart.lines[0].name.as_str(), cart.lines[0].qty),
        ("牛乳", 1)
    );
    assert!(fx.contains(&Effect::Shop(ShopEffect::Load)));
    assert_eq!(app.dialog, Some(Dialog::Shop(ShopNotice::Sending)));
    // Keys while sending do nothing and are not kept for later.
    assert!(press(&mut app, &[Green, Ok, Red]).is_empty());
    assert_eq!(app.dialog, Some(Dialog::Shop(ShopNotice::Sending)));
    let order = order_of(&app, 7);
    app.handle(Event::Shop(ShopEvent::Placed(order.clone())));
    assert_eq!(app.dialog, None);
    assert!(app.shop.cart.is_empty());
    assert_eq!(
        app.page().screen,
        Screen::Shop(ShopScreen::OrderDone(Box::new(order)))
    );
    press(&mut app, &[Back]);
    assert_eq!(
        app.page().screen,
        Screen::Shop(ShopScreen::Tiles),
        "戻る from the receipt: the shop home"
    );
    press(&mut app, &[Back]);
    assert_eq!(app.page().screen, Screen::Home);
}

#[test]
fn quantity_is_set_with_arrows_and_numbers_and_kept_in_the_cart() {
    let mut app = shop_app();
    press(&mut app, &[Digit(1), Digit(2), Digit(1)]); // やさい → だいこん
    assert_eq!(
        app.page().screen,
        Screen::Shop(ShopScreen::Item { item_id: 1, qty: 1 })
    );
    press(&mut app, &[Down, Down, Up, Up, Up]);
    assert!(
        matches!(
            app.page().screen,
            Screen::Shop(ShopScreen::Item { qty: 4, .. })
        ),
        "1 is the least"
    );
    press(&mut app, &[Digit(7)]);
    assert!(matches!(
        app.page().screen,
        Screen::Shop(ShopScreen::Item { qty: 7, .. })
    ));
    let fx = press(&mut app, &[Ok]);
    assert!(matches!(&fx[..], [Effect::Shop(ShopEffect::SaveCart(c))] if c.qty_of(1) == 7));
    assert!(matches!(
        app.page().screen,
        Screen::Shop(ShopScreen::Items(_))
    ));
    assert_eq!(app.shop.added.as_deref(), Some("だいこん"));
    // Opening it again starts from what is in the cart; 緑 adds and goes to the cart.
    press(&mut app, &[Ok]);
    assert!(matches!(
        app.page().screen,
        Screen::Shop(ShopScreen::Item { qty: 7, .. })
    ));
    press(&mut app, &[Digit(2), Green]);
    assert_eq!(app.page().screen, Screen::Shop(ShopScreen::Cart));
    assert_eq!(app.shop.cart.qty_of(1), 2);
    assert_eq!(app.shop.cart.total().0, 360);
}

#[test]
fn the_cart_changes_quantities_and_removes_only_after_asking() {
    let mut app = shop_app();
    press(
        &mut app,
        &[Digit(1), Digit(1), Digit(1), Ok, Digit(2), Ok, Green],
    );
    assert_eq!(app.page().screen, Screen::Shop(ShopScreen::Cart));
    press(&mut app, &[Right, Right, Left]);
    assert_eq!(app.shop.cart.qty_of(4), 2);
    press(&mut app, &[Left, Left, Left]);
    assert_eq!(
        app.shop.cart.qty_of(4),
        1,
        "never below 1 with ◀; 赤 removes"
    );
    press(&mut app, &[Red]);
    assert_eq!(app.dialog, Some(Dialog::RemoveFromCart(4)));
    press(&mut app, &[Back]);
    assert_eq!(app.shop.cart.lines.len(), 2, "戻る = no");
    press(&mut app, &[Red, Ok]);
    assert_eq!(app.shop.cart.lines.len(), 1);
    press(&mut app, &[Red, Ok]);
    assert!(app.shop.cart.is_empty());
    assert_eq!(
        app.page().screen,
        Screen::Shop(ShopScreen::Items(ItemList::Usual)),
        "an empty cart closes"
    );
    assert!(
        press(&mut app, &[Green]).is_empty(),
        "緑 with an empty cart does nothing"
    );
}

#[test]
fn sold_out_and_repriced_items_are_told_by_name_and_the_cart_follows() {
    let mut app = shop_app();
    press(
        &mut app,
        &[Digit(1), Digit(1), Digit(1), Ok, Digit(2), Ok, Green, Green],
    );
    let mut c = catalogue();
    c.items.retain(|i| i.id != 1);
    c.items.iter_mut().find(|i| i.id == 4).unwrap().price_yen = engawa_core::Yen(258);
    let fx = app.handle(Event::Shop(ShopEvent::Catalogue(c)));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Shop(ShopEffect::SaveCart(_))))
    );
    assert_eq!(
        app.dialog,
        Some(Dialog::Shop(ShopNotice::Sending)),
        "still waiting"
    );
    app.handle(Event::Shop(ShopEvent::Refused {
        code: codes::ITEM_OFF_SALE.into(),
    }));
    let Some(Dialog::Shop(ShopNotice::Changed(r))) = &app.dialog else {
        panic!("{:?}", app.dialog)
    };
    assert_eq!(r.removed, ["だいこん"]);
    assert_eq!(
        r.repriced,
        [(
            "牛乳".to_string(),
            engawa_core::Yen(238),
            engawa_core::Yen(258)
        )]
    );
    assert_eq!(app.shop.cart.total().0, 258);
    press(&mut app, &[Ok]);
    assert_eq!(
        app.page().screen,
        Screen::Shop(ShopScreen::Cart),
        "back on the confirmation, new total"
    );
}

#[test]
fn unreachable_keeps_the_cart_and_settling_tells_which_way_it_went() {
    let mut app = shop_app();
    press(&mut app, &[Digit(1), Digit(1), Digit(1), Green, Green]);
    app.handle(Event::Shop(ShopEvent::Unreachable));
    assert_eq!(app.dialog, Some(Dialog::Shop(ShopNotice::Unreachable)));
    assert_eq!(app.shop.cart.lines.len(), 1);
    press(&mut app, &[Ok]);
    assert_eq!(app.page().screen, Screen::Shop(ShopScreen::Cart));
    // After a power cut: the earlier attempt did not arrive — cart kept.
    app.handle(Event::Shop(ShopEvent::Settled(None)));
    assert_eq!(app.dialog, Some(Dialog::Shop(ShopNotice::Settled(None))));
    assert_eq!(app.shop.cart.lines.len(), 1);
    // … or it did: the cart is emptied, the order is listed once.
    app.handle(Event::Shop(ShopEvent::Orders(vec![])));
    let o = order_of(&app, 9);
    app.handle(Event::Shop(ShopEvent::Settled(Some(o.clone()))));
    app.handle(Event::Shop(ShopEvent::Settled(Some(o))));
    assert!(app.shop.cart.is_empty());
    assert_eq!(app.shop.orders.as_ref().map(Vec::len), Some(1));
}

#[test]
fn orders_cancel_until_the_cutoff_after_confirmation() {
    let mut app = shop_app();
    press(&mut app, &[Digit(1), Digit(1), Digit(1), Ok, Back, Back]);
    let open = order_of(&app, 2);
    let mut old = open.clone();
    old.id = 1;
    old.cancel_until = tokyo(2026, 11, 24, 11, 0);
    // History tile: after the categories (10 tiles: usual, 7 categories, history… here 9).
    let history = app.shop.tiles().len() - 1;
    app.handle(Event::Shop(ShopEvent::Orders(vec![open.clone(), old])));
    press(&mut app, &[Digit(1)]);
    for _ in 0..history / 3 {
        press(&mut app, &[Down]);
    }
    while app.page().focus < history {
        press(&mut app, &[Right]);
    }
    let fx = press(&mut app, &[Ok]);
    assert_eq!(app.page().screen, Screen::Shop(ShopScreen::Orders));
    assert!(fx.contains(&Effect::Shop(ShopEffect::LoadOrders)));
    press(&mut app, &[Down, Red]);
    assert_eq!(app.dialog, Some(Dialog::Shop(ShopNotice::TooLate)));
    press(&mut app, &[Ok, Up, Red]);
    assert_eq!(app.dialog, Some(Dialog::CancelOrder(2)));
    assert!(
        press(&mut app, &[Digit(5)]).is_empty(),
        "other keys keep asking"
    );
    let fx = press(&mut app, &[Ok]);
    assert_eq!(fx, [Effect::Shop(ShopEffect::Cancel(2))]);
    let mut done = open;
    done.cancelled_at = Some(app.now);
    app.handle(Event::Shop(ShopEvent::Cancelled(done)));
    assert!(matches!(
        app.dialog,
        Some(Dialog::Shop(ShopNotice::Cancelled(_)))
    ));
    assert!(app.shop.orders.as_ref().unwrap()[0].cancelled_at.is_some());
    press(&mut app, &[Ok, Red]);
    assert_eq!(
        app.dialog, None,
        "a cancelled order cannot be cancelled again"
    );
}

#[test]
fn shop_home_pages_six_tiles_and_numbers_pick_on_the_page_shown() {
    let mut app = shop_app();
    press(&mut app, &[Digit(1)]);
    let n = app.shop.tiles().len();
    assert_eq!(n, 9);
    press(&mut app, &[Down, Down]);
    assert_eq!(app.page().focus, 6, "▼ moves to the next page");
    press(&mut app, &[Right, Right, Right]);
    assert_eq!(app.page().focus, 8, "edges stop");
    press(&mut app, &[ChannelDown]);
    assert_eq!(app.page().focus, 0);
    press(&mut app, &[ChannelUp, Digit(2)]);
    assert_eq!(
        app.page().screen,
        Screen::Shop(ShopScreen::Items(ItemList::Category("冷凍食品".into())))
    );
    press(&mut app, &[Back, Digit(2)]);
    assert_eq!(
        app.page().screen,
        Screen::Shop(ShopScreen::Items(ItemList::Category("冷凍食品".into()))),
        "the focus stayed on page 2"
    );
    // Lists page by five; a number picks on the page shown.
    press(&mut app, &[Back, ChannelDown, Digit(2)]);
    let n = app.shop.items(&ItemList::Category("やさい".into())).len();
    assert!(n > ROWS_PER_PAGE);
    press(&mut app, &[Right, Digit(1)]);
    assert!(matches!(
        app.page().screen,
        Screen::Shop(ShopScreen::Item { item_id: 13, .. })
    ));
}

#[test]
fn an_item_with_a_photo_asks_for_it_once() {
    let mut app = App::new(tokyo(2026, 11, 25, 10, 0));
    app.handle(Event::Connected);
    let mut c = catalogue();
    c.items[0].photo = Some(3);
    app.handle(Event::Shop(ShopEvent::Catalogue(c)));
    let fx = press(&mut app, &[Digit(1), Digit(2), Digit(1)]);
    assert!(fx.contains(&Effect::Shop(ShopEffect::Photo {
        item_id: 1,
        version: 3
    })));
    let photo = std::sync::Arc::new(engawa_shop::photo::Photo {
        width: 1,
        height: 1,
        rgba: vec![0, 0, 0, 255],
    });
    app.handle(Event::Shop(ShopEvent::Photo { item_id: 1, photo }));
    let fx = press(&mut app, &[Back, Digit(1)]);
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Shop(ShopEffect::Photo { .. }))),
        "already shown"
    );
    let fx = press(&mut app, &[Back, Digit(2)]);
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Shop(ShopEffect::Photo { .. }))),
        "no photo, no request"
    );
}

#[test]
fn without_a_catalogue_the_shop_says_so_and_keys_do_nothing() {
    let mut app = App::new(tokyo(2026, 11, 25, 10, 0));
    let fx = press(&mut app, &[Digit(1)]);
    assert_eq!(fx, [Effect::Shop(ShopEffect::Load)]);
    assert!(press(&mut app, &[Ok, Digit(1), Green, Down]).is_empty());
    assert_eq!(app.page().screen, Screen::Shop(ShopScreen::Tiles));
}
