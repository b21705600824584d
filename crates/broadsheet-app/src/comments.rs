//! Reader comments and their moderation: the one door for posting,
//! replying, editing, deleting and reporting (readers), for the queues,
//! moderation moves, sanctions, settings and policies (staff with
//! `ModerateComments`), and the reads behind the shared thread pages and
//! each reader's own private view.
//!
//! Rules live in `broadsheet_domain::comments` (state machine, text, score,
//! holds); this module reads the facts, asks them, and writes the outcome on
//! one `Tx` with its audit row (moderation) and its change event: any move
//! that changes what the public sees names `story-<id>` (the story page's
//! count and its thread pages) and `rankings` (Most Commented and counts on
//! cards), so every node purges exactly those within a second. A reply that
//! becomes public mails the reader it answers (once).
//!
//! Rate limits (per node, `throttle::Bucket`): per reader, per client
//! address (through the trusted proxy hops only), and reports per reader.

use std::net::IpAddr;
use std::time::Duration;

use broadsheet_domain::comments::{
    self as rules, CommentState, Facts, Hold, Move, Rules, Sanction, Standing,
};
use broadsheet_domain::permissions::Action;
use broadsheet_domain::{Actor, ReaderAccount, Story};
use broadsheet_store::{
    CommentRow, CommentSettingsRow, NewComment, PolicyRow, QueueFilter, ReportRow, SanctionRow,
    StandingRow,
};
use sha2::{Digest, Sha256};

pub use broadsheet_store::{CommentSettingsRow as CommentSettings, PolicyRow as CommentPolicy};

use crate::keys::{self, Key};
use crate::mail::Mail;
use crate::throttle::{Bucket, ClientKey, DEFAULT_CAP};
use crate::{App, AppError, StoryLookup, now};

/// Comments a reader may post: this many at once, refilled over ten minutes.
pub const PER_READER: u32 = 5;
/// Comments from one client address, refilled over ten minutes.
pub const PER_CLIENT: u32 = 20;
/// Reports a reader may make, refilled over an hour.
pub const REPORTS_PER_READER: u32 = 10;
/// The same text from the same reader within this long is a duplicate.
const DUPLICATE_WINDOW_SECS: i64 = 24 * 3600;

/// The comment rate limits of this node.
pub struct Guard {
    reader: Bucket<i64>,
    client: Bucket<ClientKey>,
    reports: Bucket<i64>,
    /// Reactions per reader (`comment_extras`).
    pub(crate) reactions: Bucket<i64>,
}

impl Default for Guard {
    fn default() -> Guard {
        let ten = Duration::from_secs(600);
        Guard {
            reader: Bucket::new(PER_READER, ten, DEFAULT_CAP),
            client: Bucket::new(PER_CLIENT, ten, DEFAULT_CAP),
            reports: Bucket::new(REPORTS_PER_READER, Duration::from_secs(3600), DEFAULT_CAP),
            reactions: Bucket::new(
                crate::comment_extras::REACTIONS_PER_READER,
                ten,
                DEFAULT_CAP,
            ),
        }
    }
}

/// Why a reader's comment action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CommentError {
    /// Something the reader can fix (the words say what).
    #[error("{0}")]
    Invalid(String),
    /// Not now: comments closed or off, or the reader may not comment.
    #[error("{0}")]
    Refused(String),
    /// Too many, too fast.
    #[error("{0}")]
    Limited(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<broadsheet_store::StoreError> for CommentError {
    fn from(e: broadsheet_store::StoreError) -> Self {
        CommentError::App(e.into())
    }
}

type CResult<T> = std::result::Result<T, CommentError>;

/// Who may comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Registered,
    Subscribers,
}

/// The paper's comment settings, parsed.
#[derive(Debug, Clone)]
pub struct Settings {
    pub enabled: bool,
    pub off_message: String,
    pub who: Who,
    pub close_after_hours: i64,
    pub new_commenter_holds: i64,
    pub rules: Rules,
    pub default_pre: bool,
}

impl Settings {
    fn of(r: &CommentSettingsRow) -> Settings {
        Settings {
            enabled: r.enabled != 0,
            off_message: r.off_message.clone(),
            who: if r.who == "subscribers" {
                Who::Subscribers
            } else {
                Who::Registered
            },
            close_after_hours: r.close_after_hours,
            new_commenter_holds: r.new_commenter_holds,
            rules: Rules {
                banned: rules::parse_word_list(&r.banned_words).unwrap_or_default(),
                suspect: rules::parse_word_list(&r.suspect_words).unwrap_or_default(),
                threshold: r.hold_threshold,
            },
            default_pre: r.default_moderation == "pre",
        }
    }
}

pub async fn settings(app: &App) -> crate::Result<Settings> {
    Ok(Settings::of(&app.store().comment_settings().await?))
}

/// Whether a story takes comments now, the same for every reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Openness {
    /// Open; pre-moderated when `pre` names why.
    Open { pre: Option<&'static str> },
    /// Closed on this story (the words say why).
    Closed(String),
    /// Comments are off on the whole site (the paper's message).
    Off(String),
}

