//! Newsletters (issue 13 item 5): readers choose them in the preference
//! centre (`/account/newsletters`), confirm each by a mailed link (double
//! opt-in; the words agreed to are kept as the record of consent), and get
//! a welcome message. A job on every node builds each newsletter's issue
//! once a day from the paper's own stories (skipped when nothing is new),
//! fixes its recipients, and sends it through the paper's one [`Mailer`]
//! in rate-limited batches that survive a restart without sending anything
//! twice. Every message carries an RFC 8058 one-click unsubscribe. Hard
//! bounces (an SMTP 5xx) and complaints go on one suppression list. Opens
//! and clicks are counted per issue only: no reader is recorded.
//!
//! Paid text: each story's excerpt comes through the entitlement gate
//! ([`entitlement::decide_in_memory`], then [`entitlement::gate`]) for the
//! reader it is sent to; a reader who is not entitled gets the headline
//! and standfirst of a paid story and no text of its body.
//!
//! [`Mailer`]: crate::mail::Mailer

use std::collections::HashMap;
use std::time::Duration;

use askama::Template;
use broadsheet_domain::newsletters::{self as rules, Kind, State};
use broadsheet_domain::permissions::Action;
use broadsheet_domain::readers::ReaderAccount;
use broadsheet_domain::{Access, Actor, Story, markup, permalink};
use broadsheet_store::Listing;
pub use broadsheet_store::{IssueRow, NewsletterRow, NewsletterSubscriptionRow, SuppressionRow};
use hmac::{KeyInit, Mac};
use sha2::Sha256;

use crate::entitlement::{self, Decision, GateInfo};
use crate::mail::ListMail;
use crate::newsroom::require;
use crate::readers::site_link;
use crate::{App, AppError, Result, StoryLookup, now};

/// How newsletters are sent.
#[derive(Debug, Clone, PartialEq)]
pub struct NewsletterConfig {
    /// Messages per second, per node (the mail server's limit).
    pub per_second: u32,
    /// Messages one node claims at a time.
    pub batch: i64,
    /// Tries of a message the server refused for now (4xx, no answer).
    pub max_attempts: i64,
    /// Days a confirming link works.
    pub confirm_days: i64,
}

impl Default for NewsletterConfig {
    fn default() -> Self {
        NewsletterConfig {
            per_second: 10,
            batch: 50,
            max_attempts: 5,
            confirm_days: 7,
        }
    }
}

/// Stories in one issue.
pub const STORIES_PER_ISSUE: usize = 10;
/// Confirming links one reader may be mailed in an hour (each asks the
/// owner of the address; an account whose address is not its holder's
/// must not become a way to fill someone's inbox).
pub const CONFIRMS_PER_HOUR: i64 = 10;
/// An issue covers at most this far back (a paper that was down for a
/// week does not mail a week's stories).
const MAX_WINDOW_SECS: i64 = 3 * 86_400;
/// How long a node holds the messages it claimed.
const CLAIM_SECS: i64 = 300;
/// The installation secret that signs confirming and unsubscribe links.
const LINK_SECRET: &str = "newsletter-links";
/// Stands for the reader's own unsubscribe link in a rendered issue.
const UNSUBSCRIBE_SLOT: &str = "BROADSHEET-UNSUBSCRIBE-LINK";

fn invalid(msg: impl Into<String>) -> AppError {
    AppError::Invalid(msg.into())
}

// ----- signed links ---------------------------------------------------------------

async fn link_key(app: &App) -> Result<String> {
    let fresh = hex::encode(rand::random::<[u8; 32]>());
    Ok(app
        .store()
        .installation_secret(LINK_SECRET, &fresh, now())
        .await?)
}

/// Bytes of the HMAC a link carries (128 bits, hex in the link).
const TAG_BYTES: usize = 16;

fn mac(key: &str, text: &str) -> hmac::Hmac<Sha256> {
    let mut m = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| <hmac::Hmac<Sha256> as KeyInit>::new(&Default::default()));
    m.update(text.as_bytes());
    m
}

/// What a link token says, once its signature is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Confirm the request made at `requested_at`.
    Confirm {
        reader: i64,
        newsletter: i64,
        requested_at: i64,
    },
    /// Leave the newsletter (works for good, as RFC 8058 expects).
    Unsubscribe { reader: i64, newsletter: i64 },
}

impl Link {
    fn body(self) -> String {
        match self {
            Link::Confirm {
                reader,
                newsletter,
                requested_at,
            } => format!("c.{reader}.{newsletter}.{requested_at}"),
            Link::Unsubscribe { reader, newsletter } => format!("u.{reader}.{newsletter}"),
        }
    }

    fn token(self, key: &str) -> String {
        let body = self.body();
        let sig = hex::encode(&mac(key, &body).finalize().into_bytes()[..TAG_BYTES]);
        format!("{body}.{sig}")
    }

    fn parse(token: &str, key: &str) -> Option<Link> {
        if token.len() > 200 {
            return None;
        }
        let (body, sig) = token.rsplit_once('.')?;
        let tag = hex::decode(sig).ok().filter(|t| t.len() == TAG_BYTES)?;
        // hmac's own comparison (constant time), as the view cookies do.
        mac(key, body).verify_truncated_left(&tag).ok()?;
        let parts: Vec<&str> = body.split('.').collect();
        let num = |s: &str| s.parse::<i64>().ok();
        match parts.as_slice() {
            ["c", r, n, t] => Some(Link::Confirm {
                reader: num(r)?,
                newsletter: num(n)?,
                requested_at: num(t)?,
            }),
            ["u", r, n] => Some(Link::Unsubscribe {
                reader: num(r)?,
                newsletter: num(n)?,
            }),
            _ => None,
        }
    }
}

