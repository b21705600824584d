//! Structured data and link cards (issue 13, item 4), checked against
//! Google's documented properties: the story page's `NewsArticle` (every
//! recommended property of Google's Article markup: author with name and
//! url, dateModified, datePublished, headline, image in 1:1, 4:3 and 16:9 of
//! at least 50,000 pixels each), the publisher with a logo that is served,
//! the paywall markup, `BreadcrumbList`, the home page's organisation and
//! site, Open Graph and X card tags, and `noarchive` on paid stories.

use axum::http::StatusCode;
use broadsheet_domain::Access;
use serde_json::Value;

use crate::design::{header, raw};
use crate::support::{Paper, TestResult};

/// Every JSON-LD object of a page (top-level arrays flattened).
fn json_ld(html: &str) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for part in html.split("<script type=\"application/ld+json\">").skip(1) {
        let text = part.split("</script>").next().unwrap_or("");
        match serde_json::from_str::<Value>(text)? {
            Value::Array(items) => out.extend(items),
            v => out.push(v),
        }
    }
    Ok(out)
}

fn of_type<'a>(items: &'a [Value], t: &str) -> Option<&'a Value> {
    items.iter().find(|v| v["@type"] == t)
}

/// The `content` of `<meta property|name="key" …>`.
fn meta<'a>(html: &'a str, key: &str) -> Option<&'a str> {
    for attr in ["property", "name"] {
        let open = format!("<meta {attr}=\"{key}\" content=\"");
        if let Some(i) = html.find(&open) {
            return html[i + open.len()..].split('"').next();
        }
    }
    None
}

fn metas<'a>(html: &'a str, key: &str) -> Vec<&'a str> {
    let open = format!("<meta property=\"{key}\" content=\"");
    html.match_indices(&open)
        .filter_map(|(i, _)| html[i + open.len()..].split('"').next())
        .collect()
}

/// The path of an absolute URL on the paper.
fn path_of_url(url: &str) -> &str {
    url.find("://")
        .and_then(|i| url[i + 3..].find('/').map(|j| &url[i + 3 + j..]))
        .unwrap_or(url)
}

/// Status, content type and bytes of a GET.
async fn fetch(
    p: &Paper,
    path: &str,
) -> Result<(StatusCode, String, Vec<u8>), Box<dyn std::error::Error>> {
    let (status, h, bytes) = raw(p, path, &[]).await?;
    Ok((status, header(&h, "content-type").to_string(), bytes))
}

