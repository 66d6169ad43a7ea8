//! Calendars and calendar-list entries: creation / change / deletion (control API and seed), resolution of
//! `primary` and ownership checks, and the `Calendar` / `CalendarListEntry` JSON shapes.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use super::{random_token, Event, Store};
use crate::error::ApiError;

/// Google's palette entry for calendar colour 1..; enough for emulation.
const COLORS: [(&str, &str); 4] = [
    ("#9fe1e7", "#000000"),
    ("#a4bdfc", "#000000"),
    ("#7ae7bf", "#000000"),
    ("#fbd75b", "#000000"),
];

/// One calendar, owned by one user.
#[derive(Debug, Clone)]
pub(crate) struct Calendar {
    /// Calendar id (the owner's email for the primary calendar).
    pub id: String,
    /// Internal number (in sync tokens).
    pub num: u64,
    /// Owner's email.
    pub owner: String,
    /// Title.
    pub summary: String,
    /// Description.
    pub description: Option<String>,
    /// IANA time zone.
    pub time_zone: String,
    /// Colour id.
    pub color_id: usize,
    /// Hidden from the calendar list.
    pub hidden: bool,
    /// The owner's primary calendar.
    pub primary: bool,
    /// Removed from the calendar list.
    pub deleted: bool,
    /// Change sequence of the calendar-list entry.
    pub changed_seq: u64,
    /// Events token epoch (bumped to expire sync tokens).
    pub token_epoch: u64,
    /// Stable resource id for events watches.
    pub resource_id: String,
    /// Events by id (live and cancelled).
    pub events: HashMap<String, Event>,
    /// Event ids by their change sequence.
    pub by_change: BTreeMap<u64, String>,
}

impl Calendar {
    /// Quoted etag of the calendar-list entry.
    pub(crate) fn etag(&self) -> String {
        format!("\"{}\"", 1_700_000_000_000_000u64 + self.changed_seq)
    }

    /// `Calendar` JSON (calendars.get).
    pub(crate) fn calendar_json(&self) -> Value {
        let mut v = json!({
            "kind": "calendar#calendar", "etag": self.etag(), "id": self.id, "summary": self.summary,
            "timeZone": self.time_zone,
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        });
        if let Some(d) = &self.description {
            v["description"] = json!(d);
        }
        v
    }

    /// `CalendarListEntry` JSON; deleted entries are sparse.
    pub(crate) fn list_entry_json(&self) -> Value {
        if self.deleted {
            return json!({"kind": "calendar#calendarListEntry", "etag": self.etag(), "id": self.id, "deleted": true});
        }
        let (bg, fg) = COLORS[self.color_id % COLORS.len()];
        let mut v = json!({
            "kind": "calendar#calendarListEntry", "etag": self.etag(), "id": self.id, "summary": self.summary,
            "timeZone": self.time_zone, "colorId": (self.color_id + 1).to_string(), "backgroundColor": bg,
            "foregroundColor": fg, "selected": true, "accessRole": "owner",
            "defaultReminders": if self.primary { json!([{"method": "popup", "minutes": 30}]) } else { json!([]) },
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        });
        if let Some(d) = &self.description {
            v["description"] = json!(d);
        }
        if self.hidden {
            v["hidden"] = json!(true);
        }
        if self.primary {
            v["primary"] = json!(true);
            v["notificationSettings"] = json!({"notifications": [
                {"type": "eventCreation", "method": "email"}, {"type": "eventChange", "method": "email"},
                {"type": "eventCancellation", "method": "email"}, {"type": "eventResponse", "method": "email"}]});
        }
        v
    }
}

/// Fields of a calendar the control API may change.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CalendarChange {
    /// New title.
    pub summary: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New time zone.
    pub time_zone: Option<String>,
    /// Hide / show in the list.
    pub hidden: Option<bool>,
}

