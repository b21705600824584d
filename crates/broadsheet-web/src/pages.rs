//! Reader pages: home, section fronts, stories, authors, tags, and the error
//! pages. Each renders to a [`Rendered`] page that the cache stores with the
//! surrogate keys of what it shows. The shared parts (Most Read, Editor's
//! Picks, Most Commented, the breaking banner, More from on story pages) are
//! not in a page: it holds markers where they go (`<!--bs:…-->`), and
//! `fragments.rs` splices them in at serve time, so pages carry no
//! `rankings` key and survive ranking changes.

use std::collections::HashSet;

use askama::Template;
use axum::http::StatusCode;
use broadsheet_app::entitlement::{self, Decision};
use broadsheet_app::keys::{self, Key};
use broadsheet_app::reader::{self, StoryPage as StoryLoad};
use broadsheet_app::{App, Listing, render};
use broadsheet_domain::time::{ShownTime, show};
use broadsheet_domain::{Access, PictureRef, StoryCard, permalink};

use crate::error::WebError;
use crate::view::{self, CardView, Chrome, NavItem, Pager, PicView, Rails};

/// A page ready for the cache.
pub struct Rendered {
    pub status: StatusCode,
    pub html: String,
    pub keys: Vec<Key>,
    pub cache_control: &'static str,
    /// A paid story's page: served only through the gate (`paywall.rs`).
    pub gate: Option<entitlement::GateInfo>,
    /// When the page stops being right by the clock alone (no change event
    /// will say so): the page cache drops it then. `None`: only a change
    /// makes it wrong.
    pub fresh_until: Option<i64>,
}

pub enum Outcome {
    Page(Rendered),
    /// Permanent redirect (an old slug, a trailing slash).
    Moved(String),
}

/// Fresh for readers for a minute; CDNs may keep pages 5 minutes, since
/// every change purges them by surrogate key.
pub const CACHE_PAGE: &str = "public, max-age=60, s-maxage=300, stale-while-revalidate=30";
pub const CACHE_GONE: &str = "public, max-age=300, s-maxage=3600";
/// A paid story's page depends on who asks (session, meter cookie): only
/// the reader's browser may keep it, and must ask again each time, so a
/// cancellation or a spent meter shows on the next request.
pub const CACHE_PRIVATE: &str = "private, no-cache";

pub struct Link {
    pub name: String,
    pub url: String,
}

fn story_keys(keys_out: &mut Vec<Key>, cards: &[CardView]) {
    keys_out.extend(cards.iter().map(|c| Key::Story(c.id)));
}

fn finish(mut keys_out: Vec<Key>) -> Vec<Key> {
    keys_out.sort();
    keys_out.dedup();
    keys_out
}

// ----- home ---------------------------------------------------------------------

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    lead: Option<CardView>,
    top: Vec<CardView>,
    section_rails: Vec<SectionRail>,
    rails: Rails,
}

struct SectionRail {
    slug: String,
    name: String,
    url: String,
    cards: Vec<CardView>,
}

