//! Everything that is not a page: static assets (fingerprinted addresses,
//! compressed once with brotli and gzip, immutable), pictures (JPEG and
//! WebP renditions), the view beacon, and the operational endpoints.

use std::net::IpAddr;
use std::sync::LazyLock;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use broadsheet_app::media::Audience;
use sha2::{Digest, Sha256};

use crate::Web;
use crate::client::ClientIp;
use crate::error::WebError;
use crate::respond::Encoding;

const CSS: &str = include_str!("../assets/site.css");
const ICONS: &str = include_str!("../assets/icons.svg");
const FAVICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\"><rect width=\"32\" height=\"32\" rx=\"4\" fill=\"#1a1a1a\"/><text x=\"16\" y=\"23\" font-family=\"Georgia,serif\" font-size=\"20\" font-weight=\"bold\" fill=\"#fff\" text-anchor=\"middle\">B</text></svg>";

/// 1×1 transparent GIF.
const GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

struct Asset {
    /// The plain name (`site.css`), answered with a short cache life for
    /// pages that still link it.
    name: &'static str,
    /// The name with the content's fingerprint (`site.0123456789.css`),
    /// answered as immutable.
    fingerprinted: String,
    body: &'static str,
    kind: &'static str,
    etag: String,
    /// Compressed once, at first use (empty when compression failed).
    gzip: Vec<u8>,
    br: Vec<u8>,
}

fn asset(name: &'static str, body: &'static str, kind: &'static str) -> Asset {
    let d = Sha256::digest(body.as_bytes());
    let fp = hex::encode(&d[..5]);
    let fingerprinted = match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{fp}.{ext}"),
        None => format!("{name}.{fp}"),
    };
    Asset {
        name,
        fingerprinted,
        body,
        kind,
        etag: hex::encode(&d[..8]),
        gzip: gzip_best(body.as_bytes()),
        br: brotli_best(body.as_bytes()),
    }
}

fn gzip_best(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    if enc.write_all(data).is_err() {
        return Vec::new();
    }
    enc.finish().unwrap_or_default()
}

fn brotli_best(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        if w.write_all(data).is_err() {
            return Vec::new();
        }
    }
    out
}

const NEWSROOM_CSS: &str = include_str!("../assets/newsroom.css");
const NEWSROOM_JS: &str = include_str!("../assets/newsroom.js");

/// Breaking news and live updates pushed to open pages (issue 12).
const LIVE_JS: &str = include_str!("../assets/live.js");

static ASSETS: LazyLock<[Asset; 6]> = LazyLock::new(|| {
    [
        asset("newsroom.js", NEWSROOM_JS, "text/javascript; charset=utf-8"),
        asset("newsroom.css", NEWSROOM_CSS, "text/css; charset=utf-8"),
        asset("site.css", CSS, "text/css; charset=utf-8"),
        asset("icons.svg", ICONS, "image/svg+xml"),
        asset("favicon.svg", FAVICON, "image/svg+xml"),
        asset("live.js", LIVE_JS, "text/javascript; charset=utf-8"),
    ]
});

static CSS_URL: LazyLock<String> = LazyLock::new(|| url_of("site.css"));
static ICONS_URL: LazyLock<String> = LazyLock::new(|| url_of("icons.svg"));

fn url_of(name: &str) -> String {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map(|a| format!("/static/{}", a.fingerprinted))
        .unwrap_or_else(|| format!("/static/{name}"))
}

/// The reader stylesheet's fingerprinted address (changes with its content).
pub fn css_url() -> &'static str {
    &CSS_URL
}

static LIVE_JS_URL: LazyLock<String> = LazyLock::new(|| url_of("live.js"));

/// The live script's fingerprinted address (issue 12).
pub fn live_js_url() -> &'static str {
    &LIVE_JS_URL
}

/// The icon sprite's fingerprinted address.
pub fn icons_url() -> &'static str {
    &ICONS_URL
}

/// Cache life of a fingerprinted file: its address changes with its content.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Whether the request's `If-None-Match` names `etag` (quoted) or `*`.
pub(crate) fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

