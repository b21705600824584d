//! The in-process page cache.
//!
//! A rendered page is stored under a [`CacheKey`] (path, page number and
//! variant) with its status, content type, Cache-Control and the surrogate
//! keys ([`Key`]) naming what it shows. A change event purges exactly the
//! pages whose keys it names. The shared parts (rankings rails, the breaking
//! banner, More from) are not in the stored page: it is kept cut at their
//! markers ([`Part`]) and assembled with the current [`Fragments`] when
//! served; the assembly (bytes, ETag, and gzip/brotli made on first demand)
//! is kept until the parts change again. So a ranking change purges nothing
//! here.
//!
//! A page rendered while a purge happened is not stored (it may hold what was
//! just purged): [`PageCache::epoch`] before rendering, [`PageCache::insert`]
//! with it after. Concurrent misses of one key render once
//! ([`PageCache::flight`]).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use broadsheet_app::keys::{self, Key};
use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::fragments::{Fragments, Part, Slot};

/// What a cached response is stored under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// The normalised path (no query string).
    pub path: String,
    /// `?page=N` (1 when absent).
    pub page: i64,
    pub variant: Variant,
}

/// Which rendering of a URL: everything that changes the output and is not
/// in the path must be here (SECURITY.md rule 6). A story page behind the
/// paywall has a full and a cut variant per tier (never one per person);
/// which one a reader gets is the gate's decision (`paywall.rs`); a
/// multi-title installation adds the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The whole page: every page of a free story, or a paid story for a
    /// reader the gate lets read it all.
    Full,
    /// A paid story cut to its preview, with the prompt for an anonymous
    /// reader (sign in, register, subscribe).
    Cut,
    /// The same for a signed-in reader (subscribe).
    CutSignedIn,
}

impl CacheKey {
    pub fn new(path: &str, page: i64) -> CacheKey {
        CacheKey {
            path: path.to_string(),
            page: page.max(1),
            variant: Variant::Full,
        }
    }
}

impl std::fmt::Display for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path)?;
        if self.page > 1 {
            write!(f, "?page={}", self.page)?;
        }
        Ok(())
    }
}

/// A page's bytes as served with one generation of the shared parts.
pub struct Assembled {
    generation: u64,
    pub identity: Bytes,
    gzip: OnceLock<Bytes>,
    br: OnceLock<Bytes>,
    pub etag: HeaderValue,
    pub last_modified: HeaderValue,
    pub modified_secs: i64,
    /// The header block of a hit, by encoding (identity, gzip, brotli),
    /// made on the first hit that needs it (`fast.rs`).
    hit_headers: [OnceLock<HeaderMap>; 6],
}

impl Assembled {
    fn new(identity: Bytes, generation: u64, etag: &str, modified_secs: i64) -> Assembled {
        Assembled {
            generation,
            identity,
            gzip: OnceLock::new(),
            br: OnceLock::new(),
            etag: HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("\"0\"")),
            last_modified: HeaderValue::from_str(&broadsheet_domain::time::http_date(
                modified_secs,
            ))
            .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT")),
            modified_secs,
            hit_headers: Default::default(),
        }
    }

    /// The header block of a hit in encoding `slot` (0 identity, 1 gzip,
    /// 2 brotli; 3 to 5 the same for a gated page's private answer), built
    /// by `build` the first time.
    pub fn hit_headers(&self, slot: usize, build: impl FnOnce() -> HeaderMap) -> &HeaderMap {
        self.hit_headers[slot.min(5)].get_or_init(build)
    }

    /// Gzip bytes, made on first demand (empty if compression failed).
    pub fn gzip(&self) -> &Bytes {
        self.gzip.get_or_init(|| Bytes::from(gzip(&self.identity)))
    }

    /// Brotli bytes, made on first demand (empty if compression failed).
    pub fn br(&self) -> &Bytes {
        self.br.get_or_init(|| Bytes::from(brotli(&self.identity)))
    }
}

