//! Newsroom use cases: making, checking, publishing and withdrawing
//! stories. Every check goes through `permissions` (one table). Signing in
//! and sessions live in [`crate::signin`].

use broadsheet_domain::permissions::{self, Action, Role, StoryFacts};
use broadsheet_domain::workflow::{self, Move};
use broadsheet_domain::{Actor, Story, StoryStatus, permalink};
use broadsheet_store::StoreError;
use broadsheet_store::{AuditEntry, DeskItem, Revision, Saved, StoryEdit, Tx};

// Sign-in moved to `signin`; these names stay reachable from here for the
// handlers that already use them.
pub use crate::signin::{
    SESSION_SECS, SignInError, Staff, random_token, session, sign_out, token_hash,
};

use crate::keys::{self, Key};
use crate::{App, AppError, Result, now};

fn denied(what: &str) -> AppError {
    AppError::Forbidden(format!("Your role does not allow you to {what}."))
}

/// The one refusal for an action the actor's role lacks (`what`: what they
/// tried, as in "Your role does not allow you to {what}.").
pub(crate) fn require(actor: &Actor, action: Action, what: &str) -> Result<()> {
    if actor.allows(action) {
        Ok(())
    } else {
        Err(denied(what))
    }
}

impl Staff {
    /// The staff member as the actor of a use case.
    pub fn actor(&self) -> Actor {
        Actor::Staff {
            id: self.id,
            role: self.role,
        }
    }
}

/// Whether the actor wrote the story (is among its bylines or created it).
fn own(actor: &Actor, story: &Story) -> bool {
    actor
        .staff_id()
        .is_some_and(|me| story.created_by == Some(me) || story.authors.iter().any(|a| a.id == me))
}

fn facts(actor: &Actor, story: &Story) -> StoryFacts {
    StoryFacts {
        own: own(actor, story),
        status: story.status,
    }
}

/// The object-level rules of `permissions` for any actor: staff by role; the
/// operator may do anything; the scheduler, readers and agencies nothing here.
fn may(actor: &Actor, story: &Story, rule: fn(Role, StoryFacts) -> bool) -> bool {
    match actor {
        Actor::Staff { role, .. } => rule(*role, facts(actor, story)),
        Actor::Operator => true,
        Actor::Scheduler | Actor::Reader { .. } | Actor::Agency { .. } => false,
    }
}

/// Checks the fields of an edit: what is wrong and how to fix it.
pub async fn validate(app: &App, e: &StoryEdit) -> Result<()> {
    if e.headline.trim().is_empty() {
        return Err(AppError::Invalid(
            "The headline is empty: every story needs one.".into(),
        ));
    }
    if e.headline.chars().count() > 200 {
        return Err(AppError::Invalid(
            "The headline is longer than 200 characters: shorten it.".into(),
        ));
    }
    if app.sections().get(e.section_id).is_none() {
        return Err(AppError::Invalid("Choose a section for the story.".into()));
    }
    if let Some(pic) = e.lead_picture_id
        && app.store().pictures(&[pic]).await?.is_empty()
    {
        return Err(AppError::Invalid(format!(
            "There is no picture {pic}: choose one from the media library, or leave the lead picture empty."
        )));
    }
    check_tag_names(&e.tags)?;
    if !e.authors.is_empty() {
        let staff: Vec<i64> = app
            .store()
            .staff_ids()
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        if let Some(bad) = e.authors.iter().find(|a| !staff.contains(a)) {
            return Err(AppError::Invalid(format!(
                "Byline {bad} is not a member of staff: choose from the list."
            )));
        }
    }
    // Too long or nested too deeply: refused with what to do.
    crate::render::check_body(&e.body).await
}

/// The edit as this actor may make it: the breaking flag kept as stored if
/// they may not curate the front; bylines de-duplicated, and refused if they
/// would leave someone without `EditAnyStory` off their own story.
fn as_allowed(actor: &Actor, stored_breaking: bool, e: &StoryEdit) -> Result<StoryEdit> {
    let mut e = e.clone();
    if !permissions::may_set_breaking(actor) {
        e.breaking = stored_breaking;
    }
    let mut authors = Vec::with_capacity(e.authors.len());
    for a in &e.authors {
        if !authors.contains(a) {
            authors.push(*a);
        }
    }
    e.authors = authors;
    if !permissions::may_set_bylines(actor, &e.authors) {
        return Err(AppError::Invalid(
            "You can share the byline with colleagues, but your own name must stay on it: add yourself back to the bylines (an editor can change them)."
                .into(),
        ));
    }
    Ok(e)
}

