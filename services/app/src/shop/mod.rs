//! The shop's screens: shop home (「いつもの」, categories, order history as numbered
//! tiles), item lists, the item page with its quantity, the cart that is also the
//! confirmation (合計 and when it arrives; 緑 orders), the order receipt, history
//! with 赤 cancel until the cut-off.
//!
//! Money and time shown here are what the head-end will charge: the cart holds the
//! price the resident saw, and the head-end refuses an order whose prices changed,
//! so nothing is ever charged that was not on the screen.

use engawa_shop::api::{Catalogue, CatalogueItem, Order};
use engawa_shop::cart::{Cart, CartLine, Refresh};

pub mod view;

/// The shop's screens.
#[derive(Debug, Clone, PartialEq)]
pub enum ShopScreen {
    /// The category tiles, 「いつもの」, the cart and the history.
    Tiles,
    Items(ItemList),
    Item {
        item_id: i64,
        qty: u32,
    },
    /// The cart, which is also the order confirmation.
    Cart,
    OrderDone(Box<Order>),
    Orders,
    OrderDetail(i64),
}

/// What the box's shop worker answers.
#[derive(Debug, Clone, PartialEq)]
pub enum ShopEvent {
    /// The shop's catalogue (fresh from the head-end, or the cached copy).
    Catalogue(Catalogue),
    /// The catalogue could not be fetched now.
    Offline,
    /// The stored cart, at start.
    Cart(Cart),
    Orders(Vec<Order>),
    Placed(Order),
    /// The head-end refused the order (`engawa_shop::api::codes`); nothing was ordered.
    Refused {
        code: String,
    },
    /// An order or cancel could not reach the head-end; nothing changed.
    Unreachable,
    Cancelled(Order),
    /// Too late to cancel (past the cut-off).
    CancelTooLate,
    /// An interrupted order attempt was settled: placed (`Some`) or not.
    Settled(Option<Order>),
    /// An item's photo, decoded.
    Photo {
        item_id: i64,
        photo: std::sync::Arc<engawa_shop::photo::Photo>,
    },
    /// An order got no answer and the head-end cannot be asked yet: the resident
    /// is told which way it went once it can (`Settled`).
    Unsure,
}

/// What the shop's screens ask of the box's shop worker.
#[derive(Debug, Clone, PartialEq)]
pub enum ShopEffect {
    /// Fetch the catalogue (the shop was opened).
    Load,
    LoadOrders,
    SaveCart(Cart),
    /// Send the order (through the outbox, with an Idempotency-Key).
    PlaceOrder(Cart),
    Cancel(i64),
    /// Show this item's photo (from the box database or the head-end).
    Photo {
        item_id: i64,
        version: i64,
    },
}

use super::{App, Dialog, Effect, Key, ListMove, Screen, list_move};

/// Tiles on one page of the shop home (at most six choices on a screen).
pub const TILES_PER_PAGE: usize = 6;
pub const TILE_COLUMNS: usize = 3;

