//! Picture renditions: the sizes pages ask for, made once and stored.

use std::io::Cursor;

use image::ImageReader;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;

/// Widths pages use in `srcset` (pictures are never enlarged).
pub const WIDTHS: [u32; 2] = [480, 960];

/// A made rendition.
#[derive(Debug)]
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
    // Every nominal width is stored (pages ask for all of them); a picture
    // narrower than a width is stored at its own size under that width.
    for nominal in WIDTHS {
        let w = nominal.min(img.width());
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
            width: nominal,
            format: "jpeg",
            bytes,
        });
    }
    Ok(out)
}

/// Largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Largest picture accepted, in pixels (width × height).
pub const MAX_PIXELS: u64 = 50_000_000;

/// A checked, re-encoded upload, ready to store.
#[derive(Debug)]
pub struct Accepted {
    /// The picture re-encoded as JPEG (no metadata carried over).
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub renditions: Vec<Rendition>,
    /// Caption and credit found in the file's IPTC data, if any.
    pub iptc_caption: Option<String>,
    pub iptc_credit: Option<String>,
}

/// Checks an uploaded file and makes everything stored from it. `declared`
/// is what the uploader said it is (file name or content type); a file whose
/// bytes say otherwise is refused. Errors say what was wrong and what to do.
pub fn accept_upload(bytes: &[u8], declared: &str) -> Result<Accepted, String> {
    use image::ImageFormat;
    if bytes.is_empty() {
        return Err("The file is empty: choose a JPEG, PNG or WebP picture.".into());
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(format!(
            "The file is {:.1} MB; the most we take is {} MB. Export it smaller and try again.",
            bytes.len() as f64 / 1_048_576.0,
            MAX_UPLOAD_BYTES / 1_048_576
        ));
    }
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => f,
        Ok(other) => {
            return Err(format!(
                "This is a {other:?} file; we take JPEG, PNG and WebP pictures. Convert it and try again."
            ));
        }
        Err(_) => {
            return Err(
                "This file is not a picture we can read: choose a JPEG, PNG or WebP file.".into(),
            );
        }
    };
    let real = match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        _ => "WebP",
    };
    let d = declared.to_ascii_lowercase();
    let claims = if d.ends_with(".jpg") || d.ends_with(".jpeg") || d.contains("image/jpeg") {
        Some("JPEG")
    } else if d.ends_with(".png") || d.contains("image/png") {
        Some("PNG")
    } else if d.ends_with(".webp") || d.contains("image/webp") {
        Some("WebP")
    } else {
        None
    };
    match claims {
        Some(c) if c != real => {
            return Err(format!(
                "The file says it is {c} but its contents are {real}: rename it or export it again as {c}."
            ));
        }
        None => {
            return Err(format!(
                "The file name {declared:?} does not say what kind of picture it is: use .jpg, .png or .webp."
            ));
        }
        _ => {}
    }
    if !complete(format, bytes) {
        return Err(format!(
            "The {real} file is damaged or cut short: export it again and upload the new file."
        ));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| {
            format!(
                "The {real} file is damaged or cut short: export it again and upload the new file."
            )
        })?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(format!(
            "The picture is {w}×{h} pixels; the most we take is {} megapixels. Make it smaller and try again.",
            MAX_PIXELS / 1_000_000
        ));
    }
    let img = reader.decode().map_err(|_| {
        format!("The {real} file is damaged or cut short: export it again and upload the new file.")
    })?;
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(&img.to_rgb8())
        .map_err(|e| format!("The picture could not be converted: {e}"))?;
    let renditions = renditions(&jpeg)?;
    let (iptc_caption, iptc_credit) = if format == ImageFormat::Jpeg {
        iptc(bytes)
    } else {
        (None, None)
    };
    Ok(Accepted {
        jpeg,
        width: img.width(),
        height: img.height(),
        renditions,
        iptc_caption,
        iptc_credit,
    })
}

/// Whether a file has its format's end: decoders fill in a cut-off picture
/// with grey rather than fail, so we look for the end marker ourselves.
fn complete(format: image::ImageFormat, bytes: &[u8]) -> bool {
    match format {
        // EOI, allowing a little trailing padding some cameras add.
        image::ImageFormat::Jpeg => {
            bytes.len() >= 4
                && bytes[bytes.len().saturating_sub(64)..]
                    .windows(2)
                    .any(|w| w == [0xFF, 0xD9])
        }
        // The IEND chunk closes every PNG.
        image::ImageFormat::Png => {
            bytes.len() >= 12 && bytes[bytes.len() - 12..].windows(4).any(|w| w == b"IEND")
        }
        // RIFF's length field covers the whole file.
        image::ImageFormat::WebP => {
            bytes.len() >= 12
                && u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize + 8
                    <= bytes.len()
        }
        _ => false,
    }
}

