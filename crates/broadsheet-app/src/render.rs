//! Story bodies rendered for readers and for the newsroom's preview: the one
//! path from body markup to HTML that web handlers call.
//!
//! Rendering (Markdown parsing and sanitising) is CPU work whose cost grows
//! with hostile input, so it never runs on the async workers: it runs on
//! tokio's blocking pool, a few bodies at a time ([`SLOTS`]), and a caller
//! waits at most [`TIME_LIMIT`] (SECURITY.md rule 13). Nesting is capped
//! before the sanitiser sees it ([`markup::check`] refuses it for saves and
//! previews; [`markup::render`] shows it as plain text on a reader's page).
//!
//! - [`story_body`]: a story as the gate's decision lets a reader read it
//!   ([`entitlement::gate`], then [`body_html`]); the story page calls it.
//! - [`preview_html`]: what a reporter typed, refused with a message when
//!   too long or too deeply nested, else [`body_html`].
//! - [`check_body`]: the same refusal for a save.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use broadsheet_domain::{PictureRef, Story, markup};
use tokio::sync::Semaphore;

use crate::entitlement::{self, Decision};
use crate::{App, AppError, Result};

/// The longest a caller waits for one rendering step.
pub const TIME_LIMIT: Duration = Duration::from_secs(5);

/// Pictures placed in one body that are looked up (more are dropped).
pub const MAX_PICTURES: usize = 200;

/// Bodies rendered at the same time, on the blocking pool: one per core,
/// at least two.
static SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Arc::new(Semaphore::new(cores.max(2)))
});

/// A story's body as one reader receives it.
#[derive(Debug, Clone)]
pub struct StoryBody {
    /// Sanitised HTML of the text this reader may read (of a paid story
    /// read in full, the preview part).
    pub html: String,
    /// Of a paid story, the HTML of the paid part: empty when cut.
    /// `None` for a free story.
    pub paid_html: Option<String>,
    /// True when text was withheld: show the prompt.
    pub withheld: bool,
}

/// Runs `f` on the blocking pool when a slot is free; gives up waiting after
/// [`TIME_LIMIT`] (the work itself then finishes and frees its slot).
async fn off_thread<T, F>(what: &'static str, f: F) -> Result<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let work = async move {
        let permit = SLOTS
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AppError::Render(format!("{what}: {e}")))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await
        .map_err(|e| AppError::Render(format!("{what}: {e}")))
    };
    match tokio::time::timeout(TIME_LIMIT, work).await {
        Ok(r) => r,
        Err(_) => Err(AppError::Render(format!(
            "{what} took longer than {} s",
            TIME_LIMIT.as_secs()
        ))),
    }
}

/// Body markup to safe HTML, off the async workers; `figure` makes the HTML
/// of each placed picture (by our own templates). Never refuses a body: one
/// nested too deeply is shown as plain text.
pub async fn body_html(
    app: &App,
    body: &str,
    figure: impl Fn(&PictureRef) -> String,
) -> Result<String> {
    let body: Arc<str> = Arc::from(body);
    let for_ids = body.clone();
    let mut ids = off_thread("finding pictures", move || markup::picture_ids(&for_ids)).await?;
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    ids.truncate(MAX_PICTURES);
    let pictures = app.store().pictures(&ids).await?;
    let figures: HashMap<i64, String> = pictures.iter().map(|p| (p.id, figure(p))).collect();
    off_thread("rendering a body", move || {
        markup::render(&body, |id| figures.get(&id).cloned())
    })
    .await
}

/// The body of `story` as `decision` (the gate's, [`entitlement::decide`])
/// lets a reader read it, rendered: [`entitlement::gate`] cuts it (off the
/// async workers too), then [`body_html`].
pub async fn story_body(
    app: &App,
    story: &Story,
    decision: Decision,
    figure: impl Fn(&PictureRef) -> String,
) -> Result<StoryBody> {
    let story = story.clone();
    let n = app.config().preview_paragraphs;
    let gated = off_thread("cutting the preview", move || {
        entitlement::gate(&story, decision, n)
    })
    .await?;
    let html = body_html(app, &gated.markup, &figure).await?;
    let paid_html = match gated.rest {
        Some(rest) if !rest.trim().is_empty() => Some(body_html(app, &rest, &figure).await?),
        Some(_) => Some(String::new()),
        None if gated.withheld => Some(String::new()),
        None => None,
    };
    Ok(StoryBody {
        html,
        paid_html,
        withheld: gated.withheld,
    })
}

/// Refuses, with what to do, a body that is too long or nested too deeply
/// to save or preview.
pub async fn check_body(body: &str) -> Result<()> {
    if body.len() > markup::MAX_BODY_BYTES {
        return Err(AppError::Invalid(
            markup::MarkupError::TooLong { len: body.len() }.to_string(),
        ));
    }
    let body = body.to_string();
    off_thread("checking a body", move || markup::check(&body))
        .await?
        .map_err(|e| AppError::Invalid(e.to_string()))
}

/// What a reporter typed, as readers will see it: refused (`Invalid`, with
/// the reason) when [`check_body`] refuses it, else [`body_html`].
pub async fn preview_html(
    app: &App,
    body: &str,
    figure: impl Fn(&PictureRef) -> String,
) -> Result<String> {
    check_body(body).await?;
    body_html(app, body, figure).await
}
