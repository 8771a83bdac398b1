//! Ties the app core to a window on the UI thread: an event goes into `App`, the
//! new frame goes to Slint, the effects go to the runtime.

use engawa_ui::AppWindow;

use super::bridge;
use super::model::{BoxInfo, Lang, frame};
use crate::app::{App, Effect, Event};

pub struct Presenter {
    pub app: App,
    pub info: BoxInfo,
    pub lang: Lang,
    window: AppWindow,
    effects: Box<dyn FnMut(Effect)>,
}

impl Presenter {
    pub fn new(
        app: App,
        info: BoxInfo,
        lang: Lang,
        window: AppWindow,
        effects: Box<dyn FnMut(Effect)>,
    ) -> Presenter {
        let p = Presenter {
            app,
            info,
            lang,
            window,
            effects,
        };
        p.render();
        p
    }

    pub fn window(&self) -> &AppWindow {
        &self.window
    }

    pub fn dispatch(&mut self, ev: Event) {
        let fx = self.app.handle(ev);
        self.render();
        for e in fx {
            (self.effects)(e);
        }
    }

    pub fn render(&self) {
        bridge::apply(&self.window, &frame(&self.app, &self.info, self.lang));
    }
}
