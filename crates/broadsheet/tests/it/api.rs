//! The Content API (issue 13, item 6) through the router in-process, on the
//! test backend: cursor pages that hold still while stories are published,
//! filters, one error envelope with stable codes, a paid story's preview
//! only, withdrawn stories gone, ETag and 304, CORS for listed origins
//! only, and the OpenAPI document generated from the code and locked by a
//! snapshot (`crates/broadsheet-web/openapi.json`; `UPDATE_OPENAPI=1`
//! rewrites it). Schemathesis runs against it in `scripts/test.sh`.

use std::collections::HashSet;

use axum::http::StatusCode;
use broadsheet_app::{PaperConfig, newsroom};
use broadsheet_domain::Access;
use serde_json::Value;

use crate::gate_hot_path::publish;
use crate::support::{Paper, Reply, TestResult};

type R<T> = Result<T, Box<dyn std::error::Error>>;

fn json(r: &Reply) -> R<Value> {
    assert_eq!(r.header("content-type"), "application/json", "{}", r.body);
    Ok(serde_json::from_str(&r.body)?)
}

/// Every story id of a list, following `next_cursor` from `first`.
async fn walk(
    p: &Paper,
    first: &str,
    mut between: impl AsyncFnMut(usize) -> TestResult,
) -> R<Vec<i64>> {
    let mut ids = Vec::new();
    let mut url = first.to_string();
    for page in 0.. {
        let r = p.get(&url).await?;
        assert_eq!(r.status, StatusCode::OK, "{url}: {}", r.body);
        let v = json(&r)?;
        for s in v["data"].as_array().ok_or("no data")? {
            ids.push(s["id"].as_i64().ok_or("no id")?);
        }
        between(page).await?;
        match v["next_cursor"].as_str() {
            Some(c) => {
                let sep = if first.contains('?') { '&' } else { '?' };
                url = format!("{first}{sep}cursor={c}");
            }
            None => break,
        }
    }
    Ok(ids)
}

#[tokio::test]
async fn cursor_pages_neither_repeat_nor_skip_while_stories_are_published() -> TestResult {
    let p = Paper::demo(24).await?;
    let all = walk(&p, "/api/v1/stories?limit=100", async |_| Ok(())).await?;
    assert!(all.len() >= 20, "{} stories", all.len());
    // Newest first, by publication time then id.
    let mut published = Vec::new();
    for id in &all {
        let s = p.app.store().story(*id).await?.ok_or("story")?;
        published.push((s.published_at.unwrap_or(0), s.id));
    }
    let mut sorted = published.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(published, sorted, "not newest first");
    // Pages of 5, with a story published after each page.
    let mut new = Vec::new();
    let paged = walk(&p, "/api/v1/stories?limit=5", async |page| {
        let s = publish(&p, &format!("Published while paging {page}"), Access::Free).await?;
        new.push(s.id);
        Ok(())
    })
    .await?;
    assert_eq!(
        paged, all,
        "paging while publishing repeated or skipped a story"
    );
    let distinct: HashSet<_> = paged.iter().collect();
    assert_eq!(distinct.len(), paged.len());
    // The new ones lead a fresh list.
    let fresh = json(&p.get("/api/v1/stories?limit=3").await?)?;
    let first = fresh["data"][0]["id"].as_i64().ok_or("id")?;
    assert!(new.contains(&first), "{first} not one of {new:?}");
    Ok(())
}

