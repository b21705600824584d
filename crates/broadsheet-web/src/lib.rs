//! The HTTP face of Broadsheet: the router, reader pages, the page cache,
//! media, the view beacon and the operational endpoints.
//!
//! Reader pages go through one path ([`page`]): look in the page cache by
//! [`CacheKey`] (normalised path, page number, variant), else render (once,
//! however many requests missed together), store with surrogate keys, and
//! answer with the shared parts spliced in (`fragments.rs`), ETag,
//! Last-Modified, Cache-Control, Surrogate-Key and the negotiated encoding.

pub mod access;
pub mod api;
mod api_admin;
mod assets;
pub mod cache;
pub mod client;
mod comments;
mod error;
mod extract;
mod fast;
pub mod fragments;
mod gifts;
mod layers;
mod newsletters;
mod newsroom;
mod newsroom_comments;
mod newsroom_readers;
mod nr_api;
mod nr_fronts;
mod nr_newsletters;
mod nr_next;
mod nr_search;
mod nr_wire;
mod pages;
mod paywall;
mod readers;
mod respond;
mod social;
mod subscribe;
mod view;
mod webhooks;
// Feeds and sitemaps (issue 13).
pub mod feeds;
mod sitemaps;
pub mod structured;
// Comment reactions, featured comments, badges, ignore lists (issue 12).
mod comment_extras;
// Breaking news pushed and live pages (issue 12 items 4 and 5).
pub mod live;
mod nr_live;
// Search (issue 13).
mod search;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use broadsheet_app::App;
use broadsheet_app::keys::Key;
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Deserialize;

pub use access::{AccessFormat, AccessLog};
pub use cache::{CacheKey, PageCache, Variant};
pub use client::ClientIp;
pub use error::WebError;
pub use fast::WebService;
pub use fragments::Fragments;
pub use layers::RequestId;

/// Shared state of the web layer. Cheap to clone.
#[derive(Clone)]
pub struct Web {
    pub app: App,
    pub cache: Arc<PageCache>,
    metrics: Option<PrometheusHandle>,
    metrics_token: Option<Arc<str>>,
    node: u32,
    hsts: bool,
    hits: Arc<AtomicU64>,
    misses: Arc<AtomicU64>,
    signin: Arc<broadsheet_app::signin::SignInGuard>,
    shared: Arc<SharedParts>,
    renders: Arc<AtomicU64>,
    access: AccessLog,
    /// The node's Server-Sent Events hub (issue 12, `live.rs`).
    pub live: Arc<live::Hub>,
}

/// The current rendering of the shared page parts, and the generation the
/// app has asked for (bumped by a rankings change; rendered on the next request).
struct SharedParts {
    current: RwLock<Arc<Fragments>>,
    wanted: AtomicU64,
    rebuilding: Mutex<()>,
    esi: bool,
}

/// Options for the web layer.
#[derive(Clone, Default)]
pub struct WebOptions {
    /// Page cache size in bytes (0: 256 MiB).
    pub cache_bytes: u64,
    /// Prometheus exporter handle for `/metrics` (absent: `/metrics` says so).
    pub metrics: Option<PrometheusHandle>,
    /// With a token, the public router serves `/metrics` to requests bearing
    /// it; without, `/metrics` is only on [`Web::metrics_router`].
    pub metrics_token: Option<String>,
    /// Pages carry `<esi:include>` tags for the shared parts instead of the
    /// parts themselves (a CDN with ESI in front; see `fragments.rs`).
    pub esi: bool,
    /// Server-Sent Events connections this node holds at most (0: the
    /// default, [`live::DEFAULT_MAX_CONNECTIONS`]); beyond, 503.
    pub sse_max_connections: usize,
}