pub struct CachedPage {
    pub status: StatusCode,
    pub content_type: HeaderValue,
    pub surrogate_keys: HeaderValue,
    pub cache_control: HeaderValue,
    /// Set on a paid story's pages: never served without the gate's
    /// decision for the reader asking (`paywall.rs`).
    pub gate: Option<broadsheet_app::entitlement::GateInfo>,
    /// When the page stops being right by the clock (unix seconds): the
    /// cache answers a miss from then on (see [`PageCache::get`]).
    fresh_until: Option<i64>,
    parts: Vec<Part>,
    has_slots: bool,
    base_etag: String,
    size: usize,
    modified_secs: i64,
    assembled: RwLock<Arc<Assembled>>,
}

static HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");

impl CachedPage {
    /// An HTML page; `keys` are what it shows. Its `Surrogate-Key` header
    /// also names the shared parts it shows (`rankings`, `front`), since a
    /// CDN caches it with them spliced in (unless they are ESI includes).
    pub fn new(
        status: StatusCode,
        html: String,
        keys: &[Key],
        cache_control: &'static str,
        now: i64,
        fragments: &Fragments,
    ) -> CachedPage {
        CachedPage::with_type(
            status,
            HTML.clone(),
            html,
            keys,
            cache_control,
            now,
            fragments,
        )
    }

    /// A page of any content type.
    pub fn with_type(
        status: StatusCode,
        content_type: HeaderValue,
        body: String,
        keys: &[Key],
        cache_control: &'static str,
        now: i64,
        fragments: &Fragments,
    ) -> CachedPage {
        let base_etag = hex::encode(&Sha256::digest(body.as_bytes())[..12]);
        let size = body.len();
        let parts = crate::fragments::cut_at_markers(body);
        let mut header_keys: Vec<Key> = keys.to_vec();
        let mut has_slots = false;
        for p in &parts {
            if let Part::Slot(s) = p {
                has_slots = true;
                if !fragments.esi() {
                    header_keys.extend_from_slice(s.keys());
                }
            }
        }
        header_keys.sort();
        header_keys.dedup();
        let page = CachedPage {
            status,
            content_type,
            surrogate_keys: HeaderValue::from_str(&keys::join(&header_keys))
                .unwrap_or(HeaderValue::from_static("")),
            cache_control: HeaderValue::from_static(cache_control),
            gate: None,
            fresh_until: None,
            parts,
            has_slots,
            base_etag,
            size,
            modified_secs: now,
            assembled: RwLock::new(Arc::new(Assembled::new(
                Bytes::new(),
                u64::MAX,
                "\"0\"",
                now,
            ))),
        };
        let first = page.assemble(fragments);
        match page.assembled.write() {
            Ok(mut g) => *g = first,
            Err(p) => *p.into_inner() = first,
        }
        page
    }

    /// Marks the page as a paid story's (see [`CachedPage::gate`]).
    pub fn gated(mut self, gate: Option<broadsheet_app::entitlement::GateInfo>) -> CachedPage {
        self.gate = gate;
        self
    }

    /// Bounds how long the page may be kept (see [`CachedPage::fresh_until`]).
    pub fn fresh_until(mut self, until: Option<i64>) -> CachedPage {
        self.fresh_until = until;
        self
    }

    fn assemble(&self, fragments: &Fragments) -> Arc<Assembled> {
        if !self.has_slots {
            let identity = match self.parts.first() {
                Some(Part::Text(b)) => b.clone(),
                _ => Bytes::new(),
            };
            let etag = format!("\"{}\"", self.base_etag);
            return Arc::new(Assembled::new(
                identity,
                u64::MAX,
                &etag,
                self.modified_secs,
            ));
        }
        let mut out = Vec::with_capacity(self.size + 8192);
        for p in &self.parts {
            match p {
                Part::Text(b) => out.extend_from_slice(b),
                Part::Slot(s) => fragments.write(*s, &mut out),
            }
        }
        let etag = format!("\"{}-{:x}\"", self.base_etag, fragments.generation);
        Arc::new(Assembled::new(
            Bytes::from(out),
            fragments.generation,
            &etag,
            self.modified_secs.max(fragments.modified_secs),
        ))
    }

