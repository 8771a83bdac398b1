//! Rendering without a display: a Slint platform around a `MinimalSoftwareWindow`
//! that draws into our own pixel buffer. Used by `engawa screenshot`, the
//! screenshot tests and `engawa bench ui`.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::Instant;

use slint::PhysicalSize;
use slint::platform::software_renderer::{
    MinimalSoftwareWindow, PremultipliedRgbaColor, RepaintBufferType, TargetPixel,
};
use slint::platform::{Platform, WindowAdapter};

/// One RGB pixel of our frame buffer (Slint does not export its own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rgb8Pixel {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

impl TargetPixel for Rgb8Pixel {
    fn blend(&mut self, c: PremultipliedRgbaColor) {
        let keep = (u8::MAX - c.alpha) as u16;
        let mix = |dst: u8, src: u8| (dst as u16 * keep / 255) as u8 + src;
        *self = Rgb8Pixel {
            r: mix(self.r, c.red),
            g: mix(self.g, c.green),
            b: mix(self.b, c.blue),
        };
    }
    fn from_rgb(r: u8, g: u8, b: u8) -> Self {
        Rgb8Pixel { r, g, b }
    }
}

/// Hands out one software window per Slint component created, all of the same
/// size: the first is "the screen"; later ones are fresh windows that draw a
/// state from nothing (to compare the screen's partial redraws against).
struct HeadlessPlatform {
    windows: Rc<RefCell<Vec<Rc<MinimalSoftwareWindow>>>>,
    size: PhysicalSize,
    start: Instant,
}

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        let window = MinimalSoftwareWindow::new(RepaintBufferType::ReusedBuffer);
        window.set_size(self.size);
        self.windows.borrow_mut().push(window.clone());
        Ok(window)
    }
    fn duration_since_start(&self) -> std::time::Duration {
        self.start.elapsed()
    }
}

pub struct Headless {
    windows: Rc<RefCell<Vec<Rc<MinimalSoftwareWindow>>>>,
    pub width: u32,
    pub height: u32,
    buffer: Vec<Rgb8Pixel>,
    last_region: Vec<(i32, i32, u32, u32)>,
}

impl Headless {
    /// Install the headless platform for this process. Call before creating any
    /// Slint component; only once per process.
    pub fn install(width: u32, height: u32) -> Result<Headless, slint::PlatformError> {
        let windows: Rc<RefCell<Vec<Rc<MinimalSoftwareWindow>>>> = Rc::default();
        slint::platform::set_platform(Box::new(HeadlessPlatform {
            windows: windows.clone(),
            size: PhysicalSize::new(width, height),
            start: Instant::now(),
        }))
        .map_err(|e| {
            slint::PlatformError::Other(format!("cannot install the headless renderer: {e}"))
        })?;
        Ok(Headless {
            windows,
            width,
            height,
            buffer: vec![Rgb8Pixel { r: 0, g: 0, b: 0 }; (width * height) as usize],
            last_region: Vec::new(),
        })
    }

    /// Draw whatever changed on the screen (the first window) since its last
    /// frame, into the same buffer — partial redraws, as on a real display.
    /// Returns whether anything was drawn.
    pub fn render(&mut self) -> bool {
        slint::platform::update_timers_and_animations();
        let Some(window) = self.windows.borrow().first().cloned() else {
            return false;
        };
        let (buffer, width) = (&mut self.buffer, self.width as usize);
        let mut region = Vec::new();
        let drew = window.draw_if_needed(|r| {
            region = r
                .render(buffer, width)
                .iter()
                .map(|(o, s)| (o.x, o.y, s.width, s.height))
                .collect();
        });
        self.last_region = region;
        drew
    }

    /// The rectangles the last `render` redrew (x, y, width, height).
    pub fn last_region(&self) -> &[(i32, i32, u32, u32)] {
        &self.last_region
    }

    /// The screen's pixels as last drawn.
    pub fn buffer(&self) -> &[Rgb8Pixel] {
        &self.buffer
    }

    /// Draw the newest window (created after the screen) from nothing, into a
    /// buffer of its own, and forget the window.
    pub fn render_fresh(&mut self) -> Option<Vec<Rgb8Pixel>> {
        slint::platform::update_timers_and_animations();
        let window = {
            let mut ws = self.windows.borrow_mut();
            if ws.len() < 2 {
                return None;
            }
            ws.pop()?
        };
        let mut buffer = vec![Rgb8Pixel::default(); (self.width * self.height) as usize];
        let width = self.width as usize;
        window.draw_if_needed(|r| {
            r.render(&mut buffer, width);
        });
        Some(buffer)
    }

    pub fn pixels(&self) -> impl Iterator<Item = [u8; 3]> + '_ {
        self.buffer.iter().map(|p| [p.r, p.g, p.b])
    }

    /// Writes the screen as PNG, or as binary PPM when the name ends in `.ppm`
    /// (what QEMU's screendump writes, for tests that compare the two).
    pub fn write_png(&self, path: &Path) -> anyhow::Result<()> {
        use anyhow::Context;
        if path.extension().is_some_and(|e| e == "ppm") {
            let mut bytes = format!("P6\n{} {}\n255\n", self.width, self.height).into_bytes();
            bytes.extend(self.pixels().flatten());
            return std::fs::write(path, bytes)
                .with_context(|| format!("cannot write {}", path.display()));
        }
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), self.width, self.height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .with_context(|| format!("cannot write {}", path.display()))?;
        let bytes: Vec<u8> = self.pixels().flatten().collect();
        w.write_image_data(&bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }
}
