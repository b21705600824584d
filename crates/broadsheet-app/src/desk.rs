//! What newsroom pages show besides the story use cases: the editor's
//! context (who may be bylined, a story's corrections), the media library,
//! the tag list, the picks list, and the capability sets that decide which
//! buttons and menu entries a staff member sees.
//!
//! Every function takes the signed-in [`Staff`] and checks the permission
//! table here, so the web crate renders what it is given and decides nothing.

use broadsheet_domain::permissions::{self, Action, Role};
use broadsheet_domain::{Story, StoryStatus};
use broadsheet_store::{Correction, LibraryPicture, TagUse};

use crate::newsroom::Staff;
use crate::{App, AppError, Result};

/// What a staff member may reach in the newsroom (menu entries, pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StaffCaps {
    pub write: bool,
    pub pictures: bool,
    pub taxonomy: bool,
    pub picks: bool,
    pub moderate: bool,
    pub staff: bool,
    pub settings: bool,
    /// Readers, their entitlements and organisations (`ManageReaders`).
    pub readers: bool,
    /// Subscription plans (`ManagePlans`).
    pub plans: bool,
    /// The home page and section fronts (`ArrangeFronts`).
    pub fronts: bool,
    /// Newsletters, their issues and the suppression list (`ManageNewsletters`).
    pub newsletters: bool,
    /// Set up news agencies (`ManageAgencies`); the wire queue is `write`'s.
    pub agencies: bool,
}

impl StaffCaps {
    pub fn of(role: Role) -> StaffCaps {
        StaffCaps {
            write: permissions::allows(role, Action::CreateStory),
            pictures: permissions::allows(role, Action::UploadPicture),
            taxonomy: permissions::allows(role, Action::ManageTaxonomy),
            picks: permissions::allows(role, Action::CurateFront),
            moderate: permissions::allows(role, Action::ModerateComments),
            staff: permissions::allows(role, Action::ManageStaff),
            settings: permissions::allows(role, Action::ManageSettings),
            readers: permissions::allows(role, Action::ManageReaders),
            plans: permissions::allows(role, Action::ManagePlans),
            fronts: permissions::allows(role, Action::ArrangeFronts),
            newsletters: permissions::allows(role, Action::ManageNewsletters),
            agencies: permissions::allows(role, Action::ManageAgencies)
                || permissions::allows(role, Action::EditWireRules),
        }
    }
}

/// What a staff member may do to one story (the editor's buttons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoryCaps {
    /// Change its text and fields.
    pub edit: bool,
    /// Send it for review.
    pub submit: bool,
    /// Publish or schedule it.
    pub publish: bool,
    /// Take it down (410 for readers).
    pub withdraw: bool,
    /// Put a withdrawn story back before readers.
    pub reinstate: bool,
    /// Add a dated correction.
    pub correct: bool,
    /// Read its revisions and audit log.
    pub history: bool,
    /// Make an old revision current.
    pub restore_revision: bool,
    /// Set or clear the site-wide breaking flag.
    pub breaking: bool,
}

/// The capability set for a story (`None`: a new story not yet saved),
/// from the same rules the use cases apply (`newsroom::may_edit`,
/// `may_publish`, the state machine).
pub fn story_caps(staff: &Staff, story: Option<&Story>) -> StoryCaps {
    let role = staff.role;
    let actor = staff.actor();
    let Some(s) = story else {
        // A new story can be submitted or published in the post that makes
        // it (it will be the person's own draft).
        let create = permissions::allows(role, Action::CreateStory);
        return StoryCaps {
            edit: create,
            submit: create && permissions::allows(role, Action::SubmitForReview),
            publish: create
                && permissions::can_publish_story(
                    role,
                    permissions::StoryFacts {
                        own: true,
                        status: StoryStatus::Draft,
                    },
                ),
            breaking: permissions::may_set_breaking(&actor),
            ..StoryCaps::default()
        };
    };
    let edit = crate::newsroom::may_edit(&actor, s);
    StoryCaps {
        edit,
        submit: s.status == StoryStatus::Draft
            && edit
            && permissions::allows(role, Action::SubmitForReview),
        publish: !matches!(s.status, StoryStatus::Published | StoryStatus::Withdrawn)
            && crate::newsroom::may_publish(&actor, s),
        withdraw: s.status == StoryStatus::Published && permissions::allows(role, Action::Withdraw),
        reinstate: s.status == StoryStatus::Withdrawn
            && permissions::allows(role, Action::Withdraw),
        correct: s.status == StoryStatus::Published && permissions::allows(role, Action::Correct),
        history: permissions::allows(role, Action::ViewAuditLog),
        restore_revision: edit && permissions::allows(role, Action::RestoreRevision),
        breaking: permissions::may_set_breaking(&actor),
    }
}

fn require(staff: &Staff, action: Action, what: &str) -> Result<()> {
    crate::newsroom::require(&staff.actor(), action, what)
}

/// The editor page may open: the person may write stories.
pub fn may_write(staff: &Staff) -> Result<()> {
    require(staff, Action::CreateStory, "write stories")
}

/// Everything the story editor shows besides the story itself.
pub struct EditorContext {
    /// Staff who can be bylined (id, display name), in name order.
    pub writers: Vec<(i64, String)>,
    /// The story's corrections, oldest first.
    pub corrections: Vec<Correction>,
}

