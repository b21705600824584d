//! Feeds (issue 13): RSS 2.0, Atom (RFC 4287) and JSON Feed 1.1 for the
//! whole paper, each section, each tag and each author, at one scheme:
//!
//! | scope   | RSS                               | Atom                | JSON Feed          |
//! |---------|-----------------------------------|---------------------|--------------------|
//! | paper   | `/feeds/rss.xml`                  | `/feeds/atom.xml`   | `/feeds/feed.json` |
//! | section | `/feeds/sections/<path>/rss.xml`  | `…/<path>/atom.xml` | `…/<path>/feed.json` |
//! | tag     | `/feeds/tags/<slug>/rss.xml`      | `…/atom.xml`        | `…/feed.json`      |
//! | author  | `/feeds/authors/<slug>/rss.xml`   | `…/atom.xml`        | `…/feed.json`      |
//!
//! What an item says comes from `broadsheet_app::feeds::items`, which takes
//! every body from the entitlement gate as for a reader who is not
//! entitled (free stories in full, paid ones cut to the preview). Item ids
//! are tag URIs (RFC 4151) made of the site's host, the story's first
//! publication date and its id, so editing a headline (or its slug) never
//! changes them. Lead pictures are enclosures of the 960-pixel rendition
//! with its length. XML is written with `quick-xml` (every text and
//! attribute escaped by the writer), JSON with serde.
//!
//! Feeds and sitemaps are cached like other public pages: in the page cache
//! under their path with the surrogate keys of what they list (purged by the
//! change events of a publish, update or withdrawal), with ETag and
//! Last-Modified for conditional requests, and `Cache-Control` that lets a
//! CDN keep them. Every reader page's `<head>` links the paper's feeds, and
//! a section's, tag's or author's page its own ([`links_for`]).

use std::borrow::Cow;
use std::future::Future;
use std::io;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use broadsheet_app::App;
use broadsheet_app::feeds::{self, FeedItem, Scope};
use broadsheet_app::keys::Key;
use broadsheet_domain::{PictureRef, permalink};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde::Serialize;

use crate::error::WebError;
use crate::pages::CACHE_PAGE;
use crate::{Web, view};

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/feeds/{file}", get(paper_feed))
        .route("/feeds/sections/{*rest}", get(section_feed))
        .route("/feeds/tags/{slug}/{file}", get(tag_feed))
        .route("/feeds/authors/{slug}/{file}", get(author_feed))
}

/// The three formats, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    pub fn from_file(file: &str) -> Option<Format> {
        match file {
            "rss.xml" => Some(Format::Rss),
            "atom.xml" => Some(Format::Atom),
            "feed.json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn file(self) -> &'static str {
        match self {
            Format::Rss => "rss.xml",
            Format::Atom => "atom.xml",
            Format::Json => "feed.json",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml",
            Format::Atom => "application/atom+xml",
            Format::Json => "application/feed+json",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Format::Rss => "RSS",
            Format::Atom => "Atom",
            Format::Json => "JSON Feed",
        }
    }
}

/// A `<link rel="alternate">` for a page's `<head>`.
pub struct FeedLink {
    pub mime: &'static str,
    pub title: String,
    pub href: String,
}

/// The feed directory of the page at `page_path` (`/`, a section front,
/// `/tags/<slug>`, `/authors/<slug>`).
fn feed_dir(page_path: &str) -> String {
    if page_path == "/" {
        "/feeds".to_string()
    } else if page_path.starts_with("/tags/") || page_path.starts_with("/authors/") {
        format!("/feeds{page_path}")
    } else {
        format!("/feeds/sections{page_path}")
    }
}

/// The feed links of the page at `page_path`, titled `title`.
pub fn links_for(page_path: &str, title: &str) -> Vec<FeedLink> {
    let dir = feed_dir(page_path);
    Format::ALL
        .iter()
        .map(|f| FeedLink {
            mime: f.mime(),
            title: format!("{title} ({})", f.label()),
            href: format!("{dir}/{}", f.file()),
        })
        .collect()
}

// ----- serving, cached ---------------------------------------------------------------

/// A document ready to serve.
pub(crate) struct Doc {
    pub body: String,
    pub content_type: &'static str,
    pub keys: Vec<Key>,
    /// Kept in the page cache (until a purge names one of `keys`); a
    /// document that changes with the clock alone is rendered each time.
    pub keep: bool,
}

