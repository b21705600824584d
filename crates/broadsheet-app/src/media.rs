//! Pictures: the one door for uploads (type, size, decoder memory,
//! completeness, text lengths), the renditions pages ask for, the gate that
//! bounds how many uploads are decoded at once, and who may fetch a rendition
//! (readers only while the picture is in published use, staff always).

use std::io::Cursor;
use std::time::Duration;

use broadsheet_domain::markup;
use broadsheet_domain::permissions::{self, Action};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};
use rand::RngCore;

use crate::newsroom::Staff;
use crate::{App, AppError, Result, keys};

/// Nominal widths of the renditions pages list in `srcset` (pictures are
/// never enlarged: see [`rendition_widths`]). Each is at most twice the one
/// before, so a browser choosing by `sizes` never takes more than twice the
/// pixels a slot shows; the widest is 2× the widest slot (the home page's
/// lead on a high-density wide screen).
pub const WIDTHS: [u32; 7] = [160, 320, 480, 640, 960, 1280, 1920];

/// Stored formats, by the name kept in `picture_renditions.format`: JPEG for
/// every browser, and lossy WebP (libwebp through the `webp` crate; `image`'s
/// own encoder is lossless only, larger than JPEG for photographs) offered
/// first in each `<picture>`.
pub const FORMATS: [&str; 2] = ["jpeg", "webp"];

/// Aspect-ratio crops for structured data and link cards: Google's article
/// markup asks for each picture in 1:1, 4:3 and 16:9 (at least 50,000
/// pixels each). Centre crops of the whole picture, JPEG, stored in
/// `picture_renditions` under the format name `jpeg-<ratio>` at the nominal
/// width [`CROP_WIDTH`] (a narrower picture's crop keeps its own width).
/// Entries: (format name, ratio as in the address, width part, height part).
pub const CROPS: [(&str, &str, u32, u32); 3] = [
    ("jpeg-1x1", "1x1", 1, 1),
    ("jpeg-4x3", "4x3", 4, 3),
    ("jpeg-16x9", "16x9", 16, 9),
];

/// The nominal (and widest) width of a crop in [`CROPS`].
pub const CROP_WIDTH: u32 = 1200;

/// The stored format name of the crop with address ratio `ratio` ("16x9").
pub fn crop_format(ratio: &str) -> Option<&'static str> {
    CROPS.iter().find(|c| c.1 == ratio).map(|c| c.0)
}

/// The (x, y, width, height) of the largest centred `rw`:`rh` area of a
/// `w`×`h` picture.
fn crop_box(w: u32, h: u32, rw: u32, rh: u32) -> (u32, u32, u32, u32) {
    let (w64, h64, rw64, rh64) = (u64::from(w), u64::from(h), u64::from(rw), u64::from(rh));
    if w64 * rh64 > h64 * rw64 {
        // Wider than the ratio: full height, a narrower width.
        let cw = ((h64 * rw64) / rh64).max(1) as u32;
        ((w - cw) / 2, 0, cw, h)
    } else {
        let ch = ((w64 * rh64) / rw64).max(1) as u32;
        (0, (h - ch) / 2, w, ch)
    }
}

/// The pixel size of the `rw`:`rh` crop of a `w`×`h` picture as stored
/// (at most [`CROP_WIDTH`] wide).
pub fn crop_size(w: u32, h: u32, rw: u32, rh: u32) -> (u32, u32) {
    let (_, _, cw, ch) = crop_box(w.max(1), h.max(1), rw, rh);
    if cw <= CROP_WIDTH {
        (cw, ch)
    } else {
        let h = ((u64::from(CROP_WIDTH) * u64::from(rh)) / u64::from(rw)).max(1) as u32;
        (CROP_WIDTH, h)
    }
}

