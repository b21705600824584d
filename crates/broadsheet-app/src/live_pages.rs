//! Live pages and the breaking banner's own door (issue 12 items 4 and 5).
//!
//! A story is marked live (`RunLivePage`: editors, admins) and then carries
//! timestamped updates that reporters, editors and admins post, edit, pin
//! and remove (`PostLiveUpdate`). Each write is one transaction: the
//! story's update sequence bumped first (writers of one story queue on it;
//! the new number stamps the update and is the Server-Sent Events id a
//! reader resumes from), the update row, the audit row and a change event
//! naming `story-<id>`, so every node purges the page and pushes the update
//! to its open pages (`broadsheet-web/src/live.rs`). Ending a live story
//! keeps it, with its updates, as a normal story.
//!
//! Live stories are free to read: updates are pushed to every open page,
//! so none of them may be paid text. Marking a metered or subscribers-only
//! story live is refused with a message saying so, and a live story whose
//! access was later changed shows and pushes no updates (the reads here
//! check it every time).
//!
//! [`set_breaking`] raises or ends the site-wide breaking banner of a story
//! (`may_set_breaking`: the permission table's `CurateFront`), audited, with
//! a change event naming the story and the rankings (the banner is a shared
//! page part), so every node's readers see it go up or down at once.

use broadsheet_domain::permissions::{self, Action};
use broadsheet_domain::{Access, Actor, markup};
pub use broadsheet_store::{LiveState, LiveUpdate};

use crate::keys::{self, Key};
use crate::newsroom::require;
use crate::{App, AppError, Result, now};

/// The longest update, in bytes.
pub const MAX_UPDATE_BYTES: usize = 20_000;
/// Updates on one page (the story page shows the first page).
pub const PER_PAGE: i64 = 20;
/// At most this many updates are replayed to one resuming reader at once
/// (the rest follow on the next read).
pub const REPLAY_LIMIT: i64 = 500;

fn not_live() -> AppError {
    AppError::Invalid(
        "This story is not live: mark it live first (an ended live page keeps its updates as they are)."
            .into(),
    )
}

/// Checks and renders an update's text: plain text or the same Markdown as
/// story bodies, through the same sanitiser (no placed pictures).
fn rendered(body: &str) -> Result<(String, String)> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::Invalid(
            "The update is empty: write what happened.".into(),
        ));
    }
    if body.len() > MAX_UPDATE_BYTES {
        return Err(AppError::Invalid(format!(
            "The update is {} bytes long; the limit is {MAX_UPDATE_BYTES}: shorten it or post it as two.",
            body.len()
        )));
    }
    markup::check(body).map_err(|e| AppError::Invalid(e.to_string()))?;
    let html = markup::render(body, |_| None);
    Ok((body.to_string(), html))
}

/// The story, which must exist and be free to read.
async fn free_story(app: &App, story: i64) -> Result<broadsheet_domain::Story> {
    let s = app
        .store()
        .story(story)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no story {story}.")))?;
    if s.access != Access::Free {
        return Err(AppError::Invalid(format!(
            "Story {story} is for {}: live pages are free to read (updates are pushed to every open page). Set its access to free first.",
            match s.access {
                Access::Metered => "metered readers",
                _ => "subscribers only",
            }
        )));
    }
    Ok(s)
}

async fn announce(app: &App, mut tx: broadsheet_store::Tx, story: i64, t: i64) -> Result<()> {
    tx.change(&keys::join(&[Key::Story(story)]), t).await?;
    tx.commit().await?;
    app.apply_changes().await?;
    Ok(())
}

/// Marks a story live.
pub async fn start(app: &App, actor: &Actor, story: i64) -> Result<()> {
    require(actor, Action::RunLivePage, "run live pages")?;
    free_story(app, story).await?;
    let t = now();
    let mut tx = app.store().begin().await?;
    if !tx.start_live(story, t).await? {
        return Err(AppError::Invalid("This story is live already.".into()));
    }
    tx.audit(actor, "live-start", Some(story), "marked live", t)
        .await?;
    announce(app, tx, story, t).await
}

