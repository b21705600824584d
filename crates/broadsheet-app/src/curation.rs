//! Front-page curation (issue 11 item 2): editors arrange the home page and
//! each section front, and readers get that order.
//!
//! A front (0: the home page; else a section's id) has a lead slot
//! (position 0) and `front_top_slots` top slots (1..). An editor places a
//! published story in a slot, moves slots up and down, empties one, or
//! sends a breaking story to the lead (everything below moves down one,
//! and the story's breaking banner goes up). A placement may be pinned
//! until a time: then a job removes it and the slot falls back to the
//! newest. Every change is [`arrange`]: the permission table
//! (`ArrangeFronts`), the front's row locked, the new slots, the audit row
//! and a change event naming `arrangement-<front>` in one transaction; every
//! node purges the pages carrying that key (the front; for a top section,
//! also the home page, whose block for it follows its order) within its
//! next poll, this node at once.
//!
//! Readers get [`front_cards`]: on page 1 the slots in order, a slot whose
//! story is no longer published (withdrawn, unpublished) or whose pin ran
//! out filled by the newest story not shown elsewhere on the page, then the
//! rest by newest; later pages continue the newest without the arranged
//! stories, so nothing is shown twice or skipped.

use broadsheet_domain::permissions::Action;
use broadsheet_domain::{Actor, StoryCard};
use broadsheet_store::{FrontSlot, Listing};

use crate::keys::{self, Key};
use crate::newsroom::require;
use crate::{App, AppError, Result, now};

/// The home page's front number; a section front's is the section's id.
pub const HOME: i64 = 0;

/// One change an editor makes to a front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Put `story` in slot `position` (0: the lead), replacing what was
    /// there; if it is elsewhere on this front it moves. `until`: a pin's end.
    Place {
        story: i64,
        position: i64,
        until: Option<i64>,
    },
    /// Empty slot `position` (the newest fills it).
    Remove { position: i64 },
    /// Swap slot `position` with the one above (`up`) or below it.
    Move { position: i64, up: bool },
    /// `story` takes the lead now: the slots below move down one (the last
    /// falls off), and the story is flagged breaking (the site banner).
    Breaking { story: i64, until: Option<i64> },
}

/// How many slots a front has: the lead and the top slots.
pub fn slot_count(app: &App) -> i64 {
    1 + i64::try_from(app.config().front_top_slots).unwrap_or(6)
}

/// The listing a front is filled from, and its name.
fn front_of(app: &App, front: i64) -> Result<(String, Option<String>)> {
    if front == HOME {
        return Ok(("Home page".into(), None));
    }
    match app.sections().get(front) {
        Some(s) => Ok((s.name.clone(), Some(s.path.clone()))),
        None => Err(AppError::NotFound(format!(
            "There is no front {front}: choose the home page or a section."
        ))),
    }
}

fn listing(path: &Option<String>) -> Listing<'_> {
    match path {
        Some(p) => Listing::SectionTree(p),
        None => Listing::All,
    }
}

/// The keys a change to `front` purges: its arrangement only (pages that
/// show it carry that key).
fn keys_of(front: i64) -> Vec<Key> {
    vec![Key::Arrangement(front)]
}

/// Checks that `story` is published and belongs on `front` (a section
/// front shows its own section and the sections below it).
async fn check_story(app: &App, front: i64, story: i64) -> Result<StoryCard> {
    let Some(card) = app.store().cards_by_ids(&[story]).await?.into_iter().next() else {
        return Err(AppError::Invalid(format!(
            "Story {story} is not published: only published stories can be placed on a front."
        )));
    };
    if front != HOME
        && !app
            .sections()
            .ancestry(card.section_id)
            .iter()
            .any(|s| s.id == front)
    {
        return Err(AppError::Invalid(format!(
            "\u{201c}{}\u{201d} is not in this section: a section front shows its own stories. Place it on the home page or on its own section's front.",
            card.headline
        )));
    }
    Ok(card)
}

