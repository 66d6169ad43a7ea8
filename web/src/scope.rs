//! Which recurring scopes (`This Event` / `This and Following Events` / `All Events`) a save or delete
//! offers, following the reference (web spec §3.5):
//!
//! - a standalone event needs no question (`This Event`);
//! - a recurring someday event skips the dialog and applies to `All Events`;
//! - turning "Repeat" off on a series member skips the dialog and applies to `All Events` (the series
//!   becomes one standalone event);
//! - when the dates or the rule changed, `This Event` is not offered;
//! - otherwise (and for every delete) all three are offered.

use compass_core::{Event, UpdateScope};

/// What the user is doing to an existing event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Saving the form.
    Save {
        /// Start or end differ from the stored event.
        dates_changed: bool,
        /// The repeat rule differs (but is still there).
        rule_changed: bool,
        /// "Repeat" was turned off.
        rule_removed: bool,
    },
    /// Deleting.
    Delete,
}

/// Whether to ask, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeChoice {
    /// Apply at once with this scope.
    Apply(UpdateScope),
    /// Ask with these options (in this order).
    Ask(Vec<UpdateScope>),
}

/// True for a series member (base or instance).
pub fn is_recurring(event: &Event) -> bool {
    event.recurrence.is_some()
}

/// The scope decision for `change` on `event`.
pub fn scope_choice(event: &Event, change: Change) -> ScopeChoice {
    if !is_recurring(event) {
        return ScopeChoice::Apply(UpdateScope::ThisEvent);
    }
    if event.is_someday {
        return ScopeChoice::Apply(UpdateScope::AllEvents);
    }
    match change {
        Change::Save {
            rule_removed: true, ..
        } => ScopeChoice::Apply(UpdateScope::AllEvents),
        Change::Save {
            dates_changed,
            rule_changed,
            ..
        } if dates_changed || rule_changed => {
            ScopeChoice::Ask(vec![UpdateScope::ThisAndFollowing, UpdateScope::AllEvents])
        }
        Change::Save { .. } | Change::Delete => ScopeChoice::Ask(UpdateScope::ALL.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn event(recurring: bool, someday: bool) -> Event {
        let mut value = serde_json::json!({
            "_id": "6750a1b2c3d4e5f601234501",
            "user": "6750a0000000000000000001",
            "title": "Standup",
            "startDate": "2025-01-08",
            "endDate": "2025-01-09",
            "isSomeday": someday,
            "origin": "compass",
            "priority": "work",
        });
        if recurring {
            value["recurrence"] = serde_json::json!({
                "eventId": "6750a1b2c3d4e5f601234500",
                "rule": ["RRULE:FREQ=WEEKLY"],
            });
        }
        serde_json::from_value(value).unwrap()
    }

    const SAME: Change = Change::Save {
        dates_changed: false,
        rule_changed: false,
        rule_removed: false,
    };

    #[test]
    fn standalone_events_never_ask() {
        assert_eq!(
            scope_choice(&event(false, false), SAME),
            ScopeChoice::Apply(UpdateScope::ThisEvent)
        );
        assert_eq!(
            scope_choice(&event(false, false), Change::Delete),
            ScopeChoice::Apply(UpdateScope::ThisEvent)
        );
    }

    #[test]
    fn recurring_events_offer_every_scope_unless_dates_or_rule_changed() {
        let all = ScopeChoice::Ask(UpdateScope::ALL.to_vec());
        assert_eq!(scope_choice(&event(true, false), SAME), all);
        assert_eq!(scope_choice(&event(true, false), Change::Delete), all);
        let moved = Change::Save {
            dates_changed: true,
            rule_changed: false,
            rule_removed: false,
        };
        assert_eq!(
            scope_choice(&event(true, false), moved),
            ScopeChoice::Ask(vec![UpdateScope::ThisAndFollowing, UpdateScope::AllEvents])
        );
    }

    #[test]
    fn removing_the_rule_and_someday_series_apply_to_all_events() {
        let removed = Change::Save {
            dates_changed: false,
            rule_changed: false,
            rule_removed: true,
        };
        assert_eq!(
            scope_choice(&event(true, false), removed),
            ScopeChoice::Apply(UpdateScope::AllEvents)
        );
        assert_eq!(
            scope_choice(&event(true, true), Change::Delete),
            ScopeChoice::Apply(UpdateScope::AllEvents)
        );
    }
}