pub async fn home(app: &App) -> Result<Rendered, WebError> {
    use broadsheet_app::curation;
    let sections = app.sections();
    // The editors' order (lead, top slots), then the newest: `curation.rs`.
    let latest = curation::front_cards(app, curation::HOME, 40, 1, true).await?;
    let mut shown: HashSet<i64> = HashSet::new();
    let lead = latest.first().cloned();
    if let Some(l) = &lead {
        shown.insert(l.id);
    }
    let top: Vec<StoryCard> = latest
        .iter()
        .skip(1)
        .take(app.config().front_top_slots)
        .cloned()
        .collect();
    shown.extend(top.iter().map(|c| c.id));
    let mut keys_out = vec![Key::Front, curation::page_key(curation::HOME)];
    let mut section_rails = Vec::new();
    for s in sections.top() {
        // Each section's block follows that section front's arrangement.
        let cards: Vec<StoryCard> = curation::front_cards(app, s.id, 8, 1, false)
            .await?
            .into_iter()
            .filter(|c| !shown.contains(&c.id))
            .take(3)
            .collect();
        shown.extend(cards.iter().map(|c| c.id));
        keys_out.push(Key::Section(s.id));
        keys_out.push(curation::page_key(s.id));
        if cards.is_empty() {
            continue;
        }
        section_rails.push(SectionRail {
            slug: s.slug.clone(),
            name: s.name.clone(),
            url: format!("/{}", s.path),
            // Rails are headlines: the standfirst is on the section front.
            cards: view::cards(app, &sections, &cards)
                .into_iter()
                .map(|c| CardView {
                    standfirst: String::new(),
                    ..c
                })
                .collect(),
        });
    }
    // Most Commented is on every story page; the home page keeps to its brief.
    // More from is inline here: it leaves out every story the page shows.
    let more: Vec<StoryCard> = latest
        .iter()
        .filter(|c| !shown.contains(&c.id))
        .take(4)
        .cloned()
        .collect();
    let rails = Rails {
        most_commented: false,
        more_from: view::cards(app, &sections, &more),
        more_from_slot: None,
    };
    let lead = lead.map(|c| view::card(app, &sections, &c, 0));
    let top = view::cards(app, &sections, &top);
    let mut chrome = view::chrome(app, &sections, app.config().name.clone(), "/", None);
    chrome.is_home = true;
    chrome.description = format!(
        "The latest news, sport, business and opinion from {}.",
        app.config().name
    );
    chrome.json_ld = Some(view::json_ld(&crate::structured::home(app)));
    story_keys(&mut keys_out, &top);
    story_keys(&mut keys_out, &rails.more_from);
    if let Some(l) = &lead {
        keys_out.push(Key::Story(l.id));
    }
    for r in &section_rails {
        story_keys(&mut keys_out, &r.cards);
    }
    let page = HomePage {
        chrome,
        lead,
        top,
        section_rails,
        rails,
    };
    Ok(Rendered {
        status: StatusCode::OK,
        html: page.render()?,
        keys: finish(keys_out),
        cache_control: CACHE_PAGE,
        gate: None,
        fresh_until: None,
    })
}

// ----- fronts: sections, authors, tags ------------------------------------------

#[derive(Template)]
#[template(path = "front.html")]
struct FrontPage {
    chrome: Chrome,
    portrait: Option<PicView>,
    title: String,
    intro: String,
    crumbs: Vec<NavItem>,
    children: Vec<NavItem>,
    cards: Vec<CardView>,
    pager: Pager,
}

struct FrontSpec<'a> {
    portrait: Option<PicView>,
    title: String,
    intro: String,
    path: String,
    listing: Listing<'a>,
    crumbs: Vec<NavItem>,
    children: Vec<NavItem>,
    root: Option<i64>,
    keys: Vec<Key>,
    /// A section front: its arrangement (`curation.rs`) orders the stories.
    arranged: Option<i64>,
}

async fn front(app: &App, spec: FrontSpec<'_>, page: i64) -> Result<Rendered, WebError> {
    let sections = app.sections();
    let per = app.config().page_size;
    let total = reader::count(app, spec.listing).await?;
    let pager = view::pager(&spec.path, page, total, per);
    if page > pager.pages {
        return Err(WebError::NotFound);
    }
    let list = match spec.arranged {
        Some(front) => broadsheet_app::curation::front_cards(app, front, per, page, false).await?,
        None => app.cards(spec.listing, per, (page - 1) * per).await?,
    };
    let cards = view::cards(app, &sections, &list);
    let title = if page > 1 {
        format!("{} – page {} | {}", spec.title, page, app.config().name)
    } else {
        format!("{} | {}", spec.title, app.config().name)
    };
    let canonical = if page > 1 {
        format!("{}?page={page}", spec.path)
    } else {
        spec.path.clone()
    };
    let mut chrome = view::chrome(app, &sections, title, &canonical, spec.root);
    // This front's own feeds (issue 13), after the paper's.
    chrome
        .feeds
        .extend(crate::feeds::links_for(&spec.path, &spec.title));
    if !spec.intro.is_empty() {
        chrome.description = spec.intro.clone();
    }
    let mut keys_out = spec.keys;
    if let Some(front) = spec.arranged {
        keys_out.push(broadsheet_app::curation::page_key(front));
    }
    story_keys(&mut keys_out, &cards);
    let page = FrontPage {
        chrome,
        portrait: spec.portrait,
        title: spec.title,
        intro: spec.intro,
        crumbs: spec.crumbs,
        children: spec.children,
        cards,
        pager,
    };
    Ok(Rendered {
        status: StatusCode::OK,
        html: page.render()?,
        keys: finish(keys_out),
        cache_control: CACHE_PAGE,
        gate: None,
        fresh_until: None,
    })
}

