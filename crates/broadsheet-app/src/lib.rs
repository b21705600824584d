//! The application layer: what the paper does, independent of HTTP.
//!
//! [`App`] owns the store, the paper's settings and the shared, derived state
//! every page reads (section tree, rankings). Web handlers and CLI commands
//! call into it; it never knows about requests or templates.

pub mod accounts;
pub mod admin_api;
mod changes;
pub mod comments;
pub mod config;
pub mod content_api;
pub mod curation;
pub mod demo;
pub mod desk;
pub mod egress;
pub mod entitlement;
pub mod footer;
pub mod gatecache;
pub mod gifts;
pub mod keys;
pub mod mail;
pub mod media;
pub mod meter;
pub mod newsletters;
pub mod newsroom;
pub mod payments;
mod rankings;
pub mod reader;
pub mod readers;
pub mod render;
pub mod sections;
pub mod signin;
pub mod social;
pub mod subscriptions;
pub mod throttle;
mod views;
pub mod webhooks;
pub mod wire;
// Feeds and sitemaps (issue 13).
pub mod feeds;
// Comment reactions, featured comments, badges, ignore lists (issue 12).
pub mod comment_extras;
// Breaking news pushed and live pages (issue 12 items 4 and 5).
pub mod live_pages;
// Search (issue 13).
pub mod search;

use std::sync::{Arc, RwLock};

use broadsheet_domain::permissions::Action;
use broadsheet_domain::{Actor, Story, StoryCard, StoryStatus};
use broadsheet_store::{Store, StoreError};

use keys::Key;

pub use broadsheet_domain::ReaderAccount;
pub use config::PaperConfig;
pub use rankings::{Ranked, Rankings};
pub use sections::SectionTree;
pub use views::{
    BeaconOutcome, BeaconStats, ClientCaps, READER_COOKIE, ReaderSigner, Verdict, ViewCounter,
    reader_id,
};

// The store's plain row types that pages render, re-exported so the web
// crate names them through the app (it does not depend on the store).
pub use broadsheet_store::{
    Correction, DeskItem, LibraryPicture, Listing, Revision, Saved, StoryEdit, TagUse,
};

/// Errors from the application layer.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Internal: logged, never shown.
    #[error(transparent)]
    Store(StoreError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Forbidden(String),
    /// Something failed on our side: logged, never shown (the web layer
    /// answers with its generic "something went wrong").
    #[error("internal: {0}")]
    Internal(String),
    /// Rendering a body failed or took longer than its limit; the detail is
    /// for the log.
    #[error("render: {0}")]
    Render(String),
    /// Too much is going on right now; the message says to try again.
    #[error("{0}")]
    Busy(String),
}

pub type Result<T> = std::result::Result<T, AppError>;

/// Store errors a person can act on become `Invalid` with words saying what
/// to do: a unique constraint lost to a concurrent change (the check before
/// the insert saw nothing), or a row referred to that no longer exists. The
/// rest stay internal.
impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        let said = |m: &str| AppError::Invalid(m.to_string());
        match &e {
            StoreError::Conflict(c) => match c.as_str() {
                "sections_path_key" => {
                    said("There is already a section at that address: choose another name.")
                }
                "authors_username_key" => {
                    said("There is already a user with that username: choose another.")
                }
                "authors_slug_key" => said(
                    "There is already an author page at that address: give a different display name.",
                ),
                "tags_slug_key" => said("There is already a tag with that name."),
                "story_authors_pkey" => said("A byline is listed twice: list each person once."),
                "editors_picks_pkey" => said(
                    "Editor's Picks were changed by someone else at the same moment: reload the page and try again.",
                ),
                _ => AppError::Store(e),
            },
            StoreError::Reference(_) => said(
                "Something this change refers to no longer exists (it may have just been deleted): reload the page and try again.",
            ),
            _ => AppError::Store(e),
        }
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

type Purger = Arc<dyn Fn(&[Key]) + Send + Sync>;

/// The running paper. Cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: PaperConfig,
    sections: RwLock<Arc<SectionTree>>,
    rankings: RwLock<Arc<Rankings>>,
    views: ViewCounter,
    purgers: RwLock<Vec<Purger>>,
    last_change: std::sync::atomic::AtomicI64,
    change_floor: i64,
    seen: std::sync::Mutex<changes::Seen>,
    ranking_lock: tokio::sync::Mutex<()>,
    uploads: media::UploadGate,
    mailer: mail::Mailer,
    gate_cache: gatecache::GateCache,
    comment_guard: comments::Guard,
    /// This node's search index (issue 13; `search.rs`).
    search: search::SearchIndex,
}

