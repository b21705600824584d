//! Newsroom use cases: signing in, and making, checking, publishing and
//! withdrawing stories. Every check goes through `permissions` (one table).

use std::collections::HashMap;
use std::sync::Mutex;

use broadsheet_domain::permissions::{self, Action, Role, StoryFacts};
use broadsheet_domain::{Story, StoryStatus, permalink};
use broadsheet_store::{DeskItem, Saved, StoryEdit};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{App, AppError, Result, accounts, keys, now};

/// A signed-in staff member.
#[derive(Debug, Clone)]
pub struct Staff {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The session's CSRF token: every form must send it back.
    pub csrf: String,
}

/// How long a newsroom session lasts.
pub const SESSION_SECS: i64 = 12 * 3600;
const FAILED_SIGN_IN: &str = "That username and password do not match. Check both and try again.";

pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Failed sign-ins per account and per client, in a sliding 15-minute window.
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

pub const LIMIT_WINDOW_SECS: i64 = 15 * 60;
pub const LIMIT_PER_ACCOUNT: usize = 5;
pub const LIMIT_PER_CLIENT: usize = 20;

impl Default for SignInLimiter {
    fn default() -> Self {
        SignInLimiter {
            failures: Mutex::new(HashMap::new()),
        }
    }
}

impl SignInLimiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<i64>>> {
        match self.failures.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn blocked(&self, key: &str, limit: usize, t: i64) -> bool {
        let mut m = self.lock();
        let list = m.entry(key.to_string()).or_default();
        list.retain(|at| *at > t - LIMIT_WINDOW_SECS);
        list.len() >= limit
    }

    fn fail(&self, key: &str, t: i64) {
        let mut m = self.lock();
        if m.len() > 100_000 {
            m.retain(|_, v| v.iter().any(|at| *at > t - LIMIT_WINDOW_SECS));
        }
        m.entry(key.to_string()).or_default().push(t);
    }
}

/// Why a sign-in failed, in words fit for the person signing in.
#[derive(Debug)]
pub enum SignInError {
    /// Wrong username or password (which one is never said).
    Mismatch(String),
    /// Too many failures: wait.
    Limited(String),
    Internal(AppError),
}

/// Checks a password and opens a session. Returns the staff member and the
/// session token for the cookie.
pub async fn sign_in(
    app: &App,
    limiter: &SignInLimiter,
    username: &str,
    password: &str,
    code: &str,
    client: &str,
) -> std::result::Result<(Staff, String), SignInError> {
    let t = now();
    let acct_key = format!("account:{}", username.trim().to_lowercase());
    let client_key = format!("client:{client}");
    if limiter.blocked(&acct_key, LIMIT_PER_ACCOUNT, t)
        || limiter.blocked(&client_key, LIMIT_PER_CLIENT, t)
    {
        return Err(SignInError::Limited(
            "Too many failed sign-ins. Wait 15 minutes and try again, or ask an admin to reset your password.".into(),
        ));
    }
    let acct = app
        .store()
        .author_by_username(username.trim())
        .await
        .map_err(|e| SignInError::Internal(e.into()))?;
    // Verify against a real hash even when there is no such account, so the
    // time taken does not tell whether it exists.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5Ckm0NwHpsUCvfpu4JMQ2+0+0O2yQ8wYQh2sEqkn9aY";
    let hash = acct
        .as_ref()
        .and_then(|a| a.password_hash.clone())
        .unwrap_or_else(|| DUMMY.to_string());
    let pw = password.to_string();
    let ok = tokio::task::spawn_blocking(move || accounts::verify_password(&pw, &hash))
        .await
        .unwrap_or(false);
    let Some(acct) = acct.filter(|_| ok) else {
        limiter.fail(&acct_key, t);
        limiter.fail(&client_key, t);
        return Err(SignInError::Mismatch(FAILED_SIGN_IN.into()));
    };
    if let Some(secret) = acct.totp_secret.as_deref().filter(|s| !s.is_empty())
        && !accounts::totp_ok(secret, code)
    {
        limiter.fail(&acct_key, t);
        limiter.fail(&client_key, t);
        return Err(SignInError::Mismatch(
                "Enter the 6-digit code your authenticator app shows now (two-factor sign-in is on for this account).".into(),
            ));
    }
    let role: Role = acct
        .role
        .parse()
        .map_err(|_| SignInError::Mismatch(FAILED_SIGN_IN.into()))?;
    if !permissions::allows(role, Action::UseNewsroom) {
        return Err(SignInError::Mismatch(FAILED_SIGN_IN.into()));
    }
    let token = random_token();
    let csrf = random_token();
    app.store()
        .create_session(&token_hash(&token), acct.id, &csrf, t, t + SESSION_SECS)
        .await
        .map_err(|e| SignInError::Internal(e.into()))?;
    Ok((
        Staff {
            id: acct.id,
            username: acct.username,
            display_name: acct.display_name,
            role,
            csrf,
        },
        token,
    ))
}