impl Openness {
    pub fn is_open(&self) -> bool {
        matches!(self, Openness::Open { .. })
    }

    /// The words a reader sees when closed or off.
    pub fn message(&self) -> &str {
        match self {
            Openness::Open { .. } => "",
            Openness::Closed(m) | Openness::Off(m) => m,
        }
    }
}

/// Whether `story` takes comments now, and how they are moderated: the
/// story's policy, else the nearest section's, else the paper's; closed a
/// configured time after publication unless the story is set open.
pub async fn openness(app: &App, s: &Settings, story: &Story, t: i64) -> crate::Result<Openness> {
    Ok(openness_until(app, s, story, t).await?.0)
}

/// [`openness`], and when it closes by the clock (comments open now that
/// close automatically a set time after publication).
async fn openness_until(
    app: &App,
    s: &Settings,
    story: &Story,
    t: i64,
) -> crate::Result<(Openness, Option<i64>)> {
    if !s.enabled {
        let m = if s.off_message.trim().is_empty() {
            "Comments are turned off on this site for now.".to_string()
        } else {
            s.off_message.clone()
        };
        return Ok((Openness::Off(m), None));
    }
    let store = app.store();
    let own = store.comment_policy("story", story.id).await?;
    let mut section_policies = Vec::new();
    for sec in app.sections().ancestry(story.section_id).into_iter().rev() {
        if let Some(p) = store.comment_policy("section", sec.id).await? {
            section_policies.push(p);
        }
    }
    let open_setting = own
        .as_ref()
        .map(|p| p.open.as_str())
        .filter(|o| *o != "inherit")
        .or_else(|| {
            section_policies
                .iter()
                .map(|p| p.open.as_str())
                .find(|o| *o != "inherit")
        })
        .unwrap_or("open");
    if open_setting == "closed" {
        return Ok((
            Openness::Closed("Comments are closed on this story.".to_string()),
            None,
        ));
    }
    let explicitly_open = own.as_ref().is_some_and(|p| p.open == "open");
    let published = story.published_at.unwrap_or(t);
    let closes_at = (!explicitly_open && s.close_after_hours > 0)
        .then(|| published + s.close_after_hours * 3600);
    if closes_at.is_some_and(|c| t >= c) {
        return Ok((
            Openness::Closed(format!(
                "Comments closed {} after publication.",
                rules::words_for(s.close_after_hours * 3600)
            )),
            None,
        ));
    }
    let pre = if own.as_ref().is_some_and(|p| p.legal != 0) {
        Some("this story is marked legal")
    } else {
        match own.as_ref().map(|p| p.moderation.as_str()) {
            Some("pre") => Some("this story is pre-moderated"),
            Some("post") => None,
            _ => match section_policies
                .iter()
                .map(|p| p.moderation.as_str())
                .find(|m| *m != "inherit")
            {
                Some("pre") => Some("this section is pre-moderated"),
                Some(_) => None,
                None if s.default_pre => Some("the paper pre-moderates comments"),
                None => None,
            },
        }
    };
    Ok((Openness::Open { pre }, closes_at))
}

async fn published(app: &App, story_id: i64) -> CResult<Story> {
    match app.published_story(story_id).await? {
        StoryLookup::Found(s) => Ok(*s),
        _ => Err(CommentError::NotFound),
    }
}

// ----- reading -----------------------------------------------------------------------

/// A comment as a page shows it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub row: CommentRow,
    /// The text as safe HTML (`domain::comments::render`).
    pub html: String,
    pub replies: Vec<Shown>,
    /// Public replies beyond those shown.
    pub more_replies: i64,
    /// Badges beside the author's name ("Subscriber", "Staff"), derived
    /// when the page is rendered (`comment_extras::badges`).
    pub badges: Vec<&'static str>,
}

pub(crate) fn shown(row: CommentRow) -> Shown {
    Shown {
        html: rules::render(&row.body),
        row,
        replies: Vec::new(),
        more_replies: 0,
        badges: Vec::new(),
    }
}

/// One page of a story's thread: the same for everyone (only public comments).
#[derive(Debug, Clone)]
pub struct Thread {
    pub story: Story,
    pub count: i64,
    pub openness: Openness,
    pub sort: Sort,
    /// The featured comments (first page only, every order).
    pub featured: Vec<Shown>,
    pub comments: Vec<Shown>,
    /// The cursor of the next page, if there is one (a comment id; for the
    /// most reacted order, the next page's number).
    pub next: Option<i64>,
    /// The readers whose comments the page shows (their entitlements decide
    /// their badges: the page's `commenter-N` keys).
    pub commenters: Vec<i64>,
    /// Until when the page is right by the clock: the soonest of the
    /// automatic closing of comments and a commenter's entitlement starting
    /// or ending. A cache must not keep it longer.
    pub fresh_until: Option<i64>,
}

/// The orders of a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Oldest,
    Newest,
    /// Most reactions first (ties oldest first), paged by number.
    Reacted,
}

