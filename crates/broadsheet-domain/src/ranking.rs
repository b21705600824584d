//! The rules behind Most Read and Most Commented.
//!
//! A view counts only from a reader's browser (not a known bot, [`is_bot`]).
//! Most Read ranks stories by their distinct readers in the window ending
//! now. The store no longer keeps a row per reader: each story's hourly row
//! keeps a sketch of that hour's readers (exact up to 128, then a
//! HyperLogLog), and Most Read counts the union of the window's hourly
//! sketches (`broadsheet_store::traffic`); the integration test
//! `traffic::most_read_from_aggregates_equals_a_brute_force_count` compares
//! that with a brute-force count of distinct readers per story.
//! [`count_views`] is the older, per-reader model (a reader counted again
//! once a window has passed since their last counted view): kept with its
//! table tests as the statement of that rule, it is not what the store
//! computes any more.

use std::collections::HashMap;

/// Substrings (lowercase) of User-Agent strings sent by crawlers, bots,
/// link-preview fetchers, monitors and HTTP libraries. A view from any of
/// them is not a reader.
const BOT_MARKERS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "embedly",
    "quora link preview",
    "whatsapp",
    "telegram",
    "skypeuripreview",
    "bingpreview",
    "outbrain",
    "pinterest",
    "vkshare",
    "w3c_validator",
    "validator",
    "lighthouse",
    "headlesschrome",
    "phantomjs",
    "pingdom",
    "uptime",
    "monitor",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "httpx",
    "curl/",
    "wget/",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "apache-httpclient",
    "node-fetch",
    "axios/",
    "scrapy",
    "feedfetcher",
    "feedburner",
    "newsblur",
    "ia_archiver",
    "archive.org",
    "preview",
    "wrk",
    "oha/",
];

/// True when the User-Agent is missing or names a known bot or tool.
pub fn is_bot(user_agent: Option<&str>) -> bool {
    let Some(ua) = user_agent else { return true };
    let ua = ua.trim();
    if ua.len() < 8 {
        return true;
    }
    let lower = ua.to_ascii_lowercase();
    BOT_MARKERS.iter().any(|m| lower.contains(m))
}

/// One story load as the counter receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewEvent<'a> {
    pub story_id: i64,
    pub reader: &'a str,
    pub at: i64,
    pub user_agent: Option<&'a str>,
}

/// The per-reader model of the earlier store (see the module docs: not what
/// the sketches compute): which events are counted, and Most Read at `now`
/// (story id, counted views), highest first, ties broken by lower story id.
pub fn count_views(events: &[ViewEvent<'_>], now: i64, window_secs: i64) -> Vec<(i64, i64)> {
    let mut last_counted: HashMap<(i64, &str), i64> = HashMap::new();
    let mut counted: Vec<(i64, i64)> = Vec::new();
    let mut sorted: Vec<&ViewEvent<'_>> = events.iter().collect();
    sorted.sort_by_key(|e| e.at);
    for e in sorted {
        if is_bot(e.user_agent) || e.at > now {
            continue;
        }
        let key = (e.story_id, e.reader);
        match last_counted.get(&key) {
            Some(&prev) if e.at - prev < window_secs => {}
            _ => {
                last_counted.insert(key, e.at);
                counted.push((e.story_id, e.at));
            }
        }
    }
    rank(
        counted
            .into_iter()
            .filter(|&(_, at)| at > now - window_secs)
            .map(|(id, _)| id),
    )
}

/// Counts ids and orders them highest count first, then lower id.
pub fn rank(ids: impl Iterator<Item = i64>) -> Vec<(i64, i64)> {
    let mut counts: HashMap<i64, i64> = HashMap::new();
    for id in ids {
        *counts.entry(id).or_default() += 1;
    }
    let mut out: Vec<(i64, i64)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
    const GOOGLEBOT: &str =
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    #[test]
    fn bots() {
        let check = |ua: Option<&str>, bot: bool| assert_eq!(is_bot(ua), bot, "{ua:?}");
        check(Some(FIREFOX), false);
        check(
            Some(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
            ),
            false,
        );
        check(Some(GOOGLEBOT), true);
        check(Some("Mozilla/5.0 (compatible; bingbot/2.0)"), true);
        check(Some("facebookexternalhit/1.1"), true);
        check(Some("curl/8.5.0"), true);
        check(Some("python-requests/2.32"), true);
        check(Some("Mozilla/5.0 HeadlessChrome/120.0"), true);
        check(Some("wrk"), true);
        check(Some(""), true);
        check(None, true);
    }

    #[test]
    fn counting_rules() {
        let day = 86_400;
        let now = 10 * day;
        let ev = |story_id, reader, at, ua| ViewEvent {
            story_id,
            reader,
            at,
            user_agent: Some(ua),
        };
        struct Case<'a> {
            name: &'a str,
            events: Vec<ViewEvent<'a>>,
            expected: Vec<(i64, i64)>,
        }
        let cases = vec![
            Case {
                name: "nothing",
                events: vec![],
                expected: vec![],
            },
            Case {
                name: "one reader counted once in the window",
                events: vec![
                    ev(1, "a", now - 100, FIREFOX),
                    ev(1, "a", now - 50, FIREFOX),
                    ev(1, "a", now - 1, FIREFOX),
                ],
                expected: vec![(1, 1)],
            },
            Case {
                name: "two readers count twice",
                events: vec![
                    ev(1, "a", now - 100, FIREFOX),
                    ev(1, "b", now - 50, FIREFOX),
                ],
                expected: vec![(1, 2)],
            },
            Case {
                name: "bots ignored",
                events: vec![
                    ev(1, "a", now - 100, GOOGLEBOT),
                    ev(2, "b", now - 100, FIREFOX),
                ],
                expected: vec![(2, 1)],
            },
            Case {
                name: "views older than the window expire",
                events: vec![
                    ev(1, "a", now - day - 1, FIREFOX),
                    ev(2, "b", now - day + 1, FIREFOX),
                ],
                expected: vec![(2, 1)],
            },
            Case {
                name: "the same reader counts again once a window has passed",
                events: vec![
                    ev(1, "a", now - 3 * day, FIREFOX),
                    ev(1, "a", now - 2 * day + 10, FIREFOX),
                    ev(1, "a", now - 10, FIREFOX),
                ],
                expected: vec![(1, 1)],
            },
            Case {
                name: "a repeat inside the window of a counted view is not counted, even if the window then moves",
                events: vec![
                    ev(1, "a", now - day - 100, FIREFOX),
                    ev(1, "a", now - 200, FIREFOX),
                ],
                expected: vec![],
            },
            Case {
                name: "ordered by count then id",
                events: vec![
                    ev(3, "a", now - 9, FIREFOX),
                    ev(2, "a", now - 9, FIREFOX),
                    ev(2, "b", now - 9, FIREFOX),
                    ev(1, "c", now - 9, FIREFOX),
                ],
                expected: vec![(2, 2), (1, 1), (3, 1)],
            },
            Case {
                name: "future events ignored",
                events: vec![ev(1, "a", now + 10, FIREFOX)],
                expected: vec![],
            },
        ];
        for case in cases {
            assert_eq!(
                count_views(&case.events, now, day),
                case.expected,
                "{}",
                case.name
            );
        }
    }
}
