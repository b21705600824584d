//! Search (issue 13): an embedded tantivy index of every story that is not
//! withdrawn, derived from the database and never the only copy of
//! anything. Readers search published stories only ([`search`]: a
//! published story's words go to fields of their own, the only ones a
//! reader's query names, and results are read back from the database's
//! published cards); the newsroom searches those and the drafts' fields, of
//! the stories the permission table lets each member of staff see
//! ([`desk_search`]).
//!
//! - **What is indexed**: headline, standfirst, the body's *free part* and
//!   *paid part* as two fields, byline names, tags (English stemming on all
//!   of them), the section and its ancestors, author slugs, publication time
//!   (a fast field, for date order and ranges) and access. The two body
//!   parts come from [`entitlement::gate`] (the gate's own split, read
//!   "full" and taken apart), so the index cannot disagree with the story
//!   page about where the free part ends.
//! - **Who finds what**: a reader the gate would not give the full text of
//!   every paid story (anyone but a subscriber, [`Entitled::Free`]) is
//!   searched over the free fields only, so words only in a paid part find
//!   nothing (results, snippets, counts). Snippets come only from the fields
//!   that reader was searched over.
//! - **Kept in step**: every change event naming `story-<id>` (drafts'
//!   saves and moves write one too, for this) re-reads that
//!   story from the database on each node (`changes.rs` calls
//!   [`follow`]) and re-indexes or deletes it, so every node follows within
//!   the change poll (500 ms); an event naming everything (sections,
//!   `broadsheet reindex`) rebuilds in the background. On start a missing
//!   index, or one of another [`SCHEMA_VERSION`], is rebuilt in the
//!   background while the site serves (search says it is catching up); an
//!   index on disk that is current catches up on the change events since it
//!   was last written (or is rebuilt when those are pruned).
//! - **Where**: `PaperConfig::search_dir` (the binary uses
//!   `<data-dir>/search-index`); none: in memory (tests, one-off commands).

use std::collections::{BTreeSet, HashSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use broadsheet_domain::{Story, StoryCard, StoryStatus, markup};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TantivyDocument,
    TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, Term};

use crate::entitlement::{self, Decision};
use crate::keys::Key;
use crate::{App, AppError, Result};

/// Bumped whenever the fields or how they are filled change: an index of
/// another version is rebuilt at start.
pub const SCHEMA_VERSION: u32 = 3;
/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Words of a query that are used (the rest are ignored, and the reader told).
pub const MAX_WORDS: usize = 12;
/// Results per page.
pub const PER_PAGE: usize = 10;
/// Highest page number served (deep pages cost more and nobody reads them).
pub const MAX_PAGE: usize = 50;
/// Words this long or longer also match with one letter wrong.
pub const FUZZY_MIN_CHARS: usize = 5;
/// Threads one search may use at most (one per core up to this).
const SEARCH_THREADS: usize = 4;
/// Stories read from the database per batch when rebuilding.
const BATCH: i64 = 500;
/// Memory the index writer may use before it flushes a segment.
const WRITER_BYTES: usize = 30_000_000;
/// Change events older than this may have been pruned (`reindex` prunes a
/// week): an index last written before it is rebuilt rather than caught up.
const CATCH_UP_HORIZON_SECS: i64 = 6 * 86_400;

/// The text fields of one kind of story, searched by words.
#[derive(Clone, Copy)]
struct Text {
    headline: Field,
    standfirst: Field,
    /// The body's free part (all of it for a free story).
    free: Field,
    /// The body's paid part (empty for a free story).
    paid: Field,
    byline: Field,
    tags: Field,
}

/// The fields, by role.
#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    /// The words of published stories: the only ones readers search, so a
    /// reader's query needs no status clause and a one-word query stays a
    /// plain union of terms (tantivy then skips blocks that cannot reach
    /// the top results: block-max WAND).
    live: Text,
    /// The words of stories not published (drafts, scheduled, in review):
    /// searched by the newsroom only.
    draft: Text,
    /// Section ids, the story's and those above it.
    section: Field,
    author: Field,
    published: Field,
    access: Field,
    /// The story's status (`published` for readers; the newsroom sees drafts).
    status: Field,
    /// Who may see it unpublished as their own: its creator and bylines.
    owner: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("en_stem")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let mut texts = |prefix: &str| Text {
        headline: b.add_text_field(&format!("{prefix}headline"), text.clone()),
        standfirst: b.add_text_field(&format!("{prefix}standfirst"), text.clone()),
        free: b.add_text_field(&format!("{prefix}free"), text.clone()),
        paid: b.add_text_field(&format!("{prefix}paid"), text.clone()),
        byline: b.add_text_field(&format!("{prefix}byline"), text.clone()),
        tags: b.add_text_field(&format!("{prefix}tags"), text.clone()),
    };
    let live = texts("");
    let draft = texts("draft_");
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | STORED | FAST),
        live,
        draft,
        section: b.add_i64_field("section", INDEXED),
        author: b.add_text_field("author", STRING),
        published: b.add_i64_field("published", INDEXED | STORED | FAST),
        access: b.add_text_field("access", STRING | STORED),
        status: b.add_text_field("status", STRING | STORED),
        owner: b.add_i64_field("owner", INDEXED),
    };
    (b.build(), fields)
}