pub async fn section(app: &App, path: &str, page: i64) -> Result<Rendered, WebError> {
    let sections = app.sections();
    let Some(sec) = sections.by_path(path) else {
        return Err(WebError::NotFound);
    };
    let chain = sections.ancestry(sec.id);
    let crumbs: Vec<NavItem> = chain
        .iter()
        .map(|s| NavItem {
            name: s.name.clone(),
            url: format!("/{}", s.path),
            current: s.id == sec.id,
        })
        .collect();
    let root = chain.first().map(|s| s.id);
    let children: Vec<NavItem> = root
        .map(|r| {
            sections
                .children(r)
                .map(|c| NavItem {
                    name: c.name.clone(),
                    url: format!("/{}", c.path),
                    current: c.id == sec.id,
                })
                .collect()
        })
        .unwrap_or_default();
    let intro = match sec.parent_id {
        None => format!(
            "The latest {} stories from {}.",
            sec.name,
            app.config().name
        ),
        Some(_) => format!("The latest {} news from {}.", sec.name, app.config().name),
    };
    let spec = FrontSpec {
        portrait: None,
        title: sec.name.clone(),
        intro,
        path: format!("/{}", sec.path),
        listing: Listing::SectionTree(&sec.path),
        crumbs,
        children,
        root,
        keys: vec![Key::Section(sec.id)],
        arranged: Some(sec.id),
    };
    front(app, spec, page).await
}

pub async fn author(app: &App, slug: &str, page: i64) -> Result<Rendered, WebError> {
    let Some((a, portrait)) = reader::author(app, slug).await? else {
        return Err(WebError::NotFound);
    };
    let portrait = portrait.as_ref().map(view::picture);
    let spec = FrontSpec {
        portrait,
        title: a.display_name.clone(),
        intro: a.bio.clone(),
        path: format!("/authors/{}", a.slug),
        listing: Listing::Author(a.id),
        crumbs: Vec::new(),
        children: Vec::new(),
        root: None,
        keys: vec![Key::Author(a.id)],
        arranged: None,
    };
    front(app, spec, page).await
}

pub async fn tag(app: &App, slug: &str, page: i64) -> Result<Rendered, WebError> {
    let Some(t) = reader::tag(app, slug).await? else {
        return Err(WebError::NotFound);
    };
    // A tag only unpublished stories carry has no public page (issue 8 item 19).
    if reader::count(app, Listing::Tag(t.id)).await? == 0 {
        return Err(WebError::NotFound);
    }
    let spec = FrontSpec {
        portrait: None,
        title: t.name.clone(),
        intro: format!("Stories tagged {} in {}.", t.name, app.config().name),
        path: format!("/tags/{}", t.slug),
        listing: Listing::Tag(t.id),
        crumbs: Vec::new(),
        children: Vec::new(),
        root: None,
        keys: vec![Key::Tag(t.id)],
        arranged: None,
    };
    front(app, spec, page).await
}

// ----- the story page ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "story.html")]
struct StoryPage {
    chrome: Chrome,
    crumbs: Vec<NavItem>,
    id: i64,
    breaking: bool,
    headline: String,
    standfirst: String,
    authors: Vec<Link>,
    agency: Option<String>,
    published: ShownTime,
    updated: Option<ShownTime>,
    lead: Option<PicView>,
    body: String,
    /// A paid story: the paid part's HTML (empty when cut).
    paid: Option<String>,
    withheld: bool,
    /// The prompt offers registering (a metered story, anonymous reader).
    offer_register: bool,
    /// The prompt offers signing in (anonymous reader).
    offer_sign_in: bool,
    meter_free: i64,
    meter_registered: i64,
    meter_days: i64,
    path: String,
    tags: Vec<Link>,
    share_text: String,
    rails: Rails,
    corrections: Vec<(ShownTime, String)>,
    /// Public comments (issue 12); purged with the story's key.
    comments: i64,
    /// A live story's updates (issue 12, `live.rs`); purged with the story's key.
    live: Option<String>,
}