impl Web {
    /// Builds the web layer and starts listening for purges. Call inside a
    /// Tokio runtime.
    pub fn new(app: App, opts: WebOptions) -> Web {
        let cache_bytes = if opts.cache_bytes == 0 {
            256 << 20
        } else {
            opts.cache_bytes
        };
        let hsts = app
            .config()
            .base_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"));
        let web = Web {
            cache: Arc::new(PageCache::new(cache_bytes)),
            metrics: opts.metrics,
            metrics_token: opts.metrics_token.map(Arc::from),
            node: rand::random(),
            hsts,
            hits: Arc::new(AtomicU64::new(0)),
            misses: Arc::new(AtomicU64::new(0)),
            signin: Arc::new(broadsheet_app::signin::SignInGuard::default()),
            shared: Arc::new(SharedParts {
                current: RwLock::new(Arc::new(Fragments::empty())),
                wanted: AtomicU64::new(1),
                rebuilding: Mutex::new(()),
                esi: opts.esi,
            }),
            renders: Arc::new(AtomicU64::new(0)),
            access: AccessLog::off(),
            live: live::start(&app, opts.sse_max_connections),
            app,
        };
        web.signin.start_sweeper();
        let cache = web.cache.clone();
        let shared = web.shared.clone();
        web.app.on_purge(move |keys| {
            // The shared parts show the rankings (and every story in them):
            // render them again; no page holds them, so none is purged for them.
            if keys.iter().any(|k| *k == Key::Rankings || k.is_everything()) {
                shared.wanted.fetch_add(1, Ordering::AcqRel);
            }
            let pages: Vec<Key> = keys.iter().copied().filter(|k| *k != Key::Rankings).collect();
            if pages.is_empty() {
                return;
            }
            let n = cache.purge(&pages);
            tracing::debug!(purged = n, keys = %broadsheet_app::keys::join(&pages), "page cache purge");
        });
        web
    }

    /// Writes an access line per request from now on (call before
    /// [`Web::router`] or [`Web::service`]; see `access.rs`).
    pub fn start_access_log(&mut self, format: AccessFormat) {
        self.access = AccessLog::start(format);
    }

    /// [`Web::start_access_log`] writing to `out` instead of stderr (tests).
    pub fn start_access_log_to(
        &mut self,
        format: AccessFormat,
        out: Box<dyn std::io::Write + Send>,
    ) {
        self.access = AccessLog::start_with(format, out);
    }

    /// The access log (off unless started).
    pub fn access_log(&self) -> &AccessLog {
        &self.access
    }

    /// The sign-in throttle and keys (tests read its counters).
    pub fn sign_in_guard(&self) -> &broadsheet_app::signin::SignInGuard {
        &self.signin
    }

    /// Only `/metrics`, without a token: for a separate, private listen
    /// address (`--metrics-listen`).
    pub fn metrics_router(&self) -> Router {
        Router::new()
            .route("/metrics", get(assets::metrics))
            .with_state(self.clone())
    }

    /// The shared page parts, rendered again first if the rankings changed.
    pub fn fragments(&self) -> Arc<Fragments> {
        let read = |s: &SharedParts| match s.current.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        let current = read(&self.shared);
        let wanted = self.shared.wanted.load(Ordering::Acquire);
        if current.generation >= wanted {
            return current;
        }
        let _one = match self.shared.rebuilding.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let current = read(&self.shared);
        if current.generation >= wanted {
            return current;
        }
        match Fragments::render(&self.app, wanted, self.shared.esi) {
            Ok(f) => {
                let f = Arc::new(f);
                metrics::counter!("broadsheet_fragment_renders_total").increment(1);
                match self.shared.current.write() {
                    Ok(mut g) => *g = f.clone(),
                    Err(p) => *p.into_inner() = f.clone(),
                }
                f
            }
            Err(e) => {
                tracing::error!(error = ?e, "rendering the shared page parts failed; serving the previous ones");
                current
            }
        }
    }

    /// Pages rendered on this node since it started (cache misses that rendered).
    pub fn renders(&self) -> u64 {
        self.renders.load(Ordering::Relaxed)
    }

    /// The whole site as one service: the fast path for cached reader pages
    /// (`fast.rs`) in front of [`Web::routes`]. What `serve` runs.
    pub fn service(&self) -> WebService {
        WebService::new(self.clone(), self.routes())
    }

    /// [`Web::service`] as a router (the same fast path, then every route).
    pub fn router(&self) -> Router {
        Router::new().fallback_service(self.service())
    }