/// The one-click unsubscribe address of a reader's subscription.
async fn unsubscribe_url(app: &App, reader: i64, newsletter: i64) -> Result<String> {
    let key = link_key(app).await?;
    Ok(unsubscribe_url_with(app, &key, reader, newsletter))
}

/// [`unsubscribe_url`] with the key read already (a batch reads it once).
fn unsubscribe_url_with(app: &App, key: &str, reader: i64, newsletter: i64) -> String {
    let t = Link::Unsubscribe { reader, newsletter }.token(key);
    site_link(app, &format!("/newsletters/unsubscribe?t={t}"))
}

fn list_id(app: &App, nl: &NewsletterRow) -> String {
    let host = crate::mail::site_host(app.config());
    format!(
        "{} <{}.{host}>",
        nl.name.replace(['<', '>', '"'], ""),
        nl.slug
    )
}

// ----- the preference centre ------------------------------------------------------

/// One newsletter as the preference centre shows it to a reader.
#[derive(Debug, Clone)]
pub struct Choice {
    pub newsletter: NewsletterRow,
    /// The reader's subscription (any state), if they ever asked.
    pub subscription: Option<NewsletterSubscriptionRow>,
}

impl Choice {
    pub fn state(&self) -> Option<State> {
        self.subscription
            .as_ref()
            .and_then(|s| State::parse(&s.status))
    }

    /// Chosen: asked for (pending) or confirmed.
    pub fn chosen(&self) -> bool {
        matches!(self.state(), Some(State::Pending | State::Active))
    }
}

/// The newsletters a reader may choose (those running, and any paused one
/// they are still on), with their state.
pub async fn preferences(app: &App, reader: i64) -> Result<Vec<Choice>> {
    let mut subs: HashMap<i64, NewsletterSubscriptionRow> = app
        .store()
        .reader_subscriptions(reader)
        .await?
        .into_iter()
        .map(|s| (s.newsletter_id, s))
        .collect();
    Ok(app
        .store()
        .newsletters()
        .await?
        .into_iter()
        .map(|n| {
            let subscription = subs.remove(&n.id);
            Choice {
                newsletter: n,
                subscription,
            }
        })
        .filter(|c| c.newsletter.active || c.chosen())
        .collect())
}

/// What a change of choices did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changed {
    /// Asked for: a confirming link was mailed for each.
    pub asked: Vec<String>,
    /// Left.
    pub left: Vec<String>,
}

/// Sets a reader's newsletters to `wanted` (newsletter ids): each new one is
/// asked for (pending, a confirming link mailed), each dropped one ends at
/// once. One transaction, with an audit row per change.
pub async fn choose(app: &App, reader: &ReaderAccount, wanted: &[i64]) -> Result<Changed> {
    let t = now();
    let choices = preferences(app, reader.id).await?;
    if let Some(bad) = wanted
        .iter()
        .find(|w| !choices.iter().any(|c| c.newsletter.id == **w))
    {
        return Err(invalid(format!(
            "There is no newsletter {bad} to choose: reload the page and choose from its list."
        )));
    }
    let asking = choices
        .iter()
        .filter(|c| c.newsletter.active && !c.chosen() && wanted.contains(&c.newsletter.id))
        .count() as i64;
    if asking > 0 {
        confirms_left(app, reader.id, asking, t).await?;
    }
    let actor = Actor::Reader { id: reader.id };
    let mut changed = Changed::default();
    let mut to_confirm = Vec::new();
    let mut tx = app.store().begin().await?;
    for c in &choices {
        let want = wanted.contains(&c.newsletter.id);
        let nl = &c.newsletter;
        if want && !c.chosen() {
            if !nl.active {
                continue;
            }
            let words = rules::consent_text(&app.config().name, &nl.name);
            tx.request_subscription(reader.id, nl.id, &words, "preference centre", t)
                .await?;
            tx.audit(
                &actor,
                "newsletter.requested",
                None,
                &format!("{} (link mailed to confirm)", nl.slug),
                t,
            )
            .await?;
            changed.asked.push(nl.name.clone());
            to_confirm.push(nl.clone());
        } else if !want && c.chosen() {
            tx.end_subscription(reader.id, nl.id, "preference centre", t)
                .await?;
            tx.audit(&actor, "newsletter.left", None, &nl.slug, t)
                .await?;
            changed.left.push(nl.name.clone());
        }
    }
    tx.commit().await?;
    for nl in to_confirm {
        mail_confirm_link(app, reader, &nl, t).await?;
    }
    Ok(changed)
}

/// Mails the confirming link of a pending subscription again (a new link:
/// the old one stops working). At most once a minute per newsletter.
pub async fn resend(app: &App, reader: &ReaderAccount, newsletter: i64) -> Result<String> {
    let t = now();
    let mut tx = app.store().begin().await?;
    let Some(sub) = tx.subscription(reader.id, newsletter).await? else {
        return Err(invalid("You have not asked for that newsletter."));
    };
    if State::parse(&sub.status) != Some(State::Pending) {
        return Err(invalid(
            "That newsletter is not waiting for you to confirm it.",
        ));
    }
    confirms_left(app, reader.id, 1, t).await?;
    if sub.requested_at > t - 60 {
        return Err(invalid(
            "We sent a link less than a minute ago: give it a moment to arrive, then try again.",
        ));
    }
    let nl = app
        .store()
        .newsletter(newsletter)
        .await?
        .ok_or_else(|| invalid("There is no such newsletter."))?;
    tx.request_subscription(reader.id, nl.id, &sub.consent_text, &sub.requested_via, t)
        .await?;
    tx.audit(
        &Actor::Reader { id: reader.id },
        "newsletter.requested",
        None,
        &format!("{} (link mailed again)", nl.slug),
        t,
    )
    .await?;
    tx.commit().await?;
    mail_confirm_link(app, reader, &nl, t).await?;
    Ok(nl.name)
}

