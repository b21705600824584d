//! Who may do what in the newsroom: one role-by-action table drives every
//! permission check, plus the object-level rules for stories.

use std::fmt;
use std::str::FromStr;

use crate::StoryStatus;
use crate::actor::Actor;

/// A staff role, from least to most trusted for content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Writes stories; cannot publish; sees only their own unpublished work.
    Contributor,
    /// Writes and publishes their own stories.
    Reporter,
    /// Reviews, publishes, corrects and withdraws any story; curates the front.
    Editor,
    /// Looks after reader comments; no story work.
    Moderator,
    /// Everything an editor does, plus people, sections and settings.
    Admin,
}

pub const ROLES: [Role; 5] = [
    Role::Contributor,
    Role::Reporter,
    Role::Editor,
    Role::Moderator,
    Role::Admin,
];

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Contributor => "contributor",
            Role::Reporter => "reporter",
            Role::Editor => "editor",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}: use contributor, reporter, editor, moderator or admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        ROLES
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// Everything the newsroom lets someone do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Sign in to the newsroom and see the dashboard.
    UseNewsroom,
    /// Start a story (it is theirs).
    CreateStory,
    /// Edit their own story while it is not published.
    EditOwnDraft,
    /// Send their own draft to the editors.
    SubmitForReview,
    /// Publish (or schedule) a story they wrote.
    PublishOwn,
    /// Read and edit anyone's story, in any status.
    EditAnyStory,
    /// Publish (or schedule) anyone's story.
    PublishAny,
    /// Update a published story (readers see "Updated:").
    UpdatePublished,
    /// Add a dated correction to a published story.
    Correct,
    /// Unpublish or withdraw a story (410 for readers).
    Withdraw,
    /// See revisions with diffs and restore one.
    RestoreRevision,
    /// Upload pictures and edit their caption, credit and alt text.
    UploadPicture,
    /// Order Editor's Picks and flag breaking news.
    CurateFront,
    /// Manage the section tree and merge tags.
    ManageTaxonomy,
    /// Moderate reader comments.
    ModerateComments,
    /// Add staff, change roles, reset passwords.
    ManageStaff,
    /// Change the paper's settings.
    ManageSettings,
    /// Read the audit log.
    ViewAuditLog,
    /// See readers and their subscriptions; grant and revoke entitlement;
    /// organisations, their seats and domains (group access).
    ManageReaders,
    /// Set the subscription plans readers can buy.
    ManagePlans,
    /// Arrange the home page and the section fronts: the lead, the order of
    /// the top slots, pins for a time, a breaking story to the lead.
    ArrangeFronts,
    /// Feature (pin) a public reader comment at the top of its thread, and unfeature it.
    FeatureComments,
    // Live pages and breaking news pushed (issue 12 items 4 and 5).
    /// Mark a story live and end it; raise and end the breaking banner.
    RunLivePage,
    /// Post, edit, pin and remove a live story's updates.
    PostLiveUpdate,
    /// Add and pause newsletters, preview their issues, see their figures
    /// and keep the suppression list (issue 13).
    ManageNewsletters,
    // Wire ingest (issue 14).
    /// Set up news agencies: name, byline, credit, mode, section, push token.
    ManageAgencies,
    /// Edit an agency's mapping rules (subjects and places to sections and tags).
    EditWireRules,
}

pub const ACTIONS: [Action; 27] = [
    Action::UseNewsroom,
    Action::CreateStory,
    Action::EditOwnDraft,
    Action::SubmitForReview,
    Action::PublishOwn,
    Action::EditAnyStory,
    Action::PublishAny,
    Action::UpdatePublished,
    Action::Correct,
    Action::Withdraw,
    Action::RestoreRevision,
    Action::UploadPicture,
    Action::CurateFront,
    Action::ManageTaxonomy,
    Action::ModerateComments,
    Action::ManageStaff,
    Action::ManageSettings,
    Action::ViewAuditLog,
    Action::ManageReaders,
    Action::ManagePlans,
    Action::ArrangeFronts,
    Action::FeatureComments,
    Action::RunLivePage,
    Action::PostLiveUpdate,
    Action::ManageNewsletters,
    Action::ManageAgencies,
    Action::EditWireRules,
];

