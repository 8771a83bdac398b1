//! Copies a `Frame` into the Slint `Api` global, and turns the window's key
//! events into `Key`s (the PC keyboard acts as the remote in development).

use slint::platform::Key as SK;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use engawa_ui::{Api, AppWindow, Page, Theme};

use super::model::{Frame, Hint, PageKind};
use crate::input::Key;

fn hint(h: &Hint) -> engawa_ui::Hint {
    engawa_ui::Hint {
        colour: h.colour as i32,
        key: h.key.as_str().into(),
        text: h.text.as_str().into(),
    }
}

fn hints(h: &[Hint]) -> ModelRc<engawa_ui::Hint> {
    ModelRc::new(VecModel::from(h.iter().map(hint).collect::<Vec<_>>()))
}

fn rows(r: &[super::model::Row]) -> ModelRc<engawa_ui::Row> {
    model(
        r.iter()
            .map(|r| engawa_ui::Row {
                number: r.number.as_str().into(),
                text: r.text.as_str().into(),
                detail: r.detail.as_str().into(),
            })
            .collect(),
    )
}

/// One model row per line, so the screen can put air between them.
fn paragraphs(text: &str) -> ModelRc<SharedString> {
    model(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(SharedString::from)
            .collect(),
    )
}

fn model<T: Clone + 'static>(v: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(v))
}

/// The Slint page for a frame's page: one arm per kind, so a page added on
/// either side without the other does not compile.
fn page(p: PageKind) -> Page {
    match p {
        PageKind::Home => Page::Home,
        PageKind::Notice => Page::Notice,
        PageKind::List => Page::List,
        PageKind::Form => Page::Form,
        PageKind::Settings => Page::Settings,
        PageKind::ShopGrid => Page::ShopGrid,
        PageKind::Item => Page::Item,
        PageKind::Cart => Page::Cart,
    }
}

/// Push one frame. Cheap enough to call after every key: Slint only redraws what
/// changed.
pub fn apply(window: &AppWindow, f: &Frame) {
    let api = window.global::<Api>();
    window.global::<Theme>().set_scale(f.scale);
    api.set_page(f.page.map_or(Page::Home, page));
    api.set_title(f.title.as_str().into());
    api.set_clock(f.clock.as_str().into());
    api.set_hints(hints(&f.hints));
    api.set_focus(f.focus as i32);
    api.set_tiles(model(
        f.tiles
            .iter()
            .map(|t| engawa_ui::Tile {
                number: t.number.as_str().into(),
                label: t.label.as_str().into(),
                caption: t.caption.as_str().into(),
            })
            .collect(),
    ));
    api.set_settings_label(f.settings_label.as_str().into());
    api.set_notice_heading(f.notice_heading.as_str().into());
    api.set_notice_body(paragraphs(&f.notice_body));
    api.set_notice_phone(f.notice_phone.as_str().into());
    api.set_rows(rows(&f.rows));
    api.set_page_label(f.page_label.as_str().into());
    api.set_list_note(f.list_note.as_str().into());
    api.set_fields(model(
        f.fields
            .iter()
            .map(|x| engawa_ui::Field {
                label: x.label.as_str().into(),
                value: x.value.as_str().into(),
                kind: x.kind as i32,
            })
            .collect(),
    ));
    api.set_days(model(
        f.days
            .iter()
            .map(|d| engawa_ui::Day {
                label: d.label.as_str().into(),
                on: d.on,
                cursor: d.cursor,
            })
            .collect(),
    ));
    api.set_form_error(f.form_error.as_str().into());
    api.set_info(model(
        f.info
            .iter()
            .map(|(l, v)| engawa_ui::InfoLine {
                label: l.as_str().into(),
                value: v.as_str().into(),
            })
            .collect(),
    ));
    if let Some(i) = &f.item {
        api.set_item_name(i.name.as_str().into());
        api.set_item_price(i.price.as_str().into());
        api.set_item_unit(i.unit.as_str().into());
        api.set_item_qty_label(i.qty_label.as_str().into());
        api.set_item_qty(i.qty.as_str().into());
        api.set_item_subtotal(i.subtotal.as_str().into());
        api.set_item_note(i.note.as_str().into());
        api.set_item_glyph(i.glyph.as_str().into());
        api.set_item_category(i.category.as_str().into());
        api.set_item_tone(i.tone as i32);
        api.set_item_has_photo(i.photo.is_some());
        if let Some(p) = &i.photo {
            let buf = slint::SharedPixelBuffer::<slint::Rgba8Pixel>::clone_from_slice(
                &p.rgba, p.width, p.height,
            );
            api.set_item_photo(slint::Image::from_rgba8(buf));
        }
    }
    if let Some(s) = &f.summary {
        api.set_summary_label(s.label.as_str().into());
        api.set_summary_total(s.total.as_str().into());
        api.set_summary_when(s.when.as_str().into());
        api.set_summary_note(paragraphs(&s.note));
    }
    api.set_dialog_visible(f.dialog.is_some());
    if let Some(d) = &f.dialog {
        api.set_dialog_title(d.title.as_str().into());
        api.set_dialog_body(paragraphs(&d.body));
        api.set_dialog_hints(hints(&d.hints));
    }
    api.set_overlay_visible(f.overlay.is_some());
    if let Some(o) = &f.overlay {
        api.set_overlay_label(o.label.as_str().into());
        api.set_overlay_time(o.time.as_str().into());
        api.set_overlay_text(o.text.as_str().into());
        api.set_overlay_note(o.note.as_str().into());
        api.set_overlay_hints(hints(&o.hints));
    }
    api.set_alert_visible(f.alert.is_some());
    if let Some(a) = &f.alert {
        api.set_alert_level(a.level);
        api.set_alert_drill(a.drill.as_str().into());
        api.set_alert_band(a.band.as_str().into());
        api.set_alert_time(a.time.as_str().into());
        api.set_alert_what(a.what.as_str().into());
        api.set_alert_place(a.place.as_str().into());
        api.set_alert_todo(a.todo.as_str().into());
        api.set_alert_shelter_heading(a.shelter_heading.as_str().into());
        api.set_alert_shelters(rows(&a.shelters));
        api.set_alert_note(a.note.as_str().into());
        api.set_alert_answers(hints(&a.answers));
        api.set_alert_hints(hints(&a.hints));
    }
    api.set_banner_visible(f.banner.is_some());
    if let Some(b) = &f.banner {
        api.set_banner_level(b.level);
        api.set_banner_drill(b.drill.as_str().into());
        api.set_banner_band(b.band.as_str().into());
        api.set_banner_text(b.text.as_str().into());
        api.set_banner_detail(b.detail.as_str().into());
        api.set_banner_hint(hint(&b.hint));
    }
}