/// Refuses when `asking` more confirming links would pass the hourly limit.
async fn confirms_left(app: &App, reader: i64, asking: i64, t: i64) -> Result<()> {
    let sent = app
        .store()
        .reader_actions_since(reader, "newsletter.requested", t - 3600)
        .await?;
    if sent + asking > CONFIRMS_PER_HOUR {
        return Err(invalid(format!(
            "We have sent you {sent} links to confirm newsletters in the last hour: open those, or try again in an hour."
        )));
    }
    Ok(())
}

async fn mail_confirm_link(
    app: &App,
    reader: &ReaderAccount,
    nl: &NewsletterRow,
    requested_at: i64,
) -> Result<()> {
    let key = link_key(app).await?;
    let token = Link::Confirm {
        reader: reader.id,
        newsletter: nl.id,
        requested_at,
    }
    .token(&key);
    let url = site_link(app, &format!("/newsletters/confirm?t={token}"));
    let paper = &app.config().name;
    let days = app.config().newsletters.confirm_days;
    app.mailer().send_later(crate::mail::Mail {
        to: reader.email.clone(),
        subject: format!("Confirm your subscription to {}", nl.name),
        text: format!(
            "You asked for {name} from {paper}. To start receiving it, open this link within {days} days and press the button:\n\n{url}\n\nIf you did not ask for it, ignore this message: you will not be sent it.\n",
            name = nl.name
        ),
    });
    Ok(())
}

/// What a confirming or unsubscribe link leads to, before the button is
/// pressed (a link scanner opening the link changes nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// A confirming link that still works: the newsletter's name.
    Confirm(String),
    /// An unsubscribe link: the newsletter's name, and whether the reader
    /// is still on it.
    Unsubscribe(String, bool),
    /// Used, replaced by a newer link, out of date, or not ours.
    Spent,
}

async fn read_link(app: &App, token: &str) -> Result<Option<Link>> {
    let key = link_key(app).await?;
    Ok(Link::parse(token.trim(), &key))
}

/// What `token` leads to.
pub async fn link_target(app: &App, token: &str) -> Result<LinkTarget> {
    let Some(link) = read_link(app, token).await? else {
        return Ok(LinkTarget::Spent);
    };
    let t = now();
    match link {
        Link::Confirm {
            reader,
            newsletter,
            requested_at,
        } => {
            let mut tx = app.store().begin().await?;
            let sub = tx.subscription(reader, newsletter).await?;
            tx.commit().await?;
            let live = sub.is_some_and(|s| {
                s.status == State::Pending.as_str()
                    && s.requested_at == requested_at
                    && requested_at + app.config().newsletters.confirm_days * 86_400 >= t
            });
            match (live, app.store().newsletter(newsletter).await?) {
                (true, Some(nl)) => Ok(LinkTarget::Confirm(nl.name)),
                _ => Ok(LinkTarget::Spent),
            }
        }
        Link::Unsubscribe { reader, newsletter } => {
            let Some(nl) = app.store().newsletter(newsletter).await? else {
                return Ok(LinkTarget::Spent);
            };
            let mut tx = app.store().begin().await?;
            let sub = tx.subscription(reader, newsletter).await?;
            tx.commit().await?;
            let on = sub.is_some_and(|s| {
                matches!(
                    State::parse(&s.status),
                    Some(State::Pending | State::Active)
                )
            });
            Ok(LinkTarget::Unsubscribe(nl.name, on))
        }
    }
}

/// Follows a confirming link (the button pressed): the subscription starts
/// and a welcome message is sent. Returns the newsletter's name.
pub async fn confirm(app: &App, token: &str) -> Result<String> {
    let spent = || {
        invalid(
            "This link is used, out of date or replaced by a newer one: choose the newsletter again in your account to get a fresh link.",
        )
    };
    let Some(Link::Confirm {
        reader,
        newsletter,
        requested_at,
    }) = read_link(app, token).await?
    else {
        return Err(spent());
    };
    let t = now();
    if requested_at + app.config().newsletters.confirm_days * 86_400 < t {
        return Err(spent());
    }
    let nl = app
        .store()
        .newsletter(newsletter)
        .await?
        .ok_or_else(spent)?;
    let mut tx = app.store().begin().await?;
    if !tx
        .confirm_subscription(reader, newsletter, requested_at, t)
        .await?
    {
        return Err(spent());
    }
    tx.audit(
        &Actor::Reader { id: reader },
        "newsletter.confirmed",
        None,
        &nl.slug,
        t,
    )
    .await?;
    tx.commit().await?;
    if let Some(r) = app.store().reader_by_id(reader).await? {
        welcome(app, &r.email, reader, &nl).await?;
    }
    Ok(nl.name)
}