    /// The router with every route and layer. `/metrics` is here only behind
    /// the bearer token, when one is set; otherwise it is not found.
    pub fn routes(&self) -> Router {
        Router::new()
            .route("/", get(home))
            .route("/healthz", get(assets::healthz))
            .route("/metrics", get(assets::metrics_with_token))
            .route("/robots.txt", get(assets::robots))
            .route("/favicon.ico", get(assets::favicon))
            .route("/logo.svg", get(structured::logo))
            .route("/static/{file}", get(assets::static_file))
            .route("/media/{file}", get(assets::media))
            .route("/newsroom/media/{file}", get(assets::newsroom_media))
            .route("/v/{file}", get(assets::beacon))
            .route("/_fragments/{name}", get(fragment))
            .route("/authors/{slug}", get(author))
            .route("/corrections", get(corrections))
            .route("/newsroom", get(newsroom::dashboard))
            .route(
                "/newsroom/sign-in",
                get(newsroom::sign_in_form).post(newsroom::sign_in),
            )
            .route(
                "/newsroom/sign-out",
                axum::routing::post(newsroom::sign_out),
            )
            .route("/newsroom/stories/new", get(newsroom::new_story))
            .route(
                "/newsroom/stories",
                axum::routing::post(newsroom::create_story),
            )
            .route(
                "/newsroom/stories/{id}",
                get(newsroom::edit_story).post(newsroom::update_story),
            )
            .route("/newsroom/stories/{id}/history", get(newsroom::history))
            .route(
                "/newsroom/picks",
                get(newsroom::picks).post(newsroom::update_picks),
            )
            .route("/newsroom/preview", axum::routing::post(newsroom::preview))
            .route(
                "/newsroom/account",
                get(newsroom::account).post(newsroom::update_account),
            )
            .route(
                "/newsroom/sections",
                get(newsroom::taxonomy).post(newsroom::update_sections),
            )
            .route("/newsroom/tags", axum::routing::post(newsroom::merge_tags))
            .route(
                "/newsroom/staff",
                get(newsroom::staff).post(newsroom::update_staff),
            )
            .route(
                "/newsroom/pictures",
                get(newsroom::pictures)
                    .post(newsroom::upload_picture)
                    .layer(axum::extract::DefaultBodyLimit::max(
                        broadsheet_app::media::MAX_UPLOAD_BYTES + (1 << 20),
                    )),
            )
            .route("/tags/{slug}", get(tag))
            .merge(readers::routes())
            .merge(gifts::routes())
            .merge(social::routes())
            .merge(subscribe::routes())
            .merge(webhooks::routes())
            .merge(newsroom_readers::routes())
            .merge(comments::routes())
            .merge(newsroom_comments::routes())
            .merge(nr_fronts::routes())
            // Admin API tokens and webhooks (issue 13).
            .merge(nr_api::routes())
            .merge(newsletters::routes())
            .merge(nr_newsletters::routes())
            // Wire ingest (issue 14).
            .merge(nr_wire::routes())
            .merge(nr_search::routes())
            // Feeds and sitemaps (issue 13).
            .merge(feeds::routes())
            .merge(sitemaps::routes())
            // Comment reactions, featured comments, badges, ignore lists (issue 12).
            .merge(comment_extras::routes())
            // Breaking news pushed and live pages (issue 12).
            .merge(live::routes())
            .merge(nr_live::routes())
            // Search (issue 13).
            .merge(search::routes())
            // The Admin API (issue 13): token-authenticated writes.
            .nest("/api/v1/admin", api_admin::routes())
            .nest("/api/v1", api::routes())
            .fallback(fallback)
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                layers::around,
            ))
            .with_state(self.clone())
    }

    /// The answer to a request for a page (or any kept document) the page
    /// cache holds under `key`: a hit.
    pub(crate) fn hit_answer(&self, key: &CacheKey, headers: &HeaderMap) -> Option<Response> {
        let hit = self.cache.get(key)?;
        self.count_hit(true);
        let body = hit.assembled(&self.fragments());
        Some(respond::page(&hit, &body, headers, true))
    }

    /// Counts a miss and a render (before or after rendering; see
    /// [`Web::keep_answer`]).
    pub(crate) fn count_render(&self) {
        self.count_hit(false);
        self.renders.fetch_add(1, Ordering::Relaxed);
    }

    /// The answer with `doc`, made after a miss of `key` (read the cache
    /// epoch before making it, and count the render with
    /// [`Web::count_render`]): kept in the page cache when `doc.keep` and
    /// no purge ran since `epoch`.
    pub(crate) fn keep_answer(
        &self,
        key: CacheKey,
        headers: &HeaderMap,
        doc: feeds::Doc,
        cache_control: &'static str,
        epoch: u64,
    ) -> Response {
        let frags = self.fragments();
        let page = Arc::new(cache::CachedPage::with_type(
            StatusCode::OK,
            axum::http::HeaderValue::from_static(doc.content_type),
            doc.body,
            &doc.keys,
            cache_control,
            broadsheet_app::now(),
            &frags,
        ));
        if doc.keep {
            self.cache.insert(key, &doc.keys, page.clone(), epoch);
        }
        let body = page.assembled(&frags);
        respond::page(&page, &body, headers, false)
    }

    fn count_hit(&self, hit: bool) {
        // Atomics only here; /metrics turns them into counters and a ratio.
        if hit {
            self.hits.fetch_add(1, Ordering::Relaxed);
        } else {
            self.misses.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn publish_cache_metrics(&self) {
        let h = self.hits.load(Ordering::Relaxed);
        let m = self.misses.load(Ordering::Relaxed);
        metrics::counter!("broadsheet_page_cache_hits_total").absolute(h);
        metrics::counter!("broadsheet_page_cache_misses_total").absolute(m);
        metrics::gauge!("broadsheet_page_cache_hit_ratio").set(h as f64 / (h + m).max(1) as f64);
        metrics::counter!("broadsheet_page_renders_total").absolute(self.renders());
        metrics::gauge!("broadsheet_page_cache_bytes").set(self.cache.weighted_bytes() as f64);
        metrics::gauge!("broadsheet_view_cap_clients")
            .set(self.app.views().capped_clients() as f64);
        metrics::gauge!("broadsheet_view_cap_per_minute")
            .set(f64::from(self.app.config().views_per_client_per_minute));
    }
}

/// What a route can show of a story's text: the route inventory that
/// `tests/it/paywall.rs` checks against [`Web::router`] (a route missing
/// here, or listed here but not routed, fails it) and probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoryText {
    /// No story text at all (assets, media, beacon, operations, forms).
    None,
    /// Cards only: headline, standfirst, picture; never the body.
    Cards,
    /// Story text, taken only from the gate (`paywall.rs`, then
    /// `render::story_body`).
    ThroughGate,
    /// Full text for signed-in staff only (the newsroom); readers are
    /// sent to sign in.
    StaffOnly,
    /// A feed (issue 13): one document for everyone, each story's text
    /// taken from the gate's cut (`broadsheet_app::feeds::items`): free
    /// stories in full, paid stories' preview only.
    Feed,
    /// Search results (issue 13): cards and snippets of the text the reader
    /// was searched over; for anyone but a subscriber, only the free part
    /// (the gate's own split, `broadsheet_app::search`). Never cached.
    Search,
}

