//! The reader site's look and weight (issue 11): fingerprinted, compressed,
//! immutable CSS and SVG; every picture with `srcset`/`sizes` naming real
//! renditions at their real widths; lazy and high-priority
//! loading where they belong; the paper's own footer links; renditions that
//! older pictures lack made by the start-up job.

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use broadsheet_app::PaperConfig;
use broadsheet_app::footer::FooterLink;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::{Paper, TestResult};

/// A response with its raw bytes (pictures, compressed bodies).
pub(crate) async fn raw(
    p: &Paper,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<(StatusCode, axum::http::HeaderMap, Vec<u8>), Box<dyn std::error::Error>> {
    let mut req = Request::builder().uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = p.router.clone().oneshot(req.body(Body::empty())?).await?;
    let status = res.status();
    let h = res.headers().clone();
    let bytes = res.into_body().collect().await?.to_bytes().to_vec();
    Ok((status, h, bytes))
}

pub(crate) fn header<'a>(h: &'a axum::http::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Every `<tag …>` of a page (just the opening tag's text).
fn tags<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag} ");
    html.match_indices(&open)
        .map(|(i, _)| {
            let rest = &html[i..];
            &rest[..rest.find('>').map_or(rest.len(), |j| j + 1)]
        })
        .collect()
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    tag[i..].split('"').next()
}

