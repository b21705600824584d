//! The fast path for cached reader pages.
//!
//! A plain `GET` or `HEAD` (no body) of a reader page that is in the page
//! cache is answered here, before routing and the general middleware
//! (`layers.rs`): no tracing span, no time limit (nothing here waits), no
//! extractor. The answer is what the general path gives for the same
//! request, byte for byte but the request id: the body is the page as
//! assembled with the current shared parts (re-spliced once when they
//! change, compressed once per encoding, see `cache.rs`), and the header
//! block of a hit is built once per assembly and encoding (content type and
//! encoding, `Vary`, `ETag`, `Last-Modified`, `Cache-Control`,
//! `Surrogate-Key`, `X-Cache`, the security headers, `Content-Length`) and
//! cloned per request. Conditional requests get their 304 from the same
//! code as the general path (`respond.rs`). Metrics by route, the request id
//! and the access record are the general path's own (`layers::finish`).
//!
//! A paid story's page (its cached page carries the gate's `GateInfo`) is
//! answered here only after the gate decided for this reader from memory
//! (`entitlement::decide_in_memory`, the rules `decide` applies first: a
//! remembered session, a meter that cannot change its answer, an address
//! over its new-device limit; see `broadsheet_app::gatecache`), with the
//! variant that decision names, if cached, and the private header block of
//! `paywall.rs` (built once per assembly and encoding, like the public one).
//! When the decision needs the database (an unknown session, a new story on
//! a meter with room, a first visit that may get a meter cookie, a gift
//! link), the request goes to the router and `paywall.rs`.
//!
//! A view beacon (`GET /v/{id}.gif`) is answered here too, by the handler's
//! own function (`assets::beacon_answer`): it never waits, and it is a fifth
//! of a morning's requests.
//!
//! Everything else (a miss, another method, a query other than `page=N`, a
//! percent-encoded or trailing-slash path, the newsroom, the Content API) goes to the router
//! unchanged. The cache key is made by [`crate::cache_key`], the function the
//! page handlers use, so a page is only ever served here under the key its
//! handler stored it under.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::Response;
use broadsheet_app::entitlement::{self, Decision};

use crate::Web;
use crate::cache::{Assembled, CachedPage};
use crate::client::client_of;
use crate::layers::{self, AccessStart};
use crate::paywall;
use crate::respond;

/// The web service: the fast path in front of the router.
#[derive(Clone)]
pub struct WebService {
    web: Web,
    router: Router,
}

impl WebService {
    pub(crate) fn new(web: Web, router: Router) -> WebService {
        WebService { web, router }
    }
}

/// `?page=N` as the page handlers read it, or `None` for any other query
/// (which the router then handles, and may refuse).
fn page_of(query: Option<&str>) -> Option<i64> {
    let Some(q) = query else {
        return Some(1);
    };
    let n = q.strip_prefix("page=")?;
    if n.is_empty() || n.len() > 6 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse::<i64>().ok().filter(|n| (1..=100_000).contains(n))
}

