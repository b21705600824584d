//! Wire ingest (issue 14): agency copy in, through one door. Whatever
//! brings a file (the operator's `broadsheet ingest`, a watched drop folder
//! per agency, the authenticated push endpoint), [`ingest_file`] reads it
//! (`broadsheet_domain::wire`), keeps it whole in the quarantine with the
//! reason if it cannot be read, and gives each item to [`ingest_item`]:
//! as the agency's actor (`Actor::Agency`, rights from
//! `permissions::agency_allows`), in one transaction with its audit row and
//! change event, the newest version of each (agency, item id) decides.
//!
//! - A new item waits in the wire queue (queue mode) or becomes a story
//!   published at once, or scheduled for its embargo (automatic mode).
//! - A newer version updates the story (readers see "Updated:") while the
//!   desk has not changed it; once the desk has, the version is held for
//!   the desk. A version at or below the one held changes nothing
//!   (duplicates and out-of-order deliveries are idempotent).
//! - A kill (canceled) or a hold (withheld) takes the story down through
//!   the same withdraw move as the newsroom's (pages, feeds, search,
//!   sitemaps, the API and the CDN follow the change event); a kill is
//!   final, a withheld item comes back with its next usable version.
//!
//! Change events are not applied here but by every node's poll (500 ms),
//! so a burst of agency items is followed in batches.
//!
//! Staff act on the queue here too: [`take`] opens an item as a draft,
//! [`queue`] lists it, agencies are set up and their rules edited by
//! [`add_agency`], [`update_agency`], [`set_rules`] and [`new_token`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use broadsheet_domain::permissions::Action;
use broadsheet_domain::wire::rules::{self, Mapped, Rules};
use broadsheet_domain::wire::{self, PubStatus, WireItem};
use broadsheet_domain::workflow;
use broadsheet_domain::{Access, Actor, StoryStatus};
pub use broadsheet_store::{AgencyFields, AgencyRow, QuarantineRow, WireFilter, WireItemRow};
use broadsheet_store::{StoryEdit, Tx, WireContent};

use crate::keys::{self, Key};
use crate::newsroom::{require, resolve_tags};
use crate::{App, AppError, Result, now};

/// The wire's settings (`PaperConfig::wire`).
#[derive(Debug, Clone)]
pub struct WireConfig {
    /// The drop folders' root (`<dir>/<agency slug>/`); none: no drop folders.
    pub dir: Option<PathBuf>,
    /// How often the drop folders are looked at.
    pub scan_every: Duration,
    /// Picture renditions may come from loopback http (tests only).
    pub allow_loopback: bool,
}

impl Default for WireConfig {
    fn default() -> WireConfig {
        WireConfig {
            dir: None,
            scan_every: Duration::from_millis(250),
            allow_loopback: false,
        }
    }
}

/// The largest picture fetched for an item.
pub const MAX_PICTURE_BYTES: usize = crate::media::MAX_UPLOAD_BYTES;

/// How an agency's items go out.
pub const MODES: [(&str, &str); 2] = [
    ("queue", "to the wire queue, for the desk"),
    ("auto", "published automatically"),
];

/// The agency as the actor of its items.
pub fn actor_of(agency: &AgencyRow) -> Actor {
    Actor::Agency {
        id: agency.id,
        auto: agency.mode == "auto",
    }
}

/// What became of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemOutcome {
    pub item: String,
    pub version: i64,
    /// queued, published, scheduled, updated, held, withdrawn, withheld,
    /// killed, duplicate, older, refused.
    pub result: &'static str,
    pub story: Option<i64>,
    /// Why, or what to know (a picture not used, a rule's section missing).
    pub detail: String,
}

impl std::fmt::Display for ItemOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} version {}: {}", self.item, self.version, self.result)?;
        if let Some(s) = self.story {
            write!(f, " (story {s})")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// What became of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Read: each item's outcome.
    Read(Vec<ItemOutcome>),
    /// Not readable: kept in the quarantine (this id) with the reason.
    Quarantined { id: i64, reason: String },
}

/// Where a file came from: the transport (`cli`, `drop`, `push`), its
/// name, and the folder its pictures may be read from (a drop folder, or
/// the folder of a file given to the CLI).
#[derive(Debug, Clone)]
pub struct Source<'a> {
    pub transport: &'a str,
    pub name: &'a str,
    pub dir: Option<&'a Path>,
}

/// An agency by its slug, or a clear refusal.
pub async fn agency(app: &App, slug: &str) -> Result<AgencyRow> {
    app.store()
        .agency_by_slug(slug.trim())
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "There is no agency {slug:?}: an admin sets agencies up in the newsroom (Agencies), or `broadsheet agency list` shows them."
            ))
        })
}