impl Sort {
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Oldest => "oldest",
            Sort::Newest => "newest",
            Sort::Reacted => "reacted",
        }
    }
}

/// A page of the public thread of a published story.
pub async fn thread(app: &App, story_id: i64, sort: Sort, cursor: Option<i64>) -> CResult<Thread> {
    let story = published(app, story_id).await?;
    let s = settings(app).await?;
    let t = now();
    let store = app.store();
    let mut top = match sort {
        Sort::Reacted => {
            let page = cursor.unwrap_or(1).max(1);
            store
                .thread_page_reacted(
                    story_id,
                    (page - 1).saturating_mul(rules::PAGE_SIZE),
                    rules::PAGE_SIZE + 1,
                )
                .await?
        }
        _ => {
            store
                .thread_page(story_id, sort == Sort::Newest, cursor, rules::PAGE_SIZE + 1)
                .await?
        }
    };
    let next = if top.len() as i64 > rules::PAGE_SIZE {
        top.truncate(rules::PAGE_SIZE as usize);
        match sort {
            Sort::Reacted => Some(cursor.unwrap_or(1).max(1) + 1),
            _ => top.last().map(|c| c.id),
        }
    } else {
        None
    };
    let ids: Vec<i64> = top.iter().map(|c| c.id).collect();
    let (replies, totals) = store.public_replies(&ids, rules::REPLIES_SHOWN).await?;
    let mut comments: Vec<Shown> = top.into_iter().map(shown).collect();
    for r in replies {
        if let Some(p) = comments.iter_mut().find(|c| Some(c.row.id) == r.parent_id) {
            p.replies.push(shown(r));
        }
    }
    for (parent, n) in totals {
        if let Some(p) = comments.iter_mut().find(|c| c.row.id == parent) {
            p.more_replies = (n - p.replies.len() as i64).max(0);
        }
    }
    let mut featured: Vec<Shown> = if cursor.is_none() {
        store
            .featured_comments(story_id, crate::comment_extras::FEATURED_SHOWN)
            .await?
            .into_iter()
            .map(shown)
            .collect()
    } else {
        Vec::new()
    };
    let badged = crate::comment_extras::badges(app, &mut featured, &mut comments, t).await?;
    let (openness, closes_at) = openness_until(app, &s, &story, t).await?;
    Ok(Thread {
        count: store.public_comment_count(story_id).await?,
        openness,
        story,
        sort,
        featured,
        comments,
        next,
        commenters: badged.readers,
        fresh_until: [badged.until, closes_at].into_iter().flatten().min(),
    })
}

/// The story a comment is on.
pub async fn story_of(app: &App, id: i64) -> crate::Result<Option<i64>> {
    Ok(app.store().comment(id).await?.map(|c| c.story_id))
}

/// A public comment (what a report form shows).
pub async fn public_comment(app: &App, id: i64) -> crate::Result<Option<CommentRow>> {
    Ok(app
        .store()
        .comment(id)
        .await?
        .filter(|c| c.status == "public"))
}

/// Public comments on a story (the story page's count).
pub async fn count(app: &App, story_id: i64) -> crate::Result<i64> {
    Ok(app.store().public_comment_count(story_id).await?)
}

/// A reader's own comment as their private page shows it.
#[derive(Debug, Clone)]
pub struct Own {
    pub shown: Shown,
    pub state: CommentState,
    /// Still inside the edit window (and in a state that can be edited).
    pub editable: bool,
}

/// What one reader sees of a story's comments beyond the shared thread:
/// whether they may write, and their own comments in every state.
#[derive(Debug, Clone)]
pub struct Mine {
    pub story: Story,
    pub openness: Openness,
    /// `Ok` when this reader may post now, else why not.
    pub may_post: Result<(), String>,
    pub own: Vec<Own>,
    /// The comment being answered, if public and top-level on this story.
    pub reply_to: Option<Shown>,
    /// A warning the reader got for their sanction (shown, not blocking).
    pub standing_note: String,
}

async fn may_post(
    app: &App,
    s: &Settings,
    reader: &ReaderAccount,
    standing: &StandingRow,
    t: i64,
) -> crate::Result<Result<(), String>> {
    let st = standing_of(standing);
    if let Err(e) = rules::may_post(&st, t) {
        return Ok(Err(e));
    }
    if s.who == Who::Subscribers
        && !crate::readers::is_subscriber(app, reader.id, t)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
    {
        return Ok(Err(
            "Only subscribers can comment on this site. Subscribe to join the conversation.".into(),
        ));
    }
    Ok(Ok(()))
}

fn standing_of(r: &StandingRow) -> Standing {
    Standing {
        approved: r.approved,
        banned: r.banned != 0,
        suspended_until: r.suspended_until,
        premod: r.premod != 0,
        reason: r.reason.clone(),
    }
}