async fn welcome(app: &App, email: &str, reader: i64, nl: &NewsletterRow) -> Result<()> {
    let unsubscribe = unsubscribe_url(app, reader, nl.id).await?;
    let paper = &app.config().name;
    let when = format!("every day at {:02}:00", nl.send_hour);
    let centre = site_link(app, "/account/newsletters");
    let text = format!(
        "Welcome to {name} from {paper}.\n\n{desc}\n\nIt comes {when} when there is something new. Choose your newsletters: {centre}\nUnsubscribe: {unsubscribe}\n",
        name = nl.name,
        desc = nl.description,
    );
    let html = WelcomeMail {
        paper,
        name: &nl.name,
        description: &nl.description,
        when: &when,
        centre: &centre,
        unsubscribe: &unsubscribe,
    }
    .render()
    .map_err(|e| AppError::Internal(format!("welcome mail: {e}")))?;
    let mail = ListMail {
        to: email.to_string(),
        subject: format!("Welcome to {}", nl.name),
        text,
        html,
        list_id: list_id(app, nl),
        unsubscribe,
        message_id: format!("<welcome.{}.{}.{}@broadsheet>", nl.id, reader, now()),
    };
    let mailer = app.mailer().clone();
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            if let Err(e) = mailer.send_list(&mail).await {
                tracing::error!(error = %e, "welcome mail not sent");
            }
        });
    }
    Ok(())
}

