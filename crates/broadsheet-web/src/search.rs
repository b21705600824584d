//! `/search` (issue 13): the reader site's search page, a `GET` form that
//! works without JavaScript, with filters (section and those below it,
//! author, publication dates), relevance or date order, highlighted snippets
//! and pages of results. The masthead of every reader page carries a search
//! box that sends here.
//!
//! What a reader may find is decided by the app (`broadsheet_app::search`):
//! a subscriber also searches paid parts, anyone else only free text. The
//! answer depends on who asks, so it is never stored in the page cache nor
//! any shared cache (`private, no-store`), and it counts nothing on the
//! meter (no story is opened).

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use broadsheet_app::entitlement::Reader;
use broadsheet_app::search::{self, Ask, Entitled, Sort};
use broadsheet_app::{AppError, gatecache};
use broadsheet_domain::time::{ShownTime, show};

use crate::Web;
use crate::error::WebError;
use crate::extract::reader_token;
use crate::readers::chrome;
use crate::view::{self, Chrome};

pub fn routes() -> Router<Web> {
    Router::new().route("/search", get(page))
}

/// The form's fields, as typed (all optional; each checked below).
#[derive(Default)]
pub(crate) struct Params {
    pub(crate) q: Option<String>,
    pub(crate) section: Option<String>,
    pub(crate) author: Option<String>,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) sort: Option<String>,
    pub(crate) page: Option<String>,
}

struct ResultView {
    url: String,
    headline: String,
    standfirst: String,
    kicker: String,
    when: ShownTime,
    /// Escaped text with matches in `<b>` (`broadsheet_app::search`).
    snippet_html: String,
    paid: bool,
}

struct SectionOption {
    path: String,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    sections: Vec<SectionOption>,
    author: String,
    /// These results without the author filter.
    all_authors: String,
    from: String,
    to: String,
    newest: bool,
    /// What to tell the reader instead of results.
    message: Option<String>,
    searched: bool,
    results: Vec<ResultView>,
    total: usize,
    first: usize,
    last: usize,
    catching_up: bool,
    words_dropped: bool,
    prev: Option<String>,
    next: Option<String>,
}

/// Sent with every answer: it depends on who asks.
const PRIVATE: &str = "private, no-store";

fn respond(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(PRIVATE));
    r
}

/// A `YYYY-MM-DD` date as the start of that day in the paper's zone.
fn day_start(web: &Web, text: &str, name: &str) -> Result<Option<i64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let date: jiff::civil::Date = t
        .parse()
        .map_err(|_| format!("The {name} date {t:?} is not a date: use the form 2026-11-30."))?;
    let zoned = date
        .to_zoned_datetime(web.app.config().time_zone.clone())
        .map_err(|_| format!("The {name} date {t:?} is out of range."))?;
    Ok(Some(zoned.timestamp().as_second()))
}

/// The form's fields from the query string (the last of a repeated name
/// counts; unknown names are ignored).
pub(crate) fn params(raw: &str) -> Params {
    let mut p = Params::default();
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
        let v = Some(v.into_owned());
        match &*k {
            "q" => p.q = v,
            "section" => p.section = v,
            "author" => p.author = v,
            "from" => p.from = v,
            "to" => p.to = v,
            "sort" => p.sort = v,
            "page" => p.page = v,
            _ => {}
        }
    }
    p
}

/// The query string of a page of these results.
fn link(p: &Params, page: usize) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("q", &p.q),
        ("section", &p.section),
        ("author", &p.author),
        ("from", &p.from),
        ("to", &p.to),
        ("sort", &p.sort),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            s.append_pair(k, v);
        }
    }
    s.append_pair("page", &page.to_string());
    format!("/search?{}", s.finish())
}

/// Reads the form into an [`Ask`], or says what is wrong with it.
pub(crate) fn ask_of(web: &Web, p: &Params) -> Result<Ask, String> {
    let page = match p.page.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(s) => s.parse::<usize>().map_err(|_| {
            format!("The page number {s:?} is not valid: use a whole number from 1.")
        })?,
    };
    let section =
        match p.section.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(path) => Some(web.app.sections().by_path(path).map(|s| s.id).ok_or_else(
                || "There is no such section: choose one from the list.".to_string(),
            )?),
        };
    let author = p
        .author
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string);
    if author.as_ref().is_some_and(|a| a.len() > 100) {
        return Err("That author is not known: follow a link from an author's page.".into());
    }
    let from = day_start(web, p.from.as_deref().unwrap_or(""), "from")?;
    // "To" a day includes that day.
    let to = day_start(web, p.to.as_deref().unwrap_or(""), "to")?.map(|t| t + 86_400);
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err("The from date is after the to date: swap them.".into());
    }
    let sort = match p.sort.as_deref() {
        None | Some("") | Some("relevance") => Sort::Relevance,
        Some("newest") => Sort::Newest,
        Some(_) => return Err("Sort by relevance or newest.".into()),
    };
    let ask = Ask {
        q: p.q.clone().unwrap_or_default(),
        section,
        author,
        from,
        to,
        sort,
        page,
    };
    search::check(&ask)?;
    Ok(ask)
}

