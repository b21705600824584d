//! The newsroom through the real router: sign-in, permissions for every
//! role, the workflow, concurrent edits, and publishing reaching readers.

use axum::http::StatusCode;

use crate::support::{Paper, Reply, TestResult};

/// A browser session: keeps cookies and the CSRF token.
pub(crate) struct Desk<'a> {
    pub(crate) p: &'a Paper,
    cookies: Vec<(String, String)>,
}

pub(crate) fn form_field(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    html.split(&needle)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
        .to_string()
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl<'a> Desk<'a> {
    pub(crate) fn new(p: &'a Paper) -> Desk<'a> {
        Desk {
            p,
            cookies: Vec::new(),
        }
    }

    fn absorb(&mut self, r: &Reply) {
        for v in r.headers.get_all("set-cookie") {
            let Ok(v) = v.to_str() else { continue };
            let Some((kv, _)) = v.split_once(';') else {
                continue;
            };
            let Some((k, val)) = kv.split_once('=') else {
                continue;
            };
            self.cookies.retain(|(ck, _)| ck != k);
            if !val.is_empty() {
                self.cookies.push((k.to_string(), val.to_string()));
            }
        }
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) async fn get(&mut self, path: &str) -> Result<Reply, Box<dyn std::error::Error>> {
        let c = self.cookie_header();
        let r = self.p.request(path, &[("cookie", &c)]).await?;
        self.absorb(&r);
        Ok(r)
    }

    pub(crate) async fn post(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Result<Reply, Box<dyn std::error::Error>> {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let c = self.cookie_header();
        let r = self.p.post(path, &body, &[("cookie", &c)]).await?;
        self.absorb(&r);
        Ok(r)
    }

    pub(crate) async fn sign_in(
        &mut self,
        user: &str,
        password: &str,
    ) -> Result<Reply, Box<dyn std::error::Error>> {
        let form = self.get("/newsroom/sign-in").await?;
        let csrf = form_field(&form.body, "csrf");
        self.post(
            "/newsroom/sign-in",
            &[("csrf", &csrf), ("username", user), ("password", password)],
        )
        .await
    }

    /// The CSRF token of the signed-in session (from any newsroom page).
    pub(crate) async fn csrf(&mut self) -> Result<String, Box<dyn std::error::Error>> {
        let r = self.get("/newsroom").await?;
        Ok(form_field(&r.body, "csrf"))
    }
}

pub(crate) async fn user_of_role(
    p: &Paper,
    role: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let staff = p.app.store().staff().await?;
    staff
        .into_iter()
        .find(|(_, _, r)| r == role)
        .map(|(u, _, _)| u)
        .ok_or_else(|| format!("no {role}").into())
}

pub(crate) async fn signed_in<'a>(
    p: &'a Paper,
    role: &str,
) -> Result<Desk<'a>, Box<dyn std::error::Error>> {
    let user = user_of_role(p, role).await?;
    let mut d = Desk::new(p);
    let r = d.sign_in(&user, &p.password(&user)).await?;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "{role} signs in: {}",
        r.body
    );
    Ok(d)
}

pub(crate) fn story_fields<'b>(
    csrf: &'b str,
    headline: &'b str,
    section: &'b str,
) -> Vec<(&'b str, &'b str)> {
    vec![
        ("csrf", csrf),
        ("headline", headline),
        ("standfirst", "A short standfirst."),
        ("body", "First paragraph of the story.\n\nSecond paragraph."),
        ("section", section),
        ("access", "free"),
        ("byline", ""),
        ("seo_title", ""),
        ("seo_description", ""),
    ]
}

pub(crate) fn id_from_location(r: &Reply) -> i64 {
    r.header("location")
        .trim_start_matches("/newsroom/stories/")
        .split('?')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn sign_in_says_nothing_about_accounts_and_is_rate_limited() -> TestResult {
    let p = Paper::demo(5).await?;
    let editor = user_of_role(&p, "editor").await?;
    let mut d = Desk::new(&p);
    let wrong = d.sign_in(&editor, "not the password").await?;
    let missing = d.sign_in("no.such.person", "not the password").await?;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    let msg = |r: &Reply| crate::support::between(&r.body, "role=\"alert\">", "</p>").to_string();
    assert_eq!(
        msg(&wrong),
        msg(&missing),
        "the same words whether or not the account exists"
    );
    // Without the form's token, nothing is checked at all.
    let r = d
        .post(
            "/newsroom/sign-in",
            &[("username", &editor), ("password", "x")],
        )
        .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Five failures for one account lock it for a while, even with the right password.
    for _ in 0..4 {
        d.sign_in(&editor, "still wrong").await?;
    }
    let locked = d.sign_in(&editor, &p.password(&editor)).await?;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    // Another account is not affected.
    let reporter = user_of_role(&p, "reporter").await?;
    let ok = Desk::new(&p)
        .sign_in(&reporter, &p.password(&reporter))
        .await?;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let cookie = ok.header("set-cookie");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && cookie.contains("Path=/newsroom")
    );
    Ok(())
}