/// Turns the tag names of an edit into tag ids inside the use case's
/// transaction, making new tags as needed (after every check has passed).
pub(crate) async fn resolve_tags(tx: &mut Tx, names: &[String]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let slug = permalink::slugify(name, 60);
        if slug.is_empty() {
            continue;
        }
        let id = tx.tag_id(&slug, name).await?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Writes a new draft (version 1) inside the use case's transaction: the
/// story, its bylines (none: left empty), its tags (made as needed) and its
/// first revision, noted `note`, by `created_by`. Returns its id, slug and
/// tag ids. The one place a story is made: the newsroom's form, and agency
/// copy opened by the desk or published automatically (`wire.rs`).
pub(crate) async fn insert_new_draft(
    tx: &mut Tx,
    e: &StoryEdit,
    created_by: Option<i64>,
    authors: &[i64],
    note: &str,
    t: i64,
) -> Result<(i64, String, Vec<i64>)> {
    let slug = permalink::slugify(&e.headline, 80);
    let id = tx.insert_draft(e, &slug, created_by, t).await?;
    if !authors.is_empty() {
        tx.set_story_authors(id, authors).await?;
    }
    let tags = resolve_tags(tx, &e.tags).await?;
    tx.set_story_tags(id, &tags).await?;
    tx.revision(id, 1, created_by, e, note, t).await?;
    Ok((id, slug, tags))
}

pub async fn create(app: &App, actor: &Actor, e: &StoryEdit) -> Result<i64> {
    if !actor.allows(Action::CreateStory) {
        return Err(denied("write stories"));
    }
    validate(app, e).await?;
    let e = as_allowed(actor, false, e)?;
    let t = now();
    let mut tx = app.store().begin().await?;
    let authors: Vec<i64> = match (e.authors.is_empty(), actor.staff_id()) {
        (false, _) => e.authors.clone(),
        (true, Some(me)) => vec![me],
        (true, None) => Vec::new(),
    };
    let (id, _, _) =
        insert_new_draft(&mut tx, &e, actor.staff_id(), &authors, "created", t).await?;
    tx.audit(actor, "create", Some(id), "", t).await?;
    // No page shows a draft; the newsroom's search follows it on every node.
    tx.change(&keys::join(&[Key::Story(id)]), t).await?;
    tx.commit().await?;
    Ok(id)
}

/// A story the actor may see, or NotFound (never "exists but hidden").
pub async fn open(app: &App, actor: &Actor, id: i64) -> Result<Story> {
    let Some(story) = app.store().story(id).await? else {
        return Err(AppError::NotFound(format!("There is no story {id}.")));
    };
    if !may(actor, &story, permissions::can_view_story) {
        return Err(AppError::NotFound(format!("There is no story {id}.")));
    }
    Ok(story)
}

pub fn may_edit(actor: &Actor, story: &Story) -> bool {
    may(actor, story, permissions::can_edit_story)
}

pub fn may_publish(actor: &Actor, story: &Story) -> bool {
    may(actor, story, permissions::can_publish_story)
}

/// Saves an edit made from `from_version`. A save by someone without
/// publish rights on a submitted or scheduled story returns it to draft
/// (what the editor reviewed is no longer what would go out); the schedule
/// is cleared and the audit log says why.
pub async fn save(
    app: &App,
    actor: &Actor,
    id: i64,
    from_version: i64,
    e: &StoryEdit,
) -> Result<Saved> {
    let story = open(app, actor, id).await?;
    if !may_edit(actor, &story) {
        return Err(denied("edit this story"));
    }
    validate(app, e).await?;
    let e = as_allowed(actor, story.breaking, e)?;
    let published = story.status == StoryStatus::Published;
    let back_to_draft = matches!(
        story.status,
        StoryStatus::Submitted | StoryStatus::Scheduled
    ) && !may_publish(actor, &story);
    if back_to_draft {
        workflow::check(actor, own(actor, &story), story.status, StoryStatus::Draft)
            .map_err(refused)?;
    }
    let t = now();
    let mut tx = app.store().begin().await?;
    let applied = tx
        .update_story_text(id, from_version, &e, t, published)
        .await?;
    let outcome = if applied {
        let tags = resolve_tags(&mut tx, &e.tags).await?;
        tx.set_story_tags(id, &tags).await?;
        if !e.authors.is_empty() {
            tx.set_story_authors(id, &e.authors).await?;
        }
        if back_to_draft {
            // Saved from the version we checked, so the status is the one we read.
            if !tx
                .move_story(id, story.status, None, StoryStatus::Draft, None, t)
                .await?
            {
                return Err(changed_since(app, &story, StoryStatus::Draft).await);
            }
            tx.audit(
                actor,
                Move::ReturnToDraft.as_str(),
                Some(id),
                &format!(
                    "was {}: changed by someone without publish rights, so it needs review again{}",
                    story.status.as_str(),
                    if story.status == StoryStatus::Scheduled {
                        "; schedule cleared"
                    } else {
                        ""
                    }
                ),
                t,
            )
            .await?;
        }
        let current = current_version(&mut tx, id).await?;
        tx.revision(id, current, actor.staff_id(), &e, "saved", t)
            .await?;
        tx.audit(actor, "save", Some(id), "saved", t).await?;
        if published {
            let mut k = keys::for_story(&story, &app.sections());
            k.extend(tags.iter().map(|t| Key::Tag(*t)));
            tx.change(&keys::join(&k), t).await?;
            let mut after = story.clone();
            after.headline = e.headline.clone();
            after.section_id = e.section_id;
            crate::webhooks::queue(app, &mut tx, "story.updated", &after, t).await?;
        } else {
            // The newsroom's search follows drafts on every node.
            tx.change(&keys::join(&[Key::Story(id)]), t).await?;
        }
        Saved::Ok(current)
    } else {
        let current = current_version(&mut tx, id).await?;
        let note =
            format!("not applied: started from version {from_version}, story was at {current}");
        tx.revision(id, from_version, actor.staff_id(), &e, &note, t)
            .await?;
        tx.audit(actor, "save-conflict", Some(id), &note, t).await?;
        Saved::Conflict { current }
    };
    tx.commit().await?;
    if published && matches!(outcome, Saved::Ok(_)) {
        app.apply_changes().await?;
    }
    Ok(outcome)
}

async fn current_version(tx: &mut Tx, id: i64) -> Result<i64> {
    match tx.story_state(id).await? {
        Some(s) => Ok(s.version),
        None => Err(AppError::NotFound(format!("There is no story {id}."))),
    }
}

fn refused(r: workflow::Refusal) -> AppError {
    match r {
        workflow::Refusal::Denied(_) => AppError::Forbidden(r.message()),
        workflow::Refusal::NoSuchStep { .. } => AppError::Invalid(r.message()),
    }
}

/// Why a guarded move found the story no longer as it was read.
async fn changed_since(app: &App, was: &Story, to: StoryStatus) -> AppError {
    let now_is = match app.store().story(was.id).await {
        Ok(Some(s)) => s,
        Ok(None) => return AppError::NotFound(format!("There is no story {}.", was.id)),
        Err(e) => return e.into(),
    };
    if now_is.status == to && to == StoryStatus::Published {
        AppError::Invalid(
            "The story is already published (someone published it a moment ago).".into(),
        )
    } else if now_is.status != was.status {
        AppError::Invalid(format!(
            "The story changed since you opened it: it is now {}. Open it again.",
            now_is.status.as_str()
        ))
    } else {
        AppError::Invalid(format!(
            "The story changed since you opened it (you opened version {}; it is now at version {}): open it again, read the changes, then try again.",
            was.version, now_is.version
        ))
    }
}

/// Moves `story` (as read) to `to` along the state machine, guarded by its
/// status (and `version`, if given), with the audit row and change event in
/// the same transaction. `Ok(None)`: the guard lost a race (nothing changed).
async fn try_move(
    app: &App,
    actor: &Actor,
    story: &Story,
    to: StoryStatus,
    version: Option<i64>,
    scheduled_at: Option<i64>,
    detail: &str,
) -> Result<Option<Move>> {
    let mv = workflow::check(actor, own(actor, story), story.status, to).map_err(refused)?;
    let visible = to == StoryStatus::Published || story.status == StoryStatus::Published;
    let k = if visible {
        keys::join(&keys::for_story(story, &app.sections()))
    } else {
        // Only the newsroom's search shows it: it follows on every node.
        keys::join(&[Key::Story(story.id)])
    };
    let t = now();
    let mut tx = app.store().begin().await?;
    if !tx
        .move_story(story.id, story.status, version, to, scheduled_at, t)
        .await?
    {
        return Ok(None);
    }
    tx.audit(actor, mv.as_str(), Some(story.id), detail, t)
        .await?;
    tx.change(&k, t).await?;
    if let Some(event) = crate::webhooks::move_event(story.status, to) {
        crate::webhooks::queue(app, &mut tx, event, story, t).await?;
    }
    tx.commit().await?;
    Ok(Some(mv))
}

/// [`try_move`], with a lost race explained, and the change applied here at once.
async fn move_story(
    app: &App,
    actor: &Actor,
    story: &Story,
    to: StoryStatus,
    version: Option<i64>,
    scheduled_at: Option<i64>,
    detail: &str,
) -> Result<Move> {
    match try_move(app, actor, story, to, version, scheduled_at, detail).await? {
        Some(mv) => {
            if to == StoryStatus::Published || story.status == StoryStatus::Published {
                app.apply_changes().await?;
            }
            Ok(mv)
        }
        None => Err(changed_since(app, story, to).await),
    }
}

pub async fn submit(app: &App, actor: &Actor, id: i64) -> Result<()> {
    let story = open(app, actor, id).await?;
    if story.status != StoryStatus::Draft {
        return Err(AppError::Invalid(
            "Only a draft can be submitted for review.".into(),
        ));
    }
    move_story(app, actor, &story, StoryStatus::Submitted, None, None, "").await?;
    Ok(())
}

/// Publishes now, or schedules for `at` if it is in the future. `reviewed`
/// is the version the person publishing opened (and read): if the story
/// changed since, nothing is published and they are told to look again.
pub async fn publish(
    app: &App,
    actor: &Actor,
    id: i64,
    reviewed: i64,
    at: Option<i64>,
) -> Result<StoryStatus> {
    let story = open(app, actor, id).await?;
    if story.status == StoryStatus::Withdrawn {
        return Err(AppError::Invalid(
            "This story was withdrawn. Putting it back before readers is a separate decision: an editor uses Reinstate."
                .into(),
        ));
    }
    let t = now();
    let to = match at.filter(|at| *at > t + 5) {
        Some(_) => StoryStatus::Scheduled,
        None => StoryStatus::Published,
    };
    // Check the right first, so a refusal is not dressed up as a stale page.
    workflow::check(actor, own(actor, &story), story.status, to).map_err(refused)?;
    // Agency copy: never once the agency killed it; under embargo, no
    // earlier than the embargo.
    if let Some((embargo, killed)) = app.store().story_wire_hold(id).await? {
        if killed {
            return Err(AppError::Invalid(
                "Not published: the agency killed the item this story was made from, so it must not be used."
                    .into(),
            ));
        }
        if let Some(until) = embargo
            && until > t
            && (to == StoryStatus::Published || at.unwrap_or(t) < until)
        {
            return Err(AppError::Invalid(format!(
                "Not published: the agency embargoed this story until {}. Schedule it for then or later.",
                broadsheet_domain::time::show(until, &app.config().time_zone).text
            )));
        }
    }
    if story.version != reviewed {
        return Err(AppError::Invalid(format!(
            "Not published: the story changed since you opened it (you reviewed version {reviewed}; it is now at version {}). Open it again, read the changes, then publish.",
            story.version
        )));
    }
    let (scheduled_at, detail) = match to {
        StoryStatus::Scheduled => (at, format!("for {}; version {reviewed}", at.unwrap_or(t))),
        _ => (None, format!("version {reviewed}")),
    };
    move_story(
        app,
        actor,
        &story,
        to,
        Some(reviewed),
        scheduled_at,
        &detail,
    )
    .await?;
    Ok(to)
}

/// Takes a published story down: readers get 410 Gone on every node.
pub async fn withdraw(app: &App, actor: &Actor, id: i64) -> Result<()> {
    let story = open(app, actor, id).await?;
    move_story(app, actor, &story, StoryStatus::Withdrawn, None, None, "").await?;
    Ok(())
}

/// Puts a withdrawn story back before readers (needs the right to withdraw).
pub async fn reinstate(app: &App, actor: &Actor, id: i64) -> Result<()> {
    let story = open(app, actor, id).await?;
    if story.status != StoryStatus::Withdrawn {
        return Err(AppError::Invalid(format!(
            "Only a withdrawn story can be reinstated; this one is {}.",
            story.status.as_str()
        )));
    }
    move_story(app, actor, &story, StoryStatus::Published, None, None, "").await?;
    Ok(())
}

/// Publishes scheduled stories whose time has come. Returns how many this
/// call published: with several nodes, each due story is published by
/// exactly one of them (the move is guarded by status and version).
pub async fn publish_due(app: &App) -> Result<usize> {
    let due = app.store().due_scheduled(now()).await?;
    let mut published = 0;
    for (id, version) in due {
        let Some(story) = app.store().story(id).await? else {
            continue;
        };
        if story.status != StoryStatus::Scheduled || story.version != version {
            // Another node published it, or someone changed it, since we listed it.
            continue;
        }
        if let Some((_, true)) = app.store().story_wire_hold(id).await? {
            // The agency killed its item after the story was scheduled.
            continue;
        }
        if try_move(
            app,
            &Actor::Scheduler,
            &story,
            StoryStatus::Published,
            Some(version),
            None,
            &format!("scheduled; version {version}"),
        )
        .await?
        .is_some()
        {
            published += 1;
        }
    }
    if published > 0 {
        app.apply_changes().await?;
    }
    Ok(published)
}

/// The dashboard's lists.
pub struct Desk {
    pub drafts: Vec<DeskItem>,
    pub submitted: Vec<DeskItem>,
    pub scheduled: Vec<DeskItem>,
    pub published: Vec<DeskItem>,
    /// Agency files that could not be read and wait for someone to look
    /// (the wire's alert, `wire.rs`).
    pub wire_alerts: i64,
}

pub async fn desk(app: &App, actor: &Actor) -> Result<Desk> {
    let all = actor.allows(Action::EditAnyStory);
    let owner = if all { None } else { actor.staff_id() };
    let store = app.store();
    if !actor.allows(Action::CreateStory) || (!all && owner.is_none()) {
        return Ok(Desk {
            drafts: vec![],
            submitted: vec![],
            scheduled: vec![],
            published: vec![],
            wire_alerts: 0,
        });
    }
    Ok(Desk {
        drafts: store.desk(StoryStatus::Draft, owner, 50).await?,
        submitted: store.desk(StoryStatus::Submitted, owner, 50).await?,
        scheduled: store.desk(StoryStatus::Scheduled, owner, 50).await?,
        published: store.desk(StoryStatus::Published, None, 15).await?,
        wire_alerts: store.quarantine_count().await?,
    })
}

fn check_tag_names(names: &[String]) -> Result<()> {
    for name in names {
        if name.chars().count() > 60 {
            return Err(AppError::Invalid(format!(
                "The tag {name:?} is longer than 60 characters: shorten it."
            )));
        }
    }
    let mut slugs: Vec<String> = names
        .iter()
        .map(|n| permalink::slugify(n, 60))
        .filter(|s| !s.is_empty())
        .collect();
    slugs.sort();
    slugs.dedup();
    if slugs.len() > 12 {
        return Err(AppError::Invalid(
            "A story can have at most 12 tags.".into(),
        ));
    }
    Ok(())
}

/// Staff who may write stories, as (id, display name): the byline choices.
pub async fn writers(app: &App) -> Result<Vec<(i64, String)>> {
    Ok(app
        .store()
        .staff_roles()
        .await?
        .into_iter()
        .filter(|(_, _, role)| {
            role.parse::<Role>()
                .is_ok_and(|r| permissions::allows(r, Action::CreateStory))
        })
        .map(|(id, name, _)| (id, name))
        .collect())
}

/// Turns "Floods, Local politics" into tag names, checked. Nothing is made
/// here: the save makes new tags, in its transaction, once it is allowed.
pub fn tag_names(text: &str) -> Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let slug = permalink::slugify(name, 60);
        if slug.is_empty() || names.iter().any(|n| permalink::slugify(n, 60) == slug) {
            continue;
        }
        names.push(name.to_string());
    }
    check_tag_names(&names)?;
    Ok(names)
}

