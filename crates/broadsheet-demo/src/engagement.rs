//! Reader activity: comments on stories and page views for Most Read.

use crate::names::{FIRST_F, FIRST_M, SURNAMES, TOWNS};
use crate::rng::{Rng, stream};
use crate::{CommentSeed, Demo, StorySeed, ViewSeed};

/// Number of distinct reader ids that views are drawn from.
pub(crate) const READERS: usize = 20_000;
/// Only this many of the newest stories can have views.
pub(crate) const VIEW_WINDOW: usize = 2000;
/// Only stories newer than this get views.
const VIEW_MAX_AGE: i64 = 5 * 86_400;
/// Views of the most-read story; others follow a Zipf-like curve.
const TOP_VIEWS: f64 = 2600.0;

/// Pre-computed view counts for the newest stories.
#[derive(Debug, Clone, Default)]
pub(crate) struct ViewTable {
    /// Key of the first story in `counts`.
    pub base: usize,
    pub counts: Vec<u32>,
}

impl ViewTable {
    pub(crate) fn new(
        seed: u64,
        n: usize,
        now: i64,
        published_at: impl Fn(usize) -> i64,
    ) -> ViewTable {
        let lo = n.saturating_sub(VIEW_WINDOW);
        // Stories are in time order: walk back from the newest.
        let mut base = n;
        while base > lo && published_at(base - 1) >= now - VIEW_MAX_AGE {
            base -= 1;
        }
        let mut scored: Vec<(f64, usize)> = (base..n)
            .map(|k| {
                let age_h = (now - published_at(k)).max(0) as f64 / 3600.0;
                // Fresh stories need a couple of hours to build an audience;
                // after that interest fades over a couple of days.
                let fresh = (age_h / 2.0).min(1.0) * (-age_h / 40.0).exp();
                let mut r = Rng::derive(seed, stream::VIEWS, k as u64);
                let appeal = (0.15 + r.f64()).powi(3);
                (fresh.max(0.01) * appeal, k)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut counts = vec![0u32; n - base];
        for (rank, (_, k)) in scored.iter().enumerate() {
            let v = TOP_VIEWS / ((rank + 1) as f64).powf(0.9);
            counts[k - base] = (v.round() as u32).clamp(1, (READERS / 2) as u32);
        }
        ViewTable { base, counts }
    }

    pub(crate) fn count(&self, key: usize) -> u32 {
        if key < self.base {
            return 0;
        }
        self.counts.get(key - self.base).copied().unwrap_or(0)
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

pub(crate) fn views(demo: &Demo, story: &StorySeed) -> Vec<ViewSeed> {
    let now = demo.spec.now;
    let count = demo.views.count(story.key) as usize;
    if count == 0 || story.published_at > now {
        return Vec::new();
    }
    let mut r = Rng::derive(demo.spec.seed, stream::VIEWS ^ 0xA5A5, story.key as u64);
    // A random affine permutation of reader ids: distinct for i < READERS.
    let mut a = 1 + r.below(READERS - 1);
    while gcd(a, READERS) != 1 {
        a = 1 + r.below(READERS - 1);
    }
    let b = r.below(READERS);
    let lo = story.published_at.max(now - 86_400);
    let span = (now - lo) as f64;
    let fresh = story.published_at > now - 86_400;
    let mut out: Vec<ViewSeed> = (0..count.min(READERS))
        .map(|i| {
            let reader = (a * i + b) % READERS;
            let u = r.f64();
            // Views of a new story come soon after publication.
            let f = if fresh { u * u } else { u };
            let at = (lo + (f * span) as i64).min(now);
            ViewSeed {
                story_key: story.key,
                reader: format!("r-{reader:06}"),
                at,
            }
        })
        .collect();
    out.sort_by(|x, y| x.at.cmp(&y.at).then_with(|| x.reader.cmp(&y.reader)));
    out
}

const GENERIC: &[&str] = &[
    "Thanks for reporting this.",
    "Good to see this covered properly.",
    "Really interesting read.",
    "I'd like to know more about what happens next.",
    "Let's hope common sense prevails.",
    "Well written and fair to all sides.",
    "This deserves more attention than it gets.",
    "Hard to disagree with much of this.",
    "I'm not sure the full picture is here yet, but it's a start.",
    "Will you be following this up?",
];

fn section_lines(section: &str) -> &'static [&'static str] {
    match section {
        "sport" => &[
            "What a performance from the team today.",
            "We need more depth in the squad if we're going to challenge this season.",
            "Great atmosphere at the ground, best in years.",
            "The manager deserves more time, in my view.",
            "That second half was much better.",
            "See you all at the next home game.",
        ],
        "opinion" => &[
            "I agree with every word of this.",
            "A thoughtful column, even if I don't agree with all of it.",
            "I see it a bit differently, but it's good to have the debate.",
            "This is exactly what I've been saying for years.",
            "More columns like this, please.",
        ],
        "lifestyle" => &[
            "We went last weekend and loved it.",
            "Adding this to my list.",
            "Tried this at home and it worked a treat.",
            "Lovely piece that brings back memories.",
            "We're so lucky to have places like this nearby.",
        ],
        "business" => &[
            "Good news for local jobs, I hope.",
            "I'd like to know what this means for the staff.",
            "Let's hope the money stays in the area.",
            "Thanks for explaining the figures so clearly.",
        ],
        "world" => &[
            "Thoughts with everyone affected.",
            "Useful summary of a complicated situation.",
            "Hope the aid reaches the people who need it.",
            "Good to read something international on here.",
        ],
        _ => &[
            "I live nearby and this has been a problem for a while.",
            "The council needs to listen to residents on this.",
            "Credit to everyone involved.",
            "My neighbours were talking about this only yesterday.",
            "Let's hope it gets sorted soon.",
            "Shows how much people here care about the place.",
            "The staff on the ground are doing their best.",
        ],
    }
}

fn author(r: &mut Rng) -> String {
    let female = r.chance(0.5);
    let first = if female {
        *r.pick(FIRST_F)
    } else {
        *r.pick(FIRST_M)
    };
    let last = *r.pick(SURNAMES);
    match r.below(5) {
        0 => format!("{first} {}.", last.chars().next().unwrap_or('X')),
        1 => format!("{first} from {}", r.pick(TOWNS)),
        2 => format!("{first}{last}{}", r.range(1, 99)),
        3 => format!("{} {last}", first.chars().next().unwrap_or('J')),
        _ => format!("{first} {last}"),
    }
}

pub(crate) fn comments(demo: &Demo, story: &StorySeed) -> Vec<CommentSeed> {
    let now = demo.spec.now;
    let age = now - story.published_at;
    if age < 120 {
        return Vec::new();
    }
    let mut r = Rng::derive(demo.spec.seed, stream::COMMENTS, story.key as u64);
    let base = match r.weighted(&[40, 30, 16, 9, 5]) {
        0 => r.range(0, 1),
        1 => r.range(2, 4),
        2 => r.range(5, 9),
        3 => r.range(10, 15),
        _ => r.range(16, 25),
    } as f64;
    let age_days = age as f64 / 86_400.0;
    let mut factor = if age_days <= 3.0 {
        1.0
    } else if age_days <= 10.0 {
        0.4
    } else {
        0.15
    };
    if story.section == "opinion" {
        factor *= 1.3;
    }
    // A story only hours old has not had time to gather all its comments.
    factor *= (age as f64 / (6.0 * 3600.0)).clamp(0.2, 1.0);
    let n = ((base * factor).round() as usize).min(25);
    let lines = section_lines(&story.section);
    let span = age.min(4 * 86_400) - 60;
    let mut out: Vec<CommentSeed> = (0..n)
        .map(|_| {
            let k = 1 + r.weighted(&[50, 35, 15]);
            let mut parts: Vec<&str> = Vec::with_capacity(k);
            for _ in 0..k {
                let pool = if r.chance(0.6) { lines } else { GENERIC };
                let s = *r.pick(pool);
                if !parts.contains(&s) {
                    parts.push(s);
                }
            }
            let body = parts.join(" ");
            let u = r.f64();
            let created_at = (story.published_at + 60 + (u * u * span as f64) as i64).min(now);
            CommentSeed {
                story_key: story.key,
                author_name: crate::typography::smarten(&author(&mut r)),
                body: crate::typography::smarten(&body),
                created_at,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.author_name.cmp(&b.author_name))
    });
    out
}
