//! Structured data and link cards (issue 13, item 4): the paper as a
//! `NewsMediaOrganization` with its logo, the home page's `WebSite`, and the
//! Open Graph / X card facts a story page states in `<head>`. Story pages
//! build their `NewsArticle` in `pages.rs` from these parts; what a page may
//! say of a paid story is decided there (the gate), never here.
//!
//! The logo is drawn from the paper's name (`/logo.svg`, an SVG Google
//! Images accepts), so a new paper has one before a designer makes one.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use broadsheet_app::App;
use sha2::Digest;

use crate::{Web, view};

/// The logo's drawn size in pixels (Google asks at least 112×112 for an
/// organisation logo; a wide word-mark is allowed).
pub const LOGO_WIDTH: u32 = 600;
pub const LOGO_HEIGHT: u32 = 120;

/// The paper as publisher: name, home address and logo.
pub fn publisher(app: &App) -> serde_json::Value {
    serde_json::json!({
        "@type": "NewsMediaOrganization",
        "name": app.config().name,
        "url": view::absolute(app, "/"),
        "logo": {
            "@type": "ImageObject",
            "url": view::absolute(app, "/logo.svg"),
            "width": LOGO_WIDTH,
            "height": LOGO_HEIGHT,
        },
    })
}

/// The home page's graph: the paper as an organisation and the site.
pub fn home(app: &App) -> serde_json::Value {
    let mut org = publisher(app);
    if let Some(o) = org.as_object_mut() {
        o.insert("@context".into(), "https://schema.org".into());
        o.insert(
            "@id".into(),
            format!("{}#publisher", view::absolute(app, "/")).into(),
        );
    }
    serde_json::json!([
        org,
        {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": app.config().name,
            "url": view::absolute(app, "/"),
            "publisher": { "@id": format!("{}#publisher", view::absolute(app, "/")) },
            // Search (issue 13): the site's own search, for a sitelinks search box.
            "potentialAction": {
                "@type": "SearchAction",
                "target": format!("{}?q={{search_term_string}}", view::absolute(app, "/search")),
                "query-input": "required name=search_term_string",
            },
        }
    ])
}

/// What a story page's `<head>` says of it beyond the common frame (Open
/// Graph `article:*`, the card type, robots).
#[derive(Default)]
pub struct ArticleMeta {
    /// ISO 8601 with offset.
    pub published: String,
    pub modified: String,
    pub section: String,
    pub authors: Vec<String>,
    pub tags: Vec<String>,
}

/// The link-card picture: the 16:9 crop (the shape link cards show), its
/// size and its text alternative.
pub struct CardImage {
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

impl CardImage {
    pub fn of(app: &App, p: &view::PicView) -> CardImage {
        let (width, height) = broadsheet_app::media::crop_size(
            u32::try_from(p.width).unwrap_or(1),
            u32::try_from(p.height).unwrap_or(1),
            16,
            9,
        );
        CardImage {
            url: view::absolute(app, &p.crop_url("16x9")),
            width,
            height,
            alt: p.alt.clone(),
        }
    }
}

/// `/logo.svg`: the paper's name as a word-mark.
pub async fn logo(State(web): State<Web>, headers: HeaderMap) -> Response {
    let name = web.app.config().name.clone();
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\
         <text x=\"{x}\" y=\"78\" font-family=\"Georgia,'Times New Roman',serif\" font-size=\"{size}\" \
         font-weight=\"bold\" fill=\"#111111\" text-anchor=\"middle\" textLength=\"{fit}\" \
         lengthAdjust=\"spacingAndGlyphs\">{text}</text></svg>",
        w = LOGO_WIDTH,
        h = LOGO_HEIGHT,
        x = LOGO_WIDTH / 2,
        size = 56,
        // Long names are squeezed to the width, short ones keep their size.
        fit = (name.chars().count() as u32 * 30).clamp(60, LOGO_WIDTH - 40),
        text = quick_xml::escape::escape(name.as_str()),
    );
    let etag = format!(
        "\"{}\"",
        hex::encode(&sha2::Sha256::digest(svg.as_bytes())[..8])
    );
    if crate::assets::etag_matches(&headers, &etag) {
        return (axum::http::StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let mut res = (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        svg,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}