/// Adds a dated correction to a published story: shown at its foot and on
/// the corrections page, and the story shows as updated.
pub async fn correct(app: &App, actor: &Actor, id: i64, text: &str) -> Result<()> {
    let story = open(app, actor, id).await?;
    if !actor.allows(Action::Correct) {
        return Err(denied("publish corrections"));
    }
    if story.status != StoryStatus::Published {
        return Err(AppError::Invalid(
            "Only a published story can carry a correction; edit the draft instead.".into(),
        ));
    }
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(AppError::Invalid(
            "Write the correction (1 to 2,000 characters) before publishing it.".into(),
        ));
    }
    let mut k = keys::for_story(&story, &app.sections());
    k.push(Key::Corrections);
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.insert_correction(id, text, t).await?;
    tx.mark_updated(id, t).await?;
    tx.audit(actor, "correct", Some(id), text, t).await?;
    tx.change(&keys::join(&k), t).await?;
    crate::webhooks::queue(app, &mut tx, "story.corrected", &story, t).await?;
    tx.commit().await?;
    app.apply_changes().await?;
    Ok(())
}

/// A story's revisions (newest first) and audit rows (newest first), with
/// the staff names they refer to: for those who may read the audit log.
pub struct History {
    pub story: Story,
    pub revisions: Vec<Revision>,
    pub audit: Vec<AuditEntry>,
    /// (id, display name) of every staff member.
    pub staff: Vec<(i64, String)>,
}

