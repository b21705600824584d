//! Newsletters (issue 13 item 5): what kinds there are, the words a reader
//! agrees to, and a subscription's states. No I/O.

/// What a newsletter's issues are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The paper's stories of the last day.
    Briefing,
    /// A section's stories (and those of the sections under it).
    Section,
    /// Stories tagged with a place.
    Place,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Briefing, Kind::Section, Kind::Place];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Briefing => "briefing",
            Kind::Section => "section",
            Kind::Place => "place",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How the newsroom's form names it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Briefing => "a briefing of the whole paper",
            Kind::Section => "a section's digest",
            Kind::Place => "a place's digest (a tag)",
        }
    }
}

/// A subscription's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Asked for; the confirming link is not yet followed.
    Pending,
    /// Confirmed: issues are sent.
    Active,
    /// Left (or never confirmed and asked to stop).
    Unsubscribed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Active => "active",
            State::Unsubscribed => "unsubscribed",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        [State::Pending, State::Active, State::Unsubscribed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// The words a reader agrees to when asking for `name` (kept with the
/// subscription as the record of consent).
pub fn consent_text(paper: &str, name: &str) -> String {
    format!(
        "Send me {name} from {paper} by email. I can unsubscribe at any time from a link in every issue or from my account."
    )
}

/// The body of an RFC 8058 one-click unsubscribe POST.
pub const ONE_CLICK_BODY: &str = "List-Unsubscribe=One-Click";

/// Checks a newsletter's name and send hour as the newsroom types them.
pub fn check(name: &str, send_hour: i64) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err("Give the newsletter a name of 1 to 80 characters.".into());
    }
    if name.chars().any(char::is_control) {
        return Err("The name has characters that cannot be shown: remove them.".into());
    }
    if !(0..=23).contains(&send_hour) {
        return Err(format!(
            "The send hour {send_hour} is not an hour of the day: use 0 to 23 (the paper's time)."
        ));
    }
    Ok(name.to_string())
}

/// The day an issue belongs to, if one is due: the paper's local date once
/// its local hour has reached `send_hour` (before that, no issue is due
/// today).
pub fn due_period(local_date: &str, local_hour: i64, send_hour: i64) -> Option<String> {
    (local_hour >= send_hour).then(|| local_date.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_states_read_back_what_they_write() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Kind::parse("weekly"), None);
        for s in [State::Pending, State::Active, State::Unsubscribed] {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn an_issue_is_due_from_the_send_hour_on() {
        assert_eq!(due_period("2026-12-01", 6, 7), None);
        assert_eq!(
            due_period("2026-12-01", 7, 7).as_deref(),
            Some("2026-12-01")
        );
        assert_eq!(
            due_period("2026-12-01", 23, 0).as_deref(),
            Some("2026-12-01")
        );
    }

    #[test]
    fn names_and_hours_are_checked() {
        assert!(check("", 7).is_err());
        assert!(check("Sport", 24).is_err());
        assert!(check("Sport", -1).is_err());
        assert_eq!(check("  Sport  ", 7).as_deref(), Ok("Sport"));
    }
}
