//! Regression tests for the picture path (security review, issue 8): who may
//! fetch a rendition and for how long, decoder memory, bounded uploads, text
//! lengths, and cut-off pictures.

use axum::http::StatusCode;

use crate::newsroom::{
    Desk, form_field, id_from_location, picture_bytes, signed_in, story_fields, upload,
};
use crate::support::{Paper, Reply, TestResult};

/// A multipart upload body with every field given.
fn form(
    csrf: &str,
    file_name: &str,
    bytes: &[u8],
    alt: &str,
    caption: &str,
    credit: &str,
) -> Vec<u8> {
    let b = "XbOuNdArYx";
    let mut body = Vec::new();
    for (k, v) in [
        ("csrf", csrf),
        ("alt", alt),
        ("caption", caption),
        ("credit", credit),
    ] {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    body
}

/// Uploads a good picture with `alt` and returns its (id, token).
async fn uploaded(
    d: &mut Desk<'_>,
    alt: &str,
) -> Result<(i64, String), Box<dyn std::error::Error>> {
    let csrf = d.csrf().await?;
    let png = picture_bytes(image::ImageFormat::Png);
    let r = upload(
        d,
        form(&csrf, "pic.png", &png, alt, "", "Jo Bloggs/Coast Agency"),
    )
    .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let found = d.p.app.store().search_pictures(alt, 1).await?;
    let pic = found.first().ok_or("uploaded picture not found")?;
    Ok((pic.id, pic.token.clone()))
}

async fn publish(
    ed: &mut Desk<'_>,
    headline: &str,
    body: &str,
    lead: Option<i64>,
) -> Result<i64, Box<dyn std::error::Error>> {
    let csrf = ed.csrf().await?;
    let section =
        ed.p.app
            .sections()
            .by_path("news")
            .map(|s| s.id.to_string())
            .ok_or("no news")?;
    let lead = lead.map(|l| l.to_string()).unwrap_or_default();
    let mut fields = story_fields(&csrf, headline, &section);
    fields.retain(|(k, _)| *k != "body");
    fields.push(("body", body));
    fields.push(("lead_picture", &lead));
    let r = ed.post("/newsroom/stories", &fields).await?;
    let sid = id_from_location(&r);
    assert!(sid > 0, "story created: {}", r.body);
    let v = form_field(
        &ed.get(&format!("/newsroom/stories/{sid}")).await?.body,
        "version",
    );
    let r = ed
        .post(
            &format!("/newsroom/stories/{sid}"),
            &[("csrf", &csrf), ("do", "publish"), ("version", &v)],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "published: {}", r.body);
    Ok(sid)
}

async fn withdraw(ed: &mut Desk<'_>, sid: i64) -> TestResult {
    let csrf = ed.csrf().await?;
    let v = form_field(
        &ed.get(&format!("/newsroom/stories/{sid}")).await?.body,
        "version",
    );
    let r = ed
        .post(
            &format!("/newsroom/stories/{sid}"),
            &[("csrf", &csrf), ("do", "withdraw"), ("version", &v)],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "withdrawn: {}", r.body);
    Ok(())
}

fn cache_control(r: &Reply) -> &str {
    r.header("cache-control")
}

/// Item 9: a draft's picture is not public (neither by token nor by the old
/// sequential id), staff see it privately, a published picture is served
/// under its token with a short, purgeable lifetime and surrogate keys, and
/// a withdrawal takes it down at once.
#[tokio::test]
async fn pictures_are_public_only_while_in_published_use() -> TestResult {
    let p = Paper::demo(5).await?;
    let mut ed = signed_in(&p, "editor").await?;
    let (lead, lead_token) = uploaded(&mut ed, "Lifeboat crew on the slipway").await?;
    let (placed, placed_token) = uploaded(&mut ed, "Harbour wall in a storm").await?;
    assert_eq!(lead_token.len(), 32);
    assert_ne!(lead_token, placed_token);

    // Unpublished: readers get nothing, by token or by id.
    for path in [
        format!("/media/{lead_token}-480.jpg"),
        format!("/media/{lead}-480.jpg"),
        format!("/media/{placed_token}-960.jpg"),
        format!("/media/{placed}-960.jpg"),
    ] {
        let r = p.get(&path).await?;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!cache_control(&r).contains("public"), "{path}");
    }
    // Staff see unpublished pictures, never cached.
    for path in [
        format!("/newsroom/media/{lead_token}-480.jpg"),
        format!("/media/{lead_token}-480.jpg"),
    ] {
        let r = ed.get(&path).await?;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.header("content-type"), "image/jpeg");
        assert_eq!(cache_control(&r), "private, no-store", "{path}");
        assert_eq!(r.header("surrogate-key"), "", "{path}");
    }
    // ...but not without a session, and not a moderator (no media library).
    assert_eq!(
        p.get(&format!("/newsroom/media/{lead_token}-480.jpg"))
            .await?
            .status,
        StatusCode::NOT_FOUND
    );
    let mut m = signed_in(&p, "moderator").await?;
    assert_eq!(
        m.get(&format!("/newsroom/media/{lead_token}-480.jpg"))
            .await?
            .status,
        StatusCode::NOT_FOUND
    );
    // The library shows them through the staff address.
    let lib = ed.get("/newsroom/pictures").await?;
    assert!(
        lib.body
            .contains(&format!("/newsroom/media/{lead_token}-480.jpg"))
    );

    // Published, as lead and placed in the body.
    let sid = publish(
        &mut ed,
        "Storm batters the harbour",
        &format!(
            "The storm came in overnight.\n\n[picture:{placed}]\n\nThe lifeboat launched at dawn."
        ),
        Some(lead),
    )
    .await?;
    let story = p.app.store().story(sid).await?.ok_or("no story")?;
    let page = p.get(&p.path_of(&story)).await?;
    assert_eq!(page.status, StatusCode::OK);
    // (srcset names only the widths a picture has: these uploads are small.)
    for t in [&lead_token, &placed_token] {
        assert!(
            page.body.contains(&format!("/media/{t}-")),
            "page names {t}"
        );
    }
    assert!(
        !page.body.contains(&format!("/media/{lead}-"))
            && !page.body.contains(&format!("/media/{placed}-"))
    );
    for (id, t) in [(lead, &lead_token), (placed, &placed_token)] {
        for w in [480, 960] {
            let r = p.get(&format!("/media/{t}-{w}.jpg")).await?;
            assert_eq!(r.status, StatusCode::OK, "picture {id} at {w}");
            assert_eq!(cache_control(&r), "public, max-age=300, s-maxage=86400");
            let keys: Vec<&str> = r.header("surrogate-key").split(' ').collect();
            assert!(keys.contains(&format!("picture-{id}").as_str()), "{keys:?}");
            assert!(keys.contains(&format!("story-{sid}").as_str()), "{keys:?}");
        }
        // Still not by id, and only at the sizes pages use.
        assert_eq!(
            p.get(&format!("/media/{id}-480.jpg")).await?.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            p.get(&format!("/media/{t}-481.jpg")).await?.status,
            StatusCode::NOT_FOUND
        );
    }

    // Withdrawn: gone for readers at once, still there for staff.
    withdraw(&mut ed, sid).await?;
    for t in [&lead_token, &placed_token] {
        let r = p.get(&format!("/media/{t}-480.jpg")).await?;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{t} after withdrawal");
        let r = ed.get(&format!("/newsroom/media/{t}-480.jpg")).await?;
        assert_eq!(r.status, StatusCode::OK);
    }
    Ok(())
}