/// The one door to a story's revisions and audit log: needs `ViewAuditLog`.
pub async fn history(app: &App, actor: &Actor, id: i64) -> Result<History> {
    let story = open(app, actor, id).await?;
    if !actor.allows(Action::ViewAuditLog) {
        return Err(denied(
            "read a story's history (its revisions and audit log)",
        ));
    }
    let store = app.store();
    Ok(History {
        revisions: store.revisions(id).await?,
        audit: store.audit_of(id).await?,
        staff: store.staff_ids().await?,
        story,
    })
}

/// Makes an old revision's text the current text (a new save, so it is
/// itself a revision and can be undone).
pub async fn restore(
    app: &App,
    actor: &Actor,
    id: i64,
    revision_id: i64,
    from_version: i64,
) -> Result<Saved> {
    let story = open(app, actor, id).await?;
    if !actor.allows(Action::RestoreRevision) {
        return Err(denied("restore revisions"));
    }
    let revs = app.store().revisions(id).await?;
    let Some(rev) = revs.into_iter().find(|r| r.id == revision_id) else {
        return Err(AppError::NotFound(format!(
            "Story {id} has no revision {revision_id}."
        )));
    };
    let e = StoryEdit {
        section_id: story.section_id,
        headline: rev.headline,
        standfirst: rev.standfirst,
        body: rev.body,
        byline_text: story.byline_text.clone(),
        access: story.access,
        breaking: story.breaking,
        seo_title: story.seo_title.clone(),
        seo_description: story.seo_description.clone(),
        tags: story.tags.iter().map(|t| t.name.clone()).collect(),
        authors: story.authors.iter().map(|a| a.id).collect(),
        lead_picture_id: story.lead_picture.as_ref().map(|p| p.id),
    };
    save(app, actor, id, from_version, &e).await
}