#[tokio::test]
async fn a_story_page_carries_every_recommended_article_property() -> TestResult {
    let p = Paper::demo(30).await?;
    let story = p
        .story_where(|s| s.lead_picture.is_some() && !s.authors.is_empty())
        .await?;
    let page = p.get(&p.path_of(&story)).await?;
    let items = json_ld(&page.body)?;
    let article = of_type(&items, "NewsArticle").ok_or("no NewsArticle")?;
    assert_eq!(article["@context"], "https://schema.org");
    assert_eq!(article["headline"], story.headline.as_str());
    for date in ["datePublished", "dateModified"] {
        let d = article[date].as_str().ok_or(date)?;
        // ISO 8601 with a time zone offset, as Google asks.
        assert!(
            d.len() >= 20 && d.contains('T') && (d.ends_with('Z') || d[19..].contains(':')),
            "{date}: {d}"
        );
    }
    let authors = article["author"].as_array().ok_or("author is a list")?;
    assert_eq!(authors.len(), story.authors.len());
    for (a, want) in authors.iter().zip(&story.authors) {
        assert_eq!(a["@type"], "Person");
        assert_eq!(a["name"], want.display_name.as_str());
        let url = a["url"].as_str().ok_or("author.url")?;
        assert!(url.ends_with(&format!("/authors/{}", want.slug)), "{url}");
        let (s, _, _) = fetch(&p, path_of_url(url)).await?;
        assert_eq!(s, StatusCode::OK, "author page {url}");
    }
    assert!(
        !article["articleSection"].as_str().unwrap_or("").is_empty(),
        "articleSection"
    );
    assert_eq!(
        article["mainEntityOfPage"],
        meta(&page.body, "og:url").ok_or("og:url")?
    );

    // Images: the 1:1, 4:3 and 16:9 crops, each served, of that shape, and
    // of at least 50,000 pixels.
    let images = article["image"].as_array().ok_or("image is a list")?;
    assert_eq!(images.len(), 3, "{images:?}");
    for (url, (rw, rh)) in images.iter().zip([(1u32, 1u32), (4, 3), (16, 9)]) {
        let url = url.as_str().ok_or("image url")?;
        let (s, kind, bytes) = fetch(&p, path_of_url(url)).await?;
        assert_eq!(s, StatusCode::OK, "{url}");
        assert_eq!(kind, "image/jpeg", "{url}");
        let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)?;
        let (w, h) = (img.width(), img.height());
        assert!(u64::from(w) * u64::from(h) >= 50_000, "{url}: {w}x{h}");
        let off = (f64::from(w) / f64::from(h)) / (f64::from(rw) / f64::from(rh));
        assert!(
            (0.98..=1.02).contains(&off),
            "{url}: {w}x{h} is not {rw}:{rh}"
        );
        assert!(w <= broadsheet_app::media::CROP_WIDTH, "{url}: {w} wide");
    }

    // The publisher, with a logo that is there.
    let publisher = &article["publisher"];
    assert_eq!(publisher["@type"], "NewsMediaOrganization");
    assert!(!publisher["name"].as_str().unwrap_or("").is_empty());
    let logo = publisher["logo"]["url"]
        .as_str()
        .ok_or("publisher.logo.url")?;
    let (s, kind, svg) = fetch(&p, path_of_url(logo)).await?;
    assert_eq!(s, StatusCode::OK, "{logo}");
    assert_eq!(kind, "image/svg+xml");
    let svg = String::from_utf8(svg)?;
    assert!(
        svg.starts_with("<svg") && svg.contains(&p.app.config().name),
        "{svg}"
    );
    let (_, h, _) = raw(&p, path_of_url(logo), &[]).await?;
    let etag = header(&h, "etag").to_string();
    assert!(etag.starts_with('"'), "logo ETag {etag:?}");
    let (s, _, _) = raw(&p, path_of_url(logo), &[("if-none-match", &etag)]).await?;
    assert_eq!(s, StatusCode::NOT_MODIFIED, "logo revalidation");
    assert!(publisher["logo"]["width"].as_u64().unwrap_or(0) >= 112);
    assert!(publisher["logo"]["height"].as_u64().unwrap_or(0) >= 112);

    // Breadcrumbs: Home first, then the story's sections, each a page.
    let crumbs = of_type(&items, "BreadcrumbList").ok_or("no BreadcrumbList")?;
    let list = crumbs["itemListElement"]
        .as_array()
        .ok_or("itemListElement")?;
    assert!(list.len() >= 2);
    for (i, c) in list.iter().enumerate() {
        assert_eq!(c["position"], i + 1);
        let (s, _, _) = fetch(&p, path_of_url(c["item"].as_str().ok_or("item")?)).await?;
        assert_eq!(s, StatusCode::OK, "{c}");
    }

    // Open Graph and X cards.
    assert_eq!(meta(&page.body, "og:type"), Some("article"));
    let og_image = meta(&page.body, "og:image").ok_or("og:image")?;
    assert_eq!(
        og_image,
        images[2].as_str().unwrap_or(""),
        "og:image is the 16:9 crop"
    );
    let (s, _, bytes) = fetch(&p, path_of_url(og_image)).await?;
    assert_eq!(s, StatusCode::OK);
    let img = image::load_from_memory(&bytes)?;
    assert_eq!(
        meta(&page.body, "og:image:width"),
        Some(img.width().to_string().as_str())
    );
    assert_eq!(
        meta(&page.body, "og:image:height"),
        Some(img.height().to_string().as_str())
    );
    let alt = story
        .lead_picture
        .as_ref()
        .map(|l| l.alt.clone())
        .unwrap_or_default();
    assert!(!meta(&page.body, "og:image:alt").unwrap_or("").is_empty() || alt.is_empty());
    assert_eq!(
        meta(&page.body, "twitter:card"),
        Some("summary_large_image")
    );
    assert_eq!(meta(&page.body, "twitter:image"), Some(og_image));
    assert!(meta(&page.body, "twitter:title").is_some_and(|t| !t.is_empty()));
    assert!(meta(&page.body, "og:description").is_some_and(|t| !t.is_empty()));
    assert_eq!(
        meta(&page.body, "article:published_time"),
        article["datePublished"].as_str()
    );
    assert_eq!(
        meta(&page.body, "article:modified_time"),
        article["dateModified"].as_str()
    );
    assert_eq!(
        metas(&page.body, "article:author").len(),
        story.authors.len()
    );
    assert_eq!(metas(&page.body, "article:tag").len(), story.tags.len());
    Ok(())
}

#[tokio::test]
async fn agency_copy_is_authored_by_an_organization() -> TestResult {
    let p = Paper::demo(60).await?;
    let story = p
        .story_where(|s| s.authors.is_empty() && s.byline_text.is_some())
        .await?;
    let page = p.get(&p.path_of(&story)).await?;
    let items = json_ld(&page.body)?;
    let article = of_type(&items, "NewsArticle").ok_or("no NewsArticle")?;
    let author = article["author"].as_array().ok_or("author")?;
    assert_eq!(author.len(), 1);
    assert_eq!(author[0]["@type"], "Organization");
    assert_eq!(
        author[0]["name"],
        story.byline_text.clone().unwrap_or_default().as_str()
    );
    assert!(metas(&page.body, "article:author").is_empty());
    Ok(())
}