#[tokio::test]
async fn sessions_end_on_sign_out_everywhere_and_password_change() -> TestResult {
    let p = Paper::demo(5).await?;
    let mut a = signed_in(&p, "reporter").await?;
    let mut b = signed_in(&p, "reporter").await?;
    assert_eq!(a.get("/newsroom").await?.status, StatusCode::OK);
    let csrf = a.csrf().await?;
    // A form without the token is refused.
    assert_eq!(
        a.post("/newsroom/sign-out", &[("everywhere", "1")])
            .await?
            .status,
        StatusCode::FORBIDDEN
    );
    a.post(
        "/newsroom/sign-out",
        &[("csrf", &csrf), ("everywhere", "1")],
    )
    .await?;
    assert_eq!(
        b.get("/newsroom").await?.status,
        StatusCode::SEE_OTHER,
        "the other session ended too"
    );
    let mut c = signed_in(&p, "editor").await?;
    let user = user_of_role(&p, "editor").await?;
    let acct = p
        .app
        .store()
        .author_by_username(&user)
        .await?
        .ok_or("no editor")?;
    broadsheet_app::accounts::reset_password(
        &p.app,
        &broadsheet_domain::Actor::Operator,
        &user,
        Some("a brand new passphrase"),
    )
    .await?;
    // A reset ends every session of that account, this one included.
    assert!(
        p.app
            .store()
            .author_by_username(&user)
            .await?
            .is_some_and(|a| a.id == acct.id)
    );
    assert_eq!(c.get("/newsroom").await?.status, StatusCode::SEE_OTHER);
    Ok(())
}