/// Every route of [`Web::router`] (the fallback as `"*"`), with what it can
/// show of a story's text. Keep in step with the router.
pub const ROUTES: &[(&str, StoryText)] = &[
    ("/", StoryText::Cards),
    ("/healthz", StoryText::None),
    ("/metrics", StoryText::None),
    ("/robots.txt", StoryText::None),
    ("/favicon.ico", StoryText::None),
    ("/static/{file}", StoryText::None),
    ("/media/{file}", StoryText::None),
    ("/newsroom/media/{file}", StoryText::None),
    ("/v/{file}", StoryText::None),
    ("/_fragments/{name}", StoryText::Cards),
    ("/authors/{slug}", StoryText::Cards),
    ("/corrections", StoryText::Cards),
    ("/newsroom", StoryText::StaffOnly),
    ("/newsroom/sign-in", StoryText::None),
    ("/newsroom/sign-out", StoryText::None),
    ("/newsroom/stories/new", StoryText::StaffOnly),
    ("/newsroom/stories", StoryText::StaffOnly),
    ("/newsroom/stories/{id}", StoryText::StaffOnly),
    ("/newsroom/stories/{id}/history", StoryText::StaffOnly),
    ("/newsroom/picks", StoryText::StaffOnly),
    ("/newsroom/preview", StoryText::StaffOnly),
    ("/newsroom/account", StoryText::None),
    ("/newsroom/sections", StoryText::StaffOnly),
    ("/newsroom/tags", StoryText::StaffOnly),
    ("/newsroom/staff", StoryText::None),
    ("/newsroom/pictures", StoryText::StaffOnly),
    ("/tags/{slug}", StoryText::Cards),
    ("/account", StoryText::None),
    ("/account/sign-out", StoryText::None),
    ("/account/gifts", StoryText::None),
    ("/account/gifts/revoke", StoryText::None),
    ("/account/sign-in", StoryText::None),
    ("/account/sign-up", StoryText::None),
    ("/account/magic-link", StoryText::None),
    ("/account/magic", StoryText::None),
    ("/account/verify", StoryText::None),
    ("/account/reset", StoryText::None),
    ("/account/reset/choose", StoryText::None),
    ("/account/profile", StoryText::None),
    ("/account/email", StoryText::None),
    ("/account/export", StoryText::None),
    ("/account/delete", StoryText::None),
    ("/account/oauth/{provider}/start", StoryText::None),
    ("/account/oauth/{provider}/callback", StoryText::None),
    ("/account/subscription", StoryText::None),
    ("/account/subscription/cancel", StoryText::None),
    ("/account/subscription/portal", StoryText::None),
    ("/subscribe", StoryText::None),
    ("/subscribe/{plan}", StoryText::None),
    ("/webhooks/stripe", StoryText::None),
    ("/newsroom/readers", StoryText::None),
    ("/newsroom/readers/{id}", StoryText::None),
    ("/newsroom/plans", StoryText::None),
    ("/newsroom/organisations", StoryText::None),
    // Comments (issue 12): the shared thread, each reader's own view, moderation.
    ("/comments/{story}", StoryText::Cards),
    ("/comments/{story}/{sort}", StoryText::Cards),
    ("/comments/{story}/{sort}/{cursor}", StoryText::Cards),
    ("/account/comments/{story}", StoryText::None),
    ("/account/comments/edit/{id}", StoryText::None),
    ("/account/comments/delete/{id}", StoryText::None),
    ("/account/comments/report/{id}", StoryText::None),
    // Reactions, ignore lists and the reader's own view of a thread (reader
    // comments only, never story text).
    ("/account/comments/read/{story}", StoryText::None),
    ("/account/comments/react/{id}", StoryText::None),
    ("/account/comments/ignore/{id}", StoryText::None),
    ("/account/comments/ignored", StoryText::None),
    ("/account/comments/unignore/{reader}", StoryText::None),
    ("/newsroom/comments", StoryText::None),
    ("/newsroom/comments/settings", StoryText::None),
    ("/newsroom/comments/policy", StoryText::None),
    ("/newsroom/comments/readers/{id}", StoryText::None),
    ("/newsroom/fronts", StoryText::StaffOnly),
    ("/newsroom/fronts/{front}", StoryText::StaffOnly),
    // Feeds (issue 13): items through the gate, as for a reader not entitled
    // (`broadsheet_app::feeds::items`); sitemaps list addresses and headlines.
    ("/feeds/{file}", StoryText::Feed),
    ("/feeds/sections/{*rest}", StoryText::Feed),
    ("/feeds/tags/{slug}/{file}", StoryText::Feed),
    ("/feeds/authors/{slug}/{file}", StoryText::Feed),
    ("/sitemap.xml", StoryText::None),
    // The Content API (issue 13): cards, and one story's text through the
    // gate's cut as feeds (`broadsheet_app::content_api::story`).
    ("/api/v1/stories", StoryText::Cards),
    ("/api/v1/stories/{id}", StoryText::Feed),
    ("/api/v1/sections", StoryText::None),
    ("/api/v1/tags", StoryText::None),
    ("/api/v1/authors", StoryText::None),
    ("/api/v1/most-read", StoryText::Cards),
    ("/api/v1/most-commented", StoryText::Cards),
    ("/api/v1/picks", StoryText::Cards),
    ("/api/v1/search", StoryText::Search),
    ("/api/v1/openapi.json", StoryText::None),
    // The Admin API (issue 13): a story's Markdown for a token holder who
    // may open it (the newsroom's rule, `newsroom::open`); nothing without
    // a valid token.
    ("/api/v1/admin/token", StoryText::None),
    ("/api/v1/admin/stories", StoryText::StaffOnly),
    ("/api/v1/admin/stories/{id}", StoryText::StaffOnly),
    ("/api/v1/admin/stories/{id}/submit", StoryText::StaffOnly),
    ("/api/v1/admin/stories/{id}/publish", StoryText::StaffOnly),
    ("/api/v1/admin/stories/{id}/withdraw", StoryText::StaffOnly),
    ("/api/v1/admin/stories/{id}/reinstate", StoryText::StaffOnly),
    (
        "/api/v1/admin/stories/{id}/corrections",
        StoryText::StaffOnly,
    ),
    ("/api/v1/admin/pictures", StoryText::None),
    ("/newsroom/api-tokens", StoryText::None),
    ("/newsroom/webhooks", StoryText::None),
    // Newsletters (issue 13): the preference centre, mailed links and the
    // aggregate counters show no story text; the newsroom's preview shows
    // a subscriber's issue (opening paragraphs) to staff only.
    ("/account/newsletters", StoryText::None),
    ("/newsletters/confirm", StoryText::None),
    ("/newsletters/unsubscribe", StoryText::None),
    ("/newsletters/o/{file}", StoryText::None),
    ("/newsletters/c/{issue}/{story}", StoryText::None),
    ("/newsroom/newsletters", StoryText::None),
    ("/newsroom/newsletters/{id}/preview", StoryText::StaffOnly),
    ("/wire/{agency}", StoryText::None),
    ("/newsroom/wire", StoryText::StaffOnly),
    ("/newsroom/wire/quarantine/{id}", StoryText::StaffOnly),
    ("/newsroom/agencies", StoryText::None),
    // The newsroom's search: snippets of any field, for staff only.
    ("/newsroom/search", StoryText::StaffOnly),
    ("/sitemaps/{file}", StoryText::None),
    // The paper's word-mark (structured data's publisher logo).
    ("/logo.svg", StoryText::None),
    // Breaking news and live pages (issue 12): updates of free stories only
    // (a paid story cannot be live; `broadsheet_app::live_pages`).
    ("/events", StoryText::Feed),
    ("/live/{story}/updates", StoryText::Feed),
    ("/live/{story}/updates/{id}", StoryText::None),
    ("/newsroom/stories/{id}/live", StoryText::StaffOnly),
    // Search (issue 13): paid parts searched and shown to subscribers only.
    ("/search", StoryText::Search),
    // Section fronts (cards) and story pages (through the gate).
    ("*", StoryText::ThroughGate),
];

