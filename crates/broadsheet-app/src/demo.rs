//! Loads a generated demo paper (see `broadsheet-demo`) into the store.

use std::collections::HashMap;

use broadsheet_demo::{BylineSeed, Demo, DemoSpec, PictureSeed};
use broadsheet_domain::{Access, StoryStatus, permalink::slugify};
use broadsheet_store::{NewAuthor, NewPicture, NewStory, Store};

use crate::{AppError, Result, media};

/// What was made.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub stories: usize,
    pub pictures: usize,
    pub comments: usize,
    pub views: usize,
    /// Every demo staff member with the random password just given to them.
    /// The passwords are stored only as argon2id hashes: this is the one
    /// time they can be shown.
    pub staff: Vec<DemoLogin>,
}

/// A demo staff member's login, as made (see [`DemoSummary::staff`]).
#[derive(Clone)]
pub struct DemoLogin {
    pub username: String,
    pub name: String,
    pub role: String,
    pub password: String,
}

impl std::fmt::Debug for DemoLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never let a password reach a log line through `{:?}`.
        f.debug_struct("DemoLogin")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Default number of demo stories.
pub const DEFAULT_STORIES: usize = 360;
/// Default seed: the demo paper is the same on every machine.
pub const DEFAULT_SEED: u64 = 2026;

/// A demo paper's pictures, drawn and with every rendition made: the slow
/// part of a demo (see [`draw_pictures`]).
#[derive(Debug, Clone)]
pub struct DemoPictures {
    /// The planned paper the pictures were drawn for (planning it is not
    /// free either: [`load_with_pictures`] reuses it).
    demo: Demo,
    made: Vec<MadePicture>,
}

/// Which of a picture's renditions the demo makes while it loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renditions {
    /// Every width, format and crop: the paper is whole when loading returns
    /// (`broadsheet demo`, the tests).
    All,
    /// The JPEG widths only, which every browser can show; the WebP
    /// renditions and the crops are left to [`media::backfill`], the job
    /// every node starts with (pages name them from the start, and a JPEG
    /// stands in until each is made). Most of a demo's making is encoding
    /// WebP and crops, so a first `broadsheet serve` opens its doors about
    /// four times sooner.
    JpegFirst,
}

/// Draws the pictures of the demo `spec` describes and makes their
/// renditions (all, or the JPEG ones first), on every core. Blocking work:
/// call it off the async workers. The same spec always gives the same
/// pictures, so a caller making many identical demo papers (the integration
/// tests) may draw them once.
pub fn draw_pictures(spec: DemoSpec, renditions: Renditions) -> Result<DemoPictures> {
    let demo = Demo::new(spec);
    let made = make_pictures(&demo, demo.picture_count(), renditions)?;
    Ok(DemoPictures { demo, made })
}

/// Empties the paper and fills it with a generated demo paper.
pub async fn load(store: &Store, spec: DemoSpec, renditions: Renditions) -> Result<DemoSummary> {
    let pictures = tokio::task::spawn_blocking(move || draw_pictures(spec, renditions))
        .await
        .map_err(|e| AppError::Invalid(format!("picture generation stopped: {e}")))??;
    load_with_pictures(store, pictures).await
}

