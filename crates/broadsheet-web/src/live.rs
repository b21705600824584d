//! Breaking news and live pages pushed to open pages (issue 12 items 4 and
//! 5): the node's Server-Sent Events hub and `GET /events`, the live
//! section of a story page, and the reader routes of live updates.
//!
//! **The hub.** One per node ([`Hub`]), fed by the change events every node
//! already applies: a purge naming `rankings` (or everything) makes it
//! render the breaking banner again and, if it changed, push it; a purge
//! naming `story-<id>` of a story some open page is watching makes it read
//! that story's updates written after the last one it pushed (from the
//! database, so an update posted on another node arrives the same way) and
//! push them. Pushes go through one `tokio::sync::broadcast` channel; every
//! connection holds a receiver (a few hundred bytes) and filters by story.
//!
//! **A connection.** `GET /events[?story=N&after=S]` answers
//! `text/event-stream`, `Cache-Control: no-store`, `X-Accel-Buffering: no`
//! (never kept by our page cache, a CDN or a proxy's buffer), with a comment
//! line every [`HEARTBEAT`] so proxies keep it open. Events: `breaking`
//! (data: the banner's HTML, empty when it ends; no id) and `update` (id:
//! the update's sequence number in its story; data: JSON with the update's
//! id, whether it is pinned or removed, and its `<li>`). On connecting, and
//! again whenever the connection fell behind the channel, it replays from
//! the database every update after `Last-Event-ID` (or `after`, the
//! sequence number the page was rendered at), so nothing is lost across a
//! reconnect or across nodes. At most `--sse-max-connections` connections
//! per node; beyond, 503 with `Retry-After`.
//!
//! Live stories are free to read (`broadsheet_app::live_pages`): no paid
//! text is ever shown or pushed here.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use broadsheet_app::keys::Key;
use broadsheet_app::live_pages::{self, LiveUpdate};
use broadsheet_app::{App, StoryLookup};
use broadsheet_domain::time::{ShownTime, show};
use broadsheet_domain::{Story, permalink};
use serde::Deserialize;
use tokio::sync::{Notify, broadcast};

use crate::Web;
use crate::error::WebError;
use crate::view::{self, Chrome};

/// A comment line this often keeps proxies from closing an idle stream.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// Connections one node holds at most unless configured.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// Pushes a connection may fall behind before it replays from the database.
const CHANNEL: usize = 1024;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/events", get(events))
        .route("/live/{story}/updates", get(updates_page))
        .route("/live/{story}/updates/{id}", get(permalink_of))
}

/// What the hub pushes.
#[derive(Debug)]
enum Push {
    /// The banner's HTML (empty: no story is breaking).
    Breaking(Arc<str>),
    Update {
        story: i64,
        seq: i64,
        data: Arc<str>,
    },
}