/// Stores an uploaded picture for the media library. Alt text is required;
/// caption and credit fall back to the file's IPTC data (cut at a word
/// boundary if too long); typed text longer than its limit is refused. At
/// most [`media::CONCURRENT_UPLOADS`](crate::media::CONCURRENT_UPLOADS) are
/// decoded at once on a node; another waits briefly, then is told to try again.
pub async fn upload_picture(
    app: &App,
    actor: &Actor,
    bytes: Vec<u8>,
    declared: &str,
    alt: &str,
    caption: &str,
    credit: &str,
) -> Result<i64> {
    require(actor, Action::UploadPicture, "upload pictures")?;
    use crate::media::{self, MAX_ALT_CHARS, MAX_CAPTION_CHARS, MAX_CREDIT_CHARS};
    let alt = alt.trim();
    if alt.is_empty() {
        return Err(AppError::Invalid(
            "Alt text is required: describe what the picture shows for readers who cannot see it."
                .into(),
        ));
    }
    for (field, value, max) in [
        ("alt text", alt, MAX_ALT_CHARS),
        ("caption", caption.trim(), MAX_CAPTION_CHARS),
        ("credit", credit.trim(), MAX_CREDIT_CHARS),
    ] {
        media::check_length(field, value, max).map_err(AppError::Invalid)?;
    }
    let declared = declared.to_string();
    let turn = app.uploads().enter().await?;
    let accepted = tokio::task::spawn_blocking(move || {
        let accepted = media::accept_upload(&bytes, &declared);
        drop(turn);
        accepted
    })
    .await
    .map_err(|e| AppError::Internal(format!("picture decoding task failed: {e}")))?
    .map_err(AppError::Invalid)?;
    let caption = if caption.trim().is_empty() {
        accepted.iptc_caption.clone().unwrap_or_default()
    } else {
        caption.trim().to_string()
    };
    let credit = if credit.trim().is_empty() {
        accepted.iptc_credit.clone().unwrap_or_default()
    } else {
        credit.trim().to_string()
    };
    if credit.is_empty() {
        return Err(AppError::Invalid(
            "Give the credit (photographer/agency); the file has none in it.".into(),
        ));
    }
    let rends: Vec<(i64, &str, &[u8])> = accepted
        .renditions
        .iter()
        .map(|r| (i64::from(r.width), r.format, r.bytes.as_slice()))
        .collect();
    let id = app
        .store()
        .insert_picture_with_renditions(
            &broadsheet_store::NewPicture {
                token: media::new_token(),
                alt: alt.to_string(),
                caption,
                credit,
                width: i64::from(accepted.width),
                height: i64::from(accepted.height),
                original: accepted.jpeg.clone(),
            },
            &rends,
            now(),
        )
        .await?;
    Ok(id)
}