/// The crops of [`CROPS`] for which `want(format)` says yes.
fn crops_wanted(
    img: &RgbImage,
    want: &dyn Fn(&str) -> bool,
) -> std::result::Result<Vec<Rendition>, String> {
    let mut out = Vec::new();
    for (format, _, rw, rh) in CROPS {
        if !want(format) {
            continue;
        }
        let (x, y, cw, ch) = crop_box(img.width().max(1), img.height().max(1), rw, rh);
        let area = image::imageops::crop_imm(img, x, y, cw, ch).to_image();
        let (w, h) = crop_size(img.width(), img.height(), rw, rh);
        let pic = if w == cw {
            area
        } else {
            image::imageops::resize(&area, w, h, FilterType::Triangle)
        };
        let mut bytes = Vec::new();
        JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
            .encode_image(&pic)
            .map_err(|e| format!("cannot encode picture: {e}"))?;
        out.push(Rendition {
            width: CROP_WIDTH,
            format,
            bytes,
        });
    }
    Ok(out)
}

/// JPEG quality of renditions.
const JPEG_QUALITY: u8 = 78;

/// Lossy WebP quality of renditions (libwebp's 0–100 scale).
const WEBP_QUALITY: f32 = 75.0;

/// The renditions kept of a picture `original` pixels wide, as (nominal
/// width, real width): every nominal width up to the original's, and, when
/// the original is wider than the last of those, the next nominal width at
/// the original's own size (so the full resolution is on offer, and
/// `srcset` names each file by its real width).
pub fn rendition_widths(original: u32) -> Vec<(u32, u32)> {
    let original = original.max(1);
    let mut out = Vec::new();
    for nominal in WIDTHS {
        if nominal <= original {
            out.push((nominal, nominal));
        } else {
            if out.last().is_none_or(|(_, w)| *w < original) {
                out.push((nominal, original));
            }
            break;
        }
    }
    out
}

/// A made rendition.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub width: u32,
    pub format: &'static str,
    pub bytes: Vec<u8>,
}

/// Decodes a stored JPEG (with the same decoder limits as uploads) and makes
/// every rendition of [`rendition_widths`] in every format of [`FORMATS`].
/// Metadata is not carried over. Blocking work: call it off the async workers.
pub fn renditions(original: &[u8]) -> std::result::Result<Vec<Rendition>, String> {
    let img = decode(original, ImageFormat::Jpeg, "JPEG")?;
    renditions_of(&img)
}

/// Decodes a stored JPEG and makes its JPEG renditions only (every width of
/// [`rendition_widths`]): what every browser can show. The WebP renditions
/// and the crops are then made by [`backfill`]. Blocking work.
pub fn jpeg_renditions(original: &[u8]) -> std::result::Result<Vec<Rendition>, String> {
    let img = decode(original, ImageFormat::Jpeg, "JPEG")?;
    renditions_wanted(&img, &|_, format| format == "jpeg")
}

/// The renditions of an already decoded picture.
fn renditions_of(img: &RgbImage) -> std::result::Result<Vec<Rendition>, String> {
    let mut out = renditions_wanted(img, &|_, _| true)?;
    out.extend(crops_wanted(img, &|_| true)?);
    Ok(out)
}

/// The renditions of a decoded picture for which `want(nominal, format)`
/// says yes. Made from the widest down, each resized from the one before
/// (a halving at most, so quality holds and the work stays small).
fn renditions_wanted(
    img: &RgbImage,
    want: &dyn Fn(u32, &str) -> bool,
) -> std::result::Result<Vec<Rendition>, String> {
    let mut out = Vec::new();
    let mut from: Option<RgbImage> = None;
    for (nominal, w) in rendition_widths(img.width()).into_iter().rev() {
        if !FORMATS.iter().any(|f| want(nominal, f)) {
            continue;
        }
        let h = ((u64::from(img.height()) * u64::from(w)) / u64::from(img.width().max(1))).max(1)
            as u32;
        let scaled = if w == img.width() {
            None
        } else {
            let source = from.as_ref().unwrap_or(img);
            Some(image::imageops::resize(source, w, h, FilterType::Triangle))
        };
        let pic = scaled.as_ref().unwrap_or(img);
        if want(nominal, "jpeg") {
            let mut bytes = Vec::new();
            JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
                .encode_image(pic)
                .map_err(|e| format!("cannot encode picture: {e}"))?;
            out.push(Rendition {
                width: nominal,
                format: "jpeg",
                bytes,
            });
        }
        if want(nominal, "webp") {
            let bytes = webp::Encoder::from_rgb(pic.as_raw(), pic.width(), pic.height())
                .encode(WEBP_QUALITY)
                .to_vec();
            if bytes.is_empty() {
                return Err("cannot encode picture as WebP".to_string());
            }
            out.push(Rendition {
                width: nominal,
                format: "webp",
                bytes,
            });
        }
        if let Some(s) = scaled {
            from = Some(s);
        }
    }
    out.reverse();
    Ok(out)
}