/// The node's fan-out of breaking news and live updates.
pub struct Hub {
    tx: broadcast::Sender<Arc<Push>>,
    open: AtomicUsize,
    max: usize,
    /// Open connections per watched story.
    watched: Mutex<HashMap<i64, usize>>,
    /// The newest sequence number pushed per watched story.
    cursors: Mutex<HashMap<i64, i64>>,
    /// Stories changed since the hub last looked, and whether the rankings did.
    dirty: Mutex<(HashSet<i64>, bool)>,
    wake: Notify,
    /// The banner as last pushed.
    banner: Mutex<Arc<str>>,
    /// Set when the node shuts down: every stream ends.
    closing: tokio::sync::watch::Sender<bool>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Hub {
    pub fn new(max: usize) -> Hub {
        let (tx, _) = broadcast::channel(CHANNEL);
        Hub {
            tx,
            open: AtomicUsize::new(0),
            max: if max == 0 {
                DEFAULT_MAX_CONNECTIONS
            } else {
                max
            },
            watched: Mutex::new(HashMap::new()),
            cursors: Mutex::new(HashMap::new()),
            dirty: Mutex::new((HashSet::new(), false)),
            wake: Notify::new(),
            banner: Mutex::new(Arc::from("")),
            closing: tokio::sync::watch::channel(false).0,
        }
    }

    /// Ends every open stream (graceful shutdown: an open stream would
    /// otherwise hold the drain to its limit). Clients reconnect elsewhere.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Connections open on this node now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    fn admit(self: &Arc<Hub>) -> Option<Admitted> {
        let n = self.open.fetch_add(1, Ordering::AcqRel);
        if n >= self.max {
            self.open.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        metrics::gauge!("broadsheet_sse_connections").set((n + 1) as f64);
        Some(Admitted {
            hub: self.clone(),
            story: None,
        })
    }

    /// Called with the keys of every change applied on this node.
    fn on_keys(&self, keys: &[Key]) {
        let mut wake = false;
        {
            let watched = lock(&self.watched);
            let mut dirty = lock(&self.dirty);
            for k in keys {
                match k {
                    Key::Rankings => {
                        dirty.1 = true;
                        wake = true;
                    }
                    k if k.is_everything() => {
                        dirty.1 = true;
                        dirty.0.extend(watched.keys().copied());
                        wake = true;
                    }
                    Key::Story(id) if watched.contains_key(id) => {
                        dirty.0.insert(*id);
                        wake = true;
                    }
                    _ => {}
                }
            }
        }
        if wake {
            self.wake.notify_one();
        }
    }

    /// Pushes what changed: the banner, then each dirty story's new updates.
    async fn push_changes(&self, app: &App) {
        let (stories, rankings) = {
            let mut d = lock(&self.dirty);
            (std::mem::take(&mut d.0), std::mem::replace(&mut d.1, false))
        };
        if rankings {
            match crate::fragments::breaking_banner(app, &app.sections(), &app.rankings()) {
                Ok(html) => {
                    let html: Arc<str> = Arc::from(html);
                    let changed = {
                        let mut b = lock(&self.banner);
                        if *b != html {
                            *b = html.clone();
                            true
                        } else {
                            false
                        }
                    };
                    if changed {
                        let _ = self.tx.send(Arc::new(Push::Breaking(html)));
                    }
                }
                Err(e) => tracing::error!(error = ?e, "rendering the breaking banner failed"),
            }
        }
        for story in stories {
            let Some(from) = lock(&self.cursors).get(&story).copied() else {
                continue;
            };
            let tz = &app.config().time_zone;
            match live_pages::after(app, story, from).await {
                Ok(list) => {
                    let mut top = from;
                    for u in &list {
                        top = top.max(u.seq);
                        let data = match update_data(u, tz) {
                            Ok(d) => d,
                            Err(e) => {
                                tracing::error!(error = ?e, "rendering a live update failed");
                                continue;
                            }
                        };
                        let _ = self.tx.send(Arc::new(Push::Update {
                            story,
                            seq: u.seq,
                            data: Arc::from(data),
                        }));
                    }
                    if let Some(c) = lock(&self.cursors).get_mut(&story) {
                        *c = (*c).max(top);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, story, "reading live updates failed; will retry on the next change");
                    lock(&self.dirty).0.insert(story);
                }
            }
        }
    }
}

/// One admitted connection: counted until dropped, and watching a story.
struct Admitted {
    hub: Arc<Hub>,
    story: Option<i64>,
}

impl Admitted {
    /// Watches `story`; `seq` is its newest sequence number now (the hub
    /// starts pushing after it if nobody watched it yet).
    fn watch(&mut self, story: i64, seq: i64) {
        *lock(&self.hub.watched).entry(story).or_insert(0) += 1;
        lock(&self.hub.cursors).entry(story).or_insert(seq);
        self.story = Some(story);
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let n = self.hub.open.fetch_sub(1, Ordering::AcqRel);
        metrics::gauge!("broadsheet_sse_connections").set(n.saturating_sub(1) as f64);
        if let Some(s) = self.story {
            let mut w = lock(&self.hub.watched);
            let gone = match w.get_mut(&s) {
                Some(c) => {
                    *c = c.saturating_sub(1);
                    *c == 0
                }
                None => false,
            };
            if gone {
                w.remove(&s);
                lock(&self.hub.cursors).remove(&s);
            }
        }
    }
}

/// Starts the node's hub: listens to every change this node applies and
/// runs the task that pushes them. Call inside a Tokio runtime.
pub(crate) fn start(app: &App, max: usize) -> Arc<Hub> {
    let hub = Arc::new(Hub::new(max));
    if let Ok(b) = crate::fragments::breaking_banner(app, &app.sections(), &app.rankings()) {
        *lock(&hub.banner) = Arc::from(b);
    }
    let h = hub.clone();
    app.on_purge(move |keys| h.on_keys(keys));
    let h = hub.clone();
    let app = app.clone();
    tokio::spawn(async move {
        loop {
            h.wake.notified().await;
            h.push_changes(&app).await;
        }
    });
    hub
}

// ----- one update's markup ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "live_update.html")]
struct UpdateItem<'a> {
    id: i64,
    story: i64,
    pinned: bool,
    edited: bool,
    at: ShownTime,
    html: &'a str,
}

fn update_html(u: &LiveUpdate, tz: &jiff::tz::TimeZone) -> Result<String, WebError> {
    Ok(UpdateItem {
        id: u.id,
        story: u.story_id,
        pinned: u.pinned,
        edited: u.edited_at.is_some(),
        at: show(u.posted_at, tz),
        html: &u.html,
    }
    .render()?)
}