#[tokio::test]
async fn filters_narrow_and_combine() -> TestResult {
    let p = Paper::demo(30).await?;
    let tagged = p
        .story_where(|s| !s.tags.is_empty() && !s.authors.is_empty())
        .await?;
    let tag = tagged.tags[0].slug.clone();
    let author = tagged.authors[0].slug.clone();
    let section = p.app.sections().path(tagged.section_id).to_string();
    let by_tag = walk(
        &p,
        &format!("/api/v1/stories?tag={tag}&limit=4"),
        async |_| Ok(()),
    )
    .await?;
    assert!(by_tag.contains(&tagged.id));
    for id in &by_tag {
        let s = p.app.store().story(*id).await?.ok_or("story")?;
        assert!(s.tags.iter().any(|t| t.slug == tag), "{id} lacks {tag}");
    }
    let both = walk(
        &p,
        &format!("/api/v1/stories?tag={tag}&author={author}&section={section}"),
        async |_| Ok(()),
    )
    .await?;
    assert!(both.contains(&tagged.id));
    for id in &both {
        let s = p.app.store().story(*id).await?.ok_or("story")?;
        assert!(s.tags.iter().any(|t| t.slug == tag));
        assert!(s.authors.iter().any(|a| a.slug == author));
        assert!(p.app.sections().path(s.section_id).starts_with(&section));
    }
    // Tags and authors list what the filters take.
    let tags = json(&p.get("/api/v1/tags").await?)?;
    assert!(
        tags["data"]
            .as_array()
            .ok_or("tags")?
            .iter()
            .any(|t| t["slug"] == tag.as_str())
    );
    let authors = json(&p.get("/api/v1/authors").await?)?;
    assert!(
        authors["data"]
            .as_array()
            .ok_or("authors")?
            .iter()
            .any(|a| a["slug"] == author.as_str())
    );
    let sections = json(&p.get("/api/v1/sections").await?)?;
    assert!(
        sections["data"]
            .as_array()
            .ok_or("sections")?
            .iter()
            .any(|s| s["path"] == section.as_str())
    );
    Ok(())
}