impl App {
    /// Builds the app on an opened, migrated store and loads derived state.
    pub async fn new(store: Store, config: PaperConfig) -> Result<App> {
        let mailer = mail::Mailer::from_config(&config).map_err(AppError::Invalid)?;
        let sections = SectionTree::new(store.sections().await?);
        let last = store.last_change_id().await?;
        let views = ViewCounter::new(
            store.clone(),
            config.view_queue,
            ViewCounter::load_signer(&store).await?,
            ClientCaps::new(config.views_per_client_per_minute, config.view_cap_clients),
        );
        let search = search::SearchIndex::open(config.search_dir.as_deref())?;
        let app = App {
            inner: Arc::new(Inner {
                store,
                config,
                sections: RwLock::new(Arc::new(sections)),
                rankings: RwLock::new(Arc::new(Rankings::default())),
                views,
                purgers: RwLock::new(Vec::new()),
                last_change: std::sync::atomic::AtomicI64::new(last),
                change_floor: last,
                seen: std::sync::Mutex::new(changes::Seen::default()),
                ranking_lock: tokio::sync::Mutex::new(()),
                uploads: media::UploadGate::default(),
                mailer,
                gate_cache: gatecache::GateCache::default(),
                comment_guard: comments::Guard::default(),
                search,
            }),
        };
        app.refresh_rankings().await?;
        Ok(app)
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &PaperConfig {
        &self.inner.config
    }

    /// This node's memory for the gate's hot path (`gatecache.rs`).
    pub(crate) fn gate_cache(&self) -> &gatecache::GateCache {
        &self.inner.gate_cache
    }

    /// The section tree as last loaded.
    pub fn sections(&self) -> Arc<SectionTree> {
        match self.inner.sections.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The rankings as last computed.
    pub fn rankings(&self) -> Arc<Rankings> {
        match self.inner.rankings.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The turns for decoding uploaded pictures on this node.
    pub fn uploads(&self) -> &media::UploadGate {
        &self.inner.uploads
    }

    /// The one door for outgoing mail.
    pub fn mailer(&self) -> &mail::Mailer {
        &self.inner.mailer
    }

    /// This node's comment rate limits.
    pub fn comment_guard(&self) -> &comments::Guard {
        &self.inner.comment_guard
    }

    /// This node's search index (`search.rs`).
    pub fn search(&self) -> &search::SearchIndex {
        &self.inner.search
    }

    pub fn views(&self) -> &ViewCounter {
        &self.inner.views
    }

    /// Registers a cache to purge, by surrogate keys, whenever a change on
    /// any node touches what it holds. Purges run before the change returns.
    pub fn on_purge(&self, f: impl Fn(&[Key]) + Send + Sync + 'static) {
        match self.inner.purgers.write() {
            Ok(mut g) => g.push(Arc::new(f)),
            Err(p) => p.into_inner().push(Arc::new(f)),
        }
    }

    fn purge(&self, keys: Vec<Key>) {
        let purgers = match self.inner.purgers.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        for f in purgers {
            f(&keys);
        }
    }

    /// Starts the background jobs: view flushing, change polling, ranking
    /// refresh. They stop when `shutdown` fires.
    pub fn spawn_jobs(
        &self,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        vec![
            // Search (issue 13): catch up or rebuild the index in the background.
            tokio::spawn(search::start(self.clone())),
            tokio::spawn(views::flush_loop(self.clone(), shutdown.clone())),
            tokio::spawn(changes::poll_loop(self.clone(), shutdown.clone())),
            tokio::spawn(rankings::refresh_loop(self.clone(), shutdown.clone())),
            tokio::spawn(meter::prune_loop(self.clone(), shutdown.clone())),
            tokio::spawn(scheduler_loop(self.clone(), shutdown.clone())),
            tokio::spawn(media::backfill_job(self.clone(), shutdown.clone())),
            tokio::spawn(webhooks::delivery_loop(self.clone(), shutdown.clone())),
            tokio::spawn(newsletters::send_loop(self.clone(), shutdown.clone())),
            tokio::spawn(wire::drop_loop(self.clone(), shutdown.clone())),
            tokio::spawn(curation::expiry_loop(self.clone(), shutdown)),
        ]
    }

    /// Writes queued views now (tests; shutdown).
    pub async fn flush_views(&self) -> Result<u64> {
        self.inner.views.flush().await
    }

    /// Reads change events from the database and purges what they name.
    pub async fn apply_changes(&self) -> Result<usize> {
        changes::apply(self).await
    }

    /// Recomputes the rankings; if what a page would show changed, tells the
    /// purgers (`Key::Rankings`: the web layer re-renders the shared page
    /// parts, not the pages).
    pub async fn refresh_rankings(&self) -> Result<bool> {
        let _guard = self.inner.ranking_lock.lock().await;
        let fresh = Rankings::compute(self).await?;
        let changed = {
            let current = self.rankings();
            !current.same_as(&fresh)
        };
        if changed {
            match self.inner.rankings.write() {
                Ok(mut g) => *g = Arc::new(fresh),
                Err(p) => *p.into_inner() = Arc::new(fresh),
            }
            self.purge(vec![Key::Rankings]);
        }
        Ok(changed)
    }

    async fn reload_sections(&self) -> Result<()> {
        let tree = SectionTree::new(self.store().sections().await?);
        match self.inner.sections.write() {
            Ok(mut g) => *g = Arc::new(tree),
            Err(p) => *p.into_inner() = Arc::new(tree),
        }
        Ok(())
    }

    // ----- reading ------------------------------------------------------------

    /// A story readers may see (published), or why not.
    pub async fn published_story(&self, id: i64) -> Result<StoryLookup> {
        match self.store().story(id).await? {
            None => Ok(StoryLookup::Missing),
            Some(s) if s.status == StoryStatus::Published => Ok(StoryLookup::Found(Box::new(s))),
            Some(s) if s.status == StoryStatus::Withdrawn => Ok(StoryLookup::Withdrawn),
            Some(_) => Ok(StoryLookup::Missing),
        }
    }

    pub async fn cards(
        &self,
        listing: Listing<'_>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<StoryCard>> {
        Ok(self.store().cards(listing, limit, offset).await?)
    }

    // ----- changing ------------------------------------------------------------

    /// Withdraws a published story, or reinstates a withdrawn one, through
    /// the newsroom's use cases (state machine, permission check, audit row
    /// and change event in one transaction). Every node purges the pages
    /// that show it. Returns false if there is no such story.
    pub async fn set_story_status(
        &self,
        actor: &Actor,
        id: i64,
        status: StoryStatus,
    ) -> Result<bool> {
        let r = match status {
            StoryStatus::Withdrawn => newsroom::withdraw(self, actor, id).await,
            StoryStatus::Published => newsroom::reinstate(self, actor, id).await,
            other => Err(AppError::Invalid(format!(
                "A story can be withdrawn or reinstated here, not made {}.",
                other.as_str()
            ))),
        };
        match r {
            Ok(()) => Ok(true),
            Err(AppError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Replaces the Editor's Picks with these published stories, in order.
    /// Needs `CurateFront`; audited.
    pub async fn set_editors_picks(&self, actor: &Actor, ids: &[i64]) -> Result<()> {
        if !actor.allows(Action::CurateFront) {
            return Err(AppError::Forbidden(
                "Your role does not allow you to curate Editor's Picks.".into(),
            ));
        }
        let published = self.store().published_ids(ids).await?;
        if let Some(bad) = ids.iter().find(|id| !published.contains(id)) {
            return Err(AppError::Invalid(format!(
                "story {bad} is not a published story: Editor's Picks can only list published stories"
            )));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = ids.iter().find(|id| !seen.insert(**id)) {
            return Err(AppError::Invalid(format!(
                "story {dup} is listed twice: list each story once"
            )));
        }
        let t = now();
        let listed = ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let mut tx = self.store().begin().await?;
        tx.set_editors_picks(ids).await?;
        tx.audit(actor, "picks", None, &format!("stories {listed}"), t)
            .await?;
        // Picks show in the shared page parts: a rankings change.
        tx.change(&keys::join(&[Key::Rankings]), t).await?;
        tx.commit().await?;
        self.apply_changes().await?;
        Ok(())
    }
}

/// What a story id leads to, for a reader.
pub enum StoryLookup {
    Found(Box<Story>),
    Withdrawn,
    Missing,
}

/// Rebuilds derived data: rankings, section tree, and prunes expired views
/// and change events.
pub async fn reindex(store: &Store, config: &PaperConfig) -> Result<String> {
    let t = now();
    let pruned = rankings::prune_views(store, config, t).await?;
    store.prune_changes(t - 7 * 86_400).await?;
    store
        .append_change(&keys::join(&[Key::Rankings, Key::Sections, Key::All]), t)
        .await?;
    let stories = store.count(Listing::All).await?;
    Ok(format!(
        "reindexed: {stories} published stories; pruned {pruned} expired view rows; every node will rebuild its caches within seconds"
    ))
}

/// Publishes scheduled stories on time (checked every second; a restart
/// publishes anything that fell due while the node was down).
async fn scheduler_loop(app: App, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        match newsroom::publish_due(&app).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(published = n, "scheduled stories published"),
            Err(e) => tracing::warn!(error = %e, "publishing scheduled stories failed; will retry"),
        }
    }
}
