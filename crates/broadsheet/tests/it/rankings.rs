//! Ranking rules, end to end: beacon → queue → database → rankings → pages.

use axum::http::StatusCode;

use crate::support::{Paper, TestResult, between};

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

/// (reader, user agent, counted?) — all for the same story, in order. Each
/// reader has a cookie the server signed.
const BEACON_TABLE: &[(&str, &str, bool)] = &[
    ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", BROWSER, true),
    // The same reader again within the window: not counted.
    ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", BROWSER, false),
    ("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", BROWSER, true),
    // Known bots and crawlers: never counted.
    (
        "cccccccccccccccccccccccccccccccc",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        false,
    ),
    (
        "dddddddddddddddddddddddddddddddd",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        false,
    ),
    ("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "curl/8.5.0", false),
    (
        "ffffffffffffffffffffffffffffffff",
        "Mozilla/5.0 HeadlessChrome/120.0",
        false,
    ),
    ("abababababababababababababababab", "", false),
    ("cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd", BROWSER, true),
];

async fn views_of(p: &Paper, story: i64) -> Result<i64, Box<dyn std::error::Error>> {
    let rows = p.app.store().most_read(0, 10_000).await?;
    Ok(rows
        .iter()
        .find(|(id, _)| *id == story)
        .map(|(_, n)| *n)
        .unwrap_or(0))
}

#[tokio::test]
async fn beacon_counts_readers_once_and_ignores_bots() -> TestResult {
    let p = Paper::demo(20).await?;
    let s = p.story_where(|_| true).await?;
    // No history: counts are exact (the story's readers stay few).
    p.app
        .store()
        .prune_views(broadsheet_app::now() + 3_600)
        .await?;
    let before = views_of(&p, s.id).await?;
    let mut expected = before;
    let mut signed: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for (i, (reader, ua, counted)) in BEACON_TABLE.iter().enumerate() {
        let value = signed
            .entry(reader)
            .or_insert_with(|| p.app.views().signer().issue());
        let cookie = format!("bsr={value}");
        let r = p
            .request(
                &format!("/v/{}.gif", s.id),
                &[("cookie", &cookie), ("user-agent", ua)],
            )
            .await?;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("content-type"), "image/gif");
        assert!(r.header("cache-control").contains("no-store"));
        p.app.flush_views().await?;
        if *counted {
            expected += 1;
        }
        assert_eq!(
            views_of(&p, s.id).await?,
            expected,
            "row {i}: {reader} {ua}"
        );
    }
    // A reader without a cookie is given a signed one (not counted yet), and
    // is counted once from then on.
    let r = p
        .request(&format!("/v/{}.gif", s.id), &[("user-agent", BROWSER)])
        .await?;
    let set = r.header("set-cookie").to_string();
    assert!(set.starts_with("bsr="));
    p.app.flush_views().await?;
    assert_eq!(views_of(&p, s.id).await?, expected);
    let cookie = set.split(';').next().unwrap_or("").to_string();
    for _ in 0..2 {
        let r = p
            .request(
                &format!("/v/{}.gif", s.id),
                &[("user-agent", BROWSER), ("cookie", &cookie)],
            )
            .await?;
        assert_eq!(r.header("set-cookie"), "", "a signed cookie is kept");
    }
    p.app.flush_views().await?;
    assert_eq!(views_of(&p, s.id).await?, expected + 1);
    // Nonsense and unknown stories are not counted and do not fail.
    assert_eq!(p.get("/v/nonsense.gif").await?.status, StatusCode::OK);
    p.request(
        "/v/99999999.gif",
        &[("user-agent", BROWSER), ("cookie", &cookie)],
    )
    .await?;
    assert_eq!(p.app.flush_views().await?, 0);
    Ok(())
}

/// (reader, hours after the start, new to its story-hour?): views of one story.
const WINDOW_TABLE: &[(&str, i64, bool)] = &[
    ("r1", 0, true),
    // The same reader in the same hour adds nothing.
    ("r1", 0, false),
    ("r2", 0, true),
    // In a later hour the reader is in that hour's sketch too; Most Read
    // counts the union of the window's hours (below), so still once.
    ("r1", 1, true),
    ("r3", 2, true),
    ("r3", 2, false),
    ("r1", 3, true),
];

/// (window start, in hours after the start; distinct readers of the hours from it).
const WINDOWS: &[(i64, i64)] = &[(0, 3), (1, 2), (2, 2), (3, 1), (4, 0)];

#[tokio::test]
async fn one_count_per_reader_per_window_and_windows_expire() -> TestResult {
    let p = Paper::demo(10).await?;
    let s = p.story_where(|_| true).await?;
    // Start from no counts at all (the demo's history pruned), so the
    // windows count only these views, exactly.
    let now = broadsheet_app::now();
    p.app.store().prune_views(now + 3_600).await?;
    let start = broadsheet_store::view_bucket(now) - 10 * 3_600;
    let since_all = start - 3_600;
    let views = |rows: &[(i64, i64)]| rows.iter().find(|(id, _)| *id == s.id).map_or(0, |r| r.1);
    assert_eq!(views(&p.app.store().most_read(since_all, 10_000).await?), 0);
    for (i, (reader, hour, new)) in WINDOW_TABLE.iter().enumerate() {
        p.app.views().record(
            s.id,
            broadsheet_app::reader_id(&format!("window-{reader}")),
            start + hour * 3_600 + 60 * i as i64,
        );
        let n = p.app.flush_views().await?;
        assert_eq!(n, u64::from(*new), "row {i}: {reader} at +{hour} h");
    }
    for (h, want) in WINDOWS {
        let rows = p.app.store().most_read(start + h * 3_600, 10_000).await?;
        assert_eq!(views(&rows), *want, "window from +{h} h");
    }
    // Hours that have passed out of every window are pruned; what is left
    // is still counted.
    p.app.store().prune_views(start + 2 * 3_600).await?;
    let rows = p.app.store().most_read(since_all, 10_000).await?;
    assert_eq!(views(&rows), 2, "r1 and r3 from +2 h on");
    Ok(())
}

