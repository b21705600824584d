//! View models: what templates show, built from domain types. Templates get
//! ready strings (URLs, times in the paper's zone) and do no work of their own.

use broadsheet_app::{App, Ranked, SectionTree};
use broadsheet_domain::time::{ShownTime, show};
use broadsheet_domain::{Access, PictureRef, StoryCard, permalink};

/// Everything the page frame (header, navigation, footer) shows.
pub struct Chrome {
    pub paper: String,
    pub title: String,
    pub description: String,
    /// Absolute URL of this page.
    pub canonical: String,
    pub nav: Vec<NavItem>,
    pub breaking: Option<CardView>,
    /// The breaking banner is a spliced part (cached pages), not `breaking`.
    pub breaking_slot: bool,
    pub css: String,
    pub is_home: bool,
    pub json_ld: Option<String>,
    pub og_image: Option<String>,
    pub noindex: bool,
    /// Link-card facts (issue 13): `og:type` ("website" or "article"),
    /// the card picture's size and text, a story's `article:*` facts, and
    /// `noarchive` (paid stories: no cached copy of the full text).
    pub og_type: &'static str,
    pub og_image_meta: Option<crate::structured::CardImage>,
    pub article: Option<crate::structured::ArticleMeta>,
    pub noarchive: bool,
    pub year: String,
    /// The footer links the paper configured (about, contact, terms, …).
    pub footer_links: Vec<NavItem>,
    /// The footer says every story is generated and fictional (a demo paper only).
    pub demo_notice: bool,
    /// Feeds named in `<head>` (issue 13): the paper's, and a section's,
    /// tag's or author's on its page.
    pub feeds: Vec<crate::feeds::FeedLink>,
}

pub struct NavItem {
    pub name: String,
    pub url: String,
    pub current: bool,
}

/// A picture as a page shows it. Each slot picks its own `srcset` (up to
/// the widest rendition it can use) and states its `sizes` in the template.
#[derive(Clone)]
pub struct PicView {
    /// The JPEG fallback (`src`; also og:image and JSON-LD).
    pub src: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub width: i64,
    pub height: i64,
    token: String,
    /// (nominal, real) widths stored (`media::rendition_widths`).
    widths: Vec<(u32, u32)>,
    url: fn(&str, u32, &str) -> String,
}

impl PicView {
    /// `srcset` of the renditions in `format` ("jpeg" or "webp") up to the
    /// nominal width `upto`, each named by its real width.
    pub fn srcset_to(&self, upto: &u32, format: &str) -> String {
        let mut out = String::new();
        for (nominal, real) in &self.widths {
            if nominal > upto && !out.is_empty() {
                break;
            }
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(&(self.url)(&self.token, *nominal, format));
            out.push(' ');
            out.push_str(&real.to_string());
            out.push('w');
        }
        out
    }

    /// The address of the picture's `ratio` crop ("1x1", "4x3" or "16x9";
    /// `media::CROPS`), for structured data and link cards.
    pub fn crop_url(&self, ratio: &str) -> String {
        let url = (self.url)(&self.token, broadsheet_app::media::CROP_WIDTH, "jpeg");
        // `/media/{token}-{width}.jpg` → `/media/{token}-{ratio}-{width}.jpg`
        url.replacen(
            &format!("{}-", self.token),
            &format!("{}-{ratio}-", self.token),
            1,
        )
    }

    /// The JPEG a slot falls back to: the widest up to `upto`.
    pub fn src_to(&self, upto: &u32) -> String {
        let nominal = self
            .widths
            .iter()
            .take_while(|(n, _)| n <= upto)
            .last()
            .or(self.widths.first())
            .map(|(n, _)| *n)
            .unwrap_or(*upto);
        (self.url)(&self.token, nominal, "jpeg")
    }
}

#[derive(Clone)]
pub struct CardView {
    pub id: i64,
    pub url: String,
    pub headline: String,
    pub standfirst: String,
    pub kicker: String,
    pub picture: Option<PicView>,
    pub time: ShownTime,
    pub comments: i64,
    pub breaking: bool,
    pub locked: bool,
}

/// A rendition's public address: by the picture's unguessable token, never
/// its sequential id. Served only while the picture is in published use.
pub fn media_url(token: &str, width: u32, format: &str) -> String {
    format!("/media/{token}-{width}.{}", extension(format))
}

/// The same rendition for newsroom pages (sent with the staff session
/// cookie, so unpublished pictures show in the library and previews).
pub fn staff_media_url(token: &str, width: u32, format: &str) -> String {
    format!("/newsroom/media/{token}-{width}.{}", extension(format))
}

fn extension(format: &str) -> &'static str {
    if format == "webp" { "webp" } else { "jpg" }
}