async fn page(
    State(web): State<Web>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let p = params(raw.as_deref().unwrap_or(""));
    let sections_tree = web.app.sections();
    let chosen = p.section.clone().unwrap_or_default();
    let mut sections: Vec<SectionOption> = Vec::new();
    for top in sections_tree.top() {
        sections.push(SectionOption {
            path: top.path.clone(),
            name: top.name.clone(),
            selected: top.path == chosen,
        });
        for c in sections_tree.children(top.id) {
            sections.push(SectionOption {
                path: c.path.clone(),
                name: format!("{} › {}", top.name, c.name),
                selected: c.path == chosen,
            });
        }
    }
    let q = p.q.clone().unwrap_or_default();
    let mut chrome = chrome(&web, "Search", "/search");
    chrome.description = format!("Search {}.", web.app.config().name);
    let mut out = SearchPage {
        chrome,
        q: q.chars().take(search::MAX_QUERY_CHARS * 2).collect(),
        sections,
        author: p.author.clone().unwrap_or_default(),
        all_authors: link(
            &Params {
                author: None,
                page: None,
                q: p.q.clone(),
                section: p.section.clone(),
                from: p.from.clone(),
                to: p.to.clone(),
                sort: p.sort.clone(),
            },
            1,
        ),
        from: p.from.clone().unwrap_or_default(),
        to: p.to.clone().unwrap_or_default(),
        newest: p.sort.as_deref() == Some("newest"),
        message: None,
        searched: false,
        results: Vec::new(),
        total: 0,
        first: 0,
        last: 0,
        catching_up: !web.app.search().is_ready(),
        words_dropped: false,
        prev: None,
        next: None,
    };
    // No query at all: the empty form.
    if q.trim().is_empty() && p.page.is_none() {
        return Ok(respond(StatusCode::OK, out.render()?));
    }
    let ask = match ask_of(&web, &p) {
        Ok(a) => a,
        Err(m) => {
            out.message = Some(m);
            return Ok(respond(StatusCode::BAD_REQUEST, out.render()?));
        }
    };
    // Who asks: the gate's reader (session only; no meter, no device).
    let now = broadsheet_app::now();
    let session = match reader_token(&headers) {
        None => None,
        Some(token) => gatecache::session(&web.app, token, now)
            .await
            .map_err(|e| WebError::Internal(format!("reading the reader's session: {e}")))?,
    };
    let reader = Reader {
        account: session.map(|(id, _)| id),
        subscriber: session.is_some_and(|(_, s)| s),
        ..Reader::default()
    };
    let found = match search::search(&web.app, &ask, Entitled::of(&reader)).await {
        Ok(f) => f,
        Err(AppError::Invalid(m)) => {
            out.message = Some(m);
            return Ok(respond(StatusCode::BAD_REQUEST, out.render()?));
        }
        Err(e) => return Err(e.into()),
    };
    let tz = &web.app.config().time_zone;
    out.searched = true;
    out.total = found.total;
    out.catching_up = found.catching_up;
    out.words_dropped = found.words_dropped;
    out.results = found
        .hits
        .into_iter()
        .filter_map(|h| {
            let c = h.card?;
            Some(ResultView {
                url: view::story_url(&sections_tree, &c),
                kicker: sections_tree
                    .get(c.section_id)
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                when: show(c.published_at, tz),
                paid: c.access != broadsheet_domain::Access::Free,
                headline: c.headline,
                standfirst: c.standfirst,
                snippet_html: h.snippet_html,
            })
        })
        .collect();
    let offset = (ask.page - 1) * search::PER_PAGE;
    out.first = offset + 1;
    out.last = offset + out.results.len();
    if ask.page > 1 {
        out.prev = Some(link(&p, ask.page - 1));
    }
    if offset + search::PER_PAGE < found.total && ask.page < search::MAX_PAGE {
        out.next = Some(link(&p, ask.page + 1));
    }
    Ok(respond(StatusCode::OK, out.render()?))
}
