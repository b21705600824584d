//! Story pages behind the paywall: which cached variant a reader gets, and
//! the headers that keep shared caches from mixing them.
//!
//! A story page is looked up under its full variant first. A free story's
//! page carries no gate and is served exactly as every other page (shared-
//! cacheable, no cookie read, no database round trip on a hit). A paid
//! story's page carries its [`GateInfo`]: then, and only then, the reader is
//! read (session, signed meter cookie `bsm`, `?gift=` token, client address
//! through the configured proxy hops) and [`entitlement::decide`] says full
//! or cut; the cut variant (one per tier: anonymous, signed in) is fetched
//! or rendered from the gate's cut body. Either answer is `private,
//! no-cache` with `Vary: Cookie` and no `Surrogate-Key`, and only such a
//! private answer ever carries `Set-Cookie` (a fresh meter cookie).
//! User-Agent, Referer and X-Forwarded-For (beyond the trusted hops) play no
//! part.

use std::net::IpAddr;
use std::sync::{Arc, LazyLock};

use axum::extract::Query;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use broadsheet_app::entitlement::{self, Because, Decision, GateInfo, Reader};
use broadsheet_app::gatecache;
use broadsheet_app::meter::METER_COOKIE;

use crate::cache::{CacheKey, CachedPage, Variant};
use crate::error::WebError;
use crate::pages::{self, StoryVariant};
use crate::{Web, extract, fetch_missed, respond};

/// Longest cookie or gift token value read.
const MAX_VALUE: usize = 128;

static VARY_PRIVATE: HeaderValue = HeaderValue::from_static("Accept-Encoding, Cookie");

#[derive(serde::Deserialize)]
struct GiftQuery {
    gift: Option<String>,
}

/// The `?gift=` token of a story address, if any.
fn gift_token(uri: &Uri) -> Option<String> {
    let Query(q) = Query::<GiftQuery>::try_from_uri(uri).ok()?;
    q.gift.filter(|v| !v.is_empty() && v.len() <= MAX_VALUE)
}

/// Counts a gate decision by its reason. The counters are made once (the
/// fast path counts every gated request; a lookup by name and label each
/// time was a registry hash and lock per request).
pub(crate) fn count_decision(because: Because) {
    static COUNTERS: LazyLock<Vec<(Because, metrics::Counter)>> = LazyLock::new(|| {
        Because::ALL
            .iter()
            .map(|&b| {
                let c =
                    metrics::counter!("broadsheet_gate_decisions_total", "because" => b.label());
                (b, c)
            })
            .collect()
    });
    if let Some((_, c)) = COUNTERS.iter().find(|(b, _)| *b == because) {
        c.increment(1);
    }
}

/// The device id of a valid signed meter cookie.
fn device_of(web: &Web, headers: &HeaderMap) -> Option<i64> {
    extract::cookie(headers, METER_COOKIE)
        .filter(|v| v.len() <= MAX_VALUE)
        .and_then(|v| web.app.views().signer().verify(v))
}

/// Who is asking, from what the server issued and can check.
async fn reader_of(
    web: &Web,
    headers: &HeaderMap,
    client: IpAddr,
    gift_token: Option<String>,
) -> Result<Reader, WebError> {
    let device = device_of(web, headers);
    // Read on every request, or remembered only while no write changed it
    // (`gatecache.rs`): a cancellation or refund shows on the reader's next
    // request.
    let session = match extract::reader_token(headers) {
        None => None,
        Some(token) => gatecache::session(&web.app, token, broadsheet_app::now())
            .await
            .map_err(|e| WebError::Internal(format!("reading the reader's session: {e}")))?,
    };
    Ok(Reader {
        account: session.map(|(id, _)| id),
        subscriber: session.is_some_and(|(_, s)| s),
        device,
        gift_token,
        client: Some(client),
    })
}