/// The element holding a paid story's paid part, named by the JSON-LD's
/// `hasPart.cssSelector`; empty for a reader the gate cuts.
pub const PAID_SELECTOR: &str = ".story-paid";

/// Which rendering of a story page: the gate's decision, and for a cut one
/// whether the reader is signed in (what the prompt offers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoryVariant {
    pub decision: Decision,
    pub signed_in: bool,
}

pub async fn story(
    app: &App,
    requested_path: &str,
    id: i64,
    variant: StoryVariant,
) -> Result<Outcome, WebError> {
    let read = match reader::story(app, id).await? {
        StoryLoad::Found(r) => r,
        StoryLoad::Withdrawn => return Ok(Outcome::Page(gone(app, id)?)),
        StoryLoad::Missing => return Err(WebError::NotFound),
    };
    let story = read.story;
    let sections = app.sections();
    let path = permalink::story_path(sections.path(story.section_id), &story.slug, story.id);
    if path != requested_path {
        return Ok(Outcome::Moved(path));
    }
    let tz = &app.config().time_zone;
    let chain = sections.ancestry(story.section_id);
    let crumbs: Vec<NavItem> = chain
        .iter()
        .map(|s| NavItem {
            name: s.name.clone(),
            url: format!("/{}", s.path),
            current: false,
        })
        .collect();

    // The entitlement gate decides what text leaves the building.
    // It and the rendering run off the async workers, with a time limit.
    let gated = render::story_body(app, &story, variant.decision, figure_html).await?;
    let body = gated.html;
    let paid_story = !entitlement::free_to_all(read.gate.access);

    let published_at = story.published_at.unwrap_or(story.modified_at);
    let updated = story.updated_at.filter(|u| *u >= published_at);
    let corrections: Vec<(ShownTime, String)> = read
        .corrections
        .into_iter()
        .map(|c| (show(c.at, tz), c.text))
        .collect();
    let rails = Rails {
        most_commented: true,
        more_from: Vec::new(),
        more_from_slot: Some(story.id),
    };

    let canonical = view::absolute(app, &path);
    let lead = story.lead_picture.as_ref().map(view::picture);
    let authors: Vec<Link> = story
        .authors
        .iter()
        .map(|a| Link {
            name: a.display_name.clone(),
            url: format!("/authors/{}", a.slug),
        })
        .collect();
    let agency = if authors.is_empty() {
        story
            .byline_text
            .clone()
            .or(Some(app.config().name.clone()))
    } else {
        None
    };

    let mut ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.headline,
        "description": story.standfirst,
        "mainEntityOfPage": canonical,
        "datePublished": show(published_at, tz).datetime,
        "dateModified": show(updated.unwrap_or(published_at), tz).datetime,
        "articleSection": sections.get(story.section_id).map(|s| s.name.clone()).unwrap_or_default(),
        "keywords": story.tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        "isAccessibleForFree": !paid_story,
        "publisher": crate::structured::publisher(app),
    });
    if let Some(obj) = ld.as_object_mut() {
        let author: Vec<serde_json::Value> = if authors.is_empty() {
            vec![
                serde_json::json!({ "@type": "Organization", "name": agency.clone().unwrap_or_default() }),
            ]
        } else {
            authors
                .iter()
                .map(|a| serde_json::json!({ "@type": "Person", "name": a.name, "url": view::absolute(app, &a.url) }))
                .collect()
        };
        obj.insert("author".into(), serde_json::Value::Array(author));
        if paid_story {
            // Google's markup for paywalled content: the element a reader
            // who is not entitled gets empty.
            obj.insert(
                "hasPart".into(),
                serde_json::json!({ "@type": "WebPageElement", "isAccessibleForFree": false, "cssSelector": PAID_SELECTOR }),
            );
        }
        if let Some(p) = &lead {
            // 1:1, 4:3 and 16:9 crops, as Google's article markup asks.
            let crops: Vec<String> = broadsheet_app::media::CROPS
                .iter()
                .map(|c| view::absolute(app, &p.crop_url(c.1)))
                .collect();
            obj.insert("image".into(), serde_json::json!(crops));
        }
    }
    let mut crumb_ld = vec![
        serde_json::json!({ "@type": "ListItem", "position": 1, "name": "Home", "item": view::absolute(app, "/") }),
    ];
    for (i, c) in crumbs.iter().enumerate() {
        crumb_ld.push(serde_json::json!({ "@type": "ListItem", "position": i + 2, "name": c.name, "item": view::absolute(app, &c.url) }));
    }
    // A live story (issue 12): a LiveBlogPosting with its updates.
    let live_part = crate::live::part(app, &story).await?;
    if let Some(l) = &live_part {
        l.json_ld(app, &canonical, &mut ld);
    }
    let graph = serde_json::json!([ld, { "@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": crumb_ld }]);

    let mut chrome = view::chrome(
        app,
        &sections,
        format!("{} | {}", story.headline, app.config().name),
        &path,
        chain.first().map(|s| s.id),
    );
    chrome.description = if story.seo_description.is_empty() {
        story.standfirst.clone()
    } else {
        story.seo_description.clone()
    };
    if !story.seo_title.is_empty() {
        chrome.title = format!("{} | {}", story.seo_title, app.config().name);
    }
    chrome.json_ld = Some(view::json_ld(&graph));
    let card = lead
        .as_ref()
        .map(|p| crate::structured::CardImage::of(app, p));
    chrome.og_image = card.as_ref().map(|c| c.url.clone());
    chrome.og_image_meta = card;
    chrome.og_type = "article";
    chrome.article = Some(crate::structured::ArticleMeta {
        published: show(published_at, tz).datetime,
        modified: show(updated.unwrap_or(published_at), tz).datetime,
        section: sections
            .get(story.section_id)
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        authors: authors
            .iter()
            .map(|a| view::absolute(app, &a.url))
            .collect(),
        tags: story.tags.iter().map(|t| t.name.clone()).collect(),
    });
    // A search engine's cached copy would be the full page it crawled.
    chrome.noarchive = paid_story;

    // Rankings and More from (the front's latest) are spliced in, not baked in.
    let keys_out: Vec<Key> = keys::for_story(&story, &sections)
        .into_iter()
        .filter(|k| !matches!(k, Key::Front | Key::Rankings))
        .collect();
    let comments = broadsheet_app::comments::count(app, story.id).await?;
    let page = StoryPage {
        chrome,
        crumbs,
        id: story.id,
        breaking: story.breaking,
        headline: story.headline.clone(),
        standfirst: story.standfirst.clone(),
        authors,
        agency,
        published: show(published_at, tz),
        updated: updated.map(|u| show(u, tz)),
        lead,
        body,
        paid: gated.paid_html,
        withheld: gated.withheld,
        offer_register: !variant.signed_in && read.gate.access == Access::Metered,
        offer_sign_in: !variant.signed_in,
        meter_free: app.config().paywall.meter_free,
        meter_registered: app.config().paywall.meter_registered,
        meter_days: app.config().paywall.period_secs / 86_400,
        share_text: format!("{} {}", story.headline, canonical),
        path,
        tags: story
            .tags
            .iter()
            .map(|t| Link {
                name: t.name.clone(),
                url: format!("/tags/{}", t.slug),
            })
            .collect(),
        rails,
        corrections,
        comments,
        live: live_part.map(|l| l.html),
    };
    Ok(Outcome::Page(Rendered {
        status: StatusCode::OK,
        html: page.render()?,
        keys: finish(keys_out),
        cache_control: if paid_story {
            CACHE_PRIVATE
        } else {
            CACHE_PAGE
        },
        gate: paid_story.then_some(read.gate),
        fresh_until: None,
    }))
}