/// Makes the renditions stored pictures lack (pictures stored before the
/// current [`WIDTHS`] and [`FORMATS`]): a job every node runs once at start,
/// one picture at a time on the blocking pool, stopping when asked to.
/// Several nodes doing it at once only write the same rows twice. Returns
/// how many renditions were made.
pub async fn backfill(app: &App, stop: &tokio::sync::watch::Receiver<bool>) -> Result<usize> {
    let store = app.store();
    let mut made = 0;
    for id in store.picture_ids().await? {
        if *stop.borrow() {
            break;
        }
        let have = store.rendition_keys(id).await?;
        let Some(width) = store.picture_width(id).await? else {
            continue;
        };
        let width = u32::try_from(width).unwrap_or(1);
        let missing = rendition_widths(width).into_iter().any(|(n, _)| {
            FORMATS
                .iter()
                .any(|f| !have.contains(&(i64::from(n), (*f).to_string())))
        });
        let crop_missing = |f: &str| !have.contains(&(i64::from(CROP_WIDTH), f.to_string()));
        if !missing && !CROPS.iter().any(|c| crop_missing(c.0)) {
            continue;
        }
        let Some(original) = store.picture_original(id).await? else {
            continue;
        };
        let rends = tokio::task::spawn_blocking(move || {
            let img = decode(&original, ImageFormat::Jpeg, "JPEG")?;
            let mut out =
                renditions_wanted(&img, &|n, f| !have.contains(&(i64::from(n), f.to_string())))?;
            out.extend(crops_wanted(&img, &|f| {
                !have.contains(&(i64::from(CROP_WIDTH), f.to_string()))
            })?);
            Ok::<_, String>(out)
        })
        .await
        .map_err(|e| AppError::Internal(format!("making renditions stopped: {e}")))?
        .map_err(|e| AppError::Internal(format!("picture {id}: {e}")))?;
        for r in rends {
            store
                .put_rendition(id, i64::from(r.width), r.format, &r.bytes)
                .await?;
            made += 1;
        }
    }
    Ok(made)
}

/// The start-up job around [`backfill`]: logs what it made, or why it stopped.
pub async fn backfill_job(app: App, stop: tokio::sync::watch::Receiver<bool>) {
    match backfill(&app, &stop).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            renditions = n,
            "made the picture renditions that were missing"
        ),
        Err(e) => tracing::warn!(error = %e, "could not make missing picture renditions"),
    }
}

/// Largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Largest picture accepted, in pixels (width × height).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 20_000;
/// Most memory one decoded picture may take (a 50-megapixel 8-bit RGB photo
/// fits; a 16-bit or RGBA picture that large does not). Checked from the
/// header before anything is allocated, and given to the decoder as its
/// allocation limit.
pub const MAX_DECODED_BYTES: u64 = 160_000_000;

/// Longest alt text, caption and credit, in characters.
pub const MAX_ALT_CHARS: usize = 300;
pub const MAX_CAPTION_CHARS: usize = 1_000;
pub const MAX_CREDIT_CHARS: usize = 200;

/// Uploads decoded at the same time on one node, and how long another waits
/// for a turn before it is told to try again.
pub const CONCURRENT_UPLOADS: usize = 2;
pub const UPLOAD_WAIT: Duration = Duration::from_secs(3);