/// The reader's private view of a story's comments.
pub async fn mine(
    app: &App,
    reader: &ReaderAccount,
    story_id: i64,
    reply_to: Option<i64>,
) -> CResult<Mine> {
    let story = published(app, story_id).await?;
    let s = settings(app).await?;
    let t = now();
    let store = app.store();
    let standing = store.commenter_standing(reader.id).await?;
    let own = store
        .own_comments(story_id, reader.id)
        .await?
        .into_iter()
        .filter_map(|row| {
            let state: CommentState = row.status.parse().ok()?;
            let editable = matches!(state, CommentState::Public | CommentState::Pending)
                && t < row.created_at + rules::EDIT_WINDOW_SECS;
            Some(Own {
                shown: shown(row),
                state,
                editable,
            })
        })
        .collect();
    let reply_to = match reply_to {
        Some(id) => store
            .comment(id)
            .await?
            .filter(|c| c.story_id == story_id && c.status == "public" && c.parent_id.is_none())
            .map(shown),
        None => None,
    };
    let standing_note = if standing.premod != 0 {
        "A moderator reviews your comments before they appear.".to_string()
    } else {
        String::new()
    };
    Ok(Mine {
        openness: openness(app, &s, &story, t).await?,
        may_post: may_post(app, &s, reader, &standing, t).await?,
        story,
        own,
        reply_to,
        standing_note,
    })
}

// ----- posting ---------------------------------------------------------------------------

/// What became of a posted or edited comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// Out in the thread.
    Public(i64),
    /// Held for a moderator (the reader is told so, not the rule).
    Held(i64),
    /// Not saved: the text would be held for its content; the writer may
    /// edit it, or send it as it is (`confirmed`).
    Warned(String),
}

fn hash_of(body: &str) -> String {
    hex::encode(Sha256::digest(body.to_lowercase().as_bytes()))
}

fn public_keys(story_id: i64) -> String {
    keys::join(&[Key::Story(story_id), Key::Rankings])
}

/// The text checked and scored; `Warned` when the writer should look again.
fn check_text(
    s: &Settings,
    body: &str,
    facts: &Facts,
    confirmed: bool,
) -> CResult<(String, Option<Hold>, Option<String>)> {
    let text = rules::normalize(body).map_err(CommentError::Invalid)?;
    let score = rules::score(&text, &s.rules);
    let warn = if confirmed {
        None
    } else {
        rules::content_hold(&score, s.rules.threshold)
    };
    let hold = rules::decide(&score, facts, s.rules.threshold);
    Ok((text, hold, warn))
}

/// A signed-in reader posts a comment on a story, or a reply to a public
/// top-level comment (`parent`). `client` is the address from the trusted
/// proxy hops.
pub async fn post(
    app: &App,
    reader: &ReaderAccount,
    client: Option<IpAddr>,
    story_id: i64,
    parent: Option<i64>,
    body: &str,
    confirmed: bool,
) -> CResult<Posted> {
    let story = published(app, story_id).await?;
    let s = settings(app).await?;
    let t = now();
    let open = openness(app, &s, &story, t).await?;
    let Openness::Open { pre } = open else {
        return Err(CommentError::Refused(open.message().to_string()));
    };
    let store = app.store();
    let standing = store.commenter_standing(reader.id).await?;
    if let Err(e) = may_post(app, &s, reader, &standing, t).await? {
        return Err(CommentError::Refused(e));
    }
    if let Some(p) = parent {
        let ok = store.comment(p).await?.is_some_and(|c| {
            c.story_id == story_id && c.status == "public" && c.parent_id.is_none()
        });
        if !ok {
            return Err(CommentError::Invalid(
                "The comment you are replying to is no longer in the thread (replies go one level deep)."
                    .into(),
            ));
        }
    }
    let facts = Facts {
        pre_moderation: pre,
        sanctioned_pre: standing.premod != 0,
        approved: standing.approved,
        new_commenter_holds: s.new_commenter_holds,
    };
    let (text, hold, warn) = check_text(&s, body, &facts, confirmed)?;
    if let Some(w) = warn {
        return Ok(Posted::Warned(format!(
            "Your comment would be held for a moderator because {w}. Edit it, or send it as it is."
        )));
    }
    let hash = hash_of(&text);
    if store
        .recent_duplicate(reader.id, &hash, t - DUPLICATE_WINDOW_SECS)
        .await?
    {
        return Err(CommentError::Invalid(
            "You have already posted this comment. Write something new, or edit the one you posted."
                .into(),
        ));
    }
    // The limits are taken only for a comment that is about to be written.
    let guard = app.comment_guard();
    if let Some(ip) = client {
        guard
            .client
            .take(&ClientKey::from(ip))
            .map_err(|w| too_fast(&w))?;
    }
    guard.reader.take(&reader.id).map_err(|w| too_fast(&w))?;
    let status = if hold.is_some() {
        CommentState::Pending
    } else {
        CommentState::Public
    };
    let (rule, score, threshold) = match &hold {
        Some(h) => (h.rule.as_str(), h.score, h.threshold),
        None => ("", 0, 0),
    };
    let mut tx = store.begin().await?;
    let id = tx
        .insert_comment(
            &NewComment {
                story_id,
                reader_id: reader.id,
                parent_id: parent,
                author_name: &reader.display_name,
                body: &text,
                body_hash: &hash,
                status: status.as_str(),
                held_rule: rule,
                held_score: score,
                held_threshold: threshold,
            },
            t,
        )
        .await?;
    if status == CommentState::Public {
        tx.count_approved(reader.id).await?;
        tx.change(&public_keys(story_id), t).await?;
    }
    tx.commit().await?;
    if status == CommentState::Public {
        app.apply_changes().await?;
        notify_reply(app, id).await;
        Ok(Posted::Public(id))
    } else {
        Ok(Posted::Held(id))
    }
}