/// HTML for a picture placed in a body.
pub(crate) fn figure_html(p: &PictureRef) -> String {
    figure_view_html(&view::picture(p))
}

/// The same for the newsroom's preview (staff addresses).
pub(crate) fn staff_figure_html(p: &PictureRef) -> String {
    figure_view_html(&view::staff_picture(p))
}

fn figure_view_html(v: &PicView) -> String {
    format!(
        "<figure class=\"inline\"><img src=\"{}\" srcset=\"{}\" sizes=\"{STORY_SIZES}\" alt=\"{}\" width=\"{}\" height=\"{}\" loading=\"lazy\">\
         <figcaption><svg class=\"icon\" aria-hidden=\"true\" focusable=\"false\" width=\"16\" height=\"16\"><use href=\"{}#i-camera\"></use></svg> {} <span class=\"credit\">({})</span></figcaption></figure>",
        esc(&v.src),
        esc(&v.srcset_to(&1280, "jpeg")),
        esc(&v.alt),
        v.width,
        v.height,
        crate::assets::icons_url(),
        esc(&v.caption),
        esc(&v.credit)
    )
}

/// `sizes` of a picture as wide as the story column (see `site.css`: the
/// article column is at most 44rem, beside a 20rem rail from 60em up).
pub const STORY_SIZES: &str =
    "(min-width: 72em) 44rem, (min-width: 60em) calc(100vw - 25rem), calc(100vw - 2rem)";

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