/// The staff member a session token belongs to, if it is current.
pub async fn session(app: &App, token: &str) -> Result<Option<Staff>> {
    let Some(u) = app.store().session(&token_hash(token), now()).await? else {
        return Ok(None);
    };
    let Ok(role) = u.role.parse::<Role>() else {
        return Ok(None);
    };
    Ok(Some(Staff {
        id: u.author_id,
        username: u.username,
        display_name: u.display_name,
        role,
        csrf: u.csrf,
    }))
}

pub async fn sign_out(app: &App, token: &str, everywhere: Option<&Staff>) -> Result<()> {
    app.store().delete_session(&token_hash(token)).await?;
    if let Some(s) = everywhere {
        app.store().delete_sessions_of(s.id).await?;
    }
    Ok(())
}

fn denied(what: &str) -> AppError {
    AppError::Forbidden(format!("Your role does not allow you to {what}."))
}

fn facts(staff: &Staff, story: &Story) -> StoryFacts {
    let own = story.created_by == Some(staff.id) || story.authors.iter().any(|a| a.id == staff.id);
    StoryFacts {
        own,
        status: story.status,
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
    if e.body.len() > 200_000 {
        return Err(AppError::Invalid(
            "The body is longer than 200,000 characters: split the story.".into(),
        ));
    }
    Ok(())
}

pub async fn create(app: &App, staff: &Staff, e: &StoryEdit) -> Result<i64> {
    if !permissions::allows(staff.role, Action::CreateStory) {
        return Err(denied("write stories"));
    }
    validate(app, e).await?;
    let slug = permalink::slugify(&e.headline, 80);
    Ok(app.store().create_draft(e, &slug, staff.id, now()).await?)
}

/// A story the staff member may see, or NotFound (never "exists but hidden").
pub async fn open(app: &App, staff: &Staff, id: i64) -> Result<Story> {
    let Some(story) = app.store().story(id).await? else {
        return Err(AppError::NotFound(format!("There is no story {id}.")));
    };
    if !permissions::can_view_story(staff.role, facts(staff, &story)) {
        return Err(AppError::NotFound(format!("There is no story {id}.")));
    }
    Ok(story)
}

pub fn may_edit(staff: &Staff, story: &Story) -> bool {
    permissions::can_edit_story(staff.role, facts(staff, story))
}

pub fn may_publish(staff: &Staff, story: &Story) -> bool {
    permissions::can_publish_story(staff.role, facts(staff, story))
}

pub async fn save(
    app: &App,
    staff: &Staff,
    id: i64,
    from_version: i64,
    e: &StoryEdit,
) -> Result<Saved> {
    let story = open(app, staff, id).await?;
    if !may_edit(staff, &story) {
        return Err(denied("edit this story"));
    }
    validate(app, e).await?;
    let published = story.status == StoryStatus::Published;
    let keys = if published {
        keys::join(&keys::for_story(&story, &app.sections()))
    } else {
        String::new()
    };
    let saved = app
        .store()
        .save_story(id, from_version, e, staff.id, now(), published, &keys)
        .await?;
    if published && matches!(saved, Saved::Ok(_)) {
        app.apply_changes().await?;
    }
    Ok(saved)
}

pub async fn submit(app: &App, staff: &Staff, id: i64) -> Result<()> {
    let story = open(app, staff, id).await?;
    if !permissions::allows(staff.role, Action::SubmitForReview) || !may_edit(staff, &story) {
        return Err(denied("submit this story"));
    }
    if story.status != StoryStatus::Draft {
        return Err(AppError::Invalid(
            "Only a draft can be submitted for review.".into(),
        ));
    }
    app.store()
        .transition(id, StoryStatus::Submitted, staff.id, now(), None, "", "")
        .await?;
    Ok(())
}

/// Publishes now, or schedules for `at` if it is in the future.
pub async fn publish(app: &App, staff: &Staff, id: i64, at: Option<i64>) -> Result<StoryStatus> {
    let story = open(app, staff, id).await?;
    if !may_publish(staff, &story) {
        return Err(denied("publish this story"));
    }
    if story.status == StoryStatus::Published {
        return Err(AppError::Invalid("The story is already published.".into()));
    }
    let t = now();
    if let Some(at) = at.filter(|at| *at > t + 5) {
        app.store()
            .transition(
                id,
                StoryStatus::Scheduled,
                staff.id,
                t,
                Some(at),
                "",
                &format!("for {at}"),
            )
            .await?;
        return Ok(StoryStatus::Scheduled);
    }
    let keys = keys::join(&keys::for_story(&story, &app.sections()));
    app.store()
        .transition(id, StoryStatus::Published, staff.id, t, None, &keys, "")
        .await?;
    app.apply_changes().await?;
    Ok(StoryStatus::Published)
}

pub async fn withdraw(app: &App, staff: &Staff, id: i64) -> Result<()> {
    let story = open(app, staff, id).await?;
    if !permissions::allows(staff.role, Action::Withdraw) {
        return Err(denied("withdraw stories"));
    }
    let keys = keys::join(&keys::for_story(&story, &app.sections()));
    app.store()
        .transition(id, StoryStatus::Withdrawn, staff.id, now(), None, &keys, "")
        .await?;
    app.apply_changes().await?;
    Ok(())
}

/// Publishes scheduled stories whose time has come. Returns how many.
pub async fn publish_due(app: &App) -> Result<usize> {
    let due = app.store().due_scheduled(now()).await?;
    for id in &due {
        if let Some(story) = app.store().story(*id).await? {
            let keys = keys::join(&keys::for_story(&story, &app.sections()));
            app.store()
                .transition(
                    *id,
                    StoryStatus::Published,
                    0,
                    now(),
                    None,
                    &keys,
                    "scheduled",
                )
                .await?;
        }
    }
    if !due.is_empty() {
        app.apply_changes().await?;
    }
    Ok(due.len())
}

/// The dashboard's lists.
pub struct Desk {
    pub drafts: Vec<DeskItem>,
    pub submitted: Vec<DeskItem>,
    pub scheduled: Vec<DeskItem>,
    pub published: Vec<DeskItem>,
}

pub async fn desk(app: &App, staff: &Staff) -> Result<Desk> {
    let all = permissions::allows(staff.role, Action::EditAnyStory);
    let owner = if all { None } else { Some(staff.id) };
    let store = app.store();
    if !permissions::allows(staff.role, Action::CreateStory) {
        return Ok(Desk {
            drafts: vec![],
            submitted: vec![],
            scheduled: vec![],
            published: vec![],
        });
    }
    Ok(Desk {
        drafts: store.desk(StoryStatus::Draft, owner, 50).await?,
        submitted: store.desk(StoryStatus::Submitted, owner, 50).await?,
        scheduled: store.desk(StoryStatus::Scheduled, owner, 50).await?,
        published: store.desk(StoryStatus::Published, None, 15).await?,
    })
}

/// Turns "Floods, Local politics" into tag ids, making new tags as needed.
pub async fn tag_ids(app: &App, text: &str) -> Result<Vec<i64>> {
    let mut ids = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name.chars().count() > 60 {
            return Err(AppError::Invalid(format!(
                "The tag {name:?} is longer than 60 characters: shorten it."
            )));
        }
        let slug = permalink::slugify(name, 60);
        if slug.is_empty() {
            continue;
        }
        let id = app.store().tag_id(&slug, name).await?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > 12 {
        return Err(AppError::Invalid(
            "A story can have at most 12 tags.".into(),
        ));
    }
    Ok(ids)
}

/// Adds a dated correction to a published story: shown at its foot and on
/// the corrections page, and the story shows as updated.
pub async fn correct(app: &App, staff: &Staff, id: i64, text: &str) -> Result<()> {
    let story = open(app, staff, id).await?;
    if !permissions::allows(staff.role, Action::Correct) {
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
    k.push(keys::Key::Corrections);
    app.store()
        .add_correction(id, text, staff.id, now(), &keys::join(&k))
        .await?;
    app.apply_changes().await?;
    Ok(())
}

/// Makes an old revision's text the current text (a new save, so it is
/// itself a revision and can be undone).
pub async fn restore(
    app: &App,
    staff: &Staff,
    id: i64,
    revision_id: i64,
    from_version: i64,
) -> Result<Saved> {
    let story = open(app, staff, id).await?;
    if !permissions::allows(staff.role, Action::RestoreRevision) {
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
        tags: story.tags.iter().map(|t| t.id).collect(),
        authors: story.authors.iter().map(|a| a.id).collect(),
        lead_picture_id: story.lead_picture.as_ref().map(|p| p.id),
    };
    save(app, staff, id, from_version, &e).await
}

/// Stores an uploaded picture for the media library. Alt text is required;
/// caption and credit fall back to the file's IPTC data.
pub async fn upload_picture(
    app: &App,
    staff: &Staff,
    bytes: Vec<u8>,
    declared: &str,
    alt: &str,
    caption: &str,
    credit: &str,
) -> Result<i64> {
    if !permissions::allows(staff.role, Action::UploadPicture) {
        return Err(denied("upload pictures"));
    }
    let alt = alt.trim();
    if alt.is_empty() {
        return Err(AppError::Invalid(
            "Alt text is required: describe what the picture shows for readers who cannot see it."
                .into(),
        ));
    }
    let declared = declared.to_string();
    let accepted =
        tokio::task::spawn_blocking(move || crate::media::accept_upload(&bytes, &declared))
            .await
            .map_err(|e| AppError::Invalid(format!("The picture could not be processed: {e}")))?
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

fn may_manage_taxonomy(staff: &Staff) -> Result<()> {
    if permissions::allows(staff.role, Action::ManageTaxonomy) {
        Ok(())
    } else {
        Err(denied("manage sections and tags"))
    }
}

/// Adds a section at the top level or under `parent`.
pub async fn add_section(app: &App, staff: &Staff, name: &str, parent: Option<i64>) -> Result<i64> {
    may_manage_taxonomy(staff)?;
    let name = name.trim();
    let slug = permalink::slugify(name, 40);
    if name.is_empty() || slug.is_empty() {
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
    if sections.by_path(&path).is_some()
        || [
            "newsroom",
            "authors",
            "tags",
            "static",
            "media",
            "v",
            "corrections",
        ]
        .contains(&path.as_str())
    {
        return Err(AppError::Invalid(format!(
            "There is already a page at /{path}: choose another name."
        )));
    }
    let id = app
        .store()
        .add_section(&slug, name, parent, &path, now())
        .await?;
    app.apply_changes().await?;
    Ok(id)
}

pub async fn rename_section(app: &App, staff: &Staff, id: i64, name: &str) -> Result<()> {
    may_manage_taxonomy(staff)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::Invalid(
            "A section name has 1 to 60 characters.".into(),
        ));
    }
    if app.sections().get(id).is_none() {
        return Err(AppError::NotFound(format!("There is no section {id}.")));
    }
    app.store().rename_section(id, name, now()).await?;
    app.apply_changes().await?;
    Ok(())
}

/// Moves a section before (up) or after (down) its neighbour with the same parent.
pub async fn move_section(app: &App, staff: &Staff, id: i64, up: bool) -> Result<()> {
    may_manage_taxonomy(staff)?;
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
    app.store().swap_sections(id, *other, now()).await?;
    app.apply_changes().await?;
    Ok(())
}

/// Merges tag `from` into `into`.
pub async fn merge_tags(app: &App, staff: &Staff, from: i64, into: i64) -> Result<()> {
    may_manage_taxonomy(staff)?;
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
    app.store()
        .merge_tags(from, into, now(), &keys::join(&k))
        .await?;
    app.apply_changes().await?;
    Ok(())
}

/// A staff member's own byline profile: bio and picture (author page).
pub async fn set_profile(app: &App, staff: &Staff, bio: &str, picture: Option<i64>) -> Result<()> {
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
    app.store()
        .set_author_profile(staff.id, bio, picture, now())
        .await?;
    app.apply_changes().await?;
    Ok(())
}