/// [`load`], with the pictures already drawn by [`draw_pictures`].
pub async fn load_with_pictures(store: &Store, pictures: DemoPictures) -> Result<DemoSummary> {
    let DemoPictures { demo, made } = pictures;
    let spec = demo.spec;
    store.wipe().await?;

    let mut section_ids: HashMap<String, (i64, String)> = HashMap::new();
    for s in broadsheet_demo::sections() {
        let (parent_id, path) = match &s.parent {
            Some(p) => {
                let (pid, ppath) = section_ids
                    .get(p)
                    .cloned()
                    .ok_or_else(|| AppError::Invalid(format!("demo section {p} is missing")))?;
                (Some(pid), format!("{ppath}/{}", s.slug))
            }
            None => (None, s.slug.clone()),
        };
        let id = store
            .insert_section(&s.slug, &s.name, parent_id, i64::from(s.position), &path)
            .await?;
        section_ids.insert(s.slug.clone(), (id, path));
    }

    let mut staff_ids: HashMap<String, i64> = HashMap::new();
    let mut staff = Vec::new();
    for p in broadsheet_demo::staff(spec.seed) {
        let id = store
            .insert_author(
                &NewAuthor {
                    username: p.username.clone(),
                    slug: slugify(&p.display_name, 60),
                    display_name: p.display_name.clone(),
                    email: p.email.clone(),
                    role: p.role.clone(),
                    bio: p.bio.clone(),
                },
                spec.now,
            )
            .await?;
        // A fresh random password for each: bylines are public, so nothing
        // derived from a name may open the newsroom.
        let password = crate::accounts::generate_password();
        store
            .set_author_password(id, &crate::accounts::hash_password(&password)?)
            .await?;
        staff_ids.insert(p.username.clone(), id);
        staff.push(DemoLogin {
            username: p.username,
            name: p.display_name,
            role: p.role,
            password,
        });
    }

    let mut picture_ids = Vec::with_capacity(made.len());
    for (seed, rends) in made {
        let id = store
            .insert_picture(
                &NewPicture {
                    token: media::new_token(),
                    alt: seed.alt,
                    caption: seed.caption,
                    credit: seed.credit,
                    width: i64::from(seed.width),
                    height: i64::from(seed.height),
                    original: seed.jpeg,
                },
                spec.now,
            )
            .await?;
        for r in rends {
            store
                .put_rendition(id, i64::from(r.width), r.format, &r.bytes)
                .await?;
        }
        picture_ids.push(id);
    }

    let mut tag_ids: HashMap<String, i64> = HashMap::new();
    let mut n_stories = 0;
    let mut n_comments = 0;
    let mut n_views = 0;
    let mut story_ids: Vec<i64> = Vec::with_capacity(spec.stories);
    let mut with_pictures: Vec<i64> = Vec::new();
    let mut batch = Vec::new();
    let mut engagement: Vec<(
        usize,
        Vec<broadsheet_demo::CommentSeed>,
        Vec<broadsheet_demo::ViewSeed>,
    )> = Vec::new();
    let stories: Vec<_> = demo.stories().collect();
    for chunk in stories.chunks(500) {
        batch.clear();
        engagement.clear();
        for s in chunk {
            let (section_id, _) = section_ids.get(&s.section).cloned().ok_or_else(|| {
                AppError::Invalid(format!("demo story names unknown section {}", s.section))
            })?;
            let mut tags = Vec::new();
            for t in &s.tags {
                let slug = slugify(t, 60);
                let id = match tag_ids.get(&slug) {
                    Some(id) => *id,
                    None => {
                        let id = store.tag_id(&slug, t).await?;
                        tag_ids.insert(slug, id);
                        id
                    }
                };
                tags.push(id);
            }
            let (author_ids, byline_text) = match &s.byline {
                BylineSeed::Staff(names) => (
                    names
                        .iter()
                        .filter_map(|n| staff_ids.get(n).copied())
                        .collect(),
                    None,
                ),
                BylineSeed::Agency(a) => (Vec::new(), Some(a.clone())),
            };
            let pic = |k: usize| picture_ids.get(k % picture_ids.len().max(1)).copied();
            // Bodies name pictures by demo key; the store knows them by id.
            let body = replace_picture_keys(&s.body, &pic);
            batch.push(NewStory {
                section_id,
                slug: slugify(&s.headline, 80),
                headline: s.headline.clone(),
                standfirst: s.standfirst.clone(),
                body,
                byline_text,
                author_ids,
                tag_ids: tags,
                status: StoryStatus::Published,
                access: s.access.parse().unwrap_or(Access::Free),
                breaking: s.breaking,
                published_at: Some(s.published_at),
                updated_at: s.updated_at,
                lead_picture_id: s.lead_picture.and_then(pic),
                created_at: s.published_at - 3600,
            });
            engagement.push((s.key, demo.comments(s), demo.views(s)));
        }
        let ids = store.insert_stories(&batch).await?;
        let mut comments = Vec::new();
        let mut views = Vec::new();
        for ((_, cs, vs), (id, new)) in engagement.iter().zip(ids.iter().zip(batch.iter())) {
            if new.lead_picture_id.is_some() {
                with_pictures.push(*id);
            }
            comments.extend(
                cs.iter()
                    .map(|c| (*id, c.author_name.clone(), c.body.clone(), c.created_at)),
            );
            // The generated history goes straight into the hourly counts.
            views.extend(vs.iter().map(|v| (*id, v.at, 1)));
        }
        n_comments += comments.len();
        n_views += views.len();
        store.insert_comments(&comments).await?;
        store.add_view_counts(&views).await?;
        n_stories += ids.len();
        story_ids.extend(ids);
    }

    // Editor's Picks: six recent stories with pictures, chosen by rule, not by hand.
    let picks: Vec<i64> = with_pictures
        .iter()
        .rev()
        .skip(3)
        .step_by(7)
        .take(6)
        .copied()
        .collect();
    // Reader pages say so (the footer's notice), on every node and restart.
    store.mark_demo_paper(spec.now).await?;
    let mut tx = store.begin().await?;
    tx.set_editors_picks(&picks).await?;
    // Newsletters readers can choose besides the morning briefing (made by
    // the migration): three sections' digests and two places'.
    for (slug, name, hour) in [
        ("news", "News", 8),
        ("sport", "Sport", 18),
        ("business", "Business", 7),
    ] {
        if let Some((id, _)) = section_ids.get(slug) {
            tx.insert_newsletter(
                &format!("{slug}-digest"),
                &format!("{name} digest"),
                &format!(
                    "The day's {} stories, every day at {hour}:00 when there are new ones.",
                    name.to_lowercase()
                ),
                "section",
                Some(*id),
                None,
                hour,
                spec.now,
            )
            .await?;
        }
    }
    for place in ["kelderby", "saltby"] {
        if let Some(tag) = store.tag_by_slug(place).await? {
            tx.insert_newsletter(
                &format!("{place}-digest"),
                &format!("{} digest", tag.name),
                &format!(
                    "Stories from {} (tagged {}), every day at 17:00 when there are new ones.",
                    tag.name, tag.slug
                ),
                "place",
                None,
                Some(tag.id),
                17,
                spec.now,
            )
            .await?;
        }
    }
    // A news agency whose copy waits on the Wire page (issue 14): our own
    // short items, as its feed would have brought them.
    if let Some((news, _)) = section_ids.get("news") {
        let agency = broadsheet_demo::agencies()
            .into_iter()
            .next()
            .unwrap_or_else(|| "North Press Agency".into());
        let id = tx
            .insert_agency(
                &broadsheet_store::AgencyFields {
                    slug: "npa".into(),
                    name: agency.clone(),
                    byline: agency.clone(),
                    credit: agency.clone(),
                    section_id: *news,
                    mode: "queue".into(),
                    active: true,
                },
                spec.now,
            )
            .await?;
        tx.set_agency_rules(
            id,
            "subject sport -> section sport\nplace Kelderby -> tag kelderby\n",
        )
        .await?;
        for (n, (headline, first, second, urgency, subjects)) in DEMO_WIRE.iter().enumerate() {
            let content = broadsheet_store::WireContent {
                version: 1,
                headline: (*headline).into(),
                standfirst: (*first).into(),
                body: broadsheet_domain::wire::to_markup(&[(*second).to_string()]),
                byline: agency.clone(),
                section_id: *news,
                tags: String::new(),
                subjects: subjects.replace(", ", "\n"),
                urgency: Some(*urgency),
                breaking: *urgency <= 3,
                language: Some("en-GB".into()),
                embargo: None,
                notes: String::new(),
                picture_id: None,
            };
            tx.insert_wire_item(
                id,
                &format!("urn:demo:npa:{}", n + 1),
                "queued",
                &content,
                spec.now - 600 * (n as i64 + 1),
            )
            .await?;
        }
    }
    tx.change(&crate::keys::join(&[crate::keys::Key::All]), spec.now)
        .await?;
    tx.commit().await?;

    Ok(DemoSummary {
        stories: n_stories,
        pictures: picture_ids.len(),
        comments: n_comments,
        views: n_views,
        staff,
    })
}