#[tokio::test]
async fn contributor_writes_editor_publishes_and_readers_see_it_at_once() -> TestResult {
    let p = Paper::demo(12).await?;
    let section = p
        .app
        .sections()
        .by_path("news/world")
        .map(|s| s.id.to_string())
        .ok_or("no world")?;
    // Warm the reader pages so the test covers purging.
    p.get("/").await?;
    p.get("/news/world").await?;

    let mut writer = signed_in(&p, "contributor").await?;
    let csrf = writer.csrf().await?;
    let headline = "Harbour ferry returns after winter repairs";
    let r = writer
        .post(
            "/newsroom/stories",
            &story_fields(&csrf, headline, &section),
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let id = id_from_location(&r);
    let made = p
        .app
        .store()
        .story(id)
        .await?
        .ok_or("the draft was not stored")?;
    assert_eq!(made.headline, headline);
    assert_eq!(made.status, broadsheet_domain::StoryStatus::Draft);
    let location = r.header("location").to_string();
    let page = writer.get(&location).await?;
    assert!(page.body.contains("Draft created."));
    assert!(
        !page.body.contains("value=\"publish\""),
        "a contributor has no publish button"
    );
    // A contributor cannot publish, even by posting the form by hand.
    let version = form_field(&page.body, "version");
    let r = writer
        .post(
            &format!("/newsroom/stories/{id}"),
            &[("csrf", &csrf), ("do", "publish"), ("version", &version)],
        )
        .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = writer
        .post(
            &format!("/newsroom/stories/{id}"),
            &[("csrf", &csrf), ("do", "submit"), ("version", &version)],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Not on the reader site yet.
    assert!(!p.get("/").await?.body.contains(headline));

    // Another contributor cannot even see it.
    let staff = p.app.store().staff().await?;
    let others: Vec<String> = staff
        .iter()
        .filter(|(_, _, r)| r == "contributor")
        .map(|(u, _, _)| u.clone())
        .collect();
    if let Some(second) = others.get(1) {
        let mut other = Desk::new(&p);
        other.sign_in(second, &p.password(second)).await?;
        assert_eq!(
            other.get(&format!("/newsroom/stories/{id}")).await?.status,
            StatusCode::NOT_FOUND
        );
        assert!(!other.get("/newsroom").await?.body.contains(headline));
    }

    let mut editor = signed_in(&p, "editor").await?;
    let dash = editor.get("/newsroom").await?;
    assert!(
        crate::support::between(&dash.body, "Waiting for review", "</section>").contains(headline)
    );
    let csrf = editor.csrf().await?;
    let page = editor.get(&format!("/newsroom/stories/{id}")).await?;
    let version = form_field(&page.body, "version");
    let r = editor
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("csrf", &csrf),
                ("do", "publish"),
                ("version", &version),
                ("publish_at", ""),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The reader site shows it at once: home page and its section front.
    assert!(
        p.get("/").await?.body.contains(headline),
        "on the home page"
    );
    assert!(
        p.get("/news/world").await?.body.contains(headline),
        "on its section front"
    );
    let story = p.app.store().story(id).await?.ok_or("gone")?;
    let path = p.path_of(&story);
    assert_eq!(p.get(&path).await?.status, StatusCode::OK);

    // An update after publication shows "Updated:".
    let page = editor.get(&format!("/newsroom/stories/{id}")).await?;
    let version = form_field(&page.body, "version");
    let mut fields = story_fields(&csrf, headline, &section);
    fields.push(("do", "save"));
    fields.push(("version", &version));
    fields.retain(|(k, _)| *k != "body");
    fields.push((
        "body",
        "First paragraph, now with the sailing times.\n\nSecond paragraph.",
    ));
    let r = editor
        .post(&format!("/newsroom/stories/{id}"), &fields)
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let stale = broadsheet_app::newsroom::save(
        &p.app,
        &broadsheet_domain::Actor::Operator,
        id,
        0,
        &broadsheet_store::StoryEdit {
            section_id: story.section_id,
            headline: "x".into(),
            standfirst: String::new(),
            body: String::new(),
            byline_text: None,
            access: broadsheet_domain::Access::Free,
            breaking: false,
            seo_title: String::new(),
            seo_description: String::new(),
            tags: Vec::new(),
            authors: Vec::new(),
            lead_picture_id: None,
        },
    )
    .await?; // a stale save is refused, not applied
    assert!(matches!(stale, broadsheet_store::Saved::Conflict { .. }));
    let reader = p.get(&path).await?;
    assert!(reader.body.contains("sailing times"));
    assert!(reader.body.contains("Updated: <time"), "updated time shown");
    // The audit log names every step.
    let audit: Vec<String> = p
        .app
        .store()
        .audit_of(id)
        .await?
        .into_iter()
        .map(|a| a.action)
        .collect();
    for step in ["create", "submitted", "published", "save"] {
        assert!(
            audit.iter().any(|a| a == step),
            "audit lacks {step}: {audit:?}"
        );
    }
    // Withdrawal: 410 for readers.
    let page = editor.get(&format!("/newsroom/stories/{id}")).await?;
    let version = form_field(&page.body, "version");
    editor
        .post(
            &format!("/newsroom/stories/{id}"),
            &[("csrf", &csrf), ("do", "withdraw"), ("version", &version)],
        )
        .await?;
    assert_eq!(p.get(&path).await?.status, StatusCode::GONE);
    assert!(!p.get("/").await?.body.contains(headline));
    Ok(())
}

#[tokio::test]
async fn concurrent_edits_never_overwrite_silently() -> TestResult {
    let p = Paper::demo(5).await?;
    let section = p
        .app
        .sections()
        .by_path("sport")
        .map(|s| s.id.to_string())
        .ok_or("no sport")?;
    let mut one = signed_in(&p, "editor").await?;
    let csrf1 = one.csrf().await?;
    let r = one
        .post(
            "/newsroom/stories",
            &story_fields(&csrf1, "Cup draw made", &section),
        )
        .await?;
    let id = id_from_location(&r);
    let mut two = signed_in(&p, "admin").await?;
    let csrf2 = two.csrf().await?;
    // Both open version 1.
    let v1 = form_field(
        &one.get(&format!("/newsroom/stories/{id}")).await?.body,
        "version",
    );
    let v2 = form_field(
        &two.get(&format!("/newsroom/stories/{id}")).await?.body,
        "version",
    );
    assert_eq!(v1, v2);
    let mut a = story_fields(&csrf1, "Cup draw made: United at home", &section);
    a.push(("do", "save"));
    a.push(("version", &v1));
    assert_eq!(
        one.post(&format!("/newsroom/stories/{id}"), &a)
            .await?
            .status,
        StatusCode::SEE_OTHER
    );
    let mut b = story_fields(&csrf2, "Cup draw made: City away", &section);
    b.push(("do", "save"));
    b.push(("version", &v2));
    let refused = two.post(&format!("/newsroom/stories/{id}"), &b).await?;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.body.contains("someone else saved this story"));
    assert!(
        refused.body.contains("City away"),
        "the refused text is still in the form"
    );
    let story = p.app.store().story(id).await?.ok_or("no story")?;
    assert_eq!(story.headline, "Cup draw made: United at home");
    let revs = p.app.store().revisions(id).await?;
    assert!(
        revs.iter()
            .any(|r| r.headline == "Cup draw made: City away" && r.note.starts_with("not applied"))
    );
    let hist = two.get(&format!("/newsroom/stories/{id}/history")).await?;
    assert!(hist.body.contains("City away") && hist.body.contains("United at home"));
    Ok(())
}

#[tokio::test]
async fn scheduled_stories_publish_themselves() -> TestResult {
    let p = Paper::demo(5).await?;
    let section = p
        .app
        .sections()
        .by_path("business")
        .map(|s| s.id.to_string())
        .ok_or("no business")?;
    let mut ed = signed_in(&p, "editor").await?;
    let csrf = ed.csrf().await?;
    let r = ed
        .post(
            "/newsroom/stories",
            &story_fields(&csrf, "Mill reopens under new owners", &section),
        )
        .await?;
    let id = id_from_location(&r);
    let v = form_field(
        &ed.get(&format!("/newsroom/stories/{id}")).await?.body,
        "version",
    );
    let later =
        broadsheet_domain::time::show(broadsheet_app::now() + 3600, &p.app.config().time_zone)
            .datetime;
    let local = &later[..16]; // YYYY-MM-DDTHH:MM
    let r = ed
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("csrf", &csrf),
                ("do", "publish"),
                ("version", &v),
                ("publish_at", local),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let s = p.app.store().story(id).await?.ok_or("no story")?;
    assert_eq!(s.status, broadsheet_domain::StoryStatus::Scheduled);
    assert!(!p.get("/").await?.body.contains("Mill reopens"));
    assert_eq!(
        broadsheet_app::newsroom::publish_due(&p.app).await?,
        0,
        "not yet"
    );
    // Time passes (as after a restart: the due time is in the database).
    let due = broadsheet_app::now() - 1;
    let mut tx = p.app.store().begin().await?;
    use broadsheet_domain::StoryStatus::Scheduled;
    assert!(
        tx.move_story(id, Scheduled, None, Scheduled, Some(due), due)
            .await?
    );
    tx.commit().await?;
    assert_eq!(broadsheet_app::newsroom::publish_due(&p.app).await?, 1);
    assert!(p.get("/").await?.body.contains("Mill reopens"));
    let bad = ed
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("csrf", &csrf),
                ("do", "publish"),
                ("version", "1"),
                ("publish_at", "next tuesday"),
            ],
        )
        .await?;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn every_role_gets_what_the_table_gives_it() -> TestResult {
    use broadsheet_domain::permissions::{ACTIONS, Action, ROLES, allows};
    let p = Paper::demo(5).await?;
    let section = p
        .app
        .sections()
        .by_path("news")
        .map(|s| s.id.to_string())
        .ok_or("no news")?;
    for role in ROLES {
        let mut d = signed_in(&p, role.as_str()).await?;
        let csrf = d.csrf().await?;
        let create = d
            .post(
                "/newsroom/stories",
                &story_fields(&csrf, "Role check", &section),
            )
            .await?;
        let may_create = allows(role, Action::CreateStory);
        assert_eq!(
            create.status == StatusCode::SEE_OTHER,
            may_create,
            "{role} create: {}",
            create.status
        );
        let new_form = d.get("/newsroom/stories/new").await?;
        assert_eq!(
            new_form.status == StatusCode::OK,
            may_create,
            "{role} new form"
        );
        if may_create {
            let id = id_from_location(&create);
            let page = d.get(&format!("/newsroom/stories/{id}")).await?;
            let v = form_field(&page.body, "version");
            let publish = d
                .post(
                    &format!("/newsroom/stories/{id}"),
                    &[("csrf", &csrf), ("do", "publish"), ("version", &v)],
                )
                .await?;
            assert_eq!(
                publish.status == StatusCode::SEE_OTHER,
                allows(role, Action::PublishOwn),
                "{role} publish own"
            );
        }
        let _ = ACTIONS;
    }
    Ok(())
}