#[derive(Deserialize)]
struct PageQuery {
    page: Option<String>,
}

/// `?page=N`: absent is 1; anything but a whole number from 1 is refused.
fn page_number(q: &PageQuery) -> Result<i64, WebError> {
    match q.page.as_deref() {
        None | Some("") => Ok(1),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=100_000).contains(&n) => Ok(n),
            _ => Err(WebError::BadRequest(format!(
                "The page number {s:?} is not valid: use a whole number from 1, such as ?page=2."
            ))),
        },
    }
}

/// The cache key of a reader page. The fast path (`fast.rs`) keys with this
/// too: a variant chosen per request (the paywall's) must be chosen here, so
/// both paths agree.
fn cache_key(path: &str, page: i64) -> CacheKey {
    CacheKey::new(path, page)
}

/// What one render produced: a stored page, or anything else (a redirect,
/// an error) for the request that ran it.
type Rendering = (
    Option<Arc<cache::CachedPage>>,
    Option<Result<pages::Outcome, WebError>>,
);

async fn render_page<F, Fut>(web: &Web, key: &CacheKey, render: F) -> Rendering
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<pages::Outcome, WebError>>,
{
    let epoch = web.cache.epoch();
    web.renders.fetch_add(1, Ordering::Relaxed);
    match render().await {
        Ok(pages::Outcome::Page(r)) => {
            let cached = Arc::new(
                cache::CachedPage::new(
                    r.status,
                    r.html,
                    &r.keys,
                    r.cache_control,
                    broadsheet_app::now(),
                    &web.fragments(),
                )
                .gated(r.gate)
                .fresh_until(r.fresh_until),
            );
            web.cache
                .insert(key.clone(), &r.keys, cached.clone(), epoch);
            (Some(cached), None)
        }
        other => (None, Some(other)),
    }
}

