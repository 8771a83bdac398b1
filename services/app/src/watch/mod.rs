//! Watch-over on the box's screen: 安心 (reminders, away mode, who is told),
//! the away page, the safety check's state, and what watch-over's runtime
//! tells the app. The ladder and its mails run in the box's runtime
//! (`engawa::watch`); `view` draws these screens.

use chrono::{DateTime, Utc};

use crate::remind::RemindScreen;
use crate::{AWAY_DAYS, App, Dialog, Effect, Key, ListMove, Screen, WatchInfo, list_move};

pub mod view;

/// 安心 and its pages.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchScreen {
    /// 安心: reminders and 留守にします.
    Menu,
    /// How long the resident will be away (index into `AWAY_DAYS`).
    Away(usize),
    /// 「だれに 知らせるか」: the contacts in order and the rule in force.
    Info,
}

/// What watch-over's runtime tells the app.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent {
    /// The watch-over asks 「お元気ですか？」 (true) or the question is answered.
    SafetyCheck(bool),
    /// Back from away mode: 「おかえりなさい」.
    WelcomeBack,
    /// Away mode is on until then (`None`: watching).
    Away(Option<DateTime<Utc>>),
    /// Who the watch-over tells, and the rule in force.
    Info(WatchInfo),
}

/// What the screens ask of watch-over's runtime.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEffect {
    /// 留守にします: away mode until then (the watch-over stays silent).
    SetAway(DateTime<Utc>),
    /// Back early: watching again.
    EndAway,
}

impl App {
    pub(super) fn watch_event(&mut self, e: WatchEvent, fx: &mut Vec<Effect>) {
        match e {
            WatchEvent::SafetyCheck(on) => {
                if on && !self.safety_check {
                    fx.push(Effect::PlayChime);
                }
                self.safety_check = on;
            }
            WatchEvent::WelcomeBack => self.dialog = Some(Dialog::WelcomeBack),
            WatchEvent::Away(until) => self.away_until = until,
            WatchEvent::Info(info) => self.watch_info = info,
        }
    }

    pub(super) fn watch_key(&mut self, w: WatchScreen, focus: usize, k: Key, fx: &mut Vec<Effect>) {
        match w {
            WatchScreen::Menu => match list_move(focus, 3, k) {
                ListMove::Focus(f) => self.page_mut().focus = f,
                ListMove::Open(0) => {
                    self.page_mut().focus = 0;
                    self.push(Screen::Remind(RemindScreen::List))
                }
                ListMove::Open(2) => {
                    self.page_mut().focus = 2;
                    self.push(Screen::Watch(WatchScreen::Info))
                }
                ListMove::Open(_) => {
                    self.page_mut().focus = 1;
                    if self.away_until.is_some() {
                        fx.push(Effect::Watch(WatchEffect::EndAway));
                        self.away_until = None;
                        self.dialog = Some(Dialog::WelcomeBack);
                    } else {
                        self.push(Screen::Watch(WatchScreen::Away(0)));
                    }
                }
                ListMove::None => {}
            },
            WatchScreen::Info => {
                let n = self.watch_info.contacts.len();
                if let ListMove::Focus(f) = list_move(focus, n, k) {
                    self.page_mut().focus = f;
                }
            }
            WatchScreen::Away(choice) => match k {
                Key::Left => {
                    self.page_mut().screen =
                        Screen::Watch(WatchScreen::Away(choice.saturating_sub(1)))
                }
                Key::Right => {
                    self.page_mut().screen =
                        Screen::Watch(WatchScreen::Away((choice + 1).min(AWAY_DAYS.len() - 1)))
                }
                Key::Green | Key::Ok => {
                    let until = self.now + chrono::Duration::days(AWAY_DAYS[choice]);
                    fx.push(Effect::Watch(WatchEffect::SetAway(until)));
                    self.away_until = Some(until);
                    self.pop();
                }
                _ => {}
            },
        }
    }
}
