//! The rest of the conversation around comments (issue 12, item 1):
//! reactions (one per reader per comment, toggled, never on their own
//! comment, rate-limited), featured comments (moderators with
//! `FeatureComments`, audited; a comment that stops being public stops
//! being featured, see `comments::moderate`, `delete`, `edit`, `sanction`),
//! the "Subscriber" and "Staff" badges (derived when a thread page is
//! rendered: an active entitlement through `readers::is_subscriber`, the
//! page carrying each commenter's `commenter-N` key, which every
//! entitlement write purges, and kept only until the next entitlement start
//! or end of its commenters by the clock; staff =
//! a reader whose verified address is that of a newsroom account that can
//! sign in), and each reader's ignore list with their private view of a
//! thread, where ignored commenters' comments are collapsed.
//!
//! The shared thread stays the same for everyone (its reaction counts,
//! featured block and badges are public facts); what belongs to one reader
//! (which comments they reacted to, whom they ignore) is only ever in their
//! private, uncached view.

use std::collections::HashSet;

use broadsheet_domain::permissions::Action;
use broadsheet_domain::{Actor, ReaderAccount};
use broadsheet_store::IgnoredRow;

use crate::comments::{CommentError, Moderated, Shown, Sort, Thread};
use crate::keys::{self, Key};
use crate::{App, AppError, now};

/// Reactions a reader may give (or take back), refilled over ten minutes.
pub const REACTIONS_PER_READER: u32 = 30;
/// At most this many featured comments head a thread.
pub const FEATURED_SHOWN: i64 = 5;

type CResult<T> = std::result::Result<T, CommentError>;

/// The readers behind a thread page's comments, and until when their
/// badges hold by the clock (see [`badges`]).
#[derive(Debug, Clone, Default)]
pub struct Badged {
    /// Every reader with a comment (or reply) on the page, once each.
    pub readers: Vec<i64>,
    /// The soonest time one of them gains or loses an entitlement by the
    /// clock alone (a subscription running out), if any.
    pub until: Option<i64>,
}

/// Sets the badges of every comment (and reply) on a thread page.
pub async fn badges(
    app: &App,
    featured: &mut [Shown],
    comments: &mut [Shown],
    t: i64,
) -> crate::Result<Badged> {
    let mut readers: Vec<i64> = Vec::new();
    for c in featured.iter().chain(comments.iter()) {
        readers.extend(c.row.reader_id);
        readers.extend(c.replies.iter().filter_map(|r| r.row.reader_id));
    }
    readers.sort_unstable();
    readers.dedup();
    let staff: HashSet<i64> = app
        .store()
        .staff_readers(&readers)
        .await?
        .into_iter()
        .collect();
    let mut subscribers = HashSet::new();
    for r in &readers {
        if crate::readers::is_subscriber(app, *r, t)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
        {
            subscribers.insert(*r);
        }
    }
    let set = |c: &mut Shown| {
        c.badges.clear();
        if let Some(r) = c.row.reader_id {
            if staff.contains(&r) {
                c.badges.push("Staff");
            }
            if subscribers.contains(&r) {
                c.badges.push("Subscriber");
            }
        }
    };
    for c in featured.iter_mut().chain(comments.iter_mut()) {
        set(c);
        c.replies.iter_mut().for_each(set);
    }
    let until = app.store().next_entitlement_change(&readers, t).await?;
    Ok(Badged { readers, until })
}

// ----- reactions ------------------------------------------------------------------------

/// What a reaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reacted {
    pub story_id: i64,
    /// The reader reacts to it now (false: they took their reaction back).
    pub on: bool,
    pub count: i64,
}

/// A signed-in reader recommends a public comment, or takes their
/// recommendation back. Not on their own comment.
pub async fn react(app: &App, reader: &ReaderAccount, id: i64) -> CResult<Reacted> {
    let store = app.store();
    let c = store
        .comment(id)
        .await?
        .filter(|c| c.status == "public")
        .ok_or(CommentError::NotFound)?;
    if c.reader_id == Some(reader.id) {
        return Err(CommentError::Refused(
            "You cannot recommend your own comment.".into(),
        ));
    }
    app.comment_guard()
        .reactions
        .take(&reader.id)
        .map_err(|w| {
            CommentError::Limited(format!(
                "You are recommending too fast. Try again in {}.",
                w.words()
            ))
        })?;
    let t = now();
    let mut tx = store.begin().await?;
    let (on, count) = tx.toggle_reaction(id, reader.id, t).await?;
    // The count is on the thread pages (and orders the most reacted one).
    tx.change(&keys::join(&[Key::Story(c.story_id)]), t).await?;
    tx.commit().await?;
    app.apply_changes().await?;
    Ok(Reacted {
        story_id: c.story_id,
        on,
        count,
    })
}