/// The `data` of an `update` event.
fn update_data(u: &LiveUpdate, tz: &jiff::tz::TimeZone) -> Result<String, WebError> {
    let html = if u.removed {
        String::new()
    } else {
        update_html(u, tz)?
    };
    Ok(serde_json::json!({
        "id": u.id,
        "pinned": u.pinned,
        "removed": u.removed,
        "html": html,
    })
    .to_string())
}

fn update_event(u: &LiveUpdate, tz: &jiff::tz::TimeZone) -> Option<Event> {
    match update_data(u, tz) {
        Ok(d) => Some(
            Event::default()
                .event("update")
                .id(u.seq.to_string())
                .data(d),
        ),
        Err(e) => {
            tracing::error!(error = ?e, "rendering a live update failed");
            None
        }
    }
}

// ----- GET /events ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct EventsQuery {
    story: Option<i64>,
    after: Option<i64>,
}

struct Conn {
    app: App,
    rx: broadcast::Receiver<Arc<Push>>,
    story: Option<i64>,
    /// The newest sequence number sent on this connection.
    sent: i64,
    pending: VecDeque<Event>,
    closing: tokio::sync::watch::Receiver<bool>,
    _admitted: Admitted,
}

impl Conn {
    /// Queues every update after `self.sent` from the database.
    async fn replay(&mut self) {
        let Some(story) = self.story else { return };
        let tz = self.app.config().time_zone.clone();
        match live_pages::after(&self.app, story, self.sent).await {
            Ok(list) => {
                for u in &list {
                    self.sent = self.sent.max(u.seq);
                    if let Some(e) = update_event(u, &tz) {
                        self.pending.push_back(e);
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, story, "replaying live updates failed"),
        }
    }

    async fn next(mut self) -> Option<(Result<Event, std::convert::Infallible>, Conn)> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some((Ok(e), self));
            }
            let got = tokio::select! {
                r = self.rx.recv() => r,
                _ = self.closing.wait_for(|c| *c) => return None,
            };
            match got {
                Ok(p) => match &*p {
                    Push::Breaking(html) => {
                        let e = Event::default().event("breaking").data(&**html);
                        return Some((Ok(e), self));
                    }
                    Push::Update { story, seq, data } => {
                        if Some(*story) == self.story && *seq > self.sent {
                            self.sent = *seq;
                            let e = Event::default()
                                .event("update")
                                .id(seq.to_string())
                                .data(&**data);
                            return Some((Ok(e), self));
                        }
                    }
                },
                Err(broadcast::error::RecvError::Lagged(_)) => self.replay().await,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

fn busy() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::RETRY_AFTER, "60"),
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
        ],
        "Too many readers are following live news on this server right now: reload the page in a minute.\n",
    )
        .into_response()
}

async fn events(
    State(web): State<Web>,
    Query(q): Query<EventsQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let Some(mut admitted) = web.live.admit() else {
        return Ok(busy());
    };
    let rx = web.live.tx.subscribe();
    let mut story = None;
    let mut sent = 0;
    if let Some(id) = q.story
        && let Some(state) = live_pages::state(&web.app, id).await?
        && let StoryLookup::Found(s) = web.app.published_story(id).await?
        && s.access == broadsheet_domain::Access::Free
    {
        admitted.watch(id, state.seq);
        story = Some(id);
        let resume = headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok());
        sent = resume.or(q.after).unwrap_or(state.seq).max(0);
    }
    let mut conn = Conn {
        app: web.app.clone(),
        rx,
        story,
        sent,
        pending: VecDeque::new(),
        closing: web.live.closing.subscribe(),
        _admitted: admitted,
    };
    conn.replay().await;
    let stream = futures_util::stream::unfold(conn, Conn::next);
    let mut res = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat"))
        .into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(res)
}

// ----- the live section of a story page ---------------------------------------------------

#[derive(Template)]
#[template(path = "live_section.html")]
struct Section {
    story: i64,
    live: bool,
    seq: i64,
    items: Vec<String>,
    older: Option<String>,
}

/// A story page's live part: its HTML and the JSON-LD it adds.
pub struct LivePart {
    pub html: String,
    pub start: i64,
    pub end: Option<i64>,
    updates: Vec<LiveUpdate>,
}