fn too_fast(w: &crate::throttle::Wait) -> CommentError {
    CommentError::Limited(format!(
        "You are commenting too fast. Try again in {}.",
        w.words()
    ))
}

/// The reader's own comment, or not found (someone else's is not found too).
async fn own_comment(app: &App, reader: &ReaderAccount, id: i64) -> CResult<CommentRow> {
    app.store()
        .comment(id)
        .await?
        .filter(|c| c.reader_id == Some(reader.id))
        .ok_or(CommentError::NotFound)
}

/// The author edits their comment within the edit window.
pub async fn edit(
    app: &App,
    reader: &ReaderAccount,
    id: i64,
    body: &str,
    confirmed: bool,
) -> CResult<Posted> {
    let c = own_comment(app, reader, id).await?;
    let t = now();
    let from: CommentState = c
        .status
        .parse()
        .map_err(|e: String| AppError::Internal(e))?;
    if t >= c.created_at + rules::EDIT_WINDOW_SECS || rules::next(from, Move::Edit).is_none() {
        return Err(CommentError::Refused(format!(
            "A comment can be edited for {} after it is posted, while it is public or waiting for a moderator.",
            rules::words_for(rules::EDIT_WINDOW_SECS)
        )));
    }
    let story = published(app, c.story_id).await?;
    let s = settings(app).await?;
    let store = app.store();
    let standing = store.commenter_standing(reader.id).await?;
    if let Err(e) = may_post(app, &s, reader, &standing, t).await? {
        return Err(CommentError::Refused(e));
    }
    let pre = match openness(app, &s, &story, t).await? {
        Openness::Open { pre } => pre,
        o => return Err(CommentError::Refused(o.message().to_string())),
    };
    let facts = Facts {
        pre_moderation: pre,
        sanctioned_pre: standing.premod != 0,
        // An edit is judged on its text: the reader's earlier comments stand.
        approved: standing.approved.max(s.new_commenter_holds),
        new_commenter_holds: s.new_commenter_holds,
    };
    let (text, hold, warn) = check_text(&s, body, &facts, confirmed)?;
    if let Some(w) = warn {
        return Ok(Posted::Warned(format!(
            "Your edit would be held for a moderator because {w}. Edit it again, or save it as it is."
        )));
    }
    let mv = if hold.is_some() {
        Move::EditHeld
    } else {
        Move::Edit
    };
    let to = rules::next(from, mv).ok_or(CommentError::NotFound)?;
    let h = match &hold {
        Some(h) => (h.rule.as_str(), h.score, h.threshold),
        None => ("", 0, 0),
    };
    let mut tx = store.begin().await?;
    if !tx
        .edit_comment(id, from.as_str(), to.as_str(), &text, &hash_of(&text), h, t)
        .await?
    {
        return Err(CommentError::Invalid(
            "This comment was changed by a moderator meanwhile: reload the page.".into(),
        ));
    }
    if from == CommentState::Public {
        tx.unfeature_gone(&[c.story_id]).await?;
        tx.change(&public_keys(c.story_id), t).await?;
    }
    tx.commit().await?;
    if from == CommentState::Public {
        app.apply_changes().await?;
    }
    Ok(if to == CommentState::Public {
        Posted::Public(id)
    } else {
        Posted::Held(id)
    })
}

/// The author deletes their comment.
pub async fn delete(app: &App, reader: &ReaderAccount, id: i64) -> CResult<i64> {
    let c = own_comment(app, reader, id).await?;
    let from: CommentState = c
        .status
        .parse()
        .map_err(|e: String| AppError::Internal(e))?;
    let to = rules::next(from, Move::Delete).ok_or_else(|| {
        CommentError::Refused(
            "This comment was removed by a moderator: it cannot be deleted.".into(),
        )
    })?;
    let t = now();
    let mut tx = app.store().begin().await?;
    if !tx
        .move_comment(id, from.as_str(), to.as_str(), "", &c.reason, t)
        .await?
    {
        return Err(CommentError::Invalid(
            "This comment was changed meanwhile: reload the page.".into(),
        ));
    }
    if from == CommentState::Public {
        tx.unfeature_gone(&[c.story_id]).await?;
        tx.change(&public_keys(c.story_id), t).await?;
    }
    tx.commit().await?;
    if from == CommentState::Public {
        app.apply_changes().await?;
    }
    Ok(c.story_id)
}