#[tokio::test]
async fn css_and_icons_are_fingerprinted_compressed_and_immutable() -> TestResult {
    let p = Paper::demo(8).await?;
    let home = p.get("/").await?;
    let css = tags(&home.body, "link")
        .into_iter()
        .find(|t| attr(t, "rel") == Some("stylesheet"))
        .and_then(|t| attr(t, "href"))
        .ok_or("no stylesheet link")?
        .to_string();
    assert!(
        css.starts_with("/static/site.") && css.ends_with(".css") && css.len() > 20,
        "the stylesheet address carries a fingerprint: {css}"
    );
    let icons = home
        .body
        .split("<use href=\"")
        .nth(1)
        .and_then(|s| s.split('#').next())
        .ok_or("no icon")?
        .to_string();
    assert!(
        icons.starts_with("/static/icons.") && icons.ends_with(".svg") && icons.len() > 20,
        "{icons}"
    );
    let (_, _, plain) = raw(&p, &css, &[]).await?;
    assert!(String::from_utf8(plain.clone())?.contains("prefers-color-scheme: dark"));
    for url in [&css, &icons] {
        let (s, h, br) = raw(&p, url, &[("accept-encoding", "gzip, br")]).await?;
        assert_eq!(s, StatusCode::OK, "{url}");
        assert_eq!(header(&h, "content-encoding"), "br", "{url}");
        assert_eq!(
            header(&h, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert!(header(&h, "vary").contains("Accept-Encoding"));
        let mut out = Vec::new();
        brotli::Decompressor::new(&br[..], 4096).read_to_end(&mut out)?;
        let (_, _, identity) = raw(&p, url, &[]).await?;
        assert_eq!(out, identity, "{url}: brotli body decodes to the file");
        assert!(br.len() * 2 < identity.len(), "{url} is compressed");
        let (s, h, gz) = raw(&p, url, &[("accept-encoding", "gzip")]).await?;
        assert_eq!(
            (s, header(&h, "content-encoding")),
            (StatusCode::OK, "gzip")
        );
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut out)?;
        assert_eq!(out, identity, "{url}: gzip body decodes to the file");
        // Revalidation by ETag answers 304 without a body.
        let etag = header(&h, "etag").to_string();
        let (s, _, body) = raw(
            &p,
            url,
            &[("accept-encoding", "gzip"), ("if-none-match", &etag)],
        )
        .await?;
        assert_eq!((s, body.len()), (StatusCode::NOT_MODIFIED, 0));
    }
    // An old (or made-up) fingerprint is a clean, uncached 404.
    let (s, h, _) = raw(&p, "/static/site.0123456789.css", &[]).await?;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(header(&h, "cache-control"), "no-store");
    // The plain name still answers for pages that link it, briefly cached.
    let (s, h, _) = raw(&p, "/static/site.css", &[]).await?;
    assert_eq!(s, StatusCode::OK);
    assert!(!header(&h, "cache-control").contains("immutable"));
    Ok(())
}

/// The JPEG of the same rendition as a WebP address.
fn jpeg_of(webp: &str) -> String {
    format!("{}.jpg", webp.strip_suffix(".webp").unwrap_or(webp))
}

/// Every candidate of a `srcset`: (URL, width descriptor).
fn candidates(srcset: &str) -> Vec<(String, u32)> {
    srcset
        .split(',')
        .filter_map(|c| {
            let mut it = c.split_whitespace();
            let url = it.next()?.to_string();
            let w = it.next()?.strip_suffix('w')?.parse().ok()?;
            Some((url, w))
        })
        .collect()
}

#[tokio::test]
async fn every_picture_names_real_renditions_at_their_real_widths() -> TestResult {
    let p = Paper::demo(30).await?;
    let story = p.story_where(|s| s.lead_picture.is_some()).await?;
    let story_path = p.path_of(&story);
    let section = format!("/{}", p.app.sections().path(story.section_id));
    let mut checked = std::collections::HashSet::new();
    for path in ["/", section.as_str(), story_path.as_str()] {
        let page = p.get(path).await?;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let pics = pictures(&page.body);
        assert!(!pics.is_empty(), "{path} shows pictures");
        for pic in pics {
            // The widths and `sizes` are the WebP source's; the <img> holds
            // one JPEG, the same rendition as the widest the slot lists.
            let source = *tags(pic, "source").first().ok_or("no <source>")?;
            let img = *tags(pic, "img").first().ok_or("no <img>")?;
            let sizes =
                attr(source, "sizes").ok_or_else(|| format!("{path}: no sizes: {source}"))?;
            assert!(!sizes.is_empty());
            let list = candidates(attr(source, "srcset").unwrap_or(""));
            assert!(!list.is_empty(), "{path}: srcset in {source}");
            let widths: Vec<u32> = list.iter().map(|(_, w)| *w).collect();
            assert!(
                widths.windows(2).all(|w| w[0] < w[1] && w[1] <= w[0] * 2),
                "{path}: widths grow by at most 2× ({widths:?})"
            );
            assert_eq!(attr(img, "srcset"), None, "one JPEG: {img}");
            assert_eq!(attr(img, "sizes"), None, "{img}");
            let widest = &list.last().ok_or("empty srcset")?.0;
            assert_eq!(attr(img, "src"), Some(jpeg_of(widest).as_str()), "{pic}");
            // Each width is a real JPEG too (a browser without WebP support
            // that reads `srcset` is sent to them by the same names).
            for (url, w) in list {
                let url = jpeg_of(&url);
                if !checked.insert(url.clone()) {
                    continue;
                }
                let (s, h, bytes) = raw(&p, &url, &[]).await?;
                assert_eq!(s, StatusCode::OK, "{url}");
                assert_eq!(header(&h, "content-type"), "image/jpeg", "{url}");
                let real = image::load_from_memory(&bytes)?.width();
                assert_eq!(real, w, "{url} is {real} px wide, srcset says {w}");
            }
            // Thumbnails (rails, compact cards) list nothing wider than 320 px.
            if sizes == "6rem" || sizes.ends_with(", 7rem") && sizes.contains("10rem") {
                assert!(widths.iter().all(|w| *w <= 320), "{path}: {pic}");
                assert_eq!(attr(img, "loading"), Some("lazy"), "{img}");
                assert_eq!(attr(img, "alt"), Some(""), "decorative thumbnail: {img}");
            }
        }
    }
    // The lead is fetched first and never lazily; it offers the widest rendition.
    let home = p.get("/").await?;
    let lead = tags(&home.body, "img")
        .into_iter()
        .find(|t| t.contains("fetchpriority=\"high\""))
        .ok_or("the home page's lead picture has fetchpriority=high")?;
    assert!(attr(lead, "loading").is_none(), "{lead}");
    assert_eq!(
        tags(&home.body, "img")
            .iter()
            .filter(|t| t.contains("fetchpriority"))
            .count(),
        1
    );
    // In rails the headline comes before the thumbnail.
    let rails = crate::support::between(&home.body, "class=\"rails\"", "</main>");
    if let Some(card) = rails.split("<li class=\"card\">").nth(1)
        && let (Some(h), Some(i)) = (card.find("class=\"hl\""), card.find("<img"))
    {
        assert!(h < i, "headline before thumbnail: {card}");
    }
    Ok(())
}

#[tokio::test]
async fn renditions_missing_from_older_pictures_are_made_by_the_job() -> TestResult {
    let p = Paper::demo(4).await?;
    let story = p.story_where(|s| s.lead_picture.is_some()).await?;
    let page = p.get(&p.path_of(&story)).await?;
    let lead = pictures(&page.body)
        .into_iter()
        .find(|t| t.contains("fetchpriority"))
        .and_then(|t| tags(t, "source").first().copied())
        .and_then(|t| attr(t, "srcset"))
        .ok_or("no lead picture")?
        .to_string();
    let (webp, _) = candidates(&lead).first().ok_or("empty srcset")?.clone();
    let url = jpeg_of(&webp);
    // As a picture stored before the new widths were.
    delete_renditions(
        &p,
        "DELETE FROM picture_renditions WHERE width IN (160, 640)",
    )
    .await?;
    let (s, _, _) = raw(&p, &url, &[]).await?;
    assert_eq!(s, StatusCode::NOT_FOUND, "gone before the job runs");
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let made = broadsheet_app::media::backfill(&p.app, &stop).await?;
    assert!(made > 0);
    let (s, h, bytes) = raw(&p, &url, &[]).await?;
    assert_eq!(s, StatusCode::OK, "{url}");
    assert_eq!(header(&h, "content-type"), "image/jpeg");
    assert_eq!(image::load_from_memory(&bytes)?.width(), 160);
    assert_eq!(
        broadsheet_app::media::backfill(&p.app, &stop).await?,
        0,
        "nothing left to make"
    );
    Ok(())
}

pub(crate) async fn delete_renditions(p: &Paper, sql: &str) -> TestResult {
    if p.url.starts_with("postgres") {
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&p.url).await?;
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut c)
            .await?;
    } else {
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&p.url).await?;
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut c)
            .await?;
    }
    Ok(())
}