/// The live section of a story page (first page of updates), if the story
/// was ever live and is free to read.
pub async fn part(app: &App, story: &Story) -> Result<Option<LivePart>, WebError> {
    let Some(s) = live_pages::shown(app, story, 1).await? else {
        return Ok(None);
    };
    let tz = &app.config().time_zone;
    let items = s
        .updates
        .iter()
        .map(|u| update_html(u, tz))
        .collect::<Result<Vec<_>, _>>()?;
    let html = Section {
        story: story.id,
        live: s.state.is_live(),
        seq: s.state.seq,
        items,
        older: (s.total > live_pages::PER_PAGE)
            .then(|| format!("/live/{}/updates?page=2", story.id)),
    }
    .render()?;
    Ok(Some(LivePart {
        html,
        start: s.state.started_at,
        end: s.state.ended_at,
        updates: s.updates,
    }))
}

impl LivePart {
    /// Makes a story's JSON-LD a `LiveBlogPosting` with its updates.
    pub fn json_ld(&self, app: &App, canonical: &str, ld: &mut serde_json::Value) {
        let tz = &app.config().time_zone;
        let Some(obj) = ld.as_object_mut() else {
            return;
        };
        obj.insert("@type".into(), "LiveBlogPosting".into());
        obj.insert(
            "coverageStartTime".into(),
            show(self.start, tz).datetime.into(),
        );
        if let Some(e) = self.end {
            obj.insert("coverageEndTime".into(), show(e, tz).datetime.into());
        }
        let updates: Vec<serde_json::Value> = self
            .updates
            .iter()
            .map(|u| {
                let text = live_pages::plain_text(u, 5_000);
                let headline: String = text.chars().take(110).collect();
                serde_json::json!({
                    "@type": "BlogPosting",
                    "headline": headline,
                    "articleBody": text,
                    "datePublished": show(u.posted_at, tz).datetime,
                    "dateModified": show(u.edited_at.unwrap_or(u.posted_at), tz).datetime,
                    "url": format!("{canonical}#update-{}", u.id),
                })
            })
            .collect();
        obj.insert("liveBlogUpdate".into(), updates.into());
    }
}

// ----- older updates and permalinks ---------------------------------------------------------

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "live_page.html")]
struct UpdatesPage {
    chrome: Chrome,
    headline: String,
    story_url: String,
    page: i64,
    items: Vec<String>,
    newer: Option<String>,
    older: Option<String>,
}

async fn free_published(web: &Web, story: i64) -> Result<Story, WebError> {
    match web.app.published_story(story).await? {
        StoryLookup::Found(s) => Ok(*s),
        _ => Err(WebError::NotFound),
    }
}

/// `GET /live/{story}/updates?page=N`: a page of a live story's updates.
async fn updates_page(
    State(web): State<Web>,
    Path(story): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let s = free_published(&web, story).await?;
    let page = q.page.unwrap_or(1).max(1);
    let Some(shown) = live_pages::shown(&web.app, &s, page).await? else {
        return Err(WebError::NotFound);
    };
    if shown.updates.is_empty() && page > 1 {
        return Err(WebError::NotFound);
    }
    let app = &web.app;
    let sections = app.sections();
    let story_url = permalink::story_path(sections.path(s.section_id), &s.slug, s.id);
    let tz = &app.config().time_zone;
    let items = shown
        .updates
        .iter()
        .map(|u| update_html(u, tz))
        .collect::<Result<Vec<_>, _>>()?;
    let path = format!("/live/{story}/updates?page={page}");
    let mut chrome = view::chrome(
        app,
        &sections,
        format!(
            "{} (updates, page {page}) | {}",
            s.headline,
            app.config().name
        ),
        &path,
        None,
    );
    chrome.noindex = true;
    let page_view = UpdatesPage {
        chrome,
        headline: s.headline.clone(),
        newer: (page > 1).then(|| {
            if page == 2 {
                story_url.clone()
            } else {
                format!("/live/{story}/updates?page={}", page - 1)
            }
        }),
        older: (shown.total > page * live_pages::PER_PAGE)
            .then(|| format!("/live/{story}/updates?page={}", page + 1)),
        story_url,
        page,
        items,
    };
    let mut res = (StatusCode::OK, page_view.render()?).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=5"),
    );
    Ok(res)
}

/// `GET /live/{story}/updates/{id}`: the page that shows update `id`, at it.
async fn permalink_of(
    State(web): State<Web>,
    Path((story, id)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    let s = free_published(&web, story).await?;
    if s.access != broadsheet_domain::Access::Free {
        return Err(WebError::NotFound);
    }
    let Some(page) = live_pages::page_of(&web.app, story, id).await? else {
        return Err(WebError::NotFound);
    };
    let sections = web.app.sections();
    let base = if page == 1 {
        permalink::story_path(sections.path(s.section_id), &s.slug, s.id)
    } else {
        format!("/live/{story}/updates?page={page}")
    };
    Ok(Redirect::to(&format!("{base}#update-{id}")).into_response())
}