/// Bounds how many uploads are decoded at once (each can take
/// [`MAX_DECODED_BYTES`] and more while it is re-encoded).
pub struct UploadGate {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    wait: Duration,
}

impl Default for UploadGate {
    fn default() -> Self {
        UploadGate::new(CONCURRENT_UPLOADS, UPLOAD_WAIT)
    }
}

impl UploadGate {
    pub fn new(at_once: usize, wait: Duration) -> UploadGate {
        UploadGate {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(at_once)),
            wait,
        }
    }

    /// A turn to decode an upload: waits briefly for one, then answers
    /// [`AppError::Busy`]. The turn ends when the permit is dropped: move it
    /// into the blocking task, so a request given up on still holds its turn
    /// until its decoding really ends.
    pub async fn enter(&self) -> Result<tokio::sync::OwnedSemaphorePermit> {
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            _ => Err(AppError::Busy(
                "Other pictures are being processed right now: wait a few seconds and upload this one again."
                    .into(),
            )),
        }
    }
}

/// A checked, re-encoded upload, ready to store.
#[derive(Debug)]
pub struct Accepted {
    /// The picture re-encoded as JPEG (no metadata carried over).
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub renditions: Vec<Rendition>,
    /// Caption and credit found in the file's IPTC data, if any, cut at a
    /// word boundary to [`MAX_CAPTION_CHARS`] and [`MAX_CREDIT_CHARS`].
    pub iptc_caption: Option<String>,
    pub iptc_credit: Option<String>,
}

/// Checks a typed text field's length: the error names the field and the limit.
pub fn check_length(field: &str, value: &str, max: usize) -> std::result::Result<(), String> {
    let n = value.chars().count();
    if n > max {
        return Err(format!(
            "The {field} is {n} characters long; the most is {max}. Shorten it and try again."
        ));
    }
    Ok(())
}

/// Cuts text to at most `max` characters at a word boundary, marking the cut
/// with "…" (used for captions and credits read from a file).
pub fn clip_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    // Room for the ellipsis.
    let keep: String = text.chars().take(max.saturating_sub(1)).collect();
    let cut = match keep.rfind(char::is_whitespace) {
        Some(i) if i > 0 => &keep[..i],
        _ => keep.as_str(),
    };
    format!("{}…", cut.trim_end())
}

fn damaged(real: &str) -> String {
    format!("The {real} file is damaged or cut short: export it again and upload the new file.")
}

/// Checks an uploaded file and makes everything stored from it. `declared`
/// is what the uploader said it is (file name or content type); a file whose
/// bytes say otherwise is refused. Errors say what was wrong and what to do.
/// Blocking work (decoding): call it off the async workers.
pub fn accept_upload(bytes: &[u8], declared: &str) -> std::result::Result<Accepted, String> {
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
        return Err(damaged(real));
    }
    let img = decode(bytes, format, real)?;
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(&img)
        .map_err(|e| format!("The picture could not be converted: {e}"))?;
    let renditions = renditions_of(&img)?;
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
        iptc_caption: iptc_caption.map(|c| clip_words(&c, MAX_CAPTION_CHARS)),
        iptc_credit: iptc_credit.map(|c| clip_words(&c, MAX_CREDIT_CHARS)),
    })
}

/// Refuses a picture whose header promises more than we decode, before
/// anything is allocated.
fn check_size(w: u32, h: u32, bytes_per_pixel: u64, deep: bool) -> std::result::Result<(), String> {
    let pixels = u64::from(w) * u64::from(h);
    if pixels > MAX_PIXELS || w > MAX_SIDE || h > MAX_SIDE {
        return Err(format!(
            "The picture is {w}×{h} pixels; the most we take is {} megapixels and {MAX_SIDE} pixels a side. Make it smaller and try again.",
            MAX_PIXELS / 1_000_000
        ));
    }
    let need = pixels * bytes_per_pixel;
    if need > MAX_DECODED_BYTES {
        let depth = if deep { " at 16 bits per channel" } else { "" };
        return Err(format!(
            "The picture is {w}×{h} pixels{depth}, which takes {} MB to open; the most we open is {} MB. Save it as an 8-bit JPEG or PNG, or smaller, and try again.",
            need.div_ceil(1_000_000),
            MAX_DECODED_BYTES / 1_000_000
        ));
    }
    Ok(())
}

