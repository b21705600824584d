//! The whole permission table walked through HTTP: for every role and every
//! action the newsroom has a door for, a signed-in member of staff gets
//! exactly what `permissions::allows` says, through the real router.
//!
//! Each probe is set up by an admin (stories that are the role's own, or
//! someone else's; drafts, submitted and published), then tried by the role.
//! "Allowed" is the success answer of that form (a redirect, or the page);
//! "denied" is 403, or 404 where the rule is that a story one may not see
//! does not exist.

use axum::http::StatusCode;
use broadsheet_domain::permissions::{ACTIONS, Action, ROLES, Role, allows};

use crate::newsroom::{
    Desk, form_field, id_from_location, picture_bytes, signed_in, story_fields, upload,
    user_of_role,
};
use crate::support::{Paper, Reply, TestResult};

/// Actions with no newsroom page yet: paper settings, with a settings page
/// (comment moderation's doors are walked door by door in `comments.rs`). The table is still
/// walked for them in the domain's unit tests; this list keeps the walk
/// honest about what it cannot reach.
const NO_DOOR_YET: [Action; 1] = [Action::ManageSettings];

fn granted(r: &Reply) -> bool {
    r.status == StatusCode::SEE_OTHER || r.status == StatusCode::OK
}

fn refused(r: &Reply) -> bool {
    r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND
}

/// Fixtures an admin makes for one role's probes.
struct Setup<'a> {
    admin: Desk<'a>,
    admin_csrf: String,
    section: String,
}

impl<'a> Setup<'a> {
    /// A story made by the admin, bylined to `byline` (a staff id) if given,
    /// moved to `status` (draft, submitted or published). Returns its id.
    async fn story(
        &mut self,
        headline: &str,
        byline: Option<i64>,
        status: &str,
    ) -> Result<i64, Box<dyn std::error::Error>> {
        let mut fields = story_fields(&self.admin_csrf, headline, &self.section);
        let by = byline.map(|b| b.to_string()).unwrap_or_default();
        if byline.is_some() {
            fields.push(("authors", &by));
        }
        let r = self.admin.post("/newsroom/stories", &fields).await?;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "admin creates: {}", r.body);
        let id = id_from_location(&r);
        let path = format!("/newsroom/stories/{id}");
        let mv = match status {
            "submitted" => Some("submit"),
            "published" => Some("publish"),
            _ => None,
        };
        if let Some(mv) = mv {
            let page = self.admin.get(&path).await?;
            let v = form_field(&page.body, "version");
            let r = self
                .admin
                .post(
                    &path,
                    &[("csrf", &self.admin_csrf), ("do", mv), ("version", &v)],
                )
                .await?;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "admin {mv}: {}", r.body);
        }
        Ok(id)
    }
}

async fn staff_id(p: &Paper, role: Role) -> Result<i64, Box<dyn std::error::Error>> {
    let user = user_of_role(p, role.as_str()).await?;
    Ok(p.app
        .store()
        .author_by_username(&user)
        .await?
        .ok_or("no such account")?
        .id)
}

/// A story's current version, as the editor form carries it.
async fn version_of(p: &Paper, id: i64) -> Result<String, Box<dyn std::error::Error>> {
    Ok(p.app
        .store()
        .story(id)
        .await?
        .ok_or("story vanished")?
        .version
        .to_string())
}

/// Presses a story editor's `button` (submit, publish, withdraw) as `d`,
/// at the story's current version.
async fn press(
    p: &Paper,
    d: &mut Desk<'_>,
    csrf: &str,
    id: i64,
    button: &str,
) -> Result<Reply, Box<dyn std::error::Error>> {
    let v = version_of(p, id).await?;
    d.post(
        &format!("/newsroom/stories/{id}"),
        &[("csrf", csrf), ("do", button), ("version", &v)],
    )
    .await
}

