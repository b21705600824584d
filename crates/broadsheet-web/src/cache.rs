//! The in-process page cache.
//!
//! A rendered page is stored with its gzip and brotli encodings, its ETag and
//! the surrogate keys naming what it shows. A change event purges exactly the
//! pages whose keys it names; pages showing rankings carry the `rankings` key
//! and are purged when a ranking changes. A page rendered while a purge
//! happened is not stored (it may hold what was just purged).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderValue, StatusCode};
use bytes::Bytes;
use sha2::{Digest, Sha256};

pub struct CachedPage {
    pub status: StatusCode,
    pub identity: Bytes,
    pub gzip: Bytes,
    pub br: Bytes,
    pub etag: HeaderValue,
    pub last_modified: HeaderValue,
    pub modified_secs: i64,
    pub surrogate_keys: HeaderValue,
    pub cache_control: HeaderValue,
}

impl CachedPage {
    pub fn new(
        status: StatusCode,
        html: String,
        keys: &[String],
        cache_control: &'static str,
        now: i64,
    ) -> CachedPage {
        let identity = Bytes::from(html);
        let digest = Sha256::digest(&identity);
        let etag = format!("\"{}\"", hex::encode(&digest[..12]));
        CachedPage {
            status,
            gzip: Bytes::from(gzip(&identity)),
            br: Bytes::from(brotli(&identity)),
            identity,
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
            last_modified: HeaderValue::from_str(&broadsheet_domain::time::http_date(now))
                .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT")),
            modified_secs: now,
            surrogate_keys: HeaderValue::from_str(&keys.join(" "))
                .unwrap_or(HeaderValue::from_static("")),
            cache_control: HeaderValue::from_static(cache_control),
        }
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

pub struct PageCache {
    pages: moka::sync::Cache<String, Arc<CachedPage>>,
    index: Mutex<HashMap<String, HashSet<String>>>,
    epoch: AtomicU64,
}

impl PageCache {
    pub fn new(max_bytes: u64) -> PageCache {
        PageCache {
            pages: moka::sync::Cache::builder()
                .weigher(|k: &String, v: &Arc<CachedPage>| {
                    let n = k.len() + v.identity.len() + v.gzip.len() + v.br.len() + 512;
                    u32::try_from(n).unwrap_or(u32::MAX)
                })
                .max_capacity(max_bytes)
                .build(),
            index: Mutex::new(HashMap::new()),
            epoch: AtomicU64::new(0),
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        self.pages.get(key)
    }

    /// Call before rendering; pass to [`PageCache::insert`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Stores a page unless a purge happened since `epoch`.
    pub fn insert(&self, url: String, keys: &[String], page: Arc<CachedPage>, epoch: u64) {
        let mut index = self.lock();
        if self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        for k in keys {
            index.entry(k.clone()).or_default().insert(url.clone());
        }
        self.pages.insert(url, page);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashSet<String>>> {
        match self.index.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Drops every page showing any of `keys`.
    pub fn purge(&self, keys: &[String]) -> usize {
        let mut index = self.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if keys
            .iter()
            .any(|k| k == broadsheet_app::keys::ALL || k == broadsheet_app::keys::SECTIONS)
        {
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

    pub fn len(&self) -> u64 {
        self.pages.entry_count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