/// Item 14: the 7071×7071 16-bit PNG (about 400 KB) and a decompression
/// bomb are refused from their headers with a clear message, before any
/// pixel memory is taken.
#[tokio::test]
async fn oversized_decodes_are_refused_before_they_allocate() -> TestResult {
    let p = Paper::demo(3).await?;
    let mut d = signed_in(&p, "reporter").await?;
    let csrf = d.csrf().await?;
    let before = p.app.store().picture_count().await?;

    let big = {
        let img: image::ImageBuffer<image::Rgb<u16>, Vec<u16>> =
            image::ImageBuffer::new(7071, 7071);
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb16(img).write_to(&mut out, image::ImageFormat::Png)?;
        out.into_inner()
    };
    assert!(
        big.len() < 2 * 1024 * 1024,
        "the test file is small: {} bytes",
        big.len()
    );
    let r = upload(&d, form(&csrf, "big.png", &big, "Grey", "", "Jo Bloggs")).await?;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("7071×7071 pixels at 16 bits per channel"),
        "{}",
        crate::support::between(&r.body, "<main", "</main>")
    );
    assert!(r.body.contains("the most we open is 160 MB"), "{}", r.body);

    // A bomb: a few hundred bytes claiming 30000×30000 pixels.
    let r = upload(
        &d,
        form(
            &csrf,
            "bomb.png",
            &bomb_png(30_000, 30_000),
            "Grey",
            "",
            "Jo Bloggs",
        ),
    )
    .await?;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("the most we take is 50 megapixels"),
        "{}",
        r.body
    );
    assert_eq!(p.app.store().picture_count().await?, before);
    let _ = d.get("/newsroom").await?;
    Ok(())
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for b in data {
        c ^= u32::from(*b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A valid-looking grey PNG whose header claims `w`×`h` pixels.
fn bomb_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // zlib: one stored block of a few zero bytes (what follows would inflate
    // to gigabytes in a real bomb; the header alone must stop it).
    let raw = [0u8; 16];
    let mut z = vec![0x78, 0x01, 0x01, 16, 0, !16u8, 0xFF];
    z.extend_from_slice(&raw);
    z.extend_from_slice(&(16u32 << 16 | 1).to_be_bytes());
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Item 14: at most two uploads decode at once; a third waits briefly, then
/// is told to try again (503 with Retry-After), and nothing is stored.
#[tokio::test]
async fn a_third_concurrent_upload_is_told_to_try_again() -> TestResult {
    let p = Paper::demo(3).await?;
    let mut d = signed_in(&p, "reporter").await?;
    let csrf = d.csrf().await?;
    let before = p.app.store().picture_count().await?;
    let png = picture_bytes(image::ImageFormat::Png);
    let held = (
        p.app.uploads().enter().await?,
        p.app.uploads().enter().await?,
    );
    let t = std::time::Instant::now();
    let r = upload(&d, form(&csrf, "quay.png", &png, "Quay", "", "Jo Bloggs")).await?;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("retry-after"), "5");
    assert!(r.body.contains("being processed right now"), "{}", r.body);
    assert!(t.elapsed() >= broadsheet_app::media::UPLOAD_WAIT);
    assert_eq!(p.app.store().picture_count().await?, before);
    drop(held);
    let r = upload(&d, form(&csrf, "quay.png", &png, "Quay", "", "Jo Bloggs")).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    Ok(())
}

/// Item 23: typed alt text, caption and credit over their limits are refused
/// naming the field and the limit; an over-long IPTC caption from the file is
/// cut at a word boundary.
#[tokio::test]
async fn text_fields_have_length_limits() -> TestResult {
    let p = Paper::demo(3).await?;
    let mut d = signed_in(&p, "reporter").await?;
    let csrf = d.csrf().await?;
    let before = p.app.store().picture_count().await?;
    let png = picture_bytes(image::ImageFormat::Png);
    let long = |n: usize| {
        "word "
            .repeat(n / 5 + 1)
            .chars()
            .take(n)
            .collect::<String>()
    };
    let cases = [
        (
            long(301),
            String::new(),
            "Jo".to_string(),
            "alt text is 301 characters long; the most is 300",
        ),
        (
            "Quay".to_string(),
            long(1001),
            "Jo".to_string(),
            "caption is 1001 characters long; the most is 1000",
        ),
        (
            "Quay".to_string(),
            String::new(),
            long(201),
            "credit is 201 characters long; the most is 200",
        ),
        (
            long(500_000),
            String::new(),
            "Jo".to_string(),
            "the most is 300",
        ),
    ];
    for (alt, caption, credit, expect) in cases {
        let r = upload(&d, form(&csrf, "quay.png", &png, &alt, &caption, &credit)).await?;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(expect), "expected {expect:?}");
    }
    assert_eq!(p.app.store().picture_count().await?, before);

    // 60 KB of IPTC caption in the file: kept, cut to 1,000 characters.
    let jpeg = picture_bytes(image::ImageFormat::Jpeg);
    let text = "The lifeboat returns ".repeat(3000);
    let text = &text[..60_000];
    let mut iim = b"Photoshop 3.0\0".to_vec();
    iim.extend_from_slice(&[0x1C, 2, 120]);
    iim.extend_from_slice(&(text.len() as u16).to_be_bytes());
    iim.extend_from_slice(text.as_bytes());
    let mut with = vec![0xFF, 0xD8, 0xFF, 0xED];
    with.extend_from_slice(&((iim.len() + 2) as u16).to_be_bytes());
    with.extend_from_slice(&iim);
    with.extend_from_slice(&jpeg[2..]);
    let r = upload(
        &d,
        form(
            &csrf,
            "lifeboat.jpg",
            &with,
            "Lifeboat returning",
            "",
            "Jo Bloggs",
        ),
    )
    .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let pic = p
        .app
        .store()
        .search_pictures("lifeboat returning", 1)
        .await?;
    let caption = &pic.first().ok_or("not stored")?.caption;
    let kept = caption.strip_suffix('…').ok_or("no ellipsis")?;
    assert!(
        caption.chars().count() <= 1000 && caption.chars().count() > 950,
        "{caption}"
    );
    // Cut between words.
    assert!(
        text.starts_with(kept) && text[kept.len()..].starts_with(' '),
        "{caption}"
    );
    Ok(())
}