pub async fn editor_context(
    app: &App,
    staff: &Staff,
    story: Option<&Story>,
) -> Result<EditorContext> {
    may_write(staff).or_else(|e| match story {
        // Someone who cannot write may still open a story they can see.
        Some(_) => Ok(()),
        None => Err(e),
    })?;
    let corrections = match story {
        Some(s) => app.store().corrections_of(s.id).await?,
        None => Vec::new(),
    };
    Ok(EditorContext {
        writers: crate::newsroom::writers(app).await?,
        corrections,
    })
}

/// The media library: pictures matching `q` (newest first) and how many there are.
pub async fn media_library(
    app: &App,
    staff: &Staff,
    q: &str,
) -> Result<(Vec<LibraryPicture>, i64)> {
    require(staff, Action::UploadPicture, "use the media library")?;
    let q: String = q.trim().chars().take(200).collect();
    Ok((
        app.store().search_pictures(&q, 60).await?,
        app.store().picture_count().await?,
    ))
}

/// The tags with their use counts, for the sections-and-tags page.
pub async fn tags(app: &App, staff: &Staff) -> Result<Vec<TagUse>> {
    require(staff, Action::ManageTaxonomy, "manage sections and tags")?;
    Ok(app.store().tag_uses().await?)
}

/// The sections-and-tags page may open.
pub fn may_manage_taxonomy(staff: &Staff) -> Result<()> {
    require(staff, Action::ManageTaxonomy, "manage sections and tags")
}

/// The Editor's Picks page may open.
pub fn may_curate(staff: &Staff) -> Result<()> {
    require(staff, Action::CurateFront, "curate Editor's Picks")
}

/// A change to the Editor's Picks list, as the picks page offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickChange {
    Add,
    Up,
    Down,
    Remove,
}

impl std::str::FromStr for PickChange {
    type Err = AppError;
    fn from_str(s: &str) -> Result<PickChange> {
        match s {
            "add" => Ok(PickChange::Add),
            "up" => Ok(PickChange::Up),
            "down" => Ok(PickChange::Down),
            "remove" => Ok(PickChange::Remove),
            _ => Err(AppError::Invalid(
                "That change cannot be made to the list.".into(),
            )),
        }
    }
}

/// Applies one change to Editor's Picks, starting from the stored order (not
/// a rankings snapshot) so nothing is lost, and stores the new order.
pub async fn change_picks(app: &App, staff: &Staff, story: i64, change: PickChange) -> Result<()> {
    may_curate(staff)?;
    let mut ids = app.store().editors_picks().await?;
    // Picks whose story is no longer published fall out of the list.
    let published = app.store().published_ids(&ids).await?;
    ids.retain(|id| published.contains(id) || *id == story);
    let pos = ids.iter().position(|id| *id == story);
    match (change, pos) {
        (PickChange::Add, None) => ids.push(story),
        (PickChange::Add, Some(_)) => {
            return Err(AppError::Invalid(
                "That story is already in Editor's Picks.".into(),
            ));
        }
        (PickChange::Up, Some(i)) if i > 0 => ids.swap(i, i - 1),
        (PickChange::Down, Some(i)) if i + 1 < ids.len() => ids.swap(i, i + 1),
        (PickChange::Remove, Some(i)) => {
            ids.remove(i);
        }
        _ => {
            return Err(AppError::Invalid(
                "That change cannot be made to the list.".into(),
            ));
        }
    }
    app.set_editors_picks(&staff.actor(), &ids).await?;
    tracing::info!(user = %staff.username, picks = ?ids, "editor's picks changed");
    Ok(())
}

/// A staff member's own account as the account page shows it.
pub struct AccountView {
    pub two_factor: bool,
    pub author_slug: Option<String>,
    pub bio: String,
    pub picture_id: Option<i64>,
}

pub async fn account(app: &App, staff: &Staff) -> Result<AccountView> {
    let Some(acct) = app.store().author_by_username(&staff.username).await? else {
        return Err(AppError::NotFound("There is no such account.".into()));
    };
    let profile = app.store().author_profile(acct.id).await?;
    Ok(AccountView {
        two_factor: acct.totp_secret.as_deref().is_some_and(|s| !s.is_empty()),
        author_slug: profile.as_ref().map(|a| a.slug.clone()),
        bio: profile.as_ref().map(|a| a.bio.clone()).unwrap_or_default(),
        picture_id: profile.and_then(|a| a.picture_id),
    })
}

impl Staff {
    /// What this person may reach in the newsroom (menus, pages).
    pub fn caps(&self) -> StaffCaps {
        StaffCaps::of(self.role)
    }
}

/// A member of staff as the staff page lists them.
pub struct StaffLine {
    pub username: String,
    pub display_name: String,
    pub role: String,
}

/// Everyone on the staff, for the staff page: needs `ManageStaff`.
pub async fn staff_list(app: &App, staff: &Staff) -> Result<Vec<StaffLine>> {
    require(staff, Action::ManageStaff, "manage staff accounts")?;
    Ok(app
        .store()
        .staff()
        .await?
        .into_iter()
        .map(|(username, display_name, role)| StaffLine {
            username,
            display_name,
            role,
        })
        .collect())
}
