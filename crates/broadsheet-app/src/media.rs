//! Picture renditions: the sizes pages ask for, made once and stored.

use std::io::Cursor;

use image::ImageReader;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;

/// Widths pages use in `srcset` (pictures are never enlarged).
pub const WIDTHS: [u32; 2] = [480, 960];

/// A made rendition.
pub struct Rendition {
    pub width: u32,
    pub format: &'static str,
    pub bytes: Vec<u8>,
}

/// Decodes a picture and makes a JPEG at each width in [`WIDTHS`] no wider
/// than the original. Metadata is not carried over.
pub fn renditions(original: &[u8]) -> Result<Vec<Rendition>, String> {
    let img = ImageReader::new(Cursor::new(original))
        .with_guessed_format()
        .map_err(|e| format!("cannot read picture: {e}"))?
        .decode()
        .map_err(|e| format!("cannot decode picture: {e}"))?;
    let mut out = Vec::new();
    for w in WIDTHS {
        if w > img.width() && w != WIDTHS[0] {
            continue;
        }
        let w = w.min(img.width());
        let h = ((u64::from(img.height()) * u64::from(w)) / u64::from(img.width().max(1))).max(1)
            as u32;
        let resized = if w == img.width() {
            img.clone()
        } else {
            img.resize_exact(w, h, FilterType::Triangle)
        };
        let mut bytes = Vec::new();
        JpegEncoder::new_with_quality(&mut bytes, 78)
            .encode_image(&resized.to_rgb8())
            .map_err(|e| format!("cannot encode picture: {e}"))?;
        out.push(Rendition {
            width: w,
            format: "jpeg",
            bytes,
        });
    }
    Ok(out)
}