#[tokio::test]
async fn errors_come_in_one_envelope_with_stable_codes() -> TestResult {
    let p = Paper::demo(4).await?;
    let cases: &[(&str, StatusCode, &str)] = &[
        (
            "/api/v1/stories?cursor=zz",
            StatusCode::BAD_REQUEST,
            "bad_cursor",
        ),
        ("/api/v1/stories?cursor=76313a313a32", StatusCode::OK, ""),
        (
            "/api/v1/stories?limit=101",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/stories?limit=0",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/stories?limit=ten",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/stories?sectoin=news",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/stories?section=no-such",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/v1/stories?tag=no-such",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/v1/stories?author=no-such",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/v1/stories/abc",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        ("/api/v1/stories/987654", StatusCode::NOT_FOUND, "not_found"),
        ("/api/v1/stories/-3", StatusCode::NOT_FOUND, "not_found"),
        ("/api/v1/no-such-thing", StatusCode::NOT_FOUND, "not_found"),
        (
            "/api/v1/sections?page=2",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/search?q=",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/search?q=rain&sort=best",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/search?q=rain&page=51",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        ("/api/v1/search", StatusCode::BAD_REQUEST, "bad_parameter"),
    ];
    for (url, status, code) in cases {
        let r = p.get(url).await?;
        assert_eq!(r.status, *status, "{url}: {}", r.body);
        let v = json(&r)?;
        if code.is_empty() {
            continue;
        }
        assert_eq!(v["error"]["code"], *code, "{url}: {}", r.body);
        let message = v["error"]["message"].as_str().ok_or("no message")?;
        assert!(message.len() > 10, "{url}: {message}");
        for internal in ["sqlx", "panicked", "Internal", "src/"] {
            assert!(!message.contains(internal), "{url}: {message}");
        }
        assert_eq!(r.header("cache-control"), "no-store", "{url}");
    }
    Ok(())
}

#[tokio::test]
async fn a_paid_story_gives_its_preview_and_a_withdrawn_one_is_gone() -> TestResult {
    let p = Paper::demo(6).await?;
    let paid = publish(&p, "Paid through the API", Access::Subscribers).await?;
    let free = publish(&p, "Free through the API", Access::Free).await?;
    let v = json(&p.get(&format!("/api/v1/stories/{}", paid.id)).await?)?;
    assert_eq!(v["text_withheld"], true);
    assert_eq!(v["access"], "subscribers");
    let body = v["body_html"].as_str().ok_or("body")?;
    assert!(body.contains("Free opening paragraph"), "{body}");
    assert!(
        !body.contains("zqxhotpaidword") && !body.contains("Paid fourth"),
        "{body}"
    );
    let v = json(&p.get(&format!("/api/v1/stories/{}", free.id)).await?)?;
    assert_eq!(v["text_withheld"], false);
    assert!(
        v["body_html"]
            .as_str()
            .ok_or("body")?
            .contains("Paid fourth")
    );
    // Withdrawn: gone from the story address and from every list.
    let editor = crate::support::staff_of_role(&p, "editor").await?;
    newsroom::withdraw(&p.app, &editor.actor(), free.id).await?;
    let r = p.get(&format!("/api/v1/stories/{}", free.id)).await?;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let ids = walk(&p, "/api/v1/stories", async |_| Ok(())).await?;
    assert!(!ids.contains(&free.id) && ids.contains(&paid.id));
    Ok(())
}

#[tokio::test]
async fn etags_answer_304_and_cors_is_for_listed_origins_only() -> TestResult {
    let cfg = PaperConfig {
        api_cors_origins: vec!["https://app.example.com".to_string()],
        ..PaperConfig::default()
    };
    let p = Paper::demo_with(4, cfg).await?;
    for url in [
        "/api/v1/stories",
        "/api/v1/sections",
        "/api/v1/most-read",
        "/api/v1/picks",
        "/api/v1/most-commented",
    ] {
        let r = p.get(url).await?;
        let etag = r.header("etag").to_string();
        assert!(etag.starts_with('"') && etag.len() > 10, "{url}: {etag}");
        let again = p.request(url, &[("if-none-match", &etag)]).await?;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{url}");
        assert!(again.body.is_empty());
        let other = p.request(url, &[("if-none-match", "\"other\"")]).await?;
        assert_eq!(other.status, StatusCode::OK, "{url}");
    }
    let listed = p
        .request("/api/v1/stories", &[("origin", "https://app.example.com")])
        .await?;
    assert_eq!(
        listed.header("access-control-allow-origin"),
        "https://app.example.com"
    );
    let other = p
        .request("/api/v1/stories", &[("origin", "https://evil.example")])
        .await?;
    assert_eq!(other.header("access-control-allow-origin"), "");
    assert!(other.header("vary").contains("Origin"));
    let pre = crate::support::send_to(
        &p.router,
        "OPTIONS",
        "/api/v1/stories",
        axum::body::Body::empty(),
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "GET"),
        ],
    )
    .await?;
    assert_eq!(pre.status, StatusCode::NO_CONTENT);
    assert_eq!(pre.header("access-control-allow-methods"), "GET");
    assert_eq!(
        pre.header("access-control-allow-origin"),
        "https://app.example.com"
    );
    Ok(())
}

#[tokio::test]
async fn the_openapi_document_is_generated_from_the_code_and_locked() -> TestResult {
    let generated = broadsheet_web::api::openapi_json();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../broadsheet-web/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, format!("{generated}\n"))?;
    }
    let locked = std::fs::read_to_string(&path)?;
    assert_eq!(
        locked.trim_end(),
        generated,
        "the API's OpenAPI document changed: review the change, then run the test with UPDATE_OPENAPI=1 to lock it"
    );
    let doc: Value = serde_json::from_str(&generated)?;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().ok_or("paths")?;
    for route in broadsheet_web::ROUTES.iter().map(|(r, _)| *r).filter(|r| {
        r.starts_with("/api/v1/")
            && *r != "/api/v1/openapi.json"
            && !r.starts_with("/api/v1/admin/")
    }) {
        assert!(paths.contains_key(route), "{route} is not in the document");
    }
    // Served as generated.
    let p = Paper::demo(2).await?;
    let served = json(&p.get("/api/v1/openapi.json").await?)?;
    assert_eq!(served, doc);
    Ok(())
}