/// Caption (2:120) and credit (2:110, else by-line 2:80) from a JPEG's IPTC
/// IIM block (APP13, Photoshop resource 0x0404).
pub fn iptc(jpeg: &[u8]) -> (Option<String>, Option<String>) {
    let mut caption = None;
    let mut credit = None;
    let mut byline = None;
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        let marker = jpeg[i + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        let end = (i + 2 + len).min(jpeg.len());
        if marker == 0xED && end > i + 4 {
            let seg = &jpeg[i + 4..end];
            // IIM datasets: 0x1C, record, dataset, 2-byte length, data.
            let mut j = 0;
            while j + 5 <= seg.len() {
                if seg[j] == 0x1C && seg[j + 1] == 2 {
                    let ds = seg[j + 2];
                    let n = usize::from(u16::from_be_bytes([seg[j + 3], seg[j + 4]]));
                    let data = seg.get(j + 5..j + 5 + n).unwrap_or(&[]);
                    let text = String::from_utf8_lossy(data).trim().to_string();
                    if !text.is_empty() {
                        match ds {
                            120 => caption = Some(text),
                            110 => credit = Some(text),
                            80 => byline = Some(text),
                            _ => {}
                        }
                    }
                    j += 5 + n;
                } else {
                    j += 1;
                }
            }
        }
        if marker == 0xDA {
            break;
        }
        i = end;
    }
    (caption, credit.or(byline))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(format: image::ImageFormat) -> Vec<u8> {
        let img =
            image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 3, y as u8 * 4, 90]));
        let mut out = Cursor::new(Vec::new());
        let _ = image::DynamicImage::ImageRgb8(img).write_to(&mut out, format);
        out.into_inner()
    }

    #[test]
    fn accepts_real_pictures_and_refuses_the_rest() {
        let jpeg = sample(image::ImageFormat::Jpeg);
        let png = sample(image::ImageFormat::Png);
        assert!(accept_upload(&jpeg, "harbour.jpg").is_ok());
        assert!(accept_upload(&png, "harbour.png").is_ok());
        let e = accept_upload(&png, "harbour.jpg").err().unwrap_or_default();
        assert!(
            e.contains("says it is JPEG but its contents are PNG"),
            "{e}"
        );
        let e = accept_upload(&jpeg[..jpeg.len() / 3], "cut.jpg")
            .err()
            .unwrap_or_default();
        assert!(e.contains("damaged or cut short"), "{e}");
        let e = accept_upload(
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "x.svg",
        )
        .err()
        .unwrap_or_default();
        assert!(e.contains("not a picture we can read"), "{e}");
        let e = accept_upload(&vec![0xFF; MAX_UPLOAD_BYTES + 1], "big.jpg")
            .err()
            .unwrap_or_default();
        assert!(e.contains("the most we take"), "{e}");
        assert!(accept_upload(&[], "empty.jpg").is_err());
    }

    #[test]
    fn reads_iptc_caption_and_credit() {
        let jpeg = sample(image::ImageFormat::Jpeg);
        // Insert an APP13 segment after SOI.
        let mut iim = b"Photoshop 3.0\0".to_vec();
        for (ds, text) in [
            (120u8, "Boats in the harbour at dawn"),
            (110u8, "Jo Bloggs/Coast Agency"),
        ] {
            iim.extend_from_slice(&[0x1C, 2, ds]);
            iim.extend_from_slice(&(text.len() as u16).to_be_bytes());
            iim.extend_from_slice(text.as_bytes());
        }
        let mut with = vec![0xFF, 0xD8, 0xFF, 0xED];
        with.extend_from_slice(&((iim.len() + 2) as u16).to_be_bytes());
        with.extend_from_slice(&iim);
        with.extend_from_slice(&jpeg[2..]);
        let (c, k) = iptc(&with);
        assert_eq!(c.as_deref(), Some("Boats in the harbour at dawn"));
        assert_eq!(k.as_deref(), Some("Jo Bloggs/Coast Agency"));
        let a = accept_upload(&with, "boats.jpeg").map_err(|e| e.to_string());
        assert!(a.is_ok_and(
            |a| a.iptc_caption.is_some() && !a.jpeg.windows(9).any(|w| w == b"Photoshop")
        ));
    }
}
