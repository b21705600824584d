//! Reader pages through the real router.

use axum::http::StatusCode;
use broadsheet_domain::{Access, StoryStatus};

use crate::support::{Paper, TestResult, between, hrefs};

fn no_template_markers(html: &str) -> bool {
    !["{{", "}}", "{%", "%}", "[[", "]]"]
        .iter()
        .any(|m| html.contains(m))
}

#[tokio::test]
async fn home_page_shows_every_region_and_caches() -> TestResult {
    let p = Paper::demo(60).await?;
    let r = p.get("/").await?;
    assert_eq!(r.status, StatusCode::OK);
    assert!(no_template_markers(&r.body));
    assert_eq!(r.body.matches("<h1").count(), 1);
    for region in [
        "Top stories",
        "id=\"most-read\"",
        "Editor's Picks",
        "More from The Northern Broadsheet",
        "lead-story",
    ] {
        assert!(r.body.contains(region), "home page lacks {region}");
    }
    // Sections nav first, with every top section.
    let nav = between(&r.body, "<nav aria-label=\"Sections\"", "</nav>");
    for s in ["/news", "/business", "/sport", "/opinion", "/lifestyle"] {
        assert!(hrefs(nav).iter().any(|h| h == s), "nav lacks {s}");
    }
    // The demo's breaking story puts a banner on the page.
    assert!(
        r.body.contains("<p class=\"breaking\">"),
        "no breaking banner"
    );
    // A rail per section.
    for s in ["rail-news", "rail-business", "rail-sport"] {
        assert!(r.body.contains(s), "no rail {s}");
    }
    assert_eq!(r.header("x-cache"), "miss");
    assert!(r.header("cache-control").contains("s-maxage"));
    assert!(r.header("surrogate-key").split(' ').any(|k| k == "front"));
    assert!(!r.header("etag").is_empty());
    assert!(!r.header("last-modified").is_empty());
    let again = p.get("/").await?;
    assert_eq!(again.header("x-cache"), "hit");
    assert_eq!(again.body, r.body);
    Ok(())
}