#[tokio::test]
async fn corrections_tags_bylines_and_restoring_revisions() -> TestResult {
    let p = Paper::demo(8).await?;
    let section = p
        .app
        .sections()
        .by_path("news/scotland")
        .map(|s| s.id.to_string())
        .ok_or("no scotland")?;
    let mut ed = signed_in(&p, "editor").await?;
    let csrf = ed.csrf().await?;
    let reporter = user_of_role(&p, "reporter").await?;
    let reporter_id = p
        .app
        .store()
        .author_by_username(&reporter)
        .await?
        .ok_or("no reporter")?
        .id
        .to_string();
    let mut fields = story_fields(&csrf, "Ferry timetable changes for winter", &section);
    fields.push(("tags", "Ferries, Island life"));
    fields.push(("authors", &reporter_id));
    let r = ed.post("/newsroom/stories", &fields).await?;
    let id = id_from_location(&r);
    let story = p.app.store().story(id).await?.ok_or("no story")?;
    let tag_names: Vec<&str> = story.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tag_names, vec!["Ferries", "Island life"]);
    assert_eq!(
        story
            .authors
            .iter()
            .map(|a| a.id.to_string())
            .collect::<Vec<_>>(),
        vec![reporter_id.clone()]
    );
    let v = form_field(
        &ed.get(&format!("/newsroom/stories/{id}")).await?.body,
        "version",
    );
    ed.post(
        &format!("/newsroom/stories/{id}"),
        &[("csrf", &csrf), ("do", "publish"), ("version", &v)],
    )
    .await?;
    let path = p.path_of(&p.app.store().story(id).await?.ok_or("gone")?);
    assert!(
        p.get("/tags/ferries")
            .await?
            .body
            .contains("Ferry timetable")
    );
    let reader = p.get(&path).await?;
    assert!(reader.body.contains("rel=\"author\""));

    // A new tag on a published story reaches that tag's page at once.
    p.get("/tags/weather").await.ok();
    let v = form_field(
        &ed.get(&format!("/newsroom/stories/{id}")).await?.body,
        "version",
    );
    let mut edit = story_fields(&csrf, "Ferry timetable changes for winter storms", &section);
    edit.push(("tags", "Ferries, Weather"));
    edit.push(("authors", &reporter_id));
    edit.push(("do", "save"));
    edit.push(("version", &v));
    assert_eq!(
        ed.post(&format!("/newsroom/stories/{id}"), &edit)
            .await?
            .status,
        StatusCode::SEE_OTHER
    );
    assert!(p.get("/tags/weather").await?.body.contains("winter storms"));
    assert!(
        !p.get("/tags/island-life")
            .await?
            .body
            .contains("winter storms")
    );

    // A correction: dated at the foot of the story, and on the corrections page.
    p.get("/corrections").await?;
    let v = form_field(
        &ed.get(&format!("/newsroom/stories/{id}")).await?.body,
        "version",
    );
    let text = "An earlier version gave the wrong sailing time for the first ferry.";
    let r = ed
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("csrf", &csrf),
                ("do", "correct"),
                ("version", &v),
                ("correction", text),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let reader = p.get(&path).await?;
    assert!(reader.body.contains("id=\"corrections-h\"") && reader.body.contains(text));
    assert!(reader.body.contains("Updated: <time"));
    let page = p.get("/corrections").await?;
    assert!(page.body.contains(text) && page.body.contains(&path));
    // Only editors correct.
    let mut rep = Desk::new(&p);
    rep.sign_in(&reporter, &p.password(&reporter)).await?;
    let rcsrf = rep.csrf().await?;
    let r = rep
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("csrf", &rcsrf),
                ("do", "correct"),
                ("version", "1"),
                ("correction", "x"),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // History: a readable diff, and restoring the first text.
    let hist = ed.get(&format!("/newsroom/stories/{id}/history")).await?;
    assert!(hist.body.contains("<ins>") && hist.body.contains("storms"));
    let revs = p.app.store().revisions(id).await?;
    let first = revs
        .iter()
        .find(|r| r.note == "created")
        .ok_or("no first revision")?;
    let v = form_field(&hist.body, "version");
    let r = ed
        .post(
            &format!("/newsroom/stories/{id}"),
            &[
                ("csrf", &csrf),
                ("do", "restore"),
                ("version", &v),
                ("revision", &first.id.to_string()),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let now = p.app.store().story(id).await?.ok_or("gone")?;
    assert_eq!(now.headline, "Ferry timetable changes for winter");
    assert!(
        p.get(&path).await?.status == StatusCode::PERMANENT_REDIRECT
            || p.get(&path).await?.status == StatusCode::OK
    );
    Ok(())
}

#[tokio::test]
async fn editors_order_picks_and_reporters_cannot() -> TestResult {
    let p = Paper::demo(20).await?;
    let mut ed = signed_in(&p, "editor").await?;
    let csrf = ed.csrf().await?;
    let before: Vec<i64> = p.app.store().editors_picks().await?;
    assert!(before.len() >= 2, "the demo has picks");
    let fresh = p
        .app
        .store()
        .cards(broadsheet_store::Listing::All, 50, 0)
        .await?
        .into_iter()
        .find(|c| !before.contains(&c.id))
        .ok_or("no story to add")?;
    let add = ed
        .post(
            "/newsroom/picks",
            &[
                ("csrf", &csrf),
                ("do", "add"),
                ("story", &fresh.id.to_string()),
            ],
        )
        .await?;
    assert_eq!(add.status, StatusCode::SEE_OTHER);
    assert_eq!(p.app.store().editors_picks().await?.last(), Some(&fresh.id));
    let up = ed
        .post(
            "/newsroom/picks",
            &[
                ("csrf", &csrf),
                ("do", "up"),
                ("story", &fresh.id.to_string()),
            ],
        )
        .await?;
    assert_eq!(up.status, StatusCode::SEE_OTHER);
    let now = p.app.store().editors_picks().await?;
    assert_eq!(now[now.len() - 2], fresh.id);
    // The reader site shows the new order at once.
    let home = p.get("/").await?;
    let rail = crate::support::between(&home.body, "id=\"editors-picks\"", "</section>");
    let pos_fresh = rail
        .find(&format!("-{}\"", fresh.id))
        .ok_or("fresh pick missing")?;
    let last = now[now.len() - 1];
    let pos_last = rail
        .find(&format!("-{last}\""))
        .ok_or("last pick missing")?;
    assert!(pos_fresh < pos_last);
    assert_eq!(
        ed.post(
            "/newsroom/picks",
            &[("csrf", &csrf), ("do", "add"), ("story", "99999999")]
        )
        .await?
        .status,
        StatusCode::BAD_REQUEST
    );
    let rm = ed
        .post(
            "/newsroom/picks",
            &[
                ("csrf", &csrf),
                ("do", "remove"),
                ("story", &fresh.id.to_string()),
            ],
        )
        .await?;
    assert_eq!(rm.status, StatusCode::SEE_OTHER);
    assert!(!p.app.store().editors_picks().await?.contains(&fresh.id));
    let mut rep = signed_in(&p, "reporter").await?;
    assert_eq!(
        rep.get("/newsroom/picks").await?.status,
        StatusCode::FORBIDDEN
    );
    let rcsrf = rep.csrf().await?;
    let r = rep
        .post(
            "/newsroom/picks",
            &[
                ("csrf", &rcsrf),
                ("do", "remove"),
                ("story", &before[0].to_string()),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    Ok(())
}

pub(crate) fn picture_bytes(format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 360, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    let _ = image::DynamicImage::ImageRgb8(img).write_to(&mut out, format);
    out.into_inner()
}

pub(crate) fn multipart(
    csrf: &str,
    file_name: &str,
    bytes: &[u8],
    alt: &str,
    credit: &str,
    close: bool,
) -> Vec<u8> {
    let b = "XbOuNdArYx";
    let mut body = Vec::new();
    for (k, v) in [
        ("csrf", csrf),
        ("alt", alt),
        ("caption", "Boats at the quay"),
        ("credit", credit),
    ] {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    if close {
        body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    }
    body
}

pub(crate) async fn upload(
    d: &Desk<'_>,
    body: Vec<u8>,
) -> Result<Reply, Box<dyn std::error::Error>> {
    let c = d.cookie_header();
    d.p.post_bytes(
        "/newsroom/pictures",
        body,
        &[
            ("cookie", &c),
            ("content-type", "multipart/form-data; boundary=XbOuNdArYx"),
        ],
    )
    .await
}

#[tokio::test]
async fn picture_uploads_are_checked_and_nothing_bad_is_stored() -> TestResult {
    let p = Paper::demo(5).await?;
    let mut d = signed_in(&p, "contributor").await?;
    let csrf = d.csrf().await?;
    let count = || async { p.app.store().picture_count().await };
    let before = count().await?;
    let jpeg = picture_bytes(image::ImageFormat::Jpeg);
    let png = picture_bytes(image::ImageFormat::Png);

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "no alt text",
            multipart(&csrf, "quay.jpg", &jpeg, "", "Jo Bloggs/Coast Agency", true),
            "Alt text is required",
        ),
        (
            "mislabelled",
            multipart(&csrf, "quay.jpg", &png, "Boats", "Jo Bloggs", true),
            "its contents are PNG",
        ),
        (
            "truncated",
            multipart(
                &csrf,
                "quay.jpg",
                &jpeg[..jpeg.len() / 2],
                "Boats",
                "Jo Bloggs",
                true,
            ),
            "damaged or cut short",
        ),
        (
            "not a picture",
            multipart(
                &csrf,
                "quay.jpg",
                b"<html><script>alert(1)</script></html>",
                "Boats",
                "Jo Bloggs",
                true,
            ),
            "not a picture we can read",
        ),
        (
            "cut off upload",
            multipart(&csrf, "quay.jpg", &jpeg, "Boats", "Jo Bloggs", false),
            "did not complete",
        ),
        (
            "oversized",
            multipart(
                &csrf,
                "quay.jpg",
                &vec![0xFF; broadsheet_app::media::MAX_UPLOAD_BYTES + 10],
                "Boats",
                "Jo Bloggs",
                true,
            ),
            "the most we take",
        ),
    ];
    for (what, body, expect) in cases {
        let r = upload(&d, body).await?;
        assert!(r.status.is_client_error(), "{what}: {}", r.status);
        assert!(r.body.contains(expect), "{what}: expected {expect:?}");
        assert_eq!(count().await?, before, "{what}: nothing stored");
    }
    // No CSRF token: refused.
    let r = upload(
        &d,
        multipart("", "quay.png", &png, "Boats", "Jo Bloggs", true),
    )
    .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A good one.
    let r = upload(
        &d,
        multipart(
            &csrf,
            "quay.png",
            &png,
            "Fishing boats tied up at the quay",
            "Jo Bloggs/Coast Agency",
            true,
        ),
    )
    .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(count().await?, before + 1);
    let lib = d.get("/newsroom/pictures?q=fishing").await?;
    assert!(lib.body.contains("Fishing boats tied up"));
    let id = p
        .app
        .store()
        .search_pictures("fishing boats", 1)
        .await?
        .first()
        .map(|x| x.id)
        .ok_or("not found")?;
    let token = p
        .app
        .store()
        .search_pictures("fishing boats", 1)
        .await?
        .first()
        .map(|x| x.token.clone())
        .ok_or("not found")?;
    for w in [480, 960] {
        // Not in published use yet: staff see it, readers do not.
        let m = d.get(&format!("/newsroom/media/{token}-{w}.jpg")).await?;
        assert_eq!(m.status, StatusCode::OK, "rendition {w}");
        let m = p.get(&format!("/media/{token}-{w}.jpg")).await?;
        assert_eq!(m.status, StatusCode::NOT_FOUND, "rendition {w}");
    }
    // It can be a story's lead picture; readers see it with caption and credit.
    let section = p
        .app
        .sections()
        .by_path("news")
        .map(|s| s.id.to_string())
        .ok_or("no news")?;
    let mut ed = signed_in(&p, "editor").await?;
    let ecsrf = ed.csrf().await?;
    let pic = id.to_string();
    let mut fields = story_fields(&ecsrf, "Quayside boats", &section);
    fields.push(("lead_picture", &pic));
    let r = ed.post("/newsroom/stories", &fields).await?;
    let sid = id_from_location(&r);
    let v = form_field(
        &ed.get(&format!("/newsroom/stories/{sid}")).await?.body,
        "version",
    );
    ed.post(
        &format!("/newsroom/stories/{sid}"),
        &[("csrf", &ecsrf), ("do", "publish"), ("version", &v)],
    )
    .await?;
    let path = p.path_of(&p.app.store().story(sid).await?.ok_or("no story")?);
    let page = p.get(&path).await?;
    assert!(
        page.body.contains("Fishing boats tied up at the quay")
            && page.body.contains("(Jo Bloggs/Coast Agency)")
    );
    // A moderator has no media library.
    let mut m = signed_in(&p, "moderator").await?;
    assert_eq!(
        m.get("/newsroom/pictures").await?.status,
        StatusCode::FORBIDDEN
    );
    Ok(())
}

#[tokio::test]
async fn autosave_and_preview() -> TestResult {
    let p = Paper::demo(5).await?;
    let section = p
        .app
        .sections()
        .by_path("sport")
        .map(|s| s.id.to_string())
        .ok_or("no sport")?;
    let mut d = signed_in(&p, "reporter").await?;
    let csrf = d.csrf().await?;
    let r = d
        .post(
            "/newsroom/stories",
            &story_fields(&csrf, "Relay team sets club record", &section),
        )
        .await?;
    let id = id_from_location(&r);
    let page = d.get(&format!("/newsroom/stories/{id}")).await?;
    assert!(page.body.contains("/static/newsroom.js"));
    assert!(page.body.contains("id=\"preview\""));
    let v = form_field(&page.body, "version");
    // The editor's script posts the form asking for JSON.
    let mut fields = story_fields(&csrf, "Relay team sets club record", &section);
    fields.retain(|(k, _)| *k != "body");
    fields.push(("body", "Typed and autosaved."));
    fields.push(("do", "save"));
    fields.push(("version", &v));
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(' ', "+")))
        .collect::<Vec<_>>()
        .join("&");
    let cookie = d.cookie_header();
    let r = p
        .post(
            &format!("/newsroom/stories/{id}"),
            &body,
            &[("cookie", &cookie), ("accept", "application/json")],
        )
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j: serde_json::Value = serde_json::from_str(&r.body)?;
    let next = j["version"].as_i64().ok_or("no version")?;
    assert!(next > v.parse::<i64>()?);
    assert_eq!(
        p.app.store().story(id).await?.map(|s| s.body),
        Some("Typed and autosaved.".into())
    );
    // The same save again (stale version) is a conflict, in JSON.
    let r = p
        .post(
            &format!("/newsroom/stories/{id}"),
            &body,
            &[("cookie", &cookie), ("accept", "application/json")],
        )
        .await?;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("someone else saved"));
    // Preview: sanitised, as readers would see it.
    let r = d
        .post(
            "/newsroom/preview",
            &[
                ("csrf", &csrf),
                (
                    "body",
                    "## Result\n\n**Fast** [x](javascript:alert(1))\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>",
                ),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<h2>Result</h2>") && r.body.contains("<strong>Fast</strong>"));
    assert!(
        !r.body.contains("<script")
            && !r.body.contains("javascript:")
            && !r.body.contains("onerror")
    );
    assert_eq!(
        d.post("/newsroom/preview", &[("body", "x")]).await?.status,
        StatusCode::FORBIDDEN
    );
    let js = p.get("/static/newsroom.js").await?;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.header("content-type").starts_with("text/javascript"));
    Ok(())
}