/// Serves `path` from the page cache, or renders it with `render` (`None`:
/// not found), stores it if it may be kept, and answers with ETag,
/// Last-Modified and 304 for a matching conditional request.
pub(crate) async fn serve<F>(web: &Web, path: &str, headers: &HeaderMap, render: F) -> Response
where
    F: Future<Output = Result<Option<Doc>, WebError>>,
{
    let key = crate::cache_key(path, 1);
    if let Some(hit) = web.hit_answer(&key, headers) {
        return hit;
    }
    web.count_render();
    let epoch = web.cache.epoch();
    match render.await {
        Ok(Some(doc)) => web.keep_answer(key, headers, doc, CACHE_PAGE, epoch),
        Ok(None) => WebError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn paper_feed(
    State(web): State<Web>,
    Path(file): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let Some(format) = Format::from_file(&file) else {
        return WebError::NotFound.into_response();
    };
    let app = web.app.clone();
    serve(&web, uri.path(), &headers, async move {
        feed(&app, Scope::Paper, format).await.map(Some)
    })
    .await
}

async fn section_feed(
    State(web): State<Web>,
    Path(rest): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let Some((path, format)) = rest
        .rsplit_once('/')
        .and_then(|(p, f)| Some((p.to_string(), Format::from_file(f)?)))
    else {
        return WebError::NotFound.into_response();
    };
    let Some(scope) = feeds::scope_section(&web.app, &path) else {
        return WebError::NotFound.into_response();
    };
    let app = web.app.clone();
    serve(&web, uri.path(), &headers, async move {
        feed(&app, scope, format).await.map(Some)
    })
    .await
}

async fn tag_feed(
    State(web): State<Web>,
    Path((slug, file)): Path<(String, String)>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    named_feed(web, Named::Tag, slug, &file, &uri, &headers).await
}

async fn author_feed(
    State(web): State<Web>,
    Path((slug, file)): Path<(String, String)>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    named_feed(web, Named::Author, slug, &file, &uri, &headers).await
}

/// What a feed named by a slug follows.
#[derive(Clone, Copy)]
enum Named {
    Tag,
    Author,
}

/// A tag's or author's feed: not found unless the slug names one.
async fn named_feed(
    web: Web,
    kind: Named,
    slug: String,
    file: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
) -> Response {
    let Some(format) = Format::from_file(file) else {
        return WebError::NotFound.into_response();
    };
    let app = web.app.clone();
    serve(&web, uri.path(), headers, async move {
        let scope = match kind {
            Named::Tag => feeds::scope_tag(&app, &slug).await?,
            Named::Author => feeds::scope_author(&app, &slug).await?,
        };
        match scope {
            Some(scope) => feed(&app, scope, format).await.map(Some),
            None => Ok(None),
        }
    })
    .await
}

// ----- what a feed says ------------------------------------------------------------

/// A feed's own data: title, pages, keys.
struct Head {
    title: String,
    description: String,
    /// Absolute address of the HTML page the feed follows.
    page: String,
    /// Absolute address of this feed.
    this: String,
    keys: Vec<Key>,
}

fn head(app: &App, scope: &Scope, format: Format) -> Head {
    let paper = &app.config().name;
    let (title, description, page_path, key) = match scope {
        Scope::Paper => (
            paper.clone(),
            format!("The latest stories from {paper}."),
            "/".to_string(),
            Key::Front,
        ),
        Scope::Section(s) => (
            format!("{} | {paper}", s.name),
            format!("The latest {} stories from {paper}.", s.name),
            format!("/{}", s.path),
            Key::Section(s.id),
        ),
        Scope::Tag(t) => (
            format!("{} | {paper}", t.name),
            format!("Stories tagged {} in {paper}.", t.name),
            format!("/tags/{}", t.slug),
            Key::Tag(t.id),
        ),
        Scope::Author(a) => (
            format!("{} | {paper}", a.display_name),
            format!("Stories by {} in {paper}.", a.display_name),
            format!("/authors/{}", a.slug),
            Key::Author(a.id),
        ),
    };
    Head {
        title,
        description,
        page: view::absolute(app, &page_path),
        this: view::absolute(app, &format!("{}/{}", feed_dir(&page_path), format.file())),
        keys: vec![key],
    }
}

/// One item's data as all three formats say it.
struct Item {
    id: String,
    url: String,
    title: String,
    summary: String,
    html: String,
    published: i64,
    updated: i64,
    authors: Vec<(String, Option<String>)>,
    categories: Vec<String>,
    picture: Option<(String, i64, String)>,
}

/// The site's host name (and port) from the base URL, for tag URIs.
fn authority(app: &App) -> String {
    let base = view::base_url(app);
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    rest.split('/').next().unwrap_or("localhost").to_string()
}

/// `tag:<host>,<first publication date>:story-<id>` (RFC 4151): never
/// changes when the story is edited.
fn story_id_uri(authority: &str, published_at: i64, id: i64) -> String {
    let date = jiff::Timestamp::from_second(published_at)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| "1970-01-01".into());
    // A tag URI's authority is a DNS name or an email address: no port.
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    format!("tag:{host},{date}:story-{id}")
}

/// A picture placed in a body, as feed readers (and API clients) get it:
/// absolute address, no classes or icons.
pub(crate) fn feed_figure(base: &str) -> impl Fn(&PictureRef) -> String + Clone + use<> {
    let base = base.to_string();
    move |p: &PictureRef| {
        let v = view::picture(p);
        let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
        let credit = if v.credit.is_empty() {
            String::new()
        } else {
            format!(" ({})", esc(&v.credit))
        };
        format!(
            "<figure><img src=\"{}{}\" alt=\"{}\" width=\"{}\" height=\"{}\"><figcaption>{}{credit}</figcaption></figure>",
            esc(&base),
            esc(&v.src),
            esc(&v.alt),
            v.width,
            v.height,
            esc(&v.caption),
        )
    }
}

fn item(app: &App, authority: &str, f: &FeedItem) -> Item {
    let s = &f.story;
    let sections = app.sections();
    let path = permalink::story_path(sections.path(s.section_id), &s.slug, s.id);
    let url = view::absolute(app, &path);
    let published = s.published_at.unwrap_or(s.modified_at);
    let mut html = f.html.clone();
    if f.withheld {
        html.push_str(&format!(
            "<p><a href=\"{}\">The rest of this story is for subscribers: read it on {}.</a></p>",
            quick_xml::escape::escape(url.as_str()),
            quick_xml::escape::escape(app.config().name.as_str()),
        ));
    }
    let mut authors: Vec<(String, Option<String>)> = s
        .authors
        .iter()
        .map(|a| {
            (
                a.display_name.clone(),
                Some(view::absolute(app, &format!("/authors/{}", a.slug))),
            )
        })
        .collect();
    if authors.is_empty() {
        let name = s
            .byline_text
            .clone()
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| app.config().name.clone());
        authors.push((name, None));
    }
    let mut categories: Vec<String> = sections
        .get(s.section_id)
        .map(|sec| vec![sec.name.clone()])
        .unwrap_or_default();
    categories.extend(s.tags.iter().map(|t| t.name.clone()));
    Item {
        id: story_id_uri(authority, published, s.id),
        url,
        title: s.headline.clone(),
        summary: s.standfirst.clone(),
        html,
        published,
        updated: s.modified_at.max(published),
        authors,
        categories,
        picture: f.picture.as_ref().map(|(p, len)| {
            (
                view::absolute(app, &view::picture(p).src),
                *len,
                p.alt.clone(),
            )
        }),
    }
}

