//! Reader comments as pure rules: the moderation state machine (one table of
//! every allowed move), the text rules (length, links, plain-text rendering
//! with every character escaped and links made `rel="nofollow ugc"`), the
//! in-process spam and abuse score, the decision to hold a comment (which
//! always names the rule, the score and the threshold), and sanctions.
//! No I/O: the app layer reads the facts and writes the outcome.

use std::fmt;
use std::str::FromStr;

/// Fewest and most characters of a comment (after trimming).
pub const MIN_CHARS: usize = 2;
pub const MAX_CHARS: usize = 3000;
/// Most links a comment may carry; any link holds it for a moderator.
pub const MAX_LINKS: usize = 2;
/// How long after posting the author may still edit.
pub const EDIT_WINDOW_SECS: i64 = 5 * 60;
/// Longest report reason, moderator note or reason shown to an author.
pub const MAX_REASON_CHARS: usize = 500;
/// Top-level comments per thread page.
pub const PAGE_SIZE: i64 = 30;
/// Replies shown under one comment on a thread page.
pub const REPLIES_SHOWN: i64 = 50;
/// Entries a word list may hold, and the longest entry.
pub const MAX_WORDS: usize = 500;
pub const MAX_WORD_CHARS: usize = 60;

/// Where a comment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommentState {
    /// Held for a moderator: only its author sees it.
    Pending,
    /// Everyone sees it.
    Public,
    /// Taken out of the thread by a moderator (or a ban): its author still
    /// sees it, with the reason.
    Hidden,
    /// Removed by a moderator: its author sees that it was, and why, not the text.
    Removed,
    /// Deleted by its author.
    Deleted,
}

pub const STATES: [CommentState; 5] = [
    CommentState::Pending,
    CommentState::Public,
    CommentState::Hidden,
    CommentState::Removed,
    CommentState::Deleted,
];

impl CommentState {
    pub fn as_str(self) -> &'static str {
        match self {
            CommentState::Pending => "pending",
            CommentState::Public => "public",
            CommentState::Hidden => "hidden",
            CommentState::Removed => "removed",
            CommentState::Deleted => "deleted",
        }
    }
}

impl fmt::Display for CommentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CommentState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        STATES
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown comment state {s:?}"))
    }
}

/// A move on a comment: by a moderator, by its author, or by a sanction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Move {
    /// Moderator: a held comment goes out.
    Approve,
    /// Moderator: a held comment stays out (its author sees it, with the reason).
    Reject,
    /// Moderator: a public comment leaves the thread (author-only).
    Hide,
    /// Moderator: the comment is removed (its author sees only the reason).
    Remove,
    /// Moderator: a hidden or removed comment goes back out.
    Restore,
    /// Moderator: the reports on a comment are dealt with; its state stays.
    Dismiss,
    /// Author, within the edit window: the edited text passed the rules.
    Edit,
    /// Author, within the edit window: the edited text is held.
    EditHeld,
    /// Author: deletes their own comment.
    Delete,
    /// A ban takes the reader's comments out of every thread.
    Ban,
}

pub const MOVES: [Move; 10] = [
    Move::Approve,
    Move::Reject,
    Move::Hide,
    Move::Remove,
    Move::Restore,
    Move::Dismiss,
    Move::Edit,
    Move::EditHeld,
    Move::Delete,
    Move::Ban,
];

impl Move {
    pub fn as_str(self) -> &'static str {
        match self {
            Move::Approve => "approve",
            Move::Reject => "reject",
            Move::Hide => "hide",
            Move::Remove => "remove",
            Move::Restore => "restore",
            Move::Dismiss => "dismiss",
            Move::Edit => "edit",
            Move::EditHeld => "edit-held",
            Move::Delete => "delete",
            Move::Ban => "ban",
        }
    }

    /// Moves a moderator makes from the queues.
    pub fn by_moderator(self) -> bool {
        matches!(
            self,
            Move::Approve
                | Move::Reject
                | Move::Hide
                | Move::Remove
                | Move::Restore
                | Move::Dismiss
        )
    }
}

impl FromStr for Move {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        MOVES
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                format!("{s:?} is not a moderation action: use approve, reject, hide, remove, restore or dismiss")
            })
    }
}

use CommentState::{Deleted, Hidden, Pending, Public, Removed};