#[tokio::test]
async fn rankings_follow_new_views_and_reach_the_pages() -> TestResult {
    let p = Paper::demo(40).await?;
    let rankings = p.app.rankings();
    assert!(
        !rankings.most_read.is_empty(),
        "the demo gives Most Read real numbers"
    );
    assert!(
        !rankings.most_commented.is_empty(),
        "the demo gives Most Commented real numbers"
    );
    assert!(!rankings.picks.is_empty(), "the demo has Editor's Picks");
    let top = rankings.most_read[0].count;
    // Pick a story not in Most Read and give it more readers than the leader.
    let listed: Vec<i64> = rankings.most_read.iter().map(|r| r.card.id).collect();
    let s = p.story_where(|s| !listed.contains(&s.id)).await?;
    let page_before = p.get("/").await?;
    assert!(
        !between(&page_before.body, "id=\"most-read\"", "</section>")
            .contains(&format!("-{}\"", s.id))
    );
    for i in 0..(top + 5) {
        p.app.views().record(
            s.id,
            broadsheet_app::reader_id(&format!("fresh-reader-{i}")),
            broadsheet_app::now(),
        );
    }
    p.app.flush_views().await?;
    assert!(p.app.refresh_rankings().await?, "rankings changed");
    assert_eq!(p.app.rankings().most_read[0].card.id, s.id);
    let page_after = p.get("/").await?;
    assert_eq!(
        page_after.header("x-cache"),
        "hit",
        "a rankings change keeps the cached home page"
    );
    let most_read = between(&page_after.body, "id=\"most-read\"", "</section>");
    let first = between(most_read, "<li", "</li>");
    assert!(
        first.contains(&format!("-{}\"", s.id)),
        "new leader first in Most Read"
    );
    Ok(())
}

#[tokio::test]
async fn most_commented_ranks_by_comments_in_its_window() -> TestResult {
    let p = Paper::demo(30).await?;
    let r = p.app.rankings();
    let counts: Vec<i64> = r.most_commented.iter().map(|x| x.count).collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "ordered by comments: {counts:?}"
    );
    let listed: Vec<i64> = r.most_commented.iter().map(|x| x.card.id).collect();
    let s = p.story_where(|s| !listed.contains(&s.id)).await?;
    let now = broadsheet_app::now();
    let rows: Vec<(i64, String, String, i64)> = (0..(counts.first().copied().unwrap_or(0) + 3))
        .map(|i| (s.id, format!("Reader {i}"), "Well said.".into(), now))
        .collect();
    p.app.store().insert_comments(&rows).await?;
    p.app.refresh_rankings().await?;
    assert_eq!(p.app.rankings().most_commented[0].card.id, s.id);
    // Old comments (outside the 72-hour window) do not count.
    let old: Vec<(i64, String, String, i64)> = (0..500)
        .map(|i| {
            (
                listed[listed.len() - 1],
                format!("Old {i}"),
                "Old news.".into(),
                now - 10 * 86_400,
            )
        })
        .collect();
    p.app.store().insert_comments(&old).await?;
    p.app.refresh_rankings().await?;
    assert_eq!(p.app.rankings().most_commented[0].card.id, s.id);
    Ok(())
}

#[tokio::test]
async fn editors_picks_are_curated_in_order() -> TestResult {
    let p = Paper::demo(30).await?;
    let cards = p
        .app
        .store()
        .cards(broadsheet_store::Listing::All, 5, 0)
        .await?;
    let ids: Vec<i64> = cards.iter().map(|c| c.id).rev().collect();
    p.app
        .set_editors_picks(&broadsheet_domain::Actor::Operator, &ids)
        .await?;
    let picks: Vec<i64> = p.app.rankings().picks.iter().map(|r| r.card.id).collect();
    assert_eq!(picks, ids);
    let home = p.get("/").await?;
    let rail = between(&home.body, "id=\"editors-picks\"", "</section>");
    let first = between(rail, "<li", "</li>");
    assert!(first.contains(&format!("-{}\"", ids[0])));
    let err = p
        .app
        .set_editors_picks(&broadsheet_domain::Actor::Operator, &[ids[0], 99_999_999])
        .await;
    assert!(err.is_err_and(|e| e.to_string().contains("not a published story")));
    let err = p
        .app
        .set_editors_picks(&broadsheet_domain::Actor::Operator, &[ids[0], ids[0]])
        .await;
    assert!(err.is_err_and(|e| e.to_string().contains("listed twice")));
    Ok(())
}
