//! The developer path for real: an X server (Xvfb), key presses into the engawa
//! window (xdotool) and the window's pixels read back from the X server.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    pub fn start() -> Xvfb {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1920x1080x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (Debian package xvfb; tests/run installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Xvfb {
            child,
            display: format!(":{}", line.trim()),
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn xdotool(x: &Xvfb, args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", &x.display)
        .output()
        .expect("xdotool (Debian package xdotool; tests/run installs it)");
    assert!(
        out.status.success(),
        "xdotool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Real key presses into the engawa window (xdotool key names).
#[allow(dead_code)]
pub fn press(x: &Xvfb, keys: &[&str]) {
    // --onlyvisible: a window that exists but is not mapped yet cannot take
    // the focus (X answers BadMatch; seen once in a run).
    let mut args = vec![
        "search",
        "--sync",
        "--onlyvisible",
        "--name",
        "^engawa$",
        "windowfocus",
        "--sync",
        "key",
        "--delay",
        "60",
    ];
    args.extend_from_slice(keys);
    xdotool(x, &args);
}

/// The engawa window's contents as the X server holds them: (width, height,
/// RGB bytes).
#[allow(dead_code)]
pub fn window_pixels(x: &Xvfb) -> (u32, u32, Vec<u8>) {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ConnectionExt, ImageFormat};

    let id: u32 = xdotool(
        x,
        &["search", "--sync", "--onlyvisible", "--name", "^engawa$"],
    )
    .lines()
    .next()
    .and_then(|l| l.trim().parse().ok())
    .expect("the engawa window's id");
    let (conn, _) = x11rb::connect(Some(&x.display)).expect("connect to Xvfb");
    let geometry = conn.get_geometry(id).unwrap().reply().unwrap();
    let (w, h) = (geometry.width, geometry.height);
    let image = conn
        .get_image(ImageFormat::Z_PIXMAP, id, 0, 0, w, h, !0)
        .unwrap()
        .reply()
        .unwrap();
    let format = conn
        .setup()
        .pixmap_formats
        .iter()
        .find(|f| f.depth == image.depth)
        .expect("the image's pixmap format");
    // The window has a 24-bit or (with alpha) 32-bit visual, both in 32-bit
    // pixels on Xvfb.
    assert!(
        matches!(image.depth, 24 | 32) && format.bits_per_pixel == 32,
        "a {}-bit window in {}-bit pixels",
        image.depth,
        format.bits_per_pixel
    );
    // Little-endian 0xAARRGGBB: B, G, R, alpha or pad.
    let rgb = image
        .data
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0]])
        .collect();
    (u32::from(w), u32::from(h), rgb)
}