/// A picture placed in a story's body comes as feeds give it: an absolute
/// address, no site classes, icons or relative `srcset`.
#[tokio::test]
async fn placed_pictures_in_a_body_are_absolute() -> TestResult {
    let p = Paper::demo(40).await?;
    let s = p
        .story_where(|s| s.access == Access::Free && s.body.contains("[picture:"))
        .await?;
    let v = json(&p.get(&format!("/api/v1/stories/{}", s.id)).await?)?;
    let body = v["body_html"].as_str().ok_or("body")?;
    assert!(body.contains("<img src=\"http://"), "{body}");
    for site_only in ["src=\"/", "srcset=\"/", "/static/", "class=\"inline\""] {
        assert!(!body.contains(site_only), "{site_only} in {body}");
    }
    Ok(())
}

/// With a page cache, the newest-stories list and a story are kept and
/// answered from it (`x-cache: hit`), with CORS still decided per asker;
/// publishing, editing or withdrawing purges them at once.
#[tokio::test]
async fn kept_answers_are_purged_when_stories_change() -> TestResult {
    use axum::body::Body;
    use broadsheet_web::{Web, WebOptions};

    use crate::support::send_to;

    let cfg = PaperConfig {
        api_cors_origins: vec!["https://app.example.com".to_string()],
        ..PaperConfig::default()
    };
    let p = Paper::demo_with(6, cfg).await?;
    let web = Web::new(
        p.app.clone(),
        WebOptions {
            cache_bytes: 16 << 20,
            metrics: None,
            metrics_token: None,
            esi: false,
            sse_max_connections: 0,
        },
    );
    let node = web.router();
    let get = |path: &str, origin: &'static str| {
        let path = path.to_string();
        let node = node.clone();
        async move {
            let h: Vec<(&str, &str)> = if origin.is_empty() {
                Vec::new()
            } else {
                vec![("origin", origin)]
            };
            send_to(&node, "GET", &path, Body::empty(), &h).await
        }
    };
    let free = publish(&p, "Kept in the cache", Access::Free).await?;
    let story = format!("/api/v1/stories/{}", free.id);
    for path in ["/api/v1/stories", story.as_str()] {
        let first = get(path, "").await?;
        assert_eq!(first.header("x-cache"), "miss", "{path}");
        let again = get(path, "https://app.example.com").await?;
        assert_eq!(again.header("x-cache"), "hit", "{path}");
        assert_eq!(again.body, first.body, "{path}");
        assert_eq!(again.header("content-type"), "application/json");
        assert_eq!(
            again.header("access-control-allow-origin"),
            "https://app.example.com",
            "{path}: CORS on a kept answer"
        );
        let other = get(path, "https://evil.example").await?;
        assert_eq!(other.header("access-control-allow-origin"), "", "{path}");
        let etag = again.header("etag").to_string();
        let h = [("if-none-match", etag.as_str())];
        let not_modified = send_to(&node, "GET", path, Body::empty(), &h).await?;
        assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED, "{path}");
    }
    // A new story leads the kept list at once.
    let newer = publish(&p, "Published after the list was kept", Access::Free).await?;
    let list = json(&get("/api/v1/stories", "").await?)?;
    assert_eq!(
        list["data"][0]["id"], newer.id,
        "the kept list was not purged"
    );
    // Withdrawn: the kept story and list forget it at once.
    let editor = crate::support::staff_of_role(&p, "editor").await?;
    newsroom::withdraw(&p.app, &editor.actor(), free.id).await?;
    assert_eq!(get(&story, "").await?.status, StatusCode::NOT_FOUND);
    let list = json(&get("/api/v1/stories", "").await?)?;
    assert!(
        list["data"]
            .as_array()
            .ok_or("data")?
            .iter()
            .all(|s| s["id"] != free.id)
    );
    Ok(())
}