// ----- featuring --------------------------------------------------------------------------

/// A moderator features (`on`) or unfeatures public comments, audited one by one.
pub async fn feature(app: &App, actor: &Actor, ids: &[i64], on: bool) -> crate::Result<Moderated> {
    if !actor.allows(Action::FeatureComments) {
        return Err(AppError::Forbidden(
            "Featuring comments needs the moderator, editor or admin role.".into(),
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
    let store = app.store();
    let t = now();
    let mut out = Moderated::default();
    let mut stories: Vec<Key> = Vec::new();
    let mut tx = store.begin().await?;
    for id in ids {
        let Some(c) = store.comment(*id).await? else {
            out.skipped += 1;
            continue;
        };
        if !tx.set_featured(c.id, on.then_some(t)).await? {
            // Not public, or already so.
            out.skipped += 1;
            continue;
        }
        let what = if on { "feature" } else { "unfeature" };
        tx.audit(
            actor,
            &format!("comment.{what}"),
            Some(c.story_id),
            &format!("comment {}: {what}d", c.id),
            t,
        )
        .await?;
        stories.push(Key::Story(c.story_id));
        out.done += 1;
    }
    if !stories.is_empty() {
        stories.sort_unstable();
        stories.dedup();
        tx.change(&keys::join(&stories), t).await?;
    }
    tx.commit().await?;
    if !stories.is_empty() {
        app.apply_changes().await?;
    }
    Ok(out)
}

// ----- ignoring ---------------------------------------------------------------------------

/// The reader ignores the author of comment `id`; returns the story it is
/// on and the author's name. Not themselves, nor a comment without an account.
pub async fn ignore_author(app: &App, reader: &ReaderAccount, id: i64) -> CResult<(i64, String)> {
    let store = app.store();
    let c = store
        .comment(id)
        .await?
        .filter(|c| c.status == "public")
        .ok_or(CommentError::NotFound)?;
    let Some(author) = c.reader_id else {
        return Err(CommentError::Invalid(
            "This comment's author has no reader account to ignore.".into(),
        ));
    };
    if author == reader.id {
        return Err(CommentError::Invalid("You cannot ignore yourself.".into()));
    }
    let mut tx = store.begin().await?;
    tx.set_ignored(reader.id, author, true, now()).await?;
    tx.commit().await?;
    Ok((c.story_id, c.author_name))
}

/// The reader stops ignoring `ignored_id`.
pub async fn unignore(app: &App, reader: &ReaderAccount, ignored_id: i64) -> CResult<()> {
    let mut tx = app.store().begin().await?;
    tx.set_ignored(reader.id, ignored_id, false, now()).await?;
    tx.commit().await?;
    Ok(())
}

/// The commenters a reader ignores.
pub async fn ignored(app: &App, reader: &ReaderAccount) -> crate::Result<Vec<IgnoredRow>> {
    Ok(app.store().ignored_commenters(reader.id).await?)
}

/// One reader's view of a thread page: the shared page, with which comments
/// they recommend and whose comments they ignore.
#[derive(Debug, Clone)]
pub struct Personal {
    pub thread: Thread,
    pub reacted: HashSet<i64>,
    pub ignored: HashSet<i64>,
}

pub async fn personal(
    app: &App,
    reader: &ReaderAccount,
    story_id: i64,
    sort: Sort,
    cursor: Option<i64>,
) -> CResult<Personal> {
    let thread = crate::comments::thread(app, story_id, sort, cursor).await?;
    let mut ids: Vec<i64> = Vec::new();
    for c in thread.featured.iter().chain(thread.comments.iter()) {
        ids.push(c.row.id);
        ids.extend(c.replies.iter().map(|r| r.row.id));
    }
    let store = app.store();
    let reacted = store
        .reacted_by(reader.id, &ids)
        .await?
        .into_iter()
        .collect();
    let ignored = store
        .ignored_commenters(reader.id)
        .await?
        .into_iter()
        .map(|r| r.ignored_id)
        .collect();
    Ok(Personal {
        thread,
        reacted,
        ignored,
    })
}