/// What the commit payload records: the schema, the newest change event
/// applied and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    schema: u32,
    change: i64,
    at: i64,
}

impl Stamp {
    fn encode(&self) -> String {
        format!(
            "broadsheet-search {} {} {}",
            self.schema, self.change, self.at
        )
    }

    fn decode(s: &str) -> Option<Stamp> {
        let mut parts = s.split(' ');
        if parts.next()? != "broadsheet-search" {
            return None;
        }
        Some(Stamp {
            schema: parts.next()?.parse().ok()?,
            change: parts.next()?.parse().ok()?,
            at: parts.next()?.parse().ok()?,
        })
    }
}

/// What [`SearchIndex::open`] found on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnDisk {
    /// A current index: catch up from this stamp.
    Current(Stamp),
    /// Nothing usable: build.
    Empty,
}

struct Rebuild {
    running: bool,
    /// Stories named while a rebuild ran: done again after it.
    pending: HashSet<i64>,
}

/// One node's search index.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Arc<Mutex<IndexWriter>>,
    fields: Fields,
    /// The index holds every published story as of some moment (built once).
    ready: AtomicBool,
    found: OnDisk,
    rebuild: Mutex<Rebuild>,
}

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("search index: {what}: {e}"))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl SearchIndex {
    /// Opens the index at `dir` (made if missing; emptied and made again if
    /// of another schema version), or in memory when `dir` is `None`.
    pub fn open(dir: Option<&Path>) -> Result<SearchIndex> {
        match SearchIndex::open_at(dir) {
            Err(e) if dir.is_some() => {
                // Another process holds the directory (a second node on the
                // same data directory): keep this node's index in memory.
                tracing::warn!(error = %e, "search index directory unusable; this node keeps its index in memory");
                SearchIndex::open_at(None)
            }
            r => r,
        }
    }

    /// Opens the index at `dir` or in memory, with no fallback.
    pub fn open_at(dir: Option<&Path>) -> Result<SearchIndex> {
        let (schema, fields) = schema();
        let (mut index, found) = match dir {
            None => (Index::create_in_ram(schema), OnDisk::Empty),
            Some(dir) => open_dir(dir, schema)?,
        };
        // A search reads its segments on every core (half the wait on two).
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if cores > 1 {
            index
                .set_multithread_executor(cores.min(SEARCH_THREADS))
                .map_err(|e| internal("starting the search threads", e))?;
        }
        let writer: IndexWriter = index
            .writer_with_num_threads(1, WRITER_BYTES)
            .map_err(|e| {
                internal(
                    "opening the writer (is another process using the index directory?)",
                    e,
                )
            })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| internal("opening the reader", e))?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Arc::new(Mutex::new(writer)),
            fields,
            ready: AtomicBool::new(false),
            found,
            rebuild: Mutex::new(Rebuild {
                running: false,
                pending: HashSet::new(),
            }),
        })
    }

    /// The index has been built (searches answer from every story).
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Documents in the index now.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The index holds no story.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn open_dir(dir: &Path, schema: Schema) -> Result<(Index, OnDisk)> {
    if dir.join("meta.json").exists() {
        if let Ok(index) = Index::open_in_dir(dir) {
            let stamp = index
                .load_metas()
                .ok()
                .and_then(|m| m.payload)
                .and_then(|p| Stamp::decode(&p));
            if let Some(stamp) = stamp
                && stamp.schema == SCHEMA_VERSION
                && index.schema() == schema
            {
                return Ok((index, OnDisk::Current(stamp)));
            }
        }
        tracing::info!(dir = %dir.display(), "search index of another version: rebuilding it");
        std::fs::remove_dir_all(dir).map_err(|e| internal("removing an old index", e))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| internal("making the index directory", e))?;
    let index = Index::create_in_dir(dir, schema).map_err(|e| internal("creating the index", e))?;
    Ok((index, OnDisk::Empty))
}