/// The reader from this node's memory alone (for the fast path): `None`
/// when their session is not remembered. Never carries a gift token (the
/// fast path takes no query but `page=N`).
pub(crate) fn reader_in_memory(
    web: &Web,
    headers: &HeaderMap,
    client: IpAddr,
    now: i64,
) -> Option<Reader> {
    let session = match extract::reader_token(headers) {
        None => None,
        Some(token) => gatecache::session_in_memory(&web.app, token, now)?,
    };
    Some(Reader {
        account: session.map(|(id, _)| id),
        subscriber: session.is_some_and(|(_, s)| s),
        device: device_of(web, headers),
        gift_token: None,
        client: Some(client),
    })
}

/// The cache key of the variant `decision` gives a reader.
pub(crate) fn variant_key(key: CacheKey, decision: Decision, signed_in: bool) -> CacheKey {
    match decision {
        Decision::Full => key,
        Decision::Cut => CacheKey {
            variant: if signed_in {
                Variant::CutSignedIn
            } else {
                Variant::Cut
            },
            ..key
        },
    }
}

/// The headers that make a gated answer private (on top of a page's own).
pub(crate) fn make_private(h: &mut HeaderMap) {
    // Depends on the reader: never in a shared cache.
    h.remove("surrogate-key");
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(pages::CACHE_PRIVATE),
    );
    h.insert(header::VARY, VARY_PRIVATE.clone());
}

/// The page under `key`, from the cache or rendered: (page, cache hit).
async fn variant(
    web: &Web,
    key: CacheKey,
    path: &str,
    id: i64,
    v: StoryVariant,
) -> Result<(Arc<CachedPage>, bool), Response> {
    if let Some(hit) = web.cache.get(&key) {
        web.count_hit(true);
        return Ok((hit, true));
    }
    let app = web.app.clone();
    let requested = path.to_string();
    let page = fetch_missed(web, key, || async move {
        pages::story(&app, &requested, id, v).await
    })
    .await?;
    Ok((page, false))
}

/// `/<section path>/<slug>-<id>`: a story page, through the gate.
pub(crate) async fn story(
    web: &Web,
    path: &str,
    id: i64,
    uri: &Uri,
    headers: &HeaderMap,
    client: IpAddr,
) -> Response {
    let full = StoryVariant {
        decision: Decision::Full,
        signed_in: false,
    };
    let key = CacheKey::new(path, 1);
    let (page, hit) = match variant(web, key.clone(), path, id, full).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(info) = page.gate else {
        // Free: the same page for everyone, shared-cacheable.
        let body = page.assembled(&web.fragments());
        return respond::page(&page, &body, headers, hit);
    };
    match gated(web, info, page, hit, key, path, headers, client, uri).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn gated(
    web: &Web,
    info: GateInfo,
    full_page: Arc<CachedPage>,
    full_hit: bool,
    key: CacheKey,
    path: &str,
    headers: &HeaderMap,
    client: IpAddr,
    uri: &Uri,
) -> Result<Response, WebError> {
    let reader = reader_of(web, headers, client, gift_token(uri)).await?;
    let verdict = entitlement::decide(&web.app, info, &reader, broadsheet_app::now()).await?;
    count_decision(verdict.because);
    let (page, hit) = match verdict.decision {
        Decision::Full => (full_page, full_hit),
        Decision::Cut => {
            let signed_in = reader.account.is_some();
            let cut = variant_key(key, Decision::Cut, signed_in);
            let v = StoryVariant {
                decision: Decision::Cut,
                signed_in,
            };
            match variant(web, cut, path, info.story_id, v).await {
                Ok(p) => p,
                Err(r) => return Ok(r),
            }
        }
    };
    let body = page.assembled(&web.fragments());
    let mut res = respond::page(&page, &body, headers, hit);
    let h = res.headers_mut();
    make_private(h);
    if let Some(value) = verdict.new_device {
        let c = format!(
            "{METER_COOKIE}={value}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{}",
            if web.hsts { "; Secure" } else { "" }
        );
        if let Ok(c) = HeaderValue::from_str(&c) {
            h.insert(header::SET_COOKIE, c);
        }
    }
    Ok(res)
}