fn serve_asset(file: &str, headers: &HeaderMap) -> Response {
    let found = ASSETS.iter().find_map(|a| {
        if a.fingerprinted == file {
            Some((a, true))
        } else if a.name == file {
            Some((a, false))
        } else {
            None
        }
    });
    // Anything else, an old fingerprint included, is not found (and not
    // kept: the same address may answer after a rollback).
    let Some((a, immutable)) = found else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            "no such file\n",
        )
            .into_response();
    };
    let (bytes, coding): (&[u8], Option<&'static str>) = match crate::respond::negotiate(headers) {
        Encoding::Brotli if !a.br.is_empty() => (&a.br, Some("br")),
        Encoding::Gzip if !a.gzip.is_empty() => (&a.gzip, Some("gzip")),
        _ => (a.body.as_bytes(), None),
    };
    // One ETag per encoding (a compressed body is a different entity).
    let etag = format!(
        "\"{}{}\"",
        a.etag,
        coding.map(|c| format!("-{c}")).unwrap_or_default()
    );
    let fresh = etag_matches(headers, &etag);
    let mut res = if fresh {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        Response::new(Body::from(bytes))
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.kind));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Some(c) = coding
        && !fresh
    {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable {
            IMMUTABLE
        } else {
            "public, max-age=3600, stale-while-revalidate=86400"
        }),
    );
    res
}

pub async fn static_file(Path(file): Path<String>, headers: HeaderMap) -> Response {
    serve_asset(&file, &headers)
}

pub async fn favicon(headers: HeaderMap) -> Response {
    serve_asset("favicon.svg", &headers)
}

pub async fn robots(State(web): State<Web>) -> Response {
    let base = crate::view::base_url(&web.app);
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /v/\nDisallow: /newsroom\nDisallow: /metrics\n\n# {}\n# {base}\n\nSitemap: {base}/sitemap.xml\n",
        web.app.config().name
    );
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub async fn healthz(State(web): State<Web>) -> Response {
    match broadsheet_app::reader::ping(&web.app).await {
        Ok(()) => ([(header::CACHE_CONTROL, "no-store")], "ok\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CACHE_CONTROL, "no-store")],
                "database unavailable\n",
            )
                .into_response()
        }
    }
}