/// The default place of the index under a data directory.
pub fn default_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("search-index")
}

// ----- indexing ------------------------------------------------------------------

/// A story's body split as the gate splits it: (free part, paid part), as
/// plain text. A free story is all free.
fn body_parts(story: &Story, preview_paragraphs: usize) -> (String, String) {
    let gated = entitlement::gate(story, Decision::Full, preview_paragraphs);
    let text = |m: &str| markup::plain_text(m, usize::MAX);
    let free = text(&gated.markup);
    let paid = gated.rest.as_deref().map(text).unwrap_or_default();
    (free, paid)
}

fn document(f: &Fields, story: &Story, sections: &[i64], preview: usize) -> TantivyDocument {
    let (free, paid) = body_parts(story, preview);
    let t = if story.status == StoryStatus::Published {
        f.live
    } else {
        f.draft
    };
    let mut d = TantivyDocument::default();
    d.add_i64(f.id, story.id);
    d.add_text(t.headline, &story.headline);
    d.add_text(t.standfirst, &story.standfirst);
    d.add_text(t.free, &free);
    d.add_text(t.paid, &paid);
    for a in &story.authors {
        d.add_text(t.byline, &a.display_name);
        d.add_text(f.author, &a.slug);
    }
    if let Some(b) = &story.byline_text {
        d.add_text(t.byline, b);
    }
    for tag in &story.tags {
        d.add_text(t.tags, &tag.name);
    }
    for s in sections {
        d.add_i64(f.section, *s);
    }
    d.add_i64(f.published, story.published_at.unwrap_or(story.modified_at));
    d.add_text(f.access, story.access.as_str());
    d.add_text(f.status, story.status.as_str());
    for o in story
        .created_by
        .iter()
        .chain(story.authors.iter().map(|a| &a.id))
    {
        d.add_i64(f.owner, *o);
    }
    d
}

/// Stories as documents, with their sections up the tree.
fn documents(app: &App, stories: &[Story]) -> Vec<(i64, TantivyDocument)> {
    let tree = app.sections();
    let preview = app.config().preview_paragraphs;
    let f = app.search().fields;
    stories
        .iter()
        .map(|s| {
            let sections: Vec<i64> = tree.ancestry(s.section_id).iter().map(|x| x.id).collect();
            (s.id, document(&f, s, &sections, preview))
        })
        .collect()
}

async fn blocking<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| internal(what, e))?
}

fn commit(writer: &mut IndexWriter, change: i64) -> Result<()> {
    let mut prepared = writer
        .prepare_commit()
        .map_err(|e| internal("preparing a commit", e))?;
    prepared.set_payload(
        &Stamp {
            schema: SCHEMA_VERSION,
            change,
            at: crate::now(),
        }
        .encode(),
    );
    prepared.commit().map_err(|e| internal("committing", e))?;
    Ok(())
}

/// Re-reads `ids` from the database and puts them in the index as they are
/// now: published ones (re)indexed, the others removed.
async fn update(app: &App, ids: Vec<i64>) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let stories = app.store().search_stories(&ids).await?;
    let docs = documents(app, &stories);
    let idx = app.search();
    let writer = idx.writer.clone();
    let f = idx.fields;
    let change = app.inner.last_change.load(Ordering::Acquire);
    blocking("updating", move || {
        let mut w = lock(&writer);
        for id in &ids {
            w.delete_term(Term::from_field_i64(f.id, *id));
        }
        for (_, d) in docs {
            w.add_document(d).map_err(|e| internal("adding", e))?;
        }
        commit(&mut w, change)
    })
    .await?;
    idx.reader
        .reload()
        .map_err(|e| internal("reloading the reader", e))
}

/// Follows change events (called by `changes.rs` for every batch this node
/// applies): each story named is re-read and re-indexed or removed; a key
/// naming everything rebuilds in the background. Failures are logged (the
/// next rebuild repairs them); they never stop the purge.
pub(crate) async fn follow(app: &App, keys: &[Key]) {
    if keys.iter().any(|k| k.is_everything()) {
        start_rebuild(app);
        return;
    }
    let ids: Vec<i64> = keys
        .iter()
        .filter_map(|k| match k {
            Key::Story(id) => Some(*id),
            _ => None,
        })
        .collect();
    if ids.is_empty() {
        return;
    }
    {
        let mut r = lock(&app.search().rebuild);
        if r.running {
            r.pending.extend(ids);
            return;
        }
    }
    if let Err(e) = update(app, ids).await {
        tracing::warn!(error = %e, "updating the search index failed; `broadsheet reindex` rebuilds it");
    }
}