/// Ends a live story: it stays a normal story showing its updates.
pub async fn end(app: &App, actor: &Actor, story: i64) -> Result<()> {
    require(actor, Action::RunLivePage, "run live pages")?;
    let t = now();
    let mut tx = app.store().begin().await?;
    if !tx.end_live(story, t).await? {
        return Err(not_live());
    }
    tx.audit(actor, "live-end", Some(story), "live page ended", t)
        .await?;
    announce(app, tx, story, t).await
}

/// Posts an update to a live story; returns its id.
pub async fn post(app: &App, actor: &Actor, story: i64, body: &str) -> Result<i64> {
    require(actor, Action::PostLiveUpdate, "post live updates")?;
    let (body, html) = rendered(body)?;
    free_story(app, story).await?;
    let t = now();
    let mut tx = app.store().begin().await?;
    let seq = tx.bump_live_seq(story).await?.ok_or_else(not_live)?;
    let id = tx
        .insert_live_update(story, seq, actor.staff_id(), &body, &html, t)
        .await?;
    tx.audit(
        actor,
        "live-update",
        Some(story),
        &format!("update {id} posted"),
        t,
    )
    .await?;
    announce(app, tx, story, t).await?;
    Ok(id)
}

/// What can be done to a posted update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Edit(String),
    Pin(bool),
    Remove,
}

/// Edits, pins, unpins or removes an update of a live story.
pub async fn change(app: &App, actor: &Actor, update: i64, change: Change) -> Result<()> {
    require(actor, Action::PostLiveUpdate, "change live updates")?;
    let text = match &change {
        Change::Edit(b) => Some(rendered(b)?),
        _ => None,
    };
    let t = now();
    let mut tx = app.store().begin().await?;
    let story = tx.live_update_story(update).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "There is no update {update} (it may have been removed)."
        ))
    })?;
    let seq = tx.bump_live_seq(story).await?.ok_or_else(not_live)?;
    let (done, what) = match (&change, text) {
        (Change::Edit(_), Some((body, html))) => (
            tx.edit_live_update(update, seq, &body, &html, t).await?,
            "edited",
        ),
        (Change::Pin(on), _) => (
            tx.pin_live_update(update, seq, *on).await?,
            if *on { "pinned" } else { "unpinned" },
        ),
        (Change::Remove, _) => (tx.remove_live_update(update, seq).await?, "removed"),
        (Change::Edit(_), None) => (false, "edited"),
    };
    if !done {
        return Err(AppError::NotFound(format!("There is no update {update}.")));
    }
    tx.audit(
        actor,
        "live-update",
        Some(story),
        &format!("update {update} {what}"),
        t,
    )
    .await?;
    announce(app, tx, story, t).await
}

/// Raises (`on`) or ends the breaking banner of a story.
pub async fn set_breaking(app: &App, actor: &Actor, story: i64, on: bool) -> Result<()> {
    if !permissions::may_set_breaking(actor) {
        return Err(AppError::Forbidden(
            "Your role does not allow you to raise or end breaking news.".into(),
        ));
    }
    let t = now();
    let mut tx = app.store().begin().await?;
    if !tx.set_breaking(story, on).await? {
        return Err(AppError::Invalid(if on {
            format!("Story {story} is breaking already, or is not published.")
        } else {
            format!("Story {story} is not flagged breaking.")
        }));
    }
    let what = if on {
        "breaking raised"
    } else {
        "breaking ended"
    };
    tx.audit(actor, "breaking", Some(story), what, t).await?;
    tx.change(&keys::join(&[Key::Story(story), Key::Rankings]), t)
        .await?;
    tx.commit().await?;
    app.apply_changes().await?;
    Ok(())
}

// ----- reading -------------------------------------------------------------------------