/// Serves a page from the cache, or renders and stores it. Requests that
/// miss the same key together wait for one render and share its page.
async fn page<F, Fut>(web: &Web, key: CacheKey, headers: &HeaderMap, render: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<pages::Outcome, WebError>>,
{
    if let Some(hit) = web.hit_answer(&key, headers) {
        return hit;
    }
    match fetch_missed(web, key, render).await {
        Ok(p) => {
            let body = p.assembled(&web.fragments());
            respond::page(&p, &body, headers, false)
        }
        Err(r) => r,
    }
}

/// The page under `key` after a cache miss: rendered (once, however many
/// requests missed together) and stored; or the response for anything that
/// is not a page (a redirect, an error).
async fn fetch_missed<F, Fut>(
    web: &Web,
    key: CacheKey,
    render: F,
) -> Result<Arc<cache::CachedPage>, Response>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<pages::Outcome, WebError>>,
{
    web.count_hit(false);
    let flight = web.cache.flight(&key);
    let mut render = Some(render);
    let mut mine: Option<Result<pages::Outcome, WebError>> = None;
    let shared = flight
        .get_or_init(|| async {
            let r = render.take()?;
            let (page, other) = render_page(web, &key, r).await;
            mine = other;
            page
        })
        .await
        .clone();
    web.cache.land(&key, &flight);
    let outcome = match (shared, mine) {
        (Some(p), _) => return Ok(p),
        (None, Some(o)) => o,
        // The render we waited for was not a page (a redirect, an error):
        // find out for ourselves.
        (None, None) => match render.take() {
            Some(r) => match render_page(web, &key, r).await {
                (Some(p), _) => return Ok(p),
                (None, Some(o)) => o,
                (None, None) => Err(WebError::NotFound),
            },
            None => Err(WebError::NotFound),
        },
    };
    Err(match outcome {
        Ok(pages::Outcome::Moved(to)) => Redirect::permanent(&to).into_response(),
        Ok(pages::Outcome::Page(_)) => {
            WebError::Internal("a rendered page was not stored".into()).into_response()
        }
        Err(e) => e.into_response(),
    })
}

#[derive(Deserialize)]
struct FragmentQuery {
    exclude: Option<i64>,
}

/// `/_fragments/{name}`: one shared page part, for a CDN assembling pages
/// with ESI (`--esi`), with its own surrogate keys.
async fn fragment(
    State(web): State<Web>,
    Path(name): Path<String>,
    Query(q): Query<FragmentQuery>,
) -> Response {
    let frags = web.fragments();
    let Some((slot, bytes)) = frags.by_name(&name, q.exclude) else {
        return WebError::NotFound.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (header::CACHE_CONTROL, pages::CACHE_PAGE.to_string()),
            (
                header::HeaderName::from_static("surrogate-key"),
                broadsheet_app::keys::join(slot.keys()),
            ),
        ],
        bytes.clone(),
    )
        .into_response()
}