/// Rebuilds the index from the database now; answers how many stories it
/// holds and how long it took. Stories changed meanwhile are done again
/// after it. If a rebuild is already running, waits for none and says so.
pub async fn rebuild(app: &App) -> Result<(u64, Duration)> {
    {
        let mut r = lock(&app.search().rebuild);
        if r.running {
            return Err(AppError::Busy(
                "The search index is being rebuilt already: try again when it is done.".into(),
            ));
        }
        r.running = true;
    }
    let out = rebuild_inner(app).await;
    let pending: Vec<i64> = {
        let mut r = lock(&app.search().rebuild);
        r.running = false;
        r.pending.drain().collect()
    };
    if out.is_ok() {
        app.search().ready.store(true, Ordering::Release);
    }
    if !pending.is_empty()
        && let Err(e) = update(app, pending).await
    {
        tracing::warn!(error = %e, "updating the search index after a rebuild failed");
    }
    out
}

async fn rebuild_inner(app: &App) -> Result<(u64, Duration)> {
    let started = Instant::now();
    let idx = app.search();
    // Events after this id are followed (or queued) while we read.
    let change = app.store().last_change_id().await?;
    let writer = idx.writer.clone();
    blocking("emptying", move || {
        lock(&writer)
            .delete_all_documents()
            .map_err(|e| internal("emptying", e))
            .map(|_| ())
    })
    .await?;
    let mut after = 0;
    let mut n: u64 = 0;
    loop {
        let stories = app.store().search_stories_after(after, BATCH).await?;
        let Some(last) = stories.last() else { break };
        after = last.id;
        n += stories.len() as u64;
        let docs = documents(app, &stories);
        let writer = idx.writer.clone();
        blocking("adding", move || {
            let w = lock(&writer);
            for (_, d) in docs {
                w.add_document(d).map_err(|e| internal("adding", e))?;
            }
            Ok(())
        })
        .await?;
    }
    let writer = idx.writer.clone();
    blocking("committing", move || commit(&mut lock(&writer), change)).await?;
    idx.reader
        .reload()
        .map_err(|e| internal("reloading the reader", e))?;
    Ok((n, started.elapsed()))
}

fn start_rebuild(app: &App) {
    let app = app.clone();
    tokio::spawn(async move {
        match rebuild(&app).await {
            Ok((n, took)) => {
                tracing::info!(
                    stories = n,
                    ms = took.as_millis() as u64,
                    "search index rebuilt"
                )
            }
            Err(AppError::Busy(_)) => {}
            Err(e) => tracing::warn!(error = %e, "rebuilding the search index failed"),
        }
    });
}

/// At start (a job of `spawn_jobs`): an index found current on disk catches
/// up on the change events since it was written; anything else is rebuilt,
/// in the background, while the site serves.
pub(crate) async fn start(app: App) {
    let idx = app.search();
    let catch_up = match idx.found {
        OnDisk::Current(stamp) if stamp.at > crate::now() - CATCH_UP_HORIZON_SECS => Some(stamp),
        _ => None,
    };
    if let Some(stamp) = catch_up {
        match app.store().changes_since(stamp.change - 64).await {
            Ok(rows) => {
                // Rows at or before the stamp are re-read only for the
                // stories they name (a PostgreSQL commit can land out of id
                // order); a rebuild they asked for is already in the index.
                let keys: Vec<Key> = rows
                    .iter()
                    .flat_map(|(id, ks)| {
                        crate::keys::parse_list(ks)
                            .into_iter()
                            .filter(move |k| *id > stamp.change || !k.is_everything())
                    })
                    .collect();
                idx.ready.store(true, Ordering::Release);
                follow(&app, &keys).await;
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading change events for search failed; rebuilding")
            }
        }
    }
    start_rebuild(&app);
}

// ----- searching ------------------------------------------------------------------

/// How much of paid stories a reader may search: the gate's answer for
/// every paid story at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entitled {
    /// Free fields only (anyone not a subscriber).
    Free,
    /// Free and paid fields (a subscriber).
    All,
}