/// What a reader page shows of a live story.
#[derive(Debug, Clone)]
pub struct Shown {
    pub state: LiveState,
    /// This page of shown updates: pinned first, then newest first.
    pub updates: Vec<LiveUpdate>,
    /// Shown updates in all.
    pub total: i64,
    pub page: i64,
}

/// A story's live state and one page of its updates, if it was ever live
/// and is free to read (`None` otherwise: nothing of it is shown).
pub async fn shown(
    app: &App,
    story: &broadsheet_domain::Story,
    page: i64,
) -> Result<Option<Shown>> {
    if story.access != Access::Free {
        return Ok(None);
    }
    let Some(state) = app.store().live_state(story.id).await? else {
        return Ok(None);
    };
    let page = page.max(1);
    let updates = app
        .store()
        .live_updates(story.id, PER_PAGE, (page - 1) * PER_PAGE)
        .await?;
    let total = app.store().live_update_count(story.id).await?;
    Ok(Some(Shown {
        state,
        updates,
        total,
        page,
    }))
}

/// The page (1-based) an update is shown on, if it is shown.
pub async fn page_of(app: &App, story: i64, update: i64) -> Result<Option<i64>> {
    Ok(app
        .store()
        .live_update_position(story, update)
        .await?
        .map(|i| i / PER_PAGE + 1))
}

/// Updates written after sequence number `after`, for a reader resuming a
/// stream: empty unless the story is free to read.
pub async fn after(app: &App, story: i64, after: i64) -> Result<Vec<LiveUpdate>> {
    match app.store().story(story).await? {
        Some(s) if s.access == Access::Free => {}
        _ => return Ok(Vec::new()),
    }
    Ok(app
        .store()
        .live_updates_after(story, after, REPLAY_LIMIT)
        .await?)
}

/// What the newsroom's live page of a story shows.
#[derive(Debug, Clone)]
pub struct Desk {
    pub story: i64,
    pub headline: String,
    /// Its address on the reader site.
    pub path: String,
    pub published: bool,
    pub free: bool,
    pub breaking: bool,
    pub state: Option<LiveState>,
    /// Shown updates, pinned first, then newest first (at most [`DESK_UPDATES`]).
    pub updates: Vec<LiveUpdate>,
    /// May mark it live, end it, raise and end the banner.
    pub may_run: bool,
    pub may_break: bool,
    pub may_post: bool,
}

/// Updates the newsroom page lists.
pub const DESK_UPDATES: i64 = 200;

/// The newsroom's live page of a story: for those who may run live pages
/// or post to them.
pub async fn desk(app: &App, actor: &Actor, story: i64) -> Result<Desk> {
    let may_run = actor.allows(Action::RunLivePage);
    let may_post = actor.allows(Action::PostLiveUpdate);
    if !may_run && !may_post {
        return Err(AppError::Forbidden(
            "Your role does not allow you to work on live pages.".into(),
        ));
    }
    let s = app
        .store()
        .story(story)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no story {story}.")))?;
    let state = app.store().live_state(story).await?;
    let updates = if state.is_some() {
        app.store().live_updates(story, DESK_UPDATES, 0).await?
    } else {
        Vec::new()
    };
    let path =
        broadsheet_domain::permalink::story_path(app.sections().path(s.section_id), &s.slug, s.id);
    Ok(Desk {
        story,
        path,
        headline: s.headline,
        published: s.status == broadsheet_domain::StoryStatus::Published,
        free: s.access == Access::Free,
        breaking: s.breaking,
        state,
        updates,
        may_run,
        may_break: permissions::may_set_breaking(actor),
        may_post,
    })
}

/// A story's live state (`None`: never live).
pub async fn state(app: &App, story: i64) -> Result<Option<LiveState>> {
    Ok(app.store().live_state(story).await?)
}

/// An update's text without markup (structured data), at most `max` chars.
pub fn plain_text(u: &LiveUpdate, max: usize) -> String {
    markup::plain_text(&u.body, max)
}
