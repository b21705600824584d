//! The newsroom's search, `/newsroom/search`: the reader search's engine
//! and form fields, over the stories (drafts too) the permission table lets
//! the signed-in member of staff see (`broadsheet_app::search::desk_search`
//! decides). Works without JavaScript; never cached.

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use broadsheet_app::AppError;
use broadsheet_app::search::{self, PER_PAGE};

use crate::Web;
use crate::error::WebError;
use crate::extract::SignedIn;
use crate::newsroom::{Frame, render};
use crate::search::{ask_of, params};

pub fn routes() -> Router<Web> {
    Router::new().route("/newsroom/search", get(page))
}

struct Line {
    id: i64,
    headline: String,
    status: &'static str,
    section: String,
    when: String,
    snippet_html: String,
}

struct SectionOption {
    path: String,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "nr_search.html")]
struct SearchPage {
    frame: Frame,
    q: String,
    newest: bool,
    sections: Vec<SectionOption>,
    lines: Vec<Line>,
    asked: bool,
    total: usize,
    catching_up: bool,
    prev: String,
    next: String,
}

fn link(q: &str, section: &str, sort: &str, page: usize) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    s.append_pair("q", q);
    if !section.is_empty() {
        s.append_pair("section", section);
    }
    if !sort.is_empty() {
        s.append_pair("sort", sort);
    }
    s.append_pair("page", &page.to_string());
    format!("/newsroom/search?{}", s.finish())
}

async fn page(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let p = params(raw.as_deref().unwrap_or(""));
    let q = p.q.clone().unwrap_or_default();
    let section = p.section.clone().unwrap_or_default();
    let sort = p.sort.clone().unwrap_or_default();
    let tree = web.app.sections();
    let sections = tree
        .all()
        .iter()
        .map(|s| SectionOption {
            path: tree.path(s.id).to_string(),
            name: s.name.clone(),
            selected: tree.path(s.id) == section,
        })
        .collect();
    let mut frame = Frame::new(&web, &staff, "Search stories");
    let mut out = SearchPage {
        frame: Frame::new(&web, &staff, "Search stories"),
        q: q.clone(),
        newest: sort == "newest",
        sections,
        lines: Vec::new(),
        asked: !q.trim().is_empty(),
        total: 0,
        catching_up: false,
        prev: String::new(),
        next: String::new(),
    };
    let mut status = StatusCode::OK;
    if out.asked {
        match ask_of(&web, &p) {
            Err(m) => {
                frame = frame.problem(&m);
                status = StatusCode::BAD_REQUEST;
            }
            Ok(ask) => match search::desk_search(&web.app, &staff.actor(), &ask).await {
                Ok(found) => {
                    let when =
                        |t: i64| broadsheet_domain::time::show(t, &web.app.config().time_zone).text;
                    out.total = found.total;
                    out.catching_up = found.catching_up;
                    out.lines = found
                        .hits
                        .into_iter()
                        .map(|h| Line {
                            id: h.story.id,
                            section: tree
                                .get(h.story.section_id)
                                .map(|s| s.name.clone())
                                .unwrap_or_default(),
                            status: h.story.status.as_str(),
                            when: when(h.story.modified_at),
                            headline: h.story.headline,
                            snippet_html: h.snippet_html,
                        })
                        .collect();
                    if ask.page > 1 {
                        out.prev = link(&q, &section, &sort, ask.page - 1);
                    }
                    if ask.page * PER_PAGE < found.total && ask.page < search::MAX_PAGE {
                        out.next = link(&q, &section, &sort, ask.page + 1);
                    }
                }
                Err(AppError::Invalid(m)) => {
                    frame = frame.problem(&m);
                    status = StatusCode::BAD_REQUEST;
                }
                Err(e) => return Err(e.into()),
            },
        }
    }
    out.frame = frame;
    render(&out, status)
}