#[tokio::test]
async fn security_headers_on_every_response() -> TestResult {
    let p = Paper::demo(12).await?;
    for path in [
        "/",
        "/healthz",
        "/robots.txt",
        "/no-such-page",
        "/static/site.css",
        "/v/1.gif",
    ] {
        let r = p.get(path).await?;
        let csp = r.header("content-security-policy");
        assert!(
            csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(
            r.header("referrer-policy"),
            "strict-origin-when-cross-origin",
            "{path}"
        );
        assert!(!r.header("x-request-id").is_empty(), "{path}");
        // Not served over TLS here: no HSTS.
        assert_eq!(r.header("strict-transport-security"), "", "{path}");
    }
    let r = p.request("/", &[("x-request-id", "abc-123")]).await?;
    assert_eq!(r.header("x-request-id"), "abc-123");
    Ok(())
}

#[tokio::test]
async fn hsts_when_the_site_is_served_over_tls() -> TestResult {
    let cfg = broadsheet_app::PaperConfig {
        base_url: Some("https://news.example.com".into()),
        ..Default::default()
    };
    let p = Paper::demo_with(12, cfg).await?;
    let r = p.get("/").await?;
    assert!(r.header("strict-transport-security").contains("max-age="));
    assert!(r.body.contains("https://news.example.com/"));
    Ok(())
}

#[tokio::test]
async fn story_page_has_every_region_of_the_anatomy() -> TestResult {
    let p = Paper::demo(60).await?;
    let s = p
        .story_where(|s| {
            !s.authors.is_empty()
                && !s.tags.is_empty()
                && s.lead_picture.is_some()
                && s.access == Access::Free
                && p.app
                    .sections()
                    .get(s.section_id)
                    .is_some_and(|x| x.parent_id.is_some())
        })
        .await?;
    let path = p.path_of(&s);
    let r = p.get(&path).await?;
    assert_eq!(r.status, StatusCode::OK);
    let b = &r.body;
    assert!(no_template_markers(b));
    // Breadcrumb: Home > News > <child>
    let crumbs = between(b, "aria-label=\"Breadcrumb\"", "</nav>");
    let links = hrefs(crumbs);
    assert_eq!(links.first().map(String::as_str), Some("/"));
    assert_eq!(links.len(), 3, "breadcrumb {links:?}");
    assert!(b.contains(&format!("<h1>{}</h1>", askama_escape(&s.headline))));
    assert!(b.contains("class=\"byline\">By "));
    assert!(b.contains("rel=\"author\""));
    assert!(b.contains("<time datetime=\""));
    // Lead picture with caption and bracketed credit.
    let lead = between(b, "<figure class=\"lead\">", "</figure>");
    assert!(
        lead.contains("alt=\"")
            && lead.contains("<figcaption>")
            && lead.contains("class=\"credit\">(")
    );
    assert!(b.contains("rel=\"tag\""));
    for share in [
        "facebook.com/sharer",
        "twitter.com/intent",
        "linkedin.com/sharing",
        "wa.me/",
        "mailto:?",
    ] {
        assert!(b.contains(share), "no share link {share}");
    }
    // Rails: Most Read ranked 1–10 with kicker, picture alt and comment counts.
    let most_read = between(b, "id=\"most-read\"", "</section>");
    let items = most_read.matches("<li").count();
    assert!((1..=10).contains(&items), "Most Read has {items} items");
    assert!(most_read.contains("<ol"));
    assert!(most_read.contains("class=\"kicker\""));
    assert!(most_read.contains("alt=\""));
    assert!(most_read.contains(" comments</span>") || most_read.contains(" comment</span>"));
    assert!(b.contains("id=\"more-from\""));
    assert!(b.contains("id=\"editors-picks\""));
    assert!(b.contains("id=\"most-commented\""));
    // The view beacon, so cached pages still count.
    assert!(b.contains(&format!("src=\"/v/{}.gif\"", s.id)));
    // Decorative icons are hidden from assistive technology, every one.
    assert_eq!(
        b.matches("<svg").count(),
        b.matches("<svg class=\"icon\" aria-hidden=\"true\"")
            .count()
    );
    // Structured data, without the body text.
    let ld = between(b, "application/ld+json", "</script>");
    assert!(ld.contains("\"NewsArticle\"") && ld.contains("\"BreadcrumbList\""));
    assert!(!ld.contains("articleBody"));
    let keys = r.header("surrogate-key");
    assert!(keys.split(' ').any(|k| k == format!("story-{}", s.id)));
    for t in &s.tags {
        assert!(keys.split(' ').any(|k| k == format!("tag-{}", t.id)));
    }
    Ok(())
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn agency_copy_is_bylined_to_the_agency() -> TestResult {
    let p = Paper::demo(60).await?;
    let s = p
        .story_where(|s| s.authors.is_empty() && s.byline_text.is_some())
        .await?;
    let r = p.get(&p.path_of(&s)).await?;
    let agency = s.byline_text.clone().unwrap_or_default();
    assert!(
        r.body
            .contains(&format!("class=\"byline\">By {}", askama_escape(&agency))),
        "byline for {agency}"
    );
    Ok(())
}

#[tokio::test]
async fn updated_stories_show_updated_time() -> TestResult {
    let p = Paper::demo(60).await?;
    let s = p
        .story_where(|s| {
            s.updated_at
                .zip(s.published_at)
                .is_some_and(|(u, pb)| u > pb + 60)
        })
        .await?;
    let r = p.get(&p.path_of(&s)).await?;
    assert!(r.body.contains("Updated: <time datetime=\""));
    Ok(())
}

#[tokio::test]
async fn subscribers_only_text_never_reaches_a_reader_who_is_not_entitled() -> TestResult {
    let p = Paper::demo(60).await?;
    let s = p
        .story_where(|s| {
            s.access == Access::Subscribers
                && broadsheet_domain::markup::lead_paragraphs(&s.body, 2).1
        })
        .await?;
    let r = p.get(&p.path_of(&s)).await?;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Already a subscriber?"));
    // No paragraph past the preview appears anywhere in the page (HTML or JSON-LD).
    let paragraphs: Vec<&str> = s
        .body
        .split("\n\n")
        .filter(|b| !b.starts_with("[picture:"))
        .collect();
    for para in paragraphs.iter().skip(2) {
        let probe: String = para.chars().take(60).collect();
        let probe = askama_escape(probe.trim_start_matches(['>', ' ', '#']));
        assert!(!r.body.contains(&probe), "withheld text leaked: {probe}");
    }
    assert!(r.body.contains("\"isAccessibleForFree\": false"));
    Ok(())
}

#[tokio::test]
async fn old_slug_redirects_to_the_current_address() -> TestResult {
    let p = Paper::demo(12).await?;
    let s = p.story_where(|_| true).await?;
    let path = p.path_of(&s);
    let old = format!("/news/some-older-headline-{}", s.id);
    let r = p.get(&old).await?;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.header("location"), path);
    let r = p.get(&format!("{path}/")).await?;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
    Ok(())
}

#[tokio::test]
async fn section_fronts_paginate_and_include_child_sections() -> TestResult {
    let p = Paper::demo(60).await?;
    let r = p.get("/news").await?;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("aria-label=\"News sections\""));
    assert!(hrefs(&r.body).iter().any(|h| h == "/news/world"));
    // Child-section stories are on the parent front.
    assert!(hrefs(&r.body).iter().any(|h| h.starts_with("/news/world/")
        || h.starts_with("/news/uk/")
        || h.starts_with("/news/scotland/")));
    assert!(r.body.contains("rel=\"next\""));
    let two = p.get("/news?page=2").await?;
    assert_eq!(two.status, StatusCode::OK);
    assert!(two.body.contains("rel=\"prev\""));
    assert_ne!(two.body, r.body);
    let bad = p.get("/news?page=abc").await?;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("use a whole number from 1"));
    assert_eq!(p.get("/news?page=999").await?.status, StatusCode::NOT_FOUND);
    assert_eq!(p.get("/news/world").await?.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn author_and_tag_pages() -> TestResult {
    let p = Paper::demo(40).await?;
    let s = p
        .story_where(|s| !s.authors.is_empty() && !s.tags.is_empty())
        .await?;
    let a = p.get(&format!("/authors/{}", s.authors[0].slug)).await?;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains(&askama_escape(&s.authors[0].display_name)));
    assert!(a.body.contains(&askama_escape(&s.headline)) || a.body.contains("rel=\"next\""));
    let t = p.get(&format!("/tags/{}", s.tags[0].slug)).await?;
    assert_eq!(t.status, StatusCode::OK);
    assert!(t.body.contains(&askama_escape(&s.tags[0].name)));
    assert_eq!(
        p.get("/authors/nobody-at-all").await?.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        p.get("/tags/no-such-tag").await?.status,
        StatusCode::NOT_FOUND
    );
    Ok(())
}

