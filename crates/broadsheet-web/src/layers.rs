//! The layer around every request: a request id (taken from `X-Request-Id`
//! when sane, else made), a tracing span carrying it, metrics by route,
//! security headers, full error pages for handler errors, and the limits
//! every request lives within: a body size and a time limit chosen by route
//! ([`limits`]). Everything under `/newsroom` and the reader pages under
//! `/account`, errors included, depends on who is signed in and goes out
//! `private, no-store`.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::Web;
use crate::error::ErrorPage;

static COUNTER: AtomicU64 = AtomicU64::new(0);

const ROUTES: [&str; 14] = [
    "home",
    "healthz",
    "metrics",
    "robots",
    "static",
    "media",
    "beacon",
    "author",
    "tag",
    "story",
    "front",
    "other",
    "corrections",
    "newsroom",
];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Metric handles registered once per route, so a request costs a few
/// atomic operations rather than a registry lookup.
struct RouteMetrics {
    latency: metrics::Histogram,
    requests: Vec<(&'static str, metrics::Counter)>,
}

static METRICS: LazyLock<HashMap<&'static str, RouteMetrics>> = LazyLock::new(|| {
    ROUTES
        .iter()
        .map(|&route| {
            let requests = CLASSES
                .iter()
                .map(|&class| {
                    (class, metrics::counter!("broadsheet_http_requests_total", "route" => route, "status" => class))
                })
                .collect();
            let latency = metrics::histogram!("broadsheet_http_request_duration_seconds", "route" => route);
            (route, RouteMetrics { latency, requests })
        })
        .collect()
});

#[derive(Clone, Debug)]
pub struct RequestId(pub String);

fn request_id(req: &Request, node: u32) -> String {
    if let Some(v) = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        && !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return v.to_string();
    }
    format!("{node:08x}-{:x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn route_label(req: &Request) -> &'static str {
    if let Some(m) = req.extensions().get::<MatchedPath>() {
        return match m.as_str() {
            "/" => "home",
            "/healthz" => "healthz",
            "/metrics" => "metrics",
            "/robots.txt" => "robots",
            "/static/{file}" | "/favicon.ico" => "static",
            "/media/{file}" => "media",
            "/v/{file}" => "beacon",
            "/authors/{slug}" => "author",
            "/tags/{slug}" => "tag",
            "/corrections" => "corrections",
            p if p.starts_with("/newsroom") => "newsroom",
            _ => "other",
        };
    }
    let path = req.uri().path();
    if broadsheet_domain::permalink::parse_story_path(path).is_some() {
        "story"
    } else {
        "front"
    }
}

/// The route label of a reader page answered by the fast path (`fast.rs`),
/// the same as [`route_label`] gives it on the general path.
pub(crate) fn page_route(path: &str) -> &'static str {
    if path == "/" {
        "home"
    } else if path == "/corrections" {
        "corrections"
    } else if path.starts_with("/authors/") {
        "author"
    } else if path.starts_with("/tags/") {
        "tag"
    } else if broadsheet_domain::permalink::parse_story_path(path).is_some() {
        "story"
    } else {
        "front"
    }
}

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Sent on every response.
static SECURITY_HEADERS: [(HeaderName, HeaderValue); 6] = [
    (header::CONTENT_SECURITY_POLICY, CSP),
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    ),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ),
];

const CSP: HeaderValue = HeaderValue::from_static(
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; \
     connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
);

/// What one request may send and how long it may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub body: usize,
    /// Time to read the body and answer.
    pub time: Duration,
}

/// A form in the newsroom: a long story's Markdown fits many times over.
pub const NEWSROOM_FORM_BYTES: usize = 1 << 20;
/// Anything else: the reader site takes no bodies.
pub const SMALL_BODY_BYTES: usize = 16 << 10;
/// Time for any request but a picture upload.
pub const REQUEST_TIME: Duration = Duration::from_secs(30);
/// Time for a picture upload (20 MB on a slow newsroom line, then renditions).
pub const UPLOAD_TIME: Duration = Duration::from_secs(120);

/// The newsroom: pages that depend on who is signed in.
pub fn is_newsroom(path: &str) -> bool {
    path == "/newsroom" || path.starts_with("/newsroom/")
}

/// Body and time limits by route: a picture upload may send the media cap
/// plus multipart overhead and take longer; other newsroom writes send forms;
/// everything else is small.
pub fn limits(method: &Method, path: &str) -> Limits {
    let writes = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if writes && (path == "/newsroom/pictures" || path == "/api/v1/admin/pictures") {
        Limits {
            body: broadsheet_app::media::MAX_UPLOAD_BYTES + (1 << 20),
            time: UPLOAD_TIME,
        }
    } else if writes && path == "/webhooks/stripe" {
        Limits {
            body: crate::webhooks::MAX_WEBHOOK_BYTES,
            time: REQUEST_TIME,
        }
    } else if writes && (is_newsroom(path) || path.starts_with("/api/v1/admin/")) {
        Limits {
            body: NEWSROOM_FORM_BYTES,
            time: REQUEST_TIME,
        }
    } else {
        Limits {
            body: SMALL_BODY_BYTES,
            time: REQUEST_TIME,
        }
    }
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let mut res = status.into_response();
    res.extensions_mut().insert(ErrorPage {
        status,
        message: message.to_string(),
    });
    res
}