pub async fn metrics(State(web): State<Web>) -> Response {
    metrics::gauge!("broadsheet_view_backlog").set(web.app.views().backlog() as f64);
    web.publish_cache_metrics();
    metrics::gauge!("broadsheet_page_cache_entries").set(web.cache.len() as f64);
    match &web.metrics {
        Some(h) => (
            [
                (header::CONTENT_TYPE, "text/plain; version=0.0.4"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            h.render(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "metrics are not enabled on this node\n",
        )
            .into_response(),
    }
}

/// `/metrics` on the public listener: only with `Authorization: Bearer
/// TOKEN` matching `--metrics-token` (compared in constant time). With no
/// token configured it is not found, like any other unknown address.
pub async fn metrics_with_token(State(web): State<Web>, headers: HeaderMap) -> Response {
    let Some(token) = web.metrics_token.clone() else {
        return WebError::NotFound.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    // Equal lengths are compared byte for byte in constant time; a length
    // difference shows only that the length is wrong.
    let ok: bool = subtle::ConstantTimeEq::ct_eq(given.as_bytes(), token.as_bytes()).into();
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            [
                (header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\""),
                (header::CACHE_CONTROL, "no-store"),
            ],
            "metrics need the bearer token set with --metrics-token\n",
        )
            .into_response();
    }
    metrics(State(web)).await
}

/// `/media/{token}-{width}.jpg` (or `.webp`, or `{token}-{ratio}-{width}.jpg`
/// for a crop of `media::CROPS`): a stored rendition. The app layer decides
/// who may have it ([`broadsheet_app::media::rendition_for`]): readers while
/// the picture is in published use (cached briefly by browsers and for a day
/// by a CDN, under surrogate keys that a withdrawal purges; never
/// `immutable`, since a picture can be taken down), and signed-in staff at
/// any time (`private, no-store`). Anything else is "not found".
pub async fn media(
    State(web): State<Web>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve_media(&web, &file, &headers, false).await
}

/// `/newsroom/media/{token}-{width}.jpg`: the same renditions for the
/// newsroom's pages (media library, editor preview), where the browser sends
/// the session cookie (scoped to `/newsroom`). Staff only, never cached.
pub async fn newsroom_media(
    State(web): State<Web>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve_media(&web, &file, &headers, true).await
}

async fn serve_media(web: &Web, file: &str, headers: &HeaderMap, staff_only: bool) -> Response {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            "no such picture\n",
        )
            .into_response()
    };
    let (stem, format) = if let Some(s) = file.strip_suffix(".jpg") {
        (s, "jpeg")
    } else if let Some(s) = file.strip_suffix(".webp") {
        (s, "webp")
    } else {
        return not_found();
    };
    let parsed = stem
        .rsplit_once('-')
        .and_then(|(token, w)| Some((token, w.parse::<i64>().ok()?)));
    let Some((mut token, width)) = parsed else {
        return not_found();
    };
    // `{token}-{ratio}-{width}.jpg`: an aspect-ratio crop (structured data).
    let mut format = format;
    if format == "jpeg"
        && let Some((t, ratio)) = token.rsplit_once('-')
    {
        match broadsheet_app::media::crop_format(ratio) {
            Some(crop) => {
                token = t;
                format = crop;
            }
            None => return not_found(),
        }
    }
    // The media handler serves staff pictures not yet published.
    let staff = match crate::extract::session(web, headers).await {
        Ok(s) => s.map(|(staff, _)| staff),
        Err(e) => return e.into_response(),
    };
    if staff_only && staff.is_none() {
        return not_found();
    }
    let served =
        match broadsheet_app::media::rendition_for(&web.app, token, width, format, staff.as_ref())
            .await
        {
            Ok(Some(s)) => s,
            Ok(None) => return not_found(),
            Err(e) => return WebError::from(e).into_response(),
        };
    // A JPEG standing in for a WebP not made yet is kept only briefly.
    let stand_in = served.format != format;
    let kind = if served.format == "webp" {
        "image/webp"
    } else {
        "image/jpeg"
    };
    let mut res = Response::new(Body::from(served.bytes));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    match served.audience {
        Audience::Public { .. } if stand_in && !staff_only => {
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            );
        }
        Audience::Public { keys } if !staff_only => {
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300, s-maxage=86400"),
            );
            if let Ok(v) = HeaderValue::from_str(&keys.join(" ")) {
                h.insert(HeaderName::from_static("surrogate-key"), v);
            }
        }
        _ => {
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
        }
    }
    res
}

/// `/v/{story}.gif`: the view beacon every story page embeds. Counting here,
/// not in the page handler, keeps Most Read right when pages come from a CDN
/// or the page cache. Whether a view counts is the app's decision
/// (`broadsheet_app::views`): bots no, unsigned or forged reader cookies no
/// (the reader gets a signed one for next time), and at most so many per
/// client address per minute.
pub async fn beacon(
    State(web): State<Web>,
    Path(file): Path<String>,
    ClientIp(ip): ClientIp,
    req: Request,
) -> Response {
    beacon_answer(&web, &file, req.headers(), ip)
}

/// The beacon's answer to a request for `/v/{file}`: counts the view (or
/// not, see `views.rs` in the app) and answers the GIF, with a new reader
/// cookie when one is issued. The router's handler and the fast path
/// (`fast.rs`) both answer with this, so the two cannot drift.
pub(crate) fn beacon_answer(web: &Web, file: &str, headers: &HeaderMap, ip: IpAddr) -> Response {
    let id = file
        .strip_suffix(".gif")
        .and_then(|s| s.parse::<i64>().ok());
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    // The one cookie parser of the web crate; an oversized value is none.
    let cookie =
        crate::extract::cookie(headers, broadsheet_app::READER_COOKIE).filter(|v| v.len() <= 128);
    let outcome = web
        .app
        .views()
        .beacon(id, cookie, ip, ua, broadsheet_app::now());
    let mut res = Response::new(Body::from(GIF));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/gif"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, private"),
    );
    if let Some(value) = outcome.new_cookie {
        let c = format!(
            "{}={value}; Path=/v/; Max-Age=31536000; HttpOnly; SameSite=Lax{}",
            broadsheet_app::READER_COOKIE,
            if web.hsts { "; Secure" } else { "" }
        );
        if let Ok(c) = HeaderValue::from_str(&c) {
            h.insert(header::SET_COOKIE, c);
        }
    }
    res
}