fn may_manage_taxonomy(actor: &Actor) -> Result<()> {
    require(actor, Action::ManageTaxonomy, "manage sections and tags")
}

/// Paths that are not sections' to take.
const RESERVED_PATHS: [&str; 7] = [
    "newsroom",
    "authors",
    "tags",
    "static",
    "media",
    "v",
    "corrections",
];

fn check_section_name(name: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::Invalid(
            "A section name has 1 to 60 characters.".into(),
        ));
    }
    Ok(())
}

/// Adds a section at the top level or under `parent`.
pub async fn add_section(app: &App, actor: &Actor, name: &str, parent: Option<i64>) -> Result<i64> {
    may_manage_taxonomy(actor)?;
    let name = name.trim();
    check_section_name(name)?;
    let slug = permalink::slugify(name, 40);
    if slug.is_empty() {
        return Err(AppError::Invalid(
            "Give the section a name with at least one letter or digit.".into(),
        ));
    }
    let sections = app.sections();
    let path = match parent {
        Some(pid) => {
            let Some(p) = sections.get(pid) else {
                return Err(AppError::Invalid(
                    "That parent section does not exist.".into(),
                ));
            };
            if p.parent_id.is_some() {
                return Err(AppError::Invalid(
                    "Sections go two levels deep at most: choose a top-level parent.".into(),
                ));
            }
            format!("{}/{slug}", p.path)
        }
        None => slug.clone(),
    };
    let taken = || {
        AppError::Invalid(format!(
            "There is already a page at /{path}: choose another name."
        ))
    };
    if sections.by_path(&path).is_some() || RESERVED_PATHS.contains(&path.as_str()) {
        return Err(taken());
    }
    let t = now();
    let mut tx = app.store().begin().await?;
    // The check above reads this node's tree; the database's unique path
    // settles a race with another editor or node.
    let id = match tx.insert_section(&slug, name, parent, &path).await {
        Err(StoreError::Conflict(c)) if c == "sections_path_key" => return Err(taken()),
        Err(StoreError::Reference(_)) => {
            return Err(AppError::Invalid(
                "That parent section no longer exists: reload the page.".into(),
            ));
        }
        r => r?,
    };
    tx.audit(actor, "add-section", None, &format!("/{path} ({name})"), t)
        .await?;
    tx.change(&keys::join(&[Key::Sections]), t).await?;
    tx.commit().await?;
    app.apply_changes().await?;
    Ok(id)
}