impl Entitled {
    /// From the reader the gate knows (`entitlement::Reader`): only a
    /// subscriber reads every paid story in full. The meter is not counted
    /// (a search opens no story).
    pub fn of(reader: &entitlement::Reader) -> Entitled {
        if reader.subscriber {
            Entitled::All
        } else {
            Entitled::Free
        }
    }
}

/// Whose search, and so which stories it may find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// A reader: published stories only, over the fields `Entitled` allows.
    Readers(Entitled),
    /// The newsroom: every field, of the stories (not withdrawn) the
    /// permission table lets this member of staff see (`can_view_story`):
    /// everyone's (`any`), their own (`own`), published ones (`published`).
    Desk {
        any: bool,
        own: Option<i64>,
        published: bool,
    },
}

impl Reach {
    fn entitled(self) -> Entitled {
        match self {
            Reach::Readers(e) => e,
            Reach::Desk { .. } => Entitled::All,
        }
    }
}

/// Order of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
}

/// A search as asked.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    pub q: String,
    /// A section id: stories in it or any section below it.
    pub section: Option<i64>,
    /// An author's slug.
    pub author: Option<String>,
    /// Published at or after (unix seconds).
    pub from: Option<i64>,
    /// Published before (unix seconds).
    pub to: Option<i64>,
    pub sort: Sort,
    /// 1-based.
    pub page: usize,
}

/// One result: the story's id and its highlighted snippet (HTML: the text
/// escaped, matches in `<b>`).
#[derive(Debug, Clone)]
pub struct Hit {
    pub id: i64,
    pub snippet_html: String,
    pub published_at: i64,
    /// The story's card as the database has it now (headline, standfirst,
    /// section); filled by [`search`], which drops hits no longer published.
    pub card: Option<StoryCard>,
}

/// What a search found.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub hits: Vec<Hit>,
    /// Matches in all (over every page).
    pub total: usize,
    /// The index is still being built: results may be missing.
    pub catching_up: bool,
    /// Words beyond [`MAX_WORDS`] were ignored.
    pub words_dropped: bool,
}

/// Words and quoted phrases of a query.
fn parse(q: &str) -> (Vec<String>, Vec<String>) {
    let mut words = Vec::new();
    let mut phrases = Vec::new();
    for (i, part) in q.split('"').enumerate() {
        if i % 2 == 1 {
            if !part.trim().is_empty() {
                phrases.push(part.trim().to_string());
            }
        } else {
            words.extend(part.split_whitespace().map(str::to_string));
        }
    }
    (words, phrases)
}

/// Checks a query: what to tell the reader when it cannot be run.
pub fn check(ask: &Ask) -> std::result::Result<(), String> {
    let q = ask.q.trim();
    if q.is_empty() {
        return Err("Type a word or two to search for.".into());
    }
    if !q.chars().any(char::is_alphanumeric) {
        // No word for the index to look up.
        return Err("Type a word or two to search for: punctuation alone finds nothing.".into());
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(format!(
            "That search is too long: use at most {MAX_QUERY_CHARS} characters."
        ));
    }
    if ask.page == 0 || ask.page > MAX_PAGE {
        return Err(format!(
            "Pages of results go from 1 to {MAX_PAGE}: narrow the search to see more."
        ));
    }
    Ok(())
}

impl SearchIndex {
    fn tokens(&self, text: &str) -> Vec<String> {
        let Ok(mut analyzer) = self.index.tokenizer_for_field(self.fields.live.headline) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    }

    /// The sets of text fields `reach` searches: readers published
    /// stories' words, the newsroom every story's.
    fn texts_for(&self, reach: Reach) -> Vec<Text> {
        match reach {
            Reach::Readers(_) => vec![self.fields.live],
            Reach::Desk { .. } => vec![self.fields.live, self.fields.draft],
        }
    }

    /// The fields searched for `reach`, with their boosts (a headline
    /// match counts most); the paid part only when entitled.
    fn fields_for(&self, reach: Reach) -> Vec<(Field, f32)> {
        let mut v = Vec::new();
        for t in self.texts_for(reach) {
            v.extend([
                (t.headline, 4.0),
                (t.standfirst, 2.0),
                (t.tags, 2.0),
                (t.byline, 1.5),
                (t.free, 1.0),
            ]);
            if reach.entitled() == Entitled::All {
                v.push((t.paid, 1.0));
            }
        }
        v
    }