/// The state machine: every allowed (from, move, to). Anything not here is
/// refused, and the store writes a move only `WHERE status = from`.
pub const TABLE: [(CommentState, Move, CommentState); 19] = [
    (Pending, Move::Approve, Public),
    (Hidden, Move::Approve, Public),
    (Pending, Move::Reject, Hidden),
    (Public, Move::Hide, Hidden),
    (Pending, Move::Remove, Removed),
    (Public, Move::Remove, Removed),
    (Hidden, Move::Remove, Removed),
    (Hidden, Move::Restore, Public),
    (Removed, Move::Restore, Public),
    (Public, Move::Dismiss, Public),
    (Hidden, Move::Dismiss, Hidden),
    (Public, Move::Edit, Public),
    (Pending, Move::Edit, Pending),
    (Public, Move::EditHeld, Pending),
    (Pending, Move::EditHeld, Pending),
    (Pending, Move::Delete, Deleted),
    (Public, Move::Delete, Deleted),
    (Hidden, Move::Delete, Deleted),
    (Public, Move::Ban, Hidden),
];

/// Where `mv` takes a comment in state `from`, if it is allowed.
pub fn next(from: CommentState, mv: Move) -> Option<CommentState> {
    TABLE
        .iter()
        .find(|(f, m, _)| *f == from && *m == mv)
        .map(|(_, _, to)| *to)
}

// ----- text -------------------------------------------------------------------------

/// Checks and tidies what a reader typed: line endings, control characters,
/// runs of blank lines; length and link limits. The error says what to fix.
pub fn normalize(body: &str) -> Result<String, String> {
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    let cleaned: String = body
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .filter(|c| !matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .collect();
    let mut out = String::with_capacity(cleaned.len());
    let mut blank = 0;
    for line in cleaned.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    let out = out.trim_start().to_string();
    let n = out.chars().count();
    if n < MIN_CHARS {
        return Err("Write your comment first: it is empty.".into());
    }
    if n > MAX_CHARS {
        return Err(format!(
            "Your comment is {n} characters long: shorten it to {MAX_CHARS} at most."
        ));
    }
    let links = links(&out).len();
    if links > MAX_LINKS {
        return Err(format!(
            "Your comment has {links} links: a comment may carry at most {MAX_LINKS}."
        ));
    }
    Ok(out)
}

/// The `http(s)://…` and `www.…` addresses in a text, as written.
pub fn links(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '(' | ')'))
        .map(|w| w.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'']))
        .filter(|w| {
            let l = w.to_ascii_lowercase();
            (l.starts_with("http://") || l.starts_with("https://") || l.starts_with("www."))
                && w.len() > 7
        })
        .collect()
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// A link's target, if it is a plain http(s) address.
fn link_target(word: &str) -> Option<String> {
    let candidate = if word.to_ascii_lowercase().starts_with("www.") {
        format!("https://{word}")
    } else {
        word.to_string()
    };
    let u = url::Url::parse(&candidate).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return None;
    }
    Some(u.to_string())
}

/// A comment as HTML: every character escaped, paragraphs on blank lines,
/// line breaks kept, and http(s) addresses made links with
/// `rel="nofollow ugc noopener"`. Nothing the reader typed becomes markup.
pub fn render(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 32);
    for para in body.split("\n\n") {
        out.push_str("<p>");
        for (i, line) in para.split('\n').enumerate() {
            if i > 0 {
                out.push_str("<br>");
            }
            render_line(&mut out, line);
        }
        out.push_str("</p>");
    }
    out
}

fn render_line(out: &mut String, line: &str) {
    let mut rest = line;
    while !rest.is_empty() {
        // The next word boundary.
        let start = rest
            .char_indices()
            .find(|(_, c)| !c.is_whitespace())
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        escape_into(out, &rest[..start]);
        rest = &rest[start..];
        if rest.is_empty() {
            break;
        }
        let end = rest
            .char_indices()
            .find(|(_, c)| c.is_whitespace())
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let word = &rest[..end];
        let trimmed = word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'']);
        let tail = &word[trimmed.len()..];
        match (links(trimmed).first(), link_target(trimmed)) {
            (Some(_), Some(href)) => {
                out.push_str("<a href=\"");
                escape_into(out, &href);
                out.push_str("\" rel=\"nofollow ugc noopener\">");
                escape_into(out, trimmed);
                out.push_str("</a>");
                escape_into(out, tail);
            }
            _ => escape_into(out, word),
        }
        rest = &rest[end..];
    }
}