/// Tries `action` as the signed-in `d` (of `role`) and says whether it was
/// granted; panics on an answer that is neither granted nor refused.
async fn probe(
    p: &Paper,
    role: Role,
    action: Action,
    d: &mut Desk<'_>,
    csrf: &str,
    setup: &mut Setup<'_>,
) -> Result<bool, Box<dyn std::error::Error>> {
    let me = staff_id(p, role).await?;
    // The admin's "someone else" is the editor; everyone else's is the admin.
    let other = if role == Role::Admin {
        Some(staff_id(p, Role::Editor).await?)
    } else {
        None
    };
    let post = |id: i64| format!("/newsroom/stories/{id}");
    let r = match action {
        Action::UseNewsroom => d.get("/newsroom").await?,
        Action::CreateStory => {
            d.post(
                "/newsroom/stories",
                &story_fields(csrf, "Walk: create", &setup.section),
            )
            .await?
        }
        Action::EditOwnDraft => {
            let id = setup.story("Walk: own draft", Some(me), "draft").await?;
            let v = version_of(p, id).await?;
            let mut f = story_fields(csrf, "Walk: own draft, edited", &setup.section);
            let me_s = me.to_string();
            f.extend([
                ("do", "save"),
                ("version", v.as_str()),
                ("authors", me_s.as_str()),
            ]);
            d.post(&post(id), &f).await?
        }
        Action::SubmitForReview => {
            let id = setup
                .story("Walk: own to submit", Some(me), "draft")
                .await?;
            press(p, d, csrf, id, "submit").await?
        }
        Action::PublishOwn => {
            let id = setup
                .story("Walk: own to publish", Some(me), "draft")
                .await?;
            press(p, d, csrf, id, "publish").await?
        }
        Action::EditAnyStory => {
            let id = setup.story("Walk: another's draft", other, "draft").await?;
            d.get(&post(id)).await?
        }
        Action::PublishAny => {
            let id = setup
                .story("Walk: another's submitted", other, "submitted")
                .await?;
            press(p, d, csrf, id, "publish").await?
        }
        Action::UpdatePublished => {
            let id = setup
                .story("Walk: own published", Some(me), "published")
                .await?;
            let v = version_of(p, id).await?;
            let mut f = story_fields(csrf, "Walk: own published, updated", &setup.section);
            let me_s = me.to_string();
            f.extend([
                ("do", "save"),
                ("version", v.as_str()),
                ("authors", me_s.as_str()),
            ]);
            d.post(&post(id), &f).await?
        }
        Action::Correct => {
            let id = setup.story("Walk: to correct", other, "published").await?;
            let v = version_of(p, id).await?;
            d.post(
                &post(id),
                &[
                    ("csrf", csrf),
                    ("do", "correct"),
                    ("version", &v),
                    ("correction", "An earlier version gave the wrong date."),
                ],
            )
            .await?
        }
        Action::Withdraw => {
            let id = setup.story("Walk: to withdraw", other, "published").await?;
            press(p, d, csrf, id, "withdraw").await?
        }
        Action::RestoreRevision => {
            let id = setup
                .story("Walk: own to restore", Some(me), "draft")
                .await?;
            let rev = p
                .app
                .store()
                .revisions(id)
                .await?
                .last()
                .map(|r| r.id.to_string())
                .ok_or("no revision")?;
            let v = version_of(p, id).await?;
            d.post(
                &post(id),
                &[
                    ("csrf", csrf),
                    ("do", "restore"),
                    ("version", &v),
                    ("revision", &rev),
                ],
            )
            .await?
        }
        Action::UploadPicture => {
            let png = picture_bytes(image::ImageFormat::Png);
            upload(
                d,
                crate::newsroom::multipart(
                    csrf,
                    "walk.png",
                    &png,
                    "A walk along the harbour wall",
                    "Walk Tester/Test Agency",
                    true,
                ),
            )
            .await?
        }
        Action::CurateFront => {
            let id = setup.story("Walk: a pick", other, "published").await?;
            d.post(
                "/newsroom/picks",
                &[("csrf", csrf), ("do", "add"), ("story", &id.to_string())],
            )
            .await?
        }
        Action::ManageTaxonomy => {
            let name = format!("Walk {}", role.as_str());
            d.post(
                "/newsroom/sections",
                &[("csrf", csrf), ("do", "add"), ("name", &name)],
            )
            .await?
        }
        Action::ManageStaff => d.get("/newsroom/staff").await?,
        Action::ManageReaders => d.get("/newsroom/readers").await?,
        Action::ManagePlans => d.get("/newsroom/plans").await?,
        Action::ManageNewsletters => d.get("/newsroom/newsletters").await?,
        Action::ViewAuditLog => {
            let id = setup.story("Walk: history", Some(me), "published").await?;
            d.get(&format!("/newsroom/stories/{id}/history")).await?
        }
        Action::ModerateComments => d.get("/newsroom/comments").await?,
        // Issue 12: featuring is a choice in the moderation queue.
        Action::FeatureComments => d.get("/newsroom/comments").await?,
        Action::ArrangeFronts => {
            let id = setup.story("Walk: to the lead", other, "published").await?;
            d.post(
                "/newsroom/fronts/0",
                &[
                    ("csrf", csrf),
                    ("do", "place"),
                    ("story", &id.to_string()),
                    ("position", "0"),
                ],
            )
            .await?
        }
        // Live pages (issue 12): marking a story live; posting an update
        // to a story the admin made live.
        Action::RunLivePage => {
            let id = setup.story("Walk: goes live", other, "published").await?;
            d.post(
                &format!("/newsroom/stories/{id}/live"),
                &[("csrf", csrf), ("do", "start")],
            )
            .await?
        }
        Action::PostLiveUpdate => {
            let id = setup.story("Walk: live", other, "published").await?;
            let path = format!("/newsroom/stories/{id}/live");
            let r = setup
                .admin
                .post(&path, &[("csrf", &setup.admin_csrf), ("do", "start")])
                .await?;
            assert_eq!(
                r.status,
                StatusCode::SEE_OTHER,
                "admin marks live: {}",
                r.body
            );
            d.post(
                &path,
                &[("csrf", csrf), ("do", "post"), ("body", "Walk: an update")],
            )
            .await?
        }
        // Wire ingest (issue 14): adding an agency; editing an agency's rules.
        Action::ManageAgencies => {
            let slug = format!("walk-{}", role.as_str());
            d.post(
                "/newsroom/agencies",
                &[
                    ("csrf", csrf),
                    ("do", "add"),
                    ("slug", &slug),
                    ("name", "Walk Agency"),
                    ("byline", "Walk Agency"),
                    ("credit", "Walk Agency"),
                    ("section", &setup.section),
                    ("mode", "queue"),
                ],
            )
            .await?
        }
        Action::EditWireRules => {
            let slug = format!("rules-{}", role.as_str());
            let id = broadsheet_app::wire::add_agency(
                &p.app,
                &broadsheet_domain::Actor::Operator,
                &broadsheet_app::wire::AgencyFields {
                    slug,
                    name: "Rules Agency".into(),
                    byline: "Rules Agency".into(),
                    credit: "Rules Agency".into(),
                    section_id: setup.section.parse()?,
                    mode: "queue".into(),
                    active: true,
                },
            )
            .await?;
            d.post(
                "/newsroom/agencies",
                &[
                    ("csrf", csrf),
                    ("do", "rules"),
                    ("agency", &id.to_string()),
                    ("rules", "subject football -> tag football"),
                ],
            )
            .await?
        }
        Action::ManageSettings => {
            return Err(format!("{action:?} has no door to probe").into());
        }
    };
    assert!(
        granted(&r) || refused(&r),
        "{role} {action:?}: neither granted nor refused: {} {}",
        r.status,
        &r.body[..r.body.len().min(300)]
    );
    Ok(granted(&r))
}

#[tokio::test]
async fn every_role_gets_every_action_the_table_gives_it_and_no_other() -> TestResult {
    let p = Paper::demo(5).await?;
    let section = p
        .app
        .sections()
        .by_path("news")
        .map(|s| s.id.to_string())
        .ok_or("no news section")?;
    let mut admin = signed_in(&p, "admin").await?;
    let admin_csrf = admin.csrf().await?;
    let mut setup = Setup {
        admin,
        admin_csrf,
        section,
    };
    let mut walked = 0;
    for role in ROLES {
        let mut d = signed_in(&p, role.as_str()).await?;
        let csrf = d.csrf().await?;
        for action in ACTIONS {
            if NO_DOOR_YET.contains(&action) {
                continue;
            }
            let got = probe(&p, role, action, &mut d, &csrf, &mut setup).await?;
            assert_eq!(
                got,
                allows(role, action),
                "{role} {action:?}: the newsroom {} it, the table says {}",
                if got { "allowed" } else { "refused" },
                allows(role, action)
            );
            walked += 1;
        }
    }
    assert_eq!(walked, ROLES.len() * (ACTIONS.len() - NO_DOOR_YET.len()));
    Ok(())
}