impl Store {
    /// Creates a calendar for `owner`; `id` defaults to a generated group-calendar id.
    pub(crate) fn create_calendar(
        &mut self,
        owner: &str,
        id: Option<&str>,
        summary: &str,
        time_zone: &str,
        primary: bool,
    ) -> Result<Value, ApiError> {
        let owner = owner.to_ascii_lowercase();
        if !self.users.contains_key(&owner) {
            return Err(ApiError::not_found());
        }
        if time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(ApiError::bad_request("Invalid time zone."));
        }
        let id = id.map(str::to_owned).unwrap_or_else(|| {
            format!(
                "{}@group.calendar.google.com",
                random_token(26).to_ascii_lowercase()
            )
        });
        if id.is_empty() || self.calendars.contains_key(&id) {
            return Err(ApiError::duplicate());
        }
        let num = self.next_num;
        self.next_num += 1;
        let seq = self.next_seq();
        let count = self
            .users
            .get(&owner)
            .map(|u| u.calendars.len())
            .unwrap_or(0);
        let calendar = Calendar {
            id: id.clone(),
            num,
            owner: owner.clone(),
            summary: summary.to_owned(),
            description: None,
            time_zone: time_zone.to_owned(),
            color_id: count,
            hidden: false,
            primary,
            deleted: false,
            changed_seq: seq,
            token_epoch: 0,
            resource_id: random_token(27),
            events: HashMap::new(),
            by_change: BTreeMap::new(),
        };
        let json = calendar.list_entry_json();
        self.calendars.insert(id.clone(), calendar);
        if let Some(user) = self.users.get_mut(&owner) {
            user.calendars.push(id);
        }
        self.notify_calendar_list(&owner);
        Ok(json)
    }

    /// Changes a calendar's properties as the owner would in Google's UI.
    pub(crate) fn change_calendar(
        &mut self,
        owner: &str,
        id: &str,
        change: &CalendarChange,
    ) -> Result<Value, ApiError> {
        if let Some(zone) = &change.time_zone {
            if zone.parse::<chrono_tz::Tz>().is_err() {
                return Err(ApiError::bad_request("Invalid time zone."));
            }
        }
        let seq = self.next_seq();
        let cal = self.owned_calendar_mut(owner, id)?;
        if let Some(s) = &change.summary {
            cal.summary.clone_from(s);
        }
        if let Some(d) = &change.description {
            cal.description = Some(d.clone());
        }
        if let Some(z) = &change.time_zone {
            cal.time_zone.clone_from(z);
        }
        if let Some(h) = change.hidden {
            cal.hidden = h;
        }
        cal.changed_seq = seq;
        let json = cal.list_entry_json();
        let owner = cal.owner.clone();
        self.notify_calendar_list(&owner);
        Ok(json)
    }

    /// Deletes a secondary calendar (its list entry becomes `deleted: true`; its events go with it).
    pub(crate) fn delete_calendar(&mut self, owner: &str, id: &str) -> Result<(), ApiError> {
        let seq = self.next_seq();
        let cal = self.owned_calendar_mut(owner, id)?;
        if cal.primary {
            return Err(ApiError::new(
                403,
                "global",
                "cannotDeletePrimaryCalendar",
                "Cannot delete primary calendar.",
            ));
        }
        cal.deleted = true;
        cal.changed_seq = seq;
        let removed = cal.events.len();
        cal.events.clear();
        cal.by_change.clear();
        let cal_id = cal.id.clone();
        let owner = cal.owner.clone();
        self.total_events = self.total_events.saturating_sub(removed);
        let watching: Vec<String> = self
            .channels
            .iter()
            .filter(|(_, ch)| ch.calendar_id.as_deref() == Some(cal_id.as_str()))
            .map(|(id, _)| id.clone())
            .collect();
        for id in watching {
            self.drop_channel(&id);
        }
        self.notify_calendar_list(&owner);
        Ok(())
    }

    /// Resolves `primary` and checks that `user` owns the live calendar.
    pub(crate) fn resolve_calendar_id(&self, user: &str, id: &str) -> Result<String, ApiError> {
        let id = if id == "primary" {
            user.to_owned()
        } else {
            id.to_owned()
        };
        match self
            .calendars
            .get(&id)
            .or_else(|| self.calendars.get(&id.to_ascii_lowercase()))
        {
            Some(cal) if cal.owner == user && !cal.deleted => Ok(cal.id.clone()),
            _ => Err(ApiError::not_found()),
        }
    }

    /// The live calendar `id` owned by `user`.
    pub(crate) fn owned_calendar(&self, user: &str, id: &str) -> Result<&Calendar, ApiError> {
        let id = self.resolve_calendar_id(user, id)?;
        self.calendars.get(&id).ok_or_else(ApiError::not_found)
    }

    /// The live calendar `id` owned by `user`, mutable.
    pub(crate) fn owned_calendar_mut(
        &mut self,
        user: &str,
        id: &str,
    ) -> Result<&mut Calendar, ApiError> {
        let id = self.resolve_calendar_id(user, id)?;
        self.calendars.get_mut(&id).ok_or_else(ApiError::not_found)
    }

    /// Expires sync tokens: of one calendar, of all of a user's calendars and the calendar list, or of everything.
    pub(crate) fn expire_sync_tokens(
        &mut self,
        user: Option<&str>,
        calendar: Option<&str>,
    ) -> Result<usize, ApiError> {
        let mut count = 0;
        match (user, calendar) {
            (Some(u), Some(c)) => {
                let u = u.to_ascii_lowercase();
                self.owned_calendar_mut(&u, c)?.token_epoch += 1;
                count += 1;
            }
            (Some(u), None) => {
                let u = u.to_ascii_lowercase();
                let user = self.users.get_mut(&u).ok_or_else(ApiError::not_found)?;
                user.list_epoch += 1;
                for cal in self.calendars.values_mut().filter(|c| c.owner == u) {
                    cal.token_epoch += 1;
                    count += 1;
                }
            }
            _ => {
                for user in self.users.values_mut() {
                    user.list_epoch += 1;
                }
                for cal in self.calendars.values_mut() {
                    cal.token_epoch += 1;
                    count += 1;
                }
            }
        }
        Ok(count)
    }
}
