//! The story state machine: every status change a story may make, as one
//! table of (from, to, move, what it needs). Use cases move a story only
//! along a row of [`STEPS`], after [`check`] says this actor may.
//!
//! ```text
//!   draft ──submit──▶ submitted ──publish──▶ published ──withdraw──▶ withdrawn
//!     │  ▲              │  ▲                   ▲   ▲                    │
//!     │  └─return───────┘  │                   │   └──────reinstate─────┘
//!     │  ▲                 └─schedule─▶ scheduled ─publish (scheduler)─┘
//!     │  └──────────return─────────────────┘
//!     └──publish / schedule (someone with publish rights)──▶
//! ```
//!
//! Rules the table encodes:
//! - A story readers have never seen cannot be "withdrawn": there is no
//!   draft/submitted/scheduled → withdrawn row.
//! - Putting a withdrawn story back before readers is its own move,
//!   *reinstate*, needing the same right as withdrawing (an editor's call,
//!   not the reporter's who wrote it).
//! - *Return to draft* is what happens when someone without publish rights
//!   changes a submitted or scheduled story: what the editor reviewed is no
//!   longer what would go out.
//! - The scheduler makes exactly one move: scheduled → published.

use crate::StoryStatus;
use crate::actor::Actor;
use crate::permissions::Action;

/// A named status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Move {
    /// Send a draft to the editors.
    Submit,
    /// Put the story before readers now.
    Publish,
    /// Publish at a set time (or change that time).
    Schedule,
    /// Take a submitted or scheduled story back to draft (it needs review again).
    ReturnToDraft,
    /// Take a published story down (readers get 410 Gone).
    Withdraw,
    /// Put a withdrawn story back before readers.
    Reinstate,
}

impl Move {
    /// The audit log's name for the move (the names older rows used for
    /// the same moves: the status reached).
    pub fn as_str(self) -> &'static str {
        match self {
            Move::Submit => "submitted",
            Move::Publish => "published",
            Move::Schedule => "scheduled",
            Move::ReturnToDraft => "returned-to-draft",
            Move::Withdraw => "withdrawn",
            Move::Reinstate => "reinstated",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Move::Submit => "submit this story",
            Move::Publish => "publish this story",
            Move::Schedule => "schedule this story",
            Move::ReturnToDraft => "return this story to draft",
            Move::Withdraw => "withdraw this story",
            Move::Reinstate => "put this withdrawn story back before readers",
        }
    }
}

/// What a move needs from the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// `own` on a story the actor wrote, or `any` on anyone's (the
    /// object-level rule of `permissions::can_publish_story` and
    /// `can_edit_story`).
    OwnOr { own: Action, any: Action },
    /// `Action` whoever wrote the story.
    Any(Action),
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub from: StoryStatus,
    pub to: StoryStatus,
    pub step: Move,
    pub need: Need,
}

const PUBLISH: Need = Need::OwnOr {
    own: Action::PublishOwn,
    any: Action::PublishAny,
};
const EDIT: Need = Need::OwnOr {
    own: Action::EditOwnDraft,
    any: Action::EditAnyStory,
};

const fn row(from: StoryStatus, to: StoryStatus, step: Move, need: Need) -> Step {
    Step {
        from,
        to,
        step,
        need,
    }
}

use StoryStatus::{Draft, Published, Scheduled, Submitted, Withdrawn};

/// The table: every allowed status change. Anything not here is refused.
pub const STEPS: [Step; 11] = [
    row(
        Draft,
        Submitted,
        Move::Submit,
        Need::OwnOr {
            own: Action::SubmitForReview,
            any: Action::EditAnyStory,
        },
    ),
    row(Draft, Published, Move::Publish, PUBLISH),
    row(Submitted, Published, Move::Publish, PUBLISH),
    row(Scheduled, Published, Move::Publish, PUBLISH),
    row(Draft, Scheduled, Move::Schedule, PUBLISH),
    row(Submitted, Scheduled, Move::Schedule, PUBLISH),
    row(Scheduled, Scheduled, Move::Schedule, PUBLISH),
    row(Submitted, Draft, Move::ReturnToDraft, EDIT),
    row(Scheduled, Draft, Move::ReturnToDraft, EDIT),
    row(
        Published,
        Withdrawn,
        Move::Withdraw,
        Need::Any(Action::Withdraw),
    ),
    row(
        Withdrawn,
        Published,
        Move::Reinstate,
        Need::Any(Action::Withdraw),
    ),
];

/// The row for a status change, if it is allowed at all.
pub fn step(from: StoryStatus, to: StoryStatus) -> Option<&'static Step> {
    STEPS.iter().find(|s| s.from == from && s.to == to)
}

/// Why a status change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No row: no one may make this change.
    NoSuchStep { from: StoryStatus, to: StoryStatus },
    /// The row exists; this actor lacks what it needs.
    Denied(Move),
}

impl Refusal {
    /// Words for the person who asked: what is wrong, and what to do.
    pub fn message(&self) -> String {
        match *self {
            Refusal::NoSuchStep { from, to } if from == to && to == Published => {
                "The story is already published.".into()
            }
            Refusal::NoSuchStep { from, to } if from == to => {
                format!("The story is already {}.", from.as_str())
            }
            Refusal::NoSuchStep { from, to: Withdrawn } => format!(
                "Only a published story can be withdrawn; this one is {} and readers have never seen it. Leave it unpublished instead.",
                from.as_str()
            ),
            Refusal::NoSuchStep {
                from: Withdrawn, ..
            } => "This story was withdrawn: an editor can only put it back before readers (Reinstate)."
                .into(),
            Refusal::NoSuchStep { from, to } => format!(
                "A {} story cannot become {}.",
                from.as_str(),
                to.as_str()
            ),
            Refusal::Denied(m) => format!("Your role does not allow you to {}.", m.verb()),
        }
    }
}