#[tokio::test]
async fn editors_manage_sections_and_merge_tags() -> TestResult {
    let p = Paper::demo(20).await?;
    let mut ed = signed_in(&p, "editor").await?;
    let csrf = ed.csrf().await?;
    p.get("/").await?; // cached
    let page = ed.get("/newsroom/sections").await?;
    assert_eq!(page.status, StatusCode::OK);
    // Add a top-level section: it is in every page's navigation at once.
    let r = ed
        .post(
            "/newsroom/sections",
            &[
                ("csrf", &csrf),
                ("do", "add"),
                ("name", "Travel"),
                ("parent", ""),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let home = p.get("/").await?;
    assert!(
        crate::support::hrefs(crate::support::between(
            &home.body,
            "aria-label=\"Sections\"",
            "</nav>"
        ))
        .iter()
        .any(|h| h == "/travel")
    );
    assert_eq!(p.get("/travel").await?.status, StatusCode::OK);
    // A child section under Sport.
    let sport = p
        .app
        .sections()
        .by_path("sport")
        .map(|s| s.id.to_string())
        .ok_or("no sport")?;
    let r = ed
        .post(
            "/newsroom/sections",
            &[
                ("csrf", &csrf),
                ("do", "add"),
                ("name", "Rugby"),
                ("parent", &sport),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        p.get("/sport")
            .await?
            .body
            .contains("href=\"/sport/rugby\"")
    );
    // Names that clash with pages are refused.
    let r = ed
        .post(
            "/newsroom/sections",
            &[
                ("csrf", &csrf),
                ("do", "add"),
                ("name", "Tags"),
                ("parent", ""),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Rename and reorder.
    let business = p
        .app
        .sections()
        .by_path("business")
        .map(|s| s.id.to_string())
        .ok_or("no business")?;
    ed.post(
        "/newsroom/sections",
        &[
            ("csrf", &csrf),
            ("do", "rename"),
            ("section", &business),
            ("name", "Money"),
        ],
    )
    .await?;
    assert!(p.get("/").await?.body.contains(">Money</a>"));
    ed.post(
        "/newsroom/sections",
        &[("csrf", &csrf), ("do", "up"), ("section", &business)],
    )
    .await?;
    let nav: Vec<String> = p.app.sections().top().map(|s| s.path.clone()).collect();
    assert_eq!(nav.first().map(String::as_str), Some("business"), "{nav:?}");

    // Merge two tags: stories move, the old address redirects.
    let uses = p.app.store().tag_uses().await?;
    let (from, into) = (&uses[0], &uses[1]);
    let tagged = p.app.store().stories_with_tag(from.id).await?;
    p.get(&format!("/tags/{}", into.slug)).await?;
    let r = ed
        .post(
            "/newsroom/tags",
            &[
                ("csrf", &csrf),
                ("from", &from.id.to_string()),
                ("into", &into.id.to_string()),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let moved = p.get(&format!("/tags/{}", from.slug)).await?;
    assert_eq!(moved.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(moved.header("location"), format!("/tags/{}", into.slug));
    for id in tagged {
        assert!(p.app.store().story_tag_ids(id).await?.contains(&into.id));
    }
    // Reporters cannot.
    let mut rep = signed_in(&p, "reporter").await?;
    assert_eq!(
        rep.get("/newsroom/sections").await?.status,
        StatusCode::FORBIDDEN
    );
    let rcsrf = rep.csrf().await?;
    let r = rep
        .post(
            "/newsroom/sections",
            &[
                ("csrf", &rcsrf),
                ("do", "add"),
                ("name", "Gardening"),
                ("parent", ""),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn two_factor_sign_in_and_password_change() -> TestResult {
    let p = Paper::demo(5).await?;
    let user = user_of_role(&p, "reporter").await?;
    let password = p.password(&user);
    let mut d = signed_in(&p, "reporter").await?;
    let csrf = d.csrf().await?;
    let page = d.get("/newsroom/account").await?;
    let secret = form_field(&page.body, "secret");
    assert_eq!(secret.len(), 32, "a 160-bit base32 key");
    assert!(page.body.contains("otpauth://totp/"));
    let wrong = d
        .post(
            "/newsroom/account",
            &[
                ("csrf", &csrf),
                ("do", "totp-on"),
                ("secret", &secret),
                ("code", "000000"),
            ],
        )
        .await?;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let code = broadsheet_app::accounts::totp_code(&secret, broadsheet_app::now());
    let on = d
        .post(
            "/newsroom/account",
            &[
                ("csrf", &csrf),
                ("do", "totp-on"),
                ("secret", &secret),
                ("code", &code),
                ("password", &password),
            ],
        )
        .await?;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    // Now the password alone is not enough.
    let mut other = Desk::new(&p);
    let r = other.sign_in(&user, &password).await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("username, password and code do not match"));
    let form = other.get("/newsroom/sign-in").await?;
    let fcsrf = form_field(&form.body, "csrf");
    // The next step's code: the one that turned it on cannot be used again.
    let code = broadsheet_app::accounts::totp_code(&secret, broadsheet_app::now() + 30);
    let r = other
        .post(
            "/newsroom/sign-in",
            &[
                ("csrf", &fcsrf),
                ("username", &user),
                ("password", &password),
                ("code", &code),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Changing the password signs out everywhere.
    let r = d
        .post(
            "/newsroom/account",
            &[
                ("csrf", &csrf),
                ("do", "password"),
                ("current", "wrong"),
                ("new", "a long new passphrase"),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = d
        .post(
            "/newsroom/account",
            &[
                ("csrf", &csrf),
                ("do", "password"),
                ("current", &password),
                ("new", "a long new passphrase"),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(d.get("/newsroom").await?.status, StatusCode::SEE_OTHER);
    assert_eq!(
        other.get("/newsroom").await?.status,
        StatusCode::SEE_OTHER,
        "the other session ended too"
    );
    Ok(())
}

#[tokio::test]
async fn byline_profiles_and_embeds() -> TestResult {
    let p = Paper::demo(5).await?;
    let mut d = signed_in(&p, "reporter").await?;
    let csrf = d.csrf().await?;
    let pic = p
        .app
        .store()
        .picture_ids()
        .await?
        .first()
        .copied()
        .ok_or("no pictures")?
        .to_string();
    let r = d
        .post(
            "/newsroom/account",
            &[
                ("csrf", &csrf),
                ("do", "profile"),
                ("bio", "Covers the coast and the islands."),
                ("picture", &pic),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let user = user_of_role(&p, "reporter").await?;
    let acct = p
        .app
        .store()
        .author_by_username(&user)
        .await?
        .ok_or("no reporter")?;
    let author = p
        .app
        .store()
        .author_profile(acct.id)
        .await?
        .ok_or("no author")?;
    let page = p.get(&format!("/authors/{}", author.slug)).await?;
    assert!(page.body.contains("Covers the coast and the islands."));
    assert!(page.body.contains("class=\"portrait\""));
    let r = d
        .post(
            "/newsroom/account",
            &[
                ("csrf", &csrf),
                ("do", "profile"),
                ("bio", ""),
                ("picture", "99999999"),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // An embed is a link to the other site, never a frame or script.
    let r = d
        .post(
            "/newsroom/preview",
            &[
                ("csrf", &csrf),
                (
                    "body",
                    "Watch:\n\n[embed:https://www.youtube.com/watch?v=abc]",
                ),
            ],
        )
        .await?;
    assert!(r.body.contains("View this on youtube.com") && !r.body.contains("<iframe"));
    Ok(())
}

/// Every workflow transition, for every role, against the permission table.
#[tokio::test]
async fn every_transition_for_every_role() -> TestResult {
    use broadsheet_domain::permissions::{Action, ROLES, allows};
    let p = Paper::demo(5).await?;
    let section = p
        .app
        .sections()
        .by_path("news")
        .map(|s| s.id.to_string())
        .ok_or("no news")?;
    // An admin writes the stories each role then tries to move on (not theirs).
    let mut admin = signed_in(&p, "admin").await?;
    let acsrf = admin.csrf().await?;
    for role in ROLES {
        let mut d = signed_in(&p, role.as_str()).await?;
        let csrf = d.csrf().await?;
        // Someone else's draft: submit, publish.
        let r = admin
            .post(
                "/newsroom/stories",
                &story_fields(&acsrf, "Transition check", &section),
            )
            .await?;
        let draft = id_from_location(&r);
        let v = p
            .app
            .store()
            .story(draft)
            .await?
            .map(|s| s.version.to_string())
            .unwrap_or_default();
        let publish = d
            .post(
                &format!("/newsroom/stories/{draft}"),
                &[("csrf", &csrf), ("do", "publish"), ("version", &v)],
            )
            .await?;
        let may_see = allows(role, Action::EditAnyStory);
        let expect = if allows(role, Action::PublishAny) {
            StatusCode::SEE_OTHER
        } else if may_see {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(publish.status, expect, "{role}: publish another's draft");
        // A published story: correct, withdraw.
        let r = admin
            .post(
                "/newsroom/stories",
                &story_fields(&acsrf, "Transition check two", &section),
            )
            .await?;
        let live = id_from_location(&r);
        let v = p
            .app
            .store()
            .story(live)
            .await?
            .map(|s| s.version.to_string())
            .unwrap_or_default();
        admin
            .post(
                &format!("/newsroom/stories/{live}"),
                &[("csrf", &acsrf), ("do", "publish"), ("version", &v)],
            )
            .await?;
        let v = p
            .app
            .store()
            .story(live)
            .await?
            .map(|s| s.version.to_string())
            .unwrap_or_default();
        let correct = d
            .post(
                &format!("/newsroom/stories/{live}"),
                &[
                    ("csrf", &csrf),
                    ("do", "correct"),
                    ("version", &v),
                    ("correction", "A fix."),
                ],
            )
            .await?;
        let sees_published = allows(role, Action::CreateStory) || may_see;
        let expect = if allows(role, Action::Correct) {
            StatusCode::SEE_OTHER
        } else if sees_published {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(correct.status, expect, "{role}: correct");
        let withdraw = d
            .post(
                &format!("/newsroom/stories/{live}"),
                &[("csrf", &csrf), ("do", "withdraw"), ("version", &v)],
            )
            .await?;
        let expect = if allows(role, Action::Withdraw) {
            StatusCode::SEE_OTHER
        } else if sees_published {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(withdraw.status, expect, "{role}: withdraw");
        // Their own draft: submit (if they can write at all).
        if allows(role, Action::CreateStory) {
            let r = d
                .post(
                    "/newsroom/stories",
                    &story_fields(&csrf, "Own draft", &section),
                )
                .await?;
            let own = id_from_location(&r);
            let v = p
                .app
                .store()
                .story(own)
                .await?
                .map(|s| s.version.to_string())
                .unwrap_or_default();
            let submit = d
                .post(
                    &format!("/newsroom/stories/{own}"),
                    &[("csrf", &csrf), ("do", "submit"), ("version", &v)],
                )
                .await?;
            assert_eq!(submit.status, StatusCode::SEE_OTHER, "{role}: submit own");
        }
        // The audit log records who did each thing that happened.
        let audit = p.app.store().audit_of(live).await?;
        assert!(audit.iter().any(|a| a.action == "published"));
    }
    Ok(())
}