/// Follows an unsubscribe link (RFC 8058 one-click, or the page's button).
/// Leaving twice is fine. Returns the newsletter's name.
pub async fn unsubscribe(app: &App, token: &str, via: &str) -> Result<String> {
    let Some(Link::Unsubscribe { reader, newsletter }) = read_link(app, token).await? else {
        return Err(invalid(
            "This unsubscribe link is not one of ours or was cut short: open the whole link from the email, or choose your newsletters in your account.",
        ));
    };
    let nl =
        app.store().newsletter(newsletter).await?.ok_or_else(|| {
            invalid("That newsletter no longer exists: nothing more will be sent.")
        })?;
    let t = now();
    let mut tx = app.store().begin().await?;
    if tx.end_subscription(reader, newsletter, via, t).await? {
        tx.audit(
            &Actor::Reader { id: reader },
            "newsletter.left",
            None,
            &format!("{} ({via})", nl.slug),
            t,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(nl.name)
}

// ----- building issues ------------------------------------------------------------

/// What the next issue covers: stories published from `since` to `until`
/// (both included) that the last issue did not carry (`carried`), so a
/// story published in the second an issue was built is in the next one.
struct Window {
    since: i64,
    until: i64,
    carried: Vec<i64>,
}

/// The stories a newsletter would carry for `w`, newest first.
async fn stories_for(app: &App, nl: &NewsletterRow, w: &Window) -> Result<Vec<Box<Story>>> {
    let (since, until) = (w.since, w.until);
    let section_path = nl
        .section_id
        .map(|id| app.sections().path(id).to_string())
        .unwrap_or_default();
    let listing = match (Kind::parse(&nl.kind), nl.tag_id) {
        (Some(Kind::Briefing), _) => Listing::All,
        (Some(Kind::Section), _) if !section_path.is_empty() => Listing::SectionTree(&section_path),
        (Some(Kind::Place), Some(tag)) => Listing::Tag(tag),
        _ => return Ok(Vec::new()),
    };
    let cards = app.cards(listing, 60, 0).await?;
    let mut out = Vec::new();
    for c in cards
        .into_iter()
        .filter(|c| c.published_at >= since && c.published_at <= until)
        .filter(|c| !w.carried.contains(&c.id))
    {
        if out.len() >= STORIES_PER_ISSUE {
            break;
        }
        if let StoryLookup::Found(s) = app.published_story(c.id).await? {
            out.push(s);
        }
    }
    Ok(out)
}

/// The window the next issue of `nl` covers, ending `until`.
async fn next_window(app: &App, nl: &NewsletterRow, until: i64) -> Result<Window> {
    let (since, carried) = match app.store().last_window(nl.id).await? {
        Some((end, ids)) => (
            end,
            ids.split_whitespace()
                .filter_map(|s| s.parse().ok())
                .collect(),
        ),
        None => (until - 86_400, Vec::new()),
    };
    Ok(Window {
        since: since.max(until - MAX_WINDOW_SECS),
        until,
        carried,
    })
}

fn subject_of(nl: &NewsletterRow, stories: &[Box<Story>]) -> String {
    match stories.first() {
        Some(s) => format!("{}: {}", nl.name, s.headline),
        None => nl.name.clone(),
    }
}

/// Builds the issues due now (each newsletter once a day, at its hour in
/// the paper's zone): one node makes each (the unique period), fixes its
/// recipients, or records it skipped when nothing is new. Returns how
/// many issues it made.
pub async fn build_due(app: &App, t: i64) -> Result<usize> {
    let (date, hour) = broadsheet_domain::time::local_date_hour(t, &app.config().time_zone);
    let mut made = 0;
    for nl in app.store().newsletters().await? {
        if !nl.active {
            continue;
        }
        let Some(period) = rules::due_period(&date, hour, nl.send_hour) else {
            continue;
        };
        if app.store().last_period(nl.id).await?.as_deref() == Some(period.as_str()) {
            continue;
        }
        if build_issue(app, &nl, &period, t).await?.is_some() {
            made += 1;
        }
    }
    Ok(made)
}

/// Builds `nl`'s issue for `period` now (the job, or the command line):
/// its id, or `None` when another node built it first.
pub async fn build_issue(
    app: &App,
    nl: &NewsletterRow,
    period: &str,
    t: i64,
) -> Result<Option<i64>> {
    let window = next_window(app, nl, t).await?;
    let stories = stories_for(app, nl, &window).await?;
    let ids: Vec<String> = stories.iter().map(|s| s.id.to_string()).collect();
    let status = if stories.is_empty() {
        "skipped"
    } else {
        "sending"
    };
    let mut tx = app.store().begin().await?;
    let Some(issue) = tx
        .insert_issue(
            nl.id,
            period,
            status,
            &subject_of(nl, &stories),
            &ids.join(" "),
            (window.since, window.until),
            t,
        )
        .await?
    else {
        return Ok(None);
    };
    let recipients = if stories.is_empty() {
        0
    } else {
        tx.queue_issue(issue, nl.id, t).await?
    };
    tx.audit(
        &Actor::Scheduler,
        "newsletter.issue",
        None,
        &format!(
            "{} {period}: {} ({} stories, {recipients} recipients)",
            nl.slug,
            status,
            stories.len()
        ),
        t,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(newsletter = %nl.slug, period, status, stories = stories.len(), recipients, "newsletter issue built");
    Ok(Some(issue))
}

// ----- rendering --------------------------------------------------------------------

/// One story as an issue shows it to one kind of reader.
#[derive(Debug, Clone)]
pub struct Item {
    pub headline: String,
    pub standfirst: String,
    /// The opening paragraph, as plain text: only when the reader may read
    /// the story (free, or entitled); `None` for a paid story they may not.
    pub excerpt: Option<String>,
    /// A paid story (labelled for subscribers).
    pub paid: bool,
    /// Where the headline leads (through the click counter in a sent issue).
    pub href: String,
}

/// An issue rendered for one kind of reader (entitled or not); the
/// unsubscribe link is put in per recipient.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "newsletter_issue.html")]
struct IssueMail<'a> {
    paper: &'a str,
    name: &'a str,
    date: &'a str,
    items: &'a [Item],
    centre: &'a str,
    unsubscribe: &'a str,
    /// The aggregate open counter's image (sent issues only).
    pixel: Option<String>,
}

#[derive(Template)]
#[template(path = "newsletter_welcome.html")]
struct WelcomeMail<'a> {
    paper: &'a str,
    name: &'a str,
    description: &'a str,
    when: &'a str,
    centre: &'a str,
    unsubscribe: &'a str,
}

/// The excerpt `subscriber` may have of `story`: the gate decides (as for
/// a reader with no meter: a metered story is not counted from a mail).
async fn excerpt(
    app: &App,
    story: &Story,
    subscriber: bool,
    t: i64,
) -> Result<(Option<String>, bool)> {
    let access = entitlement::effective_access(app, story).await?;
    let reader = entitlement::Reader {
        subscriber,
        ..Default::default()
    };
    let decision = entitlement::decide_in_memory(
        app,
        GateInfo {
            story_id: story.id,
            access,
        },
        &reader,
        t,
    )
    .map(|v| v.decision)
    .unwrap_or(Decision::Cut);
    let paid = access != Access::Free;
    if paid && decision == Decision::Cut {
        return Ok((None, true));
    }
    let gated = entitlement::gate(story, decision, app.config().preview_paragraphs);
    let (lead, _) = markup::lead_paragraphs(&gated.markup, 1);
    let text = markup::plain_text(&lead, 600);
    Ok(((!text.trim().is_empty()).then_some(text), paid))
}

/// Renders an issue of `nl` with `stories` for a subscriber or not.
/// `issue`: the sent issue (links count clicks, an image counts opens);
/// `None` for a preview.
async fn render(
    app: &App,
    nl: &NewsletterRow,
    issue: Option<i64>,
    stories: &[Box<Story>],
    subscriber: bool,
    date: &str,
    t: i64,
) -> Result<Rendered> {
    let mut items = Vec::with_capacity(stories.len());
    for s in stories {
        let (excerpt, paid) = excerpt(app, s, subscriber, t).await?;
        let href = match issue {
            Some(i) => site_link(app, &format!("/newsletters/c/{i}/{}", s.id)),
            None => site_link(
                app,
                &permalink::story_path(app.sections().path(s.section_id), &s.slug, s.id),
            ),
        };
        items.push(Item {
            headline: s.headline.clone(),
            standfirst: s.standfirst.clone(),
            excerpt,
            paid,
            href,
        });
    }
    let paper = &app.config().name;
    let centre = site_link(app, "/account/newsletters");
    let mut text = format!("{}\n{paper}, {date}\n\n", nl.name);
    for it in &items {
        text.push_str(&it.headline);
        text.push('\n');
        if !it.standfirst.is_empty() {
            text.push_str(&it.standfirst);
            text.push('\n');
        }
        match &it.excerpt {
            Some(e) => {
                text.push('\n');
                text.push_str(e);
                text.push('\n');
            }
            None if it.paid => text.push_str("(For subscribers.)\n"),
            None => {}
        }
        text.push_str(&it.href);
        text.push_str("\n\n");
    }
    text.push_str(&format!(
        "--\nYou receive {} because you asked for it. Choose your newsletters: {centre}\nUnsubscribe: {UNSUBSCRIBE_SLOT}\n",
        nl.name
    ));
    let html = IssueMail {
        paper,
        name: &nl.name,
        date,
        items: &items,
        centre: &centre,
        unsubscribe: UNSUBSCRIBE_SLOT,
        pixel: issue.map(|i| site_link(app, &format!("/newsletters/o/{i}.gif"))),
    }
    .render()
    .map_err(|e| AppError::Internal(format!("newsletter: {e}")))?;
    Ok(Rendered {
        subject: subject_of(nl, stories),
        text,
        html,
        items,
    })
}

// ----- sending ----------------------------------------------------------------------

/// An issue's stories as they stand now (a story withdrawn since the issue
/// was built is left out).
async fn issue_stories(app: &App, issue: &IssueRow) -> Result<Vec<Box<Story>>> {
    let mut out = Vec::new();
    for id in issue
        .story_ids
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
    {
        if let StoryLookup::Found(s) = app.published_story(id).await? {
            out.push(s);
        }
    }
    Ok(out)
}

/// Sends the messages due now (one batch), at the configured rate.
/// Returns how many were handed to the mail server.
pub async fn send_due(app: &App) -> Result<usize> {
    Ok(send_batch(app).await?.1)
}

/// One batch: (messages claimed, messages sent).
async fn send_batch(app: &App) -> Result<(usize, usize)> {
    let t = now();
    let (_, interrupted) = app.store().release_lost_sends(t).await?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "newsletter messages were being sent when a node stopped: not sent again"
        );
    }
    let cfg = app.config().newsletters.clone();
    let jobs = app
        .store()
        .claim_sends(t, t + CLAIM_SECS, cfg.batch.max(1))
        .await?;
    let claimed = jobs.len();
    if jobs.is_empty() {
        app.store().finish_issues(now()).await?;
        return Ok((0, 0));
    }
    let signing = link_key(app).await?;
    // The pace: one message every `gap`, the time spent on each included.
    let gap = Duration::from_secs_f64(1.0 / f64::from(cfg.per_second.max(1)));
    let mut next = tokio::time::Instant::now();
    // A message handed over and accepted, whose `sent` is not yet written.
    let mut delivered: Option<(i64, i64, i64)> = None;
    let mut rendered: HashMap<(i64, bool), (NewsletterRow, Rendered)> = HashMap::new();
    let mut sent = 0;
    for job in jobs {
        let t = now();
        if app.store().is_suppressed(&job.email).await? {
            app.store()
                .move_send(
                    job.issue_id,
                    job.reader_id,
                    "claimed",
                    "suppressed",
                    job.attempts,
                    t,
                    Some("address suppressed"),
                    t,
                )
                .await?;
            continue;
        }
        let subscriber = crate::readers::is_subscriber(app, job.reader_id, t)
            .await
            .map_err(|e| AppError::Internal(format!("newsletter: {e}")))?;
        let key = (job.issue_id, subscriber);
        if let std::collections::hash_map::Entry::Vacant(slot) = rendered.entry(key) {
            let (Some(issue), Some(nl)) = (
                app.store().issue(job.issue_id).await?,
                app.store().newsletter(job.newsletter_id).await?,
            ) else {
                app.store()
                    .move_send(
                        job.issue_id,
                        job.reader_id,
                        "claimed",
                        "failed",
                        job.attempts,
                        t,
                        Some("the issue or its newsletter is gone"),
                        t,
                    )
                    .await?;
                continue;
            };
            let stories = issue_stories(app, &issue).await?;
            let date = broadsheet_domain::time::show(issue.built_at, &app.config().time_zone).date;
            let r = render(app, &nl, Some(issue.id), &stories, subscriber, &date, t).await?;
            slot.insert((nl, r));
        }
        let Some((nl, r)) = rendered.get(&key) else {
            continue;
        };
        // Committed before the message goes: after a crash it is not sent
        // again. The previous message's `sent` rides in the same commit.
        let mut tx = app.store().begin().await?;
        if let Some((i, r, a)) = delivered.take() {
            tx.move_send(i, r, "sending", "sent", a, t, None, t).await?;
        }
        let going = tx
            .move_send(
                job.issue_id,
                job.reader_id,
                "claimed",
                "sending",
                job.attempts,
                t,
                None,
                t,
            )
            .await?;
        tx.commit().await?;
        if !going {
            continue;
        }
        let unsubscribe = unsubscribe_url_with(app, &signing, job.reader_id, nl.id);
        let mail = ListMail {
            to: job.email.clone(),
            subject: r.subject.clone(),
            text: r.text.replace(UNSUBSCRIBE_SLOT, &unsubscribe),
            html: r.html.replace(UNSUBSCRIBE_SLOT, &unsubscribe),
            list_id: list_id(app, nl),
            unsubscribe,
            message_id: format!("<issue.{}.{}@broadsheet>", job.issue_id, job.reader_id),
        };
        let attempts = job.attempts + 1;
        match app.mailer().send_list(&mail).await {
            Ok(()) => {
                delivered = Some((job.issue_id, job.reader_id, attempts));
                sent += 1;
            }
            Err(e) if e.permanent => {
                let detail = e.detail.chars().take(300).collect::<String>();
                app.store()
                    .move_send(
                        job.issue_id,
                        job.reader_id,
                        "sending",
                        "failed",
                        attempts,
                        t,
                        Some(&detail),
                        now(),
                    )
                    .await?;
                let mut tx = app.store().begin().await?;
                if tx
                    .suppress(&job.email, "bounce", &detail, None, now())
                    .await?
                {
                    tx.audit(
                        &Actor::Scheduler,
                        "newsletter.suppressed",
                        None,
                        &format!("a reader's address: bounce ({detail})"),
                        now(),
                    )
                    .await?;
                }
                tx.commit().await?;
                metrics::counter!("broadsheet_newsletter_bounced_total").increment(1);
            }
            Err(e) => {
                let detail = e.detail.chars().take(300).collect::<String>();
                let (to, next) = if attempts >= cfg.max_attempts {
                    ("failed", now())
                } else {
                    ("queued", now() + 60 * (1 << attempts.min(10)))
                };
                app.store()
                    .move_send(
                        job.issue_id,
                        job.reader_id,
                        "sending",
                        to,
                        attempts,
                        next,
                        Some(&detail),
                        now(),
                    )
                    .await?;
                tracing::warn!(issue = job.issue_id, error = %detail, to, "newsletter message not sent");
            }
        }
        next += gap;
        tokio::time::sleep_until(next).await;
    }
    if let Some((i, r, a)) = delivered {
        let t = now();
        app.store()
            .move_send(i, r, "sending", "sent", a, t, None, t)
            .await?;
    }
    app.store().finish_issues(now()).await?;
    Ok((claimed, sent))
}

