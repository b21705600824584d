//! Sitemaps (issue 13): the index at `/sitemap.xml` (which `robots.txt`
//! names), and under `/sitemaps/`:
//!
//! - `stories-YYYY-MM.xml`: the stories first published in that UTC month
//!   (`stories-YYYY-MM-2.xml` and on past 50,000), `lastmod` the story's
//!   last change;
//! - `sections.xml`: the home page and every section front with stories;
//! - `authors.xml`: every author page with stories;
//! - `news.xml` (`news-2.xml` and on past 1,000 per file): the Google News
//!   sitemap of stories published in the last two days.
//!
//! Only published stories are listed. The index and the story, section and
//! author files are cached with the `front` surrogate key, which every
//! publish, update and withdrawal purges; the News sitemap depends on the
//! clock too, so it is rendered on each request (at most 1,000 rows) and
//! only a CDN keeps it, for the usual page time. Addresses are absolute,
//! from the paper's base URL (`view::absolute`).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use broadsheet_app::App;
use broadsheet_app::feeds::SitemapEntry;
use broadsheet_app::feeds::{self, NEWS_PER_FILE, STORIES_PER_FILE};
use broadsheet_app::keys::Key;
use broadsheet_domain::permalink;

use crate::error::WebError;
use crate::feeds::{Doc, Xml, el, finish_xml, new_xml, rfc3339, serve};
use crate::{Web, view};

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";
const XML: &str = "application/xml; charset=utf-8";
/// The highest News sitemap part answered (1,000,000 stories in two days).
const MAX_NEWS_PARTS: i64 = 1_000;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/sitemap.xml", get(index))
        .route("/sitemaps/{file}", get(file))
}

/// What a `/sitemaps/` file name asks for.
#[derive(Debug, PartialEq, Eq)]
enum File {
    Stories { month: String, part: i64 },
    Sections,
    Authors,
    News { part: i64 },
}

/// `-N` at the end of a name (N ≥ 2), or part 1.
fn split_part(name: &str) -> Option<(&str, i64)> {
    match name.rsplit_once('-') {
        Some((head, n))
            if !n.is_empty() && n.len() <= 7 && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            let n: i64 = n.parse().ok()?;
            (n >= 2).then_some((head, n))
        }
        _ => Some((name, 1)),
    }
}

fn parse_file(file: &str) -> Option<File> {
    let name = file.strip_suffix(".xml")?;
    match name {
        "sections" => return Some(File::Sections),
        "authors" => return Some(File::Authors),
        _ => {}
    }
    if let Some(rest) = name.strip_prefix("news") {
        if rest.is_empty() {
            return Some(File::News { part: 1 });
        }
        let n = rest.strip_prefix('-')?;
        let (_, part) = split_part(&format!("x-{n}"))?;
        return (part >= 2).then_some(File::News { part });
    }
    let rest = name.strip_prefix("stories-")?;
    // YYYY-MM or YYYY-MM-N.
    let (month, part) = if rest.len() > 7 {
        let (m, n) = rest.split_at(7);
        let n: i64 = n.strip_prefix('-')?.parse().ok()?;
        if n < 2 {
            return None;
        }
        (m, n)
    } else {
        (rest, 1)
    };
    feeds::month_bounds(month)?;
    Some(File::Stories {
        month: month.to_string(),
        part,
    })
}

/// `/sitemap.xml`.
async fn index(State(web): State<Web>, headers: HeaderMap) -> Response {
    let app = web.app.clone();
    serve(&web, "/sitemap.xml", &headers, async move {
        render_index(&app).await.map(Some)
    })
    .await
}

async fn file(
    State(web): State<Web>,
    Path(file): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let Some(what) = parse_file(&file) else {
        return WebError::NotFound.into_response();
    };
    let app = web.app.clone();
    serve(&web, uri.path(), &headers, async move {
        render_file(&app, what).await
    })
    .await
}

fn doc(body: String, keep: bool) -> Doc {
    Doc {
        body,
        content_type: XML,
        keys: vec![Key::Front],
        keep,
    }
}

fn io(e: std::io::Error) -> WebError {
    WebError::Internal(format!("writing a sitemap: {e}"))
}