fn check_position(app: &App, position: i64) -> Result<()> {
    let n = slot_count(app);
    if !(0..n).contains(&position) {
        return Err(AppError::Invalid(format!(
            "There is no slot {position}: a front has the lead (0) and top slots 1 to {}.",
            n - 1
        )));
    }
    Ok(())
}

fn check_until(until: Option<i64>, t: i64) -> Result<()> {
    match until {
        Some(u) if u <= t => Err(AppError::Invalid(
            "The pin ends in the past: choose a later time, or leave it empty to keep the story there until you change it.".into(),
        )),
        _ => Ok(()),
    }
}

/// The one door for arranging a front: `ArrangeFronts`, then the change
/// applied to the stored slots (read under the front's lock), audit row and
/// change event in one transaction; every node purges the front.
pub async fn arrange(app: &App, actor: &Actor, front: i64, change: Change) -> Result<()> {
    require(
        actor,
        Action::ArrangeFronts,
        "arrange the home page and section fronts",
    )?;
    let (name, _) = front_of(app, front)?;
    let t = now();
    let n = slot_count(app);
    let mut extra_keys = Vec::new();
    let detail;
    match change {
        Change::Place {
            story,
            position,
            until,
        } => {
            check_position(app, position)?;
            check_until(until, t)?;
            check_story(app, front, story).await?;
            detail = format!(
                "{name}: story {story} in slot {position}{}",
                pin_text(until)
            );
        }
        Change::Breaking { story, until } => {
            check_until(until, t)?;
            check_story(app, front, story).await?;
            detail = format!(
                "{name}: story {story} to the lead, breaking{}",
                pin_text(until)
            );
            // The banner is a shared page part; the story's own pages show the flag.
            extra_keys.extend([Key::Rankings, Key::Story(story)]);
        }
        Change::Remove { position } => {
            check_position(app, position)?;
            detail = format!("{name}: slot {position} emptied");
        }
        Change::Move { position, up } => {
            check_position(app, position)?;
            let other = if up { position - 1 } else { position + 1 };
            if !(0..n).contains(&other) {
                return Err(AppError::Invalid(
                    "That slot is already at that end of the front.".into(),
                ));
            }
            detail = format!("{name}: slot {position} {}", if up { "up" } else { "down" });
        }
    }
    let mut tx = app.store().begin().await?;
    tx.lock_front(front).await?;
    let mut slots = tx.front_slots(front).await?;
    // Pins that ran out are gone whatever this change is.
    slots.retain(|s| s.pinned_until.is_none_or(|u| u > t) && s.position < n);
    match change {
        Change::Place {
            story,
            position,
            until,
        } => {
            slots.retain(|s| s.story_id != story && s.position != position);
            slots.push(FrontSlot {
                position,
                story_id: story,
                pinned_until: until,
            });
        }
        Change::Breaking { story, until } => {
            slots.retain(|s| s.story_id != story);
            for s in &mut slots {
                s.position += 1;
            }
            slots.retain(|s| s.position < n);
            slots.push(FrontSlot {
                position: 0,
                story_id: story,
                pinned_until: until,
            });
            if !tx.flag_breaking(story).await? {
                return Err(AppError::Invalid(format!(
                    "Story {story} is no longer published: it cannot take the lead."
                )));
            }
        }
        Change::Remove { position } => {
            let before = slots.len();
            slots.retain(|s| s.position != position);
            if slots.len() == before {
                return Err(AppError::Invalid(
                    "That slot is already filled by the newest story: there is nothing to remove."
                        .into(),
                ));
            }
        }
        Change::Move { position, up } => {
            let other = if up { position - 1 } else { position + 1 };
            for s in &mut slots {
                if s.position == position {
                    s.position = other;
                } else if s.position == other {
                    s.position = position;
                }
            }
        }
    }
    slots.sort_by_key(|s| s.position);
    tx.set_front_slots(front, &slots, t).await?;
    tx.audit(actor, "arrange-front", None, &detail, t).await?;
    let mut k = keys_of(front);
    k.extend(extra_keys);
    tx.change(&keys::join(&k), t).await?;
    tx.commit().await?;
    app.apply_changes().await?;
    Ok(())
}