/// Decodes a picture to 8-bit RGB within the memory limits. JPEGs are decoded
/// strictly (see [`decode_jpeg`]); PNG and WebP through `image` with
/// [`image::Limits`] on the reader.
fn decode(bytes: &[u8], format: ImageFormat, real: &str) -> std::result::Result<RgbImage, String> {
    if format == ImageFormat::Jpeg {
        return decode_jpeg(bytes, real);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    // Only the allocation limit here: the dimensions are checked from the
    // header below, with a message that says what the limits are.
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => format!(
            "The picture is larger than we open ({MAX_SIDE} pixels a side, {} MB in memory): make it smaller and try again.",
            MAX_DECODED_BYTES / 1_000_000
        ),
        _ => damaged(real),
    })?;
    let (w, h) = decoder.dimensions();
    let color = decoder.color_type();
    check_size(
        w,
        h,
        u64::from(color.bytes_per_pixel()),
        color.bytes_per_pixel() > color.channel_count(),
    )?;
    let mut decoder = decoder;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    decoder.set_limits(limits).map_err(|_| damaged(real))?;
    let img = DynamicImage::from_decoder(decoder).map_err(|_| damaged(real))?;
    Ok(img.into_rgb8())
}

/// Decodes a JPEG strictly. Decoders fill a cut-off scan with made-up data
/// when they meet the end marker early (so "cut in half, then `FF D9`"
/// decodes to a grey-bottomed picture); zune-jpeg does this even in strict
/// mode. So the end marker is preceded by stuffed all-ones bytes: a complete
/// scan never reads them, while a cut-off one does and meets a Huffman code
/// of all ones, which JPEG reserves, and strict mode refuses it.
fn decode_jpeg(bytes: &[u8], real: &str) -> std::result::Result<RgbImage, String> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;

    let Some(eoi) = bytes.windows(2).rposition(|w| w == [0xFF, 0xD9]) else {
        return Err(damaged(real));
    };
    let mut probe = Vec::with_capacity(bytes.len() + 256);
    probe.extend_from_slice(&bytes[..eoi]);
    for _ in 0..128 {
        probe.extend_from_slice(&[0xFF, 0x00]);
    }
    probe.extend_from_slice(&bytes[eoi..]);
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(MAX_SIDE as usize)
        .set_max_height(MAX_SIDE as usize)
        .jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(&probe[..]), options);
    decoder.decode_headers().map_err(|e| match e {
        zune_jpeg::errors::DecodeErrors::LargeDimensions(_) => format!(
            "The picture is larger than we take ({MAX_SIDE} pixels a side): make it smaller and try again."
        ),
        _ => damaged(real),
    })?;
    let (w, h) = decoder.dimensions().ok_or_else(|| damaged(real))?;
    let (w, h) = (
        u32::try_from(w).map_err(|_| damaged(real))?,
        u32::try_from(h).map_err(|_| damaged(real))?,
    );
    check_size(w, h, 3, false)?;
    let pixels = decoder.decode().map_err(|_| damaged(real))?;
    RgbImage::from_raw(w, h, pixels).ok_or_else(|| damaged(real))
}

/// Whether a file has its format's end and a consistent structure (the
/// decoders then check the data itself).
fn complete(format: ImageFormat, bytes: &[u8]) -> bool {
    match format {
        // EOI, allowing a little trailing padding some cameras add.
        ImageFormat::Jpeg => {
            bytes.len() >= 4
                && bytes[bytes.len().saturating_sub(64)..]
                    .windows(2)
                    .any(|w| w == [0xFF, 0xD9])
        }
        // The IEND chunk closes every PNG.
        ImageFormat::Png => {
            bytes.len() >= 12 && bytes[bytes.len() - 12..].windows(4).any(|w| w == b"IEND")
        }
        ImageFormat::WebP => webp_complete(bytes),
        _ => false,
    }
}