pub async fn rename_section(app: &App, actor: &Actor, id: i64, name: &str) -> Result<()> {
    may_manage_taxonomy(actor)?;
    let name = name.trim();
    check_section_name(name)?;
    if app.sections().get(id).is_none() {
        return Err(AppError::NotFound(format!("There is no section {id}.")));
    }
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.rename_section(id, name).await?;
    tx.audit(
        actor,
        "rename-section",
        None,
        &format!("section {id} to {name}"),
        t,
    )
    .await?;
    tx.change(&keys::join(&[Key::Sections]), t).await?;
    tx.commit().await?;
    app.apply_changes().await?;
    Ok(())
}

/// Moves a section before (up) or after (down) its neighbour with the same parent.
pub async fn move_section(app: &App, actor: &Actor, id: i64, up: bool) -> Result<()> {
    may_manage_taxonomy(actor)?;
    let sections = app.sections();
    let Some(sec) = sections.get(id) else {
        return Err(AppError::NotFound(format!("There is no section {id}.")));
    };
    let siblings: Vec<i64> = match sec.parent_id {
        Some(p) => sections.children(p).map(|s| s.id).collect(),
        None => sections.top().map(|s| s.id).collect(),
    };
    let Some(i) = siblings.iter().position(|s| *s == id) else {
        return Ok(());
    };
    let other = if up {
        i.checked_sub(1).and_then(|j| siblings.get(j))
    } else {
        siblings.get(i + 1)
    };
    let Some(other) = other else {
        return Err(AppError::Invalid(
            "The section is already at that end of the list.".into(),
        ));
    };
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.swap_sections(id, *other).await?;
    tx.audit(
        actor,
        "move-section",
        None,
        &format!("section {id} {}", if up { "up" } else { "down" }),
        t,
    )
    .await?;
    tx.change(&keys::join(&[Key::Sections]), t).await?;
    tx.commit().await?;
    app.apply_changes().await?;
    Ok(())
}