/// A word list as the newsroom types it (one entry a line, or separated by
/// commas): lower-cased, trimmed, de-duplicated, bounded.
pub fn parse_word_list(text: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for w in text.split(['\n', ',']) {
        let w = w.trim().to_lowercase();
        if w.is_empty() {
            continue;
        }
        if w.chars().count() > MAX_WORD_CHARS {
            return Err(format!(
                "{:?} is too long for a word list: keep each entry to {MAX_WORD_CHARS} characters.",
                w.chars().take(MAX_WORD_CHARS).collect::<String>()
            ));
        }
        if !out.contains(&w) {
            out.push(w);
        }
    }
    if out.len() > MAX_WORDS {
        return Err(format!(
            "A word list holds at most {MAX_WORDS} entries; this one has {}.",
            out.len()
        ));
    }
    Ok(out)
}

// ----- scoring and holding -------------------------------------------------------------

/// The paper's rules for scoring comments.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub banned: Vec<String>,
    pub suspect: Vec<String>,
    /// A score at or above this holds the comment.
    pub threshold: i64,
}

/// One rule that matched, with its points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub rule: String,
    pub points: i64,
}

/// The in-process spam and abuse score of a text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Score {
    pub total: i64,
    pub hits: Vec<Hit>,
    /// The first banned entry found, if any (always holds).
    pub banned: Option<String>,
    pub links: usize,
}

pub const POINTS_BANNED: i64 = 100;
pub const POINTS_SUSPECT: i64 = 25;
pub const POINTS_LINK: i64 = 30;
pub const POINTS_SHOUTING: i64 = 20;
pub const POINTS_REPEATS: i64 = 15;

/// The words of a text, lower-cased, and the text as those words joined by
/// single spaces (for phrases).
fn words(text: &str) -> (Vec<String>, String) {
    let lower = text.to_lowercase();
    let words: Vec<String> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let joined = format!(" {} ", words.join(" "));
    (words, joined)
}

fn list_hits<'a>(list: &'a [String], words: &[String], joined: &str) -> Vec<&'a str> {
    list.iter()
        .filter(|entry| {
            if entry.contains(' ') {
                let (_, phrase) = self::words(entry);
                joined.contains(&phrase)
            } else {
                words.iter().any(|w| w == *entry)
            }
        })
        .map(String::as_str)
        .collect()
}

/// Scores a text under the paper's rules.
pub fn score(text: &str, rules: &Rules) -> Score {
    let (ws, joined) = words(text);
    let mut s = Score::default();
    fn add(s: &mut Score, rule: String, points: i64) {
        s.total += points;
        s.hits.push(Hit { rule, points });
    }
    for b in list_hits(&rules.banned, &ws, &joined) {
        if s.banned.is_none() {
            s.banned = Some(b.to_string());
        }
        add(&mut s, format!("banned word \"{b}\""), POINTS_BANNED);
    }
    for w in list_hits(&rules.suspect, &ws, &joined) {
        add(&mut s, format!("suspect word \"{w}\""), POINTS_SUSPECT);
    }
    s.links = links(text).len();
    if s.links > 0 {
        let n = s.links;
        add(&mut s, format!("{n} link(s)"), POINTS_LINK * n as i64);
    }
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    if letters.len() >= 20 && upper * 10 >= letters.len() * 7 {
        add(&mut s, "shouting (mostly capitals)".into(), POINTS_SHOUTING);
    }
    let mut run = 1;
    let mut prev = None;
    let mut long_run = false;
    for c in text.chars() {
        if Some(c) == prev && !c.is_whitespace() {
            run += 1;
            long_run |= run >= 6;
        } else {
            run = 1;
        }
        prev = Some(c);
    }
    let repeated_word = ws.windows(4).any(|w| w.iter().all(|x| *x == w[0]));
    if long_run || repeated_word {
        add(
            &mut s,
            "repeated characters or words".into(),
            POINTS_REPEATS,
        );
    }
    s
}

/// What the paper knows about where and by whom a comment is posted, beyond
/// its text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    /// Pre-moderation applies: why ("this story is marked legal", …).
    pub pre_moderation: Option<&'static str>,
    /// A moderator ordered pre-moderation for this reader.
    pub sanctioned_pre: bool,
    /// Comments of this reader a moderator approved (or that went out).
    pub approved: i64,
    /// New commenters are held until this many are approved.
    pub new_commenter_holds: i64,
}

/// Why a comment is held: the rule, the score and the threshold, all shown to
/// the moderator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub rule: String,
    pub score: i64,
    pub threshold: i64,
}