/// The demo agency's items waiting on the Wire page: headline, first and
/// second paragraph, urgency, subjects (our own text, all fictional).
const DEMO_WIRE: [(&str, &str, &str, i64, &str); 3] = [
    (
        "Coastal rail line to close for a week of repairs",
        "The coastal line between Saltby and Kelderby will close for a week from Monday while the sea wall beneath it is repaired.",
        "Replacement buses will run every half hour, the operator said, and journeys will take about twenty minutes longer.",
        4,
        "Transport, Kelderby",
    ),
    (
        "County side name new captain for the spring season",
        "The county's rugby side have named their long-serving prop as captain for the spring season.",
        "The club said the choice was unanimous and that the new captain would lead the side out for the first time next weekend.",
        6,
        "Sport",
    ),
    (
        "Flood warning issued for the lower valley",
        "A flood warning is in force for the lower valley after a night of heavy rain, with river levels still rising.",
        "Residents near the river are asked to move valuables upstairs and to check the warnings before travelling.",
        2,
        "Weather, Environment",
    ),
];

fn replace_picture_keys(body: &str, pic: &dyn Fn(usize) -> Option<i64>) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("[picture:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "[picture:".len()..];
        match after.find(']') {
            Some(end) => {
                match after[..end].parse::<usize>().ok().and_then(pic) {
                    Some(id) => out.push_str(&format!("[picture:{id}]")),
                    None => out.push_str("[picture:x]"),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("[picture:");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

type MadePicture = (PictureSeed, Vec<media::Rendition>);

fn make_pictures(demo: &Demo, count: usize, renditions: Renditions) -> Result<Vec<MadePicture>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    let results: Vec<Result<Vec<(usize, MadePicture)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    for key in (t..count).step_by(threads) {
                        let seed = demo.picture(key);
                        let rends = match renditions {
                            Renditions::All => media::renditions(&seed.jpeg),
                            Renditions::JpegFirst => media::jpeg_renditions(&seed.jpeg),
                        }
                        .map_err(AppError::Invalid)?;
                        mine.push((key, (seed, rends)));
                    }
                    Ok(mine)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(AppError::Invalid("picture generation failed".into())))
            })
            .collect()
    });
    let mut all = Vec::with_capacity(count);
    for r in results {
        all.extend(r?);
    }
    all.sort_by_key(|(k, _)| *k);
    Ok(all.into_iter().map(|(_, m)| m).collect())
}