/// Merges tag `from` into `into`.
pub async fn merge_tags(app: &App, actor: &Actor, from: i64, into: i64) -> Result<()> {
    may_manage_taxonomy(actor)?;
    if from == into {
        return Err(AppError::Invalid(
            "Choose two different tags to merge.".into(),
        ));
    }
    let uses = app.store().tag_uses().await?;
    if !uses.iter().any(|t| t.id == from) || !uses.iter().any(|t| t.id == into) {
        return Err(AppError::Invalid(
            "One of those tags no longer exists: reload the page.".into(),
        ));
    }
    let mut k = vec![keys::Key::Tag(from), keys::Key::Tag(into)];
    k.extend(
        app.store()
            .stories_with_tag(from)
            .await?
            .into_iter()
            .map(keys::Key::Story),
    );
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.merge_tags(from, into).await?;
    tx.audit(
        actor,
        "merge-tags",
        None,
        &format!("tag {from} into {into}"),
        t,
    )
    .await?;
    tx.change(&keys::join(&k), t).await?;
    tx.commit().await?;
    app.apply_changes().await?;
    Ok(())
}

/// A staff member's own byline profile: bio and picture (author page).
pub async fn set_profile(app: &App, actor: &Actor, bio: &str, picture: Option<i64>) -> Result<()> {
    let Some(me) = actor.staff_id() else {
        return Err(AppError::Invalid(
            "Only a member of staff has a byline profile.".into(),
        ));
    };
    let bio = bio.trim();
    if bio.chars().count() > 1000 {
        return Err(AppError::Invalid(
            "The bio is longer than 1,000 characters: shorten it.".into(),
        ));
    }
    if let Some(pic) = picture
        && app.store().pictures(&[pic]).await?.is_empty()
    {
        return Err(AppError::Invalid(format!(
            "There is no picture {pic} in the media library."
        )));
    }
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.set_author_profile(me, bio, picture).await?;
    tx.audit(actor, "profile", None, &format!("author {me}"), t)
        .await?;
    tx.change(&format!("author-{me}"), t).await?;
    tx.commit().await?;
    app.apply_changes().await?;
    Ok(())
}

/// What a new story does right after it is made, in the same form post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstMove {
    /// Send it to the editors.
    Submit,
    /// Publish it now, or schedule it for a later time.
    Publish(Option<i64>),
}

/// Makes a story and submits or publishes it, without a first save (issue
/// 11 item 6): [`create`], then [`submit`] or [`publish`] naming the version
/// just made, the same checks as two separate posts. The move's right is
/// checked first, so someone who may not make it gets no stray draft; if the
/// move fails anyway, the draft stays and the error says why. Returns the
/// story's id (and, for publishing, its status: published or scheduled).
pub async fn create_and_move(
    app: &App,
    actor: &Actor,
    e: &StoryEdit,
    first: FirstMove,
) -> Result<(i64, StoryStatus)> {
    let to = match first {
        FirstMove::Submit => StoryStatus::Submitted,
        FirstMove::Publish(Some(at)) if at > now() + 5 => StoryStatus::Scheduled,
        FirstMove::Publish(_) => StoryStatus::Published,
    };
    // The new story is the actor's own draft.
    workflow::check(actor, true, StoryStatus::Draft, to).map_err(refused)?;
    validate(app, e).await?;
    let id = create(app, actor, e).await?;
    match first {
        FirstMove::Submit => {
            submit(app, actor, id).await?;
            Ok((id, StoryStatus::Submitted))
        }
        FirstMove::Publish(at) => {
            let version = open(app, actor, id).await?.version;
            let st = publish(app, actor, id, version, at).await?;
            Ok((id, st))
        }
    }
}