/// The newsletter job: builds what is due each minute, sends what is
/// queued (a full batch is followed by the next at once; otherwise it
/// looks again in 2 s).
pub async fn send_loop(app: App, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut last_build = 0;
    let mut more = false;
    loop {
        if !more {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = shutdown.changed() => return,
            }
        } else if shutdown.has_changed().unwrap_or(true) {
            return;
        }
        let t = now();
        if t - last_build >= 60 {
            last_build = t;
            if let Err(e) = build_due(&app, t).await {
                tracing::warn!(error = %e, "building newsletter issues");
            }
        }
        more = match send_batch(&app).await {
            Ok((claimed, _)) => claimed as i64 >= app.config().newsletters.batch.max(1),
            Err(e) => {
                tracing::warn!(error = %e, "sending newsletters");
                false
            }
        };
    }
}

// ----- counting (aggregate only) ------------------------------------------------

/// Counts an open of an issue (the image in its HTML). No reader is recorded.
pub async fn opened(app: &App, issue: i64) -> Result<()> {
    app.store().count_open(issue).await?;
    Ok(())
}

/// Counts a click on a story in an issue and says where it leads: the
/// story's page, or the home page if it is gone. No reader is recorded.
pub async fn clicked(app: &App, issue: i64, story: i64) -> Result<String> {
    let StoryLookup::Found(s) = app.published_story(story).await? else {
        return Ok("/".into());
    };
    app.store().count_click(issue, story).await?;
    Ok(permalink::story_path(
        app.sections().path(s.section_id),
        &s.slug,
        s.id,
    ))
}

