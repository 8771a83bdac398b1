//! Item photos: PNG only, checked before they are stored, decoded on the box, and
//! generated for the demo catalogue.

use std::io::Cursor;

/// Largest photo the head-end accepts, in bytes and pixels per side.
pub const MAX_BYTES: usize = 600 * 1024;
pub const MAX_SIDE: u32 = 1024;

/// A decoded photo: RGBA, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// Check an uploaded photo: a PNG within the size limits. Returns its size.
pub fn check(data: &[u8]) -> Result<(u32, u32), String> {
    if data.len() > MAX_BYTES {
        return Err(format!(
            "the photo is {} KB; at most {} KB",
            data.len() / 1024,
            MAX_BYTES / 1024
        ));
    }
    let decoder = png::Decoder::new(Cursor::new(data));
    let reader = decoder
        .read_info()
        .map_err(|e| format!("not a PNG picture ({e})"))?;
    let info = reader.info();
    let (w, h) = (info.width, info.height);
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(format!(
            "the photo is {w}×{h}; at most {MAX_SIDE}×{MAX_SIDE}"
        ));
    }
    Ok((w, h))
}

/// Decode a checked PNG into RGBA (grey, RGB, palette and 16-bit are converted).
pub fn decode(data: &[u8]) -> Result<Photo, String> {
    check(data)?;
    let mut decoder = png::Decoder::new(Cursor::new(data));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("picture too large")?];
    let frame = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let (w, h) = (frame.width, frame.height);
    let px = (w * h) as usize;
    let rgba = match frame.color_type {
        png::ColorType::Rgba => buf[..px * 4].to_vec(),
        png::ColorType::Rgb => buf[..px * 3]
            .chunks(3)
            .flat_map(|c| [c[0], c[1], c[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => buf[..px * 2]
            .chunks(2)
            .flat_map(|c| [c[0], c[0], c[0], c[1]])
            .collect(),
        png::ColorType::Grayscale => buf[..px].iter().flat_map(|g| [*g, *g, *g, 255]).collect(),
        png::ColorType::Indexed => return Err("palette not expanded".into()),
    };
    Ok(Photo {
        width: w,
        height: h,
        rgba,
    })
}

/// The demo's generated picture for an item: its category's colour with a lighter
/// shape that differs from item to item (`seed`), as a 240×240 PNG.
pub fn placeholder(category: usize, seed: u64) -> Vec<u8> {
    const TONES: [[u8; 3]; 8] = [
        [0x1f, 0x5c, 0x2e],
        [0x8a, 0x1f, 0x1f],
        [0x7a, 0x4a, 0x12],
        [0x14, 0x50, 0x7a],
        [0x4a, 0x3b, 0x7a],
        [0x8a, 0x2a, 0x5e],
        [0x5c, 0x4a, 0x14],
        [0x1f, 0x5a, 0x66],
    ];
    const SIDE: u32 = 240;
    let base = TONES[category % TONES.len()];
    let light = base.map(|c| c + (255 - c) / 2);
    let (cx, cy) = (
        70.0 + (seed % 100) as f32,
        70.0 + ((seed / 100) % 100) as f32,
    );
    let r = 45.0 + (seed % 37) as f32;
    let mut rgb = Vec::with_capacity((SIDE * SIDE * 3) as usize);
    for y in 0..SIDE {
        for x in 0..SIDE {
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            let inside = dx * dx + dy * dy < r * r;
            let stripe = (x + y + seed as u32) % 40 < 4;
            rgb.extend_from_slice(if inside || stripe { &light } else { &base });
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, SIDE, SIDE);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    // Writing into a Vec cannot fail for a well-formed image of the stated size.
    if let Ok(mut w) = enc.write_header() {
        let _ = w.write_image_data(&rgb);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pictures_pass_the_check_and_decode() {
        let png = placeholder(3, 12345);
        assert_eq!(check(&png), Ok((240, 240)));
        let p = decode(&png).unwrap();
        assert_eq!((p.width, p.height, p.rgba.len()), (240, 240, 240 * 240 * 4));
        assert_eq!(p.rgba[3], 255);
        assert_ne!(placeholder(3, 1), placeholder(3, 2));
    }

    #[test]
    fn bad_uploads_are_refused_with_a_reason() {
        assert!(check(b"GIF89a....").unwrap_err().contains("not a PNG"));
        assert!(
            check(&vec![0u8; MAX_BYTES + 1])
                .unwrap_err()
                .contains("at most")
        );
        let mut big = Vec::new();
        let mut enc = png::Encoder::new(&mut big, 2000, 1);
        enc.set_color(png::ColorType::Grayscale);
        enc.write_header()
            .unwrap()
            .write_image_data(&[0u8; 2000])
            .unwrap();
        assert!(check(&big).unwrap_err().contains("2000×1"));
    }
}