/// Renders the feed of `scope` in `format`.
async fn feed(app: &App, scope: Scope, format: Format) -> Result<Doc, WebError> {
    let h = head(app, &scope, format);
    let base = view::base_url(app).to_string();
    let list = feeds::items(app, &scope, feed_figure(&base)).await?;
    let auth = authority(app);
    let items: Vec<Item> = list.iter().map(|f| item(app, &auth, f)).collect();
    let mut keys = h.keys.clone();
    keys.extend(list.iter().map(|f| Key::Story(f.story.id)));
    keys.sort();
    keys.dedup();
    let updated = items
        .iter()
        .map(|i| i.updated)
        .max()
        .unwrap_or_else(broadsheet_app::now);
    let body = match format {
        Format::Rss => rss(app, &h, &items, updated),
        Format::Atom => atom(app, &h, &items, updated),
        Format::Json => json(app, &h, &items),
    }
    .map_err(|e| WebError::Internal(format!("writing a feed: {e}")))?;
    Ok(Doc {
        body,
        content_type: format.content_type(),
        keys,
        keep: true,
    })
}

// ----- XML helpers -----------------------------------------------------------------

/// Text as XML 1.0 allows it: characters it forbids (most C0 controls,
/// lone surrogates cannot occur in `str`, U+FFFE/U+FFFF) are dropped.
pub(crate) fn xml_text(s: &str) -> Cow<'_, str> {
    let ok = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    if s.chars().all(ok) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|c| ok(*c)).collect())
    }
}