fn pin_text(until: Option<i64>) -> String {
    match until {
        Some(u) => format!(", pinned until {u}"),
        None => String::new(),
    }
}

/// Removes pins that ran out and announces each front that lost one (the
/// job runs it every second on every node; each pin is removed, and
/// announced, once). Returns how many fronts changed.
pub async fn expire_pins(app: &App) -> Result<usize> {
    let t = now();
    let mut tx = app.store().begin().await?;
    let fronts = tx.expire_pins(t).await?;
    if fronts.is_empty() {
        return Ok(0);
    }
    let mut k = Vec::new();
    for f in &fronts {
        k.extend(keys_of(*f));
        tx.audit(
            &Actor::Scheduler,
            "pin-ended",
            None,
            &format!("front {f}: a pinned story's time ran out"),
            t,
        )
        .await?;
    }
    tx.change(&keys::join(&k), t).await?;
    tx.commit().await?;
    app.apply_changes().await?;
    Ok(fronts.len())
}

/// Ends pins on time (checked every second).
pub(crate) async fn expiry_loop(app: App, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        if let Err(e) = expire_pins(&app).await {
            tracing::warn!(error = %e, "ending front-page pins failed; will retry");
        }
    }
}

/// The arranged stories of `front` that readers may see now, by slot:
/// published, in place, pin not run out.
async fn live_slots(app: &App, front: i64, path: &Option<String>) -> Result<Vec<(i64, StoryCard)>> {
    let t = now();
    let n = slot_count(app);
    let slots: Vec<FrontSlot> = app
        .store()
        .front_slots(front)
        .await?
        .into_iter()
        .filter(|s| s.position < n && s.pinned_until.is_none_or(|u| u > t))
        .collect();
    if slots.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = slots.iter().map(|s| s.story_id).collect();
    let cards = app.store().cards_by_ids(&ids).await?;
    let sections = app.sections();
    let mut out = Vec::with_capacity(slots.len());
    for s in slots {
        let Some(c) = cards.iter().find(|c| c.id == s.story_id) else {
            continue; // withdrawn or unpublished: it leaves its slot.
        };
        if path.is_some()
            && !sections
                .ancestry(c.section_id)
                .iter()
                .any(|sec| sec.id == front)
        {
            continue; // moved to another section since.
        }
        out.push((s.position, c.clone()));
    }
    Ok(out)
}

/// What a front shows on page `page` (1-based, `per` stories a page): on
/// page 1 the lead, the top slots, then the rest by newest; a slot nobody
/// arranged (or whose story left) takes the newest story not already on
/// the page (for the lead with `picture_lead`, the newest with a picture).
/// Later pages continue the newest, leaving out the arranged stories.
pub async fn front_cards(
    app: &App,
    front: i64,
    per: i64,
    page: i64,
    picture_lead: bool,
) -> Result<Vec<StoryCard>> {
    let (_, path) = front_of(app, front)?;
    let live = live_slots(app, front, &path).await?;
    let arranged: Vec<i64> = live.iter().map(|(_, c)| c.id).collect();
    let k = i64::try_from(arranged.len()).unwrap_or(0);
    let list = listing(&path);
    if page > 1 {
        return Ok(app
            .store()
            .cards_except(list, &arranged, per, (page - 1) * per - k)
            .await?);
    }
    let mut newest = app
        .store()
        .cards_except(list, &arranged, (per - k).max(0), 0)
        .await?;
    let n = slot_count(app);
    let mut out: Vec<StoryCard> = Vec::with_capacity(usize::try_from(per).unwrap_or(0));
    for pos in 0..n {
        if let Some((_, c)) = live.iter().find(|(p, _)| *p == pos) {
            out.push(c.clone());
            continue;
        }
        if newest.is_empty() {
            continue;
        }
        let i = if pos == 0 && picture_lead {
            newest.iter().position(|c| c.picture.is_some()).unwrap_or(0)
        } else {
            0
        };
        out.push(newest.remove(i));
    }
    out.extend(newest);
    out.truncate(usize::try_from(per).unwrap_or(0));
    Ok(out)
}