#[tokio::test]
async fn not_found_page_is_a_full_page() -> TestResult {
    let p = Paper::demo(12).await?;
    let r = p.get("/this-page-does-not-exist").await?;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("<h1>Page not found</h1>"));
    assert!(r.body.contains("aria-label=\"Sections\""));
    assert_eq!(
        p.get("/news/world/no-such-story-999999").await?.status,
        StatusCode::NOT_FOUND
    );
    Ok(())
}

#[tokio::test]
async fn withdrawal_reaches_every_page_through_change_events() -> TestResult {
    let p = Paper::demo(30).await?;
    let home = p.get("/").await?;
    let s = p
        .story_where(|s| home.body.contains(&format!("-{}\"", s.id)))
        .await?;
    let path = p.path_of(&s);
    let tag = s.tags.first().map(|t| format!("/tags/{}", t.slug));
    assert_eq!(p.get(&path).await?.status, StatusCode::OK);
    assert_eq!(p.get(&path).await?.header("x-cache"), "hit");
    if let Some(t) = &tag {
        assert!(p.get(t).await?.body.contains(&path));
    }
    // Another node (or the CLI) withdraws it: only the database is shared.
    let keys = broadsheet_app::keys::join(&broadsheet_app::keys::for_story(&s, &p.app.sections()));
    let t = broadsheet_app::now();
    let mut tx = p.app.store().begin().await?;
    assert!(
        tx.move_story(
            s.id,
            StoryStatus::Published,
            None,
            StoryStatus::Withdrawn,
            None,
            t
        )
        .await?
    );
    tx.change(&keys, t).await?;
    tx.commit().await?;
    assert!(p.app.apply_changes().await? > 0);
    let gone = p.get(&path).await?;
    assert_eq!(gone.status, StatusCode::GONE);
    assert!(gone.body.contains("withdrawn"));
    assert!(!p.get("/").await?.body.contains(&path));
    if let Some(t) = &tag {
        assert!(!p.get(t).await?.body.contains(&path));
    }
    // And back.
    let op = broadsheet_domain::Actor::Operator;
    assert!(
        p.app
            .set_story_status(&op, s.id, StoryStatus::Published)
            .await?
    );
    assert_eq!(p.get(&path).await?.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn conditional_requests_and_compression() -> TestResult {
    let p = Paper::demo(12).await?;
    let r = p.get("/").await?;
    let etag = r.header("etag").to_string();
    let not_modified = p.request("/", &[("if-none-match", &etag)]).await?;
    assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED);
    assert!(not_modified.body.is_empty());
    let lm = r.header("last-modified").to_string();
    assert_eq!(
        p.request("/", &[("if-modified-since", &lm)]).await?.status,
        StatusCode::NOT_MODIFIED
    );
    let br = p
        .request("/", &[("accept-encoding", "gzip, deflate, br")])
        .await?;
    assert_eq!(br.header("content-encoding"), "br");
    let gz = p.request("/", &[("accept-encoding", "gzip")]).await?;
    assert_eq!(gz.header("content-encoding"), "gzip");
    let refused = p
        .request("/", &[("accept-encoding", "br;q=0, gzip")])
        .await?;
    assert_eq!(refused.header("content-encoding"), "gzip");
    assert_eq!(p.get("/").await?.header("content-encoding"), "");
    assert_eq!(r.header("vary"), "Accept-Encoding");
    Ok(())
}

#[tokio::test]
async fn media_and_static_assets() -> TestResult {
    let p = Paper::demo(12).await?;
    let s = p.story_where(|s| s.lead_picture.is_some()).await?;
    let lead = s.lead_picture.as_ref().ok_or("no lead")?;
    let (pic, token) = (lead.id, lead.token.clone());
    for w in [480, 960] {
        let r = p.get(&format!("/media/{token}-{w}.jpg")).await?;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("content-type"), "image/jpeg");
        // A picture can be taken down: never `immutable`.
        assert_eq!(
            r.header("cache-control"),
            "public, max-age=300, s-maxage=86400"
        );
        assert!(
            r.header("surrogate-key")
                .contains(&format!("story-{}", s.id))
        );
    }
    for bad in [
        format!("/media/{token}-123.jpg"),
        format!("/media/{pic}-480.jpg"),
    ] {
        assert_eq!(p.get(&bad).await?.status, StatusCode::NOT_FOUND, "{bad}");
    }
    assert_eq!(
        p.get("/media/nonsense").await?.status,
        StatusCode::NOT_FOUND
    );
    let css = p.get("/static/site.css").await?;
    assert_eq!(css.status, StatusCode::OK);
    let icons = p.get("/static/icons.svg").await?;
    assert!(icons.body.matches("<symbol").count() >= 45);
    let etag = css.header("etag").to_string();
    assert_eq!(
        p.request("/static/site.css", &[("if-none-match", &etag)])
            .await?
            .status,
        StatusCode::NOT_MODIFIED
    );
    Ok(())
}

#[tokio::test]
async fn operational_endpoints() -> TestResult {
    let p = Paper::demo(12).await?;
    assert_eq!(p.get("/healthz").await?.status, StatusCode::OK);
    let robots = p.get("/robots.txt").await?;
    assert!(robots.body.contains("User-agent: *"));
    p.get("/").await?;
    p.get("/").await?;
    // /metrics is on its own router (the --metrics-listen address).
    let m = crate::support::send_to(
        &p.web.metrics_router(),
        "GET",
        "/metrics",
        axum::body::Body::empty(),
        &[],
    )
    .await?;
    assert_eq!(m.status, StatusCode::OK);
    for name in [
        "broadsheet_http_requests_total",
        "broadsheet_http_request_duration_seconds",
        "broadsheet_page_cache_hit_ratio",
        "broadsheet_view_backlog",
    ] {
        assert!(m.body.contains(name), "metrics lack {name}");
    }
    assert!(m.body.contains("route=\"home\""));
    Ok(())
}