/// A picture as reader pages show it.
pub fn picture(p: &PictureRef) -> PicView {
    picture_at(p, media_url)
}

/// A picture as newsroom pages show it.
pub fn staff_picture(p: &PictureRef) -> PicView {
    picture_at(p, staff_media_url)
}

fn picture_at(p: &PictureRef, url: fn(&str, u32, &str) -> String) -> PicView {
    let widths = broadsheet_app::media::rendition_widths(u32::try_from(p.width).unwrap_or(1));
    let mut v = PicView {
        src: String::new(),
        alt: p.alt.clone(),
        caption: p.caption.clone(),
        credit: p.credit.clone(),
        width: p.width.max(1),
        height: p.height.max(1),
        token: p.token.clone(),
        widths,
        url,
    };
    v.src = v.src_to(&960);
    v
}

pub fn story_url(sections: &SectionTree, c: &StoryCard) -> String {
    permalink::story_path(sections.path(c.section_id), &c.slug, c.id)
}

pub fn card(app: &App, sections: &SectionTree, c: &StoryCard, comments: i64) -> CardView {
    CardView {
        id: c.id,
        url: story_url(sections, c),
        headline: c.headline.clone(),
        standfirst: c.standfirst.clone(),
        kicker: sections
            .get(c.section_id)
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        picture: c.picture.as_ref().map(picture),
        time: show(c.published_at, &app.config().time_zone),
        comments,
        breaking: c.breaking,
        locked: c.access == Access::Subscribers,
    }
}

pub fn cards(app: &App, sections: &SectionTree, list: &[StoryCard]) -> Vec<CardView> {
    list.iter().map(|c| card(app, sections, c, 0)).collect()
}

pub fn ranked(app: &App, sections: &SectionTree, list: &[Ranked]) -> Vec<CardView> {
    list.iter()
        .map(|r| card(app, sections, &r.card, r.comments))
        .collect()
}

/// The rails every story page and the home page show. Most Read, Editor's
/// Picks and Most Commented are always spliced in (`fragments.rs`); More from
/// is spliced on story pages (`more_from_slot`: the story to leave out) and
/// inline on the home page (which leaves out every story it already shows).
pub struct Rails {
    pub most_commented: bool,
    pub more_from: Vec<CardView>,
    pub more_from_slot: Option<i64>,
}

pub fn nav(sections: &SectionTree, current_root: Option<i64>) -> Vec<NavItem> {
    sections
        .top()
        .map(|s| NavItem {
            name: s.name.clone(),
            url: format!("/{}", s.path),
            current: Some(s.id) == current_root,
        })
        .collect()
}

/// Absolute URL on this paper.
pub fn absolute(app: &App, path: &str) -> String {
    format!("{}{}", base_url(app), path)
}

pub fn base_url(app: &App) -> &str {
    app.config()
        .base_url
        .as_deref()
        .unwrap_or("http://127.0.0.1:8080")
        .trim_end_matches('/')
}

pub fn chrome(
    app: &App,
    sections: &SectionTree,
    title: String,
    path: &str,
    current_root: Option<i64>,
) -> Chrome {
    let cfg = app.config();
    let rankings = app.rankings();
    let breaking = rankings
        .breaking
        .as_ref()
        .map(|c| card(app, sections, c, 0));
    Chrome {
        paper: cfg.name.clone(),
        description: format!("News from {}", cfg.name),
        title,
        canonical: absolute(app, path),
        nav: nav(sections, current_root),
        breaking,
        breaking_slot: true,
        css: crate::assets::css_url().to_string(),
        is_home: false,
        json_ld: None,
        og_image: None,
        noindex: false,
        og_type: "website",
        og_image_meta: None,
        article: None,
        noarchive: false,
        year: show(broadsheet_app::now(), &cfg.time_zone)
            .date
            .rsplit(' ')
            .next()
            .unwrap_or("")
            .to_string(),
        footer_links: cfg
            .footer_links
            .iter()
            .map(|l| NavItem {
                name: l.label.clone(),
                url: l.url.clone(),
                current: false,
            })
            .collect(),
        demo_notice: cfg.demo_paper,
        feeds: crate::feeds::links_for("/", &cfg.name),
    }
}

/// JSON for a `<script type="application/ld+json">` block: pretty-printed (so
/// no `}}` or `[[` can appear) and with `<` escaped so text cannot end the block.
pub fn json_ld(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Page links for fronts: (previous, next) URLs.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

pub fn pager(path: &str, page: i64, total: i64, per_page: i64) -> Pager {
    let pages = ((total + per_page - 1) / per_page).max(1);
    let link = |p: i64| {
        if p == 1 {
            path.to_string()
        } else {
            format!("{path}?page={p}")
        }
    };
    Pager {
        page,
        pages,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
    }
}