/// The table. Columns: contributor, reporter, editor, moderator, admin.
const TABLE: [(Action, [bool; 5]); 27] = [
    //                            contrib reporter editor moderator admin
    (Action::UseNewsroom, [true, true, true, true, true]),
    (Action::CreateStory, [true, true, true, false, true]),
    (Action::EditOwnDraft, [true, true, true, false, true]),
    (Action::SubmitForReview, [true, true, true, false, true]),
    (Action::PublishOwn, [false, true, true, false, true]),
    (Action::EditAnyStory, [false, false, true, false, true]),
    (Action::PublishAny, [false, false, true, false, true]),
    (Action::UpdatePublished, [false, true, true, false, true]),
    (Action::Correct, [false, false, true, false, true]),
    (Action::Withdraw, [false, false, true, false, true]),
    (Action::RestoreRevision, [false, false, true, false, true]),
    (Action::UploadPicture, [true, true, true, false, true]),
    (Action::CurateFront, [false, false, true, false, true]),
    (Action::ManageTaxonomy, [false, false, true, false, true]),
    (Action::ModerateComments, [false, false, true, true, true]),
    (Action::ManageStaff, [false, false, false, false, true]),
    (Action::ManageSettings, [false, false, false, false, true]),
    (Action::ViewAuditLog, [false, false, true, false, true]),
    (Action::ManageReaders, [false, false, false, false, true]),
    (Action::ManagePlans, [false, false, false, false, true]),
    (Action::ArrangeFronts, [false, false, true, false, true]),
    (Action::FeatureComments, [false, false, true, true, true]),
    (Action::RunLivePage, [false, false, true, false, true]),
    (Action::PostLiveUpdate, [false, true, true, false, true]),
    (Action::ManageNewsletters, [false, false, true, false, true]),
    (Action::ManageAgencies, [false, false, false, false, true]),
    (Action::EditWireRules, [false, false, true, false, true]),
];

/// What a news agency's feed may do (issue 14), on the stories made from
/// its own items only (the wire use case checks that). Every agency may
/// add items (to the wire queue), bring their pictures, and take down a
/// story made from an item it kills or withholds (published → withdrawn,
/// scheduled → draft: `EditOwnDraft` is what returning to draft needs); an
/// agency set to publish automatically may also publish, schedule
/// (embargo) and update them.
pub fn agency_allows(auto: bool, action: Action) -> bool {
    match action {
        Action::CreateStory | Action::UploadPicture | Action::Withdraw | Action::EditOwnDraft => {
            true
        }
        Action::PublishOwn | Action::UpdatePublished => auto,
        _ => false,
    }
}

fn column(role: Role) -> usize {
    match role {
        Role::Contributor => 0,
        Role::Reporter => 1,
        Role::Editor => 2,
        Role::Moderator => 3,
        Role::Admin => 4,
    }
}

/// Whether `role` may do `action` at all.
pub fn allows(role: Role, action: Action) -> bool {
    TABLE
        .iter()
        .find(|(a, _)| *a == action)
        .is_some_and(|(_, cols)| cols[column(role)])
}

/// Whose story, in what state: what object-level rules need.
#[derive(Debug, Clone, Copy)]
pub struct StoryFacts {
    /// The person asking wrote it (is among its authors or created it).
    pub own: bool,
    pub status: StoryStatus,
}

/// May this person see this story in the newsroom? Anyone who may edit any
/// story sees all; others see their own, and published stories.
pub fn can_view_story(role: Role, s: StoryFacts) -> bool {
    if !allows(role, Action::UseNewsroom) {
        return false;
    }
    allows(role, Action::EditAnyStory)
        || (s.own && allows(role, Action::EditOwnDraft))
        || (s.status == StoryStatus::Published && allows(role, Action::CreateStory))
}

/// May this person change this story's text?
pub fn can_edit_story(role: Role, s: StoryFacts) -> bool {
    if allows(role, Action::EditAnyStory) {
        return true;
    }
    if !s.own {
        return false;
    }
    match s.status {
        StoryStatus::Draft | StoryStatus::Submitted | StoryStatus::Scheduled => {
            allows(role, Action::EditOwnDraft)
        }
        StoryStatus::Published => allows(role, Action::UpdatePublished),
        StoryStatus::Withdrawn => false,
    }
}

/// May this person publish this story?
pub fn can_publish_story(role: Role, s: StoryFacts) -> bool {
    allows(role, Action::PublishAny) || (s.own && allows(role, Action::PublishOwn))
}

/// Bylines. Someone who may edit any story may byline it to anyone. Anyone
/// else must stay among the bylines of a story they save: they may add
/// colleagues alongside themselves, never put a story out under someone
/// else's name alone (issue 8 item 13). An empty list keeps the story's
/// bylines (or, for a new story, makes its creator the byline).
pub fn may_set_bylines(actor: &Actor, bylines: &[i64]) -> bool {
    bylines.is_empty()
        || actor.allows(Action::EditAnyStory)
        || actor.staff_id().is_some_and(|me| bylines.contains(&me))
}