// ----- errors ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    chrome: Chrome,
    heading: String,
    message: String,
    reference: String,
}

fn gone(app: &App, id: i64) -> Result<Rendered, WebError> {
    let html = error_page(
        app,
        StatusCode::GONE,
        "This story has been withdrawn and is no longer available.",
        "",
        true,
    )?;
    Ok(Rendered {
        status: StatusCode::GONE,
        html,
        keys: vec![Key::Story(id)],
        cache_control: CACHE_GONE,
        gate: None,
        fresh_until: None,
    })
}

/// A full error page for `status`, with the breaking banner inline (error
/// pages are not cached).
pub fn error_html(
    app: &App,
    status: StatusCode,
    message: &str,
    reference: &str,
) -> Result<String, WebError> {
    error_page(app, status, message, reference, false)
}

/// An error page; `slots`: the breaking banner as a spliced part (cached pages).
fn error_page(
    app: &App,
    status: StatusCode,
    message: &str,
    reference: &str,
    slots: bool,
) -> Result<String, WebError> {
    let sections = app.sections();
    let heading = match status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::GONE => "Story withdrawn",
        StatusCode::BAD_REQUEST => "That request was not right",
        StatusCode::SERVICE_UNAVAILABLE => "We are busy",
        _ => "Something went wrong",
    };
    let mut chrome = view::chrome(
        app,
        &sections,
        format!("{heading} | {}", app.config().name),
        "/",
        None,
    );
    chrome.noindex = true;
    chrome.breaking_slot = slots;
    let page = ErrorTemplate {
        chrome,
        heading: heading.to_string(),
        message: message.to_string(),
        reference: reference.to_string(),
    };
    Ok(page.render()?)
}

// ----- corrections ------------------------------------------------------------------

struct CorrectionItem {
    time: ShownTime,
    url: String,
    headline: String,
    text: String,
}

#[derive(Template)]
#[template(path = "corrections.html")]
struct CorrectionsPage {
    chrome: Chrome,
    items: Vec<CorrectionItem>,
}

pub async fn corrections(app: &App) -> Result<Rendered, WebError> {
    let sections = app.sections();
    let list = reader::corrections(app, 100).await?;
    let tz = &app.config().time_zone;
    let mut keys_out = vec![Key::Corrections];
    let items = list
        .into_iter()
        .map(|(c, card)| {
            keys_out.push(Key::Story(card.id));
            CorrectionItem {
                time: show(c.at, tz),
                url: view::story_url(&sections, &card),
                headline: card.headline,
                text: c.text,
            }
        })
        .collect();
    let mut chrome = view::chrome(
        app,
        &sections,
        format!("Corrections | {}", app.config().name),
        "/corrections",
        None,
    );
    chrome.description = format!("Corrections published by {}.", app.config().name);
    let page = CorrectionsPage { chrome, items };
    Ok(Rendered {
        status: StatusCode::OK,
        html: page.render()?,
        keys: finish(keys_out),
        cache_control: CACHE_PAGE,
        gate: None,
        fresh_until: None,
    })
}