/// Whether `actor` may move a story (`own`: they wrote it) from `from` to
/// `to`; the move it would be, or why not.
pub fn check(
    actor: &Actor,
    own: bool,
    from: StoryStatus,
    to: StoryStatus,
) -> Result<Move, Refusal> {
    let Some(s) = step(from, to) else {
        return Err(Refusal::NoSuchStep { from, to });
    };
    let ok = match (actor, s.need) {
        (Actor::Scheduler, _) => from == Scheduled && to == Published,
        // An agency acts only on stories made from its own items.
        (Actor::Agency { .. }, _) if !own => false,
        (_, Need::OwnOr { own: o, any }) => actor.allows(any) || (own && actor.allows(o)),
        (_, Need::Any(a)) => actor.allows(a),
    };
    if ok {
        Ok(s.step)
    } else {
        Err(Refusal::Denied(s.step))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::{ROLES, Role};

    const ALL: [StoryStatus; 5] = [Draft, Submitted, Scheduled, Published, Withdrawn];

    /// Written out by hand a second time: (from, to, roles allowed on their
    /// own story, roles allowed on someone else's). Anything missing is refused.
    fn expected(from: StoryStatus, to: StoryStatus, role: Role, own: bool) -> bool {
        use Role::*;
        let writers: &[Role] = &[Contributor, Reporter, Editor, Admin];
        let publishers: &[Role] = &[Reporter, Editor, Admin];
        let editors: &[Role] = &[Editor, Admin];
        let (mine, theirs): (&[Role], &[Role]) = match (from, to) {
            (Draft, Submitted) => (writers, editors),
            (Draft | Submitted | Scheduled, Published) => (publishers, editors),
            (Draft | Submitted | Scheduled, Scheduled) => (publishers, editors),
            (Submitted | Scheduled, Draft) => (writers, editors),
            (Published, Withdrawn) | (Withdrawn, Published) => (editors, editors),
            _ => (&[], &[]),
        };
        if own { mine } else { theirs }.contains(&role)
    }

    #[test]
    fn every_step_for_every_role_own_or_not() {
        for from in ALL {
            for to in ALL {
                for role in ROLES {
                    for own in [true, false] {
                        let got = check(&Actor::Staff { id: 1, role }, own, from, to).is_ok();
                        assert_eq!(
                            got,
                            expected(from, to, role, own),
                            "{role} {} {} -> {}",
                            if own { "own" } else { "other's" },
                            from.as_str(),
                            to.as_str()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn machinery_and_outsiders() {
        for from in ALL {
            for to in ALL {
                assert_eq!(
                    check(&Actor::Operator, false, from, to).is_ok(),
                    step(from, to).is_some()
                );
                assert_eq!(
                    check(&Actor::Scheduler, false, from, to).is_ok(),
                    from == Scheduled && to == Published,
                    "{} -> {}",
                    from.as_str(),
                    to.as_str()
                );
                assert!(check(&Actor::Reader { id: 1 }, true, from, to).is_err());
                // An agency: never on a story not made from its items; on its
                // own, taking down and putting back (kill, withhold, a usable
                // version again; a scheduled one back to draft), and
                // publishing and scheduling (embargo) only when it publishes
                // automatically.
                for auto in [false, true] {
                    let agency = Actor::Agency { id: 1, auto };
                    assert!(check(&agency, false, from, to).is_err());
                    let expected = match (from, to) {
                        (Published, Withdrawn) | (Withdrawn, Published) => true,
                        (Draft | Submitted | Scheduled, Published | Scheduled) => auto,
                        (Submitted | Scheduled, Draft) => true,
                        _ => false,
                    };
                    assert_eq!(
                        check(&agency, true, from, to).is_ok(),
                        expected,
                        "agency auto={auto} {} -> {}",
                        from.as_str(),
                        to.as_str()
                    );
                }
            }
        }
    }

    #[test]
    fn each_pair_has_at_most_one_row_and_names_its_move() {
        for s in STEPS {
            assert_eq!(
                STEPS
                    .iter()
                    .filter(|x| x.from == s.from && x.to == s.to)
                    .count(),
                1
            );
        }
        assert_eq!(
            check(&Actor::Operator, false, Withdrawn, Published),
            Ok(Move::Reinstate)
        );
        assert_eq!(
            check(&Actor::Operator, false, Submitted, Published),
            Ok(Move::Publish)
        );
    }

    #[test]
    fn refusals_say_what_to_do() {
        let reporter = Actor::Staff {
            id: 1,
            role: Role::Reporter,
        };
        // Issue 8 item 3: a reporter cannot put back what an editor withdrew.
        let r = check(&reporter, true, Withdrawn, Published);
        assert_eq!(r, Err(Refusal::Denied(Move::Reinstate)));
        assert!(
            r.err()
                .map(|e| e.message())
                .unwrap_or_default()
                .contains("withdrawn")
        );
        // A never-published draft cannot be withdrawn, by anyone.
        let r = check(&Actor::Operator, true, Draft, Withdrawn);
        assert!(
            r.err()
                .map(|e| e.message())
                .unwrap_or_default()
                .contains("never seen")
        );
        let r = check(&Actor::Operator, true, Published, Published);
        assert_eq!(
            r.err().map(|e| e.message()).unwrap_or_default(),
            "The story is already published."
        );
    }
}