pub(crate) type Xml = Writer<Vec<u8>>;

pub(crate) fn new_xml() -> io::Result<Xml> {
    let mut w = Writer::new_with_indent(Vec::with_capacity(64 * 1024), b' ', 1);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    Ok(w)
}

/// `<name>text</name>`, escaped.
pub(crate) fn el(w: &mut Xml, name: &str, text: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&xml_text(text)))?;
    Ok(())
}

pub(crate) fn finish_xml(w: Xml) -> io::Result<String> {
    String::from_utf8(w.into_inner()).map_err(io::Error::other)
}

/// RFC 3339 (Atom, sitemaps, JSON Feed).
pub(crate) fn rfc3339(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

// ----- the three formats -----------------------------------------------------------

fn rss(app: &App, h: &Head, items: &[Item], updated: i64) -> io::Result<String> {
    let mut w = new_xml()?;
    w.create_element("rss")
        .with_attribute(("version", "2.0"))
        .with_attribute(("xmlns:atom", "http://www.w3.org/2005/Atom"))
        .with_attribute(("xmlns:content", "http://purl.org/rss/1.0/modules/content/"))
        .with_attribute(("xmlns:dc", "http://purl.org/dc/elements/1.1/"))
        .write_inner_content(|w| {
            w.create_element("channel").write_inner_content(|w| {
                el(w, "title", &h.title)?;
                el(w, "link", &h.page)?;
                el(w, "description", &h.description)?;
                w.create_element("atom:link")
                    .with_attribute(("href", h.this.as_str()))
                    .with_attribute(("rel", "self"))
                    .with_attribute(("type", Format::Rss.mime()))
                    .write_empty()?;
                el(
                    w,
                    "lastBuildDate",
                    &broadsheet_domain::time::http_date(updated),
                )?;
                el(w, "generator", "Broadsheet")?;
                el(w, "ttl", "5")?;
                for i in items {
                    w.create_element("item").write_inner_content(|w| {
                        el(w, "title", &i.title)?;
                        el(w, "link", &i.url)?;
                        w.create_element("guid")
                            .with_attribute(("isPermaLink", "false"))
                            .write_text_content(BytesText::new(&i.id))?;
                        el(
                            w,
                            "pubDate",
                            &broadsheet_domain::time::http_date(i.published),
                        )?;
                        for (name, _) in &i.authors {
                            el(w, "dc:creator", name)?;
                        }
                        for c in &i.categories {
                            el(w, "category", c)?;
                        }
                        el(w, "description", &i.summary)?;
                        el(w, "content:encoded", &i.html)?;
                        if let Some((url, len, _)) = &i.picture {
                            w.create_element("enclosure")
                                .with_attribute(("url", url.as_str()))
                                .with_attribute(("length", len.to_string().as_str()))
                                .with_attribute(("type", "image/jpeg"))
                                .write_empty()?;
                        }
                        Ok(())
                    })?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    let _ = app;
    finish_xml(w)
}

fn atom(app: &App, h: &Head, items: &[Item], updated: i64) -> io::Result<String> {
    let mut w = new_xml()?;
    w.create_element("feed")
        .with_attribute(("xmlns", "http://www.w3.org/2005/Atom"))
        .write_inner_content(|w| {
            el(w, "id", &h.this)?;
            el(w, "title", &h.title)?;
            el(w, "subtitle", &h.description)?;
            el(w, "updated", &rfc3339(updated))?;
            w.create_element("link")
                .with_attribute(("rel", "self"))
                .with_attribute(("type", Format::Atom.mime()))
                .with_attribute(("href", h.this.as_str()))
                .write_empty()?;
            w.create_element("link")
                .with_attribute(("rel", "alternate"))
                .with_attribute(("type", "text/html"))
                .with_attribute(("href", h.page.as_str()))
                .write_empty()?;
            w.create_element("author").write_inner_content(|w| {
                el(w, "name", &app.config().name)?;
                el(w, "uri", &view::absolute(app, "/"))
            })?;
            el(w, "generator", "Broadsheet")?;
            for i in items {
                w.create_element("entry").write_inner_content(|w| {
                    el(w, "id", &i.id)?;
                    el(w, "title", &i.title)?;
                    el(w, "published", &rfc3339(i.published))?;
                    el(w, "updated", &rfc3339(i.updated))?;
                    w.create_element("link")
                        .with_attribute(("rel", "alternate"))
                        .with_attribute(("type", "text/html"))
                        .with_attribute(("href", i.url.as_str()))
                        .write_empty()?;
                    if let Some((url, len, alt)) = &i.picture {
                        w.create_element("link")
                            .with_attribute(("rel", "enclosure"))
                            .with_attribute(("type", "image/jpeg"))
                            .with_attribute(("length", len.to_string().as_str()))
                            .with_attribute(("title", xml_text(alt).as_ref()))
                            .with_attribute(("href", url.as_str()))
                            .write_empty()?;
                    }
                    for (name, uri) in &i.authors {
                        w.create_element("author").write_inner_content(|w| {
                            el(w, "name", name)?;
                            if let Some(u) = uri {
                                el(w, "uri", u)?;
                            }
                            Ok(())
                        })?;
                    }
                    for c in &i.categories {
                        w.create_element("category")
                            .with_attribute(("term", xml_text(c).as_ref()))
                            .write_empty()?;
                    }
                    w.create_element("summary")
                        .with_attribute(("type", "text"))
                        .write_text_content(BytesText::new(&xml_text(&i.summary)))?;
                    w.create_element("content")
                        .with_attribute(("type", "html"))
                        .write_text_content(BytesText::new(&xml_text(&i.html)))?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    finish_xml(w)
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    authors: Vec<JsonAuthor>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    authors: Vec<JsonAuthor>,
    tags: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<JsonAttachment<'a>>,
}

#[derive(Serialize)]
struct JsonAttachment<'a> {
    url: &'a str,
    mime_type: &'static str,
    size_in_bytes: i64,
    #[serde(skip_serializing_if = "str::is_empty")]
    title: &'a str,
}

fn json(app: &App, h: &Head, items: &[Item]) -> io::Result<String> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &h.title,
        home_page_url: &h.page,
        feed_url: &h.this,
        description: &h.description,
        authors: vec![JsonAuthor {
            name: app.config().name.clone(),
            url: Some(view::absolute(app, "/")),
        }],
        items: items
            .iter()
            .map(|i| JsonItem {
                id: &i.id,
                url: &i.url,
                title: &i.title,
                content_html: &i.html,
                summary: &i.summary,
                image: i.picture.as_ref().map(|p| p.0.as_str()),
                date_published: rfc3339(i.published),
                date_modified: rfc3339(i.updated),
                authors: i
                    .authors
                    .iter()
                    .map(|(name, url)| JsonAuthor {
                        name: name.clone(),
                        url: url.clone(),
                    })
                    .collect(),
                tags: &i.categories,
                attachments: i
                    .picture
                    .iter()
                    .map(|(url, len, alt)| JsonAttachment {
                        url,
                        mime_type: "image/jpeg",
                        size_in_bytes: *len,
                        title: alt,
                    })
                    .collect(),
            })
            .collect(),
    };
    let text = serde_json::to_string(&feed).map_err(io::Error::other)?;
    // `<` as an escape: a stored page is cut at `<!--bs:` markers, and no
    // text of a story may become one.
    Ok(text.replace('<', "\\u003c"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_do_not_depend_on_the_headline_or_the_port() {
        let a = story_id_uri("paper.example:8080", 86_400 * 365, 42);
        assert_eq!(a, "tag:paper.example,1971-01-01:story-42");
    }

    #[test]
    fn feed_directories_follow_the_page() {
        assert_eq!(feed_dir("/"), "/feeds");
        assert_eq!(feed_dir("/news/world"), "/feeds/sections/news/world");
        assert_eq!(feed_dir("/tags/floods"), "/feeds/tags/floods");
        assert_eq!(feed_dir("/authors/ann"), "/feeds/authors/ann");
    }

    #[test]
    fn forbidden_characters_are_dropped() {
        assert_eq!(xml_text("a\u{1}b\tc"), "ab\tc");
        assert!(matches!(xml_text("plain"), Cow::Borrowed(_)));
    }
}