/// The answer to `req` if it is a plain read of a cached reader page.
pub(crate) fn hit(web: &Web, req: &Request) -> Option<Response> {
    let start = Instant::now();
    let head = match *req.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => return None,
    };
    if axum::body::HttpBody::size_hint(req.body()).exact() != Some(0) {
        return None;
    }
    let uri = req.uri();
    let path = uri.path();
    // The Content API keeps some answers in the page cache too, but answers
    // them itself: CORS depends on the asking origin.
    if path.contains('%')
        || (path.len() > 1 && path.ends_with('/'))
        || layers::is_newsroom(path)
        || path.starts_with("/api/")
    {
        return None;
    }
    if let Some(file) = path.strip_prefix("/v/") {
        return (!head && !file.contains('/')).then(|| beacon(web, req, file, start));
    }
    let page = page_of(uri.query())?;
    let key = crate::cache_key(path, page);
    let mut cached = web.cache.get(&key)?;
    let private = match cached.gate {
        None => false,
        Some(info) => {
            // A paid story's page: the variant is the gate's decision for
            // this reader, made from memory or not here at all.
            let client = client_of(web, req.extensions(), req.headers());
            let now = broadsheet_app::now();
            let reader = paywall::reader_in_memory(web, req.headers(), client, now)?;
            let verdict = entitlement::decide_in_memory(&web.app, info, &reader, now)?;
            if verdict.decision == Decision::Cut {
                let cut = paywall::variant_key(key, Decision::Cut, reader.account.is_some());
                let page = web.cache.get(&cut)?;
                web.count_hit(true);
                cached = page;
            }
            paywall::count_decision(verdict.because);
            true
        }
    };
    web.count_hit(true);
    let body = cached.assembled(&web.fragments());
    let headers = req.headers();
    let id = layers::id_for(web, req);
    let access = AccessStart::take(web, req);
    let mut res = if respond::is_conditional(headers) {
        let mut r = respond::page(&cached, &body, headers, true);
        if private {
            paywall::make_private(r.headers_mut());
        }
        layers::stamp(web, r.headers_mut());
        if head {
            *r.body_mut() = Body::empty();
        }
        r
    } else {
        let (bytes, coding, slot) = respond::encoded(&body, respond::negotiate(headers));
        let block = if private {
            body.hit_headers(slot + PRIVATE_SLOTS, || {
                let mut h = hit_headers(web, &cached, &body, coding, bytes.len());
                paywall::make_private(&mut h);
                h
            })
        } else {
            body.hit_headers(slot, || {
                hit_headers(web, &cached, &body, coding, bytes.len())
            })
        };
        let mut r = Response::new(if head {
            Body::empty()
        } else {
            Body::from(bytes.clone())
        });
        *r.status_mut() = cached.status;
        *r.headers_mut() = block.clone();
        r
    };
    layers::finish(web, &mut res, id, layers::page_route(path), start, access);
    Some(res)
}

/// A view beacon (`GET /v/{id}.gif`): the router's handler's answer
/// (`assets::beacon_answer`), with what the general layer adds to it (the
/// security headers, then the request id, metrics and access record of
/// `layers::finish`). The answer is `private, no-store` already, so the
/// layer's rule for responses that set a cookie changes nothing.
fn beacon(web: &Web, req: &Request, file: &str, start: Instant) -> Response {
    let client = client_of(web, req.extensions(), req.headers());
    let id = layers::id_for(web, req);
    let access = AccessStart::take(web, req);
    let mut res = crate::assets::beacon_answer(web, file, req.headers(), client);
    layers::stamp(web, res.headers_mut());
    layers::finish(web, &mut res, id, "beacon", start, access);
    res
}

/// Where the private (gated) header blocks start among an assembly's slots.
const PRIVATE_SLOTS: usize = 3;

/// The header block of a hit: what `respond::page` and the layer give it.
fn hit_headers(
    web: &Web,
    page: &CachedPage,
    body: &Assembled,
    coding: Option<&'static str>,
    len: usize,
) -> HeaderMap {
    let mut h = HeaderMap::with_capacity(20);
    respond::full_headers(&mut h, page, coding);
    respond::cache_headers(&mut h, page, body, true);
    layers::stamp(web, &mut h);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h
}

/// The fast path's answer, or the router's.
pub enum WebFuture {
    Hit(Option<Response>),
    Routed(Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>),
}

impl Future for WebFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            WebFuture::Hit(r) => Poll::Ready(Ok(r.take().unwrap_or_default())),
            WebFuture::Routed(f) => f.as_mut().poll(cx),
        }
    }
}

impl tower::Service<Request> for WebService {
    type Response = Response;
    type Error = Infallible;
    type Future = WebFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> WebFuture {
        if let Some(res) = hit(&self.web, &req) {
            return WebFuture::Hit(Some(res));
        }
        WebFuture::Routed(Box::pin(tower::ServiceExt::oneshot(
            self.router.clone(),
            req,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_page_number_is_read_here() {
        assert_eq!(page_of(None), Some(1));
        assert_eq!(page_of(Some("page=3")), Some(3));
        assert_eq!(page_of(Some("page=03")), Some(3));
        for q in [
            "",
            "page=",
            "page=0",
            "page=+3",
            "page=-1",
            "page=3&x=1",
            "x=1",
            "page=1000000",
            "page=3 ",
        ] {
            assert_eq!(page_of(Some(q)), None, "{q:?}");
        }
    }
}