/// Runs the handler within the route's limits: a body declared too large is
/// refused before it is read, one that grows too large stops being read (the
/// extractors answer 413), and a request that takes too long is cut off.
async fn within_limits(req: Request, next: Next) -> Response {
    let lim = limits(req.method(), req.uri().path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > lim.body as u64) {
        return error_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "What was sent is too large: this address takes at most {} KB.",
                lim.body / 1024
            ),
        );
    }
    let req = if axum::body::HttpBody::size_hint(req.body()).exact() == Some(0) {
        req
    } else {
        req.map(|b| Body::new(http_body_util::Limited::new(b, lim.body)))
    };
    match tokio::time::timeout(lim.time, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(
                limit_secs = lim.time.as_secs(),
                "request took too long; cut off"
            );
            error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "This took too long on our side. Please try again in a moment.",
            )
        }
    }
}

/// What the access line needs from the request, kept only when the access
/// log is on.
pub(crate) struct AccessStart {
    method: Method,
    uri: axum::http::Uri,
    client: std::net::IpAddr,
}

impl AccessStart {
    pub(crate) fn take(web: &Web, req: &Request) -> Option<AccessStart> {
        if !web.access.is_on() {
            return None;
        }
        let peer = req
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Some(AccessStart {
            method: req.method().clone(),
            uri: req.uri().clone(),
            client: crate::client::client_ip(
                req.headers(),
                peer,
                web.app.config().trusted_proxy_hops,
            ),
        })
    }
}

/// The headers every response carries: the security headers and, on an
/// HTTPS site, HSTS.
pub(crate) fn stamp(web: &Web, h: &mut axum::http::HeaderMap) {
    for (name, value) in SECURITY_HEADERS.iter() {
        h.insert(name.clone(), value.clone());
    }
    if web.hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}

/// The end of every request, on the general path and the fast path alike:
/// the request id header, metrics by route, and the access record.
pub(crate) fn finish(
    web: &Web,
    res: &mut Response,
    id: String,
    route: &'static str,
    start: Instant,
    access: Option<AccessStart>,
) {
    let elapsed = start.elapsed();
    let status = res.status();
    let status_class = match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    if let Some(m) = METRICS.get(route) {
        m.latency.record(elapsed.as_secs_f64());
        if let Some(c) = m.requests.iter().find(|(c, _)| *c == status_class) {
            c.1.increment(1);
        }
    }
    if let Some(a) = access {
        web.access.push(crate::access::AccessRecord {
            at: std::time::SystemTime::now(),
            method: a.method,
            uri: a.uri,
            route,
            status: status.as_u16(),
            bytes: axum::body::HttpBody::size_hint(res.body())
                .exact()
                .unwrap_or(0),
            micros: elapsed.as_micros() as u64,
            client: Some(a.client),
            request_id: id.clone(),
        });
    }
    if let Ok(v) = HeaderValue::try_from(id) {
        res.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
}

/// The request id of a request: its own `X-Request-Id` when sane, else made.
pub(crate) fn id_for(web: &Web, req: &Request) -> String {
    request_id(req, web.node)
}

pub async fn around(State(web): State<Web>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = request_id(&req, web.node);
    let route = route_label(&req);
    let private = is_newsroom(req.uri().path()) || crate::readers::is_reader_path(req.uri().path());
    // Only keep what the access line needs when it will be written.
    let access = AccessStart::take(&web, &req);
    let span = tracing::info_span!("request", id = %id);
    let mut res = within_limits(req, next).instrument(span).await;

    if let Some(err) = res.extensions_mut().remove::<ErrorPage>() {
        let reference = if err.status.is_server_error() {
            id.as_str()
        } else {
            ""
        };
        let html = crate::pages::error_html(&web.app, err.status, &err.message, reference)
            .unwrap_or_else(|_| {
                format!(
                    "<!DOCTYPE html><html lang=\"en\"><title>Error</title><h1>{}</h1>",
                    err.status
                )
            });
        let status = err.status;
        res = Response::new(Body::from(html));
        *res.status_mut() = status;
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        let transient = status.is_server_error()
            || matches!(
                status,
                StatusCode::REQUEST_TIMEOUT
                    | StatusCode::PAYLOAD_TOO_LARGE
                    | StatusCode::TOO_MANY_REQUESTS
            );
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if private {
                "private, no-store"
            } else if transient {
                "no-store"
            } else {
                "public, max-age=60"
            }),
        );
    }
    // Whatever a newsroom handler or extractor answered, no shared cache may
    // keep it; nor any response that sets a cookie.
    if private
        || (res.headers().contains_key(header::SET_COOKIE)
            && !res
                .headers()
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("private") && v.contains("no-store")))
    {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    stamp(&web, res.headers_mut());
    finish(&web, &mut res, id, route, start, access);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_by_route() {
        let upload = limits(&Method::POST, "/newsroom/pictures");
        assert_eq!(
            upload.body,
            broadsheet_app::media::MAX_UPLOAD_BYTES + (1 << 20)
        );
        assert_eq!(upload.time, UPLOAD_TIME);
        assert_eq!(
            limits(&Method::GET, "/newsroom/pictures").body,
            SMALL_BODY_BYTES
        );
        for path in ["/newsroom/stories/7", "/newsroom/sign-in", "/newsroom"] {
            assert_eq!(limits(&Method::POST, path).body, NEWSROOM_FORM_BYTES);
            assert_eq!(limits(&Method::POST, path).time, REQUEST_TIME);
        }
        for (m, path) in [
            (Method::GET, "/"),
            (Method::POST, "/"),
            (Method::POST, "/newsroomx"),
            (Method::PUT, "/v/1.gif"),
        ] {
            assert_eq!(limits(&m, path).body, SMALL_BODY_BYTES, "{m} {path}");
        }
        assert!(is_newsroom("/newsroom") && is_newsroom("/newsroom/x"));
        assert!(!is_newsroom("/newsroomx") && !is_newsroom("/news"));
    }
}