/// Item 24: a picture cut short is refused even with its end marker put
/// back: a JPEG cut in half plus `FF D9`, a PNG missing IDAT data plus an
/// IEND chunk, and WebP files whose RIFF size does not match.
#[tokio::test]
async fn cut_off_pictures_are_refused_even_with_an_end_marker() -> TestResult {
    let p = Paper::demo(3).await?;
    let mut d = signed_in(&p, "reporter").await?;
    let csrf = d.csrf().await?;
    let before = p.app.store().picture_count().await?;
    let jpeg = picture_bytes(image::ImageFormat::Jpeg);
    let png = picture_bytes(image::ImageFormat::Png);
    let webp = picture_bytes(image::ImageFormat::WebP);

    let mut jpeg_cut = jpeg[..jpeg.len() / 2].to_vec();
    jpeg_cut.extend_from_slice(&[0xFF, 0xD9]);
    let mut png_cut = png[..png.len() / 2].to_vec();
    chunk(&mut png_cut, b"IEND", &[]);
    let mut webp_cut = webp[..webp.len() / 2].to_vec();
    let n = (webp_cut.len() - 8) as u32;
    webp_cut[4..8].copy_from_slice(&n.to_le_bytes());
    let mut webp_tail = webp.clone();
    webp_tail.extend_from_slice(&[0u8; 64]);
    for (name, bytes) in [
        ("cut.jpg", jpeg_cut),
        ("cut.png", png_cut),
        ("cut.webp", webp_cut),
        ("tail.webp", webp_tail),
        ("cut-plain.webp", webp[..webp.len() / 2].to_vec()),
    ] {
        let r = upload(&d, form(&csrf, name, &bytes, "Quay", "", "Jo Bloggs")).await?;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(r.body.contains("damaged or cut short"), "{name}");
    }
    assert_eq!(p.app.store().picture_count().await?, before);
    // The whole files are fine.
    for (name, bytes) in [("ok.jpg", jpeg), ("ok.png", png), ("ok.webp", webp)] {
        let r = upload(&d, form(&csrf, name, &bytes, "Quay", "", "Jo Bloggs")).await?;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{name}: {}", r.body);
    }
    Ok(())
}