    /// The query for `ask`; whether words were dropped; whether it is a
    /// plain union of terms (one word, no filter: tantivy can then find the
    /// top results without scoring every match, and counting is cheap
    /// apart).
    fn query(
        &self,
        searcher: &tantivy::Searcher,
        ask: &Ask,
        reach: Reach,
    ) -> (Box<dyn Query>, bool, bool) {
        let fields = self.fields_for(reach);
        // Each clause here is required; `true` when it is a union of terms.
        let mut must: Vec<(Box<dyn Query>, bool)> = Vec::new();
        let (mut words, phrases) = parse(ask.q.trim());
        let dropped = words.len() + phrases.len() > MAX_WORDS;
        words.truncate(MAX_WORDS.saturating_sub(phrases.len().min(MAX_WORDS)));
        for w in &words {
            for token in self.tokens(w) {
                let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                // A word the searched fields hold is taken as written; only
                // one they do not hold is looked for with a letter wrong
                // (a fuzzy match of a common word would visit every story
                // holding any word one letter from it).
                let known = fields.iter().any(|(field, _)| {
                    searcher
                        .doc_freq(&Term::from_field_text(*field, &token))
                        .is_ok_and(|n| n > 0)
                });
                for (field, boost) in &fields {
                    let term = Term::from_field_text(*field, &token);
                    any.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(
                            Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                            *boost,
                        )),
                    ));
                    if !known && token.chars().count() >= FUZZY_MIN_CHARS {
                        // A typo: one letter wrong, weighed well below a match.
                        any.push((
                            Occur::Should,
                            Box::new(BoostQuery::new(
                                Box::new(FuzzyTermQuery::new(term, 1, true)),
                                boost * 0.2,
                            )),
                        ));
                    }
                }
                must.push((Box::new(BooleanQuery::new(any)), known));
            }
        }
        for p in phrases.iter().take(MAX_WORDS) {
            let tokens = self.tokens(p);
            let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (field, boost) in &fields {
                let q: Box<dyn Query> = if tokens.len() == 1 {
                    Box::new(TermQuery::new(
                        Term::from_field_text(*field, &tokens[0]),
                        IndexRecordOption::WithFreqs,
                    ))
                } else if tokens.len() > 1 {
                    Box::new(PhraseQuery::new(
                        tokens
                            .iter()
                            .map(|t| Term::from_field_text(*field, t))
                            .collect(),
                    ))
                } else {
                    continue;
                };
                any.push((Occur::Should, Box::new(BoostQuery::new(q, *boost))));
            }
            if !any.is_empty() {
                must.push((Box::new(BooleanQuery::new(any)), tokens.len() == 1));
            }
        }
        let f = &self.fields;
        let status_is = |st: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(f.status, st),
                IndexRecordOption::Basic,
            ))
        };
        match reach {
            // Readers' fields hold published stories only.
            Reach::Readers(_) | Reach::Desk { any: true, .. } => {}
            Reach::Desk {
                any: false,
                own,
                published,
            } => {
                let mut may: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                if let Some(me) = own {
                    may.push((
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_i64(f.owner, me),
                            IndexRecordOption::Basic,
                        )),
                    ));
                }
                if published {
                    may.push((Occur::Should, status_is("published")));
                }
                must.push((Box::new(BooleanQuery::new(may)), false));
            }
        }
        if let Some(s) = ask.section {
            must.push((
                Box::new(TermQuery::new(
                    Term::from_field_i64(f.section, s),
                    IndexRecordOption::Basic,
                )),
                false,
            ));
        }
        if let Some(a) = &ask.author {
            must.push((
                Box::new(TermQuery::new(
                    Term::from_field_text(f.author, a),
                    IndexRecordOption::Basic,
                )),
                false,
            ));
        }
        if ask.from.is_some() || ask.to.is_some() {
            let lo = ask.from.map_or(Bound::Unbounded, |t| {
                Bound::Included(Term::from_field_i64(f.published, t))
            });
            let hi = ask.to.map_or(Bound::Unbounded, |t| {
                Bound::Excluded(Term::from_field_i64(f.published, t))
            });
            must.push((Box::new(tantivy::query::RangeQuery::new(lo, hi)), false));
        }
        if must.len() == 1 {
            // One clause is the query itself (so tantivy sees a plain
            // union of terms when it is one).
            if let Some((q, terms)) = must.pop() {
                return (q, dropped, terms);
            }
        }
        let clauses = must.into_iter().map(|(q, _)| (Occur::Must, q)).collect();
        (Box::new(BooleanQuery::new(clauses)), dropped, false)
    }

    fn run(&self, ask: &Ask, reach: Reach) -> Result<Results> {
        let entitled = reach.entitled();
        let searcher = self.reader.searcher();
        let (query, words_dropped, terms_only) = self.query(&searcher, ask, reach);
        let offset = (ask.page.max(1) - 1) * PER_PAGE;
        // The first pages up to this one, ties broken by document (so pages
        // never overlap), then this page.
        let top = TopDocs::with_limit(offset + PER_PAGE);
        let (mut ranked, total): (Vec<(f64, tantivy::DocAddress)>, usize) = match ask.sort {
            Sort::Relevance => {
                // A union of terms: the top results without scoring every
                // match (block-max WAND), then a count that scores nothing;
                // together a fraction of the one pass over the matches
                // (page and count) that any other query takes.
                let (docs, total) = if terms_only {
                    let docs = searcher
                        .search(&*query, &top.order_by_score())
                        .map_err(|e| internal("searching", e))?;
                    let total = searcher
                        .search(&*query, &Count)
                        .map_err(|e| internal("counting", e))?;
                    (docs, total)
                } else {
                    searcher
                        .search(&*query, &(top.order_by_score(), Count))
                        .map_err(|e| internal("searching", e))?
                };
                let docs = docs
                    .into_iter()
                    .map(|(score, a)| (f64::from(score), a))
                    .collect();
                (docs, total)
            }
            Sort::Newest => {
                let (docs, total): (Vec<(Option<i64>, tantivy::DocAddress)>, usize) = searcher
                    .search(
                        &*query,
                        &(
                            top.order_by_fast_field::<i64>("published", Order::Desc),
                            Count,
                        ),
                    )
                    .map_err(|e| internal("searching", e))?;
                let docs = docs
                    .into_iter()
                    .map(|(t, a)| (t.unwrap_or_default() as f64, a))
                    .collect();
                (docs, total)
            }
        };
        ranked.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        let addresses: Vec<tantivy::DocAddress> = ranked
            .into_iter()
            .skip(offset)
            .take(PER_PAGE)
            .map(|(_, a)| a)
            .collect();
        // Snippets only from fields this reader was searched over.
        let mut text_fields = Vec::new();
        for t in self.texts_for(reach) {
            text_fields.push(t.free);
            if entitled == Entitled::All {
                text_fields.push(t.paid);
            }
            text_fields.push(t.standfirst);
        }
        let mut generators = Vec::new();
        for field in text_fields {
            let mut g = SnippetGenerator::create(&searcher, &*query, field)
                .map_err(|e| internal("snippets", e))?;
            g.set_max_num_chars(200);
            generators.push(g);
        }
        let mut hits = Vec::with_capacity(addresses.len());
        for a in addresses {
            let doc: TantivyDocument = searcher.doc(a).map_err(|e| internal("reading", e))?;
            let id = doc
                .get_first(self.fields.id)
                .and_then(|v| v.as_i64())
                .unwrap_or_default();
            let published_at = doc
                .get_first(self.fields.published)
                .and_then(|v| v.as_i64())
                .unwrap_or_default();
            let snippet_html = generators
                .iter()
                .map(|g| g.snippet_from_doc(&doc))
                .find(|s| !s.is_empty())
                .map(|s| highlighted(s.fragment(), s.highlighted()))
                .unwrap_or_default();
            hits.push(Hit {
                id,
                snippet_html,
                published_at,
                card: None,
            });
        }
        Ok(Results {
            hits,
            total,
            catching_up: !self.is_ready(),
            words_dropped,
        })
    }
}