/// The site-wide breaking-news banner is front-page curation: setting or
/// clearing a story's `breaking` flag needs `CurateFront`. A save by someone
/// without it keeps the stored value (issue 8 item 12): the form's checkbox
/// is ignored rather than the whole save refused.
pub fn may_set_breaking(actor: &Actor) -> bool {
    actor.allows(Action::CurateFront)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_in_the_table_once() {
        for a in ACTIONS {
            assert_eq!(TABLE.iter().filter(|(x, _)| *x == a).count(), 1, "{a:?}");
        }
    }

    #[test]
    fn roles_parse_and_print() {
        for r in ROLES {
            assert_eq!(r.as_str().parse::<Role>().ok(), Some(r));
        }
        assert!("owner".parse::<Role>().is_err());
    }

    /// The whole table, role by role, written out a second time by hand: a
    /// change to either must be deliberate.
    #[test]
    fn the_whole_table() {
        use Action::*;
        let expect: [(Role, &[Action]); 5] = [
            (
                Role::Contributor,
                &[
                    UseNewsroom,
                    CreateStory,
                    EditOwnDraft,
                    SubmitForReview,
                    UploadPicture,
                ],
            ),
            (
                Role::Reporter,
                &[
                    UseNewsroom,
                    CreateStory,
                    EditOwnDraft,
                    SubmitForReview,
                    PublishOwn,
                    UpdatePublished,
                    UploadPicture,
                    PostLiveUpdate,
                ],
            ),
            (
                Role::Editor,
                &[
                    UseNewsroom,
                    CreateStory,
                    EditOwnDraft,
                    SubmitForReview,
                    PublishOwn,
                    EditAnyStory,
                    PublishAny,
                    UpdatePublished,
                    Correct,
                    Withdraw,
                    RestoreRevision,
                    UploadPicture,
                    CurateFront,
                    ManageTaxonomy,
                    ModerateComments,
                    ViewAuditLog,
                    ArrangeFronts,
                    FeatureComments,
                    RunLivePage,
                    PostLiveUpdate,
                    ManageNewsletters,
                    EditWireRules,
                ],
            ),
            (
                Role::Moderator,
                &[UseNewsroom, ModerateComments, FeatureComments],
            ),
            (Role::Admin, &ACTIONS),
        ];
        for (role, allowed) in expect {
            for a in ACTIONS {
                assert_eq!(allows(role, a), allowed.contains(&a), "{role} {a:?}");
            }
        }
    }

    #[test]
    fn object_level_rules() {
        let own_draft = StoryFacts {
            own: true,
            status: StoryStatus::Draft,
        };
        let others_draft = StoryFacts {
            own: false,
            status: StoryStatus::Draft,
        };
        let own_published = StoryFacts {
            own: true,
            status: StoryStatus::Published,
        };
        let others_published = StoryFacts {
            own: false,
            status: StoryStatus::Published,
        };
        // A contributor: own drafts only; never publishes; cannot touch it once published.
        assert!(can_view_story(Role::Contributor, own_draft));
        assert!(can_edit_story(Role::Contributor, own_draft));
        assert!(!can_view_story(Role::Contributor, others_draft));
        assert!(!can_edit_story(Role::Contributor, others_draft));
        assert!(!can_publish_story(Role::Contributor, own_draft));
        assert!(!can_edit_story(Role::Contributor, own_published));
        assert!(can_view_story(Role::Contributor, others_published));
        // A reporter publishes and updates their own, not others'.
        assert!(can_publish_story(Role::Reporter, own_draft));
        assert!(!can_publish_story(Role::Reporter, others_draft));
        assert!(!can_view_story(Role::Reporter, others_draft));
        assert!(can_edit_story(Role::Reporter, own_published));
        assert!(!can_edit_story(Role::Reporter, others_published));
        // Editors and admins: everything.
        for r in [Role::Editor, Role::Admin] {
            for f in [own_draft, others_draft, own_published, others_published] {
                assert!(can_view_story(r, f) && can_edit_story(r, f) && can_publish_story(r, f));
            }
        }
        // A moderator sees no unpublished story and edits none.
        for f in [own_draft, others_draft, own_published, others_published] {
            assert!(!can_edit_story(Role::Moderator, f) && !can_publish_story(Role::Moderator, f));
        }
        assert!(!can_view_story(Role::Moderator, others_draft));
    }

    #[test]
    fn bylines_and_breaking() {
        let staff = |role| Actor::Staff { id: 5, role };
        for role in ROLES {
            let a = staff(role);
            assert!(may_set_bylines(&a, &[]), "empty keeps the bylines");
            assert!(may_set_bylines(&a, &[5, 9]), "{role} alongside a colleague");
            assert_eq!(
                may_set_bylines(&a, &[9]),
                matches!(role, Role::Editor | Role::Admin),
                "{role} bylines someone else alone"
            );
            assert_eq!(
                may_set_breaking(&a),
                matches!(role, Role::Editor | Role::Admin),
                "{role} breaking"
            );
        }
        assert!(may_set_bylines(&Actor::Operator, &[9]));
        assert!(may_set_breaking(&Actor::Operator));
        assert!(!may_set_breaking(&Actor::Scheduler));
    }
}
