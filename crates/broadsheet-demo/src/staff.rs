//! The newsroom: staff accounts and who writes what.

use crate::StaffSeed;
use crate::names::{FIRST_F, FIRST_M, SURNAMES};
use crate::rng::{Rng, stream};

/// What each reporter covers, in order (index = reporter number).
const BEATS: &[(&str, &[&str], &str)] = &[
    ("politics", &["uk", "news"], "politics and local government"),
    ("health", &["uk", "news"], "health and education"),
    ("scotland", &["scotland"], "Scotland"),
    ("world", &["world"], "international affairs"),
    ("business", &["business"], "business and the economy"),
    ("sport", &["sport"], "sport"),
];

const ROLES: &[&str] = &[
    "admin",
    "editor",
    "editor",
    "reporter",
    "reporter",
    "reporter",
    "reporter",
    "reporter",
    "reporter",
    "contributor",
    "contributor",
    "moderator",
];

/// Generate the staff list for a seed.
pub(crate) fn generate(seed: u64) -> Vec<StaffSeed> {
    let mut r = Rng::derive(seed, stream::STAFF, 0);
    let mut used_first: Vec<&str> = Vec::new();
    let mut used_last: Vec<&str> = Vec::new();
    let mut out = Vec::with_capacity(ROLES.len());
    let mut reporter = 0usize;
    let mut editor = 0usize;
    let mut contributor = 0usize;
    for role in ROLES {
        let female = r.chance(0.5);
        let pool = if female { FIRST_F } else { FIRST_M };
        let mut first = *r.pick(pool);
        while used_first.contains(&first) {
            first = *r.pick(pool);
        }
        let mut last = *r.pick(SURNAMES);
        while used_last.contains(&last) {
            last = *r.pick(SURNAMES);
        }
        used_first.push(first);
        used_last.push(last);
        let username = format!(
            "{}.{}",
            first.to_ascii_lowercase(),
            last.to_ascii_lowercase().replace(' ', "-")
        );
        let display_name = format!("{first} {last}");
        let since = r.range(2004, 2023);
        let bio = match *role {
            "admin" => format!(
                "{first} looks after the Northern Broadsheet's website and publishing systems. {first} joined the paper's digital team in {since}."
            ),
            "editor" => {
                editor += 1;
                if editor == 1 {
                    format!(
                        "{first} is the editor of the Northern Broadsheet. A former news reporter, {first} has worked in Kelderby newsrooms since {since}."
                    )
                } else {
                    format!(
                        "{first} is the Northern Broadsheet's deputy editor and runs the newsdesk. {first} joined the paper as a trainee in {since}."
                    )
                }
            }
            "reporter" => {
                let beat = BEATS.get(reporter).map(|b| b.2).unwrap_or("news");
                reporter += 1;
                format!(
                    "{first} covers {beat} for the Northern Broadsheet and has reported on the Kelder Valley since {since}. Story tips are always welcome."
                )
            }
            "contributor" => {
                contributor += 1;
                if contributor == 1 {
                    format!(
                        "{first} writes a weekly column for the Northern Broadsheet about life in Kelderby and the Kelder Valley."
                    )
                } else {
                    format!(
                        "{first} writes about food, travel and homes for the Northern Broadsheet's lifestyle pages."
                    )
                }
            }
            _ => format!(
                "{first} is the Northern Broadsheet's community editor and looks after readers' comments. Joined in {since}."
            ),
        };
        out.push(StaffSeed {
            email: format!("{username}@example.com"),
            username,
            display_name,
            role: (*role).to_string(),
            bio: crate::typography::smarten(&bio),
        });
    }
    out
}

/// Usernames grouped by what they write.
#[derive(Debug, Clone)]
pub(crate) struct Writers {
    pub editors: Vec<String>,
    /// Reporter username and the section slugs of their beat.
    pub reporters: Vec<(String, &'static [&'static str])>,
    pub columnist: String,
    pub lifestyle: String,
}

impl Writers {
    pub(crate) fn new(staff: &[StaffSeed]) -> Writers {
        let editors: Vec<String> = staff
            .iter()
            .filter(|s| s.role == "editor")
            .map(|s| s.username.clone())
            .collect();
        let reporters: Vec<(String, &'static [&'static str])> = staff
            .iter()
            .filter(|s| s.role == "reporter")
            .enumerate()
            .map(|(i, s)| {
                (
                    s.username.clone(),
                    BEATS.get(i).map(|b| b.1).unwrap_or(&["uk"]),
                )
            })
            .collect();
        let contributors: Vec<String> = staff
            .iter()
            .filter(|s| s.role == "contributor")
            .map(|s| s.username.clone())
            .collect();
        let columnist = contributors.first().cloned().unwrap_or_default();
        let lifestyle = contributors
            .get(1)
            .cloned()
            .unwrap_or_else(|| columnist.clone());
        Writers {
            editors,
            reporters,
            columnist,
            lifestyle,
        }
    }

    /// One or two usernames for a staff-written story in `section`.
    pub(crate) fn byline(&self, r: &mut Rng, section: &str) -> Vec<String> {
        let any_reporter = |r: &mut Rng| -> String {
            if self.reporters.is_empty() {
                return self.editors.first().cloned().unwrap_or_default();
            }
            self.reporters[r.below(self.reporters.len())].0.clone()
        };
        let editor = |r: &mut Rng| -> String {
            if self.editors.is_empty() {
                return self.columnist.clone();
            }
            self.editors[r.below(self.editors.len())].clone()
        };
        let first = match section {
            "opinion" => match r.weighted(&[60, 28, 12]) {
                0 => self.columnist.clone(),
                1 => editor(r),
                _ => self.lifestyle.clone(),
            },
            "lifestyle" => match r.weighted(&[65, 20, 15]) {
                0 => self.lifestyle.clone(),
                1 => any_reporter(r),
                _ => self.columnist.clone(),
            },
            _ => {
                let beat: Vec<&String> = self
                    .reporters
                    .iter()
                    .filter(|(_, b)| b.contains(&section))
                    .map(|(u, _)| u)
                    .collect();
                match r.weighted(&[72, 14, 14]) {
                    0 if !beat.is_empty() => beat[r.below(beat.len())].clone(),
                    1 | 0 => any_reporter(r),
                    _ => editor(r),
                }
            }
        };
        let mut names = vec![first];
        if section != "opinion" && r.chance(0.15) {
            let second = any_reporter(r);
            if !names.contains(&second) {
                names.push(second);
            }
        }
        names
    }
}