    /// The page's bytes with these shared parts (assembled again only when
    /// they changed since the last request).
    pub fn assembled(&self, fragments: &Fragments) -> Arc<Assembled> {
        let current = match self.assembled.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        if !self.has_slots || current.generation == fragments.generation {
            return current;
        }
        let fresh = self.assemble(fragments);
        let mut g = match self.assembled.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        // Another request may have assembled a newer generation meanwhile.
        if g.generation == u64::MAX || g.generation < fresh.generation {
            *g = fresh.clone();
        }
        fresh
    }

    /// True when the page holds shared parts (spliced at serve time).
    pub fn has_slots(&self) -> bool {
        self.has_slots
    }

    /// The slots the page holds, in order.
    pub fn slots(&self) -> Vec<Slot> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Slot(s) => Some(*s),
                Part::Text(_) => None,
            })
            .collect()
    }

    fn weight(&self) -> usize {
        // The stored text plus one assembly with both encodings (about a
        // quarter of it each): what the page costs in memory at most.
        self.size + self.size / 2 + 8192
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 4),
        flate2::Compression::new(6),
    );
    if enc.write_all(data).is_err() {
        return Vec::new();
    }
    enc.finish().unwrap_or_default()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 4);
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 6, 22);
        if w.write_all(data).is_err() {
            return Vec::new();
        }
    }
    out
}

/// One render in progress, shared by every request that missed the same key.
pub type Flight = Arc<tokio::sync::OnceCell<Option<Arc<CachedPage>>>>;

pub struct PageCache {
    pages: moka::sync::Cache<CacheKey, Arc<CachedPage>>,
    index: Mutex<HashMap<Key, HashSet<CacheKey>>>,
    epoch: AtomicU64,
    flights: Mutex<HashMap<CacheKey, Flight>>,
}

impl PageCache {
    pub fn new(max_bytes: u64) -> PageCache {
        PageCache {
            pages: moka::sync::Cache::builder()
                .weigher(|k: &CacheKey, v: &Arc<CachedPage>| {
                    let n = k.path.len() + v.weight() + 512;
                    u32::try_from(n).unwrap_or(u32::MAX)
                })
                .max_capacity(max_bytes)
                .build(),
            index: Mutex::new(HashMap::new()),
            epoch: AtomicU64::new(0),
            flights: Mutex::new(HashMap::new()),
        }
    }

    /// The page under `key`, unless it is not there or no longer right by
    /// the clock (then it is dropped, and the caller renders it again).
    pub fn get(&self, key: &CacheKey) -> Option<Arc<CachedPage>> {
        let page = self.pages.get(key)?;
        if let Some(until) = page.fresh_until
            && broadsheet_app::now() >= until
        {
            self.pages.invalidate(key);
            return None;
        }
        Some(page)
    }