/// A reader reports a public comment, with a reason (once per comment).
pub async fn report(app: &App, reader: &ReaderAccount, id: i64, reason: &str) -> CResult<i64> {
    let c = app
        .store()
        .comment(id)
        .await?
        .filter(|c| c.status == "public")
        .ok_or(CommentError::NotFound)?;
    let reason =
        rules::reason(reason, "a reason for your report", true).map_err(CommentError::Invalid)?;
    app.comment_guard().reports.take(&reader.id).map_err(|w| {
        CommentError::Limited(format!(
            "You have sent many reports. Try again in {}.",
            w.words()
        ))
    })?;
    let mut tx = app.store().begin().await?;
    tx.report_comment(id, reader.id, &reason, now()).await?;
    tx.commit().await?;
    Ok(c.story_id)
}

/// Mails the author of the comment a newly public reply answers (once per
/// reply; never to themselves). Failures are logged: the reply stands.
async fn notify_reply(app: &App, reply_id: i64) {
    if let Err(e) = try_notify_reply(app, reply_id).await {
        tracing::warn!(error = %e, reply = reply_id, "reply notification not sent");
    }
}

async fn try_notify_reply(app: &App, reply_id: i64) -> crate::Result<()> {
    let store = app.store();
    let Some(reply) = store.comment(reply_id).await? else {
        return Ok(());
    };
    let Some(parent_id) = reply.parent_id else {
        return Ok(());
    };
    if reply.status != "public" {
        return Ok(());
    }
    let Some(parent) = store.comment(parent_id).await? else {
        return Ok(());
    };
    let Some(to) = parent.reader_id.filter(|r| Some(*r) != reply.reader_id) else {
        return Ok(());
    };
    let Some(reader) = store.reader_by_id(to).await? else {
        return Ok(());
    };
    if reader.email_verified_at.is_none() {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    let first = tx.mark_reply_notified(reply_id).await?;
    tx.commit().await?;
    if !first {
        return Ok(());
    }
    let link =
        crate::readers::site_link(app, &format!("/comments/{}#c-{}", reply.story_id, reply.id));
    let story = store.story(reply.story_id).await?;
    let headline = story.map(|s| s.headline).unwrap_or_default();
    app.mailer().send_later(Mail {
        to: reader.email,
        subject: format!("{} replied to your comment", reply.author_name),
        text: format!(
            "{} replied to your comment on \"{headline}\":\n\n{}\n\nRead the conversation: {link}\n",
            reply.author_name, reply.body
        ),
    });
    Ok(())
}

// ----- moderation ---------------------------------------------------------------------

fn moderator(actor: &Actor) -> crate::Result<()> {
    if actor.allows(Action::ModerateComments) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Moderating comments needs the moderator, editor or admin role.".into(),
        ))
    }
}

/// A comment in a queue, with its open reports.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub shown: Shown,
    pub headline: String,
    pub state: String,
    pub reports: Vec<ReportRow>,
}

/// A queue filter: `queue` is pending, reported, approved, rejected or all.
pub fn filter(queue: &str, story: Option<i64>, reader: Option<i64>, limit: i64) -> QueueFilter {
    QueueFilter {
        queue: queue.to_string(),
        story_id: story,
        reader_id: reader,
        before: None,
        limit,
    }
}

/// A moderation queue.
pub async fn queue(app: &App, actor: &Actor, f: &QueueFilter) -> crate::Result<Vec<QueueItem>> {
    moderator(actor)?;
    let rows = app.store().comment_queue(f).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.comment.id).collect();
    let reports = app.store().open_reports(&ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| QueueItem {
            reports: reports
                .iter()
                .filter(|x| x.comment_id == r.comment.id)
                .cloned()
                .collect(),
            state: r.comment.status.clone(),
            headline: r.headline,
            shown: shown(r.comment),
        })
        .collect())
}

/// What a bulk moderation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moderated {
    pub done: usize,
    /// Comments not in a state the move applies to (or changed meanwhile).
    pub skipped: usize,
}

