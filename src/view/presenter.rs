//! Ties the app core to a window on the UI thread: an event goes into `App`, the
//! new frame goes to Slint, the effects go to the runtime.

use engawa_ui::AppWindow;
use slint::ComponentHandle;

use super::bridge;
use super::dump::FrameDump;
use super::model::{BoxInfo, Frame, Lang, frame};
use crate::app::{App, Effect, Event};

pub struct Presenter {
    pub app: App,
    pub info: BoxInfo,
    pub lang: Lang,
    window: AppWindow,
    effects: Box<dyn FnMut(Effect)>,
    dump: Option<FrameDump>,
    /// The last frame pushed, and how many differed from the one before.
    last: Option<Frame>,
    generation: i32,
}

impl Presenter {
    pub fn new(
        app: App,
        info: BoxInfo,
        lang: Lang,
        window: AppWindow,
        effects: Box<dyn FnMut(Effect)>,
    ) -> Presenter {
        let mut p = Presenter {
            app,
            info,
            lang,
            window,
            effects,
            dump: None,
            last: None,
            generation: 0,
        };
        p.render();
        p
    }

    /// Also write every frame to a file (`[box] frame_file`).
    pub fn with_dump(mut self, dump: FrameDump) -> Presenter {
        self.dump = Some(dump);
        self.render();
        self
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

    pub fn render(&mut self) {
        let f = frame(&self.app, &self.info, self.lang);
        if self.last.as_ref() != Some(&f) {
            // A new frame repaints the whole screen (see Repaint in ui/app.slint).
            self.generation = self.generation.wrapping_add(1);
            self.window
                .global::<engawa_ui::Api>()
                .set_generation(self.generation);
        }
        bridge::apply(&self.window, &f);
        if let Some(d) = &mut self.dump {
            let size = self.window.window().size();
            d.push(&f, (size.width, size.height));
        }
        self.last = Some(f);
    }
}