/// The keys of a page showing `front`'s arrangement.
pub fn page_key(front: i64) -> Key {
    Key::Arrangement(front)
}

// ----- the newsroom's view ----------------------------------------------------------

/// A front as the newsroom's list of fronts names it.
pub struct FrontName {
    pub id: i64,
    pub name: String,
}

/// Every front an editor can arrange: the home page, then the sections in
/// tree order.
pub fn fronts(app: &App, actor: &Actor) -> Result<Vec<FrontName>> {
    require(
        actor,
        Action::ArrangeFronts,
        "arrange the home page and section fronts",
    )?;
    let sections = app.sections();
    let mut out = vec![FrontName {
        id: HOME,
        name: "Home page".into(),
    }];
    for top in sections.top() {
        out.push(FrontName {
            id: top.id,
            name: top.name.clone(),
        });
        for c in sections.children(top.id) {
            out.push(FrontName {
                id: c.id,
                name: format!("{} › {}", top.name, c.name),
            });
        }
    }
    Ok(out)
}

/// One slot as the newsroom shows it.
pub struct SlotView {
    pub position: i64,
    /// The story readers see there now.
    pub card: Option<StoryCard>,
    /// An editor placed it (else the newest fills the slot).
    pub arranged: bool,
    pub pinned_until: Option<i64>,
    /// Arranged, but its story is no longer published (or no longer in the
    /// section): readers see the newest instead.
    pub left: Option<i64>,
}

/// What the arrangement page of one front shows.
pub struct FrontDesk {
    pub id: i64,
    pub name: String,
    pub slots: Vec<SlotView>,
    /// Published stories of this front matching the search (newest first).
    pub results: Vec<StoryCard>,
    pub q: String,
}

/// The arrangement of `front` as readers see it now, and the stories
/// matching `q` to choose from.
pub async fn front_desk(app: &App, actor: &Actor, front: i64, q: &str) -> Result<FrontDesk> {
    require(
        actor,
        Action::ArrangeFronts,
        "arrange the home page and section fronts",
    )?;
    let (name, path) = front_of(app, front)?;
    let t = now();
    let stored = app.store().front_slots(front).await?;
    let shown = front_cards(app, front, slot_count(app), 1, front == HOME).await?;
    let live = live_slots(app, front, &path).await?;
    let mut slots = Vec::new();
    for pos in 0..slot_count(app) {
        let stored_here = stored
            .iter()
            .find(|s| s.position == pos && s.pinned_until.is_none_or(|u| u > t));
        let is_live = live.iter().any(|(p, _)| *p == pos);
        slots.push(SlotView {
            position: pos,
            card: shown.get(usize::try_from(pos).unwrap_or(0)).cloned(),
            arranged: is_live,
            pinned_until: stored_here.and_then(|s| s.pinned_until),
            left: stored_here.filter(|_| !is_live).map(|s| s.story_id),
        });
    }
    let q: String = q.trim().chars().take(200).collect();
    let results = app.store().search_published(listing(&path), &q, 20).await?;
    Ok(FrontDesk {
        id: front,
        name,
        slots,
        results,
        q,
    })
}

/// Published stories whose headline contains `q`, newest first: what the
/// newsroom's pickers (Editor's Picks) offer. Needs `CurateFront`.
pub async fn find_published(app: &App, actor: &Actor, q: &str) -> Result<Vec<StoryCard>> {
    require(actor, Action::CurateFront, "curate Editor's Picks")?;
    let q: String = q.trim().chars().take(200).collect();
    Ok(app.store().search_published(Listing::All, &q, 20).await?)
}