/// A moderator's move on one or more comments, audited one by one.
pub async fn moderate(
    app: &App,
    actor: &Actor,
    ids: &[i64],
    mv: Move,
    reason: &str,
) -> crate::Result<Moderated> {
    moderator(actor)?;
    if !mv.by_moderator() {
        return Err(AppError::Invalid(
            "Use approve, reject, hide, remove, restore or dismiss.".into(),
        ));
    }
    if ids.is_empty() {
        return Err(AppError::Invalid(
            "Tick the comments to act on first.".into(),
        ));
    }
    if ids.len() > 200 {
        return Err(AppError::Invalid(
            "Act on at most 200 comments at a time.".into(),
        ));
    }
    let reason = rules::reason(reason, "the reason shown to the author", false)
        .map_err(AppError::Invalid)?;
    let t = now();
    let store = app.store();
    let mut out = Moderated::default();
    let mut keys: Vec<Key> = Vec::new();
    let mut went_public = Vec::new();
    let mut tx = store.begin().await?;
    for id in ids {
        let Some(c) = store.comment(*id).await? else {
            out.skipped += 1;
            continue;
        };
        let Ok(from) = c.status.parse::<CommentState>() else {
            out.skipped += 1;
            continue;
        };
        let Some(to) = rules::next(from, mv) else {
            out.skipped += 1;
            continue;
        };
        let decision = match mv {
            Move::Approve | Move::Restore => "approved",
            Move::Reject | Move::Hide | Move::Remove => "rejected",
            _ => "",
        };
        let shown_reason = if to == CommentState::Public {
            ""
        } else if reason.is_empty() {
            c.reason.as_str()
        } else {
            reason.as_str()
        };
        if !tx
            .move_comment(c.id, from.as_str(), to.as_str(), decision, shown_reason, t)
            .await?
        {
            out.skipped += 1;
            continue;
        }
        tx.resolve_reports(c.id, t).await?;
        if mv == Move::Approve
            && let Some(r) = c.reader_id
        {
            tx.count_approved(r).await?;
        }
        let detail = format!(
            "comment {}: {from} -> {to}{}{}",
            c.id,
            if c.held_rule.is_empty() {
                String::new()
            } else {
                format!(
                    "; held by {} (score {} of {})",
                    c.held_rule, c.held_score, c.held_threshold
                )
            },
            if reason.is_empty() {
                String::new()
            } else {
                format!("; reason: {reason}")
            }
        );
        tx.audit(
            actor,
            &format!("comment.{}", mv.as_str()),
            Some(c.story_id),
            &detail,
            t,
        )
        .await?;
        if (from == CommentState::Public) != (to == CommentState::Public) {
            keys.push(Key::Story(c.story_id));
        }
        if to == CommentState::Public && c.parent_id.is_some() {
            went_public.push(c.id);
        }
        out.done += 1;
    }
    if !keys.is_empty() {
        // A featured comment that stops being public stops being featured.
        let stories: Vec<i64> = keys
            .iter()
            .filter_map(|k| match k {
                Key::Story(id) => Some(*id),
                _ => None,
            })
            .collect();
        tx.unfeature_gone(&stories).await?;
        keys.push(Key::Rankings);
        keys.sort_unstable();
        keys.dedup();
        tx.change(&keys::join(&keys), t).await?;
    }
    tx.commit().await?;
    if !keys.is_empty() {
        app.apply_changes().await?;
    }
    for id in went_public {
        notify_reply(app, id).await;
    }
    Ok(out)
}

/// A reader's file for moderators: standing, sanctions and comments.
#[derive(Debug, Clone)]
pub struct CommenterFile {
    pub reader: ReaderAccount,
    pub standing: StandingRow,
    pub sanctions: Vec<SanctionRow>,
    pub comments: Vec<QueueItem>,
}