// ----- the newsroom -------------------------------------------------------------------

/// One newsletter on the newsroom's page.
#[derive(Debug, Clone)]
pub struct Line {
    pub newsletter: NewsletterRow,
    /// What it covers, in words ("the whole paper", "Sport", "Kelderby").
    pub covers: String,
    pub active_readers: i64,
    pub pending_readers: i64,
}

/// The newsroom's page: newsletters, recent issues with their figures,
/// and the suppression list.
#[derive(Debug, Clone)]
pub struct Overview {
    pub lines: Vec<Line>,
    pub issues: Vec<IssueRow>,
    pub suppressions: Vec<SuppressionRow>,
}

async fn covers(app: &App, nl: &NewsletterRow) -> Result<String> {
    Ok(match Kind::parse(&nl.kind) {
        Some(Kind::Briefing) => "the whole paper".into(),
        Some(Kind::Section) => nl
            .section_id
            .and_then(|id| app.sections().get(id).map(|s| s.name.clone()))
            .unwrap_or_else(|| "a section that is gone".into()),
        Some(Kind::Place) => match nl.tag_id {
            Some(id) => app
                .store()
                .tag_name(id)
                .await?
                .unwrap_or_else(|| "a tag that is gone".into()),
            None => "a tag that is gone".into(),
        },
        None => nl.kind.clone(),
    })
}

pub async fn overview(app: &App, actor: &Actor) -> Result<Overview> {
    require(actor, Action::ManageNewsletters, "manage newsletters")?;
    let counts: HashMap<i64, (i64, i64)> = app
        .store()
        .subscriber_counts()
        .await?
        .into_iter()
        .map(|(id, a, p)| (id, (a, p)))
        .collect();
    let mut lines = Vec::new();
    for nl in app.store().newsletters().await? {
        let (a, p) = counts.get(&nl.id).copied().unwrap_or_default();
        lines.push(Line {
            covers: covers(app, &nl).await?,
            newsletter: nl,
            active_readers: a,
            pending_readers: p,
        });
    }
    Ok(Overview {
        lines,
        issues: app.store().recent_issues(30).await?,
        suppressions: app.store().suppressions(200).await?,
    })
}