async fn home(State(web): State<Web>, headers: HeaderMap) -> Response {
    let app = web.app.clone();
    page(&web, cache_key("/", 1), &headers, || async move {
        pages::home(&app).await.map(pages::Outcome::Page)
    })
    .await
}

async fn corrections(State(web): State<Web>, headers: HeaderMap) -> Response {
    let app = web.app.clone();
    page(
        &web,
        cache_key("/corrections", 1),
        &headers,
        || async move { pages::corrections(&app).await.map(pages::Outcome::Page) },
    )
    .await
}

async fn author(
    State(web): State<Web>,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let n = match page_number(&q) {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    let app = web.app.clone();
    let key = cache_key(&format!("/authors/{slug}"), n);
    page(&web, key, &headers, || async move {
        pages::author(&app, &slug, n)
            .await
            .map(pages::Outcome::Page)
    })
    .await
}

async fn tag(
    State(web): State<Web>,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let n = match page_number(&q) {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    let app = web.app.clone();
    let key = cache_key(&format!("/tags/{slug}"), n);
    page(&web, key, &headers, || async move {
        match pages::tag(&app, &slug, n).await {
            // A merged tag's old address leads to the tag it went into.
            Err(WebError::NotFound) => {
                match broadsheet_app::reader::tag_redirect(&app, &slug).await? {
                    Some(to) => Ok(pages::Outcome::Moved(format!("/tags/{to}"))),
                    None => Err(WebError::NotFound),
                }
            }
            r => r.map(pages::Outcome::Page),
        }
    })
    .await
}

/// Section fronts and stories, which live under section paths.
async fn fallback(
    State(web): State<Web>,
    ClientIp(client): ClientIp,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path();
    if path.len() > 1 && path.ends_with('/') {
        // Only to an address on this site; anything odd is simply not found.
        return match local_redirect_target(path.trim_end_matches('/')) {
            Some(to) => Redirect::permanent(to).into_response(),
            None => WebError::NotFound.into_response(),
        };
    }
    let q: PageQuery = match Query::try_from_uri(&uri) {
        Ok(Query(q)) => q,
        Err(_) => PageQuery { page: None },
    };
    let n = match page_number(&q) {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    let trimmed = path.trim_start_matches('/');
    let sections = web.app.sections();
    if sections.by_path(trimmed).is_some() {
        let app = web.app.clone();
        let sec = trimmed.to_string();
        return page(&web, cache_key(path, n), &headers, || async move {
            pages::section(&app, &sec, n)
                .await
                .map(pages::Outcome::Page)
        })
        .await;
    }
    if let Some(addr) = broadsheet_domain::permalink::parse_story_path(path) {
        return paywall::story(&web, path, addr.id, &uri, &headers, client).await;
    }
    let _ = header::HOST;
    WebError::NotFound.into_response()
}

/// `path` if it is safe as a `Location` built from a request: one leading
/// `/` then non-empty segments of unreserved characters or percent escapes
/// that do not decode to `/`, `\`, `%` or a control character, and no `.`
/// or `..` segment. Browsers read `//host`, `/\host` (and, after decoding or
/// dot-segment removal, the same in disguise) as another site, so any of
/// those is refused. Every address this site makes passes.
pub fn local_redirect_target(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    if rest.is_empty() {
        return Some(path);
    }
    for segment in rest.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return None;
        }
        let b = segment.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'%' => {
                    let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                    let byte = u8::from_str_radix(hex, 16).ok()?;
                    if byte == b'/' || byte == b'\\' || byte == b'%' || byte.is_ascii_control() {
                        return None;
                    }
                    i += 3;
                }
                c if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') => {
                    i += 1;
                }
                _ => return None,
            }
        }
        // "%2e" and "%2E%2e" are dot segments too.
        let lower = segment.to_ascii_lowercase();
        if lower.replace("%2e", ".") == "." || lower.replace("%2e", ".") == ".." {
            return None;
        }
    }
    Some(path)
}

/// For tests and the bench: a status code's canonical reason.
pub fn status_text(s: StatusCode) -> &'static str {
    s.canonical_reason().unwrap_or("")
}