async fn render_index(app: &App) -> Result<Doc, WebError> {
    let now = broadsheet_app::now();
    let months = feeds::months(app).await?;
    let news_parts = feeds::news_parts(app, now).await?;
    // The section and author files change with the newest story change
    // (an index lookup; their own lists cost a scan of a large paper).
    let newest = feeds::newest_change(app).await?;
    let mut entries: Vec<(String, Option<i64>)> = vec![
        ("/sitemaps/sections.xml".into(), newest),
        ("/sitemaps/authors.xml".into(), newest),
    ];
    for part in 1..=news_parts.min(MAX_NEWS_PARTS) {
        let name = if part == 1 {
            "/sitemaps/news.xml".to_string()
        } else {
            format!("/sitemaps/news-{part}.xml")
        };
        entries.push((name, newest));
    }
    for m in &months {
        let parts = ((m.stories + STORIES_PER_FILE - 1) / STORIES_PER_FILE).max(1);
        for part in 1..=parts {
            let name = if part == 1 {
                format!("/sitemaps/stories-{}.xml", m.month)
            } else {
                format!("/sitemaps/stories-{}-{part}.xml", m.month)
            };
            entries.push((name, Some(m.lastmod)));
        }
    }
    let mut w = new_xml().map_err(io)?;
    w.create_element("sitemapindex")
        .with_attribute(("xmlns", SITEMAP_NS))
        .write_inner_content(|w| {
            for (path, lastmod) in &entries {
                w.create_element("sitemap").write_inner_content(|w| {
                    el(w, "loc", &view::absolute(app, path))?;
                    if let Some(t) = lastmod {
                        el(w, "lastmod", &rfc3339(*t))?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })
        .map_err(io)?;
    Ok(doc(finish_xml(w).map_err(io)?, true))
}

fn url(w: &mut Xml, loc: &str, lastmod: Option<i64>) -> std::io::Result<()> {
    w.create_element("url").write_inner_content(|w| {
        el(w, "loc", loc)?;
        if let Some(t) = lastmod {
            el(w, "lastmod", &rfc3339(t))?;
        }
        Ok(())
    })?;
    Ok(())
}

fn story_loc(app: &App, e: &SitemapEntry) -> String {
    let sections = app.sections();
    view::absolute(
        app,
        &permalink::story_path(sections.path(e.section_id), &e.slug, e.id),
    )
}

fn urlset(app: &App, list: &[(String, Option<i64>)]) -> Result<String, WebError> {
    let _ = app;
    let mut w = new_xml().map_err(io)?;
    w.create_element("urlset")
        .with_attribute(("xmlns", SITEMAP_NS))
        .write_inner_content(|w| {
            for (loc, lastmod) in list {
                url(w, loc, *lastmod)?;
            }
            Ok(())
        })
        .map_err(io)?;
    finish_xml(w).map_err(io)
}

async fn render_file(app: &App, what: File) -> Result<Option<Doc>, WebError> {
    match what {
        File::Stories { month, part } => {
            let Some(list) = feeds::month_entries(app, &month, part).await? else {
                return Ok(None);
            };
            let locs: Vec<(String, Option<i64>)> = list
                .iter()
                .map(|e| (story_loc(app, e), Some(e.lastmod)))
                .collect();
            Ok(Some(doc(urlset(app, &locs)?, true)))
        }
        File::Sections => {
            let list = feeds::section_lastmods(app).await?;
            let mut locs = vec![(view::absolute(app, "/"), list.iter().map(|s| s.1).max())];
            locs.extend(
                list.iter()
                    .map(|(s, t)| (view::absolute(app, &format!("/{}", s.path)), Some(*t))),
            );
            Ok(Some(doc(urlset(app, &locs)?, true)))
        }
        File::Authors => {
            let list = feeds::author_lastmods(app).await?;
            let locs: Vec<(String, Option<i64>)> = list
                .iter()
                .map(|(slug, t)| (view::absolute(app, &format!("/authors/{slug}")), Some(*t)))
                .collect();
            Ok(Some(doc(urlset(app, &locs)?, true)))
        }
        File::News { part } => {
            if part > MAX_NEWS_PARTS {
                return Ok(None);
            }
            let now = broadsheet_app::now();
            let Some(list) = feeds::news_entries(app, now, part).await? else {
                return Ok(None);
            };
            debug_assert!(list.len() as i64 <= NEWS_PER_FILE);
            let paper = app.config().name.clone();
            let mut w = new_xml().map_err(io)?;
            w.create_element("urlset")
                .with_attribute(("xmlns", SITEMAP_NS))
                .with_attribute(("xmlns:news", NEWS_NS))
                .write_inner_content(|w| {
                    for e in &list {
                        w.create_element("url").write_inner_content(|w| {
                            el(w, "loc", &story_loc(app, e))?;
                            el(w, "lastmod", &rfc3339(e.lastmod))?;
                            w.create_element("news:news").write_inner_content(|w| {
                                w.create_element("news:publication")
                                    .write_inner_content(|w| {
                                        el(w, "news:name", &paper)?;
                                        el(w, "news:language", "en")
                                    })?;
                                el(w, "news:publication_date", &rfc3339(e.published_at))?;
                                el(w, "news:title", &e.headline)
                            })?;
                            Ok(())
                        })?;
                    }
                    Ok(())
                })
                .map_err(io)?;
            // The window moves with the clock: not kept in the page cache.
            Ok(Some(doc(finish_xml(w).map_err(io)?, false)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(parse_file("sections.xml"), Some(File::Sections));
        assert_eq!(parse_file("authors.xml"), Some(File::Authors));
        assert_eq!(parse_file("news.xml"), Some(File::News { part: 1 }));
        assert_eq!(parse_file("news-3.xml"), Some(File::News { part: 3 }));
        assert_eq!(parse_file("news-1.xml"), None);
        assert_eq!(parse_file("news-x.xml"), None);
        assert_eq!(
            parse_file("stories-2026-11.xml"),
            Some(File::Stories {
                month: "2026-11".into(),
                part: 1
            })
        );
        assert_eq!(
            parse_file("stories-2026-11-2.xml"),
            Some(File::Stories {
                month: "2026-11".into(),
                part: 2
            })
        );
        for bad in [
            "stories-2026-13.xml",
            "stories-2026-11-1.xml",
            "stories-2026-11",
            "x.xml",
            "stories-26-11.xml",
        ] {
            assert_eq!(parse_file(bad), None, "{bad}");
        }
    }
}
