//! Which OAuth scopes each served Calendar method accepts, as the discovery document's `scopes` lists give them
//! (`tests/fixtures/calendar.v3.json`; the conformance test keeps the two equal). A token holding none of a
//! method's scopes gets 403 `insufficientPermissions`.

/// Scopes of `calendar.calendarList.list`, `calendar.calendarList.watch`.
const LIST_READ: &[&str] = &[
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.calendarlist",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    "https://www.googleapis.com/auth/calendar.readonly",
];

/// Scopes of `calendar.calendarList.get`.
const CALENDAR_LIST_GET: &[&str] = &[
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.app.created",
    "https://www.googleapis.com/auth/calendar.calendarlist",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    "https://www.googleapis.com/auth/calendar.readonly",
];

/// Scopes of `calendar.calendars.get`.
const CALENDARS_GET: &[&str] = &[
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.app.created",
    "https://www.googleapis.com/auth/calendar.calendars",
    "https://www.googleapis.com/auth/calendar.calendars.readonly",
    "https://www.googleapis.com/auth/calendar.readonly",
];

/// Scopes of `calendar.events.list`, `calendar.events.get`, `calendar.events.instances`, `calendar.events.watch`.
const EVENTS_READ: &[&str] = &[
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.app.created",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.events.freebusy",
    "https://www.googleapis.com/auth/calendar.events.owned",
    "https://www.googleapis.com/auth/calendar.events.owned.readonly",
    "https://www.googleapis.com/auth/calendar.events.public.readonly",
    "https://www.googleapis.com/auth/calendar.events.readonly",
    "https://www.googleapis.com/auth/calendar.readonly",
];

/// Scopes of `calendar.events.insert`, `calendar.events.update`, `calendar.events.patch`, `calendar.events.delete`.
const EVENTS_WRITE: &[&str] = &[
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.app.created",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.events.owned",
];

/// Scopes of `calendar.channels.stop`.
const CHANNELS_STOP: &[&str] = &[
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.acls",
    "https://www.googleapis.com/auth/calendar.acls.readonly",
    "https://www.googleapis.com/auth/calendar.app.created",
    "https://www.googleapis.com/auth/calendar.calendarlist",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.events.freebusy",
    "https://www.googleapis.com/auth/calendar.events.owned",
    "https://www.googleapis.com/auth/calendar.events.owned.readonly",
    "https://www.googleapis.com/auth/calendar.events.public.readonly",
    "https://www.googleapis.com/auth/calendar.events.readonly",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.settings",
    "https://www.googleapis.com/auth/calendar.settings.readonly",
];

/// The scopes the served method `method` (its discovery id, e.g. `calendar.events.list`) accepts; `None` for a
/// method the emulator does not serve.
pub fn accepted_scopes(method: &str) -> Option<&'static [&'static str]> {
    match method {
        "calendar.calendarList.list" | "calendar.calendarList.watch" => Some(LIST_READ),
        "calendar.calendarList.get" => Some(CALENDAR_LIST_GET),
        "calendar.calendars.get" => Some(CALENDARS_GET),
        "calendar.events.list"
        | "calendar.events.get"
        | "calendar.events.instances"
        | "calendar.events.watch" => Some(EVENTS_READ),
        "calendar.events.insert"
        | "calendar.events.update"
        | "calendar.events.patch"
        | "calendar.events.delete" => Some(EVENTS_WRITE),
        "calendar.channels.stop" => Some(CHANNELS_STOP),
        _ => None,
    }
}

/// True when a space-separated `granted` scope string holds one of `method`'s accepted scopes.
pub(crate) fn allows(method: &str, granted: &str) -> bool {
    let accepted = accepted_scopes(method).unwrap_or_default();
    granted.split_whitespace().any(|s| accepted.contains(&s))
}