/// Whether a text held for its content (not for the story or the reader)
/// could be avoided by editing it: the writer is warned first.
pub fn content_hold(s: &Score, threshold: i64) -> Option<String> {
    if let Some(b) = &s.banned {
        return Some(format!("it contains the banned word \"{b}\""));
    }
    if s.links > 0 {
        return Some("it contains a link".into());
    }
    if s.total >= threshold {
        let rules: Vec<&str> = s.hits.iter().map(|h| h.rule.as_str()).collect();
        return Some(format!(
            "it scores {} against a limit of {threshold} ({})",
            s.total,
            rules.join(", ")
        ));
    }
    None
}

/// Holds a comment, or lets it out: the first rule that applies, with the
/// score and the threshold.
pub fn decide(s: &Score, facts: &Facts, threshold: i64) -> Option<Hold> {
    let hold = |rule: String| {
        Some(Hold {
            rule,
            score: s.total,
            threshold,
        })
    };
    if let Some(b) = &s.banned {
        return hold(format!("banned word \"{b}\""));
    }
    if s.total >= threshold {
        let rules: Vec<&str> = s.hits.iter().map(|h| h.rule.as_str()).collect();
        return hold(format!(
            "score at or over the threshold ({})",
            rules.join(", ")
        ));
    }
    if s.links > 0 {
        return hold("comments with links are held".into());
    }
    if facts.sanctioned_pre {
        return hold("pre-moderation ordered for this reader".into());
    }
    if let Some(why) = facts.pre_moderation {
        return hold(format!("pre-moderation: {why}"));
    }
    if facts.approved < facts.new_commenter_holds {
        return hold(format!(
            "new commenter: {} of {} comments approved",
            facts.approved, facts.new_commenter_holds
        ));
    }
    None
}

// ----- sanctions -----------------------------------------------------------------------

/// What a moderator can do to a commenter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sanction {
    /// A warning the reader sees; nothing else changes.
    Warn,
    /// No commenting until a time.
    Suspend,
    /// No commenting; their public comments leave every thread.
    Ban,
    /// Every comment of theirs is held.
    PreModerate,
    /// Ends suspension, ban and forced pre-moderation.
    Lift,
}

pub const SANCTIONS: [Sanction; 5] = [
    Sanction::Warn,
    Sanction::Suspend,
    Sanction::Ban,
    Sanction::PreModerate,
    Sanction::Lift,
];

impl Sanction {
    pub fn as_str(self) -> &'static str {
        match self {
            Sanction::Warn => "warn",
            Sanction::Suspend => "suspend",
            Sanction::Ban => "ban",
            Sanction::PreModerate => "premod",
            Sanction::Lift => "lift",
        }
    }
}

impl FromStr for Sanction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        SANCTIONS
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                format!("{s:?} is not a sanction: use warn, suspend, ban, premod or lift")
            })
    }
}

/// A commenter's standing, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    pub approved: i64,
    pub banned: bool,
    pub suspended_until: i64,
    pub premod: bool,
    /// The reason the reader is shown for the latest sanction.
    pub reason: String,
}

/// May this reader post now? The refusal says why and until when.
pub fn may_post(s: &Standing, now: i64) -> Result<(), String> {
    let why = if s.reason.is_empty() {
        String::new()
    } else {
        format!(" The moderators' reason: {}", s.reason)
    };
    if s.banned {
        return Err(format!("You can no longer comment on this site.{why}"));
    }
    if s.suspended_until > now {
        return Err(format!(
            "Your commenting is suspended for {} more.{why}",
            words_for(s.suspended_until - now)
        ));
    }
    Ok(())
}

/// "3 hours", "2 days": rounded up.
pub fn words_for(secs: i64) -> String {
    let secs = secs.max(1);
    if secs < 3600 {
        let m = (secs + 59) / 60;
        format!("{m} minute{}", if m == 1 { "" } else { "s" })
    } else if secs < 2 * 86_400 {
        let h = (secs + 3599) / 3600;
        format!("{h} hour{}", if h == 1 { "" } else { "s" })
    } else {
        let d = (secs + 86_399) / 86_400;
        format!("{d} days")
    }
}

/// A reason or note: trimmed, required when `needed`, bounded.
pub fn reason(text: &str, what: &str, needed: bool) -> Result<String, String> {
    let t = text.trim();
    if needed && t.is_empty() {
        return Err(format!("Give {what}."));
    }
    if t.chars().count() > MAX_REASON_CHARS {
        return Err(format!(
            "Shorten {what} to {MAX_REASON_CHARS} characters at most."
        ));
    }
    Ok(t.chars().filter(|c| !c.is_control()).collect())
}

#[cfg(test)]
mod tests;