/// RIFF's length field covers exactly the whole file, and the chunks inside
/// it (each padded to an even length) end exactly where it ends.
fn webp_complete(bytes: &[u8]) -> bool {
    let le32 = |at: usize| -> Option<usize> {
        let b = bytes.get(at..at + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let Some(riff) = le32(4) else {
        return false;
    };
    if bytes.len() < 20 || riff.checked_add(8) != Some(bytes.len()) {
        return false;
    }
    let mut at = 12;
    while at < bytes.len() {
        let Some(size) = le32(at + 4) else {
            return false;
        };
        match at.checked_add(8 + size + (size & 1)) {
            Some(next) if next <= bytes.len() => at = next,
            _ => return false,
        }
    }
    at == bytes.len()
}

/// New random public name for a picture: 128 bits, hex.
pub fn new_token() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn valid_token(token: &str) -> bool {
    token.len() == 32
        && token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Who a served rendition may be kept for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// In published use: anyone may have it; caches keep it under these
    /// surrogate keys (the picture, the published stories that use it, the
    /// authors it portrays), which the change events of those stories and
    /// authors already purge.
    Public { keys: Vec<String> },
    /// Not in published use; shown to a signed-in staff member only.
    Staff,
}

/// A rendition to send.
#[derive(Debug)]
pub struct Served {
    pub bytes: Vec<u8>,
    pub audience: Audience,
    /// The format of `bytes`: the one asked for, or "jpeg" when a WebP
    /// rendition or a crop is not made yet (an older picture the backfill job has not
    /// reached: the browser still gets a picture, never a broken one).
    pub format: &'static str,
}

/// The rendition `width` in `format` (one of [`FORMATS`], or a crop's format
/// of [`CROPS`] at [`CROP_WIDTH`]) of the picture
/// named `token`, if the asker may have it (a picture narrower than `width`
/// answers with its widest rendition: never enlarged): anyone while the picture is in published use (lead or placed picture
/// of a published story, or an author's portrait), and staff who may use the
/// media library at any time. Use is worked out from the database on every
/// request, so a withdrawal stops readers getting the picture on every node
/// as soon as it commits; `None` means "not found" either way, so a picture's
/// existence is not given away.
pub async fn rendition_for(
    app: &App,
    token: &str,
    width: i64,
    format: &str,
    staff: Option<&Staff>,
) -> Result<Option<Served>> {
    let crop = CROPS.iter().find(|c| c.0 == format).map(|c| c.0);
    let known = match crop {
        Some(_) => width == i64::from(CROP_WIDTH),
        None => WIDTHS.iter().any(|w| i64::from(*w) == width) && FORMATS.contains(&format),
    };
    if !valid_token(token) || !known {
        return Ok(None);
    }
    let store = app.store();
    let Some(id) = store.picture_id_by_token(token).await? else {
        return Ok(None);
    };
    let audience = match published_use(app, id).await? {
        Some(keys) => Audience::Public { keys },
        None if staff.is_some_and(|s| permissions::allows(s.role, Action::UploadPicture)) => {
            Audience::Staff
        }
        None => return Ok(None),
    };
    if let Some(bytes) = store.rendition_at_most(id, width, format).await? {
        let format = match crop {
            Some(c) => c,
            None if format == "webp" => "webp",
            None => "jpeg",
        };
        return Ok(Some(Served {
            bytes,
            audience,
            format,
        }));
    }
    // A WebP or crop not made yet (an older picture the backfill job has not
    // reached) is stood in for by the plain JPEG of (at most) that width.
    if format != "jpeg"
        && let Some(bytes) = store.rendition_at_most(id, width, "jpeg").await?
    {
        return Ok(Some(Served {
            bytes,
            audience,
            format: "jpeg",
        }));
    }
    Ok(None)
}

/// Stories (and authors) a picture is in published use by, as surrogate
/// keys; `None` if it is in no published use. At most a few are named: a
/// cache entry only has to go when its last use does, and that use is then
/// among the ones named (or the entry was already purged and made again).
async fn published_use(app: &App, id: i64) -> Result<Option<Vec<String>>> {
    const NAMED: i64 = 20;
    let store = app.store();
    let mut stories = store.published_stories_led_by(id, NAMED).await?;
    let authors = store.authors_portrayed_by(id).await?;
    if stories.is_empty() && authors.is_empty() {
        // Placed in a body: the database narrows it down, the markup parser
        // (the same one pages use) decides.
        for (sid, body) in store
            .published_bodies_mentioning(&format!("[picture:{id}]"), NAMED)
            .await?
        {
            if markup::picture_ids(&body).contains(&id) {
                stories.push(sid);
            }
        }
    }
    if stories.is_empty() && authors.is_empty() {
        return Ok(None);
    }
    let mut out = vec![keys::picture(id)];
    out.extend(stories.into_iter().map(|s| keys::Key::Story(s).to_string()));
    out.extend(
        authors
            .into_iter()
            .map(|a| keys::Key::Author(a).to_string()),
    );
    Ok(Some(out))
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
    fn cut_off_pictures_are_refused_even_with_their_end_put_back() {
        let jpeg = sample(image::ImageFormat::Jpeg);
        for cut in [jpeg.len() / 2, jpeg.len() * 9 / 10, jpeg.len() - 40] {
            let mut b = jpeg[..cut].to_vec();
            b.extend_from_slice(&[0xFF, 0xD9]);
            let e = accept_upload(&b, "cut.jpg").err().unwrap_or_default();
            assert!(e.contains("damaged or cut short"), "cut at {cut}: {e}");
        }
        let webp = sample(image::ImageFormat::WebP);
        assert!(webp_complete(&webp));
        let mut tail = webp.clone();
        tail.extend_from_slice(&[0, 0]);
        assert!(!webp_complete(&tail));
        let mut short = webp[..webp.len() - 10].to_vec();
        let n = (short.len() - 8) as u32;
        short[4..8].copy_from_slice(&n.to_le_bytes());
        assert!(!webp_complete(&short));
    }

    #[test]
    fn sizes_are_checked_from_the_header() {
        assert!(check_size(8000, 6000, 3, false).is_ok());
        let e = check_size(7071, 7071, 6, true).err().unwrap_or_default();
        assert!(
            e.contains("at 16 bits per channel") && e.contains("300 MB"),
            "{e}"
        );
        let e = check_size(30_000, 30_000, 1, false)
            .err()
            .unwrap_or_default();
        assert!(e.contains("50 megapixels"), "{e}");
        let e = check_size(40_000, 1_000, 1, false)
            .err()
            .unwrap_or_default();
        assert!(e.contains("20000 pixels a side"), "{e}");
    }

    #[test]
    fn file_text_is_cut_between_words() {
        assert_eq!(clip_words("short", 10), "short");
        assert_eq!(clip_words("one two three four", 12), "one two…");
        assert_eq!(clip_words("abcdefghijkl", 5), "abcd…");
        assert!(clip_words(&"word ".repeat(20_000), 1000).chars().count() <= 1000);
        assert!(check_length("credit", &"x".repeat(201), 200).is_err());
        assert!(check_length("credit", &"é".repeat(200), 200).is_ok());
    }

    #[tokio::test]
    async fn the_upload_gate_lets_two_through_then_says_busy() {
        let gate = UploadGate::new(2, Duration::from_millis(50));
        let a = gate.enter().await;
        let b = gate.enter().await;
        assert!(a.is_ok() && b.is_ok());
        assert!(matches!(gate.enter().await, Err(AppError::Busy(_))));
        drop(a);
        assert!(gate.enter().await.is_ok());
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