/// Adds a newsletter: a briefing, a section's digest (`target`: the
/// section's path, such as `sport`) or a place's (`target`: the tag's slug).
pub async fn add(
    app: &App,
    actor: &Actor,
    name: &str,
    kind: &str,
    target: &str,
    send_hour: i64,
    description: &str,
) -> Result<i64> {
    require(actor, Action::ManageNewsletters, "manage newsletters")?;
    let name = rules::check(name, send_hour).map_err(invalid)?;
    let kind = Kind::parse(kind).ok_or_else(|| {
        invalid("Choose what the newsletter is made of: a briefing, a section or a place.")
    })?;
    let target = target.trim();
    let (section, tag) = match kind {
        Kind::Briefing => (None, None),
        Kind::Section => {
            let s = app.sections().by_path(target).cloned().ok_or_else(|| {
                invalid(format!(
                    "There is no section {target:?}: give a section's path, such as sport or news/world."
                ))
            })?;
            (Some(s.id), None)
        }
        Kind::Place => {
            let t = app.store().tag_by_slug(target).await?.ok_or_else(|| {
                invalid(format!(
                    "There is no tag {target:?}: give the place's tag as its address has it, such as kelderby."
                ))
            })?;
            (None, Some(t.id))
        }
    };
    let slug = permalink::slugify(&name, 60);
    if slug.is_empty() {
        return Err(invalid(
            "Give the newsletter a name with letters or digits.",
        ));
    }
    let t = now();
    let mut tx = app.store().begin().await?;
    let id = tx
        .insert_newsletter(
            &slug,
            &name,
            description.trim(),
            kind.as_str(),
            section,
            tag,
            send_hour,
            t,
        )
        .await
        .map_err(|e| match e {
            broadsheet_store::StoreError::Conflict(_) => invalid(format!(
                "A newsletter called {name:?} exists already: choose another name."
            )),
            e => e.into(),
        })?;
    tx.audit(
        actor,
        "newsletter.added",
        None,
        &format!("{slug} ({})", kind.as_str()),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Pauses (no more issues are built) or resumes a newsletter.
pub async fn set_active(app: &App, actor: &Actor, id: i64, active: bool) -> Result<()> {
    require(actor, Action::ManageNewsletters, "manage newsletters")?;
    let t = now();
    let mut tx = app.store().begin().await?;
    if !tx.set_newsletter_active(id, active).await? {
        return Err(AppError::NotFound("There is no such newsletter.".into()));
    }
    tx.audit(
        actor,
        if active {
            "newsletter.resumed"
        } else {
            "newsletter.paused"
        },
        None,
        &id.to_string(),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Puts an address on the suppression list (a complaint, or by hand).
pub async fn suppress(app: &App, actor: &Actor, email: &str, reason: &str) -> Result<()> {
    require(actor, Action::ManageNewsletters, "manage newsletters")?;
    let email = email.trim().to_lowercase();
    if email.len() > 254 || email.parse::<lettre::Address>().is_err() {
        return Err(invalid(format!(
            "{email:?} is not an email address: give one such as reader@example.com."
        )));
    }
    let reason = match reason {
        "complaint" | "bounce" | "manual" => reason,
        _ => return Err(invalid("Say why: a complaint, a bounce, or by hand.")),
    };
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.suppress(&email, reason, "added in the newsroom", actor.id(), t)
        .await?;
    tx.audit(
        actor,
        "newsletter.suppressed",
        None,
        &format!("an address: {reason}"),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes an address off the suppression list.
pub async fn unsuppress(app: &App, actor: &Actor, email: &str) -> Result<()> {
    require(actor, Action::ManageNewsletters, "manage newsletters")?;
    let email = email.trim().to_lowercase();
    let t = now();
    let mut tx = app.store().begin().await?;
    if !tx.unsuppress(&email).await? {
        return Err(AppError::NotFound(
            "That address is not on the list.".into(),
        ));
    }
    tx.audit(actor, "newsletter.unsuppressed", None, "an address", t)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The next issue of a newsletter as it would be built now, for a reader
/// who is a subscriber or not (the newsroom's preview; nothing is sent
/// or counted).
#[derive(Debug, Clone)]
pub struct Preview {
    pub newsletter: NewsletterRow,
    pub rendered: Rendered,
    pub window: (i64, i64),
    /// Nothing new: the issue would be skipped.
    pub empty: bool,
}

pub async fn preview(app: &App, actor: &Actor, id: i64, subscriber: bool) -> Result<Preview> {
    require(actor, Action::ManageNewsletters, "preview newsletters")?;
    let nl = app
        .store()
        .newsletter(id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such newsletter.".into()))?;
    let t = now();
    let window = next_window(app, &nl, t).await?;
    let stories = stories_for(app, &nl, &window).await?;
    let date = broadsheet_domain::time::show(t, &app.config().time_zone).date;
    let mut rendered = render(app, &nl, None, &stories, subscriber, &date, t).await?;
    rendered.text = rendered
        .text
        .replace(UNSUBSCRIBE_SLOT, "(the reader's own link)");
    rendered.html = rendered.html.replace(UNSUBSCRIBE_SLOT, "#unsubscribe");
    Ok(Preview {
        newsletter: nl,
        empty: stories.is_empty(),
        rendered,
        window: (window.since, window.until),
    })
}

/// A reader's subscriptions with their records of consent (the export).
pub async fn consent_records(app: &App, reader: i64) -> Result<serde_json::Value> {
    let names: HashMap<i64, String> = app
        .store()
        .newsletters()
        .await?
        .into_iter()
        .map(|n| (n.id, n.slug))
        .collect();
    let rows = app.store().reader_subscriptions(reader).await?;
    Ok(serde_json::Value::Array(
        rows.into_iter()
            .map(|s| {
                serde_json::json!({
                    "newsletter": names.get(&s.newsletter_id),
                    "status": s.status,
                    "consent_text": s.consent_text,
                    "requested_at": s.requested_at,
                    "requested_via": s.requested_via,
                    "confirmed_at": s.confirmed_at,
                    "unsubscribed_at": s.unsubscribed_at,
                    "unsubscribed_via": s.unsubscribed_via,
                })
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_read_back_only_with_their_signature() {
        let key = "k".repeat(64);
        let c = Link::Confirm {
            reader: 7,
            newsletter: 2,
            requested_at: 1_800_000_000,
        };
        let u = Link::Unsubscribe {
            reader: 7,
            newsletter: 2,
        };
        assert_eq!(Link::parse(&c.token(&key), &key), Some(c));
        assert_eq!(Link::parse(&u.token(&key), &key), Some(u));
        // Another reader's number with the same signature is refused.
        let forged = u.token(&key).replacen("u.7.", "u.8.", 1);
        assert_eq!(Link::parse(&forged, &key), None);
        assert_eq!(Link::parse(&u.token(&key), &"x".repeat(64)), None);
        assert_eq!(Link::parse("u.7.2", &key), None);
        assert_eq!(Link::parse("", &key), None);
    }
}
