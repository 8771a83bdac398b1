//! Rendering without a display: a Slint platform around a `MinimalSoftwareWindow`
//! that draws into our own pixel buffer. Used by `engawa screenshot`, the
//! screenshot tests and `engawa bench ui`.

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

struct HeadlessPlatform {
    window: Rc<MinimalSoftwareWindow>,
    start: Instant,
}

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
    fn duration_since_start(&self) -> std::time::Duration {
        self.start.elapsed()
    }
}

pub struct Headless {
    window: Rc<MinimalSoftwareWindow>,
    pub width: u32,
    pub height: u32,
    buffer: Vec<Rgb8Pixel>,
}

impl Headless {
    /// Install the headless platform for this process. Call before creating any
    /// Slint component; only once per process.
    pub fn install(width: u32, height: u32) -> Result<Headless, slint::PlatformError> {
        let window = MinimalSoftwareWindow::new(RepaintBufferType::ReusedBuffer);
        slint::platform::set_platform(Box::new(HeadlessPlatform {
            window: window.clone(),
            start: Instant::now(),
        }))
        .map_err(|e| {
            slint::PlatformError::Other(format!("cannot install the headless renderer: {e}"))
        })?;
        window.set_size(PhysicalSize::new(width, height));
        Ok(Headless {
            window,
            width,
            height,
            buffer: vec![Rgb8Pixel { r: 0, g: 0, b: 0 }; (width * height) as usize],
        })
    }

    /// Draw whatever changed since the last frame. Returns whether anything was
    /// drawn.
    pub fn render(&mut self) -> bool {
        slint::platform::update_timers_and_animations();
        let (buffer, width) = (&mut self.buffer, self.width as usize);
        self.window.draw_if_needed(|r| {
            r.render(buffer, width);
        })
    }

    pub fn pixels(&self) -> impl Iterator<Item = [u8; 3]> + '_ {
        self.buffer.iter().map(|p| [p.r, p.g, p.b])
    }

    pub fn write_png(&self, path: &Path) -> anyhow::Result<()> {
        use anyhow::Context;
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
