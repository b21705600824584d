//! Who is acting: the principal every use case takes and every audit row
//! records. Staff act through their role (the `permissions` table); the
//! operator (the CLI, run by whoever holds the server) and the scheduler are
//! the paper's own machinery; readers and agencies are outside parties.

use std::fmt;

use crate::permissions::{self, Action, Role};

/// The one doing something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in member of staff, acting with their role.
    Staff { id: i64, role: Role },
    /// A reader with an account (comments, subscriptions: to come).
    Reader { id: i64 },
    /// The operator at the command line: trusted with every newsroom action
    /// (they hold the database anyway), and audited like anyone else.
    Operator,
    /// The scheduler job publishing stories whose time has come.
    Scheduler,
    /// A news agency's feed (wire ingest, issue 14): its rights are
    /// `permissions::agency_allows`, more when it publishes automatically.
    Agency { id: i64, auto: bool },
}

impl Actor {
    /// The kind of actor, as the audit log's `actor` column records it.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Staff { .. } => "staff",
            Actor::Reader { .. } => "reader",
            Actor::Operator => "operator",
            Actor::Scheduler => "scheduler",
            Actor::Agency { .. } => "agency",
        }
    }

    /// The id of the person or agency, if the actor has one.
    pub fn id(&self) -> Option<i64> {
        match self {
            Actor::Staff { id, .. } | Actor::Reader { id } | Actor::Agency { id, .. } => Some(*id),
            Actor::Operator | Actor::Scheduler => None,
        }
    }

    /// The staff member's id, if the actor is staff.
    pub fn staff_id(&self) -> Option<i64> {
        match self {
            Actor::Staff { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// The staff role, if the actor is staff.
    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::Staff { role, .. } => Some(*role),
            _ => None,
        }
    }

    /// Whether this actor may do `action` at all (before object-level rules).
    /// Staff: the role table. Operator: everything. Agencies: their own
    /// short list (`permissions::agency_allows`). The scheduler and readers:
    /// nothing in the newsroom table (the scheduler's one move, scheduled →
    /// published, is granted by `workflow`).
    pub fn allows(&self, action: Action) -> bool {
        match self {
            Actor::Staff { role, .. } => permissions::allows(*role, action),
            Actor::Operator => true,
            Actor::Agency { auto, .. } => permissions::agency_allows(*auto, action),
            Actor::Scheduler | Actor::Reader { .. } => false,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Staff { id, role } => write!(f, "{role} {id}"),
            Actor::Reader { id } => write!(f, "reader {id}"),
            Actor::Operator => f.write_str("operator"),
            Actor::Scheduler => f.write_str("scheduler"),
            Actor::Agency { id, .. } => write!(f, "agency {id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::{ACTIONS, ROLES};

    #[test]
    fn staff_follow_the_table_and_machinery_is_fixed() {
        for role in ROLES {
            let a = Actor::Staff { id: 7, role };
            for action in ACTIONS {
                assert_eq!(a.allows(action), permissions::allows(role, action));
            }
            assert_eq!(
                (a.kind(), a.id(), a.staff_id()),
                ("staff", Some(7), Some(7))
            );
        }
        for action in ACTIONS {
            assert!(Actor::Operator.allows(action));
            assert!(!Actor::Scheduler.allows(action));
            assert!(!Actor::Reader { id: 1 }.allows(action));
            for auto in [false, true] {
                assert_eq!(
                    Actor::Agency { id: 1, auto }.allows(action),
                    permissions::agency_allows(auto, action)
                );
            }
        }
        assert_eq!(
            (Actor::Operator.kind(), Actor::Operator.id()),
            ("operator", None)
        );
        assert_eq!(Actor::Scheduler.kind(), "scheduler");
    }
}