pub async fn commenter(app: &App, actor: &Actor, reader_id: i64) -> crate::Result<CommenterFile> {
    moderator(actor)?;
    let store = app.store();
    let reader = store
        .reader_by_id(reader_id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such reader.".into()))?
        .account();
    let comments = queue(
        app,
        actor,
        &QueueFilter {
            queue: "all".into(),
            reader_id: Some(reader_id),
            limit: 100,
            ..QueueFilter::default()
        },
    )
    .await?;
    Ok(CommenterFile {
        standing: store.commenter_standing(reader_id).await?,
        sanctions: store.comment_sanctions(reader_id).await?,
        reader,
        comments,
    })
}

/// A sanction on a commenter, with the moderator's note and the reason the
/// reader is shown. A ban also takes their public comments out of every thread.
pub async fn sanction(
    app: &App,
    actor: &Actor,
    reader_id: i64,
    kind: Sanction,
    hours: i64,
    reason: &str,
    note: &str,
) -> crate::Result<()> {
    moderator(actor)?;
    let store = app.store();
    if store.reader_by_id(reader_id).await?.is_none() {
        return Err(AppError::NotFound("No such reader.".into()));
    }
    let needed = !matches!(kind, Sanction::Lift);
    let reason = rules::reason(reason, "the reason the reader will see", needed)
        .map_err(AppError::Invalid)?;
    let note = rules::reason(note, "the note for moderators", false).map_err(AppError::Invalid)?;
    let t = now();
    let mut s = store.commenter_standing(reader_id).await?;
    let until = match kind {
        Sanction::Suspend => {
            if !(1..=24 * 365).contains(&hours) {
                return Err(AppError::Invalid(
                    "Give the suspension's length in hours, from 1 to 8760.".into(),
                ));
            }
            s.suspended_until = t + hours * 3600;
            Some(s.suspended_until)
        }
        Sanction::Ban => {
            s.banned = 1;
            None
        }
        Sanction::PreModerate => {
            s.premod = 1;
            None
        }
        Sanction::Lift => {
            s.banned = 0;
            s.premod = 0;
            s.suspended_until = 0;
            None
        }
        Sanction::Warn => None,
    };
    s.reason = reason.clone();
    let mut tx = store.begin().await?;
    tx.set_standing(reader_id, &s).await?;
    tx.insert_sanction(
        reader_id,
        kind.as_str(),
        until,
        &reason,
        &note,
        actor.staff_id(),
        t,
    )
    .await?;
    tx.audit(
        actor,
        &format!("commenter.{}", kind.as_str()),
        None,
        &format!(
            "reader {reader_id}: {reason}{}",
            if note.is_empty() {
                String::new()
            } else {
                format!("; note: {note}")
            }
        ),
        t,
    )
    .await?;
    let mut keys: Vec<Key> = Vec::new();
    if kind == Sanction::Ban {
        let stories = tx
            .hide_public_comments_of(reader_id, &format!("Your account was banned: {reason}"), t)
            .await?;
        tx.unfeature_gone(&stories).await?;
        keys.extend(stories.into_iter().map(Key::Story));
    }
    if !keys.is_empty() {
        keys.push(Key::Rankings);
        tx.change(&keys::join(&keys), t).await?;
    }
    tx.commit().await?;
    if !keys.is_empty() {
        app.apply_changes().await?;
    }
    Ok(())
}

/// The settings as the newsroom form holds them.
pub async fn settings_row(app: &App, actor: &Actor) -> crate::Result<CommentSettingsRow> {
    moderator(actor)?;
    Ok(app.store().comment_settings().await?)
}

/// Saves the paper's comment settings (checked first). Turning comments on
/// or off, or changing who may comment, changes every thread page.
pub async fn save_settings(
    app: &App,
    actor: &Actor,
    new: &CommentSettingsRow,
) -> crate::Result<()> {
    moderator(actor)?;
    for (list, what) in [
        (&new.banned_words, "banned"),
        (&new.suspect_words, "suspect"),
    ] {
        rules::parse_word_list(list)
            .map_err(|e| AppError::Invalid(format!("The {what} word list: {e}")))?;
    }
    if !matches!(new.who.as_str(), "registered" | "subscribers") {
        return Err(AppError::Invalid(
            "Choose who may comment: registered readers or subscribers.".into(),
        ));
    }
    if !matches!(new.default_moderation.as_str(), "pre" | "post") {
        return Err(AppError::Invalid("Choose pre- or post-moderation.".into()));
    }
    if !(0..=24 * 365).contains(&new.close_after_hours) {
        return Err(AppError::Invalid(
            "Close comments after 0 (never) to 8760 hours.".into(),
        ));
    }
    if !(0..=100).contains(&new.new_commenter_holds) {
        return Err(AppError::Invalid(
            "Hold new commenters for 0 to 100 approved comments.".into(),
        ));
    }
    if !(1..=1000).contains(&new.hold_threshold) {
        return Err(AppError::Invalid(
            "The hold threshold is a score from 1 to 1000.".into(),
        ));
    }
    rules::reason(
        &new.off_message,
        "the message shown while comments are off",
        false,
    )
    .map_err(AppError::Invalid)?;
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.set_comment_settings(new, t).await?;
    tx.audit(
        actor,
        "comments.settings",
        None,
        "comment settings saved",
        t,
    )
    .await?;
    // Every thread page shows whether comments are open.
    tx.change(&keys::join(&[Key::All]), t).await?;
    tx.commit().await?;
    app.apply_changes().await?;
    Ok(())
}

/// Sets a story's or a section's policy.
pub async fn set_policy(app: &App, actor: &Actor, p: &PolicyRow) -> crate::Result<()> {
    moderator(actor)?;
    if !matches!(p.open.as_str(), "open" | "closed" | "inherit")
        || !matches!(p.moderation.as_str(), "pre" | "post" | "inherit")
    {
        return Err(AppError::Invalid(
            "Choose open, closed or as the section; pre-, post-moderation or as the section."
                .into(),
        ));
    }
    let key = match p.scope.as_str() {
        "story" => {
            if app.store().story(p.target_id).await?.is_none() {
                return Err(AppError::Invalid(format!(
                    "There is no story {}.",
                    p.target_id
                )));
            }
            Key::Story(p.target_id)
        }
        "section" => {
            if app.sections().get(p.target_id).is_none() {
                return Err(AppError::Invalid(format!(
                    "There is no section {}.",
                    p.target_id
                )));
            }
            // Thread pages of every story below carry their story key only.
            Key::All
        }
        _ => {
            return Err(AppError::Invalid(
                "A policy is for a story or a section.".into(),
            ));
        }
    };
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.set_comment_policy(p).await?;
    tx.audit(
        actor,
        "comments.policy",
        (p.scope == "story").then_some(p.target_id),
        &format!(
            "{} {}: {}, {}-moderation{}",
            p.scope,
            p.target_id,
            p.open,
            p.moderation,
            if p.legal != 0 { ", legal" } else { "" }
        ),
        t,
    )
    .await?;
    tx.change(&keys::join(&[key]), t).await?;
    tx.commit().await?;
    app.apply_changes().await?;
    Ok(())
}

pub async fn policies(app: &App, actor: &Actor) -> crate::Result<Vec<PolicyRow>> {
    moderator(actor)?;
    Ok(app.store().comment_policies().await?)
}