/// A snippet as HTML: every character of the text escaped, each match in
/// `<b>` (tantivy's own `to_html` escapes less than we want: not quotes).
fn highlighted(fragment: &str, ranges: &[std::ops::Range<usize>]) -> String {
    fn esc(out: &mut String, s: &str) {
        for c in s.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
        }
    }
    let ranges: BTreeSet<(usize, usize)> = ranges.iter().map(|r| (r.start, r.end)).collect();
    let mut out = String::new();
    let mut at = 0;
    for (start, end) in ranges {
        if start < at || end > fragment.len() {
            continue;
        }
        let (Some(before), Some(mark)) = (fragment.get(at..start), fragment.get(start..end)) else {
            continue;
        };
        esc(&mut out, before);
        out.push_str("<b>");
        esc(&mut out, mark);
        out.push_str("</b>");
        at = end;
    }
    esc(&mut out, fragment.get(at..).unwrap_or_default());
    out
}

/// Searches the paper as `entitled` may: checked first ([`check`]: the
/// message is for the reader), then run on the blocking pool.
pub async fn search(app: &App, ask: &Ask, entitled: Entitled) -> Result<Results> {
    check(ask).map_err(AppError::Invalid)?;
    let app2 = app.clone();
    let ask = ask.clone();
    let mut found = blocking("searching", move || {
        app2.search().run(&ask, Reach::Readers(entitled))
    })
    .await?;
    let ids: Vec<i64> = found.hits.iter().map(|h| h.id).collect();
    let mut cards: std::collections::HashMap<i64, StoryCard> = app
        .store()
        .cards_by_ids(&ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    // The database is the truth: a story withdrawn a moment ago is not shown
    // even if this node's index has not followed yet.
    found.hits.retain_mut(|h| {
        h.card = cards.remove(&h.id);
        h.card.is_some()
    });
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_escape_everything_but_the_marks() {
        let html = highlighted("a <script>\"x\" & council's", &[2..10, 16..23]);
        assert_eq!(
            html,
            "a <b>&lt;script&gt;</b>&quot;x&quot; &amp; <b>council</b>&#39;s"
        );
    }

    #[test]
    fn stamps_round_trip() {
        let s = Stamp {
            schema: 3,
            change: 42,
            at: 7,
        };
        assert_eq!(Stamp::decode(&s.encode()), Some(s));
        assert_eq!(Stamp::decode("other 1 2 3"), None);
    }

    #[test]
    fn queries_are_bounded() {
        let mut ask = Ask {
            q: "  ".into(),
            page: 1,
            ..Ask::default()
        };
        assert!(check(&ask).is_err());
        ask.q = "x".repeat(MAX_QUERY_CHARS + 1);
        assert!(check(&ask).is_err());
        ask.q = "council".into();
        assert!(check(&ask).is_ok());
        ask.page = MAX_PAGE + 1;
        assert!(check(&ask).is_err());
    }
}

/// One newsroom search result: the story as the database has it now (the
/// actor may open it) and its snippet.
#[derive(Debug, Clone)]
pub struct DeskHit {
    pub story: Story,
    pub snippet_html: String,
}

/// What a newsroom search found.
#[derive(Debug, Clone, Default)]
pub struct DeskResults {
    pub hits: Vec<DeskHit>,
    pub total: usize,
    pub catching_up: bool,
    pub words_dropped: bool,
}

/// The newsroom's search: the same engine and query as readers', over every
/// field (paid parts included) of the stories, drafts too, that the
/// permission table lets `actor` see. The index narrows by the table's
/// rule (`Reach::Desk`); each hit is then opened as the newsroom opens a
/// story (`newsroom::open`), so the database and the table have the last
/// word. Withdrawn stories are not searched.
pub async fn desk_search(
    app: &App,
    actor: &broadsheet_domain::Actor,
    ask: &Ask,
) -> Result<DeskResults> {
    use broadsheet_domain::permissions::Action;
    crate::newsroom::require(actor, Action::UseNewsroom, "use the newsroom")?;
    let reach = match actor {
        broadsheet_domain::Actor::Operator => Reach::Desk {
            any: true,
            own: None,
            published: true,
        },
        _ => Reach::Desk {
            any: actor.allows(Action::EditAnyStory),
            own: actor
                .staff_id()
                .filter(|_| actor.allows(Action::EditOwnDraft)),
            published: actor.allows(Action::CreateStory),
        },
    };
    if let Reach::Desk {
        any: false,
        own: None,
        published: false,
    } = reach
    {
        return Err(AppError::Forbidden(
            "Your role does not allow you to search stories.".into(),
        ));
    }
    check(ask).map_err(AppError::Invalid)?;
    let app2 = app.clone();
    let ask = ask.clone();
    let found = blocking("searching", move || app2.search().run(&ask, reach)).await?;
    let mut hits = Vec::with_capacity(found.hits.len());
    for h in found.hits {
        match crate::newsroom::open(app, actor, h.id).await {
            Ok(story) if story.status != broadsheet_domain::StoryStatus::Withdrawn => {
                hits.push(DeskHit {
                    story,
                    snippet_html: h.snippet_html,
                })
            }
            Ok(_) | Err(AppError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(DeskResults {
        hits,
        total: found.total,
        catching_up: found.catching_up,
        words_dropped: found.words_dropped,
    })
}