#[tokio::test]
async fn the_footer_carries_the_papers_own_links() -> TestResult {
    let cfg = PaperConfig {
        footer_links: vec![
            FooterLink::new("About us", "https://example.com/about")?,
            FooterLink::new("Privacy", "/corrections")?,
        ],
        ..PaperConfig::default()
    };
    let p = Paper::demo_with(4, cfg).await?;
    for path in ["/", "/corrections", "/no-such-page"] {
        let page = p.get(path).await?;
        let footer = crate::support::between(&page.body, "<footer class=\"site\">", "</footer>");
        assert!(
            footer.contains("<a href=\"https://example.com/about\">About us</a>")
                && footer.contains("<a href=\"/corrections\">Privacy</a>"),
            "{path}: {footer}"
        );
        // Every section is linked from the footer too.
        for s in p.app.sections().top() {
            assert!(footer.contains(&format!("href=\"/{}\"", s.path)), "{path}");
        }
    }
    Ok(())
}

/// Every `<picture>…</picture>` of a page (its inner text).
fn pictures(html: &str) -> Vec<&str> {
    html.split("<picture>")
        .skip(1)
        .map(|rest| &rest[..rest.find("</picture>").unwrap_or(rest.len())])
        .collect()
}

#[tokio::test]
async fn every_picture_offers_lossy_webp_and_one_jpeg() -> TestResult {
    let p = Paper::demo(30).await?;
    let story = p.story_where(|s| s.lead_picture.is_some()).await?;
    let story_path = p.path_of(&story);
    let section = format!("/{}", p.app.sections().path(story.section_id));
    let mut checked = std::collections::HashSet::new();
    for path in ["/", section.as_str(), story_path.as_str()] {
        let page = p.get(path).await?;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let imgs = tags(&page.body, "img")
            .into_iter()
            .filter(|t| !t.contains("class=\"beacon\""))
            .count();
        let pics = pictures(&page.body);
        assert!(!pics.is_empty(), "{path} shows pictures");
        assert_eq!(pics.len(), imgs, "{path}: every picture is in a <picture>");
        for pic in pics {
            let source = *tags(pic, "source")
                .first()
                .ok_or_else(|| format!("{path}: no <source> in {pic}"))?;
            let img = *tags(pic, "img")
                .first()
                .ok_or_else(|| format!("{path}: no <img> in {pic}"))?;
            assert!(pic.starts_with("<source "), "{path}: source first: {pic}");
            assert_eq!(attr(source, "type"), Some("image/webp"), "{source}");
            assert!(
                attr(source, "sizes").is_some_and(|s| !s.is_empty()),
                "{pic}"
            );
            let webp = candidates(attr(source, "srcset").unwrap_or(""));
            assert!(!webp.is_empty(), "{path}: srcset in {source}");
            // The <img> fallback: the JPEG of the widest WebP listed.
            let widest = &webp.last().ok_or("empty srcset")?.0;
            assert_eq!(attr(img, "src"), Some(jpeg_of(widest).as_str()), "{pic}");
            for (url, w) in webp {
                if !checked.insert(url.clone()) {
                    continue;
                }
                let (s, h, bytes) = raw(&p, &url, &[]).await?;
                assert_eq!(s, StatusCode::OK, "{url}");
                assert_eq!(header(&h, "content-type"), "image/webp", "{url}");
                let decoded =
                    image::load_from_memory_with_format(&bytes, image::ImageFormat::WebP)?;
                assert_eq!(decoded.width(), w, "{url} is {} px wide", decoded.width());
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn webp_renditions_of_a_photograph_are_smaller_than_the_jpegs() -> TestResult {
    let p = Paper::demo(4).await?;
    let story = p.story_where(|s| s.lead_picture.is_some()).await?;
    let page = p.get(&p.path_of(&story)).await?;
    let pic = *pictures(&page.body)
        .iter()
        .find(|t| t.contains("fetchpriority"))
        .ok_or("no lead picture")?;
    let source = *tags(pic, "source").first().ok_or("no <source>")?;
    let webp = candidates(attr(source, "srcset").unwrap_or(""));
    assert!(webp.len() >= 3, "several widths: {source}");
    let (mut jpeg_total, mut webp_total) = (0, 0);
    for (webp_url, w) in webp {
        let url = jpeg_of(&webp_url);
        let (s, _, j) = raw(&p, &url, &[]).await?;
        assert_eq!(s, StatusCode::OK, "{url}");
        let (s, _, wb) = raw(&p, &webp_url, &[]).await?;
        assert_eq!(s, StatusCode::OK, "{webp_url}");
        // Figures for BENCHMARKS.md (`-- --nocapture`).
        eprintln!("{w} px: JPEG {} bytes, WebP {} bytes", j.len(), wb.len());
        assert!(
            wb.len() < j.len(),
            "{w} px: WebP {} bytes is not smaller than JPEG {} bytes",
            wb.len(),
            j.len()
        );
        jpeg_total += j.len();
        webp_total += wb.len();
    }
    eprintln!("all widths: JPEG {jpeg_total} bytes, WebP {webp_total} bytes");
    Ok(())
}

#[tokio::test]
async fn webp_renditions_missing_from_older_pictures_are_made_by_the_job() -> TestResult {
    let p = Paper::demo(4).await?;
    let story = p.story_where(|s| s.lead_picture.is_some()).await?;
    let page = p.get(&p.path_of(&story)).await?;
    let pic = *pictures(&page.body)
        .iter()
        .find(|t| t.contains("fetchpriority"))
        .ok_or("no lead picture")?;
    let source = *tags(pic, "source").first().ok_or("no <source>")?;
    let webp = candidates(attr(source, "srcset").unwrap_or(""));
    // As pictures stored when renditions were JPEG only.
    delete_renditions(&p, "DELETE FROM picture_renditions WHERE format = 'webp'").await?;
    // Until the job runs, the JPEG stands in (never a broken picture), kept
    // only briefly by caches.
    for (url, w) in &webp {
        let (s, h, bytes) = raw(&p, url, &[]).await?;
        assert_eq!(s, StatusCode::OK, "{url} before the job runs");
        assert_eq!(header(&h, "content-type"), "image/jpeg", "{url}");
        assert_eq!(header(&h, "cache-control"), "public, max-age=60", "{url}");
        let decoded = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)?;
        assert_eq!(decoded.width(), *w, "{url}");
    }
    let (_tx, stop) = tokio::sync::watch::channel(false);
    assert!(broadsheet_app::media::backfill(&p.app, &stop).await? > 0);
    for (url, w) in webp {
        let (s, h, bytes) = raw(&p, &url, &[]).await?;
        assert_eq!(s, StatusCode::OK, "{url}");
        assert_eq!(header(&h, "content-type"), "image/webp", "{url}");
        let decoded = image::load_from_memory_with_format(&bytes, image::ImageFormat::WebP)?;
        assert_eq!(decoded.width(), w, "{url}");
    }
    assert_eq!(
        broadsheet_app::media::backfill(&p.app, &stop).await?,
        0,
        "nothing left to make"
    );
    Ok(())
}

/// A first `broadsheet serve` makes the demo with the JPEG renditions only
/// (`Renditions::JpegFirst`): every picture can be shown at every width at
/// once, and the start-up job makes the WebP renditions and the crops.
#[tokio::test]
async fn a_first_start_demo_leaves_webp_and_crops_to_the_job() -> TestResult {
    use broadsheet_app::demo::{self, Renditions};
    use broadsheet_app::media::{CROP_WIDTH, CROPS, rendition_widths};
    let dir = tempfile::tempdir()?;
    let url = crate::support::database_url(dir.path()).await?;
    let store = crate::support::store(&url).await?;
    let spec = broadsheet_demo::DemoSpec {
        seed: 11,
        stories: 3,
        now: broadsheet_app::now(),
    };
    demo::load(&store, spec, Renditions::JpegFirst).await?;
    let ids = store.picture_ids().await?;
    assert!(!ids.is_empty(), "the demo has pictures");
    let mut widths = std::collections::HashMap::new();
    for id in &ids {
        let original = store.picture_width(*id).await?.ok_or("no width")?;
        let nominal: Vec<i64> = rendition_widths(u32::try_from(original)?)
            .into_iter()
            .map(|(n, _)| i64::from(n))
            .collect();
        widths.insert(*id, nominal);
    }
    for id in &ids {
        let jpeg_widths = &widths[id];
        let have = store.rendition_keys(*id).await?;
        assert!(
            have.iter().all(|(_, f)| f == "jpeg"),
            "picture {id}: only JPEG before the job, got {have:?}"
        );
        for w in jpeg_widths {
            assert!(
                have.contains(&(*w, "jpeg".to_string())),
                "picture {id}: JPEG {w} missing from {have:?}"
            );
        }
    }
    let app = broadsheet_app::App::new(store.clone(), PaperConfig::default()).await?;
    let (_tx, stop) = tokio::sync::watch::channel(false);
    assert!(broadsheet_app::media::backfill(&app, &stop).await? > 0);
    for id in &ids {
        let have = store.rendition_keys(*id).await?;
        for w in &widths[id] {
            assert!(
                have.contains(&(*w, "webp".to_string())),
                "picture {id}: WebP {w}"
            );
        }
        for (format, ..) in CROPS {
            assert!(
                have.contains(&(i64::from(CROP_WIDTH), format.to_string())),
                "picture {id}: {format}"
            );
        }
    }
    assert_eq!(
        broadsheet_app::media::backfill(&app, &stop).await?,
        0,
        "nothing left to make"
    );
    Ok(())
}
