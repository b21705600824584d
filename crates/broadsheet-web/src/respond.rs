//! Turning a cached page into a response: conditional requests (ETag,
//! Last-Modified), content-encoding negotiation, and cache headers.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;

use crate::cache::{Assembled, CachedPage};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

/// Picks br over gzip over identity from Accept-Encoding, honouring `q=0`.
pub fn negotiate(headers: &HeaderMap) -> Encoding {
    let Some(v) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Encoding::Identity;
    };
    let (mut br, mut gz) = (false, false);
    for part in v.split(',') {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim();
        let refused = it.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if refused {
            continue;
        }
        match name {
            "br" => br = true,
            "gzip" => gz = true,
            "*" => {
                br = true;
                gz = true;
            }
            _ => {}
        }
    }
    if br {
        Encoding::Brotli
    } else if gz {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn not_modified(page: &Assembled, headers: &HeaderMap) -> bool {
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        let etag = page.etag.as_bytes();
        return inm.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/").as_bytes() == etag
        });
    }
    if let Some(ims) = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = broadsheet_domain::time::parse_http_date(ims)
    {
        return page.modified_secs <= t;
    }
    false
}

static VARY: HeaderValue = HeaderValue::from_static("Accept-Encoding");

/// Whether the request asks for a conditional answer (304 when unchanged).
pub fn is_conditional(headers: &HeaderMap) -> bool {
    headers.contains_key(header::IF_NONE_MATCH) || headers.contains_key(header::IF_MODIFIED_SINCE)
}

/// The bytes to send for `enc`, their `Content-Encoding`, and the slot of
/// the prebuilt header block for them (0 identity, 1 gzip, 2 brotli).
pub fn encoded(body: &Assembled, enc: Encoding) -> (&Bytes, Option<&'static str>, usize) {
    match enc {
        Encoding::Brotli if !body.br().is_empty() => (body.br(), Some("br"), 2),
        Encoding::Gzip if !body.gzip().is_empty() => (body.gzip(), Some("gzip"), 1),
        _ => (&body.identity, None, 0),
    }
}

/// The headers of a cached page's full answer: content type and encoding,
/// then what every answer of a cached page carries ([`cache_headers`]).
pub fn full_headers(h: &mut HeaderMap, page: &CachedPage, coding: Option<&'static str>) {
    h.insert(header::CONTENT_TYPE, page.content_type.clone());
    if let Some(c) = coding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
    }
}

/// Vary, ETag, Last-Modified, Cache-Control, Surrogate-Key and X-Cache.
pub fn cache_headers(h: &mut HeaderMap, page: &CachedPage, body: &Assembled, hit: bool) {
    // Room for these and the layer's security headers: no regrowth per response.
    h.reserve(20);
    h.insert(header::VARY, VARY.clone());
    h.insert(header::ETAG, body.etag.clone());
    h.insert(header::LAST_MODIFIED, body.last_modified.clone());
    h.insert(header::CACHE_CONTROL, page.cache_control.clone());
    h.insert("surrogate-key", page.surrogate_keys.clone());
    h.insert(
        "x-cache",
        HeaderValue::from_static(if hit { "hit" } else { "miss" }),
    );
}

/// Answers with a cached page as assembled with the current shared parts.
pub fn page(page: &CachedPage, body: &Assembled, headers: &HeaderMap, hit: bool) -> Response {
    let cacheable = page.status == StatusCode::OK;
    let mut res: Response = if cacheable && not_modified(body, headers) {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let (bytes, coding, _) = encoded(body, negotiate(headers));
        let mut r = Response::new(Body::from(bytes.clone()));
        *r.status_mut() = page.status;
        full_headers(r.headers_mut(), page, coding);
        r
    };
    cache_headers(res.headers_mut(), page, body, hit);
    res
}