#[tokio::test]
async fn paid_stories_say_so_and_ask_for_no_cached_copy() -> TestResult {
    let p = Paper::demo(60).await?;
    let free = p.story_where(|s| s.access == Access::Free).await?;
    let page = p.get(&p.path_of(&free)).await?;
    assert_eq!(
        meta(&page.body, "robots"),
        None,
        "a free story may be archived"
    );
    let article = json_ld(&page.body)?
        .into_iter()
        .find(|v| v["@type"] == "NewsArticle")
        .ok_or("no NewsArticle")?;
    assert_eq!(article["isAccessibleForFree"], true);
    assert!(article.get("hasPart").is_none());

    for access in [Access::Metered, Access::Subscribers] {
        let Ok(paid) = p.story_where(|s| s.access == access).await else {
            continue;
        };
        let page = p.get(&p.path_of(&paid)).await?;
        assert_eq!(meta(&page.body, "robots"), Some("noarchive"), "{access:?}");
        let article = json_ld(&page.body)?
            .into_iter()
            .find(|v| v["@type"] == "NewsArticle")
            .ok_or("no NewsArticle")?;
        assert_eq!(article["isAccessibleForFree"], false, "{access:?}");
        assert_eq!(article["hasPart"]["isAccessibleForFree"], false);
        let selector = article["hasPart"]["cssSelector"]
            .as_str()
            .ok_or("cssSelector")?;
        let class = selector.trim_start_matches('.');
        assert!(
            page.body.contains(&format!("class=\"{class}\"")),
            "{access:?}: the page has no element {selector}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn the_home_page_names_the_paper_and_the_site() -> TestResult {
    let p = Paper::demo(8).await?;
    let home = p.get("/").await?;
    let items = json_ld(&home.body)?;
    let org = of_type(&items, "NewsMediaOrganization").ok_or("no organisation")?;
    let site = of_type(&items, "WebSite").ok_or("no WebSite")?;
    assert_eq!(org["name"], p.app.config().name.as_str());
    assert_eq!(site["name"], p.app.config().name.as_str());
    assert_eq!(site["publisher"]["@id"], org["@id"]);
    assert!(org["logo"]["url"].as_str().is_some());
    // Search (issue 13): the site's search as a SearchAction.
    let action = &site["potentialAction"];
    assert_eq!(action["@type"], "SearchAction");
    assert!(
        action["target"]
            .as_str()
            .is_some_and(|t| t.ends_with("/search?q={search_term_string}")),
        "SearchAction target: {action}"
    );
    assert_eq!(action["query-input"], "required name=search_term_string");
    assert_eq!(meta(&home.body, "og:type"), Some("website"));
    assert_eq!(meta(&home.body, "twitter:card"), Some("summary"));
    // Not a story: no article facts.
    assert!(meta(&home.body, "article:published_time").is_none());
    Ok(())
}

#[tokio::test]
async fn crops_missing_from_older_pictures_stand_in_then_are_made_by_the_job() -> TestResult {
    let p = Paper::demo(4).await?;
    let story = p.story_where(|s| s.lead_picture.is_some()).await?;
    let page = p.get(&p.path_of(&story)).await?;
    let article = json_ld(&page.body)?
        .into_iter()
        .find(|v| v["@type"] == "NewsArticle")
        .ok_or("no NewsArticle")?;
    let square = article["image"][0].as_str().ok_or("image")?.to_string();
    crate::design::delete_renditions(
        &p,
        "DELETE FROM picture_renditions WHERE format LIKE 'jpeg-%'",
    )
    .await?;
    // Before the job: the plain JPEG, kept only briefly (never a broken
    // picture for a crawler).
    let (status, h, _) = raw(&p, path_of_url(&square), &[]).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "cache-control"), "public, max-age=60");
    let (_tx, stop) = tokio::sync::watch::channel(false);
    assert!(broadsheet_app::media::backfill(&p.app, &stop).await? >= 3);
    let (s, _, bytes) = fetch(&p, path_of_url(&square)).await?;
    assert_eq!(s, StatusCode::OK);
    let img = image::load_from_memory(&bytes)?;
    assert_eq!(img.width(), img.height(), "square crop");
    // An unknown ratio is not a picture.
    let bad = path_of_url(&square).replace("-1x1-", "-2x1-");
    assert_eq!(fetch(&p, &bad).await?.0, StatusCode::NOT_FOUND);
    Ok(())
}