/// The PC keyboard as a remote: arrows, Enter = 決定, Backspace/Esc = 戻る, 0–9,
/// F1–F4 = 青 赤 緑 黄, Home. Repeats only for the keys that may repeat.
pub fn key_from_slint(text: &SharedString, repeat: bool) -> Option<Key> {
    let mut chars = text.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None; // composed text, not a key
    }
    let is = |k: SK| c == char::from(k);
    let key = if is(SK::UpArrow) {
        Key::Up
    } else if is(SK::DownArrow) {
        Key::Down
    } else if is(SK::LeftArrow) {
        Key::Left
    } else if is(SK::RightArrow) {
        Key::Right
    } else if is(SK::Return) || c == '\r' {
        Key::Ok
    } else if is(SK::Backspace) || is(SK::Escape) {
        Key::Back
    } else if is(SK::Home) {
        Key::Home
    } else if is(SK::F1) {
        Key::Blue
    } else if is(SK::F2) {
        Key::Red
    } else if is(SK::F3) {
        Key::Green
    } else if is(SK::F4) {
        Key::Yellow
    } else if is(SK::PageUp) {
        Key::ChannelUp
    } else if is(SK::PageDown) {
        Key::ChannelDown
    } else if let Some(d) = c.to_digit(10) {
        Key::Digit(d as u8)
    } else {
        tracing::debug!(key = ?c, "ignoring a keyboard key that is not on the remote");
        return None;
    };
    (!repeat || key.repeats()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyboard_as_remote() {
        let s = |k: SK| SharedString::from(k);
        assert_eq!(key_from_slint(&s(SK::UpArrow), false), Some(Key::Up));
        assert_eq!(key_from_slint(&s(SK::Return), false), Some(Key::Ok));
        assert_eq!(key_from_slint(&s(SK::Escape), false), Some(Key::Back));
        assert_eq!(key_from_slint(&s(SK::Backspace), false), Some(Key::Back));
        assert_eq!(key_from_slint(&s(SK::F3), false), Some(Key::Green));
        assert_eq!(key_from_slint(&s(SK::Home), false), Some(Key::Home));
        assert_eq!(key_from_slint(&"7".into(), false), Some(Key::Digit(7)));
        assert_eq!(key_from_slint(&"a".into(), false), None);
        // Holding Enter must not press 決定 again; holding ▼ scrolls.
        assert_eq!(key_from_slint(&s(SK::Return), true), None);
        assert_eq!(key_from_slint(&s(SK::DownArrow), true), Some(Key::Down));
    }
}