/// What the shop knows on the box.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Shop {
    pub catalogue: Option<Catalogue>,
    /// The catalogue could not be fetched just now (a cached one may be shown).
    pub offline: bool,
    pub cart: Cart,
    pub orders: Option<Vec<Order>>,
    /// 「カートに 入れました」 under the list after adding.
    pub added: Option<String>,
    /// Changes to the cart from a new catalogue, not yet told to the resident.
    pub changed: Option<Refresh>,
    /// The photo of the item page last opened.
    pub photo: Option<(i64, std::sync::Arc<engawa_shop::photo::Photo>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopTile {
    Usual,
    Category(usize),
    History,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemList {
    Usual,
    Category(String),
}

/// Things the shop tells the resident in a dialog. Any key closes them, except
/// `Sending`, which waits for the head-end's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum ShopNotice {
    Sending,
    /// The head-end cannot be reached: nothing was ordered, the cart is kept.
    Unreachable,
    /// No answer to an order; whether it arrived is told once the head-end answers.
    Unsure,
    /// Items went off sale or changed price; the cart was updated to match.
    Changed(Refresh),
    NotRegistered,
    /// An order attempt interrupted earlier (power cut, lost answer) was settled:
    /// it went through (`Some`) or not (`None`, the cart is still there).
    Settled(Option<Order>),
    Cancelled(Order),
    TooLate,
    CartFull,
    /// Something else went wrong with the request; nothing was ordered.
    Failed,
}

impl Shop {
    pub fn tiles(&self) -> Vec<ShopTile> {
        let n = self.catalogue.as_ref().map_or(0, |c| c.categories.len());
        std::iter::once(ShopTile::Usual)
            .chain((0..n).map(ShopTile::Category))
            .chain(std::iter::once(ShopTile::History))
            .collect()
    }

    pub fn item(&self, id: i64) -> Option<&CatalogueItem> {
        self.catalogue.as_ref()?.items.iter().find(|i| i.id == id)
    }

    /// The items of a list, in the order shown.
    pub fn items(&self, list: &ItemList) -> Vec<&CatalogueItem> {
        let Some(c) = &self.catalogue else {
            return Vec::new();
        };
        match list {
            ItemList::Usual => c
                .usual
                .iter()
                .filter_map(|id| c.items.iter().find(|i| i.id == *id))
                .collect(),
            ItemList::Category(cat) => c.items.iter().filter(|i| &i.category == cat).collect(),
        }
    }
}

impl App {
    /// The shop's worker answered.
    pub(super) fn shop_event(&mut self, e: ShopEvent, fx: &mut Vec<Effect>) {
        match e {
            ShopEvent::Catalogue(c) => self.shop_event_catalogue(c, fx),
            ShopEvent::Offline => self.shop.offline = true,
            ShopEvent::Cart(c) => self.shop.cart = c,
            ShopEvent::Orders(list) => self.shop.orders = Some(list),
            ShopEvent::Placed(o) => self.order_placed(o),
            ShopEvent::Refused { code } => self.order_refused(&code, fx),
            ShopEvent::Unreachable => self.dialog = Some(Dialog::Shop(ShopNotice::Unreachable)),
            ShopEvent::Cancelled(o) => self.order_cancelled(o),
            ShopEvent::CancelTooLate => self.dialog = Some(Dialog::Shop(ShopNotice::TooLate)),
            ShopEvent::Settled(o) => self.order_settled(o),
            ShopEvent::Unsure => self.dialog = Some(Dialog::Shop(ShopNotice::Unsure)),
            ShopEvent::Photo { item_id, photo } => self.shop.photo = Some((item_id, photo)),
        }
    }

    pub(super) fn shop_event_catalogue(&mut self, catalogue: Catalogue, fx: &mut Vec<Effect>) {
        self.shop.offline = false;
        let r = self.shop.cart.refresh(&catalogue);
        self.shop.catalogue = Some(catalogue);
        if !r.is_empty() {
            fx.push(Effect::Shop(ShopEffect::SaveCart(self.shop.cart.clone())));
            let told = self.shop.changed.get_or_insert_with(Refresh::default);
            told.removed.extend(r.removed);
            told.repriced.extend(r.repriced);
        }
        self.clamp_focus();
        // Told at once in the shop (unless an answer is awaited: the refusal that
        // follows tells it); elsewhere when the cart is next opened.
        if self.in_shop() && self.dialog.is_none() {
            self.tell_changes();
        }
    }

    fn in_shop(&self) -> bool {
        self.stack
            .iter()
            .any(|p| p.screen == Screen::Shop(ShopScreen::Tiles))
    }

    fn tell_changes(&mut self) {
        if let Some(r) = self.shop.changed.take() {
            self.dialog = Some(Dialog::Shop(ShopNotice::Changed(r)));
        }
    }

    pub(super) fn order_placed(&mut self, order: Order) {
        self.shop.cart = Cart::default();
        self.dialog = None;
        if let Some(list) = &mut self.shop.orders {
            list.retain(|o| o.id != order.id);
            list.insert(0, order.clone());
        }
        // The receipt replaces the path that led to it: 戻る goes to the shop home.
        let shop_home = self
            .stack
            .iter()
            .position(|p| p.screen == Screen::Shop(ShopScreen::Tiles))
            .unwrap_or(0);
        self.stack.truncate(shop_home + 1);
        self.push(Screen::Shop(ShopScreen::OrderDone(Box::new(order))));
    }

    pub(super) fn order_refused(&mut self, code: &str, fx: &mut Vec<Effect>) {
        use engawa_shop::api::codes;
        self.dialog = Some(Dialog::Shop(match code {
            codes::ITEM_OFF_SALE | codes::PRICE_CHANGED => {
                // The runtime sent the fresh catalogue first, which updated the cart.
                let mut r = self.shop.changed.take().unwrap_or_default();
                if let Some(c) = &self.shop.catalogue {
                    let again = self.shop.cart.refresh(c);
                    if !again.is_empty() {
                        fx.push(Effect::Shop(ShopEffect::SaveCart(self.shop.cart.clone())));
                    }
                    r.removed.extend(again.removed);
                    r.repriced.extend(again.repriced);
                }
                self.clamp_focus();
                ShopNotice::Changed(r)
            }
            codes::NOT_REGISTERED => ShopNotice::NotRegistered,
            _ => ShopNotice::Failed,
        }));
    }

    pub(super) fn order_cancelled(&mut self, order: Order) {
        if let Some(list) = &mut self.shop.orders
            && let Some(o) = list.iter_mut().find(|o| o.id == order.id)
        {
            *o = order.clone();
        }
        self.dialog = Some(Dialog::Shop(ShopNotice::Cancelled(order)));
    }

    pub(super) fn order_settled(&mut self, order: Option<Order>) {
        if let Some(o) = &order {
            self.shop.cart = Cart::default();
            if let Some(list) = &mut self.shop.orders
                && !list.iter().any(|x| x.id == o.id)
            {
                list.insert(0, o.clone());
            }
        }
        self.dialog = Some(Dialog::Shop(ShopNotice::Settled(order)));
    }

    /// Keep focus inside lists that changed under it.
    fn clamp_focus(&mut self) {
        let n = match &self.page().screen {
            Screen::Shop(ShopScreen::Cart) => self.shop.cart.lines.len(),
            Screen::Shop(ShopScreen::Items(list)) => self.shop.items(list).len(),
            _ => return,
        };
        let p = self.page_mut();
        p.focus = p.focus.min(n.saturating_sub(1));
    }

    pub(super) fn open_shop(&mut self, fx: &mut Vec<Effect>) {
        self.push(Screen::Shop(ShopScreen::Tiles));
        fx.push(Effect::Shop(ShopEffect::Load));
    }

    fn open_cart(&mut self) {
        if !self.shop.cart.is_empty() {
            self.push(Screen::Shop(ShopScreen::Cart));
        }
        self.tell_changes();
    }

    pub(super) fn shop_key(&mut self, screen: Screen, focus: usize, k: Key, fx: &mut Vec<Effect>) {
        if k == Key::Green
            && !matches!(
                screen,
                Screen::Shop(ShopScreen::Cart)
                    | Screen::Shop(ShopScreen::Item { .. })
                    | Screen::Shop(ShopScreen::OrderDone(_))
            )
        {
            return self.open_cart();
        }
        match screen {
            Screen::Shop(ShopScreen::Tiles) => self.shop_home_key(focus, k, fx),
            Screen::Shop(ShopScreen::Items(list)) => {
                let n = self.shop.items(&list).len();
                match list_move(focus, n, k) {
                    ListMove::Focus(f) => self.page_mut().focus = f,
                    ListMove::Open(i) => {
                        self.page_mut().focus = i;
                        if let Some(item) = self.shop.items(&list).get(i) {
                            let id = item.id;
                            let qty = self.shop.cart.qty_of(id).max(1);
                            self.shop.added = None;
                            self.open_item(id, qty, fx);
                        }
                    }
                    ListMove::None => {}
                }
            }
            Screen::Shop(ShopScreen::Item { item_id, qty }) => self.item_key(item_id, qty, k, fx),
            Screen::Shop(ShopScreen::Cart) => self.cart_key(focus, k, fx),
            Screen::Shop(ShopScreen::OrderDone(_)) => match k {
                Key::Ok => self.go_home(),
                Key::Red => {
                    if let Screen::Shop(ShopScreen::OrderDone(o)) = &self.page().screen {
                        self.ask_cancel(o.id);
                    }
                }
                _ => {}
            },
            Screen::Shop(ShopScreen::Orders) => {
                let n = self.shop.orders.as_ref().map_or(0, Vec::len);
                match list_move(focus, n, k) {
                    ListMove::Focus(f) => self.page_mut().focus = f,
                    ListMove::Open(i) => {
                        self.page_mut().focus = i;
                        if let Some(o) = self.shop.orders.as_ref().and_then(|l| l.get(i)) {
                            let id = o.id;
                            self.push(Screen::Shop(ShopScreen::OrderDetail(id)));
                        }
                    }
                    ListMove::None if k == Key::Red => {
                        if let Some(o) = self.shop.orders.as_ref().and_then(|l| l.get(focus)) {
                            let id = o.id;
                            self.ask_cancel(id);
                        }
                    }
                    ListMove::None => {}
                }
            }
            Screen::Shop(ShopScreen::OrderDetail(id)) if k == Key::Red => self.ask_cancel(id),
            _ => {}
        }
    }

    fn shop_home_key(&mut self, focus: usize, k: Key, fx: &mut Vec<Effect>) {
        if self.shop.catalogue.is_none() {
            return;
        }
        let tiles = self.shop.tiles();
        let n = tiles.len();
        let page_start = focus / TILES_PER_PAGE * TILES_PER_PAGE;
        let col = focus % TILE_COLUMNS;
        let new_focus = match k {
            Key::Left if col > 0 => focus - 1,
            Key::Right if col + 1 < TILE_COLUMNS && focus + 1 < n => focus + 1,
            Key::Up if focus >= TILE_COLUMNS => focus - TILE_COLUMNS,
            Key::Down if focus + TILE_COLUMNS < n => focus + TILE_COLUMNS,
            // Down on a short last row: to the last tile.
            Key::Down if (focus / TILE_COLUMNS + 1) * TILE_COLUMNS < n => n - 1,
            Key::ChannelUp if page_start + TILES_PER_PAGE < n => page_start + TILES_PER_PAGE,
            Key::ChannelDown if page_start >= TILES_PER_PAGE => page_start - TILES_PER_PAGE,
            Key::Digit(d) if d >= 1 && page_start + usize::from(d) <= n.min(page_start + 6) => {
                let f = page_start + usize::from(d) - 1;
                self.page_mut().focus = f;
                return self.open_shop_tile(tiles[f], fx);
            }
            Key::Ok => return self.open_shop_tile(tiles[focus.min(n - 1)], fx),
            _ => focus,
        };
        self.page_mut().focus = new_focus;
    }

    fn open_shop_tile(&mut self, tile: ShopTile, fx: &mut Vec<Effect>) {
        self.shop.added = None;
        match tile {
            ShopTile::Usual => self.push(Screen::Shop(ShopScreen::Items(ItemList::Usual))),
            ShopTile::Category(i) => {
                if let Some(cat) = self
                    .shop
                    .catalogue
                    .as_ref()
                    .and_then(|c| c.categories.get(i))
                {
                    let cat = cat.clone();
                    self.push(Screen::Shop(ShopScreen::Items(ItemList::Category(cat))));
                }
            }
            ShopTile::History => {
                self.push(Screen::Shop(ShopScreen::Orders));
                fx.push(Effect::Shop(ShopEffect::LoadOrders));
            }
        }
    }

    /// The item page, asking for the item's photo when it has one not yet shown.
    fn open_item(&mut self, item_id: i64, qty: u32, fx: &mut Vec<Effect>) {
        self.push(Screen::Shop(ShopScreen::Item { item_id, qty }));
        if let Some(version) = self.shop.item(item_id).and_then(|i| i.photo)
            && self.shop.photo.as_ref().is_none_or(|p| p.0 != item_id)
        {
            fx.push(Effect::Shop(ShopEffect::Photo { item_id, version }));
        }
    }

    fn item_key(&mut self, item_id: i64, qty: u32, k: Key, fx: &mut Vec<Effect>) {
        use engawa_shop::api::MAX_QTY;
        let qty = match k {
            Key::Up | Key::Right | Key::VolumeUp => (qty + 1).min(MAX_QTY),
            Key::Down | Key::Left | Key::VolumeDown => qty.saturating_sub(1).max(1),
            Key::Digit(d @ 1..=9) => u32::from(d),
            Key::Ok | Key::Green => {
                let Some(item) = self.shop.item(item_id) else {
                    return self.pop();
                };
                let line = CartLine {
                    item_id,
                    name: item.name.clone(),
                    unit: item.unit.clone(),
                    price_yen: item.price_yen,
                    qty,
                };
                let name = line.name.clone();
                if !self.shop.cart.set(line) {
                    self.dialog = Some(Dialog::Shop(ShopNotice::CartFull));
                    return;
                }
                fx.push(Effect::Shop(ShopEffect::SaveCart(self.shop.cart.clone())));
                self.pop();
                if k == Key::Green {
                    if self.page().screen != Screen::Shop(ShopScreen::Cart) {
                        self.open_cart();
                    }
                } else {
                    self.shop.added = Some(name);
                }
                return;
            }
            _ => qty,
        };
        self.page_mut().screen = Screen::Shop(ShopScreen::Item { item_id, qty });
    }

    fn cart_key(&mut self, focus: usize, k: Key, fx: &mut Vec<Effect>) {
        let n = self.shop.cart.lines.len();
        let Some(line) = self.shop.cart.lines.get(focus).cloned() else {
            return;
        };
        match k {
            Key::Left | Key::Right => {
                let qty = if k == Key::Left {
                    line.qty.saturating_sub(1).max(1)
                } else {
                    line.qty + 1
                };
                self.shop.cart.set(CartLine { qty, ..line });
                fx.push(Effect::Shop(ShopEffect::SaveCart(self.shop.cart.clone())));
            }
            Key::Ok | Key::Yellow => self.open_item(line.item_id, line.qty, fx),
            Key::Red => self.dialog = Some(Dialog::RemoveFromCart(line.item_id)),
            Key::Green => {
                fx.push(Effect::Shop(ShopEffect::PlaceOrder(self.shop.cart.clone())));
                self.dialog = Some(Dialog::Shop(ShopNotice::Sending));
            }
            _ => match list_move(focus, n, k) {
                ListMove::Focus(f) => self.page_mut().focus = f,
                ListMove::Open(i) => self.page_mut().focus = i,
                ListMove::None => {}
            },
        }
    }

    fn ask_cancel(&mut self, order_id: i64) {
        let order = self
            .shop
            .orders
            .iter()
            .flatten()
            .chain(match &self.page().screen {
                Screen::Shop(ShopScreen::OrderDone(o)) => Some(o.as_ref()),
                _ => None,
            })
            .find(|o| o.id == order_id);
        self.dialog = match order {
            Some(o) if o.cancelled_at.is_some() => return,
            Some(o) if o.can_cancel(self.now) => Some(Dialog::CancelOrder(order_id)),
            Some(_) => Some(Dialog::Shop(ShopNotice::TooLate)),
            None => return,
        };
    }

    pub(super) fn shop_dialog_key(&mut self, d: Dialog, k: Key, fx: &mut Vec<Effect>) {
        match (d, k) {
            (Dialog::RemoveFromCart(id), Key::Ok) => {
                self.shop.cart.remove(id);
                fx.push(Effect::Shop(ShopEffect::SaveCart(self.shop.cart.clone())));
                if self.shop.cart.is_empty() {
                    self.pop();
                }
                self.clamp_focus();
            }
            (Dialog::CancelOrder(id), Key::Ok) => {
                fx.push(Effect::Shop(ShopEffect::Cancel(id)));
                self.dialog = Some(Dialog::Shop(ShopNotice::Sending));
            }
            (Dialog::RemoveFromCart(_) | Dialog::CancelOrder(_), Key::Back | Key::Home) => {}
            (d @ (Dialog::RemoveFromCart(_) | Dialog::CancelOrder(_)), _) => self.dialog = Some(d),
            // The answer is on its way; keys wait (they are not queued to act later).
            (d @ Dialog::Shop(ShopNotice::Sending), _) => self.dialog = Some(d),
            (Dialog::Shop(ShopNotice::Changed(_)), _)
                if self.shop.cart.is_empty()
                    && self.page().screen == Screen::Shop(ShopScreen::Cart) =>
            {
                self.pop()
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