/// The agency whose push token this is (the slug names it), or Forbidden.
pub async fn agency_for_push(app: &App, slug: &str, token: &str) -> Result<AgencyRow> {
    let refused = || {
        AppError::Forbidden(
            "The token is not this agency's push token: ask the paper for a new one.".into(),
        )
    };
    let Some(a) = app.store().agency_by_slug(slug).await? else {
        return Err(refused());
    };
    let given = crate::signin::token_hash(token.trim());
    match &a.token_hash {
        Some(h) if !token.trim().is_empty() && constant_eq(h.as_bytes(), given.as_bytes()) => Ok(a),
        _ => Err(refused()),
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads a file from an agency and ingests each item; an unreadable file
/// is quarantined (kept whole, with the reason, and an alert in the
/// newsroom), never half-made into stories.
pub async fn ingest_file(
    app: &App,
    agency: &AgencyRow,
    src: &Source<'_>,
    bytes: &[u8],
) -> Result<FileOutcome> {
    if !agency.active {
        return Err(AppError::Invalid(format!(
            "The agency {} is paused: an admin can resume it in the newsroom (Agencies).",
            agency.name
        )));
    }
    // A file of no items (a package of references, an empty list) is read,
    // not broken: nothing comes of it.
    let items = match wire::parse(bytes) {
        Ok(items) => items,
        Err(e) => {
            let reason = e.to_string();
            let id = quarantine(app, agency, src, &reason, bytes).await?;
            return Ok(FileOutcome::Quarantined { id, reason });
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(ingest_item(app, agency, src, item).await?);
    }
    Ok(FileOutcome::Read(out))
}

/// Keeps an unreadable file with the reason (the newsroom's alert).
pub async fn quarantine(
    app: &App,
    agency: &AgencyRow,
    src: &Source<'_>,
    reason: &str,
    bytes: &[u8],
) -> Result<i64> {
    let actor = actor_of(agency);
    let t = now();
    let mut tx = app.store().begin().await?;
    let id = tx
        .quarantine(Some(agency.id), src.name, src.transport, reason, bytes, t)
        .await?;
    tx.audit(
        &actor,
        "wire.quarantined",
        None,
        &format!(
            "{} ({}, {} bytes) quarantined as {id}: {reason}",
            src.name,
            src.transport,
            bytes.len()
        ),
        t,
    )
    .await?;
    tx.commit().await?;
    // The newsroom's alert and the audit row say it; the log notes it.
    tracing::info!(agency = %agency.slug, file = src.name, %reason, "wire file quarantined");
    Ok(id)
}

fn outcome(
    item: &WireItem,
    result: &'static str,
    story: Option<i64>,
    detail: String,
) -> ItemOutcome {
    ItemOutcome {
        item: item.id.clone(),
        version: item.version,
        result,
        story,
        detail,
    }
}

/// The story's fields from a mapped item (agency copy: free to read, the
/// agency's byline, no staff bylines).
fn edit_of(w: &WireContent) -> StoryEdit {
    StoryEdit {
        section_id: w.section_id,
        headline: w.headline.clone(),
        standfirst: w.standfirst.clone(),
        body: w.body.clone(),
        byline_text: Some(w.byline.clone()),
        access: Access::Free,
        breaking: w.breaking,
        seo_title: String::new(),
        seo_description: String::new(),
        tags: lines(&w.tags),
        authors: Vec::new(),
        lead_picture_id: w.picture_id,
    }
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The item's content as stored, with its section resolved (a rule naming a
/// section that does not exist sends the item to the agency's own section,
/// with a note).
fn content_of(app: &App, agency: &AgencyRow, item: &WireItem, m: &Mapped) -> WireContent {
    let mut notes = m.notes.clone();
    let section_id = match app.sections().by_path(&m.section) {
        Some(s) => s.id,
        None => {
            notes.push(format!(
                "The rules send this to the section {:?}, which does not exist: it went to the agency's section.",
                m.section
            ));
            agency.section_id
        }
    };
    let mut subjects = item.subjects.clone();
    subjects.extend(item.places.iter().cloned());
    WireContent {
        version: item.version,
        headline: m.headline.clone(),
        standfirst: m.standfirst.clone(),
        body: m.body.clone(),
        byline: m.byline_text.clone(),
        section_id,
        tags: m.tags.join("\n"),
        subjects: subjects.join("\n"),
        urgency: item.urgency.map(i64::from),
        breaking: m.breaking,
        language: item.language.clone(),
        embargo: m.not_before,
        notes: notes.join("\n"),
        picture_id: None,
    }
}

/// Brings the item's first picture in through the picture door (sniffed,
/// re-encoded, caption and credit kept): from the same folder as the file,
/// or through the egress client. A picture that cannot be had is a note,
/// not a failure of the item.
async fn bring_picture(
    app: &App,
    agency: &AgencyRow,
    src: &Source<'_>,
    item: &WireItem,
) -> (Option<i64>, Option<String>) {
    let Some(pic) = item.pictures.iter().find(|p| p.best().is_some()) else {
        return (None, None);
    };
    let Some(r) = pic.best() else {
        return (None, None);
    };
    let fetched = fetch_rendition(app, src, &r.href, MAX_PICTURE_BYTES).await;
    let (bytes, name) = match fetched {
        Ok(b) => b,
        Err(why) => return (None, Some(format!("The picture was not used: {why}."))),
    };
    let caption = pic.caption.trim();
    let alt = if caption.is_empty() {
        item.headline.clone()
    } else {
        crate::media::clip_words(caption, crate::media::MAX_ALT_CHARS)
    };
    let credit = if pic.credit.trim().is_empty() {
        agency.credit.clone()
    } else {
        pic.credit.trim().to_string()
    };
    let caption = crate::media::clip_words(caption, crate::media::MAX_CAPTION_CHARS);
    let credit = crate::media::clip_words(&credit, crate::media::MAX_CREDIT_CHARS);
    match crate::newsroom::upload_picture(
        app,
        &actor_of(agency),
        bytes,
        &name,
        &alt,
        &caption,
        &credit,
    )
    .await
    {
        Ok(id) => (Some(id), None),
        Err(AppError::Invalid(why) | AppError::Forbidden(why)) => {
            (None, Some(format!("The picture was not used: {why}")))
        }
        Err(e) => {
            tracing::warn!(error = %e, "wire picture not stored");
            (
                None,
                Some("The picture was not used: it could not be stored.".into()),
            )
        }
    }
}

/// A rendition's bytes and a name for sniffing: a URL through the egress
/// client (SSRF rules), or a file name in the source's folder (no paths).
async fn fetch_rendition(
    app: &App,
    src: &Source<'_>,
    href: &str,
    max: usize,
) -> std::result::Result<(Vec<u8>, String), String> {
    let href = href.trim();
    let too_large = |what: &str| format!("{what} is larger than {} MB", max / 1_048_576);
    if href.starts_with("https://") || href.starts_with("http://") {
        let egress = crate::egress::Egress::new(app.config().wire.allow_loopback)?;
        let (bytes, mime) = egress.get_file(href, max).await.map_err(|e| match e {
            crate::egress::EgressError::TooLarge => too_large(href),
            e => e.to_string(),
        })?;
        let name = match mime.split(';').next().unwrap_or("").trim() {
            "image/png" => "picture.png",
            "image/webp" => "picture.webp",
            "image/gif" => "picture.gif",
            _ => "picture.jpg",
        };
        return Ok((bytes, name.to_string()));
    }
    let Some(dir) = src.dir else {
        return Err(format!(
            "{href:?} is not a URL, and this file did not come with a folder to read it from"
        ));
    };
    let name = href.strip_prefix("file:").unwrap_or(href);
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && name.len() <= 200;
    if !plain {
        return Err(format!(
            "{href:?} is not a file name in the same folder (paths are not followed)"
        ));
    }
    let path = dir.join(name);
    let meta = tokio::fs::metadata(&path)
        .await
        .map_err(|_| format!("{name} is not in the folder with the item"))?;
    if meta.len() > max as u64 {
        return Err(too_large(name));
    }
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| format!("{name} could not be read: {e}"))?;
    Ok((bytes, name.to_string()))
}

/// Ingests one item as the agency (see the module's notes). Safe to repeat:
/// the same (agency, item id, version) changes nothing the second time.
pub async fn ingest_item(
    app: &App,
    agency: &AgencyRow,
    src: &Source<'_>,
    mut item: WireItem,
) -> Result<ItemOutcome> {
    let actor = actor_of(agency);
    require(&actor, Action::CreateStory, "add agency items")?;
    if item.id.trim().is_empty() {
        return Ok(outcome(
            &item,
            "refused",
            None,
            "the item has no id (guid or uri), so its versions could not be told apart".into(),
        ));
    }
    // A version already held needs no picture fetched nor anything mapped.
    if let Some(known) = app.store().wire_item_by_key(agency.id, &item.id).await?
        && let Some(o) = settled(&item, &known)
    {
        return Ok(o);
    }
    // A body by reference is fetched like a picture rendition (the egress
    // client, or a file beside the item), within the reader's size limit.
    if item.paragraphs.is_empty()
        && item.status == PubStatus::Usable
        && let Some(r) = item.remote_body.clone()
    {
        let fetched = fetch_rendition(app, src, &r.href, wire::MAX_BYTES).await;
        let text = fetched.and_then(|(bytes, _)| {
            String::from_utf8(bytes)
                .map_err(|_| format!("the body at {} is not UTF-8 text", r.href))
        });
        match text {
            Ok(t) => item.paragraphs = wire::paragraphs_of(r.mime.as_deref().unwrap_or(""), &t),
            Err(why) => {
                return Ok(outcome(
                    &item,
                    "refused",
                    None,
                    format!("its body could not be had: {why}"),
                ));
            }
        }
    }
    wire::clean(&mut item);
    if item.status != PubStatus::Usable {
        return take_down(app, agency, &actor, &item).await;
    }
    let rules = Rules::parse(&agency.rules).unwrap_or_default();
    let a = rules::Agency {
        byline: agency.byline.clone(),
        section: app.sections().path(agency.section_id).to_string(),
    };
    let mapped = match rules::map(&item, &a, &rules) {
        Ok(m) => m,
        Err(why) => return Ok(outcome(&item, "refused", None, why)),
    };
    let mut content = content_of(app, agency, &item, &mapped);
    let (picture, note) = bring_picture(app, agency, src, &item).await;
    content.picture_id = picture;
    if let Some(n) = note {
        if !content.notes.is_empty() {
            content.notes.push('\n');
        }
        content.notes.push_str(&n);
    }
    match crate::newsroom::validate(app, &edit_of(&content)).await {
        Ok(()) => {}
        Err(AppError::Invalid(why)) => return Ok(outcome(&item, "refused", None, why)),
        Err(e) => return Err(e),
    }
    // Two deliveries of a new item at once: the second waits (SQLite) or
    // finds the row on its next try (PostgreSQL: the insert that lost).
    for _ in 0..3 {
        if let Some(o) = usable(app, agency, &actor, &item, &content).await? {
            return Ok(o);
        }
    }
    Err(AppError::Busy(
        "The item is being ingested by another delivery right now: try again.".into(),
    ))
}

/// What a version at or below the one held, or any version of a killed
/// item, comes to (nothing changes).
fn settled(item: &WireItem, known: &WireItemRow) -> Option<ItemOutcome> {
    if known.status == "killed" {
        return Some(outcome(
            item,
            "killed",
            known.story_id,
            "the agency killed this item: later versions are ignored".into(),
        ));
    }
    if item.version == known.content.version {
        return Some(outcome(
            item,
            "duplicate",
            known.story_id,
            "this version was ingested already: nothing changed".into(),
        ));
    }
    if item.version < known.content.version {
        return Some(outcome(
            item,
            "older",
            known.story_id,
            format!(
                "version {} is held already: this older one changed nothing",
                known.content.version
            ),
        ));
    }
    None
}

fn detail(agency: &AgencyRow, item: &WireItem) -> String {
    format!("{} item {} version {}", agency.slug, item.id, item.version)
}

/// A usable version; `None`: lost a race to record a new item (try again).
async fn usable(
    app: &App,
    agency: &AgencyRow,
    actor: &Actor,
    item: &WireItem,
    content: &WireContent,
) -> Result<Option<ItemOutcome>> {
    let t = now();
    let auto = agency.mode == "auto";
    let mut tx = app.store().begin().await?;
    let known = tx.wire_item_locked(agency.id, &item.id).await?;
    if let Some(k) = &known
        && let Some(o) = settled(item, k)
    {
        return Ok(Some(o));
    }
    let (row_id, story) = match &known {
        None => {
            let status = if auto { "published" } else { "queued" };
            let Some(id) = tx
                .insert_wire_item(agency.id, &item.id, status, content, t)
                .await?
            else {
                return Ok(None);
            };
            (id, None)
        }
        Some(k) => {
            tx.update_wire_content(k.id, content, t).await?;
            (
                k.id,
                k.story_id.map(|s| (s, k.story_version, k.status.clone())),
            )
        }
    };
    let result = match story {
        None if auto => {
            let (story, to) =
                create_and_publish(app, &mut tx, actor, agency, item, content, t).await?;
            tx.set_wire_state(row_id, "published", Some(story), Some(2), t)
                .await?;
            outcome(
                item,
                if to == StoryStatus::Scheduled {
                    "scheduled"
                } else {
                    "published"
                },
                Some(story),
                String::new(),
            )
        }
        None => {
            tx.set_wire_state(row_id, "queued", None, None, t).await?;
            tx.audit(
                actor,
                if known.is_some() {
                    "wire.updated"
                } else {
                    "wire.queued"
                },
                None,
                &format!(
                    "{} to the wire queue: {}",
                    detail(agency, item),
                    content.headline
                ),
                t,
            )
            .await?;
            outcome(item, "queued", None, String::new())
        }
        Some((story, wrote, status)) => {
            update_story(
                app, &mut tx, actor, agency, item, content, row_id, story, wrote, &status, t,
            )
            .await?
        }
    };
    // The change event is applied by every node's poll (within 500 ms),
    // this one's too: a burst of items costs one purge, one rankings check
    // and one search commit a poll, not one an item.
    tx.commit().await?;
    Ok(Some(result))
}

/// Automatic mode: a new item becomes a story, published now or scheduled
/// for its embargo, by the agency, along the workflow's rows.
async fn create_and_publish(
    app: &App,
    tx: &mut Tx,
    actor: &Actor,
    agency: &AgencyRow,
    item: &WireItem,
    content: &WireContent,
    t: i64,
) -> Result<(i64, StoryStatus)> {
    let e = edit_of(content);
    let from = detail(agency, item);
    let (id, slug, tags) =
        crate::newsroom::insert_new_draft(tx, &e, None, &[], &format!("from {from}"), t).await?;
    tx.audit(actor, "create", Some(id), &format!("automatic: {from}"), t)
        .await?;
    let (to, at) = match content.embargo.filter(|e| *e > t + 5) {
        Some(at) => (StoryStatus::Scheduled, Some(at)),
        None => (StoryStatus::Published, None),
    };
    let mv = workflow::check(actor, true, StoryStatus::Draft, to)
        .map_err(|r| AppError::Forbidden(r.message()))?;
    if !tx
        .move_story(id, StoryStatus::Draft, Some(1), to, at, t)
        .await?
    {
        return Err(AppError::Internal(format!("new story {id} moved under us")));
    }
    let why = match at {
        Some(at) => format!("automatic: {from}; embargoed until {at}"),
        None => format!("automatic: {from}"),
    };
    tx.audit(actor, mv.as_str(), Some(id), &why, t).await?;
    if to == StoryStatus::Published {
        let k = keys::for_story_parts(id, e.section_id, &tags, &[], &app.sections());
        tx.change(&keys::join(&k), t).await?;
        crate::webhooks::queue_for(
            app,
            tx,
            "story.published",
            (id, e.section_id, &slug, &e.headline),
            t,
        )
        .await?;
    } else {
        tx.change(&keys::join(&[Key::Story(id)]), t).await?;
    }
    Ok((id, to))
}

/// A newer usable version of an item that has a story: the story takes it
/// when the agency publishes automatically and the desk has not changed
/// the story since the wire last wrote it (a withheld story comes back);
/// otherwise the version is held for the desk.
#[allow(
    clippy::too_many_arguments,
    reason = "the item, its row and its story, as read in this transaction"
)]
async fn update_story(
    app: &App,
    tx: &mut Tx,
    actor: &Actor,
    agency: &AgencyRow,
    item: &WireItem,
    content: &WireContent,
    row_id: i64,
    story_id: i64,
    wrote: Option<i64>,
    row_status: &str,
    t: i64,
) -> Result<ItemOutcome> {
    let from = detail(agency, item);
    let Some(state) = tx.story_state(story_id).await? else {
        // The story was deleted: the item waits in the queue again.
        tx.set_wire_state(row_id, "queued", None, None, t).await?;
        return Ok(outcome(
            item,
            "queued",
            None,
            "its story no longer exists".into(),
        ));
    };
    let untouched = wrote == Some(state.version) && row_status != "taken" && row_status != "held";
    let hold = |why: &str| format!("{from} waits for the desk: {why}");
    if !untouched || !actor.allows(Action::UpdatePublished) {
        let why = if actor.allows(Action::UpdatePublished) {
            "the story was changed in the newsroom since the agency's last version"
        } else {
            "the desk took this item; open the story and compare"
        };
        tx.set_wire_state(row_id, "held", None, None, t).await?;
        tx.audit(actor, "wire.held", Some(story_id), &hold(why), t)
            .await?;
        tx.change(&keys::join(&[Key::Story(story_id)]), t).await?;
        return Ok(outcome(item, "held", Some(story_id), why.into()));
    }
    let Some(story) = app.store().story(story_id).await? else {
        return Err(AppError::Internal(format!("story {story_id} vanished")));
    };
    let mut version = state.version;
    let mut status = state.status;
    if status == StoryStatus::Withdrawn {
        // Withheld, now usable again: back before readers.
        let mv = workflow::check(actor, true, status, StoryStatus::Published)
            .map_err(|r| AppError::Forbidden(r.message()))?;
        if !tx
            .move_story(
                story_id,
                status,
                Some(version),
                StoryStatus::Published,
                None,
                t,
            )
            .await?
        {
            return Err(AppError::Busy(
                "The story changed under the wire: try again.".into(),
            ));
        }
        tx.audit(
            actor,
            mv.as_str(),
            Some(story_id),
            &format!("usable again: {from}"),
            t,
        )
        .await?;
        version += 1;
        status = StoryStatus::Published;
    }
    let mut e = edit_of(content);
    if e.lead_picture_id.is_none() {
        e.lead_picture_id = story.lead_picture.as_ref().map(|p| p.id);
    }
    let published = status == StoryStatus::Published;
    if !tx
        .update_story_text(story_id, version, &e, t, published)
        .await?
    {
        return Err(AppError::Busy(
            "The story changed under the wire: try again.".into(),
        ));
    }
    version += 1;
    let tags = resolve_tags(tx, &e.tags).await?;
    tx.set_story_tags(story_id, &tags).await?;
    tx.revision(story_id, version, None, &e, &format!("from {from}"), t)
        .await?;
    tx.audit(
        actor,
        "save",
        Some(story_id),
        &format!("automatic update: {from}"),
        t,
    )
    .await?;
    let mut k = keys::for_story(&story, &app.sections());
    k.extend(keys::for_story_parts(
        story_id,
        e.section_id,
        &tags,
        &[],
        &app.sections(),
    ));
    tx.change(&keys::join(&k), t).await?;
    if published {
        crate::webhooks::queue_for(
            app,
            tx,
            "story.updated",
            (story_id, e.section_id, &story.slug, &e.headline),
            t,
        )
        .await?;
    }
    tx.set_wire_state(row_id, "published", None, Some(version), t)
        .await?;
    Ok(outcome(item, "updated", Some(story_id), String::new()))
}

/// A kill (canceled) or a hold (withheld): the story made from the item
/// is taken down (published → withdrawn, the newsroom's own move); a
/// scheduled one goes back to draft; an item still in the queue leaves it.
async fn take_down(
    app: &App,
    agency: &AgencyRow,
    actor: &Actor,
    item: &WireItem,
) -> Result<ItemOutcome> {
    let (state, verb) = match item.status {
        PubStatus::Canceled => ("killed", "killed"),
        _ => ("withheld", "withheld"),
    };
    let t = now();
    let from = detail(agency, item);
    let mut tx = app.store().begin().await?;
    let known = tx.wire_item_locked(agency.id, &item.id).await?;
    if let Some(k) = &known
        && let Some(o) = settled(item, k)
    {
        return Ok(o);
    }
    let Some(k) = known else {
        // Never seen: remember it, so an earlier version arriving late is
        // not published after the kill.
        let content = WireContent {
            version: item.version,
            headline: if item.headline.is_empty() {
                format!("({verb} before it arrived)")
            } else {
                item.headline.clone()
            },
            standfirst: String::new(),
            body: String::new(),
            byline: agency.byline.clone(),
            section_id: agency.section_id,
            tags: String::new(),
            subjects: String::new(),
            urgency: item.urgency.map(i64::from),
            breaking: false,
            language: item.language.clone(),
            embargo: None,
            notes: item.notes.join("\n"),
            picture_id: None,
        };
        if tx
            .insert_wire_item(agency.id, &item.id, state, &content, t)
            .await?
            .is_some()
        {
            tx.audit(
                actor,
                &format!("wire.{state}"),
                None,
                &format!("{from}: nothing to take down"),
                t,
            )
            .await?;
            tx.commit().await?;
        }
        return Ok(outcome(
            item,
            state,
            None,
            "nothing was published from it".into(),
        ));
    };
    tx.set_wire_version(k.id, item.version, t).await?;
    tx.set_wire_state(k.id, state, None, None, t).await?;
    let mut detail_text = String::new();
    let mut visible = false;
    if let Some(story_id) = k.story_id
        && let Some(story) = app.store().story(story_id).await?
    {
        let to = match story.status {
            StoryStatus::Published => Some(StoryStatus::Withdrawn),
            StoryStatus::Scheduled => Some(StoryStatus::Draft),
            _ => None,
        };
        match to.map(|to| (to, workflow::check(actor, true, story.status, to))) {
            Some((to, Ok(mv))) => {
                let now_state = tx.story_state(story_id).await?;
                let current = now_state.map(|s| s.status).unwrap_or(story.status);
                let at = now_state.map(|s| s.version).unwrap_or(story.version);
                if tx
                    .move_story(story_id, current, Some(at), to, None, t)
                    .await?
                {
                    // Still the wire's own text: the next usable version may
                    // bring it back and update it.
                    if k.story_version == Some(at) {
                        tx.set_wire_state(k.id, state, None, Some(at + 1), t)
                            .await?;
                    }
                    tx.audit(
                        actor,
                        mv.as_str(),
                        Some(story_id),
                        &format!("{verb}: {from}"),
                        t,
                    )
                    .await?;
                    if let Some(ev) = crate::webhooks::move_event(current, to) {
                        crate::webhooks::queue(app, &mut tx, ev, &story, t).await?;
                    }
                    visible = current == StoryStatus::Published;
                    let k = if visible {
                        keys::for_story(&story, &app.sections())
                    } else {
                        vec![Key::Story(story_id)]
                    };
                    tx.change(&keys::join(&k), t).await?;
                    detail_text = format!("story {story_id} taken down");
                } else {
                    detail_text = format!("story {story_id} had moved on: the desk must act");
                }
            }
            Some((_, Err(r))) => {
                detail_text = format!("story {story_id}: {} The desk must act.", r.message());
            }
            None => {
                detail_text = format!(
                    "story {story_id} is {}: readers have not seen it; the desk should not publish it",
                    story.status.as_str()
                );
            }
        }
    }
    tx.audit(
        actor,
        &format!("wire.{state}"),
        k.story_id,
        &format!("{from}: {detail_text}"),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(outcome(
        item,
        if visible { "withdrawn" } else { state },
        k.story_id,
        detail_text,
    ))
}

// ----- the desk ----------------------------------------------------------------

/// Opens a queued item as a draft for the desk to top and tail: the draft
/// is theirs (they started it), with the agency's byline; the item leaves
/// the queue. Of two people opening it at once, one gets it.
pub async fn take(app: &App, actor: &Actor, wire_id: i64) -> Result<i64> {
    require(actor, Action::CreateStory, "open agency copy as a story")?;
    let Some(row) = app.store().wire_item(wire_id).await? else {
        return Err(AppError::NotFound(format!(
            "There is no wire item {wire_id}."
        )));
    };
    if let Some(story) = row.story_id {
        return Err(AppError::Invalid(format!(
            "This item was opened already, as story {story}: open that story."
        )));
    }
    if row.status != "queued" {
        return Err(AppError::Invalid(format!(
            "This item is {}: only an item in the queue can be opened.",
            row.status
        )));
    }
    let content = row.content.clone();
    let mut e = edit_of(&content);
    if !broadsheet_domain::permissions::may_set_breaking(actor) {
        e.breaking = false;
    }
    crate::newsroom::validate(app, &e).await?;
    let t = now();
    let mut tx = app.store().begin().await?;
    let from = format!("wire item {wire_id} (version {})", row.content.version);
    let (id, _, _) = crate::newsroom::insert_new_draft(
        &mut tx,
        &e,
        actor.staff_id(),
        &[],
        &format!("opened from {from}"),
        t,
    )
    .await?;
    if !tx.take_wire_item(wire_id, id, 1, t).await? {
        return Err(AppError::Invalid(
            "Someone opened this item a moment ago: it is no longer in the queue.".into(),
        ));
    }
    tx.audit(actor, "create", Some(id), &format!("opened from {from}"), t)
        .await?;
    tx.change(&keys::join(&[Key::Story(id)]), t).await?;
    tx.commit().await?;
    Ok(id)
}

/// Where a story came from on the wire, for its editor: the agency, the
/// item and its newest version, what became of it, the agency's notes to
/// editors and its embargo.
pub struct Origin {
    pub agency: String,
    pub item: String,
    pub version: i64,
    pub status: String,
    pub notes: Vec<String>,
    pub embargo: Option<i64>,
}

/// The wire origin of a story the actor has opened (`newsroom::open`), if
/// it was made from an agency item.
pub async fn origin(app: &App, story: &broadsheet_domain::Story) -> Result<Option<Origin>> {
    let Some(row) = app.store().wire_item_of_story(story.id).await? else {
        return Ok(None);
    };
    let agency = app
        .store()
        .agency(row.agency_id)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    Ok(Some(Origin {
        agency,
        item: row.item_id,
        version: row.content.version,
        status: row.status,
        notes: lines(&row.content.notes),
        embargo: row.content.embargo,
    }))
}

/// The wire queue: items waiting for the desk, versions held for it, and
/// what the agencies did lately.
pub struct Queue {
    pub waiting: Vec<WireItemRow>,
    pub held: Vec<WireItemRow>,
    pub recent: Vec<WireItemRow>,
    pub quarantined: Vec<QuarantineRow>,
    pub agencies: Vec<AgencyRow>,
}

pub async fn queue(app: &App, actor: &Actor, filter: &WireFilter) -> Result<Queue> {
    require(actor, Action::CreateStory, "see the wire queue")?;
    let store = app.store();
    let mut f = filter.clone();
    if f.limit <= 0 {
        f.limit = 100;
    }
    Ok(Queue {
        waiting: store.wire_items_in(&["queued"], &f).await?,
        held: store.wire_items_in(&["held"], &f).await?,
        recent: store
            .wire_items_in(&["published", "taken", "withheld", "killed"], &f)
            .await?,
        quarantined: store.quarantine_open(50).await?,
        agencies: store.agencies().await?,
    })
}

/// Dismisses a quarantine alert (the file is kept).
pub async fn dismiss(app: &App, actor: &Actor, id: i64) -> Result<()> {
    require(actor, Action::EditWireRules, "dismiss wire alerts")?;
    let t = now();
    let mut tx = app.store().begin().await?;
    if !tx.clear_quarantine(id, actor.staff_id(), t).await? {
        return Err(AppError::NotFound(format!(
            "There is no open alert {id} (someone may have dismissed it)."
        )));
    }
    tx.audit(
        actor,
        "wire.dismissed",
        None,
        &format!("quarantined file {id}"),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A quarantined file as it arrived (to read why it failed).
pub async fn quarantined_file(app: &App, actor: &Actor, id: i64) -> Result<(String, Vec<u8>)> {
    require(actor, Action::EditWireRules, "read quarantined wire files")?;
    app.store()
        .quarantine_original(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no quarantined file {id}.")))
}

// ----- setting agencies up ---------------------------------------------------

/// What an admin types for an agency, checked.
fn check_fields(app: &App, f: &AgencyFields) -> Result<()> {
    let slug_ok = !f.slug.is_empty()
        && f.slug.len() <= 40
        && f.slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !slug_ok {
        return Err(AppError::Invalid(
            "The short name is 1 to 40 lower-case letters, digits or hyphens (it names the drop folder and the push address), such as pa or reuters.".into(),
        ));
    }
    for (what, v, max) in [
        ("name", &f.name, 80),
        ("byline", &f.byline, 80),
        ("credit", &f.credit, 200),
    ] {
        if v.trim().is_empty() || v.chars().count() > max {
            return Err(AppError::Invalid(format!(
                "The agency's {what} is required, at most {max} characters."
            )));
        }
    }
    if app.sections().get(f.section_id).is_none() {
        return Err(AppError::Invalid(
            "Choose the section the agency's items go to.".into(),
        ));
    }
    if !MODES.iter().any(|(m, _)| *m == f.mode) {
        return Err(AppError::Invalid(
            "Choose queue (the desk decides) or auto (published automatically).".into(),
        ));
    }
    Ok(())
}

pub async fn add_agency(app: &App, actor: &Actor, f: &AgencyFields) -> Result<i64> {
    require(actor, Action::ManageAgencies, "set up news agencies")?;
    check_fields(app, f)?;
    if app.store().agency_by_slug(&f.slug).await?.is_some() {
        return Err(AppError::Invalid(format!(
            "There is an agency {:?} already: choose another short name.",
            f.slug
        )));
    }
    let t = now();
    let mut tx = app.store().begin().await?;
    let id = tx.insert_agency(f, t).await?;
    tx.audit(
        actor,
        "agency.added",
        None,
        &format!("{} ({}), {}", f.name, f.slug, f.mode),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_agency(app: &App, actor: &Actor, id: i64, f: &AgencyFields) -> Result<()> {
    require(actor, Action::ManageAgencies, "set up news agencies")?;
    let Some(was) = app.store().agency(id).await? else {
        return Err(AppError::NotFound(format!("There is no agency {id}.")));
    };
    let f = AgencyFields {
        slug: was.slug.clone(),
        ..f.clone()
    };
    check_fields(app, &f)?;
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.update_agency(id, &f).await?;
    tx.audit(
        actor,
        "agency.changed",
        None,
        &format!(
            "{} ({}): mode {} → {}, {}",
            f.name,
            f.slug,
            was.mode,
            f.mode,
            if f.active { "active" } else { "paused" }
        ),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces an agency's rules; a rule that does not read says which line
/// and why, and nothing is saved.
pub async fn set_rules(app: &App, actor: &Actor, id: i64, text: &str) -> Result<()> {
    require(actor, Action::EditWireRules, "edit the wire's rules")?;
    let Some(a) = app.store().agency(id).await? else {
        return Err(AppError::NotFound(format!("There is no agency {id}.")));
    };
    let rules = Rules::parse(text).map_err(AppError::Invalid)?;
    for r in &rules.0 {
        if let rules::Then::Section(path) = &r.then
            && app.sections().by_path(path).is_none()
        {
            return Err(AppError::Invalid(format!(
                "There is no section {path:?}: use a section's path as in its address (such as news or sport/football)."
            )));
        }
    }
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.set_agency_rules(id, &rules.to_string()).await?;
    tx.audit(
        actor,
        "agency.rules",
        None,
        &format!("{}: {} rules", a.slug, rules.0.len()),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The agencies, for those who set them up or edit their rules.
pub async fn agencies(app: &App, actor: &Actor) -> Result<Vec<AgencyRow>> {
    if !actor.allows(Action::ManageAgencies) {
        require(
            actor,
            Action::EditWireRules,
            "see the news agencies' set-up",
        )?;
    }
    Ok(app.store().agencies().await?)
}

/// Makes a new push token for an agency (the old one stops working) and
/// returns it: shown once, only its hash is kept.
pub async fn new_token(app: &App, actor: &Actor, id: i64) -> Result<String> {
    require(actor, Action::ManageAgencies, "set up news agencies")?;
    let Some(a) = app.store().agency(id).await? else {
        return Err(AppError::NotFound(format!("There is no agency {id}.")));
    };
    let token = crate::signin::random_token();
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.set_agency_token(id, Some(&crate::signin::token_hash(&token)))
        .await?;
    tx.audit(
        actor,
        "agency.token",
        None,
        &format!("{}: new push token", a.slug),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

// ----- the drop folders ----------------------------------------------------------

/// Whether a name in a drop folder is a file to read now: not hidden, not
/// a file still being written under a temporary name, not a picture (those
/// wait for the item naming them).
pub fn is_item_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !(lower.starts_with('.')
        || lower.starts_with('~')
        || lower.ends_with('~')
        || [".tmp", ".part", ".partial", ".filepart", ".crdownload"]
            .iter()
            .any(|s| lower.ends_with(s))
        || [".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".tiff"]
            .iter()
            .any(|s| lower.ends_with(s)))
}

/// Looks at every active agency's drop folder every `scan_every`, until
/// shutdown. A file is taken when it has stopped changing (same size and
/// time at two looks), claimed by renaming it into `.work/` (of several
/// nodes sharing the folder, one gets it), then moved to `.done/` or, if it
/// could not be read, `.quarantine/` (and the database's quarantine). A
/// crash leaves it in `.work/`, from where the next start puts it back:
/// ingesting again is harmless (versions).
pub async fn drop_loop(app: App, mut stop: tokio::sync::watch::Receiver<bool>) {
    let Some(root) = app.config().wire.dir.clone() else {
        return;
    };
    let every = app.config().wire.scan_every;
    let mut seen: std::collections::HashMap<PathBuf, (u64, std::time::SystemTime)> =
        std::collections::HashMap::new();
    let mut recovered = std::collections::HashSet::new();
    loop {
        match app.store().agencies().await {
            Ok(agencies) => {
                for a in agencies.iter().filter(|a| a.active) {
                    let dir = root.join(&a.slug);
                    if recovered.insert(a.id) {
                        recover(&dir).await;
                    }
                    if let Err(e) = scan(&app, a, &dir, &mut seen).await {
                        tracing::warn!(agency = %a.slug, error = %e, "drop folder not read");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "agencies not read"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Puts files a crash left in `.work/` back in the drop folder.
async fn recover(dir: &Path) {
    let work = dir.join(".work");
    let Ok(mut rd) = tokio::fs::read_dir(&work).await else {
        return;
    };
    while let Ok(Some(e)) = rd.next_entry().await {
        let _ = tokio::fs::rename(e.path(), dir.join(e.file_name())).await;
    }
}

async fn scan(
    app: &App,
    agency: &AgencyRow,
    dir: &Path,
    seen: &mut std::collections::HashMap<PathBuf, (u64, std::time::SystemTime)>,
) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir.join(".work")).await?;
    let mut rd = tokio::fs::read_dir(dir).await?;
    let mut ready = Vec::new();
    while let Some(e) = rd.next_entry().await? {
        let name = e.file_name().to_string_lossy().to_string();
        if !is_item_name(&name) {
            continue;
        }
        let meta = e.metadata().await?;
        if !meta.is_file() {
            continue;
        }
        let stamp = (meta.len(), meta.modified()?);
        let settled_for = stamp.1.elapsed().unwrap_or_default();
        let same = seen.insert(e.path(), stamp) == Some(stamp);
        if same || settled_for > Duration::from_secs(2) {
            ready.push(name);
        }
    }
    ready.sort();
    for name in ready {
        seen.remove(&dir.join(&name));
        let claimed = dir.join(".work").join(&name);
        if tokio::fs::rename(dir.join(&name), &claimed).await.is_err() {
            continue; // another node took it
        }
        let done = take_file(app, agency, dir, &name, &claimed).await;
        let to = match done {
            Ok(true) => ".done",
            Ok(false) => ".quarantine",
            Err(e) => {
                tracing::warn!(agency = %agency.slug, file = %name, error = %e, "wire file not ingested; will try again");
                let _ = tokio::fs::rename(&claimed, dir.join(&name)).await;
                continue;
            }
        };
        tokio::fs::create_dir_all(dir.join(to)).await?;
        let stamped = format!("{}-{name}", now());
        tokio::fs::rename(&claimed, dir.join(to).join(stamped)).await?;
    }
    Ok(())
}

/// Reads and ingests one claimed file; false if it was quarantined.
async fn take_file(
    app: &App,
    agency: &AgencyRow,
    dir: &Path,
    name: &str,
    path: &Path,
) -> Result<bool> {
    let src = Source {
        transport: "drop",
        name,
        dir: Some(dir),
    };
    let len = tokio::fs::metadata(path)
        .await
        .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?
        .len();
    if len > wire::MAX_BYTES as u64 {
        // Kept whole on disk; the database keeps the reason and its start.
        let reason = wire::WireError::TooLarge(len as usize).to_string();
        let mut head = vec![0u8; 4096];
        let n = {
            use tokio::io::AsyncReadExt;
            let mut f = tokio::fs::File::open(path)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            f.read(&mut head)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?
        };
        head.truncate(n);
        quarantine(app, agency, &src, &reason, &head).await?;
        return Ok(false);
    }
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
    let out = ingest_file(app, agency, &src, &bytes).await?;
    for o in match &out {
        FileOutcome::Read(items) => items.as_slice(),
        FileOutcome::Quarantined { .. } => &[],
    } {
        tracing::info!(agency = %agency.slug, file = name, outcome = %o, "wire item");
    }
    Ok(matches!(out, FileOutcome::Read(_)))
}
