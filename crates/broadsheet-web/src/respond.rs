//! Turning a cached page into a response: conditional requests (ETag,
//! Last-Modified), content-encoding negotiation, and cache headers.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::cache::CachedPage;

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

fn not_modified(page: &CachedPage, headers: &HeaderMap) -> bool {
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

static HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
static VARY: HeaderValue = HeaderValue::from_static("Accept-Encoding");

pub fn page(page: &CachedPage, headers: &HeaderMap, hit: bool) -> Response {
    let cacheable = page.status == StatusCode::OK;
    let mut res: Response = if cacheable && not_modified(page, headers) {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let enc = negotiate(headers);
        let body = match enc {
            Encoding::Brotli if !page.br.is_empty() => page.br.clone(),
            Encoding::Gzip if !page.gzip.is_empty() => page.gzip.clone(),
            _ => page.identity.clone(),
        };
        let mut r = Response::new(Body::from(body));
        *r.status_mut() = page.status;
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HTML.clone());
        match enc {
            Encoding::Brotli if !page.br.is_empty() => {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
            }
            Encoding::Gzip if !page.gzip.is_empty() => {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            _ => {}
        }
        r
    };
    let h = res.headers_mut();
    // Room for these and the layer's security headers: no regrowth per response.
    h.reserve(20);
    h.insert(header::VARY, VARY.clone());
    h.insert(header::ETAG, page.etag.clone());
    h.insert(header::LAST_MODIFIED, page.last_modified.clone());
    h.insert(header::CACHE_CONTROL, page.cache_control.clone());
    h.insert("surrogate-key", page.surrogate_keys.clone());
    h.insert(
        "x-cache",
        HeaderValue::from_static(if hit { "hit" } else { "miss" }),
    );
    res
}