    /// Call before rendering; pass to [`PageCache::insert`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Stores a page unless a purge happened since `epoch`. Returns whether it was stored.
    pub fn insert(&self, key: CacheKey, keys: &[Key], page: Arc<CachedPage>, epoch: u64) -> bool {
        let mut index = self.lock();
        if self.epoch.load(Ordering::Acquire) != epoch {
            return false;
        }
        for k in keys {
            index.entry(*k).or_default().insert(key.clone());
        }
        self.pages.insert(key, page);
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, HashSet<CacheKey>>> {
        match self.index.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Drops every page showing any of `keys`; `sections` and `all` drop
    /// everything. Returns how many pages were dropped.
    pub fn purge(&self, keys: &[Key]) -> usize {
        let mut index = self.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if keys.iter().any(|k| k.is_everything()) {
            self.pages.run_pending_tasks();
            let n = self.pages.entry_count() as usize;
            self.pages.invalidate_all();
            index.clear();
            return n;
        }
        let mut n = 0;
        for k in keys {
            if let Some(urls) = index.remove(k) {
                for u in urls {
                    self.pages.invalidate(&u);
                    n += 1;
                }
            }
        }
        n
    }

    /// The render in progress for `key`, joined or started. Call
    /// [`PageCache::land`] when it is done.
    pub fn flight(&self, key: &CacheKey) -> Flight {
        let mut g = match self.flights.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.entry(key.clone()).or_default().clone()
    }

    /// Forgets a finished render (if it is still the one registered).
    pub fn land(&self, key: &CacheKey, flight: &Flight) {
        let mut g = match self.flights.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if g.get(key).is_some_and(|f| Arc::ptr_eq(f, flight)) {
            g.remove(key);
        }
    }

    pub fn len(&self) -> u64 {
        self.pages.run_pending_tasks();
        self.pages.entry_count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the cache holds by its own weighing.
    pub fn weighted_bytes(&self) -> u64 {
        self.pages.run_pending_tasks();
        self.pages.weighted_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(html: &str, frags: &Fragments) -> Arc<CachedPage> {
        Arc::new(CachedPage::new(
            StatusCode::OK,
            html.to_string(),
            &[],
            "public",
            1_000,
            frags,
        ))
    }

    #[test]
    fn purge_drops_only_pages_with_the_key_and_everything_drops_all() {
        let f = Fragments::empty();
        let c = PageCache::new(1 << 20);
        let (a, b, h) = (
            CacheKey::new("/a", 1),
            CacheKey::new("/b", 1),
            CacheKey::new("/", 1),
        );
        let e = c.epoch();
        assert!(c.insert(
            a.clone(),
            &[Key::Story(1), Key::Section(2)],
            page("a", &f),
            e
        ));
        assert!(c.insert(b.clone(), &[Key::Story(2)], page("b", &f), e));
        assert!(c.insert(h.clone(), &[Key::Front, Key::Story(1)], page("h", &f), e));
        assert_eq!(c.purge(&[Key::Rankings]), 0, "no page carries rankings");
        assert_eq!(c.purge(&[Key::Story(1)]), 2);
        assert!(c.get(&a).is_none() && c.get(&h).is_none());
        assert!(c.get(&b).is_some());
        let e = c.epoch();
        assert!(c.insert(a.clone(), &[Key::Story(1)], page("a", &f), e));
        assert_eq!(c.purge(&[Key::Sections]), 2);
        assert!(c.get(&a).is_none() && c.get(&b).is_none());
    }

    #[test]
    fn a_page_rendered_while_a_purge_ran_is_not_stored() {
        let f = Fragments::empty();
        let c = PageCache::new(1 << 20);
        let k = CacheKey::new("/news/x-1", 1);
        let before = c.epoch();
        // ... rendering; meanwhile a change purges story 1 ...
        c.purge(&[Key::Story(1)]);
        assert!(!c.insert(k.clone(), &[Key::Story(1)], page("old", &f), before));
        assert!(c.get(&k).is_none());
        let now = c.epoch();
        assert!(c.insert(k.clone(), &[Key::Story(1)], page("new", &f), now));
        assert!(c.get(&k).is_some());
    }

    #[test]
    fn variants_and_pages_are_distinct_keys() {
        let cut = CacheKey {
            variant: Variant::Cut,
            ..CacheKey::new("/news/a-1", 1)
        };
        let signed = CacheKey {
            variant: Variant::CutSignedIn,
            ..cut.clone()
        };
        assert_ne!(CacheKey::new("/news/a-1", 1), cut);
        assert_ne!(cut, signed);
        assert_ne!(CacheKey::new("/news", 1), CacheKey::new("/news", 2));
        assert_eq!(CacheKey::new("/news", 0), CacheKey::new("/news", 1));
        assert_eq!(CacheKey::new("/news", 3).to_string(), "/news?page=3");
    }

    #[test]
    fn content_type_is_stored_per_entry() {
        let f = Fragments::empty();
        let p = CachedPage::with_type(
            StatusCode::OK,
            HeaderValue::from_static("application/rss+xml"),
            "<rss/>".into(),
            &[],
            "public",
            0,
            &f,
        );
        assert_eq!(p.content_type, "application/rss+xml");
        assert_eq!(&p.assembled(&f).identity[..], b"<rss/>");
    }
}
